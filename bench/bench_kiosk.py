"""Kiosk benchmarks: tap-to-bytes-at-printer latency and QR decode time per camera frame.

    .venv/bin/python bench/bench_kiosk.py [--taps 30] [--frames 200]

Tap to bytes: the real Kivy app (offscreen, Mesa) against a real server (waitress in this
process, fresh SQLite), printer on a real TCP socket; clock from the touch-up on a service tile
(one tap = one ticket with the shipped hall config) to the first ticket byte at the printer.
QR decode: hardware.scanner's CameraScanner.process() on 640x480 frames (a booking QR) scaled
to 320x240, QR + Code128 only.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="hallq-kivy-"))
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("HALLQ_SECRET", "bench-secret")
os.environ.setdefault("HALLQ_LOG", "WARNING")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def row(name, values, unit="ms"):
    return (f"| {name} | {len(values)} | {pct(values, 50):.1f} | {pct(values, 99):.1f} | "
            f"{statistics.mean(values):.1f} | {unit} |")


issue_ms: list[float] = []  # of each tap: the POST /tickets round trip alone


def bench_taps(n: int) -> list[float]:
    from kivy.base import EventLoop
    from kivy.config import Config
    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
    for name, _ in Config.items("input"):
        Config.remove_option("input", name)
    from kivy.core.window import Window  # noqa: F401
    from kivy.tests.common import UnitTestTouch

    from kiosk.app import KioskApp
    from kiosk.config import KioskConfig
    from server.api import create_app
    from server.services.halls import ensure_db
    from server.services import auth
    from server.services.bus import EventBus
    from server.services.context import create_hallq
    from tests.kiosk.conftest import TcpPrinter
    from tests.support import LiveServer

    tmp = Path(tempfile.mkdtemp(prefix="hallq-bench-"))
    os.environ["HALLQ_VAR"] = str(tmp)
    ctx = create_hallq(f"sqlite:///{tmp / 'hallq.db'}", start_bus=False, always_open=True)
    ensure_db(ctx)
    ctx.bus = EventBus(ctx.db, poll_s=0.2).start()
    live = LiveServer(create_app(ctx)).start()
    token = auth.add_device(ctx, "main", "kiosk-bench", "kiosk")
    printer = TcpPrinter()
    # the shipped hall config: these services take the ID optionally, so a tile is one tap
    cfg = KioskConfig(server=live.url, device_token=token, printer=printer.url,
                      public_url="http://192.168.1.10:8080", speech=False, idle_timeout_s=600)
    app = KioskApp(cfg)
    app._run_prepare()

    def pump(until, timeout=15):
        end = time.monotonic() + timeout
        while not until():
            EventLoop.idle()
            if time.monotonic() > end:
                raise TimeoutError
    pump(lambda: app.core.services)
    out = []
    services = ["social", "agri", "land", "market"]
    issue_ms.clear()
    for i in range(n + 2):
        pump(lambda: app.current == "home" and not app.busy)
        for _ in range(3):
            EventLoop.idle()
        tile = app.screens["home"].tiles[services[i % 4]]
        printer.reset()
        x, y = tile.to_window(*tile.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        t0 = time.perf_counter()
        touch.touch_up()
        pump(lambda: printer.first_byte_at is not None)
        pump(lambda: app.current == "ticket")
        if i >= 2:  # two warm-up taps (first imports, first textures)
            out.append((printer.first_byte_at - t0) * 1000)
            issue_ms.append(app.last_outcome.timings.get("issue_s", 0) * 1000)
        app.go_home()
    app.dispatch("on_stop")
    live.stop()
    printer.close()
    return out


def bench_decode(frames: int) -> tuple[list[float], int]:
    import cv2
    import numpy as np
    import segno

    from hardware.scanner import CameraScanner
    tmp = Path(tempfile.mkdtemp(prefix="hallq-bench-qr-"))
    png = tmp / "qr.png"
    segno.make_qr("7H3KQ2M9.261125.Zx8f0aQpLr2mWc", error="m").save(str(png), scale=6, border=4)
    qr = cv2.imread(str(png))
    frame = np.full((480, 640, 3), 190, np.uint8)
    y, x = (480 - qr.shape[0]) // 2, (640 - qr.shape[1]) // 2
    frame[y:y + qr.shape[0], x:x + qr.shape[1]] = qr
    rng = np.random.default_rng(1)
    seen = []
    scanner = CameraScanner(str(png), seen.append, size=(320, 240), repeat_window=0.0)
    times = []
    hits = 0
    for _ in range(frames):
        noisy = cv2.add(frame, rng.integers(0, 20, frame.shape, dtype=np.uint8))
        t0 = time.perf_counter()
        codes = scanner.process(noisy)
        times.append((time.perf_counter() - t0) * 1000)
        hits += bool(codes)
    return times, hits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--taps", type=int, default=30)
    ap.add_argument("--frames", type=int, default=200)
    args = ap.parse_args()
    decode, hits = bench_decode(args.frames)
    taps = bench_taps(args.taps)
    print(f"\nkiosk bench ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})\n")
    print("| measure | n | p50 | p99 | mean | unit |")
    print("|---|---|---|---|---|---|")
    print(row("tap on tile -> first ticket byte at tcp printer", taps))
    print(row("  of which POST /tickets (server round trip)", issue_ms))
    print(row(f"QR decode per 640x480 frame (scaled to 320x240), {hits}/{len(decode)} read", decode))


if __name__ == "__main__":
    main()
