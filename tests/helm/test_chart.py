"""The Helm chart: lint, render, Kubernetes' schemas, the hardening, and values it refuses."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.helm.conftest import (
    CHART,
    KUBE_VERSION,
    NAMESPACE,
    RELEASE,
    REQUIRED,
    VALUES_ALL,
    Manifest,
    Render,
    RunHelm,
)

pytestmark = pytest.mark.deployment

# The oldest Kubernetes the chart supports (Chart.yaml's kubeVersion) and the newest whose
# schemas kubernetes-validate ships.
SCHEMA_VERSIONS = ("1.30", KUBE_VERSION.rsplit(".", 1)[0])
CURSOR_SECRET = ("--set", "cursorSecret.existingSecret=gateway-cursor")

CORE_KINDS = ["ServiceAccount", "ConfigMap", "Service", "Deployment"]
OPTIONAL_KINDS = [
    "Ingress",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ServiceMonitor",
]
# Kinds that are not Kubernetes' own: their schemas come with their CRDs.
CUSTOM_KINDS = {"ServiceMonitor": "a Prometheus Operator CRD"}


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [manifest for manifest in manifests if manifest["kind"] == kind]


def one(manifests: list[Manifest], kind: str) -> Manifest:
    (manifest,) = of_kind(manifests, kind)
    return manifest


def pod_spec(manifests: list[Manifest]) -> dict[str, Any]:
    spec: dict[str, Any] = one(manifests, "Deployment")["spec"]["template"]["spec"]
    return spec


def gateway_container(manifests: list[Manifest]) -> dict[str, Any]:
    container: dict[str, Any]
    (container,) = pod_spec(manifests)["containers"]
    assert container["name"] == "gateway"
    return container


@pytest.fixture(scope="session", params=["default", "all"])
def manifests(
    request: pytest.FixtureRequest,
    default_manifests: list[Manifest],
    all_manifests: list[Manifest],
) -> list[Manifest]:
    """The chart as installed by default, and with every optional part enabled."""
    return default_manifests if request.param == "default" else all_manifests


# Lint and render


@pytest.mark.parametrize(
    "values", [REQUIRED, ("--values", str(VALUES_ALL))], ids=["default", "all"]
)
def test_lint_strict(run_helm: RunHelm, values: tuple[str, ...]) -> None:
    result = run_helm("lint", "--strict", str(CHART), "--kube-version", KUBE_VERSION, *values)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_default_renders_the_core_only(default_manifests: list[Manifest]) -> None:
    assert sorted(m["kind"] for m in default_manifests) == sorted(CORE_KINDS)


def test_all_values_render_every_part_once(all_manifests: list[Manifest]) -> None:
    assert sorted(m["kind"] for m in all_manifests) == sorted(CORE_KINDS + OPTIONAL_KINDS)


def test_everything_is_named_labelled_and_namespaced(
    manifests: list[Manifest], chart_metadata: dict[str, Any]
) -> None:
    for manifest in manifests:
        metadata = manifest["metadata"]
        assert metadata["name"] == "autopilot-gateway"
        assert metadata["namespace"] == NAMESPACE
        labels = metadata["labels"]
        assert labels["app.kubernetes.io/name"] == "autopilot-gateway"
        assert labels["app.kubernetes.io/instance"] == "autopilot-gateway"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == f"{chart_metadata['name']}-{chart_metadata['version']}"


def test_version_label_is_the_image_tag(
    default_manifests: list[Manifest], all_manifests: list[Manifest], chart_metadata: dict[str, Any]
) -> None:
    """The chart's appVersion by default, else the tag the values give."""
    tag = yaml.safe_load(VALUES_ALL.read_text())["image"]["tag"]
    for manifests, version in (
        (default_manifests, chart_metadata["appVersion"]),
        (all_manifests, tag),
    ):
        for manifest in manifests:
            assert manifest["metadata"]["labels"]["app.kubernetes.io/version"] == version


def test_no_secret_is_ever_rendered(manifests: list[Manifest]) -> None:
    assert of_kind(manifests, "Secret") == []


@pytest.mark.parametrize(
    ("values", "kind"),
    [("default", kind) for kind in CORE_KINDS]
    + [("all", kind) for kind in CORE_KINDS + OPTIONAL_KINDS],
)
def test_manifests_are_valid_kubernetes(
    default_manifests: list[Manifest], all_manifests: list[Manifest], values: str, kind: str
) -> None:
    if kind in CUSTOM_KINDS:
        pytest.skip(
            f"{kind} is {CUSTOM_KINDS[kind]}: kubernetes-validate has only Kubernetes' own "
            "schemas (test_service_monitor_scrapes_the_service checks its fields)"
        )
    manifest = one(default_manifests if values == "default" else all_manifests, kind)
    for version in SCHEMA_VERSIONS:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            pytest.fail(f"{kind} is invalid for Kubernetes {version} at {path}: {error.message}")


@pytest.mark.slow
def test_minimum_kubernetes_version(run_helm: RunHelm) -> None:
    def template(version: str) -> subprocess.CompletedProcess[str]:
        return run_helm("template", str(CHART), "--kube-version", version, *REQUIRED)

    assert template("1.30.0").returncode == 0
    # Managed clusters report pre-release-like versions; they must satisfy ">=1.30".
    assert template("v1.30.4-eks-1552ad0").returncode == 0
    too_old = template("1.29.9")
    assert too_old.returncode != 0
    assert "kubeVersion" in too_old.stderr


# The Deployment's hardening


def test_pod_runs_as_the_image_user_without_privileges(manifests: list[Manifest]) -> None:
    pod = pod_spec(manifests)["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == pod["runAsGroup"] == pod["fsGroup"] == 10001
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}

    container = gateway_container(manifests)["securityContext"]
    assert container["runAsNonRoot"] is True
    assert container["runAsUser"] == container["runAsGroup"] == 10001
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert container["seccompProfile"] == {"type": "RuntimeDefault"}


def test_tmp_is_a_writable_empty_dir(manifests: list[Manifest]) -> None:
    mounts = {m["mountPath"]: m["name"] for m in gateway_container(manifests)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(manifests)["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_probes_use_the_gateway_endpoints(manifests: list[Manifest]) -> None:
    container = gateway_container(manifests)
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    paths = {
        probe: (container[probe]["httpGet"]["path"], container[probe]["httpGet"]["port"])
        for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert paths == {
        "startupProbe": ("/healthz", "http"),
        "livenessProbe": ("/healthz", "http"),
        "readinessProbe": ("/readyz", "http"),
    }


def test_resources_are_requested(manifests: list[Manifest]) -> None:
    resources = gateway_container(manifests)["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys()
    assert "memory" in resources["limits"]


def shutdown_grace(manifests: list[Manifest]) -> int:
    return int(one(manifests, "ConfigMap")["data"]["GATEWAY_SHUTDOWN_GRACE_SECONDS"])


def test_termination_leaves_time_to_drain(manifests: list[Manifest]) -> None:
    pre_stop = gateway_container(manifests)["lifecycle"]["preStop"]
    assert pre_stop == {"sleep": {"seconds": 5}}
    grace = pod_spec(manifests)["terminationGracePeriodSeconds"]
    assert grace > pre_stop["sleep"]["seconds"] + shutdown_grace(manifests)


def test_termination_grace_follows_the_shutdown_grace(render: Render) -> None:
    manifests = render("--set", "config.shutdownGraceSeconds=40", "--set", "preStopSleepSeconds=0")
    assert shutdown_grace(manifests) == 40
    assert "lifecycle" not in gateway_container(manifests)
    assert pod_spec(manifests)["terminationGracePeriodSeconds"] == 40 + 5


@pytest.mark.slow
def test_explicit_termination_grace_must_cover_the_drain(run_helm: RunHelm) -> None:
    ok = run_helm("template", str(CHART), *REQUIRED, "--set", "terminationGracePeriodSeconds=25")
    assert ok.returncode == 0, ok.stderr
    short = run_helm("template", str(CHART), *REQUIRED, "--set", "terminationGracePeriodSeconds=24")
    assert short.returncode != 0
    assert "terminationGracePeriodSeconds (24) must be at least" in short.stderr


def checksum(manifests: list[Manifest]) -> str:
    annotations = one(manifests, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    value: str = annotations["checksum/config"]
    return value


@pytest.mark.slow
def test_config_changes_roll_the_pods(render: Render, default_manifests: list[Manifest]) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", checksum(default_manifests))
    assert checksum(render("--set", "config.logLevel=debug")) != checksum(default_manifests)
    assert checksum(render("--set", "podLabels.team=ml")) == checksum(default_manifests)


# Trusted documents

MANIFEST = {"status-1": '{ autoMLJob(name: "a") { autoMLJobStatus } }'}
TRUSTED_DIR = "/etc/autopilot-gateway/trusted-documents"


def test_an_inline_manifest_is_a_configmap_mounted_read_only(render: Render) -> None:
    manifests = render("--set-json", f"trustedDocuments.manifest={json.dumps(MANIFEST)}")
    settings, documents = sorted(
        of_kind(manifests, "ConfigMap"), key=lambda m: len(m["metadata"]["name"])
    )
    assert documents["metadata"]["name"] == "autopilot-gateway-trusted-documents"
    assert json.loads(documents["data"]["manifest.json"]) == MANIFEST
    assert settings["data"]["GATEWAY_TRUSTED_DOCUMENTS"] == f"{TRUSTED_DIR}/manifest.json"
    spec = pod_spec(manifests)
    (volume,) = [v for v in spec["volumes"] if v["name"] == "trusted-documents"]
    assert volume["configMap"] == {
        "name": "autopilot-gateway-trusted-documents",
        "items": [{"key": "manifest.json", "path": "manifest.json"}],
    }
    (mount,) = [
        m for m in gateway_container(manifests)["volumeMounts"] if m["name"] == "trusted-documents"
    ]
    assert mount == {"name": "trusted-documents", "mountPath": TRUSTED_DIR, "readOnly": True}
    for version in SCHEMA_VERSIONS:
        kubernetes_validate.validate(documents, version, strict=True)


def test_a_manifest_given_as_json_text_is_kept_as_it_is(render: Render) -> None:
    text = json.dumps(MANIFEST, indent=2)
    manifests = render("--set-json", f"trustedDocuments.manifest={json.dumps(text)}")
    (documents,) = [
        m for m in of_kind(manifests, "ConfigMap") if "trusted" in m["metadata"]["name"]
    ]
    assert documents["data"]["manifest.json"] == text


def test_a_new_manifest_rolls_the_pods(render: Render) -> None:
    def annotation(manifest: dict[str, str]) -> str:
        manifests = render("--set-json", f"trustedDocuments.manifest={json.dumps(manifest)}")
        template = one(manifests, "Deployment")["spec"]["template"]
        value: str = template["metadata"]["annotations"]["checksum/trusted-documents"]
        return value

    assert annotation(MANIFEST) != annotation({"status-2": MANIFEST["status-1"]})


def test_an_existing_configmap_is_mounted_and_none_rendered(all_manifests: list[Manifest]) -> None:
    (volume,) = [v for v in pod_spec(all_manifests)["volumes"] if v["name"] == "trusted-documents"]
    assert volume["configMap"]["name"] == "web-app-operations"
    assert volume["configMap"]["items"] == [{"key": "operations.json", "path": "operations.json"}]
    assert len(of_kind(all_manifests, "ConfigMap")) == 1


def test_without_a_manifest_nothing_is_mounted(default_manifests: list[Manifest]) -> None:
    assert [v["name"] for v in pod_spec(default_manifests)["volumes"]] == ["tmp"]
    assert "GATEWAY_TRUSTED_DOCUMENTS" not in one(default_manifests, "ConfigMap")["data"]


# Settings and secrets

EXPECTED_CONFIG = {
    "GATEWAY_AWS_REGION": "eu-west-1",
    "GATEWAY_SAGEMAKER_ENDPOINT_URL": "https://api.sagemaker.eu-west-1.amazonaws.com",
    "GATEWAY_S3_ENDPOINT_URL": "https://s3.eu-west-1.amazonaws.com",
    "GATEWAY_ARTIFACT_URL_SECONDS": "120",
    "GATEWAY_SAGEMAKER_CONNECT_TIMEOUT_SECONDS": "1.5",
    "GATEWAY_SAGEMAKER_READ_TIMEOUT_SECONDS": "2.5",
    "GATEWAY_SAGEMAKER_MAX_ATTEMPTS": "4",
    "GATEWAY_SAGEMAKER_MAX_POOL_CONNECTIONS": "64",
    "GATEWAY_SAGEMAKER_MAX_CONCURRENCY": "24",
    "GATEWAY_CACHE_TTL_SECONDS": "600",
    "GATEWAY_ACTIVE_CACHE_TTL_SECONDS": "2",
    "GATEWAY_CACHE_MAX_ENTRIES": "5000",
    "GATEWAY_CACHE_MAX_MEGABYTES": "128",
    "GATEWAY_RESULT_CACHE_MAX_ENTRIES": "1000",
    "GATEWAY_RESULT_CACHE_MAX_MEGABYTES": "32",
    "GATEWAY_TRUSTED_DOCUMENTS": "/etc/autopilot-gateway/trusted-documents/operations.json",
    "GATEWAY_TRUSTED_DOCUMENTS_ONLY": "true",
    "GATEWAY_REDIS_KEY_PREFIX": "autopilot-gateway-eu",
    "GATEWAY_REDIS_TIMEOUT_SECONDS": "0.25",
    "GATEWAY_REDIS_MAX_ENTRY_MEGABYTES": "4",
    "GATEWAY_MAX_BATCH_OPERATIONS": "5",
    "GATEWAY_DEFAULT_PAGE_SIZE": "50",
    "GATEWAY_MAX_PAGE_SIZE": "500",
    "GATEWAY_MAX_UPSTREAM_CALLS_PER_FIELD": "10",
    "GATEWAY_MAX_UPSTREAM_CALLS_PER_OPERATION": "50",
    "GATEWAY_MAX_QUERY_DEPTH": "10",
    "GATEWAY_MAX_ALIASES": "20",
    "GATEWAY_MAX_TOKENS": "2000",
    "GATEWAY_MAX_REQUEST_BYTES": "32768",
    "GATEWAY_REQUEST_TIMEOUT_SECONDS": "20",
    "GATEWAY_RATE_LIMIT_PER_MINUTE": "600",
    "GATEWAY_RATE_LIMIT_BURST": "50",
    "GATEWAY_SAGEMAKER_CALLS_PER_MINUTE": "300",
    "GATEWAY_COST_EXTENSION": "true",
    "GATEWAY_INTROSPECTION": "true",
    "GATEWAY_FIELD_SUGGESTIONS": "true",
    "GATEWAY_GRAPHIQL": "true",
    "GATEWAY_LOG_LEVEL": "warning",
    "GATEWAY_LOG_FORMAT": "text",
    "GATEWAY_AUTH_MODE": "jwt",
    "GATEWAY_JWT_JWKS_URL": "https://login.example.com/.well-known/jwks.json",
    "GATEWAY_JWT_ISSUER": "https://login.example.com/",
    # A string setting: several audiences are comma-separated, not JSON.
    "GATEWAY_JWT_AUDIENCE": "autopilot-gateway,ml-portal",
    "GATEWAY_JWT_ALGORITHMS": '["RS256","PS256","EdDSA"]',
    "GATEWAY_JWT_LEEWAY_SECONDS": "10",
    "GATEWAY_JWT_JWKS_REFRESH_SECONDS": "120",
    "GATEWAY_TRUSTED_PROXIES": '["10.0.0.0/8","fd00::/8"]',
    "GATEWAY_AUTHZ_CLAIM": "roles",
    "GATEWAY_AUTHZ_POLICY": '{"churn-team":["customer-churn-*"],"ml-platform":["*"]}',
    "GATEWAY_CORS_ALLOW_ORIGINS": '["https://ml.example.com"]',
    "GATEWAY_LIVE_POLL_SECONDS": "30",
    "GATEWAY_SUBSCRIPTIONS_PER_CONNECTION": "40",
    "GATEWAY_CONNECTIONS_PER_CALLER": "200",
    "GATEWAY_WEBSOCKET_PING_SECONDS": "25",
    "GATEWAY_READINESS_CACHE_SECONDS": "15",
    "GATEWAY_WORKERS": "2",
    "GATEWAY_KEEP_ALIVE_SECONDS": "90",
    "GATEWAY_FORWARDED_ALLOW_IPS": "10.0.0.0/8",
    "GATEWAY_SHUTDOWN_GRACE_SECONDS": "25",
    # extraConfig, as is.
    "GATEWAY_FUTURE_SETTING": "on",
}


def test_every_setting_becomes_a_gateway_variable(all_manifests: list[Manifest]) -> None:
    assert one(all_manifests, "ConfigMap")["data"] == EXPECTED_CONFIG
    assert json.loads(EXPECTED_CONFIG["GATEWAY_AUTHZ_POLICY"])["ml-platform"] == ["*"]


def test_settings_reach_the_container_as_gateway_variables(manifests: list[Manifest]) -> None:
    config_map = one(manifests, "ConfigMap")
    assert all(name.startswith("GATEWAY_") for name in config_map["data"])
    container = gateway_container(manifests)
    assert container["envFrom"][0] == {"configMapRef": {"name": config_map["metadata"]["name"]}}
    extra_env = {"AWS_STS_REGIONAL_ENDPOINTS"}  # values-all.yaml's extraEnv, passed as is
    names = [env["name"] for env in container.get("env", [])]
    assert all(name.startswith("GATEWAY_") for name in names if name not in extra_env)


def test_secrets_are_referenced_never_held(all_manifests: list[Manifest]) -> None:
    data = one(all_manifests, "ConfigMap")["data"]
    # GATEWAY_MAX_TOKENS is a limit on query tokens, not a credential.
    assert not [name for name in data if re.search("SECRET|PASSWORD|PRIVATE_KEY|TOKEN$", name)]
    env = {e["name"]: e for e in gateway_container(all_manifests)["env"]}
    assert env["GATEWAY_CURSOR_SECRET"] == {
        "name": "GATEWAY_CURSOR_SECRET",
        "valueFrom": {"secretKeyRef": {"name": "autopilot-gateway-cursor", "key": "cursor-secret"}},
    }
    assert env["GATEWAY_REDIS_URL"] == {
        "name": "GATEWAY_REDIS_URL",
        "valueFrom": {"secretKeyRef": {"name": "autopilot-gateway-redis", "key": "redis-url"}},
    }
    assert env["GATEWAY_PROXY_SHARED_SECRET"]["valueFrom"] == {
        "secretKeyRef": {
            "name": "autopilot-gateway-proxy",
            "key": "shared-secret",
            "optional": False,
        }
    }
    assert all("value" not in e for name, e in env.items() if name.startswith("GATEWAY_"))


def test_image_digest_pins_the_image(
    default_manifests: list[Manifest], all_manifests: list[Manifest], project_version: str
) -> None:
    # By default, the image of this release of the gateway.
    assert gateway_container(default_manifests)["image"] == f"autopilot-gateway:{project_version}"
    assert gateway_container(all_manifests)["image"] == (
        "registry.example.com/ml-platform/autopilot-gateway@sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    )


def test_pods_run_as_the_service_account(manifests: list[Manifest]) -> None:
    account = one(manifests, "ServiceAccount")
    assert pod_spec(manifests)["serviceAccountName"] == account["metadata"]["name"]
    assert account["automountServiceAccountToken"] is True
    assert pod_spec(manifests)["automountServiceAccountToken"] is True


def test_service_account_carries_the_irsa_role(
    default_manifests: list[Manifest], all_manifests: list[Manifest]
) -> None:
    assert "annotations" not in one(default_manifests, "ServiceAccount")["metadata"]
    assert one(all_manifests, "ServiceAccount")["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/autopilot-gateway"
    }


# Scheduling and the optional parts


def test_scheduling_knobs_reach_the_pod(all_manifests: list[Manifest]) -> None:
    spec = pod_spec(all_manifests)
    assert spec["priorityClassName"] == "business-critical"
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert spec["tolerations"][0]["key"] == "dedicated"
    assert "nodeAffinity" in spec["affinity"]
    zone, host = spec["topologySpreadConstraints"]
    assert zone["labelSelector"] == one(all_manifests, "Deployment")["spec"]["selector"]
    assert host["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "autopilot-gateway"}}
    labels = one(all_manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert labels["cost-center"] == "ml"


def test_service_forwards_to_http(manifests: list[Manifest]) -> None:
    service = one(manifests, "Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP", "appProtocol": "http"}
    ]
    assert (
        service["spec"]["selector"]
        == one(manifests, "Deployment")["spec"]["selector"]["matchLabels"]
    )


def test_ingress_exposes_graphql_only_over_tls(all_manifests: list[Manifest]) -> None:
    spec = one(all_manifests, "Ingress")["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [
        {"secretName": "autopilot-gateway-tls", "hosts": ["autopilot.example.com"]}
    ]
    (rule,) = spec["rules"]
    assert rule["host"] == "autopilot.example.com"
    assert [path["path"] for path in rule["http"]["paths"]] == ["/graphql", "/graphiql"]
    for path in rule["http"]["paths"]:
        assert path["backend"] == {
            "service": {"name": "autopilot-gateway", "port": {"name": "http"}}
        }


def test_autoscaling_replaces_the_replica_count(all_manifests: list[Manifest]) -> None:
    assert "replicas" not in one(all_manifests, "Deployment")["spec"]
    hpa = one(all_manifests, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "autopilot-gateway",
    }
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in hpa["metrics"]}
    assert targets == {
        "cpu": {"type": "Utilization", "averageUtilization": 70},
        "memory": {"type": "Utilization", "averageUtilization": 80},
    }


@pytest.mark.slow
def test_pdb_only_with_more_than_one_pod(render: Render, all_manifests: list[Manifest]) -> None:
    assert of_kind(render("--set", "replicaCount=1"), "PodDisruptionBudget") == []
    two = one(render("--set", "replicaCount=2", *CURSOR_SECRET), "PodDisruptionBudget")
    assert two["spec"]["maxUnavailable"] == 1
    assert two["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert two["spec"]["selector"] == one(all_manifests, "Deployment")["spec"]["selector"]
    # With autoscaling, from minReplicas (2 in values-all.yaml).
    assert of_kind(all_manifests, "PodDisruptionBudget") != []
    disabled = render(
        "--set", "replicaCount=2", *CURSOR_SECRET, "--set", "podDisruptionBudget.enabled=false"
    )
    assert of_kind(disabled, "PodDisruptionBudget") == []


def test_network_policy_admits_http_and_lets_out_dns_https_and_redis(
    all_manifests: list[Manifest],
) -> None:
    policy = one(all_manifests, "NetworkPolicy")["spec"]
    assert policy["podSelector"] == one(all_manifests, "Deployment")["spec"]["selector"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policy["ingress"]
    assert ingress["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert len(ingress["from"]) == 2
    dns, https, redis, pod_identity, extra = policy["egress"]
    assert dns["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert https["ports"] == [{"port": 443, "protocol": "TCP"}]
    assert redis == {
        "ports": [{"port": 6380, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "10.0.32.0/20"}}],
    }
    assert pod_identity["ports"] == [{"port": 80, "protocol": "TCP"}]
    assert pod_identity["to"] == [
        {"ipBlock": {"cidr": "169.254.170.23/32"}},
        {"ipBlock": {"cidr": "fd00:ec2::23/128"}},
    ]
    assert extra["ports"] == [{"port": 8443, "protocol": "TCP"}]


def test_service_monitor_scrapes_the_service(all_manifests: list[Manifest]) -> None:
    monitor = one(all_manifests, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    service = one(all_manifests, "Service")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    assert (endpoint["interval"], endpoint["scrapeTimeout"]) == ("15s", "5s")
    assert endpoint["metricRelabelings"][0]["action"] == "drop"


# Values the chart refuses


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setting", "mentioned"),
    [
        ("replicas=2", "'replicas' not allowed"),
        ("replicaCount=two", "/replicaCount"),
        ("replicaCount=-1", "/replicaCount"),
        ("image.pullPolicy=Sometimes", "/image/pullPolicy"),
        ("config.authMode=oauth", "/config/authMode"),
        ("config.logLevel=verbose", "/config/logLevel"),
        ("config.gatewayLogLevel=debug", "'gatewayLogLevel' not allowed"),
        ("config.maxPageSize=0", "/config/maxPageSize"),
        ("cursorSecret.value=hunter2", "'value' not allowed"),
        ("extraConfig.GATEWAY_CURSOR_SECRET=hunter2", "GATEWAY_CURSOR_SECRET"),
        ("extraConfig.GATEWAY_REDIS_URL=redis://u:p@redis:6379", "GATEWAY_REDIS_URL"),
        ("redis.port=0", "/redis/port"),
        ("extraConfig.LOG_LEVEL=debug", "LOG_LEVEL"),
        ("service.port=70000", "/service/port"),
        ("probes.liveness.successThreshold=2", "'successThreshold' not allowed"),
    ],
)
def test_schema_refuses_bad_values(run_helm: RunHelm, setting: str, mentioned: str) -> None:
    result = run_helm("template", str(CHART), *REQUIRED, "--set", setting)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert mentioned in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (("replicaCount=2",), "cursorSecret.existingSecret is required with more than one replica"),
        (("autoscaling.enabled=true",), "cursorSecret.existingSecret is required"),
        (
            (
                "autoscaling.enabled=true",
                "cursorSecret.existingSecret=c",
                "autoscaling.maxReplicas=1",
            ),
            "autoscaling.maxReplicas must be at least autoscaling.minReplicas",
        ),
        (
            ("extraConfig.GATEWAY_SHUTDOWN_GRACE_SECONDS=3",),
            "extraConfig.GATEWAY_SHUTDOWN_GRACE_SECONDS is config.shutdownGraceSeconds",
        ),
        (
            ("podDisruptionBudget.minAvailable=1",),
            "set maxUnavailable or minAvailable, not both",
        ),
        (
            ("trustedDocuments.existingConfigMap=ops", "trustedDocuments.manifest=x"),
            "trustedDocuments: set manifest or existingConfigMap, not both",
        ),
    ],
)
def test_inconsistent_values_fail_clearly(
    run_helm: RunHelm, settings: tuple[str, ...], message: str
) -> None:
    args = [arg for setting in settings for arg in ("--set", setting)]
    result = run_helm("template", str(CHART), *REQUIRED, *args)
    assert result.returncode != 0
    assert message in result.stderr


# What an installer reads


def install_notes(run_helm: RunHelm, *args: str) -> str:
    result = run_helm(
        *("install", RELEASE, str(CHART), "--dry-run=client", "--namespace", NAMESPACE, *args)
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\nNOTES:\n", 1)[1]


@pytest.mark.slow
def test_notes_warn_about_unsafe_settings(run_helm: RunHelm) -> None:
    notes = install_notes(run_helm, *REQUIRED, "--set", "ingress.enabled=true")
    assert "http://autopilot-gateway.example.com/graphql" in notes
    assert "WARNING: cursorSecret.existingSecret is not set" in notes
    assert "authMode" not in notes  # jwt by default
    assert "GraphiQL" not in notes  # off by default
    assert "eks.amazonaws.com/role-arn" in notes

    notes = install_notes(
        run_helm, *REQUIRED, "--set", "ingress.enabled=true", "--set", "config.authMode=none"
    )
    assert "WARNING: config.authMode is none: anyone who reaches the gateway through the " in notes

    assert "redis.existingSecret" not in notes  # one pod

    notes = install_notes(run_helm, *REQUIRED, "--set", "replicaCount=3", *CURSOR_SECRET)
    assert "NOTE: redis.existingSecret is not set, so each of the pods caches" in notes

    notes = install_notes(run_helm, *REQUIRED, "--set", "config.graphiql=true")
    assert "NOTE: config.graphiql is on but config.introspection is off" in notes
    assert "or open it in a browser for GraphiQL" in notes

    notes = install_notes(run_helm, "--values", str(VALUES_ALL))
    assert "https://autopilot.example.com/graphql" in notes
    assert "WARNING" not in notes
    assert "NOTE" not in notes


def test_app_version_is_the_gateways(chart_metadata: dict[str, Any], project_version: str) -> None:
    assert chart_metadata["appVersion"] == project_version
