from polykit.serving import run_gunicorn
from storefront.settings import StorefrontSettings

run_gunicorn("storefront.wsgi:app", StorefrontSettings.from_env())
