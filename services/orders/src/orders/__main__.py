"""`python -m orders`: gunicorn serving the API and the admin (it migrates as it starts when
MIGRATE_ON_START is true). `python -m orders worker`: the outbox relay and the recovery loop.
`python -m orders migrate`: bring the tables up to date and exit (a Kubernetes Job runs it)."""

from __future__ import annotations

import os
import sys

from orders.config import OrdersSettings
from polykit.serving import exec_gunicorn

USAGE = "usage: python -m orders [worker | migrate]"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["worker"], ["migrate"]):
        raise SystemExit(USAGE)
    settings = OrdersSettings.from_env()
    if not args:
        exec_gunicorn("orders.wsgi:application", settings)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orders.settings")
    django.setup()
    from orders import app, worker

    if args == ["migrate"]:
        app.migrate()
    else:
        worker.run(settings)


if __name__ == "__main__":
    main()
