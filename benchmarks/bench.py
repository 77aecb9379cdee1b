"""`make bench`: how fast the whole store is on this machine, measured under Locust load.

For each store configuration (the embedded default; PostgreSQL and Redis too when
E2E_POSTGRES_URL and E2E_REDIS_URL are set) it starts the store cold on ports of its own, with
spans exported to an OTLP sink and /metrics scraped every 15 s as in the cluster, then:

1. warms it up with the load generator's shopper journeys, and reads each process's memory;
2. raises closed-loop users step by step on the storefront's product page, on catalog's product
   API and on a bare FastAPI hello-world served the same way, up to the knee (errors, or the p99
   over 150 ms);
3. does the same for checkout (add to cart, then POST /api/orders) up to its knee (p99 500 ms);
4. measures the same checkout load in two fresh stores, telemetry on and off (the OpenTelemetry
   SDK disabled, nothing scraped).

The load generator runs on the same machine as the store; every step records the cores it, the
store and everything else used. Results: benchmarks/results/<timestamp>/ (report.md, results.csv,
memory.csv, PNG charts), and the summary table in docs/performance.md.

    python benchmarks/bench.py            # the full run (about 10 minutes per configuration)
    python benchmarks/bench.py --smoke    # seconds of each, and of `make load`, for CI
"""

from __future__ import annotations

# isort: off
# Locust patches the standard library with gevent as it is imported: before anything opens a
# socket.
import locust  # noqa: F401

# isort: on
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

import gevent
import httpx
import report
import scenarios
import stack
from gevent.queue import Queue
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
DOCS = REPO / "docs" / "performance.md"
OBSERVATIONS = (
    "http_server_request_duration_seconds",
    "http_client_request_duration_seconds",
    "db_client_operation_duration_seconds",
)


@dataclass(frozen=True)
class Plan:
    warmup_seconds: float = 30
    warmup_users: int = 20
    read_steps: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    read_seconds: float = 10
    checkout_steps: tuple[int, ...] = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64)
    checkout_seconds: float = 15
    settle_seconds: float = 3
    telemetry_seconds: float = 30
    # Fresh stores for both sides of the telemetry comparison, so that neither inherits the
    # other's history (tables grown by the ramps, warmed caches), in turns (on, off, on, off) so
    # that a change in the machine's other work weighs on both.
    telemetry_fresh_stores: bool = True
    telemetry_turns: int = 2
    scrape_seconds: float = 15
    # The smoke also runs `make load` headless for these seconds against the same store (0: not).
    load_seconds: int = 0


FULL = Plan()
SMOKE = Plan(
    warmup_seconds=2,
    warmup_users=4,
    read_steps=(1, 2),
    read_seconds=1,
    checkout_steps=(1, 2),
    checkout_seconds=1.5,
    settle_seconds=0.5,
    telemetry_seconds=1.5,
    telemetry_fresh_stores=False,
    telemetry_turns=1,
    scrape_seconds=1,
    load_seconds=3,
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def show(step: scenarios.Step) -> None:
    mark = "" if step.within_limits else "  <- over the limit"
    log(
        f"  {step.scenario:<13} {step.users:>3} users: {step.rps:7.1f}/s  p50 {step.p50_ms:5.0f}"
        f"  p95 {step.p95_ms:5.0f}  p99 {step.p99_ms:5.0f} ms  failures {step.failures}"
        f"  cores: store {step.cpu['store_cores']:.2f} load {step.cpu['loadgen_cores']:.2f}"
        f" other {step.cpu['other_cores']:.2f}{mark}"
    )
    for error in step.errors:
        log(f"      {error}")


@contextmanager
def scraping(store: stack.BenchStore, every: float) -> Iterator[None]:
    """Every process's /metrics fetched as Prometheus would (OpenMetrics, with exemplars)."""
    targets = [f"http://127.0.0.1:{stack.port(name)}/metrics" for name in list(store.processes)]

    def loop() -> None:
        accept = {"Accept": "application/openmetrics-text; version=1.0.0"}
        while True:
            for target in targets:
                with suppress(httpx.HTTPError):
                    httpx.get(target, headers=accept, timeout=5)
            gevent.sleep(every)

    scraper = gevent.spawn(loop)
    try:
        yield
    finally:
        scraper.kill()


def observations(store: stack.BenchStore) -> int:
    """Latency observations recorded so far by every process (the metrics' per-request work)."""
    total = 0
    for name in store.processes:
        text = httpx.get(f"http://127.0.0.1:{stack.port(name)}/metrics", timeout=5).text
        for family in text_string_to_metric_families(text):
            if family.name in OBSERVATIONS:
                total += sum(s.value for s in family.samples if s.name.endswith("_count"))
    return int(total)


def observation_cost_us() -> float:
    """What one latency observation costs, measured in a process of its own (no gevent)."""
    done = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, str(Path(__file__).with_name("metrics_cost.py"))],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stdout)["microseconds_per_observation"])


def accounts(count: int) -> None:
    scenarios.BenchUser.accounts = Queue(items=scenarios.register_accounts(count))


def store_pids(store: stack.BenchStore) -> list[int]:
    return [process.popen.pid for process in store.processes.values()]


def telemetry_run(
    config: stack.StoreConfig,
    plan: Plan,
    workdir: Path,
    sink: stack.Helper,
    users: int,
    *,
    telemetry: bool,
) -> tuple[scenarios.Step, int]:
    """The checkout at `users`, in a fresh store: warmed up for half as long as it is measured."""
    side = "on" if telemetry else "off"
    with stack.running_store(config, workdir, telemetry=telemetry, otlp_endpoint=sink.url) as run:
        meter = stack.CpuMeter(store_pids(run.store), [sink.pid])
        accounts(users)
        with scraping(run.store, plan.scrape_seconds) if telemetry else _nothing():
            scenarios.ramp(
                scenarios.CHECKOUT,
                [users],
                config=config.name,
                seconds=plan.telemetry_seconds / 2,
                settle=plan.settle_seconds,
                meter=meter,
                stop_at_knee=False,
            )
            before = observations(run.store)
            (step,) = scenarios.ramp(
                replace(scenarios.CHECKOUT, name=f"telemetry {side}"),
                [users],
                config=config.name,
                seconds=plan.telemetry_seconds,
                settle=plan.settle_seconds,
                meter=meter,
                stop_at_knee=False,
                on_step=show,
            )
            counted = observations(run.store) - before
    return step, counted


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def make_load(seconds: int, out: Path) -> None:
    """`make load`, headless, against the benchmark's store: Locust's CSVs land in `out`."""
    env = {
        **os.environ,
        "LOCUST_CSV": str(out / "load"),
        "THINK_MIN_SECONDS": "0.1",
        "THINK_MAX_SECONDS": "0.5",
    }
    command = ["make", "--no-print-directory", "load", "USERS=3", "SPAWN_RATE=3"]
    done = subprocess.run(  # noqa: S603
        [*command, f"DURATION={seconds}s"], cwd=REPO, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"make load failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    log(f"make load: {seconds} s of shoppers, Locust's CSVs in {out.name}/load_*.csv")


def bench_config(
    config: stack.StoreConfig,
    plan: Plan,
    workdir: Path,
    sink: stack.Helper,
    hello: stack.Helper,
    out: Path,
) -> report.ConfigResult:
    result = report.ConfigResult(config.name)
    log(f"{config.name}: starting the store (telemetry on, spans to the sink)")
    with stack.running_store(config, workdir, telemetry=True, otlp_endpoint=sink.url) as run:
        result.cold_start_seconds = run.ready_seconds
        log(f"{config.name}: all ready in {run.ready_seconds:.1f} s")
        meter = stack.CpuMeter(store_pids(run.store), [sink.pid, hello.pid])
        common = {"config": config.name, "settle": plan.settle_seconds, "meter": meter}
        with scraping(run.store, plan.scrape_seconds):
            scenarios.load_catalog()
            log(f"{config.name}: warm-up, {plan.warmup_users} shoppers")
            result.warmup = scenarios.ramp(
                scenarios.WARM_UP,
                [plan.warmup_users],
                seconds=plan.warmup_seconds,
                stop_at_knee=False,
                on_step=show,
                **common,
            )
            gevent.sleep(1)
            result.memory = stack.memory(run.store)
            for scenario in (scenarios.PRODUCT_PAGE, scenarios.CATALOG_API, scenarios.HELLO):
                log(f"{config.name}: {scenario.name}")
                scenarios.HelloReader.hello_url = hello.url
                result.steps[scenario.name] = scenarios.ramp(
                    scenario,
                    list(plan.read_steps),
                    seconds=plan.read_seconds,
                    on_step=show,
                    **common,
                )
            log(f"{config.name}: checkout; {max(plan.checkout_steps)} accounts first")
            accounts(max(plan.checkout_steps))
            result.steps["checkout"] = scenarios.ramp(
                scenarios.CHECKOUT,
                list(plan.checkout_steps),
                seconds=plan.checkout_seconds,
                on_step=show,
                **common,
            )
            users = report.telemetry_users(result.steps["checkout"])
            if plan.load_seconds:
                out.mkdir(parents=True, exist_ok=True)
                make_load(plan.load_seconds, out)
            if not plan.telemetry_fresh_stores:
                before = observations(run.store)
                result.telemetry += scenarios.ramp(
                    replace(scenarios.CHECKOUT, name="telemetry on"),
                    [users],
                    seconds=plan.telemetry_seconds,
                    stop_at_knee=False,
                    on_step=show,
                    **common,
                )
                result.observations = observations(run.store) - before
    for turn in range(plan.telemetry_turns):
        sides = (True, False) if plan.telemetry_fresh_stores else (False,)
        for telemetry in sides:
            side = "on" if telemetry else "off"
            turns = f"{turn + 1}/{plan.telemetry_turns}"
            log(f"{config.name}: telemetry {side} ({turns}), {users} users, in a fresh store")
            step, counted = telemetry_run(config, plan, workdir, sink, users, telemetry=telemetry)
            result.telemetry.append(step)
            if telemetry:
                result.observations += counted
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="seconds of each (CI)")
    parser.add_argument("--out", type=Path, help="the results folder")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/performance.md as it is")
    args = parser.parse_args()
    plan = SMOKE if args.smoke else FULL
    stamp = time.strftime("%Y-%m-%dT%H%M%S")
    out = args.out or RESULTS / stamp
    # The smoke checks the pipeline, on the embedded stores only: CI's time is better spent
    # elsewhere than starting the store twice more on PostgreSQL.
    configs = stack.StoreConfig.configured()[:1] if args.smoke else stack.StoreConfig.configured()
    os.environ.update(stack.urls())
    machine = report.Machine.here()
    log(f"polyshop bench ({'smoke' if args.smoke else 'full'}) on {machine.describe()}")
    log(f"configurations: {', '.join(c.name for c in configs)}; results in {out}")
    started = time.monotonic()
    sink, hello = stack.otlp_sink().start(), stack.hello_world().start()
    try:
        with tempfile.TemporaryDirectory(prefix="polyshop-bench-") as workdir:
            results = [bench_config(c, plan, Path(workdir), sink, hello, out) for c in configs]
    finally:
        sink.stop()
        hello.stop()
    cost = observation_cost_us()
    run = report.Run(
        machine=machine,
        started=stamp,
        seconds=time.monotonic() - started,
        smoke=args.smoke,
        results=results,
        observation_us=cost,
    )
    files = report.write(run, out)
    log("wrote " + ", ".join(str(path.relative_to(out)) for path in files))
    if not args.smoke and not args.no_docs:
        report.update_docs(run, DOCS, out)
        log(f"updated {DOCS.relative_to(REPO)}")
    print("\n" + report.summary_table(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
