"""System binaries that some tests drive for real, from Debian packages.

`make system-packages` (scripts/install-system-packages) installs them; tests never do, so a
test run has no side effects on the machine. A test whose binary is missing skips, naming the
package; CI sets GATEWAY_TESTS_FORBID_MISSING_PACKAGES=1 so that it fails instead, and CI can
never pass without running those tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FORBID_MISSING = "GATEWAY_TESTS_FORBID_MISSING_PACKAGES"


def require(package: str, path: Path) -> Path:
    """The binary at ``path`` from Debian's ``package``; skips (or, in CI, fails) without it."""
    if path.is_file() and os.access(path, os.X_OK):
        return path
    reason = f"needs {path}: Debian package {package} is missing; run `make system-packages`"
    if os.environ.get(FORBID_MISSING) == "1":
        pytest.fail(f"{reason} ({FORBID_MISSING}=1 forbids skipping)", pytrace=False)
    pytest.skip(reason)
