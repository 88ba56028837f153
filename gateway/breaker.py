"""A circuit breaker: after a failure, a dependency is left alone for a while.

A shared store that is down or paused would otherwise cost every request its full timeout.
Once a call fails the breaker opens, and calls are skipped at no cost until the cool-down
has passed; then one call probes. A failing probe doubles the cool-down (up to a ceiling),
a successful one closes the breaker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    def __init__(
        self,
        *,
        cooldown: float = 1.0,
        max_cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_cooldown = cooldown
        self._max_cooldown = max_cooldown
        self._cooldown = cooldown
        self._clock = clock
        self._open_until: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._open_until is None:
            return "closed"
        return "half-open" if self._clock() >= self._open_until else "open"

    def allow(self) -> bool:
        """Whether a call may go ahead now: always while closed, one probe once cooled down."""
        if self._open_until is None:
            return True
        if self._probing or self._clock() < self._open_until:
            return False
        self._probing = True
        return True

    def succeeded(self) -> bool:
        """Records a success; True when it closed an open breaker."""
        was_open = self._open_until is not None
        self._open_until = None
        self._probing = False
        self._cooldown = self._base_cooldown
        return was_open

    def abandoned(self) -> None:
        """A call that ended with neither an answer nor a failure (it was cancelled): a probe
        that did so frees the way for the next one."""
        self._probing = False

    def failed(self) -> bool:
        """Records a failure; True when it opened a closed breaker."""
        was_closed = self._open_until is None
        if not was_closed and self._probing:
            self._cooldown = min(self._cooldown * 2, self._max_cooldown)
        self._probing = False
        self._open_until = self._clock() + self._cooldown
        return was_closed
