"""The timeout of a Redis command, against commands of known duration (no Redis needed)."""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.shared.connection import RedisConnection, RedisUnavailable
from tests.fleet.redis_server import free_port


@pytest.fixture
def connection() -> RedisConnection:
    """A connection that never connects: the commands below do not use the client."""
    return RedisConnection.from_url(
        f"redis://127.0.0.1:{free_port()}/0", key_prefix="t", timeout=0.1
    )


async def test_a_command_past_the_timeout_is_abandoned_at_the_timeout(
    connection: RedisConnection,
) -> None:
    started = time.monotonic()
    with pytest.raises(RedisUnavailable, match=r"no answer within 0\.1 s"):
        await connection.run("test", lambda: asyncio.sleep(1))
    assert 0.09 < time.monotonic() - started < 0.2
    assert connection.state().startswith("unavailable")


def answer_at(seconds: float) -> asyncio.Future[str]:
    """Redis's answer, as it arrives ``seconds`` from now (whatever the loop does meanwhile)."""
    answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_later(seconds, answer.set_result, "answer")
    return answer


def block_the_loop(seconds: float) -> None:
    """Other work of the process holding the event loop, right after the command is sent."""
    asyncio.get_running_loop().call_soon(time.sleep, seconds)


async def test_a_process_too_busy_to_listen_gives_redis_its_timeout_again(
    connection: RedisConnection,
) -> None:
    """The answer comes at 0.25 s, but the process could not listen before 0.2 s: Redis was
    not slow, and gets its 0.1 s again."""
    answer = answer_at(0.25)
    block_the_loop(0.2)
    assert await connection.run("test", lambda: answer) == "answer"
    assert connection.state() == "ok"


async def test_an_answer_waiting_unread_when_the_timer_fires_is_taken(
    connection: RedisConnection,
) -> None:
    answer = answer_at(0.11)
    block_the_loop(0.12)
    assert await connection.run("test", lambda: answer) == "answer"


async def test_a_paused_redis_is_not_given_more_time_when_the_process_was_not_busy(
    connection: RedisConnection,
) -> None:
    answer = answer_at(0.18)
    started = time.monotonic()
    with pytest.raises(RedisUnavailable):
        await connection.run("test", lambda: answer)
    assert time.monotonic() - started < 0.15


async def test_a_cancelled_request_cancels_its_command(connection: RedisConnection) -> None:
    finished = asyncio.Event()

    async def command() -> None:
        try:
            await asyncio.sleep(1)
        finally:
            finished.set()

    request = asyncio.ensure_future(connection.run("test", command))
    await asyncio.sleep(0.01)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await asyncio.wait_for(finished.wait(), 0.1)


async def test_a_cancelled_probe_leaves_the_way_open_for_the_next_one() -> None:
    """A request that goes away (its client disconnected) while its command probes a Redis
    that was down must not leave the breaker waiting for that probe for ever."""
    connection = RedisConnection.from_url(
        f"redis://127.0.0.1:{free_port()}/0", key_prefix="t", timeout=0.05
    )
    with pytest.raises(RedisUnavailable):
        await connection.run("test", lambda: asyncio.sleep(1))  # opens the breaker
    await asyncio.sleep(1.05)  # its first cool-down
    probe = asyncio.ensure_future(connection.run("test", lambda: asyncio.sleep(1)))
    await asyncio.sleep(0.01)
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe

    async def answer() -> str:
        return "answer"

    assert await connection.run("test", answer) == "answer"
    assert connection.state() == "ok"


def test_readyz_names_what_failed_without_redis_own_words() -> None:
    from redis.exceptions import AuthenticationError, ResponseError
    from redis.exceptions import ConnectionError as LostConnection

    from gateway.shared.connection import public_reason

    refused = LostConnection("Error 111 connecting to redis.internal.example:6379. Refused.")
    assert public_reason(refused) == "cannot connect"
    assert "password" in public_reason(AuthenticationError("invalid username-password pair"))
    assert "maxmemory" in public_reason(ResponseError("OOM command not allowed"))
    assert "redis.internal" not in public_reason(ResponseError("ERR at redis.internal.example"))
