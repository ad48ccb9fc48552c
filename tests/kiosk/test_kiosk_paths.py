"""The resident's paths through the real kiosk app (offscreen) against a real server."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from server.store import tables as t
from tests.kiosk.conftest import FlakyProxy, TcpPrinter

pytestmark = pytest.mark.kivy

ELDER_ID = "110101194003071230"  # born 1940-03-07 (check digit valid): the elderly group


def tickets(ctx):
    with ctx.db.read() as conn:
        return conn.execute(select(t.tickets).order_by(t.tickets.c.id)).all()


def test_guide_then_identify_by_keypad_gives_an_elderly_ticket_on_the_tcp_printer(
        live, kiosk_app, tcp_printer):
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=tcp_printer.url,
                      identify={"social": "required"})
    kiosk.tap(kiosk.app.screens["home"].tiles["social"].guide_button)  # ⓘ 指南 on the tile
    guide = kiosk.wait_screen("guide")
    assert "所需材料" in kiosk.texts() and any("户口簿" in s for s in kiosk.texts())
    # the matters (事项) of the service, each with its own materials and steps
    assert "城乡居民最低生活保障申请" in kiosk.texts() and any("民主评议" in s for s in kiosk.texts())
    kiosk.screenshot("guide")
    kiosk.tap(guide.take_button)
    ident = kiosk.wait_screen("identify")  # the hall requires the ID for this service
    assert not any(s.startswith("或") for s in kiosk.texts())
    kiosk.type_keys(ident, ELDER_ID[:10])
    assert ident.display_label.text == "110101 1940"  # the digits as typed, to check against the card
    kiosk.type_keys(ident, ELDER_ID[10:-1] + "5")  # wrong check digit: told at once
    assert ident.message_label.text == "身份证号码有误，请核对"
    assert ident.display_label.text == "110101 19400307 1235"
    kiosk.type_keys(ident, ["DEL", "0"])  # the resident corrects the last character
    assert ident.message_label.text == "号码校验通过，请按确定"
    kiosk.screenshot("identify_keypad")
    kiosk.tap(ident.ok_button)
    assert ident.display_label.text == "1101**********1230"  # masked once confirmed
    ticket = kiosk.wait_screen("ticket")
    number = ticket.outcome.ticket["number"]
    assert ticket.outcome.printed
    kiosk.pump(until=lambda: number.encode("gb18030") in tcp_printer.data, what="bytes at printer")
    assert "前面还有".encode("gb18030") in tcp_printer.data
    assert "老年人优先".encode("gb18030") in tcp_printer.data
    assert ELDER_ID.encode() not in tcp_printer.data  # the ID number is never printed
    row = tickets(live.api.ctx)[-1]
    assert row.priority == "elderly" and row.id_masked == "1101**********1230"
    assert ELDER_ID not in " ".join(kiosk.texts())
    assert ticket.priority_label.text == "老年人优先"


def test_a_double_tap_makes_one_ticket(live, kiosk_app, tmp_path):
    paper = tmp_path / "paper.bin"
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=f"file://{paper}",
                      show_guide=False, identify={"agri": "skip"})
    tile = kiosk.app.screens["home"].tiles["agri"]
    from kivy.tests.common import UnitTestTouch
    x, y = tile.to_window(*tile.center)
    for _ in range(2):  # two taps within one frame: the second lands before any screen change
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
    kiosk.wait_screen("ticket")
    kiosk.pump(0.5)
    assert [r.number for r in tickets(live.api.ctx)] == ["B001"]
    assert paper.read_bytes().count(b"\x1dV\x00") == 1  # one ticket cut


def test_a_retry_after_a_timeout_reuses_the_key_so_one_tap_is_one_ticket(live, kiosk_app, tmp_path):
    paper = tmp_path / "paper.bin"
    proxy = FlakyProxy(live.port)
    try:
        kiosk = kiosk_app(proxy.url, live.api.tokens["kiosk"], printer=f"file://{paper}",
                          show_guide=False, identify={"social": "skip"}, request_timeout_s=1.0,
                          retry_every_s=0.3)
        proxy.mode = "swallow"  # the server records the ticket, the answer never arrives
        kiosk.tap(kiosk.app.screens["home"].tiles["social"])
        err = kiosk.wait_screen("error")
        assert err.message_label.text == "暂时无法取号，请稍候或到服务台" and err.retrying
        kiosk.pump(until=lambda: len(tickets(live.api.ctx)) == 1, what="the ticket recorded")
        assert not paper.exists() or paper.read_bytes() == b""  # nothing printed yet
        proxy.mode = "pass"
        ticket = kiosk.wait_screen("ticket", timeout=15)
        assert ticket.outcome.ticket.get("replayed") is True
        assert [r.number for r in tickets(live.api.ctx)] == ["A001"]
        assert paper.read_bytes().count(b"\x1dV\x00") == 1  # printed once
    finally:
        proxy.close()


def test_server_down_shows_the_error_prints_nothing_and_retries_by_itself(
        ctx, server_process, kiosk_app, tmp_path):
    from tests.support import HallClient
    token = HallClient(ctx).add_device("kiosk-1", "kiosk")
    paper = tmp_path / "paper.bin"
    kiosk = kiosk_app(server_process.url, token, printer=f"file://{paper}", show_guide=False,
                      identify={"social": "skip"}, retry_every_s=0.5)
    server_process.stop()
    kiosk.tap(kiosk.app.screens["home"].tiles["social"])
    err = kiosk.wait_screen("error")
    assert err.message_label.text == "暂时无法取号，请稍候或到服务台"
    kiosk.screenshot("error")
    kiosk.pump(1.5)
    assert kiosk.app.current == "error" and (not paper.exists() or paper.stat().st_size == 0)
    server_process.start()
    ticket = kiosk.wait_screen("ticket", timeout=20)
    assert ticket.outcome.printed and b"A001" in paper.read_bytes()
    assert [r.number for r in tickets(ctx)] == ["A001"]


def test_printer_offline_shows_the_ticket_on_screen_and_tells_the_manager(live, kiosk_app):
    from tests.support import free_port
    url = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there: the printer is offline
    boss = live.api.add_staff("boss", [], role="manager")
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=url, show_guide=False,
                      identify={"social": "skip"}, public_url="http://192.168.1.10:8080")
    kiosk.tap(kiosk.app.screens["home"].tiles["social"])
    ticket = kiosk.wait_screen("ticket")
    assert not ticket.outcome.printed and ticket.outcome.fault == "offline"
    assert ticket.title_label.text.startswith("打印机暂时无法出票")
    assert ticket.number_label.text == "A001"
    assert ticket.qr.qr_data.startswith("http://192.168.1.10:8080/t/")  # what phones reach
    kiosk.screenshot("ticket_on_screen")
    from hardware.scanner import decode_image
    shot = kiosk.screenshot("ticket_on_screen_qr")
    assert ticket.qr.qr_data in decode_image(shot)  # the on-screen QR reads back
    kiosk.app.core.wait_idle()

    def open_faults():
        return live.api.get(live.api.hp("/devices/faults?open=1"), boss).body
    kiosk.pump(until=lambda: open_faults(), what="fault reported")
    assert open_faults()[0]["kind"] == "offline"
    # the kiosk's heartbeat (client/heartbeat.py): last-seen on /admin, degraded while the fault is open
    kiosk.app.heartbeat.beat()
    beats = {p["program"]: p for p in live.api.get(live.api.hp("/devices/presence"), boss).body}
    assert beats["kiosk"]["status"] == "degraded" and "offline" in beats["kiosk"]["detail"]

    # the printer comes back: the next ticket prints and the fault clears itself
    printer = TcpPrinter()
    kiosk.app.core.printer.url = printer.url
    kiosk.app.core.printer._factory = lambda: __import__("hardware.printer").printer.open_printer(printer.url)
    kiosk.app.go_home()
    kiosk.wait_screen("home")
    kiosk.tap(kiosk.app.screens["home"].tiles["social"])
    again = kiosk.wait_screen("ticket")
    assert again.outcome.printed
    kiosk.pump(until=lambda: not open_faults(), what="fault cleared")
    printer.close()


def test_a_qr_of_another_hall_or_an_unknown_booking_ends_on_a_clear_screen(live, kiosk_app, tmp_path):
    paper = tmp_path / "paper.bin"
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=f"file://{paper}")
    app = kiosk.app
    app.on_code("http://192.168.9.9:8080/halls/north/book")  # another hall's page
    kiosk.pump(0.1)
    assert app.current == "home"
    assert app.screens["home"].toast_label.text == "这不是本大厅的二维码，请到对应大厅办理"
    app.on_code("KA3 HJ4M")  # a booking code this hall does not know (another hall's, or a typo)
    err = kiosk.wait_screen("error")
    assert err.message_label.text == "未找到这个预约，请核对是否为本大厅今天的预约"
    kiosk.tap(err.home_button)
    kiosk.wait_screen("home")
    assert not paper.exists() or paper.stat().st_size == 0  # nothing printed, nothing issued
    assert tickets(live.api.ctx) == []
