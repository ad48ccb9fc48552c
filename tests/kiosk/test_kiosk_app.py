"""The kiosk app, rendered offscreen, against a real server: taps become tickets on paper."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.kivy


def test_a_tap_on_a_service_tile_issues_a_ticket_and_the_file_printer_gets_its_number(
        live, kiosk_app, tmp_path):
    paper = tmp_path / "printer.bin"
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=f"file://{paper}",
                      show_guide=False, identify={"social": "skip"})
    home = kiosk.app.screens["home"]
    kiosk.screenshot("home")
    kiosk.tap(home.tiles["social"])
    ticket = kiosk.wait_screen("ticket")
    number = ticket.outcome.ticket["number"]
    assert number == "A001" and ticket.outcome.printed
    data = paper.read_bytes()
    assert number.encode("gb18030") in data
    assert "前面还有".encode("gb18030") in data and b"\x1c\x26" in data  # Chinese mode on
    assert "请取走您的号票" in kiosk.texts()
    kiosk.screenshot("ticket")
    r = live.api.get(live.api.hp("/services"))
    assert next(s for s in r.body if s["code"] == "social")["waiting"] == 1
