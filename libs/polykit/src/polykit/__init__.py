"""polykit — what every polyshop service shares, with no web framework inside.

Each service wires these pieces to its framework through a small `adapter.py` of its own:

- `settings`   typed settings from the environment, failing fast with the variable's name
- `telemetry`  OpenTelemetry tracing (OTLP/HTTP when an endpoint is set) and httpx instrumentation
- `metrics`    the Prometheus metrics whose names and labels are the same in all eight services
- `routes`     one form for the route templates of eight frameworks
- `observe`    what a server adapter calls at the start and end of each request
- `logs`       JSON log lines carrying trace_id and span_id
- `errors`     the problem+json error family
- `health`     readiness that checks the service's own store and turns 503 on SIGTERM
- `stores`     database and Redis connections from DATABASE_URL / REDIS_URL, SQLite by default
- `http`       httpx clients with timeouts on every call and client metrics
- `openapi`    shared schema components and docstring-driven documents
- `serving`    gunicorn launched from Python for the WSGI services
"""
