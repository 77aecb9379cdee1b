"""`python -m users` serves; `python -m users migrate` brings the tables up to date, seeds the
staff account and exits (a Kubernetes Job runs it before the pods roll, with MIGRATE_ON_START
off)."""

import sys
import warnings

from polykit.serving import exec_gunicorn
from users.settings import UsersSettings

# Pyramid 2.1 still imports pkg_resources (hence setuptools<82), which warns on every start.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

settings = UsersSettings.from_env()
match sys.argv[1:]:
    case []:
        exec_gunicorn("users.wsgi:app", settings)
    case ["migrate"]:
        from polykit.logs import configure_logging
        from users.app import prepare_database

        configure_logging(settings.service_name, settings.log_level)
        prepare_database(settings)
    case _:
        sys.exit("usage: python -m users [migrate]")
