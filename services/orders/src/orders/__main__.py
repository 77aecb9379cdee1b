from orders.config import OrdersSettings
from polykit.serving import run_gunicorn

run_gunicorn("orders.wsgi:application", OrdersSettings.from_env())
