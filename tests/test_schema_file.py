from __future__ import annotations

from pathlib import Path

from gateway.schema import build_schema

SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"


def test_schema_graphql_is_up_to_date() -> None:
    """schema.graphql is what clients generate code from; `make schema` regenerates it."""
    assert SCHEMA_FILE.read_text() == build_schema().as_str() + "\n"
