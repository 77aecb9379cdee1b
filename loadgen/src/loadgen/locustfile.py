"""The locustfile: `locust -f` (or `python -m loadgen`) runs the shoppers of journeys.py."""

from loadgen.journeys import Shopper

__all__ = ["Shopper"]
