from payments.settings import PaymentsSettings
from polykit.serving import run_gunicorn

run_gunicorn("payments.wsgi:app", PaymentsSettings.from_env())
