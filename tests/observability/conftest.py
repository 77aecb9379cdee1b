"""The observability suite: promtool's checks, the dashboards' structure, and the live proof that
every panel shows data from a real Prometheus scraping the store under shopper traffic.

Test modules are imported by file (`--import-mode=importlib`): the helpers beside them are put on
the path here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from observability_testing import prometheus_tools


@pytest.fixture(scope="session")
def tools() -> tuple[str, str]:
    return prometheus_tools()


@pytest.fixture(scope="session")
def promtool(tools: tuple[str, str]) -> str:
    return tools[1]
