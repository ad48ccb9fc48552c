"""The text of a call announcement (decided once by the server) and its endpoints."""
from __future__ import annotations

from tests.fixtures.display import *  # noqa: F401,F403  (the display fixtures)

import re
import subprocess
import wave

import pytest

from server.domain import announce as A
from server.domain.errors import Invalid
from tests.support import need_binary


# ---------------------------------------------------------------- reading numbers aloud

@pytest.mark.parametrize("number, zh, en", [
    ("A001", "A 零零一", "A-zero zero one"),
    ("B010", "B 零一零", "B-zero one zero"),
    ("H999", "H 九九九", "H-nine nine nine"),
    ("A1000", "A 一零零零", "A-one zero zero zero"),
    ("A007", "A 零零七", "A-zero zero seven"),
    ("AB012", "A B 零一二", "A-B-zero one two"),
])
def test_ticket_numbers_are_read_one_character_at_a_time(number, zh, en):
    assert A.number_zh(number) == zh
    assert A.number_en(number) == en


@pytest.mark.parametrize("n, zh", [(1, "一"), (3, "三"), (10, "十"), (11, "十一"), (20, "二十"),
                                   (21, "二十一"), (100, "一百"), (105, "一百零五"), (110, "一百一十")])
def test_window_numbers_are_said_as_chinese_numerals(n, zh):
    assert A.chinese_numeral(n) == zh


def test_the_default_template_gives_the_hall_sentence():
    a = A.build(A.AnnounceConfig(), "A007", 3)
    assert a.text_zh == "请 A 零零七 号 到 三 号窗口 办理"
    assert a.text_en == "Number A-zero zero seven, please go to window 3"
    assert a.script() == [("zh", a.text_zh), ("zh", a.text_zh)]


def test_both_languages_repeat_in_order():
    cfg = A.AnnounceConfig.from_dict({"repeat": 2, "languages": ["zh", "en"],
                                      "template_zh": "{number}号 请到{window}号窗口({service})"})
    a = A.build(cfg, "C012", 11, "自然资源", "Land")
    assert a.text_zh == "C 零一二号 请到十一号窗口(自然资源)"
    assert [lang for lang, _ in a.script()] == ["zh", "en", "zh", "en"]


@pytest.mark.parametrize("bad", [{"template_zh": "请到{window}号窗口"}, {"template_en": "{name}"},
                                 {"repeat": 0}, {"repeat": "2"}, {"languages": ["fr"]}])
def test_a_bad_announce_config_is_refused(bad):
    with pytest.raises(Invalid):
        A.AnnounceConfig.from_dict(bad)


def test_what_is_not_a_ticket_number_is_refused():
    for bad in ("", "A", "007A", "A-7", "ABCD1"):
        with pytest.raises(Invalid):
            A.number_zh(bad)


# ---------------------------------------------------------------- over the API

def _call(api, window=1, service="social", clerk="clerk1"):
    if clerk not in api.tokens:
        api.add_staff(clerk, [window], name="王芳")
        assert api.act(window, "sign-in", clerk).status == 200
    api.issue(service)
    r = api.act(window, "call-next", clerk)
    assert r.status == 200 and r.body["ticket"], r.body
    return r.body["ticket"]


def _last_event(ctx, type_):
    from sqlalchemy import select
    from server.store import tables as t
    with ctx.db.read() as conn:
        return conn.execute(select(t.events.c.id).where(t.events.c.type == type_)
                            .order_by(t.events.c.id.desc())).first()[0]


def test_a_call_has_its_announcement_and_others_do_not(api, ctx):
    ticket = _call(api, window=3, service="public", clerk="clerk3")
    eid = _last_event(ctx, "ticket.called")
    r = api.get(api.hp(f"/announcements/{eid}"))
    assert r.status == 200, r.body
    assert r.body["number"] == ticket["number"] == "H001"
    assert r.body["window"] == 3 and r.body["type"] == "ticket.called"
    assert r.body["text_zh"] == "请 H 零零一 号 到 三 号窗口 办理"
    assert r.body["text_en"] == "Number H-zero zero one, please go to window 3"
    assert r.body["repeat"] == 2
    issued = _last_event(ctx, "ticket.issued")
    r = api.get(api.hp(f"/announcements/{issued}"))
    assert r.status == 404 and r.body["error"] == "unknown_announcement"
    assert api.get(api.hp("/announcements/999999")).status == 404
    assert api.get("/api/v1/halls/nowhere/announcements/1").status == 404


def test_a_recall_is_announced_again(api, ctx):
    _call(api)
    assert api.act(1, "recall", "clerk1").status == 200
    recent = api.get(api.hp("/announcements?limit=5")).body
    assert [i["type"] for i in recent["items"]] == ["ticket.recalled", "ticket.called"]
    assert recent["items"][0]["text_zh"] == recent["items"][1]["text_zh"]
    assert recent["last_event_id"] >= recent["items"][0]["event_id"]
    assert api.get(api.hp("/announcements?limit=0")).status == 400
    assert api.get(api.hp("/announcements?limit=x")).status == 400


def sox_stats(path) -> dict:
    sox = need_binary("sox")
    proc = subprocess.run([sox, str(path), "-n", "stat"], capture_output=True, text=True, timeout=30)
    out = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"^(.+?):\s+(-?[\d.]+)", line)
        if m:
            out[m.group(1).strip()] = float(m.group(2))
    return out


def test_the_server_renders_the_announcement_once_as_wav(api, ctx, tmp_path):
    need_binary("espeak-ng")
    _call(api)
    eid = _last_event(ctx, "ticket.called")
    r = api.get(api.hp(f"/announcements/{eid}.wav"))
    assert r.status == 200 and r.headers["Content-Type"] == "audio/wav"
    path = tmp_path / "a.wav"
    path.write_bytes(r.raw)
    stats = sox_stats(path)
    # chime (~1 s) + the sentence twice (~2.5 s each) with pauses
    assert 4.0 < stats["Length (seconds)"] < 20.0, stats
    assert stats["RMS     amplitude"] > 0.02, stats
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1
    cached = list((ctx.var_dir / "announcements" / "main").glob(f"{eid}-*.wav"))
    assert len(cached) == 1
    before = cached[0].stat().st_mtime_ns
    assert api.get(api.hp(f"/announcements/{eid}.wav")).raw == r.raw
    assert cached[0].stat().st_mtime_ns == before  # served from the cache, not rendered again
    issued = _last_event(ctx, "ticket.issued")
    assert api.get(api.hp(f"/announcements/{issued}.wav")).status == 404


def test_the_wall_shows_staff_and_this_months_satisfaction(api, ctx):
    api.add_device("eval1", "evaluator", [1])
    _call(api)
    for level in (5, 2):
        assert api.act(1, "finish", "clerk1", {"outcome": "immediate"}).status == 200
        tid = [i for i in api.get(api.hp("/announcements?limit=1")).body["items"]][0]
        from sqlalchemy import select
        from server.store import tables as t
        with ctx.db.read() as conn:
            ticket_id = conn.execute(select(t.tickets.c.id).where(t.tickets.c.number == tid["number"])
                                     ).scalar_one()
        assert api.post(api.hp(f"/tickets/{ticket_id}/rating"), "eval1",
                        json={"level": level}).status == 201
        if level == 5:
            _call(api)
    api.add_staff("clerk2", [2, 1], name="李华")
    body = api.get(api.hp("/wall")).body
    by_name = {s["name"]: s for s in body["staff"]}
    # two ratings are below the hall's minimum (10): the count shows, the share does not
    assert body["min_ratings"] == 10 and body["complaint_phone"] == "12345"
    assert by_name["王芳"]["ratings"] == 2 and by_name["王芳"]["satisfaction"] is None
    assert by_name["王芳"]["on_duty_window"] == 1
    assert by_name["王芳"]["photo"] == f"/api/v1/staff/{by_name['王芳']['id']}/photo"
    assert by_name["李华"]["ratings"] == 0 and by_name["李华"]["satisfaction"] is None
    assert [w["number"] for w in by_name["李华"]["windows"]] == [2, 1]
    assert "id_masked" not in repr(body) and "username" not in repr(body)


def test_the_wall_gives_a_satisfaction_from_the_halls_minimum_of_ratings(api, ctx):
    from server.services.halls import load_hall, read_config
    data = read_config()
    data["wall"] = {"min_ratings": 2, "complaint_phone": "0854-3921234"}
    load_hall(ctx, data)
    api.add_device("eval1", "evaluator", [1])
    for level in (5, 2):
        _call(api)
        assert api.act(1, "finish", "clerk1", {"outcome": "immediate"}).status == 200
        from sqlalchemy import select
        from server.store import tables as t
        with ctx.db.read() as conn:
            ticket_id = conn.execute(select(t.tickets.c.id).where(t.tickets.c.status == "done")
                                     .order_by(t.tickets.c.id.desc())).first()[0]
        assert api.post(api.hp(f"/tickets/{ticket_id}/rating"), "eval1",
                        json={"level": level}).status == 201
        body = api.get(api.hp("/wall")).body
        mine = [s for s in body["staff"] if s["name"] == "王芳"][0]
        assert mine["satisfaction"] == (None if level == 5 else 0.5), mine
    assert body["min_ratings"] == 2 and body["complaint_phone"] == "0854-3921234"


def test_the_evaluator_prompt_is_spoken_by_the_server(api, ctx, tmp_path):
    need_binary("espeak-ng")
    r = api.get(api.hp("/speech/rate.wav"))
    assert r.status == 200 and r.headers["Content-Type"] == "audio/wav"
    path = tmp_path / "p.wav"
    path.write_bytes(r.raw)
    stats = sox_stats(path)
    assert 1.0 < stats["Length (seconds)"] < 10.0, stats  # one sentence, no chime
    assert stats["RMS     amplitude"] > 0.02, stats
    assert api.get(api.hp("/speech/anything.wav")).status == 404
