"""What gunicorn serves: `inventory.wsgi:app`."""

from inventory.app import create_app

app = create_app()
