"""Every state-changing endpoint in the OpenAPI document that is not public refuses a caller
without a token (401) and a display device (403: a display never changes anything), and staff
cannot act at a window they are not signed in at — for the endpoints of every part, not only the
core ones (tests/api/queue/test_access_and_input.py has the full matrix for those)."""
from __future__ import annotations

import re

from tests.api.hardening.helpers import staffed

PUBLIC_WRITES = {  # state changes anyone may make, each rate limited or guarded by a signed code
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/halls/{hall}/appointments"),  # booking (rate limited per address)
    ("DELETE", "/api/v1/halls/{hall}/appointments/{code}"),  # with the booking's signed code
    # a display program without a token says it is alive (rate limited per address, capped per hall)
    ("POST", "/api/v1/halls/{hall}/devices/heartbeat"),
    # 帮办代办 asked from a resident's phone (rate limited per address, like bookings)
    ("POST", "/api/v1/halls/{hall}/assist"),
    # a rating from the resident's phone presents the ticket's own token (one per visit)
    ("POST", "/api/v1/halls/{hall}/tickets/{ticket_id}/rating"),
}

ANY_DEVICE = {  # a device (a display too) reports and clears its own faults
    "/api/v1/halls/{hall}/devices/faults", "/api/v1/halls/{hall}/devices/faults/clear",
    "/api/v1/halls/{hall}/devices/faults/{fault_id}/clear", "/api/v1/auth/logout",
}


def _concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", lambda m: "main" if m.group(0) == "{hall}" else "1", path)


def test_every_write_refuses_anonymous_and_display_devices(api, app):
    api.add_device("display", "display")
    doc = app.test_client().get("/api/openapi.json").get_json()
    checked, problems = 0, []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            method = method.upper()
            if method == "GET" or (method, path) in PUBLIC_WRITES:
                continue
            url = _concrete(path)
            checked += 1
            anon = api.request(method, url, json={})
            if anon.status != 401:
                problems.append(("anonymous", method, path, anon.status, anon.body))
            if path in ANY_DEVICE:
                continue
            disp = api.request(method, url, "display", json={})
            if disp.status != 403:
                problems.append(("display", method, path, disp.status, disp.body))
            access = op.get("description", "")
            if "anyone" in access:
                problems.append(("documented as public", method, path))
    assert checked >= 20
    assert not problems, problems


def test_staff_cannot_act_at_someone_elses_window(api):
    staff = staffed(api, (1, 2))
    api.issue("social")
    doc_actions = ["call-next", "recall", "start", "finish", "no-show", "transfer", "pause",
                   "resume", "sign-out"]
    for action in doc_actions:
        r = api.act(1, action, staff[2], {"outcome": "immediate", "service": "agri", "reason": "x"})
        assert r.status == 403 and r.body["error"] == "not_signed_in", (action, r)
    r = api.act(1, "sign-in", staff[2])
    assert r.status == 403 and r.body["error"] == "not_assigned"
