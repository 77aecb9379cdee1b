"""The Helm chart, offline: lint, the schema's refusals, every rendered object valid for the
Kubernetes versions we support, every pod hardened to the restricted profile, the call graph of
docs/architecture.md and nothing more in the NetworkPolicies, checkov clean, and secrets that are
generated, or taken as given, and never rendered into k8s/."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.deploy import rendering as r

PROFILES = list(r.PROFILES)
KUBERNETES_VERSIONS = ["1.33.0", "1.35.0"]
GIB = 1024**3


# --- lint and schema ---------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_helm_lint_strict_passes(helm: str, profile: str) -> None:
    values = [option for path in r.PROFILES[profile] for option in ("--values", path)]
    done = subprocess.run(
        [helm, "lint", "--strict", str(r.CHART), *values], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            ["replicaCount=2"], ["additional properties 'replicaCount' not allowed"], id="top-key"
        ),
        pytest.param(
            ["defaults.replica=2"],
            ["'/defaults'", "additional properties 'replica' not allowed"],
            id="defaults-key",
        ),
        pytest.param(
            ["services.cart.redisUrl=redis://x"],
            ["'/services/cart'", "additional properties 'redisUrl' not allowed"],
            id="service-key",
        ),
        pytest.param(
            ["defaults.hpa.maxReplica=3"],
            ["'/defaults/hpa'", "additional properties 'maxReplica' not allowed"],
            id="nested-key",
        ),
        pytest.param(
            ["services.cart.port=eighty"],
            ["'/services/cart/port'", "got string, want integer"],
            id="wrong-type",
        ),
        pytest.param(
            ["ingress.enabled=maybe"],
            ["'/ingress/enabled'", "got string, want boolean"],
            id="wrong-type-bool",
        ),
        pytest.param(
            ["services.cart.replicas=0"],
            ["'/services/cart/replicas'", "minimum: got 0, want 1"],
            id="replicas-zero",
        ),
        pytest.param(
            ["defaults.replicas=100"],
            ["'/defaults/replicas'", "maximum: got 100, want 20"],
            id="replicas-too-many",
        ),
        pytest.param(["environment=local"], ["'/environment'"], id="environment-unknown"),
        pytest.param(
            ["loadgen.user=3"],
            ["'/loadgen'", "additional properties 'user' not allowed"],
            id="loadgen-key",
        ),
        pytest.param(
            ["loadgen.thinkSeconds.mean=2"],
            ["'/loadgen/thinkSeconds'", "additional properties 'mean' not allowed"],
            id="loadgen-nested-key",
        ),
        pytest.param(
            ["loadgen.users=-1"],
            ["'/loadgen/users'", "minimum: got -1, want 0"],
            id="loadgen-negative-users",
        ),
        pytest.param(
            ["services.search.port=8009"],
            ["'/services/search'", "missing property 'framework'"],
            id="service-without-framework",
        ),
    ],
)
def test_the_schema_refuses_bad_values(helm: str, values: list[str], expected: list[str]) -> None:
    done = r.helm_template(helm, *(f"--set={value}" for value in values))
    assert done.returncode != 0, f"{values} rendered"
    assert "values don't meet the specifications of the schema" in done.stderr
    for fragment in expected:
        assert fragment in done.stderr, done.stderr


def test_a_call_to_something_that_is_not_a_server_fails_the_render(helm: str) -> None:
    done = r.helm_template(helm, "--set", "services.cart.calls={catalog,orders-worker}")
    assert done.returncode != 0
    assert 'services.cart.calls: "orders-worker" is not a service with an HTTP port' in done.stderr
    calls = "loadgen.calls={storefront,orders-worker}"
    done = r.helm_template(helm, "--set", "loadgen.enabled=true", "--set", calls)
    assert done.returncode != 0
    assert 'loadgen.calls: "orders-worker" is not a service with an HTTP port' in done.stderr


# --- every object valid for the Kubernetes versions we support ---------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("profile", PROFILES)
def test_every_rendered_object_is_valid_kubernetes(helm: str, profile: str, version: str) -> None:
    docs = r.render(helm, profile)
    problems = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as e:
            # No schema (a removed API version, a CRD) fails too: it would be a guess, not a check.
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {type(e).__name__}: {e}")
    assert not problems, "\n".join(problems)
    assert len(docs) > 50


# --- the restricted profile and the rest of the pod contract -----------------------------------

ALLOWED_VOLUMES = {"emptyDir", "configMap", "secret", "persistentVolumeClaim", "projected"}


def _hardening_problems(profile: str, name: str, pod: dict[str, Any]) -> list[str]:
    spec = pod["spec"]
    problems: list[str] = []

    def need(ok: object, what: str) -> None:
        if not ok:
            problems.append(f"{profile}/{name}: {what}")

    # Prometheus lists pods through the API (kubernetes_sd): the one pod with a token.
    token = name == "prometheus"
    need(spec.get("automountServiceAccountToken") is token, f"automountServiceAccountToken {token}")
    need(spec.get("serviceAccountName", "default") != "default", "its own ServiceAccount")
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        need(not spec.get(host), f"no {host}")
    pod_context = spec.get("securityContext", {})
    need(pod_context.get("runAsNonRoot") is True, "pod runAsNonRoot")
    need(pod_context.get("runAsUser", 0) >= 10000, "pod runAsUser >= 10000")
    need(pod_context.get("runAsGroup", 0) >= 10000, "pod runAsGroup >= 10000")
    need(pod_context.get("fsGroup", 0) >= 10000, "pod fsGroup >= 10000")
    need(pod_context.get("seccompProfile", {}).get("type") == "RuntimeDefault", "pod seccomp")
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        need(kinds <= ALLOWED_VOLUMES, f"volume {volume['name']} of a restricted type")

    is_app = name in r.WORKLOADS
    init = spec.get("initContainers", [])
    for role, containers in (("init", init), ("main", spec["containers"])):
        for container in containers:
            where = f"{role} container {container['name']}"
            context = container.get("securityContext", {})
            need(context.get("allowPrivilegeEscalation") is False, f"{where}: no escalation")
            need(context.get("privileged") is not True, f"{where}: not privileged")
            need(context.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: drop ALL")
            need(not context.get("capabilities", {}).get("add"), f"{where}: adds no capability")
            need(context.get("runAsNonRoot", True) is True, f"{where}: runAsNonRoot")
            need(context.get("runAsUser", 10001) >= 10000, f"{where}: high UID")
            # Tilt's live update writes into the app's running container; nothing else relaxes.
            writable = profile == "dev" and is_app and role == "main"
            need(
                context.get("readOnlyRootFilesystem") is (not writable),
                f"{where}: readOnlyRootFilesystem {not writable}",
            )
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    need(resources.get(bound, {}).get(resource), f"{where}: {bound}.{resource}")
            for port in container.get("ports", []):
                need("hostPort" not in port, f"{where}: no hostPort")
            if role == "main":
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    need(probe in container, f"{where}: {probe}")
    if is_app:
        problems += _app_problems(profile, name, spec)
    return problems


def _app_problems(profile: str, name: str, spec: dict[str, Any]) -> list[str]:
    problems: list[str] = []

    def need(ok: object, what: str) -> None:
        if not ok:
            problems.append(f"{profile}/{name}: {what}")

    (main,) = spec["containers"]
    env = r.env_of(main)
    pause = main.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    need(pause > 0, "preStop sleep (no shell in the image needed)")
    drain = float(env.get("GRACEFUL_TIMEOUT_SECONDS", 0))
    need(drain > 0, "GRACEFUL_TIMEOUT_SECONDS")
    need(
        spec.get("terminationGracePeriodSeconds", 30) > pause + drain,
        "terminationGracePeriodSeconds > preStop + GRACEFUL_TIMEOUT_SECONDS",
    )
    empty_dirs = {volume["name"] for volume in spec["volumes"] if "emptyDir" in volume}
    mounts = {mount["mountPath"]: mount["name"] for mount in main["volumeMounts"]}
    for path in ("/tmp", "/data"):
        need(mounts.get(path) in empty_dirs, f"emptyDir at {path}")
    need(
        env.get("OTEL_SERVICE_NAME")
        == {"fieldRef": {"fieldPath": "metadata.labels['app.kubernetes.io/name']"}},
        "OTEL_SERVICE_NAME from the app.kubernetes.io/name label",
    )
    attributes = env.get("OTEL_RESOURCE_ATTRIBUTES", "")
    for attribute in ("service.version", "deployment.environment", "k8s.pod.name"):
        need(f"{attribute}=$(" in attributes, f"OTEL_RESOURCE_ATTRIBUTES has {attribute}")
    need("k8s.namespace.name=$(" in attributes, "OTEL_RESOURCE_ATTRIBUTES has k8s.namespace.name")
    need(env.get("MIGRATE_ON_START") == "false", "MIGRATE_ON_START=false")
    init = spec.get("initContainers", [])
    if name in r.DATABASE:
        need([c["name"] for c in init] == ["migrate"], "a migrate init container")
        for container in init:
            need(container["args"] == ["migrate"], "migrate: args [migrate]")
            need(container["image"] == main["image"], "migrate: the service's image")
            need(container["env"] == main["env"], "migrate: the service's env")
    else:
        need(not init, "no init container")
    return problems


@pytest.mark.parametrize("profile", PROFILES)
def test_every_pod_is_hardened(helm: str, profile: str) -> None:
    templates = dict(r.pod_templates(r.render(helm, profile)))
    loadgen = {r.LOADGEN} if profile in r.LOADGEN_PROFILES else set()
    stack = set(r.OBSERVABILITY) if profile in r.OBSERVABILITY_PROFILES else set()
    assert set(templates) == {*r.WORKLOADS, "postgresql", "redis", *loadgen, *stack}
    problems = [
        problem
        for name, pod in templates.items()
        for problem in _hardening_problems(profile, name, pod)
    ]
    assert not problems, "\n".join(problems)


def test_dev_makes_only_the_app_containers_writable(helm: str) -> None:
    for profile in PROFILES:
        writable = {
            (name, container["name"])
            for name, pod in r.pod_templates(r.render(helm, profile))
            for container in [*pod["spec"].get("initContainers", []), *pod["spec"]["containers"]]
            if not container["securityContext"]["readOnlyRootFilesystem"]
        }
        expected = {(name, name) for name in r.WORKLOADS} if profile == "dev" else set()
        assert writable == expected, profile


def test_postgresql_runs_restricted_with_its_state_on_a_claim(helm: str) -> None:
    docs = r.render(helm, "default")
    statefulset = r.of_kind(docs, "StatefulSet")["polyshop-postgresql"]
    pod = statefulset["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"].startswith("docker.io/library/postgres:")
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/var/run/postgresql"]]
    assert "emptyDir" in volumes[mounts["/tmp"]]
    claims = [claim["metadata"]["name"] for claim in statefulset["spec"]["volumeClaimTemplates"]]
    assert mounts["/var/lib/postgresql/data"] in claims
    assert volumes[mounts["/docker-entrypoint-initdb.d"]]["configMap"]["name"] == (
        "polyshop-postgresql-init"
    )
    script = r.of_kind(docs, "ConfigMap")["polyshop-postgresql-init"]["data"]
    created = re.findall(r"^create (\S+)$", script["create-databases.sh"], re.MULTILINE)
    assert created == sorted(r.DATABASE - {"orders-worker"})
    redis = r.of_kind(docs, "Deployment")["polyshop-redis"]["spec"]["template"]["spec"]
    args = redis["containers"][0]["args"]
    assert args[args.index("--save") + 1] == "", "Redis is a cache: no snapshots"
    assert args[args.index("--appendonly") + 1] == "no"


# --- names, labels, images, ports: the shared contract -----------------------------------------

CONTRACT_LABELS = {
    "app.kubernetes.io/instance": "polyshop",
    "app.kubernetes.io/part-of": "polyshop",
    "app.kubernetes.io/managed-by": "Helm",
    "helm.sh/chart": "polyshop-0.1.0",
}


@pytest.mark.parametrize("profile", PROFILES)
def test_every_object_carries_the_contract_labels(helm: str, profile: str) -> None:
    problems = []
    for doc in r.render(helm, profile):
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        labels = doc["metadata"].get("labels", {})
        if doc["metadata"].get("namespace") != r.NAMESPACE:
            problems.append(f"{where}: not in namespace {r.NAMESPACE}")
        for key, value in CONTRACT_LABELS.items():
            if labels.get(key) != value:
                problems.append(f"{where}: {key}={labels.get(key)!r}")
        for key in ("app.kubernetes.io/name", "app.kubernetes.io/component"):
            if not labels.get(key):
                problems.append(f"{where}: no {key}")
        if not labels.get("app.kubernetes.io/version"):
            problems.append(f"{where}: no app.kubernetes.io/version")
        name = labels.get("app.kubernetes.io/name")
        if name in r.FRAMEWORKS and labels.get("polyshop.dev/framework") != r.FRAMEWORKS[name]:
            problems.append(f"{where}: polyshop.dev/framework={r.FRAMEWORKS[name]}")
    for name, pod in r.pod_templates(r.render(helm, profile)):
        labels = pod["metadata"]["labels"]
        if name in r.FRAMEWORKS and labels.get("polyshop.dev/framework") != r.FRAMEWORKS[name]:
            problems.append(f"pod of {name}: polyshop.dev/framework")
    assert not problems, "\n".join(problems)


def test_names_images_and_ports_follow_the_contract(helm: str) -> None:
    docs = r.render(helm, "default")
    deployments = r.of_kind(docs, "Deployment")
    services = r.of_kind(docs, "Service")
    budgets = r.of_kind(docs, "PodDisruptionBudget")
    for name, port in r.PORTS.items():
        deployment = deployments[f"polyshop-{name}"]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        app = "orders" if name == "orders-worker" else name
        assert container["image"] == f"polyshop/{app}:0.1.0"
        assert container["imagePullPolicy"] == "IfNotPresent"
        assert [p["containerPort"] for p in container["ports"]] == [port]
        assert container.get("args", []) == (["worker"] if name == "orders-worker" else [])
        assert budgets[f"polyshop-{name}"]["spec"] == {
            "maxUnavailable": 1,
            "selector": deployment["spec"]["selector"],
        }
        if name == "orders-worker":
            assert f"polyshop-{name}" not in services
            assert r.env_of(container)["WORKER_METRICS_PORT"] == "8013"
        else:
            assert [p["port"] for p in services[f"polyshop-{name}"]["spec"]["ports"]] == [port]
    assert services["polyshop-postgresql"]["spec"]["ports"][0]["port"] == 5432
    assert services["polyshop-redis"]["spec"]["ports"][0]["port"] == 6379
    assert "polyshop-postgresql" in r.of_kind(docs, "StatefulSet")


# Stores, and the address browsers are sent to.
NOT_SERVICE_URLS = {"DATABASE_URL", "REDIS_URL", "NOTIFICATIONS_PUBLIC_URL"}


@pytest.mark.parametrize("profile", PROFILES)
def test_every_url_names_a_service_that_is_there(helm: str, profile: str) -> None:
    docs = r.render(helm, profile)
    ports = {
        name: {port["port"] for port in service["spec"]["ports"]}
        for name, service in r.of_kind(docs, "Service").items()
    }
    for name, pod in r.pod_templates(docs):
        if name not in r.WORKLOADS:
            continue
        env = r.env_of(pod["spec"]["containers"][0])
        urls = {
            key.removesuffix("_URL").lower().replace("_", "-"): value
            for key, value in env.items()
            if key.endswith("_URL") and key not in NOT_SERVICE_URLS
        }
        assert set(urls) == r.CALLS[name], f"{name} is given the URLs of {sorted(urls)}"
        for callee, url in urls.items():
            assert url == f"http://polyshop-{callee}:{r.PORTS[callee]}"
            assert r.PORTS[callee] in ports[f"polyshop-{callee}"]
        app = "orders" if name == "orders-worker" else name
        if name in r.DATABASE:
            assert env["DATABASE_URL"] == (
                f"postgresql://{app}:$(DB_PASSWORD)@polyshop-postgresql:5432/{app}"
            )
        else:
            assert "DATABASE_URL" not in env
        if name in r.REDIS:
            assert env["REDIS_URL"] == "redis://:$(REDIS_PASSWORD)@polyshop-redis:6379/0"
        else:
            assert "REDIS_URL" not in env


@pytest.mark.parametrize("profile", PROFILES)
def test_env_references_only_variables_defined_before_them(helm: str, profile: str) -> None:
    # Kubernetes expands $(VAR) only from earlier entries; a later one is left as literal text.
    for name, pod in r.pod_templates(r.render(helm, profile)):
        for container in [*pod["spec"].get("initContainers", []), *pod["spec"]["containers"]]:
            seen: set[str] = set()
            for item in container.get("env", []):
                for reference in re.findall(r"\$\(([A-Z0-9_]+)\)", item.get("value", "")):
                    assert reference in seen, f"{name}/{container['name']}: {item['name']}"
                seen.add(item["name"])
            for arg in container.get("args", []):
                for reference in re.findall(r"\$\(([A-Z0-9_]+)\)", arg):
                    assert reference in seen, f"{name}/{container['name']}: args"


def test_users_knows_every_client_by_its_own_secret(helm: str) -> None:
    docs = r.render(helm, "default")
    users = r.of_kind(docs, "Deployment")["polyshop-users"]["spec"]["template"]["spec"]
    env = r.env_of(users["containers"][0])
    clients = dict(entry.split(":", 1) for entry in env["SERVICE_CLIENTS"].split(","))
    callers = {"orders" if n == "orders-worker" else n for n, c in r.CALLS.items() if "users" in c}
    assert set(clients) == callers
    for client, secret in clients.items():
        variable = secret.removeprefix("$(").removesuffix(")")
        assert env[variable]["secretKeyRef"]["key"] == f"client-secret-{client}"
    for name, pod in r.pod_templates(docs):
        if name in r.WORKLOADS:
            app = "orders" if name == "orders-worker" else name
            reference = r.env_of(pod["spec"]["containers"][0])["SERVICE_CLIENT_SECRET"]
            assert reference["secretKeyRef"]["key"] == f"client-secret-{app}"


@pytest.mark.parametrize(
    ("profile", "endpoint"),
    [
        ("default", None),
        # The chart's own Collector, when it is on and otel.endpoint is empty.
        ("dev", "http://polyshop-otel-collector:4318"),
        ("production", "http://polyshop-otel-collector:4318"),
    ],
)
def test_otlp_export_only_when_an_endpoint_is_set(
    helm: str, profile: str, endpoint: str | None
) -> None:
    for name, pod in r.pod_templates(r.render(helm, profile)):
        if name in r.WORKLOADS:
            env = r.env_of(pod["spec"]["containers"][0])
            assert env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == endpoint, name


# --- NetworkPolicies: the call graph of docs/architecture.md, and nothing else ----------------

KUBE_DNS = r.Pod({"k8s-app": "kube-dns"}, namespace="kube-system")
INGRESS_CONTROLLER = r.Pod({"app.kubernetes.io/name": "ingress-nginx"}, namespace="ingress-nginx")
PROMETHEUS = r.Pod({"app.kubernetes.io/name": "prometheus"}, namespace="observability")
COLLECTOR = r.Pod({"app.kubernetes.io/name": "opentelemetry-collector"}, namespace="observability")
# The API server: no pod of any namespace the chart selects (host network on kind).
KUBE_API = r.Pod({"component": "kube-apiserver"}, namespace="kube-system")
# A pod with a storefront's labels in another namespace is not the storefront.
STRANGER = r.Pod(
    {"app.kubernetes.io/name": "storefront", "app.kubernetes.io/instance": "polyshop"},
    namespace="elsewhere",
)


def _expected_paths(profile: str) -> set[tuple[str, str, int]]:
    """(source, target, port) of every connection the profile must allow, and no other."""
    ports = {**r.PORTS, **{store: port for store, (port, _) in r.STORES.items()}}
    paths = {
        (caller, callee, ports[callee]) for caller, callees in r.CALLS.items() for callee in callees
    }
    for store, (port, clients) in r.STORES.items():
        paths |= {(client, store, port) for client in clients}
    if profile in r.LOADGEN_PROFILES:
        paths |= {(r.LOADGEN, callee, r.PORTS[callee]) for callee in r.LOADGEN_CALLS}
    if profile in r.OBSERVABILITY_PROFILES:
        paths |= set(r.OBSERVABILITY_PATHS)
        paths |= {("prometheus", app, port) for app, port in r.PORTS.items()}
        paths |= {(app, "otel-collector", 4318) for app in r.WORKLOADS}
    return paths


def _allowed_paths(docs: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
    policies = list(r.of_kind(docs, "NetworkPolicy").values())
    pods = {name: r.Pod(dict(pod["metadata"]["labels"])) for name, pod in r.pod_templates(docs)}
    ports: dict[str, tuple[int, ...]] = {
        **{name: (port,) for name, port in r.PORTS.items()},
        **{store: (port,) for store, (port, _) in r.STORES.items()},
        r.LOADGEN: (r.LOADGEN_PORT,),
        **r.OBSERVABILITY,
    }
    return {
        (source, target, port)
        for source in pods
        for target in pods
        for port in ports[target]
        if source != target and r.reachable(policies, pods[source], pods[target], port)
    }


@pytest.mark.parametrize("profile", PROFILES)
def test_network_policies_allow_exactly_the_call_paths(helm: str, profile: str) -> None:
    docs = r.render(helm, profile)
    policies = list(r.of_kind(docs, "NetworkPolicy").values())
    pods = {name: r.Pod(dict(pod["metadata"]["labels"])) for name, pod in r.pod_templates(docs)}
    ports = {**r.PORTS, **{store: port for store, (port, _) in r.STORES.items()}}
    ports[r.LOADGEN] = r.LOADGEN_PORT
    ports.update({name: own[0] for name, own in r.OBSERVABILITY.items()})
    allowed = _allowed_paths(docs)
    expected = _expected_paths(profile)
    assert not allowed - expected, f"allowed but not a call path: {sorted(allowed - expected)}"
    assert not expected - allowed, f"call paths not allowed: {sorted(expected - allowed)}"
    # e.g. catalog -> payments: nothing design.md has, so nothing allowed.
    assert not r.reachable(policies, pods["catalog"], pods["payments"], r.PORTS["payments"])
    # An allowed path is allowed on its port only.
    assert not r.reachable(policies, pods["storefront"], pods["catalog"], 5432)

    for name, pod in pods.items():
        assert r.reachable(policies, pod, KUBE_DNS, 53, "UDP"), f"{name}: DNS"
        assert r.reachable(policies, pod, KUBE_DNS, 53, "TCP"), f"{name}: DNS over TCP"
        assert not r.reachable(policies, pod, KUBE_DNS, 80), f"{name}: only DNS at kube-dns"
        assert not r.reachable(policies, STRANGER, pod, ports[name]), f"{name}: from elsewhere"
        assert not r.reachable(policies, pod, STRANGER, 8080), f"{name}: to elsewhere"
        from_ingress = r.reachable(policies, INGRESS_CONTROLLER, pod, ports[name])
        public = profile == "production" and name in {"storefront", "notifications"}
        assert from_ingress == public, f"ingress controller -> {name}"
        # A Prometheus or Collector of the cluster's own comes in only when values name it.
        assert not r.reachable(policies, PROMETHEUS, pod, ports[name]), f"prometheus -> {name}"
        assert not r.reachable(policies, pod, COLLECTOR, 4318), f"{name} -> collector"
        # The Kubernetes API, for pod discovery: Prometheus only.
        api = r.reachable(policies, pod, KUBE_API, 443) and r.reachable(
            policies, pod, KUBE_API, 6443
        )
        assert api == (name == "prometheus"), f"{name} -> the Kubernetes API"


def test_a_prometheus_and_collector_of_the_clusters_own_are_let_in(helm: str) -> None:
    external = (
        "--set",
        "networkPolicy.prometheus.enabled=true",
        "--set",
        "networkPolicy.otlpCollector.enabled=true",
        "--set",
        "otel.endpoint=http://opentelemetry-collector.observability:4318",
    )
    docs = r.render(helm, "default", *external)
    policies = list(r.of_kind(docs, "NetworkPolicy").values())
    for name, template in r.pod_templates(docs):
        pod = r.Pod(dict(template["metadata"]["labels"]))
        app = name in r.WORKLOADS
        port = r.PORTS.get(name, 5432 if name == "postgresql" else 6379)
        assert r.reachable(policies, PROMETHEUS, pod, port) == app, f"prometheus -> {name}"
        assert r.reachable(policies, pod, COLLECTOR, 4318) == app, f"{name} -> collector"
        if app:
            env = r.env_of(template["spec"]["containers"][0])
            endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"]
            assert endpoint == "http://opentelemetry-collector.observability:4318"


# --- profiles ----------------------------------------------------------------------------------


def _memory(quantity: str) -> int:
    units = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(float(quantity.removesuffix(suffix)) * factor)
    return int(quantity)


def test_the_default_store_fits_in_two_gib_of_limits(helm: str) -> None:
    # Laptop weight: what the store may use at most, each pod counted as the scheduler does.
    total = 0
    for doc in r.render(helm, "default"):
        if doc["kind"] not in {"Deployment", "StatefulSet"}:
            continue
        pod = doc["spec"]["template"]["spec"]
        main = sum(_memory(c["resources"]["limits"]["memory"]) for c in pod["containers"])
        init = [_memory(c["resources"]["limits"]["memory"]) for c in pod.get("initContainers", [])]
        total += doc["spec"].get("replicas", 1) * max([main, *init])
    assert total <= 2 * GIB, f"{total / GIB:.2f} GiB of memory limits"


def test_production_runs_two_or_more_of_everything_behind_an_ingress(helm: str) -> None:
    docs = r.render(helm, "production")
    autoscalers = r.of_kind(docs, "HorizontalPodAutoscaler")
    for name in r.WORKLOADS:
        deployment = r.of_kind(docs, "Deployment")[f"polyshop-{name}"]
        autoscaler = autoscalers[f"polyshop-{name}"]
        # The HPA owns the count: a Deployment's replicas would reset it at every upgrade.
        assert "replicas" not in deployment["spec"]
        assert autoscaler["spec"]["minReplicas"] >= 2
        assert autoscaler["spec"]["scaleTargetRef"]["name"] == f"polyshop-{name}"
        env = r.env_of(deployment["spec"]["template"]["spec"]["containers"][0])
        assert env["ENVIRONMENT"] == "production"
    (ingress,) = r.of_kind(docs, "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    routes = {path["path"]: path["backend"]["service"]["name"] for path in rule["http"]["paths"]}
    assert routes == {"/": "polyshop-storefront", "/ws": "polyshop-notifications"}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    host = rule["host"]
    templates = dict(r.pod_templates(docs))
    storefront = r.env_of(templates["storefront"]["spec"]["containers"][0])
    notifications = r.env_of(templates["notifications"]["spec"]["containers"][0])
    assert storefront["NOTIFICATIONS_PUBLIC_URL"] == f"wss://{host}/ws"
    assert notifications["ALLOWED_ORIGINS"] == f"https://{host}"


def test_dev_runs_one_of_each_with_the_forwarded_addresses(helm: str) -> None:
    docs = r.render(helm, "dev")
    assert not r.of_kind(docs, "HorizontalPodAutoscaler")
    assert not r.of_kind(docs, "Ingress")
    templates = dict(r.pod_templates(docs))
    for name in r.WORKLOADS:
        assert r.of_kind(docs, "Deployment")[f"polyshop-{name}"]["spec"]["replicas"] == 1
        assert r.env_of(templates[name]["spec"]["containers"][0])["ENVIRONMENT"] == "dev"
    storefront = r.env_of(templates["storefront"]["spec"]["containers"][0])
    notifications = r.env_of(templates["notifications"]["spec"]["containers"][0])
    assert storefront["NOTIFICATIONS_PUBLIC_URL"] == "ws://127.0.0.1:8005/ws"
    assert notifications["ALLOWED_ORIGINS"] == "http://127.0.0.1:8080,http://localhost:8080"


def test_the_default_environment_is_staging(helm: str) -> None:
    for name, pod in r.pod_templates(r.render(helm, "default")):
        if name in r.WORKLOADS:
            assert r.env_of(pod["spec"]["containers"][0])["ENVIRONMENT"] == "staging"


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("default", "port-forward svc/polyshop-storefront 8080:8080"),
        ("production", "Open the store at https://shop.example.com/"),
    ],
)
def test_notes_say_how_to_reach_the_store(helm: str, profile: str, expected: str) -> None:
    values = [option for path in r.PROFILES[profile] for option in ("--values", path)]
    install = [helm, "install", "polyshop", str(r.CHART), "--namespace=polyshop"]
    done = subprocess.run(
        [*install, "--dry-run=client", *values],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    notes = done.stdout.split("NOTES:", 1)[1]
    assert expected in notes
    assert "secret polyshop-secrets" in notes


# --- the load generator ------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_the_load_generator_shops_where_the_profile_wants_it(helm: str, profile: str) -> None:
    docs = r.render(helm, profile)
    mine = [d for d in docs if d["metadata"]["labels"]["app.kubernetes.io/name"] == r.LOADGEN]
    if profile not in r.LOADGEN_PROFILES:
        assert mine == [], "no synthetic shoppers in the production-like profile"
        return
    name = f"polyshop-{r.LOADGEN}"
    assert sorted(d["kind"] for d in mine) == [
        "Deployment",
        "NetworkPolicy",
        "Service",
        "ServiceAccount",
    ]
    (container,) = r.of_kind(docs, "Deployment")[name]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "polyshop/loadgen:0.1.0"
    assert [p["containerPort"] for p in container["ports"]] == [r.LOADGEN_PORT]
    service = r.of_kind(docs, "Service")[name]
    assert [p["port"] for p in service["spec"]["ports"]] == [r.LOADGEN_PORT]
    env = r.env_of(container)
    urls = {k.removesuffix("_URL").lower(): v for k, v in env.items() if k.endswith("_URL")}
    assert urls == {c: f"http://polyshop-{c}:{r.PORTS[c]}" for c in r.LOADGEN_CALLS}
    assert env["LOCUST_WEB_PORT"] == str(r.LOADGEN_PORT)
    assert env["LOCUST_USERS"] == "3"
    assert env["LOCUST_SPAWN_RATE"] == "1"
    assert env["LOCUST_AUTOSTART"] == "true"
    # It restocks as staff; it is a shopper, not one of the services users issues tokens to.
    assert env["STAFF_PASSWORD"]["secretKeyRef"]["key"] == "staff-password"
    assert "SERVICE_CLIENT_SECRET" not in env


def test_a_load_generator_with_no_users_waits_for_its_web_ui(helm: str) -> None:
    off = (
        "--set",
        "loadgen.enabled=true",
        "--set",
        "loadgen.users=0",
        "--set",
        "loadgen.restock=false",
    )
    docs = r.render(helm, "default", *off)
    (container,) = r.of_kind(docs, "Deployment")["polyshop-loadgen"]["spec"]["template"]["spec"][
        "containers"
    ]
    env = r.env_of(container)
    assert env["LOCUST_AUTOSTART"] == "false"
    assert "STAFF_PASSWORD" not in env


# --- the monitoring stack: Prometheus, Grafana, Jaeger, the Collector ------------------------


def test_the_chart_reads_observability_through_a_symlink_not_a_copy() -> None:
    link = r.CHART / "files" / "observability"
    assert link.is_symlink(), "a copy of observability/ in the chart would drift from it"
    assert link.resolve() == r.OBSERVABILITY_DIR.resolve()


@pytest.mark.parametrize("profile", sorted(r.OBSERVABILITY_PROFILES))
def test_the_stacks_configmaps_hold_observability_as_it_is(helm: str, profile: str) -> None:
    configmaps = r.of_kind(r.render(helm, profile), "ConfigMap")
    for name, pattern in r.OBSERVABILITY_CONFIGMAPS.items():
        files = {path.name: path.read_text() for path in r.OBSERVABILITY_DIR.glob(pattern)}
        assert files, f"observability/{pattern} matches nothing"
        assert configmaps[name]["data"] == files, f"{name} differs from observability/{pattern}"


@pytest.mark.parametrize(
    ("part", "name"),
    [
        ("prometheus", "prometheus"),
        ("grafana", "grafana"),
        ("jaeger", "jaeger"),
        ("otelCollector", "otel-collector"),
    ],
)
def test_the_stack_is_off_by_default_and_each_part_switches_alone(
    helm: str, part: str, name: str
) -> None:
    names = {n for n, _ in r.pod_templates(r.render(helm, "default"))}
    assert not names & set(r.OBSERVABILITY), "the default (and k8s/) stays laptop-light"
    docs = r.render(helm, "dev", "--set", f"observability.{part}.enabled=false")
    assert {n for n, _ in r.pod_templates(docs)} & set(r.OBSERVABILITY) == set(r.OBSERVABILITY) - {
        name
    }
    assert name not in {doc["metadata"]["labels"]["app.kubernetes.io/name"] for doc in docs}
    # No NetworkPolicy lets anything reach, or be reached by, the part that is off.
    for policy in r.of_kind(docs, "NetworkPolicy").values():
        assert f"app.kubernetes.io/name: {name}\n" not in yaml.safe_dump(policy), part


def test_prometheus_scrapes_with_exemplars_and_may_only_read_pods(helm: str) -> None:
    docs = r.render(helm, "dev")
    deployment = r.of_kind(docs, "Deployment")["polyshop-prometheus"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "--enable-feature=exemplar-storage" in container["args"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in container["args"]
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    sources = volumes[mounts["/etc/prometheus"]]["projected"]["sources"]
    placed = {}
    for source in sources:
        configmap = r.of_kind(docs, "ConfigMap")[source["configMap"]["name"]]
        items = source["configMap"].get("items") or [
            {"key": k, "path": k} for k in configmap["data"]
        ]
        placed |= {item["path"]: configmap["data"][item["key"]] for item in items}
    # prometheus.yml with rules/ beside it, as observability/prometheus/ has them.
    prometheus = r.OBSERVABILITY_DIR / "prometheus"
    expected = {"prometheus.yml": (prometheus / "prometheus.yml").read_text()}
    expected |= {f"rules/{p.name}": p.read_text() for p in (prometheus / "rules").glob("*.yml")}
    assert placed == expected
    assert "emptyDir" in volumes[mounts["/prometheus"]]
    # The token it mounts is bound to one Role that reads pods of its namespace and nothing more.
    assert pod["automountServiceAccountToken"] is True
    (binding,) = r.of_kind(docs, "RoleBinding").values()
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": pod["serviceAccountName"], "namespace": r.NAMESPACE}
    ]
    (role,) = r.of_kind(docs, "Role").values()
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
    ]
    assert not r.of_kind(docs, "ClusterRole")
    assert not r.of_kind(docs, "ClusterRoleBinding")
    # observability/README.md: the services' ports are named http (orders-worker: metrics).
    for name, template in r.pod_templates(docs):
        if name in r.WORKLOADS:
            (port,) = template["spec"]["containers"][0]["ports"]
            assert port["name"] == ("metrics" if name == "orders-worker" else "http"), name


def test_grafana_is_provisioned_from_observability(helm: str) -> None:
    docs = r.render(helm, "dev")
    pod = r.of_kind(docs, "Deployment")["polyshop-grafana"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = r.env_of(container)
    assert env["PROMETHEUS_URL"] == "http://polyshop-prometheus:9090"
    assert env["JAEGER_URL"] == "http://polyshop-jaeger:16686"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env, "read from a file, not an env value"
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    configmaps = r.of_kind(docs, "ConfigMap")
    provisioned = {}
    for source in volumes[mounts["/etc/grafana/provisioning"]]["projected"]["sources"]:
        data = configmaps[source["configMap"]["name"]]["data"]
        provisioned |= {item["path"]: data[item["key"]] for item in source["configMap"]["items"]}
    grafana = r.OBSERVABILITY_DIR / "grafana"
    assert provisioned == {
        str(path.relative_to(grafana / "provisioning")): path.read_text()
        for path in (grafana / "provisioning").rglob("*.yaml")
    }
    dashboards = volumes[mounts["/var/lib/grafana/dashboards/polyshop"]]["configMap"]["name"]
    assert set(configmaps[dashboards]["data"]) == {
        p.name for p in (grafana / "dashboards").glob("*.json")
    }
    secret = volumes[mounts["/etc/grafana/secrets"]]["secret"]
    assert secret["items"] == [{"key": "grafana-admin-password", "path": "admin-password"}]
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/etc/grafana/secrets/admin-password"
    assert _secret_data(helm, "--values", r.PROFILES["dev"][0])["grafana-admin-password"]


def test_the_collector_forwards_to_the_charts_jaeger(helm: str) -> None:
    docs = r.render(helm, "dev")
    pod = r.of_kind(docs, "Deployment")["polyshop-otel-collector"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert r.env_of(container)["JAEGER_OTLP_ENDPOINT"] == "polyshop-jaeger:4317"
    assert container["args"] == ["--config=/etc/otelcol/config.yaml"]
    (mount,) = container["volumeMounts"]
    assert mount["mountPath"] == "/etc/otelcol"
    jaeger = r.of_kind(docs, "Service")["polyshop-jaeger"]
    assert {p["name"]: p["port"] for p in jaeger["spec"]["ports"]} == {
        "http": 16686,
        "otlp-grpc": 4317,
    }
    # An otel.endpoint of the cluster's own wins over the chart's Collector.
    other = "http://collector.elsewhere:4318"
    for name, template in r.pod_templates(r.render(helm, "dev", "--set", f"otel.endpoint={other}")):
        if name in r.WORKLOADS:
            assert (
                r.env_of(template["spec"]["containers"][0])["OTEL_EXPORTER_OTLP_ENDPOINT"] == other
            )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            ["observability.prometheus.enable=true"],
            ["'/observability/prometheus'", "additional properties 'enable' not allowed"],
            id="prometheus-key",
        ),
        pytest.param(
            ["observability.loki.enabled=true"],
            ["'/observability'", "additional properties 'loki' not allowed"],
            id="unknown-tool",
        ),
        pytest.param(
            ["observability.grafana.image=grafana/grafana"],
            ["'/observability/grafana/image'"],
            id="image-without-tag",
        ),
        pytest.param(
            ["observability.prometheus.apiServer.port=443"],
            ["'/observability/prometheus/apiServer'", "additional properties 'port' not allowed"],
            id="nested-key",
        ),
    ],
)
def test_the_schema_refuses_bad_observability_values(
    helm: str, values: list[str], expected: list[str]
) -> None:
    done = r.helm_template(helm, *(f"--set={value}" for value in values))
    assert done.returncode != 0, f"{values} rendered"
    for fragment in expected:
        assert fragment in done.stderr, done.stderr


def test_notes_say_how_to_reach_the_stack(helm: str) -> None:
    for profile, expected in [
        ("dev", "port-forward svc/polyshop-grafana 3000:3000"),
        ("default", "--set observability.prometheus.enabled=true"),
    ]:
        values = [option for path in r.PROFILES[profile] for option in ("--values", path)]
        install = [helm, "install", "polyshop", str(r.CHART), "--namespace=polyshop"]
        done = subprocess.run(
            [*install, "--dry-run=client", *values], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout.split("NOTES:", 1)[1], profile


def test_helm_package_carries_observability_without_its_tests(helm: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [helm, "package", str(r.CHART), "--destination", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    (archive,) = tmp_path.glob("polyshop-*.tgz")
    with tarfile.open(archive) as tar:
        packed = {
            name.removeprefix("polyshop/files/observability/"): tar.extractfile(name)
            .read()
            .decode()
            for name in tar.getnames()
            if name.startswith("polyshop/files/observability/")
        }
    wanted = {
        str(path.relative_to(r.OBSERVABILITY_DIR)): path.read_text()
        for pattern in r.OBSERVABILITY_CONFIGMAPS.values()
        for path in r.OBSERVABILITY_DIR.glob(pattern)
    }
    assert packed == wanted


# --- checkov -----------------------------------------------------------------------------------


CHECKOV_OPTIONS = ["--framework=kubernetes", "--skip-download", "--compact", "--quiet", "-o=json"]


@pytest.mark.parametrize(
    ("profile", "options"),
    [
        pytest.param("default", (), id="default"),
        pytest.param("production", (), id="production"),
        # The dev profile's load generator, with the rest of the default (hardened) profile.
        pytest.param("default", ("--set", "loadgen.enabled=true"), id="default-with-loadgen"),
    ],
)
def test_checkov_finds_nothing(
    checkov: str, helm: str, profile: str, options: tuple[str, ...], tmp_path: Path
) -> None:
    rendered = tmp_path / f"{profile}.yaml"
    rendered.write_text(r.render_text(helm, profile, *options))
    done = subprocess.run(
        [checkov, "--file", str(rendered), *CHECKOV_OPTIONS],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    report = json.loads(done.stdout)
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    assert report["summary"]["failed"] == 0
    assert report["summary"]["passed"] > 500
    # Every skip is an annotation beside its object, with a reason; none come from elsewhere.
    skips = [
        value
        for doc in yaml.safe_load_all(rendered.read_text())
        if doc
        for key, value in doc["metadata"].get("annotations", {}).items()
        if key.startswith("checkov.io/skip")
    ]
    for skip in skips:
        assert re.fullmatch(r"CKV2?_K8S_\d+=\S.{20,}", skip), f"unjustified skip: {skip}"
    assert report["summary"]["skipped"] == len(skips)


# --- secrets -----------------------------------------------------------------------------------


def _secret_data(helm: str, *args: str) -> dict[str, str]:
    done = r.helm_template(helm, "--show-only", "templates/secret.yaml", *args)
    assert done.returncode == 0, done.stderr
    (secret,) = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def _referenced_keys(docs: list[dict[str, Any]]) -> set[str]:
    keys = set()
    for _, pod in r.pod_templates(docs):
        for container in [*pod["spec"].get("initContainers", []), *pod["spec"]["containers"]]:
            for item in container.get("env", []):
                reference = item.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    assert reference["name"] == "polyshop-secrets"
                    keys.add(reference["key"])
        for volume in pod["spec"].get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] == "polyshop-secrets"
                keys |= {item["key"] for item in volume["secret"]["items"]}
    return keys


def test_secrets_are_generated_afresh_and_hold_every_key_the_pods_read(helm: str) -> None:
    first, second = _secret_data(helm), _secret_data(helm)
    assert set(first) == _referenced_keys(r.render(helm, "default"))
    for key in first:
        assert first[key] != second[key], f"{key} is the same in two renders: not generated"
        assert len(first[key]) >= 32, key
    for key in first.keys() - {"jwt-private-key"}:
        # They go into DATABASE_URL and REDIS_URL unescaped.
        assert re.fullmatch(r"[A-Za-z0-9]+", first[key]), key
    key = load_pem_private_key(first["jwt-private-key"].encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)


def test_a_supplied_secret_is_used_as_given(helm: str) -> None:
    data = _secret_data(
        helm,
        "--set",
        "secrets.values.staff-password=correct-horse-battery",
        "--set",
        "secrets.values.db-password-catalog=catalog-given",
    )
    assert data["staff-password"] == "correct-horse-battery"
    assert data["db-password-catalog"] == "catalog-given"
    assert data["db-password-orders"] != "catalog-given"


def test_an_existing_secret_replaces_the_generated_one(helm: str) -> None:
    docs = r.render(helm, "default", "--set", "secrets.existingSecret=mine")
    assert not r.of_kind(docs, "Secret")
    names = {
        item["valueFrom"]["secretKeyRef"]["name"]
        for _, pod in r.pod_templates(docs)
        for container in pod["spec"]["containers"]
        for item in container["env"]
        if "secretKeyRef" in item.get("valueFrom", {})
    }
    assert names == {"mine"}


def test_dev_pins_every_secret(helm: str) -> None:
    # Tilt renders with `helm template` at every Tiltfile load: generated values would drift away
    # from the passwords PostgreSQL was initialised with.
    first = _secret_data(helm, "--values", r.PROFILES["dev"][0])
    assert first == _secret_data(helm, "--values", r.PROFILES["dev"][0])
