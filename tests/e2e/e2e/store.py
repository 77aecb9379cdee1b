"""Starts and stops the store as local processes, from the same Procfile `make up` runs."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from e2e.matrix import BY_NAME, SERVICES, Service
from e2e.otlp import OtlpReceiver
from e2e.waiting import poll_until

REPO = Path(__file__).resolve().parents[3]


def procfile_commands(path: Path = REPO / "Procfile") -> dict[str, list[str]]:
    commands = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            commands[name.strip()] = shlex.split(command)
    return commands


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class Process:
    service: Service
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"  {self.service.name}| {line}" for line in text)


def traced_env(otlp_endpoint: str, signing_pem: str) -> dict[str, str]:
    """A test store's environment: its spans sent to the suite's receiver, flushed every 200 ms,
    and tokens signed with a key the suite made (so it can forge bad ones)."""
    return {
        "JWT_PRIVATE_KEY": signing_pem,
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "ENVIRONMENT": "test",
    }


@dataclass
class LocalStore:
    """The eight services as processes on their design.md ports."""

    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)

    def start(self, services: tuple[Service, ...] = SERVICES, *, timeout: float = 90) -> None:
        busy = [s for s in services if not port_is_free(s.port)]
        if busy:
            names = ", ".join(f"{s.name} ({s.port})" for s in busy)
            raise RuntimeError(
                f"ports in use: {names}. Stop what holds them (a `make up`?), or test that store "
                "by setting STOREFRONT_URL (and the other <NAME>_URL) instead."
            )
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        for service in services:
            self.spawn(service.name)
        try:
            self.wait_ready(services, timeout=timeout)
        except Exception:
            self.stop()
            raise
        # Companion processes (orders' worker) start once the services they serve are up.
        names = {service.name for service in services}
        for name in procfile_commands():
            if name not in names and name.split("-", 1)[0] in names:
                self.spawn(name)

    def spawn(self, name: str) -> Process:
        """Start one Procfile entry (again), its log appended to logs/<name>.log."""
        env = {**os.environ, "DATA_DIR": str(self.workdir / "data"), **self.env}
        log_path = self.workdir / "logs" / f"{name}.log"
        service = BY_NAME.get(name) or BY_NAME[name.split("-", 1)[0]]
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                procfile_commands()[name],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = Process(service, popen, log_path)
        return self.processes[name]

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Stop one entry the hard way (the whole process group: gunicorn's worker too)."""
        process = self.processes.pop(name)
        os.killpg(process.popen.pid, sig)
        process.popen.wait(timeout=30)

    def restart(self, name: str, *, timeout: float = 60) -> None:
        self.spawn(name)
        if name in BY_NAME:
            self.wait_ready((BY_NAME[name],), timeout=timeout)

    def wait_ready(self, services: tuple[Service, ...], *, timeout: float) -> float:
        started = time.monotonic()
        for service in services:

            def ready(service: Service = service) -> bool:
                process = self.processes.get(service.name)
                if process and process.popen.poll() is not None:
                    raise RuntimeError(
                        f"{service.name} exited with {process.popen.returncode}:\n"
                        + process.log_tail()
                    )
                return httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200

            try:
                poll_until(ready, timeout=timeout, what=f"{service.name} to be ready")
            except TimeoutError as exc:
                process = self.processes.get(service.name)
                tail = process.log_tail() if process else ""
                raise TimeoutError(f"{exc}\n{tail}") from None
        return time.monotonic() - started

    def stop(self, timeout: float = 30) -> dict[str, int | None]:
        """SIGTERM to every service, then wait; the exit codes, None for one that had to be
        killed."""
        for process in self.processes.values():
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        deadline = time.monotonic() + timeout
        for name, process in self.processes.items():
            try:
                codes[name] = process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
                codes[name] = None
        self.processes.clear()
        return codes


def clean_exit(code: int | None) -> bool:
    # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly: -15 / 143.
    return code in (0, -signal.SIGTERM, 128 + signal.SIGTERM)


@dataclass
class StoreUnderTest:
    local: LocalStore | None
    otlp: OtlpReceiver | None
    database: str | None = None
    # The key users signs with, when the suite gave it one.
    signing_key: Ed25519PrivateKey | None = None


def skip_or_fail(reason: str) -> None:
    """A newcomer may lack what a test needs; CI may not."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"not skipped in CI: {reason}")
    pytest.skip(reason)
