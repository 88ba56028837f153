"""One poller per watched job for the whole fleet: a leader lease, pub/sub, the latest read.

Every replica with subscribers to a job runs :class:`FleetLiveJobs`' task for it. The one
holding the job's lease (``live:<job>``, a few poll intervals long, renewed every interval)
polls SageMaker as :class:`~gateway.sagemaker.live.LiveJobs` does; each read that changed
something is published on the job's channel and stored under its key, in one script that
first checks the lease, so a replica that lost the lease (a long pause) publishes nothing.

Each message carries the whole read, its changes, its version and the version it was diffed
from. A replica that holds that previous version passes the leader's changes on as they are
(the same events, with the same times, on every replica); one that missed a message (pub/sub
delivers at most once) or just started diffs its own last read against the message's
(:func:`~gateway.sagemaker.changes.changes`), so its subscribers still get every change once,
in order. A read older than the replica's own is skipped. A replica that starts watching
takes the stored read as its baseline. Followers try the lease every poll interval (one
command): a leader that stops watching is replaced within an interval, one that died within
the lease's TTL and an interval.

Redis unavailable (the breaker open, a lost connection): the replica polls the job itself, as
one process would, and joins the fleet again once Redis answers. Subscribers never fail
because of Redis.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Gauge
from redis.exceptions import RedisError

from gateway.sagemaker.changes import Change, ChangeKind, changes, is_finished
from gateway.sagemaker.leaderboards import JobCandidates
from gateway.sagemaker.live import LiveJobs, Poller, Reader
from gateway.shared import codec
from gateway.shared.connection import RedisConnection, RedisUnavailable
from gateway.shared.lease import Lease
from gateway.shared.listener import Inbox, Listener

logger = logging.getLogger(__name__)

LIVE_LEADING = Gauge("gateway_live_leading", "Jobs this process polls for the whole fleet now.")

LEASE_ROUNDS = 3
"""The lease lasts this many poll intervals: a leader late by a round or two keeps it."""
STATE_LEASES = 4
"""The latest read outlives the lease this many times: a new leader finds it."""

# KEYS[1]: the lease; KEYS[2]: the latest read. ARGV[1]: the holder's token; ARGV[2]: the
# lease's TTL and ARGV[3] the read's, in milliseconds; ARGV[4]: the channel; ARGV[5]: the
# message, or '' to renew only. Returns 0 when the caller no longer holds the lease.
_ROUND = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('pexpire', KEYS[1], ARGV[2])
if ARGV[5] == '' then
  redis.call('pexpire', KEYS[2], ARGV[3])
else
  redis.call('set', KEYS[2], ARGV[5], 'px', ARGV[3])
  redis.call('publish', ARGV[4], ARGV[5])
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Message:
    """One read of a job as the fleet shares it."""

    version: str
    after: str | None  # the version the changes were found from
    read_at: datetime
    snapshot: JobCandidates
    changes: tuple[Change, ...]

    def to_wire(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "after": self.after,
            "read_at": self.read_at,
            "job_name": self.snapshot.job_name,
            "description": self.snapshot.description,
            "candidates": self.snapshot.candidates,
            # each change's job is the read's description (see changes.py)
            "changes": [
                {"kind": c.kind.value, "candidate": c.candidate, "at": c.at} for c in self.changes
            ],
        }

    @classmethod
    def from_wire(cls, data: Any) -> Message:
        """The message; ValueError (or KeyError, TypeError) when it is not one."""
        snapshot = JobCandidates(data["job_name"], data["description"], data["candidates"])
        found = tuple(
            Change(ChangeKind(c["kind"]), snapshot.description, c["candidate"], c["at"])
            for c in data["changes"]
        )
        if not isinstance(data["read_at"], datetime):
            raise TypeError("read_at is not a time")
        return cls(str(data["version"]), data["after"], data["read_at"], snapshot, found)


@dataclass(slots=True)
class _Watch:
    """This replica's part in the fleet's watch of one job."""

    job_name: str
    lease: Lease
    channel: str  # its name, as Channel and Listener know it
    state_key: str
    leading: bool = False
    version: str | None = None  # of the read the feeds have, when the fleet shared it
    read_at: datetime | None = None
    published: int = 0

    def next_version(self) -> str:
        self.published += 1
        return f"{self.lease.token}:{self.published}"


class FleetLiveJobs(LiveJobs):
    """:class:`LiveJobs` whose pollers serve every replica on the same Redis."""

    def __init__(
        self,
        reader: Reader,
        connection: RedisConnection,
        *,
        interval: float,
        max_backoff: float | None = None,
    ) -> None:
        super().__init__(reader, interval=interval, max_backoff=max_backoff)
        self._connection = connection
        self._lease_seconds = LEASE_ROUNDS * interval
        self._lease_ms = max(1, int(self._lease_seconds * 1000))
        self._round_script: Any = connection.client.register_script(_ROUND)
        self._watches: dict[str, _Watch] = {}
        self._listener = Listener(connection)

    async def close(self) -> None:
        await super().close()
        await self._listener.close()

    @property
    def leading(self) -> list[str]:
        """The jobs this process polls for the fleet now."""
        return [name for name, watch in self._watches.items() if watch.leading]

    async def _follow(self, job_name: str, poller: Poller) -> None:
        watch = _Watch(
            job_name,
            Lease(self._connection, f"live\x00{job_name}", ttl=self._lease_seconds),
            f"live:{job_name}",
            self._connection.key("live", job_name),
        )
        self._watches[job_name] = watch
        try:
            while not await self._with_fleet(watch, poller):
                if await self._alone(watch, poller):
                    return
        finally:
            _set_leading(watch, False)
            if self._watches.get(job_name) is watch:
                del self._watches[job_name]
            with contextlib.suppress(RedisUnavailable):  # else it expires by itself
                await watch.lease.release()

    async def _with_fleet(self, watch: _Watch, poller: Poller) -> bool:
        """Leads or follows until the job finishes (True) or Redis fails (False)."""
        try:
            # subscribed before reading the latest read: no message falls between the two
            async with self._listener.subscribe(watch.channel) as messages:
                _set_leading(watch, await watch.lease.acquire())
                await self._catch_up(watch, poller)
                delay = 0.0
                while not _finished(poller):
                    if not watch.leading:
                        await self._listen(watch, poller, messages, self._interval)
                        if not _finished(poller) and await watch.lease.acquire():
                            _set_leading(watch, True)
                            delay = 0.0
                            await self._catch_up(watch, poller)
                    elif await self._wait_leading(watch, poller, messages, delay):
                        if not _finished(poller):
                            delay = await self._lead(watch, poller, delay)
                    else:
                        _set_leading(watch, False)
                return True
        except (RedisUnavailable, RedisError, OSError) as error:
            _set_leading(watch, False)
            logger.warning(
                "Watching job %s without Redis (%s): this replica reads it itself",
                watch.job_name,
                str(error) or type(error).__name__,
            )
            return False

    async def _lead(self, watch: _Watch, poller: Poller, delay: float) -> float:
        """One read as the leader, ``delay`` after the last; the delay before the next."""
        snapshot, delay = await self._attempt(watch.job_name, delay)
        if snapshot is None:
            await self._renew(watch, None)
            return delay
        read_at = self._now()
        previous = poller.snapshot
        found = () if previous is None else tuple(changes(previous, snapshot, read_at))
        self._advance(poller, snapshot, found)
        watch.read_at = read_at
        if not found and watch.version is not None:
            await self._renew(watch, None)
            return delay
        message = Message(watch.next_version(), watch.version, read_at, snapshot, found)
        watch.version = None  # until the fleet has it
        if await self._renew(watch, codec.encode(message.to_wire())):
            watch.version = message.version
        return delay

    async def _renew(self, watch: _Watch, message: bytes | None) -> bool:
        """Extends the lease (and publishes ``message``) if this replica still holds it."""
        args = [
            watch.lease.token,
            self._lease_ms,
            self._lease_ms * STATE_LEASES,
            self._connection.channel(watch.channel),
            message or b"",
        ]
        held = await self._connection.run(
            "live", lambda: self._round_script(keys=[watch.lease.key, watch.state_key], args=args)
        )
        if not held:
            _set_leading(watch, False)
        return bool(held)

    async def _wait_leading(
        self, watch: _Watch, poller: Poller, messages: Inbox, seconds: float
    ) -> bool:
        """Waits ``seconds`` as the leader, renewing the lease every interval (a backoff can
        be longer than the lease); False when the lease was lost."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await self._listen(watch, poller, messages, min(left, self._interval))
            if _finished(poller) or not await self._renew(watch, None):
                return False
        return True

    async def _listen(self, watch: _Watch, poller: Poller, messages: Inbox, seconds: float) -> None:
        """Applies the messages that come within ``seconds``, until the job finishes."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and not _finished(poller):
            data = await messages.next(wait_seconds=left)
            if data is None:
                return
            self._apply(watch, poller, data)

    async def _catch_up(self, watch: _Watch, poller: Poller) -> None:
        """Applies the latest read the fleet stored, if there is one."""
        client = self._connection.client
        data = await self._connection.run("live", lambda: client.get(watch.state_key))
        if isinstance(data, bytes):  # the client does not decode answers
            try:
                self._apply(watch, poller, codec.decode(data))
            except codec.UndecodableValue as error:
                logger.warning("Skipping the stored read of job %s: %s", watch.job_name, error)

    def _apply(self, watch: _Watch, poller: Poller, data: Any) -> None:
        try:
            message = Message.from_wire(data)
        except (KeyError, TypeError, ValueError) as error:
            logger.warning("Skipping a message about job %s: %r", watch.job_name, error)
            return
        if message.version == watch.version:
            return  # this replica's own, or one it already has
        chained = watch.version is not None and message.after == watch.version
        if chained and poller.snapshot is not None:
            self._advance(poller, message.snapshot, message.changes)
        elif _newer(message, watch, poller):
            self._publish(poller, message.snapshot)  # the changes since this replica's read
        else:
            return  # older than what the feeds have
        watch.version, watch.read_at = message.version, message.read_at

    async def _alone(self, watch: _Watch, poller: Poller) -> bool:
        """Polls the job in this process until it finishes (True) or Redis answers again."""
        watch.version = None
        delay = 0.0 if poller.snapshot is None else self._interval
        while True:
            if delay:
                await self._sleep(delay)
            snapshot, delay = await self._attempt(watch.job_name, delay)
            if snapshot is not None:
                self._publish(poller, snapshot)
                watch.read_at = self._now()
                if is_finished(snapshot):
                    return True
            try:
                await watch.lease.held()
            except RedisUnavailable:
                continue
            logger.warning("Redis answers again: job %s is watched with the fleet", watch.job_name)
            return False


def _newer(message: Message, watch: _Watch, poller: Poller) -> bool:
    """Whether ``message`` is a later read than the feeds': read after it, and with every
    candidate the feeds know of (SageMaker never drops one)."""
    if poller.snapshot is None or watch.read_at is None:
        return True
    names = {c.get("CandidateName") for c in message.snapshot.candidates}
    known = all(c.get("CandidateName") in names for c in poller.snapshot.candidates)
    return known and message.read_at > watch.read_at


def _finished(poller: Poller) -> bool:
    return poller.snapshot is not None and is_finished(poller.snapshot)


def _set_leading(watch: _Watch, leading: bool) -> None:
    if leading != watch.leading:
        watch.leading = leading
        LIVE_LEADING.inc() if leading else LIVE_LEADING.dec()
