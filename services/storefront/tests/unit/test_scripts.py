"""The page scripts' own tests (tests/unit/js, node's built-in runner), run as part of pytest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from polykit.testing import skip_or_fail

SCRIPTS_TESTS = Path(__file__).parent / "js"


def test_notifications_script():
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node is not installed (Debian: apt-get install nodejs)")
    result = subprocess.run(
        [node, "--test", str(SCRIPTS_TESTS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
