"""Issue 15.9: the anonymous event stream says only what a hall's wall may show; staff pages and
devices get the rest with their token."""
from __future__ import annotations

import json

import requests

from server.services import auth
from server.services.context import create_hallq
from tests.api.queue.test_events import SSE
from tests.support import PASSWORD, HallClient

STAFF_ONLY = ("device.fault", "admin.password_reset", "admin.device_revoked")


def _read_until(url, marker_number, token=None, timeout=10):
    """Every event from the first, until the ticket.issued of `marker_number`."""
    if token:
        url += "?token=" + token
    sse = SSE(url, last_event_id=0, timeout=timeout)
    out = []
    try:
        while True:
            ev = sse.next(timeout=timeout)
            out.append(ev)
            if ev["type"] == "ticket.issued" and ev["ticket"]["number"] == marker_number:
                return out
    finally:
        sse.close()


def _busy_morning(api):
    """A priority ticket called, a free-text pause and a preset one, a printer fault, a password
    reset and a device revoked: everything the public stream must not tell."""
    api.add_staff("root", [], role="admin")
    api.add_staff("clerk1", [1], name="王小明")
    api.add_device("kiosk2", "kiosk")
    assert api.act(1, "sign-in", "clerk1").status == 200
    assert api.issue("social", priority="disabled").status == 201
    assert api.act(1, "call-next", "clerk1").body["ticket"]["priority"] == "disabled"
    assert api.act(1, "finish", "clerk1", json={"outcome": "immediate"}).status == 200
    for reason in ("家里有事,马上回来", "会议"):
        assert api.act(1, "pause", "clerk1", json={"reason": reason}).status == 200
        assert api.act(1, "resume", "clerk1").status == 200
    assert api.post(api.hp("/devices/faults"), "kiosk",
                    json={"kind": "paper_out", "message": "打印纸已用完"}).status == 201
    assert api.post(api.hp("/users/clerk1/password"), "root",
                    json={"password": PASSWORD + "x1"}).status == 200
    assert api.post(api.hp("/devices/kiosk2/revoke"), "root").status == 200
    return api.issue("social").body["number"]


def test_the_anonymous_stream_carries_only_what_public_screens_need(live):
    api = live.api
    marker = _busy_morning(api)
    url = live.url + api.hp("/events")
    public = _read_until(url, marker)
    types = [e["type"] for e in public]
    assert not set(types) & set(STAFF_ONLY) and not any(t.startswith("admin.") for t in types)
    called = [e for e in public if e["type"] == "ticket.called"][0]
    assert called["ticket"]["priority"] is True  # a flag, not the kind
    assert not {"source", "staff_id", "outcome"} & set(called["ticket"]) and "staff_id" not in called
    assert [e["reason"] for e in public if e["type"] == "window.paused"] == [None, "会议"]
    text = json.dumps(public, ensure_ascii=False)
    for secret in ("disabled", "家里有事", "打印纸", "王小明", "kiosk2", "paper_out", "role"):
        assert secret not in text, secret

    staff = _read_until(url, marker, token=api.tokens["root"])
    types = [e["type"] for e in staff]
    assert all(t in types for t in STAFF_ONLY)
    assert [e for e in staff if e["type"] == "ticket.called"][0]["ticket"]["priority"] == "disabled"
    assert [e["reason"] for e in staff if e["type"] == "window.paused"] == ["家里有事,马上回来", "会议"]


def test_a_bad_token_on_the_stream_is_refused_not_downgraded(live):
    r = requests.get(live.url + live.api.hp("/events") + "?token=nonsense", timeout=5)
    assert r.status_code == 401 and r.json()["error"] == "bad_token"


def test_the_event_server_gives_devices_the_full_stream_and_others_the_public_one(server_process):
    """The same through `server.py run` (gevent's loop holds these streams)."""
    ctx = create_hallq(server_process.env["HALLQ_DATABASE_URL"], start_bus=False)
    try:
        kiosk = auth.add_device(ctx, "main", "kiosk", "kiosk")
        display = auth.add_device(ctx, "main", "hall-tv", "display")
    finally:
        ctx.db.dispose()
    api = HallClient(None, base_url=server_process.url)
    assert api.issue("social", token=kiosk, priority="elderly").status == 201
    assert api.post(api.hp("/devices/faults"), kiosk,
                    json={"kind": "paper_out", "message": "打印纸已用完"}).status == 201
    marker = api.issue("social", token=kiosk).body["number"]
    url = server_process.url + api.hp("/events")
    public = _read_until(url, marker)
    assert [e["type"] for e in public] == ["ticket.issued", "ticket.issued"]
    assert public[0]["ticket"]["priority"] is True and "打印纸" not in json.dumps(public, ensure_ascii=False)
    full = _read_until(url, marker, token=display)
    assert [e["type"] for e in full] == ["ticket.issued", "device.fault", "ticket.issued"]
    assert full[0]["ticket"]["priority"] == "elderly"
