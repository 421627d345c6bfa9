"""Live aiortc peers for recording seed traffic and for tests, confined to 127.0.0.1."""
