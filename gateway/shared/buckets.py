"""The per-caller token buckets of the fleet: one bucket per caller, whichever replica it asks.

The same buckets as :class:`~gateway.rate_limits.MemoryTokenBuckets` (a burst, a refill per
minute, a refused take costs nothing), kept in Redis and taken from in one script, so replicas
taking at once never both spend the last token. Time is Redis's own ``TIME``: one clock for the
whole fleet, so replicas whose clocks disagree still refill a bucket at its rate. A bucket
expires once it would be full again, so idle callers cost Redis nothing.

When Redis is unavailable (its timeout, or the breaker open), a take falls back to this
process's buckets: the request is limited per process for that while, never refused or
delayed beyond the timeout because Redis is down.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.rate_limits import MemoryTokenBuckets, TokenBuckets
from gateway.shared.connection import RedisConnection, RedisUnavailable

GRACE_MILLISECONDS = 1000
"""How long a bucket outlives the moment it is full again, so rounding never drops one early."""

# KEYS[1]: the bucket, "<tokens> <updated, in seconds>"; ARGV[1]: the refill per minute;
# ARGV[2]: the burst; ARGV[3]: now, in seconds, given only by tests (empty: Redis's TIME);
# ARGV[4]: how long past full a bucket is kept, in milliseconds.
# Returns the seconds until a token is there: "0" when one was taken. Numbers travel as
# strings of 17 significant digits: Redis would truncate a float returned by a script.
_TAKE = """
if redis.replicate_commands then
  redis.replicate_commands()  -- Redis 3.2 to 4 only: a write after TIME replicates its effect
end
local rate = tonumber(ARGV[1]) / 60
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local time = redis.call('time')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
end
local tokens, updated = burst, now
local bucket = redis.call('get', KEYS[1])
if bucket then
  local stored, at = string.match(bucket, '^(%S+) (%S+)$')
  if stored and tonumber(stored) and tonumber(at) then
    tokens, updated = tonumber(stored), tonumber(at)
  end
end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
local full_in = math.ceil((burst - tokens) / rate * 1000) + tonumber(ARGV[4])
redis.call('set', KEYS[1], string.format('%.17g %.17g', tokens, now), 'px', full_in)
return string.format('%.17g', wait)
"""


class RedisTokenBuckets:
    """The fleet's buckets in Redis, this process's own while Redis is unavailable.

    ``clock`` is for tests only: it replaces Redis's ``TIME`` with the given seconds."""

    def __init__(
        self,
        connection: RedisConnection,
        *,
        fallback: TokenBuckets | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._connection = connection
        self._fallback = fallback or MemoryTokenBuckets()
        self._clock = clock
        self._take: Any = connection.client.register_script(_TAKE)

    async def take(self, key: str, *, per_minute: float, burst: int) -> float:
        redis_key = self._connection.key("bucket", key)
        now = "" if self._clock is None else repr(float(self._clock()))
        args = [repr(float(per_minute)), burst, now, GRACE_MILLISECONDS]
        try:
            wait = await self._connection.run(
                "bucket", lambda: self._take(keys=[redis_key], args=args)
            )
        except RedisUnavailable:
            return await self._fallback.take(key, per_minute=per_minute, burst=burst)
        return float(wait)
