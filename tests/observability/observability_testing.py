"""What the observability suite shares: where the files are, Debian's Prometheus found (or
installed), a Prometheus started on a free port and asked things, and the dashboards' queries made
concrete the way Grafana would make them."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from e2e.store import skip_or_fail
from e2e.waiting import poll_until

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "observability"
PROMETHEUS_DIR = OBSERVABILITY / "prometheus"
GRAFANA_DIR = OBSERVABILITY / "grafana"
DASHBOARD_FILES = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
HOW_TO_GET_PROMETHEUS = (
    "Debian's Prometheus is needed: `sudo apt-get install --no-install-recommends prometheus` "
    "(it is not started by the install), or put prometheus and promtool 2.x on PATH"
)


def prometheus_tools() -> tuple[str, str]:
    """prometheus and promtool: from PATH, else installed from Debian when running as root."""
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            install = ["apt-get", "install", "-y", "--no-install-recommends", "prometheus"]
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            if subprocess.run(install, env=env, capture_output=True).returncode != 0:
                subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False)
                subprocess.run(install, env=env, capture_output=True, check=False)
        if not (shutil.which("prometheus") and shutil.which("promtool")):
            skip_or_fail(HOW_TO_GET_PROMETHEUS)
    return shutil.which("prometheus") or "", shutil.which("promtool") or ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def with_absolute_rules(config: dict[str, Any]) -> dict[str, Any]:
    """rule_files are relative to the config file: made absolute for a config written elsewhere."""
    return config | {"rule_files": [str(PROMETHEUS_DIR / p) for p in config.get("rule_files", [])]}


# --- a Prometheus of the test's own --------------------------------------------------------------


@dataclass
class Prometheus:
    binary: str
    config: dict[str, Any]
    workdir: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Prometheus:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config_file = self.workdir / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(self.config, sort_keys=False))
        self.log_path = self.workdir / "prometheus.log"
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={config_file}",
                    f"--storage.tsdb.path={self.workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--enable-feature=exemplar-storage",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready() -> bool:
            if self.popen and self.popen.poll() is not None:
                raise RuntimeError(f"prometheus exited:\n{self.log_path.read_text()[-3000:]}")
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200

        try:
            poll_until(ready, timeout=timeout, what="prometheus to be ready")
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.popen = None

    def api(self, path: str, **params: object) -> Any:
        # POST: a query with its variables filled in can be longer than a URL should be.
        response = httpx.post(f"{self.url}/api/v1/{path}", data=params, timeout=30)
        if response.status_code == 405:
            response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=30)
        body = response.json()
        if body.get("status") != "success":
            raise QueryError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return self.api("query", query=expr)["result"]

    def query_range(self, expr: str, *, start: float, end: float, step: str) -> list[dict]:
        return self.api("query_range", query=expr, start=start, end=end, step=step)["result"]

    def exemplars(self, expr: str, *, start: float, end: float) -> list[dict[str, Any]]:
        return self.api("query_exemplars", query=expr, start=start, end=end)

    def label_values(self, label: str, match: str | None = None) -> list[str]:
        params = {"match[]": match} if match else {}
        response = httpx.get(f"{self.url}/api/v1/label/{label}/values", params=params, timeout=10)
        return response.json()["data"]

    def targets(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/api/v1/targets", timeout=10).json()["data"]


class QueryError(Exception):
    pass


def has_data(result: list[dict[str, Any]]) -> bool:
    """At least one finite number in an instant or range result."""
    for series in result:
        samples = series.get("values") or ([series["value"]] if "value" in series else [])
        if any(math.isfinite(float(value)) for _, value in samples):
            return True
    return False


# --- dashboards as Grafana reads them ------------------------------------------------------------

VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
LABEL_VALUES = re.compile(r"^label_values\((?:(?P<match>.+),\s*)?(?P<label>\w+)\)$")


def load_dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in DASHBOARD_FILES}


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel but rows, including those folded inside a collapsed row."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def all_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def variables(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}


def variable_query(variable: dict[str, Any]) -> str:
    query = variable.get("query")
    return query.get("query", "") if isinstance(query, dict) else str(query or "")


def concrete(expr: str, values: dict[str, str], *, rate_interval: str, range_: str) -> str:
    """The query as Grafana sends it: its built-in intervals and the variables filled in."""
    expr = expr.replace("$__rate_interval", rate_interval).replace("$__range", range_)

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"undefined variable ${name} in {expr!r}")
        return values[name]

    return VARIABLE.sub(value, expr)
