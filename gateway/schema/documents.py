"""Parsing once per query text, with errors reported as they always are.

Strawberry's ``ParserCache`` parses inside its own hook, so a syntax error escapes the
parsing step and skips the post-processing that gives every error its ``extensions.code``
(see :mod:`gateway.schema.errors`). :class:`ParseCache` only hands Strawberry a document it
parsed before; a query it has not seen is parsed by Strawberry as without the cache, and
kept only if that succeeded. Reusing the same ``DocumentNode`` also lets the validation cache
and execution plans recognise a repeated operation by identity.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension


class DocumentCache:
    """A bounded LRU of parsed documents by query text and parse options."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._documents: OrderedDict[Hashable, DocumentNode] = OrderedDict()

    def get(self, key: Hashable) -> DocumentNode | None:
        document = self._documents.get(key)
        if document is None:
            self.misses += 1
            return None
        self.hits += 1
        self._documents.move_to_end(key)
        return document

    def put(self, key: Hashable, document: DocumentNode) -> None:
        self._documents[key] = document
        self._documents.move_to_end(key)
        while len(self._documents) > self.maxsize:
            self._documents.popitem(last=False)

    def __len__(self) -> int:
        return len(self._documents)


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
