import warnings

from polykit.serving import exec_gunicorn
from users.settings import UsersSettings

# Pyramid 2.1 still imports pkg_resources (hence setuptools<82), which warns on every start.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

exec_gunicorn("users.wsgi:app", UsersSettings.from_env())
