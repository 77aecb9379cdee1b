"""How heavy the store is: seconds from start to all eight ready, and resident memory per service.

Starts the store from the Procfile in a fresh data folder (nothing else may hold the design
ports), waits for every /readyz, asks each /api/info once so the code paths are loaded, then
reads each service's RSS — the server process and its children (gunicorn's worker) — from /proc.
Prints a Markdown table. Goals (issue 3): whole store <= 700 MB RSS, <= 15 s to ready.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import httpx

from e2e.matrix import SERVICES
from e2e.store import LocalStore


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        kids.extend(int(child) for child in text)
    return kids


def tree(pid: int) -> list[int]:
    """A process and its descendants (gunicorn's master and its worker), those still alive."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            stack.extend(_children(current))
        except FileNotFoundError:
            continue
        found.append(current)
    return found


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS of a process and its descendants. RSS counts a page shared by gunicorn's
    master and worker twice; PSS splits it between them."""
    rss_kb = pss_kb = 0
    for current in tree(pid):
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
        except FileNotFoundError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Rss:"):
                rss_kb += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss_kb += int(line.split()[1])
    return rss_kb / 1024, pss_kb / 1024


def tree_cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and its descendants have used so far."""
    ticks = 0
    for current in tree(pid):
        try:
            # The fields after the command, which may hold spaces: utime and stime are 14th, 15th.
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="polyshop-footprint-") as workdir:
        store = LocalStore(workdir=Path(workdir), env={"OTEL_EXPORTER_OTLP_ENDPOINT": ""})
        started = time.monotonic()
        store.start()
        ready_after = time.monotonic() - started
        try:
            for service in SERVICES:
                httpx.get(f"{service.url}/api/info", timeout=5).raise_for_status()
            time.sleep(1)
            # Every process of the store, companions (orders' worker) included.
            rows = [
                (name, process.service.framework, *tree_memory_mb(process.popen.pid))
                for name, process in store.processes.items()
            ]
        finally:
            store.stop()
    total_rss = sum(row[2] for row in rows)
    total_pss = sum(row[3] for row in rows)
    print(
        f"\npolyshop footprint — {time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}\n"
    )
    print("| process | framework | RSS (MB) | PSS (MB) |")
    print("|---|---|---:|---:|")
    for name, framework, rss, pss in rows:
        print(f"| {name} | {framework} | {rss:.0f} | {pss:.0f} |")
    print(f"| **total** | | **{total_rss:.0f}** (goal ≤ 700) | **{total_pss:.0f}** |")
    print(f"\nstart to all eight ready: {ready_after:.1f} s (goal ≤ 15 s)")


if __name__ == "__main__":
    main()
