from __future__ import annotations

from gateway.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_failure_opens_the_breaker_until_the_cooldown_has_passed() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=1.0, clock=clock)
    assert breaker.allow() and breaker.state == "closed"
    assert breaker.failed() is True  # it opened
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now += 0.99
    assert not breaker.allow()
    clock.now += 0.02
    assert breaker.state == "half-open"
    assert breaker.allow()  # one probe
    assert not breaker.allow()  # and only one while it runs


def test_a_successful_probe_closes_the_breaker() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=1.0, clock=clock)
    breaker.failed()
    clock.now += 1
    assert breaker.allow()
    assert breaker.succeeded() is True  # it closed
    assert breaker.state == "closed"
    assert breaker.allow() and breaker.allow()
    assert breaker.succeeded() is False  # it was closed already


def test_failing_probes_double_the_cooldown_up_to_its_ceiling() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=1.0, max_cooldown=3.0, clock=clock)
    breaker.failed()
    waits = []
    for _ in range(4):
        waited = 0.0
        while not breaker.allow():
            clock.now += 0.25
            waited += 0.25
        waits.append(waited)
        assert breaker.failed() is False  # still open: not a new opening
    assert waits == [1.0, 2.0, 3.0, 3.0]
    clock.now += 3
    assert breaker.allow()
    breaker.succeeded()
    breaker.failed()
    clock.now += 1
    assert breaker.allow()  # a success restored the first cooldown


def test_late_failures_of_calls_started_before_it_opened_only_extend_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=1.0, clock=clock)
    breaker.failed()
    clock.now += 0.5
    assert breaker.failed() is False
    clock.now += 0.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.allow()
