"""`python benchmarks/metrics_cost.py`: the CPU time one latency observation costs a service (a
labelled histogram observation with its exemplar, inside a sampled span), as JSON. The kit has no
switch to turn metrics off, so the benchmark multiplies this by the observations a checkout makes.
"""

from __future__ import annotations

import json
import time

from opentelemetry.sdk.trace import TracerProvider

from polykit.metrics import Metrics

ROUNDS = 50_000


def main() -> None:
    metrics = Metrics(service="bench", framework="none", framework_version="0", version="0")
    tracer = TracerProvider().get_tracer("bench")
    with tracer.start_as_current_span("request"):
        started = time.process_time()
        for i in range(ROUNDS):
            metrics.observe_server("GET", "/api/products/{sku}", 200 + i % 2, 0.004)
        elapsed = time.process_time() - started
    print(json.dumps({"microseconds_per_observation": elapsed / ROUNDS * 1e6}))


if __name__ == "__main__":
    main()
