"""Shared by the unit and integration suites: the store contract and the fakes (cart_testing.py).

Test modules are imported by file (`--import-mode=importlib`), so that module is put on the path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sanic import Sanic

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def many_apps():
    # Every test builds its own app named "cart"; Sanic refuses a second one outside test mode.
    Sanic.test_mode = True
