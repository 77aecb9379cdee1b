"""storefront — the shop's pages, server-rendered with Flask and Jinja2 under gunicorn."""
