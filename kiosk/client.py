"""The server's REST API as the kiosk uses it.

Two kinds of failure, because the kiosk treats them differently:
- ServerUnreachable: no answer (refused, timeout, 5xx). The kiosk shows "暂时无法取号" and
  retries by itself with the same Idempotency-Key, so a request that did reach the server
  before the timeout still gives one ticket, not two.
- ApiError: the server answered with a 4xx ({"error", "message"}): a plain-words message for
  the resident; retrying would not help.
"""
from __future__ import annotations

import logging
import uuid

import requests

log = logging.getLogger(__name__)


class ServerUnreachable(RuntimeError):
    """No usable answer from the server (network down, timeout, server error)."""


class ApiError(RuntimeError):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    def text(self, lang: str = "zh") -> str:
        """The server's "中文 (English)" message in one language."""
        msg = self.message or ""
        if "(" in msg and msg.rstrip().endswith(")"):
            zh, _, en = msg.rpartition(" (") if " (" in msg else msg.rpartition("(")
            return (en[:-1] if lang == "en" else zh).strip() or msg
        return msg


def new_key() -> str:
    """An Idempotency-Key: one per resident action, reused by every retry of that action."""
    return "kiosk-" + uuid.uuid4().hex


class KioskClient:
    def __init__(self, server: str, hall: str, token: str, timeout: float = 4.0):
        self.server, self.hall, self.token, self.timeout = server.rstrip("/"), hall, token, timeout
        self.session = requests.Session()

    def configure(self, server: str, token: str) -> None:
        self.server, self.token = server.rstrip("/"), token

    def _url(self, path: str) -> str:
        return f"{self.server}/api/v1/halls/{self.hall}{path}"

    def request(self, method: str, url: str, json=None, key: str | None = None,
                auth: bool = True, timeout: float | None = None):
        headers = {"Accept": "application/json"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key:
            headers["Idempotency-Key"] = key
        try:
            r = self.session.request(method, url, json=json, headers=headers,
                                     timeout=timeout or self.timeout)
        except requests.RequestException as exc:
            raise ServerUnreachable(f"{method} {url}: {exc.__class__.__name__}") from exc
        if r.status_code >= 500:
            raise ServerUnreachable(f"{method} {url}: HTTP {r.status_code}")
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code >= 400:
            body = body if isinstance(body, dict) else {}
            raise ApiError(r.status_code, body.get("error", "http_error"),
                           body.get("message", f"HTTP {r.status_code}"))
        return body

    # -- reading
    def health(self) -> dict:
        return self.request("GET", f"{self.server}/api/v1/health", auth=False)

    def hall_info(self) -> dict:
        return self.request("GET", f"{self.server}/api/v1/halls/{self.hall}", auth=False)

    def services(self) -> list[dict]:
        return self.request("GET", self._url("/services"), auth=False)

    def me(self) -> dict:
        return self.request("GET", f"{self.server}/api/v1/auth/me")

    # -- acting (each with the caller's Idempotency-Key)
    def issue(self, service: str, key: str, id_number: str | None = None,
              priority: str | None = None) -> dict:
        body = {"service": service, "source": "kiosk"}
        if id_number:
            body["id_number"] = id_number
        if priority:
            body["priority"] = priority
        return self.request("POST", self._url("/tickets"), json=body, key=key)

    def check_in(self, key: str, code: str | None = None, id_number: str | None = None) -> dict:
        body = {"code": code} if code is not None else {"id_number": id_number}
        return self.request("POST", self._url("/appointments/check-in"), json=body, key=key)

    def report_fault(self, kind: str, message: str) -> dict:
        return self.request("POST", self._url("/devices/faults"),
                            json={"kind": kind, "message": message[:500]})

    def print_jobs(self) -> list[dict]:
        """Tickets the front desk (导办台) sent to this kiosk to print."""
        return self.request("GET", f"{self.server}/api/v1/devices/me/print-jobs")

    def print_job_done(self, job_id: int, printed: bool, error: str | None = None) -> dict:
        body = {"printed": printed, **({"error": error[:200]} if error else {})}
        return self.request("POST", f"{self.server}/api/v1/devices/me/print-jobs/{job_id}/done", json=body)

    def clear_faults(self) -> dict:
        return self.request("POST", self._url("/devices/faults/clear"), json={})
