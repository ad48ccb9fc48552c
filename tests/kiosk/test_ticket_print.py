"""The ticket a resident takes away, read back from the bytes a real TCP printer received: hall,
service, number (large by GS ! and FS !, which Chinese-mode printers obey), the priority mark,
people ahead, the estimate, the windows, the 过号 rule, the issue time and the QR, in one language.
The kiosk core runs without a screen against a real server."""
from __future__ import annotations

import re
import time

import pytest

from kiosk.client import KioskClient
from kiosk.config import KioskConfig
from kiosk.core import KioskCore
from tests.kiosk.conftest import TcpPrinter

ELDER_ID = "110101194003071230"


def received(printer: TcpPrinter, timeout: float = 10.0) -> bytes:
    """The job's bytes once its cut (GS V) has arrived."""
    deadline = time.monotonic() + timeout
    while b"\x1dV" not in printer.data:
        assert time.monotonic() < deadline, "no ticket at the printer"
        time.sleep(0.02)
    return bytes(printer.data)


def decode_escpos(data: bytes) -> tuple[list[dict], list[str]]:
    """Lines of text with the print state they were printed in, and the QR codes' data."""
    state = {"gs_size": 0, "fs_mode": 0, "bold": 0, "inverse": 0, "align": 0, "chinese": False}
    lines, qrs, buf, i = [], [], bytearray(), 0
    while i < len(data):
        b = data[i]
        two = data[i:i + 2]
        if two == b"\x1b@":
            state.update(gs_size=0, fs_mode=0, bold=0, inverse=0, align=0); i += 2
        elif two == b"\x1c&":
            state["chinese"] = True; i += 2
        elif two == b"\x1c.":
            state["chinese"] = False; i += 2
        elif two == b"\x1d!":
            state["gs_size"] = data[i + 2]; i += 3
        elif two == b"\x1c!":
            state["fs_mode"] = data[i + 2]; i += 3
        elif two == b"\x1bE":
            state["bold"] = data[i + 2]; i += 3
        elif two == b"\x1ba":
            state["align"] = data[i + 2]; i += 3
        elif two == b"\x1dB":
            state["inverse"] = data[i + 2]; i += 3
        elif two == b"\x1b!":
            i += 3  # ESC ! (print mode): not relied on for size
        elif two == b"\x1d(" and data[i + 2:i + 3] == b"k":
            n = data[i + 3] + 256 * data[i + 4]
            body = data[i + 5:i + 5 + n]
            if body[:2] == b"\x31\x50":  # store the QR data
                qrs.append(body[3:].decode("ascii"))
            i += 5 + n
        elif two == b"\x1dV":
            i += 3
        elif two == b"\x1bd":
            i += 3  # ESC d n: feed n lines
        elif b == 0x0A:
            lines.append({"text": buf.decode("gb18030"), **state}); buf = bytearray(); i += 1
        elif b < 0x20:
            raise AssertionError(f"unknown command at {i}: {data[i:i + 4]!r}")
        else:
            buf.append(b); i += 1
    return [ln for ln in lines if ln["text"]], qrs


@pytest.fixture
def kiosk_core(live):
    printer = TcpPrinter()
    made = []

    def make(**over):
        from kiosk.devices import make_printer
        cfg = KioskConfig(server=live.url, device_token=live.api.tokens["kiosk"], printer=printer.url,
                          public_url="http://192.168.1.10:8080", **over)
        core = KioskCore(cfg, KioskClient(cfg.server, cfg.hall, cfg.device_token), make_printer(cfg))
        assert core.refresh()
        made.append(core)
        return core, printer
    yield make
    printer.close()


def test_a_chinese_ticket_carries_every_field_large_where_it_matters(live, kiosk_core):
    core, printer = kiosk_core()
    core.take_ticket("social")  # someone already waiting
    received(printer)
    printer.reset()
    out = core.take_ticket("social", ELDER_ID, lang="zh")
    assert out.printed
    lines, qrs = decode_escpos(received(printer))
    by_text = {ln["text"].strip(): ln for ln in lines}
    texts = list(by_text)
    number = out.ticket["number"]
    assert texts[:3] == ["三都镇便民服务中心", "社会事务综合", number]
    big = by_text[number]
    assert big["gs_size"] == 0x33 and big["fs_mode"] == 0x0C and big["chinese"]  # 4x, and 2x2 Chinese mode
    hall = by_text["三都镇便民服务中心"]
    assert hall["gs_size"] == 0x11 and hall["fs_mode"] == 0x0C  # the title too, not by ESC ! alone
    mark = by_text["老年人优先"]
    assert mark["inverse"] == 1 and mark["gs_size"] == 0x11 and mark["fs_mode"] == 0x0C
    # the elderly resident goes before the ordinary ticket already waiting (the hall's rule)
    assert "前面还有 0 人" in texts and by_text["前面还有 0 人"]["gs_size"] == 0x01
    assert any(t == "即将叫号" or re.fullmatch(r"预计等候约 \d+ 分钟", t) for t in texts)
    assert "约 0 分钟" not in " ".join(texts)
    assert "请到 1、2、3、11 号窗口办理" in texts
    assert "叫号后未到视为过号，过号请到服务台登记或重新取号" in texts
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", t) for t in texts)  # issue time
    assert qrs == [f"http://192.168.1.10:8080/t/{out.ticket['token']}"]
    assert "手机扫码查看排队进度" in texts, " | ".join(texts)
    assert not any(ch.isascii() and ch.isalpha() for t in texts for ch in t
                   if t not in (number,) and not t.startswith("http")), texts  # no English line
    assert not any(t in ("。", "") for t in texts) and not any(t.endswith("。。") for t in texts)
    assert ELDER_ID not in " ".join(texts)


def test_an_english_ticket_has_no_chinese_and_no_qr_without_a_public_url(live, kiosk_core):
    core, printer = kiosk_core()
    core.cfg.public_url = ""  # the shipped hall sets none: no QR phones could not open
    out = core.take_ticket("agri", lang="en")
    lines, qrs = decode_escpos(received(printer))
    texts = [ln["text"].strip() for ln in lines]
    assert texts[:3] == ["Sandu Town Service Centre", "Agriculture", out.ticket["number"]]
    assert "0 ahead of you" in texts and "Served at windows 4, 5 or 6" in texts
    assert "Missed your call? Ask at the service desk or take a new ticket" in texts
    assert qrs == [] and out.qr_url is None
    assert not any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t), texts


def test_rendered_ticket_image_for_the_docs(tmp_path):
    """The image layout of the same fields (print_mode = "image"), saved for docs/kiosk.md."""
    from hardware.printer import TicketPrinter, sample_ticket
    from hardware.scanner import decode_image
    img = TicketPrinter("dummy://", mode="image").render_image(sample_ticket())
    path = tmp_path / "ticket.png"
    img.convert("L").save(path)
    assert decode_image(path) == [sample_ticket().qr_url]
    assert img.width == 576 and img.height > 700
