from orders.config import OrdersSettings
from polykit.serving import exec_gunicorn

exec_gunicorn("orders.wsgi:application", OrdersSettings.from_env())
