"""polyshop's load generator: Locust shoppers (see locustfile.py and journeys.py)."""
