"""users — accounts, password hashes and the JWT signing keys, with Pyramid under gunicorn."""
