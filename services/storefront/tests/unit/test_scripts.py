"""The page scripts' own tests (tests/unit/js, node's built-in runner), run as part of pytest."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPTS_TESTS = Path(__file__).parent / "js"


def test_notifications_script():
    node = shutil.which("node")
    if node is None:
        reason = "node is not installed (Debian: apt-get install nodejs)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    result = subprocess.run(
        [node, "--test", str(SCRIPTS_TESTS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
