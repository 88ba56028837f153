"""tests/system_packages.py and scripts/install-system-packages, the one step that installs
what tests drive for real.

The script runs with a PATH of stubs only (dpkg-query, and apt-get where a test wants one), so
these tests never install anything or need the network.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.browser.test_graphiql_browser import CHROMIUM_PACKAGE
from tests.system_packages import FORBID_MISSING, require

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "install-system-packages"
MISSING = Path("/nonexistent/bin/no-such-tool")


def test_require_returns_an_installed_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORBID_MISSING, "1")
    assert require("bash", Path("/bin/sh")) == Path("/bin/sh")


def test_require_skips_naming_the_package_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FORBID_MISSING, raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require("no-such-package", MISSING)
    assert "Debian package no-such-package is missing" in str(skipped.value)
    assert "make system-packages" in str(skipped.value)


def test_require_fails_instead_where_ci_forbids_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORBID_MISSING, "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        require("no-such-package", MISSING)
    assert "Debian package no-such-package is missing" in str(failed.value)
    assert "make system-packages" in str(failed.value)


def test_require_does_not_take_a_directory_for_a_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FORBID_MISSING, raising=False)
    with pytest.raises(pytest.skip.Exception):
        require("coreutils", Path("/usr/bin"))


# The script, against stubs


def stub(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)


def run_script(
    tmp_path: Path, *, installed: bool, apt: bool
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The script with dpkg-query reporting every package installed or none, and a logging
    apt-get when ``apt``; returns its run and the apt-get commands it made."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    stub(bin_dir / "dpkg-query", "echo installed" if installed else "exit 1")
    if apt:
        stub(bin_dir / "apt-get", f'echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> {log}')
    done = subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done, log.read_text().splitlines() if log.exists() else []


def test_script_is_silent_when_everything_is_installed(tmp_path: Path) -> None:
    done, apt = run_script(tmp_path, installed=True, apt=True)
    assert (done.returncode, done.stdout, done.stderr, apt) == (0, "", "", [])


def test_script_names_what_to_install_where_it_cannot(tmp_path: Path) -> None:
    """Without apt-get (or root, or Debian) it explains, and `make test` goes on to skip."""
    done, _ = run_script(tmp_path, installed=False, apt=False)
    assert done.returncode == 0, done.stderr
    named = done.stderr.partition("Missing Debian packages: ")[2].split(" (")[0].split()
    assert CHROMIUM_PACKAGE in named
    assert f"apt-get install --no-install-recommends {' '.join(named)}" in done.stderr
    assert "skipped" in done.stderr


@pytest.mark.skipif(
    not (Path("/etc/debian_version").exists() and os.geteuid() == 0),
    reason="the script installs only on Debian, as root",
)
def test_script_installs_what_is_missing_with_apt(tmp_path: Path) -> None:
    done, apt = run_script(tmp_path, installed=False, apt=True)
    assert done.returncode == 0, done.stderr
    update, install = apt
    assert update == "DEBIAN_FRONTEND= update"
    options = "DEBIAN_FRONTEND=noninteractive install -y --no-install-recommends "
    assert install.startswith(options)
    assert CHROMIUM_PACKAGE in install.removeprefix(options).split()
