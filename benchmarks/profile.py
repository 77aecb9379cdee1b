"""`make profile`: where the store spends its CPU under checkout load, by py-spy.

Starts the store as `make bench` does (embedded, spans exported to the sink), runs the benchmark's
checkout users (add to cart, then POST /api/orders, again and again), and records every process
at once with py-spy for a while. Writes, under benchmarks/results/profile-<timestamp>/, each
process's collapsed stacks (`<process>.folded`, for speedscope.app or flamegraph.pl) and
`hotspots.md`: per process, the functions with the most samples running Python of their own and,
of the store's own code and the kit, the most inclusive ones.

    python benchmarks/profile.py [--users 4] [--seconds 30]

py-spy reads other processes' memory: run it as root, or where ptrace is allowed.
"""

from __future__ import annotations

# isort: off
# Locust patches the standard library with gevent as it is imported: before anything opens a
# socket.
import locust  # noqa: F401

# isort: on
import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import scenarios
import stack
from bench import accounts, store_pids

REPO = Path(__file__).resolve().parents[1]
OWN_CODE = ("polykit/", "storefront/", "catalog/", "cart/", "orders/", "payments/", "users/")
OWN_CODE += ("notifications/", "inventory/")


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds))]
    # gunicorn's worker is the master's child. --gil samples only the thread running Python, so
    # threads waiting on a lock, a socket or the database do not pass for hot spots (work in C
    # that lets the GIL go, SQLite's included, is left out). py-spy pauses each process for a
    # moment per sample: --nonblocking would not, but then it misreads stacks.
    command += ["--rate", "97", "--format", "raw", "--subprocesses", "--gil"]
    command += ["--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603


def hotspots(
    folded: Path, top: int = 12
) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [frame for frame in stack_text.split(";") if frame]
        total += count
        if frames:
            own[frames[-1]] += count
        for frame in set(frames):
            if any(part in frame for part in OWN_CODE):
                inclusive[frame] += count
    return total, own.most_common(top), inclusive.most_common(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    out = REPO / "benchmarks" / "results" / f"profile-{time.strftime('%Y-%m-%dT%H%M%S')}"
    out.mkdir(parents=True)
    os.environ.update(stack.urls())
    sink = stack.otlp_sink().start()
    config = stack.StoreConfig("embedded")
    try:
        with (
            tempfile.TemporaryDirectory(prefix="polyshop-profile-") as workdir,
            stack.running_store(
                config, Path(workdir), telemetry=True, otlp_endpoint=sink.url
            ) as run,
        ):
            meter = stack.CpuMeter(store_pids(run.store), [sink.pid])
            scenarios.load_catalog()
            accounts(args.users)
            common = {"config": config.name, "settle": 3, "meter": meter}
            # Warm, then profile while the same load runs on.
            scenarios.ramp(
                scenarios.CHECKOUT, [args.users], seconds=10, stop_at_knee=False, **common
            )
            recorders = {
                name: record(process.popen.pid, args.seconds, out / f"{name}.folded")
                for name, process in run.store.processes.items()
            }
            (step,) = scenarios.ramp(
                scenarios.CHECKOUT,
                [args.users],
                seconds=args.seconds,
                stop_at_knee=False,
                **common,
            )
            for name, recorder in recorders.items():
                if recorder.wait() != 0:
                    print(f"py-spy on {name}: {recorder.stderr.read().decode()[-500:]}")
    finally:
        sink.stop()
    lines = [
        f"# Where the checkout's CPU goes — {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"{args.users} checkout users for {args.seconds:.0f} s: {step.rps:.1f} checkouts/s, p50 "
        f"{step.p50_ms:.0f} ms, p99 {step.p99_ms:.0f} ms; the store used "
        f"{step.cpu['store_cores']:.2f} cores, other processes {step.cpu['other_cores']:.2f}.",
        "",
    ]
    for folded in sorted(out.glob("*.folded")):
        total, own, inclusive = hotspots(folded)
        if not total:
            continue
        lines += [f"## {folded.stem} — {total} samples holding the GIL", ""]
        lines += ["| own samples | function |"]
        lines += ["|---:|---|"] + [f"| {n / total:.1%} | `{frame}` |" for frame, n in own]
        lines += ["", "| inclusive | the store's own code |", "|---:|---|"]
        lines += [f"| {n / total:.1%} | `{frame}` |" for frame, n in inclusive]
        lines.append("")
    (out / "hotspots.md").write_text("\n".join(lines))
    print(f"wrote {out / 'hotspots.md'} and the collapsed stacks beside it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
