"""The HTTP + event-stream client that the hall's Python device programs share: the kiosk, the
announcer, the LED bridge and the keypad bridge. It talks to the server over HTTP only and never
imports `server/`.

- `client.api`: ApiClient (Idempotency-Key, ServerUnreachable vs ApiError with message_zh/_en)
- `client.events`: EventStream (Last-Event-ID resume, heartbeat timeout, backoff with jitter;
  an iterator or callbacks on a thread)
- `client.heartbeat`: Heartbeat (every 30 s, so /admin shows last-seen and the dashboard raises
  设备离线 when a device falls silent)
"""
from .api import ApiClient, ApiError, ServerUnreachable, new_key
from .events import Event, EventStream
from .heartbeat import Heartbeat

__all__ = ["ApiClient", "ApiError", "ServerUnreachable", "new_key", "Event", "EventStream", "Heartbeat"]
