"""GraphiQL in a real browser: headless Chromium, with nothing reachable but the gateway.

Chromium is Debian's package, driven by npm's playwright-core (installed by `make assets`);
no tool downloads a browser of its own. The test never installs it: `make system-packages`
does, and without it the test skips (in CI, fails).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.gateway_server import GraphQLClient
from tests.system_packages import require

pytestmark = pytest.mark.browser

CHROMIUM_PACKAGE = "chromium"
CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).parent.parent.parent
SCRIPT = Path(__file__).parent / "graphiql.mjs"


@pytest.fixture(scope="session")
def chromium() -> Path:
    return require(CHROMIUM_PACKAGE, CHROMIUM)


@pytest.fixture(scope="session")
def node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is needed to drive the browser")
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed: run `make assets`")
    return node


@pytest.fixture(scope="module")
def browser_run(gateway: GraphQLClient, chromium: Path, node: str) -> dict[str, Any]:
    """One run of graphiql.mjs against the shared gateway: what the browser saw."""
    url = str(gateway.http.base_url)
    done = subprocess.run(
        [node, str(SCRIPT), url, str(chromium)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["error"] is None, report
    return report


def test_nothing_is_fetched_from_another_origin(browser_run: dict[str, Any]) -> None:
    assert browser_run["offOriginRequests"] == []


def test_no_csp_violation_and_no_console_error(browser_run: dict[str, Any]) -> None:
    assert browser_run["cspViolations"] == []
    assert browser_run["consoleErrors"] == []
    assert browser_run["pageErrors"] == []
    assert browser_run["failedResponses"] == []


def test_example_query_shows_the_leaderboard(
    browser_run: dict[str, Any], sagemaker_client: Any
) -> None:
    best = sagemaker_client.list_candidates_for_auto_ml_job(
        AutoMLJobName="customer-churn-xgb",
        SortBy="FinalObjectiveMetricValue",
        SortOrder="Descending",
        MaxResults=10,
    )["Candidates"]
    shown = json.loads(browser_run["result"])["data"]["candidates"]["edges"]
    assert [edge["node"]["candidateName"] for edge in shown] == [
        candidate["CandidateName"] for candidate in best
    ]


def test_bearer_token_from_the_headers_editor_is_sent(browser_run: dict[str, Any]) -> None:
    assert browser_run["authorizationSent"] == [f"Bearer {browser_run['token']}"]


def test_headers_are_not_persisted(browser_run: dict[str, Any]) -> None:
    assert browser_run["storage"]
    assert browser_run["token"] not in browser_run["storage"]


def test_dialogs_and_explorer_open(browser_run: dict[str, Any]) -> None:
    assert browser_run["settingsDialogShown"]
    assert browser_run["explorerShown"]
