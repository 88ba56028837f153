"""The lock (requirements/*.txt) agrees with pyproject.toml, so installs never resolve.

`make install`, CI and the Dockerfile install only from the lock with `--require-hashes`; a
requirement added to pyproject.toml without `make lock` would otherwise fail on a fresh
machine only.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, str]:
    text = (REPO / "requirements" / lock).read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def requirements(*extras: str) -> list[Requirement]:
    """The project's requirements (with these extras, followed through self-references)."""
    project = PYPROJECT["project"]
    found = [Requirement(text) for text in project["dependencies"]]
    found += [Requirement(text) for text in PYPROJECT["build-system"]["requires"]]
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in project["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == PROJECT:
                pending += sorted(requirement.extras)
            else:
                found.append(requirement)
    return [r for r in found if r.marker is None or r.marker.evaluate({"extra": ""})]


def unsatisfied(locked: dict[str, str], wanted: list[Requirement]) -> list[str]:
    problems = []
    for requirement in wanted:
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement} is locked at {version}")
    return problems


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("main.txt", ()), ("dev.txt", tuple(PYPROJECT["project"]["optional-dependencies"]))],
)
def test_lock_satisfies_pyproject(lock: str, extras: tuple[str, ...]) -> None:
    assert unsatisfied(pins(lock), requirements(*extras)) == [], "run `make lock`"


def test_image_lock_pins_the_same_versions_as_the_dev_lock() -> None:
    main, dev = pins("main.txt"), pins("dev.txt")
    assert {
        name: (version, dev.get(name)) for name, version in main.items() if dev.get(name) != version
    } == {}


@pytest.mark.parametrize("lock", ["main.txt", "dev.txt"])
def test_every_pin_has_a_hash(lock: str) -> None:
    text = (REPO / "requirements" / lock).read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
    assert unhashed == []
    assert PROJECT not in pins(lock), "the project itself is installed from the checkout"


def test_unsatisfied_reports_missing_and_outdated_pins() -> None:
    wanted = [Requirement("orjson>=99"), Requirement("not-a-locked-package")]
    assert unsatisfied(pins("dev.txt"), wanted) == [
        f"orjson>=99 is locked at {pins('dev.txt')['orjson']}",
        "not-a-locked-package is not in the lock",
    ]
