"""The chart as the deployment tests see it: `helm template` with each values profile, the pod
templates in it, and a small NetworkPolicy evaluator that answers "may this pod reach that one on
this port?" the way the Kubernetes API defines it (for the subset the chart uses)."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from polykit.settings import SERVICE_PORTS

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "polyshop"
RELEASE = NAMESPACE = "polyshop"
PROFILES: dict[str, tuple[str, ...]] = {
    "default": (),
    "dev": (str(CHART / "ci" / "dev-values.yaml"),),
    "production": (str(CHART / "ci" / "production-values.yaml"),),
}

# The contract (design.md, docs/architecture.md, the shared k8s contract), written out here
# rather than read from the chart: the tests hold the chart to it.
PORTS = {**SERVICE_PORTS, "orders-worker": 8013}
FRAMEWORKS = {
    "storefront": "flask",
    "catalog": "fastapi",
    "cart": "sanic",
    "orders": "django",
    "orders-worker": "django",
    "payments": "falcon",
    "notifications": "tornado",
    "users": "pyramid",
    "inventory": "flask-restful",
}
WORKLOADS = tuple(PORTS)
SAGA = {"cart", "catalog", "inventory", "payments", "notifications", "users"}
CALLS: dict[str, set[str]] = {
    "storefront": {"catalog", "cart", "orders", "payments", "notifications", "users", "inventory"},
    "catalog": {"users"},
    "cart": {"catalog", "users"},
    "orders": SAGA,
    "orders-worker": SAGA,
    "payments": {"users"},
    "notifications": {"users"},
    "users": set(),
    "inventory": {"catalog", "users"},
}
# The load generator: no service of the store (no framework, no database, no Secret of its own),
# but a pod of the chart that calls the storefront and the APIs its journeys use, in the profiles
# that turn it on.
LOADGEN = "loadgen"
LOADGEN_PORT = 8089
LOADGEN_CALLS = {"storefront", "catalog", "cart", "orders", "users", "inventory"}
LOADGEN_PROFILES = {"dev"}
# The monitoring stack (observability/ at the repository root, read by the chart through the
# symlink helm/polyshop/files/observability): each pod's ports, the profiles that turn it on, and
# which of its ConfigMaps holds which files of observability/ (by glob).
OBSERVABILITY: dict[str, tuple[int, ...]] = {
    "prometheus": (9090,),
    "grafana": (3000,),
    "jaeger": (16686, 4317),
    "otel-collector": (4318,),
}
OBSERVABILITY_PROFILES = {"dev", "production"}
OBSERVABILITY_DIR = REPO / "observability"
OBSERVABILITY_CONFIGMAPS = {
    "polyshop-prometheus": "prometheus/prometheus.yml",
    "polyshop-prometheus-rules": "prometheus/rules/*.yml",
    "polyshop-grafana-datasources": "grafana/provisioning/datasources/*.yaml",
    "polyshop-grafana-providers": "grafana/provisioning/dashboards/*.yaml",
    "polyshop-grafana-dashboards": "grafana/dashboards/*.json",
    "polyshop-otel-collector": "otel-collector/config.yaml",
}
# Who talks to whom in the stack, on which port (the services' scrapes and exports come on top).
OBSERVABILITY_PATHS = {
    ("grafana", "prometheus", 9090),
    ("grafana", "jaeger", 16686),
    ("otel-collector", "jaeger", 4317),
}
DATABASE = {"catalog", "orders", "orders-worker", "payments", "users", "inventory"}
REDIS = {"cart", "notifications"}
# What reaches each store, and on which port.
STORES = {"postgresql": (5432, DATABASE), "redis": (6379, REDIS)}


def helm_template(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args],
        capture_output=True,
        text=True,
        check=False,
    )


@functools.cache
def render_text(helm: str, profile: str, *args: str) -> str:
    values = [option for path in PROFILES[profile] for option in ("--values", path)]
    done = helm_template(helm, *values, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@functools.cache
def render(helm: str, profile: str, *args: str) -> list[dict[str, Any]]:
    """The objects, parsed once per rendering: callers must not change them."""
    return [doc for doc in yaml.safe_load_all(render_text(helm, profile, *args)) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def pod_templates(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(app.kubernetes.io/name, pod template) of every workload."""
    for doc in docs:
        if doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}:
            template = doc["spec"]["template"]
            yield template["metadata"]["labels"]["app.kubernetes.io/name"], template


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    """name -> value, or the valueFrom mapping."""
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


# --- NetworkPolicy ----------------------------------------------------------------------------


@dataclass
class Pod:
    labels: dict[str, str]
    namespace: str = NAMESPACE
    namespace_labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The label every namespace has since Kubernetes 1.22.
        self.namespace_labels.setdefault("kubernetes.io/metadata.name", self.namespace)


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert not selector.get("matchExpressions"), "the evaluator reads matchLabels only"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def _peer_matches(peer: dict[str, Any], pod: Pod, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        # Addresses, not labels: whether a pod's address counts is the network plugin's choice,
        # so the evaluator assumes the worst: a block of every address takes in every pod.
        block = peer["ipBlock"]
        assert block.get("cidr") == "0.0.0.0/0", "the evaluator knows 0.0.0.0/0 only"
        assert not block.get("except"), "the evaluator knows 0.0.0.0/0 only"
        return True
    if "namespaceSelector" in peer:
        in_namespace = _selects(peer["namespaceSelector"], pod.namespace_labels)
    else:
        in_namespace = pod.namespace == policy_namespace
    return in_namespace and _selects(peer.get("podSelector", {}), pod.labels)


def _rule_allows(rule: dict[str, Any], key: str, peer: Pod, port: int, protocol: str) -> bool:
    namespace = rule["__namespace"]
    peers = rule.get(key)
    if peers and not any(_peer_matches(candidate, peer, namespace) for candidate in peers):
        return False
    ports = rule.get("ports")
    return not ports or any(
        entry.get("port") in (None, port) and entry.get("protocol", "TCP") == protocol
        for entry in ports
    )


def _side_allows(
    policies: list[dict[str, Any]], pod: Pod, direction: str, peer: Pod, port: int, protocol: str
) -> bool:
    policy_type, rules_key, peer_key = {
        "egress": ("Egress", "egress", "to"),
        "ingress": ("Ingress", "ingress", "from"),
    }[direction]
    isolating = [
        policy
        for policy in policies
        if policy["metadata"]["namespace"] == pod.namespace
        and policy_type in policy["spec"].get("policyTypes", ["Ingress"])
        and _selects(policy["spec"]["podSelector"], pod.labels)
    ]
    if not isolating:
        return True
    return any(
        _rule_allows(
            {**rule, "__namespace": policy["metadata"]["namespace"]},
            peer_key,
            peer,
            port,
            protocol,
        )
        for policy in isolating
        for rule in policy["spec"].get(rules_key) or []
    )


def reachable(
    policies: list[dict[str, Any]], source: Pod, target: Pod, port: int, protocol: str = "TCP"
) -> bool:
    """Both the source's egress and the target's ingress must allow the connection."""
    return _side_allows(policies, source, "egress", target, port, protocol) and _side_allows(
        policies, target, "ingress", source, port, protocol
    )
