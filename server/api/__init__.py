"""The HTTP side of the server: Flask blueprints (REST + SSE under /api/v1, the OpenAPI document),
thin over services/. The app factory is `app.create_app`, also importable from here."""
from .app import create_app

__all__ = ["create_app"]
