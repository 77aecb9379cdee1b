from payments.settings import PaymentsSettings
from polykit.serving import exec_gunicorn

exec_gunicorn("payments.wsgi:app", PaymentsSettings.from_env())
