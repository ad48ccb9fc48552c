"""The HTTP + event-stream client that the hall's Python device programs share: the kiosk, the
announcer, the LED bridge and the keypad bridge. It talks to the server over HTTP only and never
imports `server/`.

- `client.api`: ApiClient (Idempotency-Key, ServerUnreachable vs ApiError with message_zh/_en)
- `client.events`: EventStream (Last-Event-ID resume, heartbeat timeout, backoff with jitter;
  an iterator or callbacks on a thread)
"""
from .api import ApiClient, ApiError, ServerUnreachable, new_key
from .events import Event, EventStream

__all__ = ["ApiClient", "ApiError", "ServerUnreachable", "new_key", "Event", "EventStream"]
