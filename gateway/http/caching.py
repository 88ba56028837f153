"""HTTP caching of GET operations: an ETag of the answer's bytes, and how long it stays valid.

A GET operation's answer may be kept by the browser for as long as the result cache keeps the
result (``Cache-Control: private, max-age=<seconds left>``), and revalidated after that with
``If-None-Match``: the ETag is the hash of the very bytes the result cache holds, so the view
can answer 304 from the cache alone, without running the operation or calling SageMaker.
Anything else (POSTs, errors, batches) is ``no-store``.
"""

from __future__ import annotations

import hashlib
import math

NO_STORE = "no-store"


def entity_tag(body: bytes) -> str:
    """A strong ETag: the same bytes give the same tag, on every replica."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def cache_control(seconds_valid: float) -> str:
    """``private``: answers depend on the caller, so shared caches must not keep them."""
    if seconds_valid < 1:
        return "private, no-cache"
    return f"private, max-age={math.floor(seconds_valid)}"


def validity(tag: str, seconds_valid: float) -> dict[str, str]:
    """The headers of a GET operation's answer. ``Vary: Authorization``: a browser signed in
    anew, as someone else, must not be handed the previous caller's answer."""
    return {"etag": tag, "cache-control": cache_control(seconds_valid), "vary": "Authorization"}


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``tag`` (weakly, as RFC 9110 asks for GET)."""
    if if_none_match is None:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False
