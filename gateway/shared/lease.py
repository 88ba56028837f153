"""A lease: one replica at a time holds a name, for a bounded time unless it renews.

It is Redis's ``SET key token NX PX ttl``: whoever sets the key holds it, and a holder that
dies loses it when the TTL runs out, so leadership never sticks to a dead pod. Renewing and
releasing check the holder's own random token in a script, so a replica whose lease already
expired (a long pause) never extends or drops the lease another replica holds now.

Uses: the replica that calls SageMaker for a read the others are waiting for (flights.py), and
the one poller per running job that serves the fleet. Every method raises
:class:`~gateway.shared.connection.RedisUnavailable` when Redis does not answer: the caller
decides what to do without a lease (usually: act alone, as one process would).
"""

from __future__ import annotations

import secrets
from typing import Any

from gateway.shared.connection import RedisConnection

# KEYS[1]: the lease; ARGV[1]: the holder's token; ARGV[2]: the new TTL in milliseconds.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class Lease:
    def __init__(self, connection: RedisConnection, name: str, *, ttl: float) -> None:
        self._connection = connection
        self.key = connection.key("lease", name)
        self._ttl_ms = max(1, int(ttl * 1000))
        self.token = secrets.token_hex(16)
        self._renew: Any = connection.client.register_script(_RENEW)
        self._release: Any = connection.client.register_script(_RELEASE)

    async def acquire(self) -> bool:
        """Takes the lease if nobody holds it; True when this holder has it now."""
        client = self._connection.client
        taken = await self._connection.run(
            "lease", lambda: client.set(self.key, self.token, nx=True, px=self._ttl_ms)
        )
        return bool(taken)

    async def renew(self) -> bool:
        """Extends the lease by its TTL; False when this holder no longer has it."""
        renewed = await self._connection.run(
            "lease", lambda: self._renew(keys=[self.key], args=[self.token, self._ttl_ms])
        )
        return bool(renewed)

    async def release(self) -> None:
        """Gives the lease up, if this holder still has it."""
        await self._connection.run(
            "lease", lambda: self._release(keys=[self.key], args=[self.token])
        )

    async def held(self) -> bool:
        """Whether anybody holds the lease now."""
        count = await self._connection.run(
            "lease", lambda: self._connection.client.exists(self.key)
        )
        return bool(count)
