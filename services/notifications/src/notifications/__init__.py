"""notifications — WebSocket push and recent notifications, with Tornado on its own IOLoop."""
