"""What gunicorn serves: `users.wsgi:app`."""

from users.app import create_app

app = create_app()
