"""Ticket printer: bytes on a file, on a real TCP socket, and printer status answers."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace

import pytest

from tests.support import TcpPrinter
import serial
from escpos import printer as escpos_printer

from hardware.printer import (
    FS_CHINESE_ON,
    PrinterConfigError,
    PrinterFault,
    PrinterStatus,
    TicketPrinter,
    decode_status,
    open_printer,
    sample_ticket,
)

DLE_EOT_ONLINE = b"\x10\x04\x01"
DLE_EOT_OFFLINE_CAUSE = b"\x10\x04\x02"
DLE_EOT_PAPER = b"\x10\x04\x04"
RASTER = b"\x1dv0"  # GS v 0: raster bit image



@pytest.fixture
def tcp_printer():
    made: list[TcpPrinter] = []

    def make(answers=None) -> TcpPrinter:
        p = TcpPrinter(answers)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now: connecting is refused
    return port


def test_text_ticket_on_a_file_printer_is_gb18030_after_fs_and(tmp_path):
    path = tmp_path / "lp0"
    tp = TicketPrinter(f"file://{path}")
    assert tp.print_ticket(sample_ticket()) is PrinterStatus.UNKNOWN  # a file cannot answer
    data = path.read_bytes()
    assert FS_CHINESE_ON in data
    assert data.index(FS_CHINESE_ON) < data.index("三都镇便民服务中心".encode("gb18030"))
    assert b"A007" in data
    assert "前面还有 3 人".encode("gb18030") in data
    assert "请留意叫号".encode("utf-8") not in data  # never UTF-8 on the paper
    assert b"\x1d(k" in data  # native QR (GS ( k)
    assert b"http://hall.local:8080/t/5f3c9a" in data
    assert b"\x1dV" in data  # cut
    # a second ticket is appended, not written over the first
    tp.print_ticket(replace(sample_ticket(), number="A008"))
    both = path.read_bytes()
    assert both.startswith(data) and b"A008" in both[len(data):]


def test_number_is_printed_at_large_size():
    data = TicketPrinter("dummy://").render(sample_ticket())
    big = data.rindex(b"\x1d!", 0, data.index(b"A007"))  # GS ! n: character size before it
    assert data[big + 2] == 0x33


def test_image_ticket_is_a_raster_image_at_the_paper_width():
    tp = TicketPrinter("dummy://", mode="image", paper_mm=80)
    data = tp.render(sample_ticket())
    i = data.index(RASTER)
    width_bytes = data[i + 4] | data[i + 5] << 8
    assert width_bytes == 576 // 8
    assert "A007".encode() not in data  # everything is pixels
    img = tp.render_image(sample_ticket())
    assert img.width == 576 and img.mode == "1" and img.height > 400
    narrow = TicketPrinter("dummy://", mode="image", paper_mm=58).render_image(sample_ticket())
    assert narrow.width == 384


def test_image_ticket_lines_never_start_with_a_full_width_mark():
    tp = TicketPrinter("dummy://", mode="image", paper_mm=58)
    font = tp._font(22)
    text = "叫号后未到视为过号，过号请到服务台登记或重新取号。材料补齐后，请携带本单到窗口办理。" * 2
    for width in range(180, 360, 7):  # every place a line can break
        lines = tp._wrap(text, font, width)
        assert "".join(lines) == text
        assert not any(line[0] in "，。" for line in lines), (width, lines)
        assert all(font.getlength(line) <= width + font.getlength("，") for line in lines)


def test_image_ticket_qr_can_be_read_back():
    from hardware.scanner import decode_image
    import numpy as np

    img = TicketPrinter("dummy://", mode="image").render_image(sample_ticket()).convert("L")
    assert "http://hall.local:8080/t/5f3c9a" in decode_image(np.array(img))


def test_image_wider_than_the_printer_profile_is_a_config_error():
    with pytest.raises(PrinterConfigError, match="exceeds"):
        TicketPrinter("dummy://", mode="image", paper_mm=80, profile="TM-T88V")  # 512 px paper
    TicketPrinter("dummy://", mode="image", paper_width_px=512, profile="TM-T88V")


def test_dummy_printer_keeps_what_it_printed():
    tp = TicketPrinter("dummy://")
    tp.print_ticket(sample_ticket())
    tp.print_test_page()
    assert b"A007" in tp.output and "打印测试".encode("gb18030") in tp.output


def test_tcp_printer_receives_the_ticket_over_a_real_socket(tcp_printer):
    fake = tcp_printer()
    tp = TicketPrinter(f"tcp://127.0.0.1:{fake.port}", status_timeout=1)
    assert tp.print_ticket(sample_ticket()) is PrinterStatus.OK
    tp_bytes = TicketPrinter("dummy://").render(sample_ticket())
    threading.Event().wait(0.1)
    got = bytes(fake.received)
    assert got.startswith(DLE_EOT_ONLINE) and DLE_EOT_PAPER in got
    assert got.endswith(tp_bytes)


def test_tcp_printer_that_refuses_connection_is_offline():
    tp = TicketPrinter(f"tcp://127.0.0.1:{closed_port()}", connect_timeout=1)
    with pytest.raises(PrinterFault) as err:
        tp.print_ticket(sample_ticket())
    assert err.value.status is PrinterStatus.OFFLINE
    assert tp.status() is PrinterStatus.OFFLINE


def test_paper_out_answer_to_dle_eot_raises_paper_out_and_prints_nothing(tcp_printer):
    fake = tcp_printer({DLE_EOT_ONLINE: b"\x12", DLE_EOT_PAPER: b"\x72"})
    tp = TicketPrinter(f"tcp://127.0.0.1:{fake.port}", status_timeout=1)
    with pytest.raises(PrinterFault) as err:
        tp.print_ticket(sample_ticket())
    assert err.value.status is PrinterStatus.PAPER_OUT
    assert "纸" in err.value.status.message
    threading.Event().wait(0.1)
    assert b"A007" not in fake.received


def test_cover_open_and_paper_low_answers(tcp_printer):
    cover = tcp_printer({DLE_EOT_ONLINE: b"\x1e", DLE_EOT_OFFLINE_CAUSE: b"\x16", DLE_EOT_PAPER: b"\x12"})
    assert TicketPrinter(f"tcp://127.0.0.1:{cover.port}").status() is PrinterStatus.COVER_OPEN
    low = tcp_printer({DLE_EOT_ONLINE: b"\x12", DLE_EOT_PAPER: b"\x1e"})
    tp = TicketPrinter(f"tcp://127.0.0.1:{low.port}")
    assert tp.print_ticket(sample_ticket()) is PrinterStatus.PAPER_LOW  # still prints


def test_a_printer_that_never_answers_status_still_prints(tcp_printer):
    silent = tcp_printer({})
    tp = TicketPrinter(f"tcp://127.0.0.1:{silent.port}", status_timeout=0.2)
    assert tp.print_ticket(sample_ticket()) is PrinterStatus.UNKNOWN
    threading.Event().wait(0.1)
    assert b"A007" in silent.received


@pytest.mark.parametrize(
    "online, paper, cause, expected",
    [
        (b"\x12", b"\x12", b"", PrinterStatus.OK),
        (b"\x16", b"\x12", b"", PrinterStatus.OK),
        (b"\x12", b"\x72", b"", PrinterStatus.PAPER_OUT),
        (b"\x12", b"\x1e", b"", PrinterStatus.PAPER_LOW),
        (b"\x1e", b"\x12", b"\x12", PrinterStatus.OFFLINE),
        (b"\x1e", b"\x12", b"\x16", PrinterStatus.COVER_OPEN),
        (b"", b"", b"", PrinterStatus.UNKNOWN),
    ],
)
def test_decode_status(online, paper, cause, expected):
    assert decode_status(online, paper, cause) is expected


@pytest.mark.serial
def test_serial_printer_on_a_pty_answers_status_and_receives_the_ticket(pty_pair):
    device = serial.Serial(pty_pair.b, timeout=0.05)
    received = bytearray()
    stop = threading.Event()

    def printer_firmware() -> None:
        while not stop.is_set():
            data = device.read(4096)
            received.extend(data)
            for query, answer in ((DLE_EOT_ONLINE, b"\x12"), (DLE_EOT_PAPER, b"\x72")):
                if query in data:
                    device.write(answer)

    t = threading.Thread(target=printer_firmware, daemon=True)
    t.start()
    try:
        tp = TicketPrinter(f"serial://{pty_pair.a}?baudrate=19200&timeout=0.5")
        with pytest.raises(PrinterFault) as err:
            tp.print_ticket(sample_ticket())
        assert err.value.status is PrinterStatus.PAPER_OUT
        assert DLE_EOT_PAPER in received
    finally:
        stop.set()
        t.join(2)
        device.close()


@pytest.mark.serial
def test_a_serial_line_failing_as_the_ticket_is_flushed_does_not_escape_the_printer(pty_pair, monkeypatch):
    """Closing a serial printer flushes the port; pyserial lets termios.error (EIO: the line went
    away) through there, which is not an OSError. The kiosk hears of a printer problem only as a
    PrinterFault: a ticket already written is printed, the failed close is logged."""
    termios = pytest.importorskip("termios")
    device = serial.Serial(pty_pair.b, timeout=0.05)
    received = bytearray()
    stop = threading.Event()

    def printer_firmware() -> None:  # online, paper present
        while not stop.is_set():
            data = device.read(4096)
            received.extend(data)
            for query in (DLE_EOT_ONLINE, DLE_EOT_PAPER):
                if query in data:
                    device.write(b"\x12")

    def eio(self):
        raise termios.error(5, "Input/output error")

    t = threading.Thread(target=printer_firmware, daemon=True)
    t.start()
    try:
        tp = TicketPrinter(f"serial://{pty_pair.a}?baudrate=19200&timeout=0.5")
        monkeypatch.setattr(serial.Serial, "flush", eio)
        assert tp.print_ticket(sample_ticket()).can_print
        deadline = time.monotonic() + 3
        while b"A007" not in received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert b"A007" in received
    finally:
        stop.set()
        t.join(2)
        device.close()


def test_open_printer_maps_urls_to_transports(tmp_path):
    assert isinstance(open_printer("dummy://"), escpos_printer.Dummy)
    f = open_printer(f"file://{tmp_path}/lp0")
    assert isinstance(f, escpos_printer.File) and f.devfile == f"{tmp_path}/lp0"
    n = open_printer("tcp://192.168.1.50")
    assert isinstance(n, escpos_printer.Network) and (n.host, n.port) == ("192.168.1.50", 9100)
    assert open_printer("tcp://printer.local:9101").port == 9101
    s = open_printer("serial:///dev/ttyS0?baudrate=19200")
    assert isinstance(s, escpos_printer.Serial) and (s.devfile, s.baudrate) == ("/dev/ttyS0", 19200)
    for bad in ("lpt://1", "tcp://", "usb://zz", "file://"):
        with pytest.raises(PrinterConfigError):
            open_printer(bad)
    with pytest.raises(PrinterConfigError):
        TicketPrinter("dummy://", mode="fancy")


def test_a_usb_printer_that_is_not_plugged_in_is_offline_not_a_crash():
    """The most common kiosk printer is on USB (pyusb + libusb are installed with hallq): a URL
    naming a printer that is not there reads as offline, so the kiosk shows the ticket on screen."""
    tp = TicketPrinter("usb://0416:5011")  # no such device on a test machine
    assert tp.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterFault) as caught:
        tp.print_ticket(sample_ticket())
    assert caught.value.status is PrinterStatus.OFFLINE


def test_cups_urls_explain_a_missing_library():
    for url in ("cups://TM-T20",):
        try:
            p = open_printer(url)
        except PrinterConfigError as exc:
            assert "pip install" in str(exc)
        else:
            assert p is not None
