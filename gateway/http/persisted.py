"""Persisted operations: Apollo's automatic persisted queries (APQ) and trusted documents.

APQ lets a client send the SHA-256 hash of a query instead of its text
(``extensions.persistedQuery.sha256Hash``): an unknown hash is answered with
``PERSISTED_QUERY_NOT_FOUND``, and the client sends the text once with its hash, which the
gateway checks and keeps in the result cache's store (shared by every replica when the store
is). Trusted documents are the operations an app ships, from a manifest written at build
time (see :mod:`gateway.http.manifests`); a request names one by ``documentId`` (Relay's
``doc_id`` or ``id``) or by its APQ hash. With ``trusted_only``, nothing else runs:
any other operation is refused with ``PERSISTED_QUERY_NOT_ALLOWED``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from gateway.cache import Cache
from gateway.http.errors import RequestError
from gateway.http.operations import Operation

APQ_TTL_SECONDS = 86_400.0
"""How long a registered query is kept (less when the store needs the room)."""

SHA256 = re.compile(r"[0-9a-f]{64}")

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
"""Apollo Client's persisted-queries link matches this exact message to send the text."""


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq_key(digest: str) -> str:
    return "apq\x00" + digest


def not_allowed() -> RequestError:
    return RequestError(
        "This gateway runs only its trusted documents: send the operation's document id "
        "(`documentId`) from the app's persisted-operations manifest instead of its text.",
        code="PERSISTED_QUERY_NOT_ALLOWED",
    )


def requested_hash(extensions: Mapping[str, Any] | None) -> str | None:
    """The ``sha256Hash`` of an APQ request, checked for shape; None without one."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    expected = (
        '`extensions.persistedQuery` must be {"version": 1, "sha256Hash": "<the SHA-256 '
        'of the query, in lowercase hex>"}'
    )
    if not isinstance(persisted, dict):
        raise RequestError(f"{expected}.")
    version = persisted.get("version")
    if type(version) is not int or version != 1:
        raise RequestError(f"{expected}: only version 1 of persisted queries is supported.")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not SHA256.fullmatch(digest.lower()):
        raise RequestError(f"{expected}: `sha256Hash` is not 64 hexadecimal digits.")
    return digest.lower()


class PersistedOperations:
    """Fills in the query text of persisted operations, and refuses what may not run."""

    def __init__(
        self, store: Cache, trusted: Mapping[str, str], *, trusted_only: bool = False
    ) -> None:
        """``trusted`` maps each document id (and each text's SHA-256) to its text."""
        self._store = store
        self._trusted = trusted
        self._trusted_only = trusted_only

    @property
    def trusted_only(self) -> bool:
        return self._trusted_only

    def is_persisted(self, operation: Operation) -> bool:
        """Whether the operation names a document instead of (or besides) sending it."""
        return operation.document_id is not None or "persistedQuery" in (operation.extensions or {})

    async def resolve(self, operation: Operation) -> Operation:
        """The operation with the text it runs; a RequestError if it may not run."""
        digest = requested_hash(operation.extensions)
        if operation.document_id is not None:
            text = self._trusted.get(operation.document_id)
            if text is None:
                raise RequestError(
                    f"No trusted document has the id {operation.document_id!r}: the app and "
                    "the gateway's manifest are from different builds.",
                    code="PERSISTED_QUERY_NOT_FOUND",
                )
            return dataclasses.replace(operation, query=text)
        if digest is not None:
            return await self._by_hash(operation, digest)
        if self._trusted_only and (
            operation.query is None or sha256_hex(operation.query) not in self._trusted
        ):
            raise not_allowed()
        return operation

    async def _by_hash(self, operation: Operation, digest: str) -> Operation:
        trusted = self._trusted.get(digest)
        if operation.query is None:
            if trusted is not None:
                return dataclasses.replace(operation, query=trusted)
            stored = None if self._trusted_only else await self._store.get(apq_key(digest))
            if stored is None:
                raise RequestError(NOT_FOUND_MESSAGE, status=200, code="PERSISTED_QUERY_NOT_FOUND")
            return dataclasses.replace(operation, query=str(stored.value))
        if sha256_hex(operation.query) != digest:
            raise RequestError(
                "The query's SHA-256 hash is not the `sha256Hash` of "
                "`extensions.persistedQuery`: hash the exact text sent, in UTF-8."
            )
        if trusted is None:
            if self._trusted_only:
                raise not_allowed()
            size = len(operation.query.encode())
            await self._store.set(apq_key(digest), operation.query, ttl=APQ_TTL_SECONDS, size=size)
        return operation
