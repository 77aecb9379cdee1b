"""`python -m payments` serves; `python -m payments migrate` brings the tables up to date and
exits (a Kubernetes Job runs it before the pods roll, with MIGRATE_ON_START off)."""

import sys

from payments.settings import PaymentsSettings
from polykit.serving import exec_gunicorn

settings = PaymentsSettings.from_env()
match sys.argv[1:]:
    case []:
        exec_gunicorn("payments.wsgi:app", settings)
    case ["migrate"]:
        from payments.app import prepare_database
        from polykit.logs import configure_logging

        configure_logging(settings.service_name, settings.log_level)
        prepare_database(settings)
    case _:
        sys.exit("usage: python -m payments [migrate]")
