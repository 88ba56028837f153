"""SageMaker's NextToken values: opaque, tamper-evident and bound to the request they answer.

A token is ``base64url(payload) + "." + base64url(hmac)`` where the payload holds a format
version, a fingerprint of the request's binding (operation, account, region, job name, filters,
sort) and the offset of the next item. The HMAC key is random per store, so tokens are only valid
against the server that issued them, for the same query. Anything else — garbage, a tampered
token, a token from another query — is rejected, as AWS does, with a ValidationException.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping

from moto.sagemaker.exceptions import ValidationError

_VERSION = 1


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint(binding: Mapping[str, object]) -> str:
    canonical = json.dumps(binding, sort_keys=True, separators=(",", ":"), default=str)
    return _b64encode(hashlib.sha256(canonical.encode()).digest()[:18])


class InvalidNextToken(ValidationError):
    """A NextToken this codec did not issue for this query, answered as AWS does."""

    def __init__(self) -> None:
        super().__init__("Invalid pagination token: the token is not valid for this request.")


class NextTokenCodec:
    """Encodes list offsets as NextTokens, and decodes only the tokens it issued."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def encode(self, binding: Mapping[str, object], offset: int) -> str:
        payload = json.dumps(
            {"v": _VERSION, "q": _fingerprint(binding), "o": offset}, separators=(",", ":")
        ).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._mac(payload))}"

    def decode(self, token: str, binding: Mapping[str, object]) -> int:
        """The offset stored in ``token``; InvalidNextToken unless it was issued for ``binding``."""
        try:
            body, signature = token.split(".")
            payload = _b64decode(body)
            if not hmac.compare_digest(_b64decode(signature), self._mac(payload)):
                raise InvalidNextToken()
            data = json.loads(payload)
        except (ValueError, binascii.Error, UnicodeDecodeError) as error:
            raise InvalidNextToken() from error
        if not isinstance(data, dict):
            raise InvalidNextToken()
        offset = data.get("o")
        if (
            data.get("v") != _VERSION
            or data.get("q") != _fingerprint(binding)
            or not isinstance(offset, int)
            or isinstance(offset, bool)
            or offset < 1
        ):
            raise InvalidNextToken()
        return offset
