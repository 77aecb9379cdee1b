"""inventory — stock levels and reservations, with Flask-RESTful under gunicorn."""
