from inventory.settings import InventorySettings
from polykit.serving import run_gunicorn

run_gunicorn("inventory.wsgi:app", InventorySettings.from_env())
