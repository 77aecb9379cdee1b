"""The benchmark's modules are scripts beside each other (run as `python benchmarks/bench.py`),
not an installed package: the tests import them the same way."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1]
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
