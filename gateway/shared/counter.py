"""Counters shared by the replicas: requests per caller per time window, for rate limits.

A fixed window: the count of ``key`` in the current window of ``window`` seconds, incremented
and given its expiry in one script, so replicas counting at once never lose an increment and a
key never outlives its window (a crash between INCR and PEXPIRE cannot leave a counter without
expiry). Raises :class:`~gateway.shared.connection.RedisUnavailable` when Redis does not answer:
the caller then counts in its own process.
"""

from __future__ import annotations

from typing import Any

from gateway.shared.connection import RedisConnection

# KEYS[1]: the window's counter; ARGV[1]: the increment; ARGV[2]: the window in milliseconds.
# Returns the count after the increment and the milliseconds left in the window.
_HIT = """
local count = redis.call('incrby', KEYS[1], ARGV[1])
if count == tonumber(ARGV[1]) then
  redis.call('pexpire', KEYS[1], ARGV[2])
end
local left = redis.call('pttl', KEYS[1])
if left < 0 then
  redis.call('pexpire', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {count, left}
"""


class WindowCounter:
    def __init__(self, connection: RedisConnection, name: str, *, window: float) -> None:
        self._connection = connection
        self._name = name
        self._window_ms = max(1, int(window * 1000))
        self._hit: Any = connection.client.register_script(_HIT)

    async def hit(self, key: str, amount: int = 1) -> tuple[int, float]:
        """Adds ``amount`` to ``key``'s count in the current window: the count now and the
        seconds until the window ends (when the count starts again from 0)."""
        redis_key = self._connection.key(f"counter:{self._name}", key)
        count, left_ms = await self._connection.run(
            "counter", lambda: self._hit(keys=[redis_key], args=[amount, self._window_ms])
        )
        return int(count), int(left_ms) / 1000
