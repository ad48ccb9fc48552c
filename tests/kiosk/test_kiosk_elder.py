"""Elder mode (长者模式) to the end, in both languages: the resident taps 长者模式, then a tile,
and walks away with a printed ticket; the kiosk speaks every screen and keeps running. Also the
appointment check-in by keypad, and a screen that fails: logged, home, an apology, still running."""
from __future__ import annotations

import pytest
from kivy.uix.scrollview import ScrollView
from sqlalchemy import select

from server.store import tables as t

pytestmark = pytest.mark.kivy

CJK = range(0x4E00, 0xA000)


def has_chinese(text: str) -> bool:
    return any(ord(ch) in CJK for ch in text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_elder_mode_walks_to_a_printed_ticket_speaks_every_screen_and_keeps_running(
        lang, live, kiosk_app, tcp_printer):
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=tcp_printer.url, ticket_screen_s=2.0,
                      public_url="http://192.168.1.10:8080")
    app = kiosk.app
    kiosk.tap(app.screens["home"].elder_button)
    if lang == "en":
        kiosk.tap(app.screens["home"].lang_button)
    kiosk.pump(0.05)
    assert app.elder and app.lang == lang
    home = app.screens["home"]
    assert app.layout.columns(len(app.core.services)) == 2
    kiosk.tap(home.tiles["social"].guide_button)  # the guide is spoken too
    guide = kiosk.wait_screen("guide")
    assert ("Social affairs" if lang == "en" else "社会事务综合") in app.spoken[-1]
    said = [w.text for w in guide.walk() if isinstance(getattr(w, "text", None), str)]
    # in English the guide says its text is the hall's own, in Chinese (and who can explain it)
    assert any("publishes its guides in Chinese" in t for t in said) == (lang == "en")
    # a guide longer than the screen says there is more below, until its end is shown
    kiosk.pump(0.1)
    assert guide.more_label.opacity == 1 and guide.more_label.height > 0
    scroll = next(w for w in guide.walk() if isinstance(w, ScrollView))
    scroll.scroll_y = 0
    kiosk.pump(0.1)
    assert guide.more_label.opacity == 0
    kiosk.tap(guide.take_button)
    ticket = kiosk.wait_screen("ticket")
    number = ticket.outcome.ticket["number"]
    assert ticket.outcome.printed and number == "A001"
    assert ("Please take your ticket, number A 0 0 1" if lang == "en"
                      else "请取走您的号票，您的号码是 A 0 0 1") in app.spoken
    kiosk.pump(until=lambda: tcp_printer.data.count(b"\x1dV") >= 1, what="the ticket cut")
    printed = bytes(tcp_printer.data).decode("gb18030", errors="replace")
    assert number in printed
    if lang == "en":
        assert "1 ahead of you" not in printed and "0 ahead of you" in printed
        assert "Sandu Town Service Centre" in printed and "Served at windows" in printed
        assert not has_chinese(printed), printed  # an English ticket carries no Chinese
    else:
        assert "前面还有 0 人" in printed and "三都镇便民服务中心" in printed and "English" not in printed
    # the kiosk is still there: the ticket screen times out (twice as long in elder mode) to home
    kiosk.wait_screen("home", timeout=15)
    assert app.current == "home" and app.recoveries == 0
    kiosk.tap(app.screens["home"].tiles["agri"])
    again = kiosk.wait_screen("ticket")
    assert again.outcome.ticket["number"] == "B001" and again.outcome.printed
    with live.api.ctx.db.read() as conn:
        assert [r.number for r in conn.execute(select(t.tickets).order_by(t.tickets.c.id))] == ["A001", "B001"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_appointment_checks_in_by_typing_the_id_in_elder_mode(lang, live, kiosk_app, tcp_printer):
    from tests.fixtures.booking import WEDNESDAY, Clock, TUESDAY_0900, book, resident
    clock = Clock(TUESDAY_0900)
    live.api.ctx.clock = clock
    r = book(live.api, who=2)
    assert r.status == 201, r.body
    clock.set(WEDNESDAY, "09:50")  # the booking is for 10:00-10:30
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=tcp_printer.url)
    app = kiosk.app
    app.elder, app.lang = True, lang
    app.screens["home"].rebuild()
    kiosk.pump(until=lambda: app.screens["home"].checkin_button.width > 100, what="home laid out")
    kiosk.pump(0.1)
    kiosk.tap(app.screens["home"].checkin_button)
    checkin = kiosk.wait_screen("checkin")
    assert app.spoken[-1] == ("Please show your booking code or ID card" if lang == "en"
                              else "请出示预约二维码，或刷身份证")
    assert not any(s.startswith(("或", "or ")) for s in kiosk.texts())
    id_number = resident(2)["id_number"]
    kiosk.type_keys(checkin, id_number)
    assert checkin.display_label.text.replace(" ", "") == id_number  # every digit in clear
    kiosk.tap(checkin.ok_button)
    ticket = kiosk.wait_screen("ticket", timeout=30)
    assert ticket.outcome.ticket.get("appointment") and ticket.outcome.printed
    assert ticket.title_label.text.startswith("Checked in" if lang == "en" else "预约签到成功")
    with live.api.ctx.db.read() as conn:
        appt = conn.execute(select(t.appointments)).first()
    assert appt.status == "checked_in"


def test_a_screen_that_fails_is_logged_and_the_kiosk_goes_home_with_an_apology(
        live, kiosk_app, tmp_path, caplog, monkeypatch):
    paper = tmp_path / "paper.bin"
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=f"file://{paper}")
    app = kiosk.app
    from kiosk.screens.ticket import TicketScreen

    def broken(self):
        raise KeyError("number")  # what elder mode used to die of after every ticket
    monkeypatch.setattr(TicketScreen, "build", broken)
    kiosk.tap(app.screens["home"].tiles["social"])
    kiosk.pump(until=lambda: app.recoveries == 1 and app.current == "home", what="recovered")
    kiosk.pump(0.1)
    assert app.screens["home"].toast_label.text == "抱歉，出了点问题，请重新选择"
    assert any("kiosk screen failed" in r.getMessage() for r in caplog.records)
    assert b"A001" in paper.read_bytes()  # the ticket itself was printed before the screen failed
    monkeypatch.undo()
    kiosk.tap(app.screens["home"].tiles["agri"])  # and the kiosk goes on issuing
    assert kiosk.wait_screen("ticket").outcome.ticket["number"] == "B001"
