"""What gunicorn serves: `orders.wsgi:application`."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orders.settings")
# Before the app factory is imported: it imports the models.
django.setup(set_prefix=False)

from orders.app import create_app  # noqa: E402

application = create_app()
