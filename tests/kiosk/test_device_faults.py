"""A kiosk's printer runs out of paper: the kiosk reports it, the manager sees it and the event,
and it is cleared (by the manager, or by the kiosk when the printer prints again)."""
from __future__ import annotations

from sqlalchemy import select

from server.store import tables as t


def event_types(ctx):
    with ctx.db.read() as conn:
        return list(conn.execute(select(t.events.c.type).order_by(t.events.c.id)).scalars())


def faults(api, token, open_only=True):
    return api.get(api.hp("/devices/faults" + ("?open=1" if open_only else "")), token)


def test_a_kiosk_reports_paper_out_once_and_the_manager_sees_it(api, ctx):
    api.add_staff("boss", [], role="manager")
    r = api.post(api.hp("/devices/faults"), "kiosk", json={"kind": "paper_out", "message": "打印纸已用完"})
    assert r.status == 201 and r.body["kind"] == "paper_out" and r.body["open"]
    again = api.post(api.hp("/devices/faults"), "kiosk", json={"kind": "paper_out"})
    assert again.status == 200 and again.body["id"] == r.body["id"]  # not doubled
    listed = faults(api, "boss").body
    assert [f["id"] for f in listed] == [r.body["id"]] and listed[0]["device"] == "kiosk"
    types = event_types(ctx)
    assert types.count("device.fault") == 1

    cleared = api.post(api.hp(f"/devices/faults/{r.body['id']}/clear"), "boss")
    assert cleared.status == 200 and cleared.body["cleared"][0]["open"] is False
    assert faults(api, "boss").body == []
    assert len(faults(api, "boss", open_only=False).body) == 1
    assert "device.cleared" in event_types(ctx)


def test_the_kiosk_clears_its_own_faults_and_nobody_else_can(api):
    api.add_staff("boss", [], role="manager")
    api.add_staff("clerk", [1])
    api.add_device("kiosk-2", "kiosk")
    own = api.post(api.hp("/devices/faults"), "kiosk", json={"kind": "offline"}).body
    other = api.post(api.hp("/devices/faults"), "kiosk-2", json={"kind": "cover_open"}).body
    assert api.post(api.hp(f"/devices/faults/{own['id']}/clear"), "kiosk-2").status == 403
    assert api.get(api.hp("/devices/faults"), "clerk").status == 403
    assert api.get(api.hp("/devices/faults"), "kiosk").status == 403
    assert api.post(api.hp("/devices/faults"), "boss", json={"kind": "offline"}).status == 403
    assert api.post(api.hp("/devices/faults"), "kiosk", json={"kind": "on_fire"}).status == 400
    assert api.post(api.hp("/devices/faults"), None, json={"kind": "offline"}).status == 401
    r = api.post(api.hp("/devices/faults/clear"), "kiosk", json={})
    assert [f["id"] for f in r.body["cleared"]] == [own["id"]]
    assert [f["id"] for f in faults(api, "boss").body] == [other["id"]]
    assert api.post(api.hp("/devices/faults/9999/clear"), "boss").status == 404
