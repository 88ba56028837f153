"""Parsing once per query text, with errors reported as they always are.

Strawberry's ``ParserCache`` parses inside its own hook, so a syntax error escapes the
parsing step and skips the post-processing that gives every error its ``extensions.code``
(see :mod:`gateway.schema.errors`). :class:`ParseCache` only hands Strawberry a document it
parsed before; a query it has not seen is parsed by Strawberry as without the cache, and
kept only if that succeeded. Reusing the same ``DocumentNode`` also lets the validation cache
and execution plans recognise a repeated operation by identity.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Generic, TypeAlias, TypeVar

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A bounded least-recently-used map, safe across threads, counting hits and misses:
    parsed documents here, execution plans in :mod:`gateway.schema.execution`."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


DocumentCache: TypeAlias = LRU[Hashable, DocumentNode]
"""Parsed documents by query text and parse options."""


class ParseCache(SchemaExtension):
    """Reuses the document of a query parsed before; lets Strawberry parse any other."""

    def __init__(self, documents: DocumentCache) -> None:
        super().__init__()
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None or context.query is None:
            yield
            return
        key = (context.query, tuple(sorted(context.parse_options.items())))
        cached = self.documents.get(key)
        context.graphql_document = cached
        yield
        if cached is None and context.graphql_document is not None:
            self.documents.put(key, context.graphql_document)
