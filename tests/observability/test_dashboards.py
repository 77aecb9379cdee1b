"""The Grafana files by structure (no Grafana runs here): provisioning with fixed data source uids,
dashboards whose panels, targets and variables are all wired to them, latency panels with
exemplars, and every recorded series a dashboard reads defined by a recording rule."""

from __future__ import annotations

import re

import pytest
from observability_testing import (
    GRAFANA_DIR,
    OBSERVABILITY,
    PROMETHEUS_DIR,
    VARIABLE,
    all_panels,
    load_dashboards,
    load_yaml,
    panels,
    variable_query,
    variables,
)

DASHBOARDS = load_dashboards()
DATASOURCES = load_yaml(GRAFANA_DIR / "provisioning/datasources/polyshop.yaml")["datasources"]
UIDS = {source["uid"]: source for source in DATASOURCES}
RECORDED = re.compile(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b")
LATENCY = re.compile(r"histogram_quantile\(.*_duration_seconds_bucket")


def test_data_sources_have_fixed_uids_and_exemplars_open_traces():
    assert set(UIDS) == {"polyshop-prometheus", "polyshop-jaeger"}
    assert UIDS["polyshop-prometheus"]["type"] == "prometheus"
    assert UIDS["polyshop-jaeger"]["type"] == "jaeger"
    (destination,) = UIDS["polyshop-prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    # The kit labels its exemplars trace_id (polykit.metrics.current_exemplar).
    assert destination == {"name": "trace_id", "datasourceUid": "polyshop-jaeger"}


def test_the_dashboard_provider_loads_the_dashboards_folder():
    (provider,) = load_yaml(GRAFANA_DIR / "provisioning/dashboards/polyshop.yaml")["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"].endswith("/polyshop")


def test_the_five_dashboards_are_there_with_unique_uids_and_a_description():
    uids = [d["uid"] for d in DASHBOARDS.values()]
    assert len(uids) == len(set(uids))
    assert set(uids) >= {
        "polyshop-overview",
        "polyshop-service",
        "polyshop-frameworks",
        "polyshop-business",
        "polyshop-slos",
    }
    for name, dashboard in DASHBOARDS.items():
        assert len(dashboard.get("description", "")) > 40, f"{name}: say what it is for"
        assert dashboard["title"].startswith("polyshop / "), name
        assert "polyshop" in dashboard["tags"], name


@pytest.mark.parametrize("name", DASHBOARDS)
def test_panel_ids_are_unique_and_every_panel_is_placed(name):
    dashboard = DASHBOARDS[name]
    ids = [panel["id"] for panel in all_panels(dashboard)]
    assert len(ids) == len(set(ids)), f"{name}: repeated panel ids"
    for panel in all_panels(dashboard):
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"]), panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_target_has_a_ref_id_an_expression_and_a_provisioned_data_source(name):
    for panel in panels(DASHBOARDS[name]):
        assert panel.get("title"), panel.get("id")
        assert panel.get("description"), panel["title"]
        assert panel["datasource"]["uid"] in UIDS, panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"
        ref_ids = [target.get("refId") for target in panel["targets"]]
        assert all(ref_ids), f"{panel['title']}: a target without refId"
        assert len(ref_ids) == len(set(ref_ids)), f"{panel['title']}: repeated refIds"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in UIDS, panel["title"]
            assert target["expr"].strip(), panel["title"]


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_variable_used_is_defined_and_asks_a_provisioned_data_source(name):
    dashboard = DASHBOARDS[name]
    defined = variables(dashboard)
    for variable in defined.values():
        assert variable["datasource"]["uid"] in UIDS, variable["name"]
        assert variable_query(variable).startswith("label_values("), variable["name"]
    for panel in panels(dashboard):
        texts = [panel["title"], (panel.get("repeat") and f"${panel['repeat']}") or ""]
        texts += [target["expr"] for target in panel["targets"]]
        for text in texts:
            for match in VARIABLE.finditer(text):
                used = match.group(1) or match.group(2)
                assert used.startswith("__") or used in defined, f"{panel['title']}: ${used}"


@pytest.mark.parametrize("name", DASHBOARDS)
def test_latency_panels_show_exemplars(name):
    # Graphs of the request and store histograms; a stat shows one number, with no dots to click.
    for panel in panels(DASHBOARDS[name]):
        if panel["type"] != "timeseries":
            continue
        for target in panel["targets"]:
            raw_http = re.search(
                r"\b(http_\w+|db_client_\w+)_duration_seconds_bucket", target["expr"]
            )
            if LATENCY.search(target["expr"]) and raw_http:
                assert any(t.get("exemplar") for t in panel["targets"]), panel["title"]


def test_every_recorded_series_a_dashboard_reads_is_recorded():
    recorded = {
        rule["record"]
        for group in load_yaml(PROMETHEUS_DIR / "rules/recording.yml")["groups"]
        for rule in group["rules"]
    }
    for name, dashboard in DASHBOARDS.items():
        for panel in panels(dashboard):
            for target in panel["targets"]:
                for series in RECORDED.findall(target["expr"]):
                    assert series in recorded, f"{name} / {panel['title']}: {series}"


def test_every_config_file_opens_with_what_it_is_for():
    for path in sorted(OBSERVABILITY.rglob("*.y*ml")):
        head = path.read_text().splitlines()[:2]
        assert all(line.startswith("#") for line in head), f"{path}: open with a comment"


def test_the_collector_takes_otlp_limits_memory_batches_and_sends_to_jaeger():
    config = load_yaml(OBSERVABILITY / "otel-collector/config.yaml")
    (pipeline,) = config["service"]["pipelines"].values()
    assert pipeline["receivers"] == ["otlp"]
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    # memory_limiter first, so that it refuses data before anything else holds on to it.
    assert pipeline["processors"][0] == "memory_limiter"
    assert "batch" in pipeline["processors"]
    for kind in ("receivers", "processors", "exporters"):
        assert set(pipeline[kind]) <= set(config[kind]), kind
    (exporter,) = pipeline["exporters"]
    assert exporter.startswith("otlp/")
    assert "jaeger" in config["exporters"][exporter]["endpoint"].lower()
