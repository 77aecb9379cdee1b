"""The live proof: the store and its orders-worker as local processes, a real Prometheus scraping
them every second with prometheus.local.yml and the same rules (exemplar storage on), shopper
traffic that covers every dashboard, then every query of every panel of every dashboard, with
each template variable set to each of its real values: no query fails, every panel shows data,
and the latency panels' exemplars lead to traces the store really sent.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import shoppers
from observability_testing import (
    LABEL_VALUES,
    PROMETHEUS_DIR,
    Prometheus,
    QueryError,
    concrete,
    has_data,
    load_dashboards,
    load_yaml,
    panels,
    variable_query,
    variables,
    with_absolute_rules,
)

from e2e import tokens
from e2e.otlp import OtlpReceiver
from e2e.store import LocalStore, port_is_free, traced_env
from e2e.waiting import poll_until

WORKER_METRICS_PORT = 8013
JOBS = {"storefront", "catalog", "cart", "orders", "orders-worker", "payments"}
JOBS |= {"notifications", "users", "inventory"}
# Grafana's built-in intervals, made concrete: wide enough to hold all of the traffic.
RATE_INTERVAL, RANGE = "5m", "15m"
# Panels that may be empty for some values of their variable, and why. Every panel must still
# show data for every other value.
NO_CALLS = "calls no other service"
CACHED_JWKS = "calls only users, once, for the signing keys it then caches: no rate to show"
MAY_BE_EMPTY = {
    ("polyshop-service", "Outgoing calls per second by dependency"): {
        "catalog": NO_CALLS,
        "users": NO_CALLS,
    },
    ("polyshop-service", "Outgoing call latency p95 by dependency"): {
        "catalog": NO_CALLS,
        "users": NO_CALLS,
        "inventory": CACHED_JWKS,
        "notifications": CACHED_JWKS,
        "payments": CACHED_JWKS,
    },
    ("polyshop-service", "Store latency p95 by operation"): {
        "storefront": "keeps no store",
        "notifications": "keeps its notifications in process locally (Redis in the cluster)",
    },
}


@dataclass
class Observed:
    prometheus: Prometheus
    otlp: OtlpReceiver
    started: float
    ended: float


@pytest.fixture(scope="module")
def observed(tools, tmp_path_factory) -> Iterator[Observed]:
    if not port_is_free(WORKER_METRICS_PORT):
        pytest.fail(f"port {WORKER_METRICS_PORT} (orders-worker's metrics) is in use")
    workdir = tmp_path_factory.mktemp("observed")
    otlp = OtlpReceiver().start()
    store = LocalStore(
        workdir=workdir / "store",
        env={
            **traced_env(otlp.endpoint, tokens.pem(tokens.new_key())),
            "WORKER_METRICS_PORT": str(WORKER_METRICS_PORT),
        },
    )
    config = with_absolute_rules(load_yaml(PROMETHEUS_DIR / "prometheus.local.yml"))
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    prometheus = Prometheus(tools[0], config, workdir / "prometheus")
    try:
        store.start()
        prometheus.start()

        def all_up() -> bool:
            up = {r["metric"]["job"]: r["value"][1] for r in prometheus.query("up")}
            return set(up) == JOBS and set(up.values()) == {"1"}

        poll_until(all_up, timeout=30, what="Prometheus to scrape every service and the worker")
        started = time.time()
        shoppers.shop_for_a_while()
        ended = time.time()

        # One more scrape of every target, and one more rule evaluation, after the last request.
        def caught_up() -> bool:
            scraped = prometheus.query("min(timestamp(up))")
            evaluated = prometheus.query("min(timestamp(job:http_server_requests:rate5m))")
            return (
                bool(scraped and evaluated)
                and min(float(scraped[0]["value"][1]), float(evaluated[0]["value"][1])) > ended + 1
            )

        poll_until(
            caught_up, timeout=30, what="Prometheus to scrape and evaluate after the traffic"
        )
        yield Observed(prometheus, otlp, started, ended)
    finally:
        prometheus.stop()
        store.stop()
        otlp.stop()


def variable_values(prometheus: Prometheus, dashboard: dict) -> list[dict[str, str]]:
    """Every combination of the dashboard's variables, each from Prometheus's label values."""
    names, choices = [], []
    for name, variable in variables(dashboard).items():
        query = LABEL_VALUES.match(variable_query(variable))
        assert query, f"{dashboard['uid']}: ${name} is not a label_values() query"
        values = prometheus.label_values(query["label"], query["match"])
        assert values, f"{dashboard['uid']}: ${name} has no values"
        names.append(name)
        choices.append(values)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]


def every_query(prometheus: Prometheus) -> Iterator[tuple[str, dict, dict, dict[str, str], str]]:
    """(dashboard uid, panel, target, variable values, concrete query) for the whole lot."""
    for dashboard in load_dashboards().values():
        for values in variable_values(prometheus, dashboard):
            for panel in panels(dashboard):
                for target in panel["targets"]:
                    expr = concrete(
                        target["expr"], values, rate_interval=RATE_INTERVAL, range_=RANGE
                    )
                    yield dashboard["uid"], panel, target, values, expr


def may_be_empty(uid: str, panel: dict, values: dict[str, str]) -> str | None:
    reasons = MAY_BE_EMPTY.get((uid, panel["title"]), {})
    return next((reasons[v] for v in values.values() if v in reasons), None)


def test_prometheus_scrapes_every_service_and_the_worker_as_its_job(observed: Observed):
    up = {r["metric"]["job"]: r["value"][1] for r in observed.prometheus.query("up")}
    assert up == dict.fromkeys(JOBS, "1")


def test_every_rule_evaluates_without_error(observed: Observed):
    groups = observed.prometheus.api("rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) > 30
    broken = [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"]
    assert not broken


def test_every_metric_the_alerts_read_is_exported(observed: Observed):
    exported = set(observed.prometheus.label_values("__name__"))
    for group in load_yaml(PROMETHEUS_DIR / "rules/alerts.yml")["groups"]:
        for rule in group["rules"]:
            names = re.findall(r"\b(?:polyshop_\w+|http_\w+|up)\b(?=\s*[{\[=)])", rule["expr"])
            for name in names:
                assert name in exported, f"{rule['alert']} reads {name}, which no target exports"


def test_every_panel_query_runs_and_shows_data(observed: Observed):
    prometheus = observed.prometheus
    end = time.time()
    # A handful of points per graph is enough to see whether it is empty.
    step = f"{max(2, int((end - observed.started) / 6))}s"
    failures, checked, shown = [], 0, set()
    for uid, panel, target, values, expr in every_query(prometheus):
        where = f"{uid} / {panel['title']} / {target['refId']} {values or ''}"
        try:
            if target.get("instant"):
                result = prometheus.query(expr)
            else:
                result = prometheus.query_range(expr, start=observed.started, end=end, step=step)
        except QueryError as error:
            failures.append(f"{where}: {error}")
            continue
        checked += 1
        if has_data(result):
            shown.add((uid, panel["title"]))
        elif not may_be_empty(uid, panel, values):
            failures.append(f"{where}: no data from {expr}")
    assert checked > 150
    assert not failures, "\n".join(failures)
    # A panel that may be empty for some values shows data for the others.
    assert set(MAY_BE_EMPTY) <= shown


def test_latency_panels_show_exemplars_of_traces_the_store_sent(observed: Observed):
    prometheus = observed.prometheus
    missing, trace_ids = [], set()
    for uid, panel, target, values, expr in every_query(prometheus):
        if not target.get("exemplar") or may_be_empty(uid, panel, values):
            continue
        found = prometheus.exemplars(expr, start=observed.started, end=time.time())
        ids = {e["labels"].get("trace_id") for series in found for e in series["exemplars"]}
        if not ids - {None}:
            missing.append(f"{uid} / {panel['title']} / {target['refId']} {values or ''}")
        trace_ids |= ids - {None}
    assert not missing, "no exemplars for:\n" + "\n".join(missing)
    received = {span.trace_id for span in observed.otlp.spans}
    assert len(trace_ids & received) > 0.9 * len(trace_ids), "exemplars of traces never sent"
