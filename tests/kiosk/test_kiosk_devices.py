"""The kiosk with its camera (a video file), its ID-card reader (simulator on a socat pty pair),
elder mode, the English switch and the hidden admin screen."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.store import tables as t
from tests.kiosk.conftest import make_qr_video

pytestmark = pytest.mark.kivy

ELDER_ID = "110101194003071230"


def test_a_video_with_a_booking_qr_checks_the_appointment_in(live, kiosk_app, tcp_printer, tmp_path):
    from tests.fixtures.booking import WEDNESDAY, Clock, TUESDAY_0900, book
    clock = Clock(TUESDAY_0900)
    live.api.ctx.clock = clock
    r = book(live.api, who=1)
    assert r.status == 201, r.body
    clock.set(WEDNESDAY, "09:50")  # the booking is for 10:00-10:30
    video = make_qr_video(tmp_path / "camera.avi", r.body["code"])
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=tcp_printer.url, camera=str(video))
    ticket = kiosk.wait_screen("ticket", timeout=20)
    assert ticket.outcome.ticket.get("appointment")
    number = ticket.outcome.ticket["number"]
    kiosk.pump(until=lambda: number.encode("gb18030") in tcp_printer.data, what="bytes at printer")
    with live.api.ctx.db.read() as conn:
        appt = conn.execute(select(t.appointments)).first()
        row = conn.execute(select(t.tickets).where(t.tickets.c.id == appt.ticket_id)).first()
    assert appt.status == "checked_in" and row.number == number and row.source == "appointment"
    assert "预约签到成功" in ticket.title_label.text


def test_an_id_card_on_home_identifies_the_next_ticket_and_a_second_read_prints_nothing_more(
        live, kiosk_app, pty_pair, tmp_path):
    from hardware.idcard_sim import IdCardSimulator, sample_card
    paper = tmp_path / "paper.bin"
    with IdCardSimulator(pty_pair.a, None) as sim:
        kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=f"file://{paper}",
                          idreader=pty_pair.b)
        sim.insert(sample_card(id_number=ELDER_ID))  # no booking today: kept for the next ticket
        home = kiosk.app.screens["home"]
        kiosk.pump(until=lambda: kiosk.app.pending_id is not None, timeout=15, what="card read")
        kiosk.pump(0.1)
        assert home.toast_label.text == "已识别身份证 1101**********1230，老年人优先，请选择业务"
        kiosk.tap(kiosk.app.screens["home"].tiles["land"])  # one tap: the ID goes with it
        ticket = kiosk.wait_screen("ticket", timeout=15)
        assert ticket.outcome.printed and b"C001" in paper.read_bytes()
        size = paper.stat().st_size
        sim.remove()  # lifted and laid down again at once: read twice
        kiosk.pump(0.8)
        sim.insert(sample_card(id_number=ELDER_ID))
        kiosk.pump(2.0)
        assert kiosk.app.current == "ticket" and paper.stat().st_size == size
    assert ELDER_ID.encode() not in paper.read_bytes()
    with live.api.ctx.db.read() as conn:
        rows = conn.execute(select(t.tickets)).all()
    assert len(rows) == 1 and rows[0].priority == "elderly" and rows[0].id_masked == "1101**********1230"
    assert ELDER_ID not in " ".join(kiosk.texts())


def test_elder_mode_english_and_closed_services(live, kiosk_app):
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"])
    home = kiosk.app.screens["home"]
    kiosk.tap(home.elder_button)
    kiosk.pump(0.1)
    assert kiosk.app.elder and kiosk.app.spoken[-1] == "请选择您要办理的业务"
    tile = kiosk.app.screens["home"].tiles["social"]
    assert tile.name_label.font_size >= 1.25 * kiosk.app.layout.px(40) / 1.3  # larger type
    kiosk.screenshot("home_elder")
    kiosk.tap(kiosk.app.screens["home"].lang_button)
    kiosk.pump(0.1)
    assert "Social affairs" in kiosk.texts() and kiosk.app.spoken[-1] == "Please choose a service"
    kiosk.screenshot("home_elder_en")
    # a closed service is greyed with its hours and a tap does nothing
    svc = kiosk.app.core.service("social")
    svc["open"] = False
    kiosk.app.screens["home"].rebuild()
    kiosk.pump(0.1)
    assert kiosk.app.screens["home"].tiles["social"].wait_label.text.startswith("Closed · Hours ")
    kiosk.tap(kiosk.app.screens["home"].tiles["social"])
    kiosk.pump(0.1)
    assert kiosk.app.current == "home"


def test_the_hidden_admin_screen_needs_a_long_press_and_the_pin_and_prints_a_test_page(
        live, kiosk_app, tcp_printer):
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=tcp_printer.url)
    kiosk.tap_at(20, 780)  # a short tap in the corner does nothing
    assert kiosk.app.current == "home"
    kiosk.tap_at(20, 780, hold=3.3)
    admin = kiosk.wait_screen("admin")
    kiosk.type_keys(admin, "1111")
    kiosk.tap(admin.pin_ok)
    assert not admin.unlocked and admin.status_label.text == "密码错误"
    kiosk.type_keys(admin, "2468")
    kiosk.tap(admin.pin_ok)
    assert admin.unlocked
    kiosk.pump(0.05)
    assert admin.server_input.text == live.url
    kiosk.screenshot("admin")
    kiosk.tap(admin.test_printer_button)
    kiosk.pump(until=lambda: "打印测试".encode("gb18030") in tcp_printer.data, what="test page")
    kiosk.tap(admin.test_scanner_button)
    kiosk.app.on_code("HALLQ-TEST-128")
    assert "HALLQ-TEST-128" in admin.status_label.text
