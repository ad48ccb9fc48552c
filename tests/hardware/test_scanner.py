"""Camera/video scanner (OpenCV + zbar) and keyboard-wedge scanner input."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
import segno

from hardware.scanner import CameraScanner, HidScannerBuffer, RepeatFilter, decode_image, shrink

APPOINTMENT = "HALLQ-APPT-20250318-0042"
TICKET_BARCODE = "A007-5F3C9A"


@pytest.fixture
def qr_png(tmp_path):
    path = tmp_path / "appointment.png"
    segno.make_qr(APPOINTMENT).save(str(path), scale=6, border=4)  # make_qr: no Micro QR
    return path


@pytest.fixture
def code128_png(tmp_path):
    import barcode  # python-barcode: a hard test dependency, never skipped
    from barcode.writer import ImageWriter

    return barcode.get("code128", TICKET_BARCODE, writer=ImageWriter()).save(str(tmp_path / "ticket"))


def _place(canvas: np.ndarray, img: np.ndarray, x: int, y: int) -> None:
    h, w = img.shape[:2]
    canvas[y : y + h, x : x + w] = img


def make_video(path, segments, size=(640, 480), fps=20) -> str:
    """Write an MJPG .avi: segments = [(n_frames, image or None), ...]."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write MJPG .avi"
    rng = np.random.default_rng(1)
    for n, img in segments:
        for _ in range(n):
            frame = np.full((size[1], size[0], 3), 200, np.uint8)
            frame += rng.integers(0, 20, frame.shape, dtype=np.uint8)  # sensor noise
            if img is not None:
                bgr = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img
                h, w = bgr.shape[:2]
                _place(frame, bgr, (size[0] - w) // 2, (size[1] - h) // 2)
            writer.write(frame)
    writer.release()
    return str(path)


def test_decode_image_reads_qr_and_code128(qr_png, code128_png):
    assert decode_image(qr_png) == [APPOINTMENT]
    assert decode_image(code128_png) == [TICKET_BARCODE]
    assert decode_image(cv2.imread(str(qr_png))) == [APPOINTMENT]
    assert decode_image(np.full((240, 320), 255, np.uint8)) == []


def test_decode_image_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError):
        decode_image(tmp_path / "missing.png")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    with pytest.raises(ValueError):
        decode_image(junk)


def test_other_symbologies_are_ignored(tmp_path):
    import barcode
    from barcode.writer import ImageWriter

    ean = barcode.get("ean13", "690123456789", writer=ImageWriter()).save(str(tmp_path / "ean"))
    assert decode_image(ean) == []


def test_shrink_keeps_aspect_and_never_enlarges():
    assert shrink(np.zeros((480, 640, 3), np.uint8), (320, 240)).shape == (240, 320, 3)
    assert shrink(np.zeros((720, 1280), np.uint8), (320, 240)).shape == (180, 320)
    assert shrink(np.zeros((100, 100), np.uint8), (320, 240)).shape == (100, 100)


def test_video_with_a_qr_in_some_frames_reports_it_exactly_once(tmp_path, qr_png):
    qr = cv2.imread(str(qr_png), cv2.IMREAD_GRAYSCALE)
    video = make_video(tmp_path / "kiosk.avi", [(8, None), (15, qr), (8, None)])
    seen: list[str] = []
    ended = threading.Event()
    scanner = CameraScanner(video, seen.append, size=(320, 240), repeat_window=5, on_end=ended.set)
    scanner.start()
    assert ended.wait(10), "scanner did not stop at the end of the video"
    scanner.join(2)
    assert not scanner.running
    assert scanner.frames_read == 31
    assert seen == [APPOINTMENT]


def test_video_with_qr_then_code128_reports_each_once(tmp_path, qr_png, code128_png):
    qr = cv2.imread(str(qr_png), cv2.IMREAD_GRAYSCALE)
    bar = cv2.imread(str(code128_png), cv2.IMREAD_GRAYSCALE)
    video = make_video(tmp_path / "two.avi", [(5, qr), (3, None), (5, bar), (5, qr)])
    seen: list[str] = []
    with CameraScanner(video, seen.append, size=(640, 480), repeat_window=60) as scanner:
        scanner.join(10)
    assert seen == [APPOINTMENT, TICKET_BARCODE]


def test_looping_video_keeps_running_until_stop(tmp_path, qr_png):
    qr = cv2.imread(str(qr_png), cv2.IMREAD_GRAYSCALE)
    video = make_video(tmp_path / "loop.avi", [(3, qr), (3, None)])
    seen: list[str] = []
    scanner = CameraScanner(video, seen.append, loop=True, repeat_window=60, max_fps=200)
    scanner.start()
    deadline = time.monotonic() + 5
    while scanner.frames_read < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert scanner.running and scanner.frames_read >= 20
    scanner.stop()
    assert not scanner.running
    assert seen == [APPOINTMENT]


def test_missing_video_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        CameraScanner(tmp_path / "none.avi", print).start()


def test_a_failing_callback_does_not_stop_scanning(tmp_path, qr_png, code128_png):
    qr = cv2.imread(str(qr_png), cv2.IMREAD_GRAYSCALE)
    bar = cv2.imread(str(code128_png), cv2.IMREAD_GRAYSCALE)
    video = make_video(tmp_path / "bad.avi", [(2, qr), (2, bar)])
    seen: list[str] = []

    def handler(code: str) -> None:
        seen.append(code)
        raise RuntimeError("kiosk bug")

    with CameraScanner(video, handler, size=(640, 480)) as scanner:
        scanner.join(10)
    assert seen == [APPOINTMENT, TICKET_BARCODE]


def test_repeat_filter_collapses_a_held_code_and_accepts_it_after_a_quiet_window():
    now = [0.0]
    f = RepeatFilter(3.0, clock=lambda: now[0])
    assert f.accept("X")
    for t in (0.5, 1.0, 2.0, 4.0, 6.5):  # seen continuously: never again
        now[0] = t
        assert not f.accept("X")
    assert f.accept("Y")
    now[0] = 10.0  # away for 3.5 s, shown again
    assert f.accept("X")


def test_hid_scanner_burst_is_a_code_and_slow_typing_is_not():
    buf = HidScannerBuffer(max_gap=0.03, min_length=4)
    assert buf.feed_text("A007-5F3C9A\r", t0=10.0, gap=0.004) == ["A007-5F3C9A"]
    assert buf.feed_text("1234\r", t0=20.0, gap=0.15) == []
    assert buf.last_typed == "1234"
    assert buf.feed_text("ab\r", t0=30.0, gap=0.002) == []  # too short to be a code
    # a person typed two keys, then the scanner fired: only the burst is the code
    codes = buf.feed_text("xy", t0=40.0, gap=0.3) + buf.feed_text("HALLQ-42\n", t0=41.0, gap=0.005)
    assert codes == ["HALLQ-42"] and buf.last_typed == "xy"


def test_hid_scanner_enter_after_a_pause_is_not_a_scan():
    buf = HidScannerBuffer(max_gap=0.03)
    for i, ch in enumerate("A007-5F3C9A"):
        assert buf.feed(ch, 1.0 + i * 0.005) is None
    assert buf.feed("\r", 2.0) is None  # Enter pressed by hand a second later
