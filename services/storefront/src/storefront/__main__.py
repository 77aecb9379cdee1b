from polykit.serving import exec_gunicorn
from storefront.settings import StorefrontSettings

exec_gunicorn("storefront.wsgi:app", StorefrontSettings.from_env())
