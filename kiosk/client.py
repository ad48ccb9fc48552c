"""The server's REST API as the kiosk uses it, on the shared client (client/api.py).

Two kinds of failure, because the kiosk treats them differently:
- ServerUnreachable: no answer (refused, timeout, 5xx). The kiosk shows "暂时无法取号" and
  retries by itself with the same Idempotency-Key, so a request that did reach the server
  before the timeout still gives one ticket, not two.
- ApiError: the server answered with a 4xx ({"error", "message"}): a plain-words message for
  the resident; retrying would not help.
"""
from __future__ import annotations

from client.api import ApiClient, ApiError, ServerUnreachable
from client.api import new_key as _new_key

__all__ = ["ApiError", "KioskClient", "ServerUnreachable", "new_key"]


def new_key() -> str:
    """An Idempotency-Key: one per resident action, reused by every retry of that action."""
    return _new_key("kiosk")


class KioskClient(ApiClient):
    def __init__(self, server: str, hall: str, token: str, timeout: float = 4.0):
        super().__init__(server, hall, token, timeout=timeout)

    # -- reading
    def hall_info(self) -> dict:
        return self.get("", auth=False)

    def services(self) -> list[dict]:
        return self.get("/services", auth=False)

    def me(self) -> dict:
        return self.get("/api/v1/auth/me")

    # -- acting (each with the caller's Idempotency-Key)
    def issue(self, service: str, key: str, id_number: str | None = None) -> dict:
        body = {"service": service, "source": "kiosk"}
        if id_number:
            body["id_number"] = id_number
        return self.post("/tickets", body, key=key)

    def check_in(self, key: str, code: str | None = None, id_number: str | None = None) -> dict:
        body = {"code": code} if code is not None else {"id_number": id_number}
        return self.post("/appointments/check-in", body, key=key)

    def assist(self, body: dict, key: str) -> dict:
        """A 帮办代办 request (the server stores name and phone masked, the phone also sealed)."""
        return self.post("/assist", body, key=key)

    def report_fault(self, kind: str, message: str) -> dict:
        return self.post("/devices/faults", {"kind": kind, "message": message[:500]})

    def clear_faults(self) -> dict:
        return self.post("/devices/faults/clear", {})

    def print_jobs(self) -> list[dict]:
        """Tickets the front desk (导办台) sent to this kiosk to print."""
        return self.get("/api/v1/devices/me/print-jobs")

    def print_job_done(self, job_id: int, printed: bool, error: str | None = None) -> dict:
        body = {"printed": printed, **({"error": error[:200]} if error else {})}
        return self.post(f"/api/v1/devices/me/print-jobs/{job_id}/done", body)
