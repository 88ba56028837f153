"""The trusted documents' manifest: both formats read, anything else refused at start-up with
a message naming the file and what is wrong."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.app import create_app
from gateway.http.manifests import ManifestError, load_trusted_documents, trusted_documents
from gateway.settings import Settings

STATUS = '{ autoMLJob(name: "a") { autoMLJobStatus } }'
DIGEST = hashlib.sha256(STATUS.encode()).hexdigest()


def test_relays_persisted_queries_are_read_by_id_and_by_hash() -> None:
    assert trusted_documents({"abc": STATUS}) == {"abc": STATUS, DIGEST: STATUS}


def test_apollos_manifest_is_read_by_id() -> None:
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": DIGEST, "name": None, "type": "query", "body": STATUS}],
    }
    assert trusted_documents(manifest) == {DIGEST: STATUS}


@pytest.mark.parametrize(
    ("manifest", "fragment"),
    [
        ([STATUS], "expected Relay's persisted queries"),
        ({"abc": 1}, "expected Relay's persisted queries"),
        ({"format": "apollo-persisted-query-manifest", "version": 2}, "only version 1"),
        ({"format": "apollo-persisted-query-manifest", "version": 1}, "`operations` must be"),
        (
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": 1}]},
            "operation 1 needs an `id` and a `body`",
        ),
        ({"abc": "{ nope "}, "document 'abc' is not valid GraphQL"),
    ],
)
def test_unusable_manifests_say_why(manifest: object, fragment: str) -> None:
    with pytest.raises(ManifestError) as raised:
        trusted_documents(manifest)
    assert fragment in str(raised.value)


def test_a_missing_or_broken_file_stops_the_gateway(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(ManifestError, match=r"cannot read .*missing\.json"):
        load_trusted_documents(missing)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ManifestError, match=r"broken\.json is not JSON"):
        load_trusted_documents(broken)
    with pytest.raises(ValueError, match=r"missing\.json"):
        create_app(Settings(auth_mode="none", trusted_documents=str(missing)))


def test_the_manifest_is_read_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"abc": STATUS}))
    create_app(Settings(auth_mode="none", trusted_documents=str(path)))


def test_trusted_only_needs_a_manifest() -> None:
    with pytest.raises(ValidationError, match="trusted_documents_only needs GATEWAY_TRUSTED_DOC"):
        Settings(auth_mode="none", trusted_documents_only=True)


def test_serve_refuses_a_broken_manifest_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "operations.json"
    broken.write_text('{"abc": "{ nope "}')
    env = {**os.environ, "GATEWAY_AUTH_MODE": "none", "GATEWAY_TRUSTED_DOCUMENTS": str(broken)}
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Invalid configuration: GATEWAY_TRUSTED_DOCUMENTS:" in result.stderr
    assert "document 'abc' is not valid GraphQL" in result.stderr
    assert "Traceback" not in result.stderr
