"""cart — each shopper's cart, with Sanic on its own server."""
