"""`make bench-smoke`: the whole benchmark for seconds, `make load` headless against its store
among them (both write their reports, CSVs and charts; the figures of so short a run mean nothing
and are not checked), and the report's arithmetic on made-up steps."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import report
from scenarios import Step

BENCH = Path(__file__).resolve().parents[1] / "bench.py"
PNG = b"\x89PNG\r\n\x1a\n"


def step(scenario: str, users: int, rps: float, p99: float, failures: int = 0) -> Step:
    limit = 500 if scenario.startswith(("checkout", "telemetry")) else 150
    return Step(
        "embedded",
        scenario,
        users,
        10,
        int(rps * 10),
        failures,
        rps,
        p99 / 3,
        p99 / 2,
        p99,
        limit,
        cpu={"store_cores": 1.5, "loadgen_cores": 0.3, "helper_cores": 0.0, "other_cores": 0.1},
    )


def made_up_run() -> report.Run:
    result = report.ConfigResult("embedded", cold_start_seconds=8.0)
    result.memory = {"storefront": (90.0, 60.0), "catalog": (95.0, 70.0)}
    result.steps = {
        "checkout": [
            step("checkout", 1, 10, 80),
            step("checkout", 2, 18, 120),
            step("checkout", 4, 22, 650),
        ],
        "product page": [
            step("product page", 1, 120, 20),
            step("product page", 2, 210, 90),
            step("product page", 4, 220, 60, failures=3),
        ],
        "catalog API": [step("catalog API", 1, 300, 10), step("catalog API", 2, 500, 12)],
        "bare FastAPI": [step("bare FastAPI", 1, 2000, 2), step("bare FastAPI", 2, 2500, 3)],
    }
    # Two turns of each side: pooled, 18 and 20 checkouts/s.
    result.telemetry = [
        step("telemetry on", 2, 17, 120),
        step("telemetry off", 2, 21, 100),
        step("telemetry on", 2, 19, 120),
        step("telemetry off", 2, 19, 100),
    ]
    result.observations = 2 * 18 * 10 * 40
    machine = report.Machine("Test CPU", 2, 4.0, "Debian", "CPython 3.11", "2.x")
    return report.Run(machine, "2026-01-01T000000", 600, False, [result], observation_us=5.0)


def test_the_knee_best_and_peak_steps() -> None:
    checkout = made_up_run().results[0].steps["checkout"]
    assert [s.within_limits for s in checkout] == [True, True, False]
    assert report.best(checkout).users == 2
    # Telemetry is compared where the store is busiest: the most throughput without a failure.
    assert report.telemetry_users(checkout) == 4
    pages = made_up_run().results[0].steps["product page"]
    # 4 users had failures: never the best, nor the peak.
    assert report.best(pages).users == report.peak(pages).users == 2


def test_the_goals_table_says_what_was_met_and_missed() -> None:
    table = report.summary_table(made_up_run())
    assert "| checkout | ≥ 50 checkouts/s" in table
    assert "18 checkouts/s at 2 users (p99 120 ms) — **missed**" in table
    assert "20% (500 vs 2500 req/s) — **missed**" in table
    assert "10.0% (18.0 vs 20.0 checkouts/s, 2 users) — **met**" in table
    assert "185 MB RSS — **met**" in table
    assert "8.0 s to all ready — **met**" in table


def test_metrics_share_is_observations_times_their_cost_over_the_store_cpu() -> None:
    result = made_up_run().results[0]
    per_checkout, share = report.metrics_share(result, observation_us=5.0)
    assert per_checkout == pytest.approx(40)
    # 1.5 cores for 20 s over 360 checkouts: 83 ms of CPU each; 40 x 5 us is 0.24 % of it.
    assert share == pytest.approx(40 * 5 / (1.5 * 10 / 180 * 1e6))


def test_a_slow_step_is_not_yet_the_knee_but_a_failure_is() -> None:
    from scenarios import past_the_knee

    fast, slow = step("checkout", 1, 10, 80), step("checkout", 2, 12, 700)
    assert not past_the_knee([fast, slow])
    assert past_the_knee([fast, slow, step("checkout", 4, 12, 800)])
    assert not past_the_knee([fast, slow, step("checkout", 4, 14, 300)])
    assert past_the_knee([fast, step("checkout", 2, 12, 80, failures=1)])


def test_the_docs_section_is_replaced_between_its_markers(tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\nintro\n")
    run = made_up_run()
    report.update_docs(run, docs, tmp_path / "2026-01-01T000000")
    report.update_docs(run, docs, tmp_path / "2026-01-01T000000")
    text = docs.read_text()
    assert text.startswith("# Performance\n\nintro\n")
    assert text.count(report.DOCS_BEGIN) == text.count(report.DOCS_END) == 1
    assert "Latest run: 2026-01-01, 2-core Test CPU" in text


def test_the_smoke_run_writes_the_report_the_csv_and_the_charts(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = (out / "report.md").read_text()
    assert "| goal (issue #8) | target | embedded |" in text
    for goal in ("checkout", "product page", "catalog API", "telemetry", "memory", "cold start"):
        assert f"| {goal} |" in text
    with (out / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    scenarios = {row["scenario"] for row in rows}
    assert scenarios >= {
        "warm-up",
        "product page",
        "catalog API",
        "bare FastAPI",
        "checkout",
        "telemetry on",
        "telemetry off",
    }
    for scenario in scenarios:
        assert any(int(r["requests"]) > 0 for r in rows if r["scenario"] == scenario), scenario
    with (out / "memory.csv").open() as handle:
        processes = {row["process"] for row in csv.DictReader(handle)}
    assert {"storefront", "catalog", "orders", "orders-worker", "inventory"} <= processes
    for chart in ("checkout-embedded.png", "reads-embedded.png"):
        assert (out / chart).read_bytes().startswith(PNG)
        assert f"]({chart})" in text
    # `make load`, run headless against the same store: Locust's own CSV report.
    with (out / "load_stats.csv").open() as handle:
        load = {row["Name"]: row for row in csv.DictReader(handle)}
    assert int(load["Aggregated"]["Request Count"]) > 0
    assert int(load["Aggregated"]["Failure Count"]) == 0
    # Every shopper signed up for an account of its own.
    assert int(load["users /api/users"]["Request Count"]) == 3
