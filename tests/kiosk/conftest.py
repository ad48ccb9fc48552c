"""The real Kivy kiosk app, rendered offscreen through Mesa (SDL_VIDEODRIVER=offscreen: no X
server needed), in the test process, against a real server; real printers over a file and a TCP
socket; the ID-card reader simulator over a socat pty pair; a video file for the camera.

Kivy has one window per process, so the window is created once per session and each test gets
a fresh KioskApp on it. The test drives the app like a hand on the screen: `kiosk.tap(widget)`
sends a real touch down/up at the widget's centre through Kivy's event loop, and
`kiosk.pump(until=...)` runs the event loop until something shows.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support import ROOT, PtyPair, TcpPrinter, need, need_binary  # noqa: F401

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")

WIDTH, HEIGHT = 1280, 800
SHOTS = Path(os.environ.get("HALLQ_SHOTS", "/tmp/shots"))

_PROBE = """
import os, sys
os.environ['KIVY_NO_ARGS'] = '1'
from kivy.core.window import Window
from kivy.graphics.opengl import glGetString, GL_RENDERER
print('renderer', glGetString(GL_RENDERER))
"""


@pytest.fixture(scope="session")
def kivy_window():
    """Kivy's window, offscreen. Probed in a child first: a broken GL stack fails there, not here."""
    probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60,
                           env={**os.environ})
    need("Kivy offscreen window (Mesa: libgl1-mesa-dri libegl-mesa0 libegl1 libgl1)",
         probe.returncode == 0 and "renderer" in probe.stdout,
         (probe.stderr or probe.stdout)[-400:])
    from kivy.config import Config
    Config.set("graphics", "width", str(WIDTH))
    Config.set("graphics", "height", str(HEIGHT))
    Config.set("kivy", "exit_on_escape", "0")
    for name, _ in Config.items("input"):
        Config.remove_option("input", name)  # no real mouse/touch devices in tests
    from kivy.core.window import Window
    Window.size = (WIDTH, HEIGHT)
    return Window


class KioskDriver:
    """A running KioskApp in the test process, driven by touches."""

    def __init__(self, app, window):
        self.app, self.window = app, window

    # -- the event loop
    def pump(self, seconds: float = 0.0, until=None, timeout: float = 10.0, what: str = ""):
        end = time.monotonic() + (timeout if until else seconds)
        while True:
            self.idle()
            if until is not None and until():
                return True
            if time.monotonic() >= end:
                if until is not None:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what or until}; "
                                         f"screen={self.app.current}")
                return True

    @staticmethod
    def idle():
        """One turn of Kivy's event loop, with an exception handled as App.run()'s main loop
        does (EventLoop.mainloop hands it to the ExceptionManager, where the kiosk's guard is)."""
        from kivy.base import EventLoop, ExceptionManager
        try:
            EventLoop.idle()
        except BaseException as inst:
            if ExceptionManager.handle_exception(inst) == ExceptionManager.RAISE:
                raise

    def wait_screen(self, name: str, timeout: float = 10.0):
        self.pump(until=lambda: self.app.current == name, timeout=timeout, what=f"screen {name}")
        self.pump(0.05)
        return self.app.screens[name]

    # -- touches
    def tap(self, widget, hold: float = 0.0):
        x, y = widget.to_window(*widget.center)
        self.tap_at(x, y, hold)

    def tap_at(self, x, y, hold: float = 0.0):
        from kivy.tests.common import UnitTestTouch
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        if hold:
            self.pump(hold)
        touch.touch_up()
        self.idle()

    def type_keys(self, screen, text: str):
        buttons = {getattr(b, "key", None): b for b in screen.keypad.children}
        for ch in text:
            self.tap(buttons[ch])

    def texts(self, screen_name: str | None = None) -> list[str]:
        from kivy.uix.label import Label
        root = self.app.screens[screen_name or self.app.current]
        return [w.text for w in root.walk() if isinstance(w, Label)]

    def screenshot(self, name: str) -> Path:
        name = f"kiosk-{name}"  # /tmp/shots is shared with the other parts' page shots
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.pump(0.1)
        self.window.dispatch("on_draw")  # read back what was just drawn
        path = self.window.screenshot(name=str(SHOTS / f"{name}.png"))
        final = SHOTS / f"{name}.png"
        os.replace(path, final)
        return final


@pytest.fixture
def kiosk_app(kivy_window, tmp_path):
    """kiosk_app(server_url, token, **config) -> a running KioskDriver; stopped after the test."""
    from kivy.app import App
    from kiosk.app import KioskApp
    from kiosk.config import KioskConfig
    started = []

    def start(server: str, token: str, **over):
        values = dict(server=server, device_token=token, speech=False, request_timeout_s=2.0,
                      retry_every_s=0.5, idle_timeout_s=60, admin_pin="2468")
        values.update(over)
        cfg = KioskConfig(**values)
        app = KioskApp(cfg)
        app._run_prepare()
        driver = KioskDriver(app, kivy_window)
        started.append(driver)
        driver.pump(until=lambda: app.core.services, timeout=10, what="services loaded")
        driver.pump(0.1)
        return driver

    yield start
    for d in started:
        d.app.dispatch("on_stop")
        for child in list(kivy_window.children):
            kivy_window.remove_widget(child)
        App._running_app = None
        d.pump(0.05)


# ------------------------------------------------------------------ printers


@pytest.fixture
def tcp_printer():
    p = TcpPrinter()
    yield p
    p.close()


# ------------------------------------------------------------------ serial pty pair (socat)


@pytest.fixture
def pty_pair(tmp_path):
    pair = PtyPair(tmp_path, 'idr').start()
    yield pair
    pair.stop()


def make_qr_video(path: Path, text: str, frames: int = 45, size=(640, 480), blank: int = 10) -> Path:
    """A short video: some blank frames, then a booking QR held in front of the camera."""
    import cv2
    import numpy as np
    import segno
    qr = segno.make_qr(text, error="m")
    png = path.with_suffix(".qr.png")
    qr.save(str(png), scale=8, border=4)
    img = cv2.imread(str(png))
    h, w = img.shape[:2]
    fourcc = cv2.VideoWriter_fourcc(*"MJPG")
    out = cv2.VideoWriter(str(path), fourcc, 15, size)
    assert out.isOpened(), "cv2.VideoWriter could not open an MJPG .avi"
    for i in range(frames):
        frame = np.full((size[1], size[0], 3), 200, np.uint8)
        if i >= blank:
            y, x = (size[1] - h) // 2, (size[0] - w) // 2
            frame[y:y + h, x:x + w] = img[:size[1] - max(0, y), :size[0] - max(0, x)][:h, :w]
        out.write(frame)
    out.release()
    return path


__all__ = ["ROOT", "KioskDriver", "TcpPrinter", "make_qr_video"]


class FlakyProxy:
    """A TCP proxy in front of the server. mode "pass": forwards both ways; "swallow": forwards
    the request but throws the answer away (the kiosk times out although the server acted);
    "down": refuses connections (the server is unreachable)."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.mode = "pass"
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "down":
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, src, dst, answers):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if answers and self.mode == "swallow":
                    continue  # checked per chunk: kept-alive connections are affected too
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
