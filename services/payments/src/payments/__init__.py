"""payments — charges, refunds and idempotency records, with Falcon under gunicorn."""
