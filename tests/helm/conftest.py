from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helm.helm_binary import HELM, HELM_VERSION, unsupported_platform

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "autopilot-gateway"
VALUES_ALL = Path(__file__).parent / "values-all.yaml"
# What every installation must set (the issuer and audience of tokens); renders include it.
VALUES_REQUIRED = Path(__file__).parent / "values-required.yaml"
REQUIRED = ("--values", str(VALUES_REQUIRED))
RELEASE = "autopilot-gateway"
NAMESPACE = "ml-platform"
# The newest Kubernetes the tests render for; the chart's minimum is checked separately.
KUBE_VERSION = "1.37.0"

Manifest = dict[str, Any]
Render = Callable[..., list[Manifest]]
RunHelm = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def chart_metadata() -> dict[str, Any]:
    """Chart.yaml: tests follow its version and appVersion as they are bumped."""
    metadata: dict[str, Any] = yaml.safe_load((CHART / "Chart.yaml").read_text())
    return metadata


@pytest.fixture(scope="session")
def project_version() -> str:
    """The gateway's version (pyproject.toml): the release the chart deploys by default."""
    version: str = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    return version


@pytest.fixture(scope="session")
def helm() -> Path:
    reason = unsupported_platform()
    if reason is not None:
        pytest.skip(reason)
    if not HELM.exists():
        pytest.fail(f"helm {HELM_VERSION} is not installed: run `make tools` (make test does)")
    return HELM


@pytest.fixture(scope="session")
def run_helm(helm: Path) -> RunHelm:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(helm), *args], capture_output=True, text=True, timeout=60, check=False
        )

    return run


@pytest.fixture(scope="session")
def render(run_helm: RunHelm) -> Render:
    """Renders the chart with the required values and extra `helm template` arguments; each
    set is rendered once."""
    rendered: dict[tuple[str, ...], list[Manifest]] = {}

    def render(*args: str) -> list[Manifest]:
        if args not in rendered:
            result = run_helm(
                *("template", RELEASE, str(CHART), "--namespace", NAMESPACE),
                *("--kube-version", KUBE_VERSION, *REQUIRED, *args),
            )
            assert result.returncode == 0, result.stderr
            rendered[args] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        return rendered[args]

    return render


@pytest.fixture(scope="session")
def default_manifests(render: Render) -> list[Manifest]:
    return render()


@pytest.fixture(scope="session")
def all_manifests(render: Render) -> list[Manifest]:
    return render("--values", str(VALUES_ALL))
