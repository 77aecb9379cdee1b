"""Shared by the unit and integration suites: notifications_testing.py.

Test modules are imported by file (`--import-mode=importlib`), so that module is put on the path.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
