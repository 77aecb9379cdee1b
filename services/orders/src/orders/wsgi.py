"""What gunicorn serves: `orders.wsgi:application`."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orders.settings")

from orders.app import create_app

application = create_app()
