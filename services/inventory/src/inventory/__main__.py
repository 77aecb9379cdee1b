from inventory.settings import InventorySettings
from polykit.serving import exec_gunicorn

exec_gunicorn("inventory.wsgi:app", InventorySettings.from_env())
