"""The manifest of trusted documents: the operations an app ships, written when it is built.

Two formats are read: the Relay compiler's ``persistedQueries`` JSON (``{"<id>": "<text>"}``)
and Apollo's persisted-query manifest (``{"format": "apollo-persisted-query-manifest",
"version": 1, "operations": [{"id", "name", "type", "body"}]}``). Every document is parsed at
start-up, so a broken manifest stops the gateway instead of failing requests one by one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLSyntaxError, parse

APOLLO_FORMAT = "apollo-persisted-query-manifest"


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file and what is wrong."""


def _documents(manifest: Any) -> dict[str, str]:
    """Id → text of either format."""
    if isinstance(manifest, dict) and manifest.get("format") == APOLLO_FORMAT:
        if manifest.get("version") != 1:
            raise ManifestError("only version 1 of Apollo's manifest format is supported")
        operations = manifest.get("operations")
        if not isinstance(operations, list):
            raise ManifestError("`operations` must be an array")
        documents = {}
        for number, operation in enumerate(operations, start=1):
            if not (
                isinstance(operation, dict)
                and isinstance(operation.get("id"), str)
                and isinstance(operation.get("body"), str)
            ):
                raise ManifestError(f"operation {number} needs an `id` and a `body`, both strings")
            documents[operation["id"]] = operation["body"]
        return documents
    if isinstance(manifest, dict) and all(
        isinstance(key, str) and isinstance(text, str) for key, text in manifest.items()
    ):
        return dict(manifest)
    raise ManifestError(
        "expected Relay's persisted queries (an object of id to document text) or Apollo's "
        f'persisted-query manifest ("format": "{APOLLO_FORMAT}")'
    )


def trusted_documents(manifest: Any) -> Mapping[str, str]:
    """Each document's text by its id, and by its text's SHA-256 (the APQ hash) too."""
    documents = _documents(manifest)
    trusted = dict(documents)
    for document_id, text in documents.items():
        try:
            parse(text)
        except GraphQLSyntaxError as error:
            message = f"document {document_id!r} is not valid GraphQL: {error.message}"
            raise ManifestError(message) from None
        trusted.setdefault(hashlib.sha256(text.encode()).hexdigest(), text)
    return trusted


def load_trusted_documents(path: Path) -> Mapping[str, str]:
    """The trusted documents of the manifest at ``path``; ManifestError naming what is wrong."""
    try:
        manifest = orjson.loads(path.read_bytes())
    except OSError as error:
        raise ManifestError(f"cannot read {path}: {error.strerror}") from None
    except orjson.JSONDecodeError as error:
        raise ManifestError(f"{path} is not JSON: {error}") from None
    try:
        return trusted_documents(manifest)
    except ManifestError as error:
        raise ManifestError(f"{path}: {error}") from None
