"""promtool on the Prometheus files: both configurations, the rules, and the rules' unit tests.

Debian's Prometheus is built without Kubernetes service discovery, so its promtool refuses the
cluster configuration's `kubernetes_sd_configs`. There the test checks that block's fields itself
and hands promtool the rest, then proves the relabelling on a real Prometheus: pods as Kubernetes
discovery would describe them (its `__meta_kubernetes_*` labels, through file discovery) must
come out with job = the service's name, and everything else must be dropped.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from observability_testing import PROMETHEUS_DIR, Prometheus, load_yaml, with_absolute_rules

from e2e.waiting import poll_until

CLUSTER = PROMETHEUS_DIR / "prometheus.yml"
LOCAL = PROMETHEUS_DIR / "prometheus.local.yml"
RULES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
SERVICES = ("storefront", "catalog", "cart", "orders", "payments", "notifications", "users")
SERVICES += ("inventory", "orders-worker")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_the_local_configuration_passes_promtool(promtool):
    result = run(promtool, "check", "config", str(LOCAL))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_local_configuration_scrapes_each_service_as_its_own_job():
    jobs = {job["job_name"]: job for job in load_yaml(LOCAL)["scrape_configs"]}
    assert set(jobs) == set(SERVICES)
    ports = {name: job["static_configs"][0]["targets"] for name, job in jobs.items()}
    assert ports["storefront"] == ["127.0.0.1:8080"]
    assert ports["orders-worker"] == ["127.0.0.1:8013"]


def test_both_configurations_load_the_same_rules():
    assert load_yaml(CLUSTER)["rule_files"] == load_yaml(LOCAL)["rule_files"] == ["rules/*.yml"]


def _kubernetes_sd_checked(sd: dict) -> None:
    """The fields Prometheus documents for kubernetes_sd_configs, as used here."""
    assert set(sd) <= {"role", "namespaces", "selectors", "api_server", "kubeconfig_file"}, sd
    assert sd["role"] == "pod"
    assert set(sd.get("namespaces", {})) <= {"own_namespace", "names"}
    for selector in sd.get("selectors", []):
        assert set(selector) <= {"role", "label", "field"}, selector
        assert selector["role"] == "pod"


def _discovered_as_files(config: dict, pods_file: Path) -> dict:
    """The cluster configuration with Kubernetes discovery swapped for file discovery of the same
    pods; relabelling and everything else untouched."""
    jobs = []
    for job in config["scrape_configs"]:
        job = dict(job)
        for sd in job.pop("kubernetes_sd_configs", []):
            _kubernetes_sd_checked(sd)
            job["file_sd_configs"] = [{"files": [str(pods_file)]}]
        jobs.append(job)
    return with_absolute_rules(config) | {"scrape_configs": jobs}


def pod(name: str, port_name: str, port: int, phase: str = "Running") -> dict:
    return {
        "targets": [f"127.0.0.1:{port}"],
        "labels": {
            "__meta_kubernetes_namespace": "polyshop",
            "__meta_kubernetes_pod_name": f"polyshop-{name}-5d9c7b-x2x4q",
            "__meta_kubernetes_pod_phase": phase,
            "__meta_kubernetes_pod_container_port_name": port_name,
            "__meta_kubernetes_pod_label_app_kubernetes_io_name": name,
            "__meta_kubernetes_pod_label_app_kubernetes_io_part_of": "polyshop",
        },
    }


def test_the_cluster_configuration_passes_promtool(promtool, tmp_path):
    result = run(promtool, "check", "config", str(CLUSTER))
    if result.returncode == 0:
        return
    # Debian's build: no Kubernetes discovery compiled in; check everything else.
    assert "kubernetes_sd_configs" in result.stdout + result.stderr, result.stdout + result.stderr
    pods_file = tmp_path / "pods.json"
    pods_file.write_text("[]")
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps(_discovered_as_files(load_yaml(CLUSTER), pods_file)))
    result = run(promtool, "check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr


def test_cluster_relabelling_names_each_service_pod_and_drops_the_rest(tools, tmp_path):
    wanted = [pod(name, "http", 18000 + n) for n, name in enumerate(SERVICES[:-1])]
    wanted.append(pod("orders-worker", "metrics", 18013))
    unwanted = [
        pod("postgresql", "tcp-postgresql", 15432),  # the chart's stores and tools
        pod("grafana", "http", 13000),
        pod("catalog", "http", 18100, phase="Pending"),
        pod("catalog", "grpc", 18101),  # another port of a service
    ]
    pods_file = tmp_path / "pods.json"
    pods_file.write_text(json.dumps(wanted + unwanted))
    config = _discovered_as_files(load_yaml(CLUSTER), pods_file)
    prometheus = Prometheus(tools[0], config, tmp_path / "prometheus").start()
    try:
        # Discovery hands its targets over every few seconds.
        targets = poll_until(
            lambda: (
                (t := prometheus.targets())
                and len(t["activeTargets"]) + len(t["droppedTargets"]) == len(wanted + unwanted)
                and t
            ),
            timeout=30,
            what="the discovered pods to be relabelled",
        )
    finally:
        prometheus.stop()
    active = {t["labels"]["job"]: t["labels"] for t in targets["activeTargets"]}
    assert set(active) == set(SERVICES)
    assert len(targets["activeTargets"]) == len(SERVICES)
    assert active["orders-worker"]["instance"] == "polyshop-orders-worker-5d9c7b-x2x4q"
    assert active["catalog"]["namespace"] == "polyshop"
    assert len(targets["droppedTargets"]) == len(unwanted)


def test_rules_pass_promtool(promtool):
    result = run(promtool, "check", "rules", *map(str, RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_summary_a_runbook_a_severity_and_unit_tests(promtool):
    alerts = [
        rule
        for path in RULES
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    assert {a["alert"] for a in alerts} >= {
        "PolyshopServiceDown",
        "PolyshopHighErrorRatio",
        "PolyshopLatencyBudgetBurn",
        "PolyshopOutboxBacklogGrowing",
        "PolyshopWebSocketDisconnectStorm",
        "PolyshopPaymentDeclineSpike",
    }
    tested_firing, tested_silent = set(), set()
    for path in RULE_TESTS:
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (tested_firing if check.get("exp_alerts") else tested_silent).add(
                    check["alertname"]
                )
    for alert in alerts:
        assert alert["annotations"].get("summary"), alert["alert"]
        assert len(alert["annotations"].get("runbook", "")) > 80, alert["alert"]
        assert alert["labels"]["severity"] in {"page", "ticket"}, alert["alert"]
        assert alert["alert"] in tested_firing, f"{alert['alert']}: no test where it fires"
        assert alert["alert"] in tested_silent, f"{alert['alert']}: no test where it stays silent"


def test_alert_unit_tests_pass(promtool):
    result = run(promtool, "test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
