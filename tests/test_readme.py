"""The README is part of the contract: its settings and examples must match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.settings import Settings
from tests.gateway_server import GraphQLClient

README = (Path(__file__).parent.parent / "README.md").read_text()
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README, flags=re.S)


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"| `GATEWAY_{name.upper()}` |" in README, name


@pytest.mark.parametrize("query", EXAMPLES)
def test_example_queries_run_on_the_demo_data(gateway: GraphQLClient, query: str) -> None:
    data = gateway.data(query)
    assert all(value is not None for value in data.values())


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 2
