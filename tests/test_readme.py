"""The README is part of the contract: its settings and examples must match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gateway.settings import Settings
from tests.gateway_server import GraphQLClient

README = (Path(__file__).parent.parent / "README.md").read_text()
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README, flags=re.S)


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"| `GATEWAY_{name.upper()}` |" in README, name


def subscription_data(gateway: GraphQLClient, query: str) -> list[dict[str, Any]]:
    """The data of every message of a subscription, over SSE (graphql-sse)."""
    messages = []
    with gateway.http.stream(
        "POST", "/graphql", json={"query": query}, headers={"accept": "text/event-stream"}
    ) as response:
        for line in response.iter_lines():
            if line.startswith("data:") and line.strip() != "data:":
                message = json.loads(line.removeprefix("data:"))
                assert "errors" not in message, message
                messages.append(message["data"])
    return messages


@pytest.mark.parametrize("query", EXAMPLES)
def test_example_queries_run_on_the_demo_data(gateway: GraphQLClient, query: str) -> None:
    if query.startswith("subscription"):
        messages = subscription_data(gateway, query)  # the demo jobs have finished
        assert len(messages) == 1 and all(v is not None for v in messages[0].values())
        return
    data = gateway.data(query)
    assert all(value is not None for value in data.values())


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 2


LAYOUT = re.findall(r"^\| `(gateway/[^`]*)` \| (.*) \|$", README, flags=re.M)
GATEWAY = Path(__file__).parent.parent / "gateway"


def test_the_layout_names_every_module_and_only_modules_that_exist() -> None:
    listed = {path for path, _ in LAYOUT}
    assert all((GATEWAY.parent / path).exists() for path in listed), listed
    top = {
        f"gateway/{p.name}" + ("/" if p.is_dir() else "")
        for p in GATEWAY.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
    }
    assert top == listed


@pytest.mark.parametrize("package", ["http", "schema", "sagemaker", "local"])
def test_the_layout_names_each_module_of_a_package(package: str) -> None:
    (what,) = [what for path, what in LAYOUT if path == f"gateway/{package}/"]
    named = set(re.findall(r"`(\w+)`", what)) & {
        "errors",
        *(m.stem for m in GATEWAY.glob("*/*.py")),
    }
    modules = {m.stem for m in (GATEWAY / package).glob("*.py")} - {"__init__"}
    assert named >= modules, f"modules missing from the README's layout: {modules - named}"
