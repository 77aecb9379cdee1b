"""The deployment checks: the Helm chart, the manifests rendered from it, the Dockerfiles, the
Tiltfile and the images. They run offline (no cluster can run on the CI machines); the tools
they need come from the lock or from `scripts/tools.sh`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES = (
    "storefront",
    "catalog",
    "cart",
    "orders",
    "payments",
    "notifications",
    "users",
    "inventory",
)


def tool(name: str) -> str:
    """The path of `helm` or `checkov`, installed into .tools/ on first use."""
    done = subprocess.run(
        [str(REPO / "scripts" / "tools.sh"), name], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"could not install {name}:\n{done.stderr}")
    return done.stdout.strip()


@pytest.fixture(scope="session")
def helm() -> str:
    return tool("helm")


@pytest.fixture(scope="session")
def checkov() -> str:
    return tool("checkov")
