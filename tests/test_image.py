"""The image itself: built from the Dockerfile by scripts/build-image and run with podman as the
Helm chart runs the pod, against the local SageMaker on the host.

Where no registry can be reached, the build makes stand-in base images from Debian's packages
(scripts/stand-in-base-images, kept in podman's store under the hash of its recipe) and says
so. The build itself is offline (`--offline`): pip and npm install what `make install` and
`make assets` downloaded, so no test reaches a package index.

The container runs with the chart's security context: read-only root filesystem with only /tmp
writable, UID/GID 10001, every capability dropped, no new privileges. It shares the host's
network (the build and the machines this runs on have no other), bound to 127.0.0.1 on a free
port, so it reaches the local SageMaker at its loopback address.

On a fresh machine this file takes about two minutes (the stand-ins, then the build); later
runs reuse the stand-ins and podman's layer cache.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import resource
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.utils import canonicalize_name

from gateway.local.server import LocalSageMaker
from tests.dockerfile import parse
from tests.system_packages import require
from tests.test_dockerfile import COMPILERS, FORBIDDEN_DISTRIBUTIONS

pytestmark = [pytest.mark.deployment, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = parse((REPO / "Dockerfile").read_text())
CHART_VALUES = yaml.safe_load((REPO / "helm" / "autopilot-gateway" / "values.yaml").read_text())
STAND_IN_LABEL = "org.autopilot-gateway.stand-in"
# The stand-ins' cache key: the hash of the script that makes them, which holds their recipe.
RECIPE = hashlib.sha256((REPO / "scripts" / "stand-in-base-images").read_bytes()).hexdigest()[:16]
# What the image's own layers (above its base image) may weigh.
MAX_OWN_MEGABYTES = 250
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Podman:
    binary: Path

    def run_flags(self) -> list[str]:
        """What this host needs to run a container: runc (crun refuses hybrid cgroups) and
        limits within the host's hard limits; the same as scripts/build-image's."""
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        return [
            "--runtime=runc",
            "--network=host",
            f"--ulimit=nofile={nofile}:{nofile}",
            "--ulimit=nproc=4096:4096",
        ]

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.binary), *args], capture_output=True, text=True, timeout=timeout, check=False
        )

    def inspect(self, image: str) -> dict[str, Any]:
        done = self("image", "inspect", image)
        assert done.returncode == 0, done.stderr
        (found,) = json.loads(done.stdout)
        return dict(found)


@pytest.fixture(scope="module")
def podman() -> Podman:
    require("runc", Path("/usr/sbin/runc"))
    require("mmdebstrap", Path("/usr/bin/mmdebstrap"))
    return Podman(require("podman", Path("/usr/bin/podman")))


def stand_in(podman: Podman, image: str) -> str:
    """The recipe hash of a stand-in base image; empty for a real one."""
    return str((podman.inspect(image).get("Labels") or {}).get(STAND_IN_LABEL, ""))


def report(config: pytest.Config, line: str) -> None:
    """A line in pytest's own output, captured or not: what the build did, what it weighs."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"[image] {line}")


@pytest.fixture(scope="module")
def image(podman: Podman, pytestconfig: pytest.Config) -> Iterator[str]:
    """The image, built by `make image`'s script with podman, offline: the locked wheels of
    .cache/wheels and the packages of npm's cache, as `make install` and `make assets` left
    them. Removed afterwards; the stand-ins and the layer cache stay for the next run."""
    tag = f"localhost/autopilot-gateway:test-{uuid.uuid4().hex[:12]}"
    started = time.monotonic()
    built = subprocess.run(
        ["scripts/build-image", "--tag", tag, "--offline"],
        cwd=REPO,
        env={**os.environ, "CONTAINER_ENGINE": "podman"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, f"{built.stdout[-6000:]}\n{built.stderr[-6000:]}"
    said = [
        line
        for line in built.stdout.splitlines()
        if line.startswith(("base image:", "stand-in base image:", "image:"))
    ]
    for line in said:
        report(pytestconfig, line)
    report(pytestconfig, f"build step: {time.monotonic() - started:.0f} s")
    for base in {stage.base for stage in DOCKERFILE.stages}:
        assert any(line.startswith(f"base image: {base}") for line in said), (base, said)
        if stand_in(podman, base):
            # Made or reused, and said so: the one of the current recipe.
            assert stand_in(podman, base) == RECIPE, f"{base} is a stand-in of another recipe"
            assert any(
                re.match(rf"stand-in base image: (made|reusing) \S+-{RECIPE} for {base}\b", line)
                for line in said
            ), said
    try:
        yield tag
    finally:
        podman("rmi", "--force", tag)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def mebibytes(quantity: str) -> int:
    """A Kubernetes memory quantity in Mi or Gi as bytes."""
    match = re.fullmatch(r"(\d+)(Mi|Gi)", quantity)
    assert match is not None, f"teach mebibytes() the quantity {quantity}"
    return int(match[1]) * {"Mi": 2**20, "Gi": 2**30}[match[2]]


def pod_flags() -> list[str]:
    """The chart's pod and container security contexts as podman's flags."""
    pod, container = CHART_VALUES["podSecurityContext"], CHART_VALUES["securityContext"]
    assert container["readOnlyRootFilesystem"] and not container["allowPrivilegeEscalation"]
    assert not container["privileged"]
    assert container["seccompProfile"]["type"] == "RuntimeDefault"  # podman's default profile
    return [
        f"--user={container['runAsUser']}:{container['runAsGroup']}",
        f"--group-add={pod['fsGroup']}",
        # Only /tmp is writable, as the chart's emptyDir: podman's --read-only would otherwise
        # also mount writable /run and /var/tmp.
        "--read-only",
        "--read-only-tmpfs=false",
        f"--tmpfs=/tmp:rw,size={mebibytes(CHART_VALUES['tmpSizeLimit'])},mode=1777",
        *(f"--cap-drop={capability}" for capability in container["capabilities"]["drop"]),
        "--security-opt=no-new-privileges",
    ]


@dataclass
class Container:
    name: str
    port: int
    process: subprocess.Popen[str]
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def drain(self) -> None:
        """Collects the container's output on threads, so that it never blocks on a pipe."""
        for stream, lines in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            assert stream is not None
            threading.Thread(target=lambda s=stream, o=lines: o.extend(s), daemon=True).start()

    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def graphql(
    url: str, query: str, variables: dict[str, Any] | None = None, request_id: str = ""
) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"Content-Type": "application/json"}
    if request_id:
        headers["X-Request-ID"] = request_id
    request = urllib.request.Request(f"{url}/graphql", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read())


@contextmanager
def running(
    podman: Podman, image: str, local_sagemaker: LocalSageMaker, **settings: str
) -> Iterator[Container]:
    """The image's ENTRYPOINT in a container run as the chart runs the pod, until it answers
    /healthz. Bound to 127.0.0.1 (later flags win over the ENTRYPOINT's), on the host's network."""
    name = f"gateway-image-test-{uuid.uuid4().hex[:12]}"
    port = free_port()
    environment = {
        "GATEWAY_AUTH_MODE": "none",
        "GATEWAY_SAGEMAKER_ENDPOINT_URL": local_sagemaker.endpoint_url,
        "GATEWAY_AWS_REGION": local_sagemaker.region,
        "GATEWAY_SHUTDOWN_GRACE_SECONDS": str(CHART_VALUES["config"]["shutdownGraceSeconds"]),
        "AWS_ACCESS_KEY_ID": "image-test",
        "AWS_SECRET_ACCESS_KEY": "image-test",
        "AWS_EC2_METADATA_DISABLED": "true",
        **settings,
    }
    command = [
        str(podman.binary),
        "run",
        f"--name={name}",
        *podman.run_flags(),
        *pod_flags(),
        # The HEALTHCHECK is run by test_healthcheck_is_kept_and_answers; podman would need
        # systemd timers for its own.
        "--no-healthcheck",
        *(f"--env={key}={value}" for key, value in environment.items()),
        image,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    container = Container(name, port, process)
    container.drain()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if get(f"{container.url}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the container did not start:\n{container.output()}")
            time.sleep(0.2)
        yield container
    finally:
        podman("rm", "--force", "--time=0", name)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def gateway_container(
    podman: Podman, image: str, local_sagemaker: LocalSageMaker
) -> Iterator[Container]:
    with running(podman, image, local_sagemaker) as container:
        yield container


# What it answers

UNWRITABLE = ("/probe", "/opt/gateway/probe", "/var/tmp/probe", "/run/probe")
WRITE_PROBE = """\
import json, os, sys
written = {}
for path in ["/tmp/probe", *sys.argv[1:]]:
    try:
        with open(path, "w") as file:
            file.write("probe")
        written[path] = 0
    except OSError as error:
        written[path] = error.errno
with open("/proc/self/status") as file:
    status = dict(line.split(":\\t", 1) for line in file.read().splitlines() if ":\\t" in line)
print(json.dumps({
    "written": written, "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "status": {key: status[key].strip() for key in ("CapEff", "NoNewPrivs")},
}))
"""


def test_it_runs_read_only_as_the_charts_user(podman: Podman, gateway_container: Container) -> None:
    """The settings of the run hold inside it: no file may be written outside /tmp, and the
    process has the chart's IDs and no capability."""
    done = podman("exec", gateway_container.name, "python", "-c", WRITE_PROBE, *UNWRITABLE)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    # EROFS everywhere but /tmp, the chart's IDs, no capability, no way to gain privileges.
    assert found["written"] == {"/tmp/probe": 0, **dict.fromkeys(UNWRITABLE, errno.EROFS)}
    assert (found["uid"], found["gid"]) == (10001, 10001)
    assert 10001 in found["groups"]
    assert found["status"] == {"CapEff": "0000000000000000", "NoNewPrivs": "1"}


def test_health_and_readiness(gateway_container: Container) -> None:
    status, _, body = get(f"{gateway_container.url}/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, _, body = get(f"{gateway_container.url}/readyz")
    assert (status, json.loads(body)["status"]) == (200, "ready")


def test_it_serves_a_page_of_candidates(
    gateway_container: Container, sagemaker_client: Any, big_job: str
) -> None:
    status, body = graphql(
        gateway_container.url,
        "query ($job: String!) { candidates(jobName: $job, first: 10) {"
        " edges { node { candidateName } } pageInfo { hasNextPage } } }",
        {"job": big_job},
    )
    assert status == 200 and "errors" not in body, body
    expected = sagemaker_client.list_candidates_for_auto_ml_job(
        AutoMLJobName=big_job, MaxResults=10
    )
    page = body["data"]["candidates"]
    assert [edge["node"]["candidateName"] for edge in page["edges"]] == [
        candidate["CandidateName"] for candidate in expected["Candidates"]
    ]
    assert page["pageInfo"]["hasNextPage"] is True


def test_it_serves_graphiql_from_its_own_files(gateway_container: Container) -> None:
    status, headers, page = get(f"{gateway_container.url}/graphql", {"Accept": "text/html"})
    assert status == 200 and headers["content-type"].startswith("text/html")
    bundle = re.search(r'src="/?(graphiql/[0-9a-f]+/graphiql\.min\.js)"', page.decode())
    assert bundle is not None, page[:2000]
    status, headers, script = get(f"{gateway_container.url}/{bundle.group(1)}")
    assert status == 200 and "javascript" in headers["content-type"]
    assert len(script) > 100_000


def test_it_logs_json_lines_on_stdout(gateway_container: Container) -> None:
    request_id = f"image-test-{uuid.uuid4().hex[:8]}"
    status, _ = graphql(gateway_container.url, "{ __typename }", request_id=request_id)
    assert status == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(request_id in line for line in gateway_container.stdout):
            break
        time.sleep(0.1)
    records = []
    for line in list(gateway_container.stdout):
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON log line on stdout: {line!r}")
    assert {"time", "level", "logger", "message", "request_id"} <= set(records[0])
    assert any(record["request_id"] == request_id for record in records), records[-5:]
    assert any(record["message"] == "Application startup complete." for record in records)


def test_healthcheck_is_kept_and_answers(
    podman: Podman, image: str, gateway_container: Container
) -> None:
    """Built in Docker's format, the image keeps the Dockerfile's HEALTHCHECK; its command
    passes against the gateway and fails where nothing answers."""
    found = podman.inspect(image)
    healthcheck = found.get("Healthcheck") or found["Config"].get("Healthcheck")
    assert healthcheck is not None, "the image lost its HEALTHCHECK (built in OCI format?)"
    kind, *command = healthcheck["Test"]
    assert kind == "CMD"
    assert command == DOCKERFILE.final.only("HEALTHCHECK").command()

    def check(port: int) -> int:
        moved = [word.replace("127.0.0.1:8000/", f"127.0.0.1:{port}/") for word in command]
        assert moved != command, "the HEALTHCHECK no longer asks 127.0.0.1:8000"
        return podman("exec", gateway_container.name, *moved, timeout=60).returncode

    assert check(gateway_container.port) == 0
    assert check(free_port()) != 0


# What is inside

INVENTORY = """\
import json, os, shutil, sys
owned, metadata, packages = [], [], []
for top, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(top, d) not in ("/proc", "/sys", "/dev", "/tmp")]
    for name in dirs + files:
        path = os.path.join(top, name)
        info = os.lstat(path)
        if 10001 in (info.st_uid, info.st_gid):
            owned.append(path)
    if top.endswith(("site-packages", "dist-packages")):
        metadata += [d for d in dirs if d.endswith((".dist-info", ".egg-info"))]
        packages += [d for d in dirs if d in ("pip", "setuptools", "wheel", "moto")]
path = os.environ["PATH"] + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
found = {c: shutil.which(c, path=path) for c in sys.argv[1:]}
print(json.dumps({"owned": owned, "metadata": metadata, "packages": packages, "found": found}))
"""


def test_inside_there_is_nothing_to_install_or_build_with(podman: Podman, image: str) -> None:
    """No pip, setuptools, compilers, moto or test tools anywhere in the image (the base's own
    Python included), and nothing outside /tmp the gateway's user could change."""
    done = podman(
        "run",
        "--rm",
        *podman.run_flags(),
        "--user=0",
        "--entrypoint=python",
        image,
        "-c",
        INVENTORY,
        *COMPILERS,
        "pip",
        "pip3",
    )
    assert done.returncode == 0, done.stderr
    inventory = json.loads(done.stdout)
    assert inventory["owned"] == [], "owned by the gateway's user outside /tmp"
    installed = {canonicalize_name(name.split("-")[0]) for name in inventory["metadata"]}
    assert canonicalize_name("strawberry-graphql") in installed, "the inventory missed the venv"
    assert not installed & FORBIDDEN_DISTRIBUTIONS
    assert inventory["packages"] == []
    assert {command: path for command, path in inventory["found"].items() if path} == {}


def test_image_is_small_and_runs_as_the_gateways_user(
    podman: Podman, image: str, pytestconfig: pytest.Config
) -> None:
    built = podman.inspect(image)
    assert built["Config"]["User"] == "10001:10001"
    base = podman.inspect(DOCKERFILE.final.base)
    own = built["Size"] - base["Size"]
    report(
        pytestconfig,
        f"size: {built['Size'] / 1e6:.0f} MB, of which {own / 1e6:.0f} MB are the image's own"
        f" layers over {DOCKERFILE.final.base} ({base['Size'] / 1e6:.0f} MB"
        f"{', a stand-in' if stand_in(podman, DOCKERFILE.final.base) else ''})",
    )
    assert own < MAX_OWN_MEGABYTES * 1e6


# Stopping


def test_sigterm_lets_requests_in_flight_finish(
    podman: Podman, image: str, local_sagemaker: LocalSageMaker, demo_jobs: list[str]
) -> None:
    """SIGTERM under requests in flight, as Kubernetes stops a pod: they all complete, and the
    container exits within its grace period (the chart's shutdownGraceSeconds plus its margin)."""
    faults = local_sagemaker.autopilot.faults
    grace = CHART_VALUES["config"]["shutdownGraceSeconds"]
    delay = 3.0
    uncached = {"GATEWAY_CACHE_TTL_SECONDS": "0", "GATEWAY_ACTIVE_CACHE_TTL_SECONDS": "0"}
    jobs = demo_jobs[:4]
    query = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobName } }"
    faults.clear()
    try:
        with running(podman, image, local_sagemaker, **uncached) as container:
            injected = faults.injected
            faults.inject("DescribeAutoMLJobV2", code="", times=len(jobs), delay_seconds=delay)
            with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
                answers = [
                    pool.submit(graphql, container.url, query, {"name": name}) for name in jobs
                ]
                # Every request has reached SageMaker, which holds it for `delay` seconds.
                deadline = time.monotonic() + 10
                while faults.injected - injected < len(jobs) and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert faults.injected - injected == len(jobs), "the requests never got in flight"
                signalled = time.monotonic()
                killed = podman("kill", "--signal=TERM", container.name)
                assert killed.returncode == 0, killed.stderr
                results = [answer.result(timeout=60) for answer in answers]
            assert results == [
                (200, {"data": {"autoMLJob": {"autoMLJobName": name}}}) for name in jobs
            ]
            exit_code = container.process.wait(
                timeout=grace + CHART_VALUES["terminationGraceMarginSeconds"]
            )
            stopped = time.monotonic() - signalled
    finally:
        faults.clear()
    # uvicorn re-raises SIGTERM once drained; as PID 1 the process then simply exits.
    assert exit_code in (0, 143), container.output()
    assert stopped >= delay / 2, "it stopped before its requests could have finished"
    assert "Application shutdown complete." in container.output()
