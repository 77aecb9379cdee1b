"""What a benchmark runs besides the load: the store on ports of its own, an OTLP sink, the bare
FastAPI hello-world, and the CPU accounting that tells the load generator's share from theirs.

The store is the e2e suite's LocalStore (the Procfile's processes), moved off the design ports by
`PORT_OFFSET` so that a `make up` or a test run on this machine keeps its ports and the
benchmark never measures someone else's store.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from footprint import tree_cpu_seconds, tree_memory_mb

from e2e.matrix import SERVICES, Service
from e2e.store import LocalStore, port_is_free
from e2e.waiting import poll_until

HERE = Path(__file__).resolve().parent
PORT_OFFSET = int(os.environ.get("BENCH_PORT_OFFSET", "10000"))
WORKER_METRICS_PORT = 8013


def port(name: str) -> int:
    design = {s.name: s.port for s in SERVICES} | {"orders-worker": WORKER_METRICS_PORT}
    return design[name] + PORT_OFFSET


def urls() -> dict[str, str]:
    """`<NAME>_URL` of every service at its benchmark port: what the services, the load generator
    and the e2e helpers all read."""
    return {f"{s.name.upper()}_URL": f"http://127.0.0.1:{port(s.name)}" for s in SERVICES}


@dataclass
class BenchStore(LocalStore):
    """LocalStore with each process on its design port + PORT_OFFSET."""

    def spawn(self, name: str):  # type: ignore[no-untyped-def]
        # spawn() copies self.env as it starts the process, so setting PORT here is per process.
        self.env["PORT"] = str(port(name.split("-", 1)[0]))
        return super().spawn(name)

    def services(self) -> tuple[Service, ...]:
        return tuple(Service(s.name, s.framework, port(s.name)) for s in SERVICES)


@dataclass
class StoreConfig:
    """Where the store keeps its data: `embedded` (SQLite, in-process notifications) or
    `postgres` (PostgreSQL and Redis)."""

    name: str
    postgres_admin_url: str | None = None
    redis_url: str | None = None

    @classmethod
    def configured(cls) -> list[StoreConfig]:
        configs = [cls("embedded")]
        admin, redis = os.environ.get("E2E_POSTGRES_URL"), os.environ.get("E2E_REDIS_URL")
        if admin and redis:
            configs.append(cls("postgres", admin, redis))
        return configs


@contextmanager
def fresh_database(config: StoreConfig) -> Iterator[str | None]:
    """A PostgreSQL database of the run's own, dropped afterwards (as the e2e suite does)."""
    if not config.postgres_admin_url:
        yield None
        return
    name = f"polyshop_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(config.postgres_admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    params = psycopg.conninfo.conninfo_to_dict(config.postgres_admin_url)
    params["dbname"] = name
    try:
        yield psycopg.conninfo.make_conninfo(**params)
    finally:
        with psycopg.connect(config.postgres_admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_url(conninfo: str) -> str:
    """psycopg's key=value form as the postgresql:// URL the services take."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    user = params.get("user", "")
    password = f":{params['password']}" if params.get("password") else ""
    credentials = f"{user}{password}@" if user else ""
    host = params.get("host", "127.0.0.1")
    port_part = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{credentials}{host}{port_part}/{params['dbname']}"


@dataclass
class Started:
    store: BenchStore
    ready_seconds: float


@contextmanager
def running_store(
    config: StoreConfig, workdir: Path, *, telemetry: bool, otlp_endpoint: str | None
) -> Iterator[Started]:
    """The whole store, started cold in a fresh data folder (and database), stopped after.

    telemetry=True: spans made and exported to `otlp_endpoint`, as in the cluster. False: the
    OpenTelemetry SDK disabled (no spans at all); metrics are recorded either way (the kit has no
    switch for them) and only scraped when telemetry is on.
    """
    env = {
        **urls(),
        "WORKER_METRICS_PORT": str(port("orders-worker")),
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        # A benchmark must never sell the shelves empty: every product gets this many units.
        "INITIAL_STOCK": "100000000",
        # The storefront and notifications address the browser uses; unused by the load.
        "NOTIFICATIONS_PUBLIC_URL": f"ws://127.0.0.1:{port('notifications')}/ws",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint if telemetry and otlp_endpoint else "",
        "OTEL_SDK_DISABLED": "false" if telemetry else "true",
    }
    if config.redis_url:
        env["REDIS_URL"] = config.redis_url
    with fresh_database(config) as database:
        if database:
            env["DATABASE_URL"] = _postgres_url(database)
        store = BenchStore(workdir=workdir / f"{config.name}-{uuid.uuid4().hex[:6]}", env=env)
        services = store.services()
        busy = [s for s in services if not port_is_free(s.port)]
        if busy:
            raise RuntimeError(
                f"benchmark ports in use: {', '.join(str(s.port) for s in busy)}; another "
                "`make bench` running? Set BENCH_PORT_OFFSET to move it."
            )
        started = time.monotonic()
        store.start(services, timeout=120)
        ready = time.monotonic() - started
        try:
            yield Started(store, ready)
        finally:
            store.stop()


def memory(store: LocalStore) -> dict[str, tuple[float, float]]:
    """RSS and PSS (MB) of every process of the store, companions included."""
    return {name: tree_memory_mb(p.popen.pid) for name, p in store.processes.items()}


# --- helper processes ----------------------------------------------------------------------


@dataclass
class Helper:
    """A small server the benchmark starts in a process of its own (so that it shares no
    interpreter, and no GIL, with the load generator)."""

    argv: list[str]
    url: str
    ready_path: str
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> Helper:
        self.popen = subprocess.Popen(  # noqa: S603 (our own scripts)
            self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )

        def up() -> bool:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.argv[1]} exited: {self.popen.stderr.read().decode()}")
            try:
                return httpx.get(self.url + self.ready_path, timeout=1).status_code < 500
            except httpx.HTTPError:
                return False

        poll_until(up, timeout=30, what=f"{self.argv[1]} to answer")
        return self

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid


def otlp_sink() -> Helper:
    sink_port = 8318 + PORT_OFFSET
    url = f"http://127.0.0.1:{sink_port}"
    return Helper([sys.executable, str(HERE / "sink.py"), str(sink_port)], url, "/")


def hello_world() -> Helper:
    hello_port = 8099 + PORT_OFFSET
    url = f"http://127.0.0.1:{hello_port}"
    return Helper([sys.executable, str(HERE / "hello.py"), str(hello_port)], url, "/hello")


# --- CPU accounting ------------------------------------------------------------------------


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (all cores, from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuMeter:
    """Cores used during a window, by the store, by the load generator (this process) and its
    helpers, and by everything else on the machine (other people's work on a shared machine)."""

    store_pids: list[int]
    helper_pids: list[int] = field(default_factory=list)

    def sample(self) -> tuple[float, float, float, float, float]:
        times = os.times()
        return (
            time.monotonic(),
            sum(tree_cpu_seconds(pid) for pid in self.store_pids),
            # The children are the load's too: wrk, once it has exited.
            times.user + times.system + times.children_user + times.children_system,
            sum(tree_cpu_seconds(pid) for pid in self.helper_pids),
            machine_busy_seconds(),
        )

    @staticmethod
    def cores(start: tuple[float, ...], end: tuple[float, ...]) -> dict[str, float]:
        elapsed = max(end[0] - start[0], 1e-9)
        store, loadgen, helpers, machine = (end[i] - start[i] for i in range(1, 5))
        return {
            "store_cores": store / elapsed,
            "loadgen_cores": loadgen / elapsed,
            "helper_cores": helpers / elapsed,
            "other_cores": max(0.0, machine - store - loadgen - helpers) / elapsed,
        }
