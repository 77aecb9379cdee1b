"""`python -m inventory` serves; `python -m inventory migrate` brings the tables up to date and
exits (a Kubernetes Job runs it before the pods roll, with MIGRATE_ON_START off); `python -m
inventory seed` stocks catalog's new products once, in the foreground."""

import sys

from inventory.settings import InventorySettings
from polykit.serving import exec_gunicorn

settings = InventorySettings.from_env()
match sys.argv[1:]:
    case []:
        exec_gunicorn("inventory.wsgi:app", settings)
    case ["migrate"]:
        from inventory.app import migrate_database
        from polykit.logs import configure_logging

        configure_logging(settings.service_name, settings.log_level)
        migrate_database(settings)
    case ["seed"]:
        from inventory.app import seed_once
        from polykit.logs import configure_logging

        configure_logging(settings.service_name, settings.log_level)
        sys.exit(seed_once(settings))
    case _:
        sys.exit("usage: python -m inventory [migrate | seed]")
