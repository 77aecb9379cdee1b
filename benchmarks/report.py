"""What `make bench` writes: report.md (the goals and every step), results.csv and memory.csv,
PNG charts of throughput and latency against users, and the summary in docs/performance.md."""

from __future__ import annotations

import csv
import importlib.metadata
import os
import platform
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios import Step

# Issue #8's goals, on a 2-core machine with the whole store on it.
CHECKOUTS_PER_SECOND = 50
PAGES_PER_SECOND = 400
CATALOG_RATIO = 0.40
TELEMETRY_COST = 0.15
STORE_RSS_MB = 700
READY_SECONDS = 15

# Other processes' mean CPU above which a run is reported as made on a shared machine.
SHARED_CORES = 0.2

DOCS_BEGIN = "<!-- bench:begin (written by `make bench`) -->"
DOCS_END = "<!-- bench:end -->"


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory_gb: float
    system: str
    python: str
    locust: str

    @classmethod
    def here(cls) -> Machine:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        meminfo = Path("/proc/meminfo").read_text()
        total_kb = int(re.search(r"^MemTotal:\s*(\d+)", meminfo, re.MULTILINE).group(1))  # type: ignore[union-attr]
        release = Path("/etc/os-release")
        name = re.search(r'^PRETTY_NAME="?([^"\n]+)', release.read_text(), re.MULTILINE)
        return cls(
            cpu=model.group(1).strip() if model else platform.processor() or "unknown CPU",
            cores=os.cpu_count() or 0,
            memory_gb=total_kb / 1024**2,
            system=f"{name.group(1) if name else platform.system()}, {platform.machine()}",
            python=f"{platform.python_implementation()} {platform.python_version()}",
            locust=importlib.metadata.version("locust"),
        )

    def describe(self) -> str:
        return (
            f"{self.cores}-core {self.cpu}, {self.memory_gb:.0f} GB, {self.system}, {self.python}"
        )


@dataclass
class ConfigResult:
    config: str
    cold_start_seconds: float = 0.0
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)
    warmup: list[Step] = field(default_factory=list)
    steps: dict[str, list[Step]] = field(default_factory=dict)
    # The checkout with telemetry on and off, in turns ("telemetry on", "telemetry off", ...).
    telemetry: list[Step] = field(default_factory=list)
    # Latency observations (metrics) recorded by the whole store during the telemetry-on windows.
    observations: int = 0

    @property
    def telemetry_on(self) -> Step | None:
        return pooled([s for s in self.telemetry if s.scenario == "telemetry on"])

    @property
    def telemetry_off(self) -> Step | None:
        return pooled([s for s in self.telemetry if s.scenario == "telemetry off"])

    def all_steps(self) -> list[Step]:
        measured = [step for steps in self.steps.values() for step in steps]
        return [*self.warmup, *measured, *self.telemetry]


def pooled(steps: list[Step]) -> Step | None:
    """Several windows of the same load as one: requests over their summed time; percentiles and
    cores averaged, weighted by time."""
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0]
    seconds = sum(s.seconds for s in steps)

    def weighted(value: Callable[[Step], float]) -> float:
        return sum(value(s) * s.seconds for s in steps) / seconds

    first = steps[0]
    return Step(
        config=first.config,
        scenario=first.scenario,
        users=first.users,
        seconds=seconds,
        requests=sum(s.requests for s in steps),
        failures=sum(s.failures for s in steps),
        rps=sum(s.requests for s in steps) / seconds,
        p50_ms=weighted(lambda s: s.p50_ms),
        p95_ms=weighted(lambda s: s.p95_ms),
        p99_ms=weighted(lambda s: s.p99_ms),
        limit_ms=first.limit_ms,
        tool=first.tool,
        cpu={key: weighted(lambda s, key=key: s.cpu.get(key, 0.0)) for key in first.cpu},
        errors=[e for s in steps for e in s.errors][:5],
    )


@dataclass
class Run:
    machine: Machine
    started: str
    seconds: float
    smoke: bool
    results: list[ConfigResult]
    observation_us: float


# --- the figures -----------------------------------------------------------------------------


def best(steps: list[Step]) -> Step | None:
    """The highest throughput within the scenario's limits (no failure, p99 under the limit)."""
    return max((s for s in steps if s.within_limits), key=lambda s: s.rps, default=None)


def peak(steps: list[Step]) -> Step | None:
    """The highest throughput without a failure, whatever the latency."""
    return max((s for s in steps if s.failures == 0), key=lambda s: s.rps, default=None)


def telemetry_users(checkout: list[Step]) -> int:
    """The checkout load the telemetry comparison runs at: the step with the most checkouts a
    second and no failure, where the store is busiest, so that what telemetry costs shows in the
    throughput rather than in idle time."""
    chosen = peak(checkout) or (checkout[0] if checkout else None)
    return chosen.users if chosen else 1


@dataclass(frozen=True)
class Goal:
    name: str
    target: str
    results: dict[str, tuple[str, bool | None]]


def _ratio(numerator: Step | None, denominator: Step | None) -> float | None:
    if not numerator or not denominator or not denominator.rps:
        return None
    return numerator.rps / denominator.rps


def telemetry_cost(result: ConfigResult) -> float | None:
    ratio = _ratio(result.telemetry_on, result.telemetry_off)
    return None if ratio is None else 1 - ratio


def cpu_ms_per_request(step: Step) -> float | None:
    """The store's CPU time per request of the step: what a busy neighbour moves least."""
    if not step.requests or "store_cores" not in step.cpu:
        return None
    return step.cpu["store_cores"] * step.seconds / step.requests * 1000


def catalog_ratio(result: ConfigResult) -> float | None:
    return _ratio(
        peak(result.steps.get("catalog API", [])), peak(result.steps.get("bare FastAPI", []))
    )


def metrics_share(result: ConfigResult, observation_us: float) -> tuple[float, float] | None:
    """(observations per checkout, share of the store's CPU per checkout they cost)."""
    on = result.telemetry_on
    if not on or not on.requests or not on.cpu.get("store_cores"):
        return None
    per_checkout = result.observations / on.requests
    store_us = on.cpu["store_cores"] * on.seconds / on.requests * 1e6
    return per_checkout, per_checkout * observation_us / store_us


def _users(count: int) -> str:
    return f"{count} user" if count == 1 else f"{count} users"


def _rate(step: Step | None, unit: str) -> tuple[str, bool | None]:
    if step is None:
        return "no step within the limits", False
    text = f"{step.rps:.0f} {unit} at {_users(step.users)} (p99 {step.p99_ms:.0f} ms)"
    return text, None


def goals(run: Run) -> list[Goal]:
    rows: dict[str, dict[str, tuple[str, bool | None]]] = {}

    def put(goal: str, config: str, text: str, met: bool | None) -> None:
        rows.setdefault(goal, {})[config] = (text, met)

    for result in run.results:
        name = result.config
        checkout = best(result.steps.get("checkout", []))
        text, met = _rate(checkout, "checkouts/s")
        put(
            "checkout",
            name,
            text,
            met if checkout is None else checkout.rps >= CHECKOUTS_PER_SECOND,
        )
        page = best(result.steps.get("product page", []))
        text, met = _rate(page, "pages/s")
        put("product page", name, text, met if page is None else page.rps >= PAGES_PER_SECOND)
        ratio = catalog_ratio(result)
        catalog = peak(result.steps.get("catalog API", []))
        hello = peak(result.steps.get("bare FastAPI", []))
        if ratio is None or catalog is None or hello is None:
            put("catalog API", name, "not measured", False)
        else:
            text = f"{ratio:.0%} ({catalog.rps:.0f} vs {hello.rps:.0f} req/s)"
            put("catalog API", name, text, ratio >= CATALOG_RATIO)
        cost = telemetry_cost(result)
        if cost is None or not result.telemetry_on or not result.telemetry_off:
            put("telemetry", name, "not measured", False)
        else:
            on, off = result.telemetry_on, result.telemetry_off
            text = f"{cost:.1%} ({on.rps:.1f} vs {off.rps:.1f} checkouts/s, {_users(on.users)})"
            put("telemetry", name, text, cost <= TELEMETRY_COST)
        total = sum(rss for rss, _ in result.memory.values())
        put("memory", name, f"{total:.0f} MB RSS", total <= STORE_RSS_MB)
        ready = result.cold_start_seconds
        put("cold start", name, f"{ready:.1f} s to all ready", ready <= READY_SECONDS)
    targets = {
        "checkout": f"≥ {CHECKOUTS_PER_SECOND} checkouts/s, p99 ≤ 500 ms, no errors",
        "product page": f"≥ {PAGES_PER_SECOND} pages/s, p99 ≤ 150 ms",
        "catalog API": f"≥ {CATALOG_RATIO:.0%} of bare FastAPI's throughput",
        "telemetry": f"≤ {TELEMETRY_COST:.0%} of checkout throughput",
        "memory": f"whole store ≤ {STORE_RSS_MB} MB RSS after warm-up",
        "cold start": f"≤ {READY_SECONDS} s to all ready",
    }
    return [Goal(name, targets[name], rows.get(name, {})) for name in targets]


def _cell(text: str, met: bool | None) -> str:
    return text if met is None else f"{text} — {'**met**' if met else '**missed**'}"


def summary_table(run: Run) -> str:
    configs = [r.config for r in run.results]
    lines = [
        "| goal (issue #8) | target | " + " | ".join(configs) + " |",
        "|---|---|" + "---|" * len(configs),
    ]
    for goal in goals(run):
        cells = [_cell(*goal.results.get(c, ("—", None))) for c in configs]
        lines.append(f"| {goal.name} | {goal.target} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_accounting(run: Run) -> str:
    steps = [s for r in run.results for s in r.all_steps() if s.cpu]
    if not steps:
        return ""

    def mean(key: str) -> float:
        return statistics.fmean(s.cpu.get(key, 0.0) for s in steps)

    busiest = max(steps, key=lambda s: s.cpu.get("loadgen_cores", 0.0))
    text = (
        f"The load (Locust for the journeys and the checkout, wrk for the plain GETs when "
        f"installed) shares the machine's {run.machine.cores} cores with the store. Over the "
        f"measured steps it used {mean('loadgen_cores'):.2f} cores on average (at most "
        f"{busiest.cpu['loadgen_cores']:.2f}: {busiest.scenario}, {_users(busiest.users)}), the "
        f"store {mean('store_cores'):.2f}, the OTLP sink and the hello-world "
        f"{mean('helper_cores'):.2f}, and everything else on the machine "
        f"{mean('other_cores'):.2f}. A step whose `load` column nears 1.0 was limited by its load "
        "generator, not by the store."
    )
    if mean("other_cores") > SHARED_CORES:
        text += (
            f" **The machine was shared: other work took {mean('other_cores'):.2f} cores on "
            "average, so these figures understate the store; rerun on a quiet machine.**"
        )
    return text


# --- the files -------------------------------------------------------------------------------

STEP_FIELDS = [
    "config",
    "scenario",
    "users",
    "seconds",
    "requests",
    "failures",
    "rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "limit_ms",
    "within_limits",
    "store_cores",
    "loadgen_cores",
    "helper_cores",
    "other_cores",
]


def write_csv(run: Run, out: Path) -> list[Path]:
    results = out / "results.csv"
    with results.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=STEP_FIELDS)
        writer.writeheader()
        for result in run.results:
            for step in result.all_steps():
                row = {name: getattr(step, name, "") for name in STEP_FIELDS[:11]}
                row.update(within_limits=step.within_limits, **step.cpu)
                writer.writerow(
                    {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
                )
    memory = out / "memory.csv"
    with memory.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["config", "process", "rss_mb", "pss_mb"])
        for result in run.results:
            for process, (rss, pss) in result.memory.items():
                writer.writerow([result.config, process, round(rss, 1), round(pss, 1)])
    return [results, memory]


READS = ("product page", "catalog API", "bare FastAPI")


def _users_axis(axis: Any, users: list[int]) -> None:
    # Users double from step to step.
    axis.set_xscale("log", base=2)
    axis.set_xticks(users or [1])
    axis.set_xticklabels([str(u) for u in users or [1]])
    axis.legend()
    axis.grid(alpha=0.3)


def write_charts(run: Run, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for result in run.results:
        checkout = result.steps.get("checkout", [])
        figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        users = [s.users for s in checkout]
        left.plot(users, [s.rps for s in checkout], "o-", label="checkouts/s")
        left.axhline(CHECKOUTS_PER_SECOND, color="grey", linestyle=":", label="goal")
        left.set(xlabel="concurrent users", ylabel="checkouts per second", title="Throughput")
        for label, key in (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms")):
            right.plot(users, [getattr(s, key) for s in checkout], "o-", label=label)
        right.axhline(500, color="grey", linestyle=":", label="p99 limit")
        right.set(
            xlabel="concurrent users", ylabel="milliseconds", title="POST /api/orders latency"
        )
        for axis in (left, right):
            _users_axis(axis, users)
        figure.suptitle(f"Checkout ({result.config} stores)")
        figure.tight_layout()
        path = out / f"checkout-{result.config}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)

        figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        for name in READS:
            steps = result.steps.get(name, [])
            left.plot([s.users for s in steps], [s.rps for s in steps], "o-", label=name)
            right.plot([s.users for s in steps], [s.p99_ms for s in steps], "o-", label=name)
        left.axhline(PAGES_PER_SECOND, color="grey", linestyle=":", label="product page goal")
        right.axhline(150, color="grey", linestyle=":", label="p99 limit")
        left.set(xlabel="concurrent users", ylabel="requests per second", title="Throughput")
        right.set(xlabel="concurrent users", ylabel="p99 milliseconds", title="p99 latency")
        # The hello-world serves an order of magnitude more: a log scale keeps the others readable.
        left.set_yscale("log")
        everyone = sorted({s.users for name in READS for s in result.steps.get(name, [])})
        for axis in (left, right):
            _users_axis(axis, everyone)
        figure.suptitle(f"Reads ({result.config} stores)")
        figure.tight_layout()
        path = out / f"reads-{result.config}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written


def _steps_table(steps: list[Step]) -> list[str]:
    lines = [
        "| users | req/s | p50 ms | p95 ms | p99 ms | failures | cores: store | load | other |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in steps:
        knee = "" if s.within_limits else " ◂ over"
        lines.append(
            f"| {s.users}{knee} | {s.rps:.1f} | {s.p50_ms:.0f} | {s.p95_ms:.0f} | {s.p99_ms:.0f} "
            f"| {s.failures} | {s.cpu.get('store_cores', 0):.2f} "
            f"| {s.cpu.get('loadgen_cores', 0):.2f} | {s.cpu.get('other_cores', 0):.2f} |"
        )
    for s in steps:
        for error in s.errors:
            lines.append(f"\n{s.users} users: `{error}`")
    return lines


def write_markdown(run: Run, out: Path, charts: list[Path]) -> Path:
    kind = "smoke run (seconds per step: the pipeline, not the figures)" if run.smoke else "run"
    lines = [
        f"# polyshop benchmark — {run.started}",
        "",
        f"A {kind} of `make bench` on a {run.machine.describe()}, Locust {run.machine.locust}; "
        f"{run.seconds / 60:.1f} minutes.",
        "",
        summary_table(run),
        "",
        load_accounting(run),
        "",
    ]
    for result in run.results:
        lines += [f"## {result.config} stores", ""]
        if result is run.results[0]:
            lines += [
                "A step marked ◂ over missed its limits (a failure, or the p99 over the limit); "
                "a ramp stops at its first failure or its second step over in a row.",
                "",
            ]
        lines += [f"Cold start: {result.cold_start_seconds:.1f} s from launch to all ready.", ""]
        lines += ["| process | RSS MB | PSS MB |", "|---|---:|---:|"]
        for process, (rss, pss) in result.memory.items():
            lines.append(f"| {process} | {rss:.0f} | {pss:.0f} |")
        total_rss = sum(rss for rss, _ in result.memory.values())
        total_pss = sum(pss for _, pss in result.memory.values())
        lines += [f"| **total** | **{total_rss:.0f}** | **{total_pss:.0f}** |", ""]
        for name, steps in [("warm-up (shopper journeys)", result.warmup), *result.steps.items()]:
            lines += [f"### {name}", "", *_steps_table(steps), ""]
        on, off = result.telemetry_on, result.telemetry_off
        if on and off:
            turns = len(result.telemetry) // 2
            lines += [
                f"### telemetry on and off ({_users(on.users)}, {turns} turn(s) of each, every "
                "window in a fresh store)",
                "",
                "| telemetry | checkouts/s | p50 ms | p95 ms | p99 ms | failures | store cores "
                "| store CPU ms per checkout |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for side, s in (("on: spans exported, /metrics scraped", on), ("off", off)):
                cpu = cpu_ms_per_request(s)
                lines.append(
                    f"| {side} | {s.rps:.1f} | {s.p50_ms:.0f} | {s.p95_ms:.0f} | {s.p99_ms:.0f} "
                    f"| {s.failures} | {s.cpu.get('store_cores', 0):.2f} "
                    f"| {'n/a' if cpu is None else f'{cpu:.0f}'} |"
                )
            cost = telemetry_cost(result)
            if cost is not None:
                lines += ["", f"Telemetry costs {cost:.1%} of checkout throughput."]
            on_cpu, off_cpu = cpu_ms_per_request(on), cpu_ms_per_request(off)
            if on_cpu and off_cpu:
                lines[-1] += (
                    f" By the store's CPU per checkout (less moved by other work on the machine), "
                    f"{1 - off_cpu / on_cpu:.1%}."
                )
            share = metrics_share(result, run.observation_us)
            if share:
                per_checkout, fraction = share
                lines += [
                    "",
                    f"Metrics cannot be switched off (the kit has no setting for it), so both "
                    f"sides record them. A checkout records {per_checkout:.0f} latency "
                    f"observations across the store, at {run.observation_us:.1f} µs each "
                    f"(benchmarks/metrics_cost.py): about {fraction:.1%} of the store's CPU per "
                    "checkout, to add to the cost above.",
                ]
            lines.append("")
        for chart in charts:
            if chart.name.endswith(f"-{result.config}.png"):
                lines += [f"![{chart.stem}]({chart.name})", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path


def write(run: Run, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    tables = write_csv(run, out)
    charts = write_charts(run, out)
    return [write_markdown(run, out, charts), *tables, *charts]


def update_docs(run: Run, docs: Path, out: Path) -> None:
    """Replace the summary between the markers in docs/performance.md (added on first use)."""
    section = "\n".join(
        [
            DOCS_BEGIN,
            f"Latest run: {run.started[:10]}, {run.machine.describe()}, Locust "
            f"{run.machine.locust}; full report, CSV and charts in "
            f"`benchmarks/results/{out.name}/` (not committed).",
            "",
            summary_table(run),
            "",
            load_accounting(run),
            DOCS_END,
        ]
    )
    text = docs.read_text()
    if DOCS_BEGIN in text and DOCS_END in text:
        head, rest = text.split(DOCS_BEGIN, 1)
        text = head + section + rest.split(DOCS_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    docs.write_text(text)
