"""The server's REST API as the hall's device programs call it (kiosk, announcer, LED bridge,
keypad bridge).

Two kinds of failure, because devices treat them differently:
- ServerUnreachable: no usable answer (refused, timeout, 5xx). Retrying later may help; a device
  retries an action with the same Idempotency-Key, so a request that did reach the server before
  the timeout still has its effect once, not twice.
- ApiError: the server answered 4xx with `{"error", "message", "message_zh", "message_en"}`;
  retrying would not help. The error carries each language as a field: clients never split the
  message text.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any

import requests

log = logging.getLogger(__name__)


class ServerUnreachable(RuntimeError):
    """No usable answer from the server (network down, timeout, server error)."""


class ApiError(RuntimeError):
    """The server refused a request (4xx); `code` is the machine name, `message` the "中文
    (English)" text, `message_zh` and `message_en` each language alone."""

    def __init__(self, status: int, code: str, message: str, message_zh: str | None = None,
                 message_en: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.message_zh = message_zh or message
        self.message_en = message_en or message

    @classmethod
    def from_response(cls, resp: requests.Response) -> "ApiError":
        try:
            body = resp.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        return cls(resp.status_code, str(body.get("error") or "http_error"),
                   str(body.get("message") or f"HTTP {resp.status_code}"),
                   body.get("message_zh"), body.get("message_en"))

    def text(self, lang: str = "zh") -> str:
        """The message in one language, for a screen or a small display."""
        return self.message_en if lang == "en" else self.message_zh


def new_key(prefix: str = "device") -> str:
    """An Idempotency-Key: one per action, reused by every retry of that action."""
    return f"{prefix}-{uuid.uuid4().hex}"


class ApiClient:
    """`server` is the base URL (http://10.0.0.2:8080), `hall` the hall code, `token` a device
    (or staff) bearer token. Paths starting with "/api/" are taken from the server root, other
    paths from the hall: `get("/windows")` is GET /api/v1/halls/{hall}/windows."""

    def __init__(self, server: str, hall: str = "main", token: str | None = None, *,
                 timeout: float = 5.0, session: requests.Session | None = None):
        self.server = server.rstrip("/")
        self.hall = hall
        self.token = token
        self.timeout = timeout
        self.session = session or requests.Session()

    def configure(self, server: str | None = None, token: str | None = None) -> None:
        if server is not None:
            self.server = server.rstrip("/")
        if token is not None:
            self.token = token

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        if path.startswith("/api/"):
            return self.server + path
        return f"{self.server}/api/v1/halls/{self.hall}{path}"

    def request(self, method: str, path: str, json: Any = None, *, key: str | None = None,
                token: str | None = None, auth: bool = True, timeout: float | None = None,
                params: dict | None = None, raw: bool = False):
        """The decoded JSON answer (or the response itself with raw=True).
        ServerUnreachable: no answer or a 5xx. ApiError: a 4xx."""
        headers = {"Accept": "application/json"}
        bearer = token or self.token
        if auth and bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if key:
            headers["Idempotency-Key"] = key
        url = self.url(path)
        try:
            resp = self.session.request(method, url, json=json, headers=headers, params=params,
                                        timeout=timeout or self.timeout)
        except requests.RequestException as exc:
            raise ServerUnreachable(f"{method} {url}: {exc.__class__.__name__}") from exc
        if resp.status_code >= 500:
            raise ServerUnreachable(f"{method} {url}: HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise ApiError.from_response(resp)
        if raw:
            return resp
        try:
            return resp.json()
        except ValueError:
            return None

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw):
        return self.request("POST", path, json=json, **kw)

    # -- what every device asks
    def health(self) -> dict:
        return self.get("/api/v1/health", auth=False)

    def windows(self) -> list[dict]:
        return self.get("/windows")

    def services(self) -> list[dict]:
        return self.get("/services")

    def heartbeat(self, program: str, *, name: str | None = None, kind: str | None = None,
                  version: str | None = None, status: str = "ok", detail: str | None = None) -> dict:
        """Tell the server this device is alive (see client.heartbeat.Heartbeat for the loop)."""
        body: dict[str, Any] = {"program": program, "status": status}
        for field, value in (("name", name), ("kind", kind), ("version", version), ("detail", detail)):
            if value:
                body[field] = value
        return self.post("/devices/heartbeat", body, timeout=min(self.timeout, 5.0))
