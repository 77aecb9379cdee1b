"""orders — checkout, order history and the admin, in Django REST Framework under gunicorn."""
