"""LED strips over the windows (窗口屏): show the window's current number, clear on finish.

    python -m display.led --server http://127.0.0.1:8080 --bus /dev/ttyUSB0
    python -m display.led --strip 1=/dev/ttyUSB0 --strip 2=/dev/ttyUSB1@5

Frames are those of hardware/frames.py (SHOW_TEXT with GB18030 text, CLEAR), one address per
window: on a shared RS-485 bus (--bus) a strip's address is its window number; a strip on its
own port (--strip N=URL[@ADDR]) has address N unless given. A call shows "A007 请到3号窗口";
finish, no-show, transfer, cancel and sign-out clear the strip; a pause shows "暂停服务".
The bridge follows the event stream (resuming after drops); whenever the stream comes back it sets
every strip from the server's current state, whenever a serial port comes back it resends what
its strips should show, and every --refresh seconds it resends all (a strip that lost power), so
a strip never keeps a stale number.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time

from client import ApiClient, ApiError, Event, EventStream, Heartbeat, ServerUnreachable
from hardware.frames import Cmd, Frame, LinkDownError, SerialLink, led_text_frame

log = logging.getLogger("hallq.led")

DEFAULT_FORMAT = "{number} 请到{window}号窗口"
PAUSED_TEXT = "暂停服务"
CLEAR_TYPES = ("ticket.finished", "ticket.no_show", "ticket.transferred", "ticket.cancelled")


class LedBridge:
    def __init__(self, server: str, hall: str = "main", *, bus: str | None = None,
                 strips: dict[int, tuple[str, int]] | None = None, text_format: str = DEFAULT_FORMAT,
                 paused_text: str = PAUSED_TEXT, baudrate: int = 9600, link_factory=None,
                 refresh_s: float = 30.0, token: str | None = None, name: str | None = None,
                 heartbeat_s: float = 30.0):
        self.server = server.rstrip("/")
        self.hall = hall
        self.text_format = text_format
        self.paused_text = paused_text
        make = link_factory or (lambda url, on_state: SerialLink(url, self._on_frame, baudrate=baudrate,
                                                                 on_state=on_state))
        self.links: dict[str, object] = {}
        self.route: dict[int, tuple[str, int]] = {}  # window -> (url, address)
        self.bus = bus
        for url in ({bus} | {u for u, _ in (strips or {}).values()}) - {None}:
            self.links[url] = make(url, lambda up, url=url: self._on_link_state(url, up))
        for window, (url, addr) in (strips or {}).items():
            self.route[window] = (url, addr)
        self.shown: dict[int, str | None] = {}  # window -> text on its strip (None: blank)
        self.current: dict[int, str] = {}  # window -> ticket number it holds
        self._lock = threading.Lock()
        self.api = ApiClient(self.server, hall, token, timeout=10.0)
        self.links_down: set[str] = set()
        self.heartbeat = Heartbeat(ApiClient(self.server, hall, token), "led", name=name,
                                   every_s=heartbeat_s, state=self._state)
        self.stream = EventStream(self.server, hall, on_connect=self._on_stream_connect,
                                  on_event=self._on_event)
        self.sent: list[tuple[int, Frame]] = []  # the last frames sent, for diagnostics
        self._synced = threading.Event()
        self._stop = threading.Event()
        self.refresh_s = refresh_s  # resend every strip's text this often (a strip that lost power)

    # ------------------------------------------------------------ where a window's strip is
    def _target(self, window: int) -> tuple[object, int] | None:
        if window in self.route:
            url, addr = self.route[window]
            return self.links[url], addr
        if self.bus is not None and 0 <= window < 0xFF:
            return self.links[self.bus], window
        return None

    def _on_frame(self, frame: Frame) -> None:
        if frame.cmd == Cmd.NAK:
            log.warning("strip %s refused a frame: %s", frame.addr, frame)

    def _send(self, window: int, text: str | None) -> None:
        target = self._target(window)
        if target is None:
            return
        link, addr = target
        frame = led_text_frame(addr, text) if text else Frame(addr, Cmd.CLEAR)
        try:
            link.send(frame)
            self.sent.append((window, frame))
            if len(self.sent) > 200:
                del self.sent[:100]
        except LinkDownError as exc:  # sent again when the port comes back
            log.warning("strip of window %s: %s", window, exc)

    def show(self, window: int, text: str | None) -> None:
        with self._lock:
            self.shown[window] = text
            self._send(window, text)

    def text_for(self, number: str, window: int) -> str:
        return self.text_format.format(number=number, window=window)

    # ------------------------------------------------------------ state
    def sync(self) -> None:
        """Set every strip from GET …/windows (after a (re)connect)."""
        for w in self.api.windows():
            n = w["number"]
            cur = w.get("current")
            if cur and cur.get("status") in ("called", "serving"):
                self.current[n] = cur["number"]
                self.show(n, self.text_for(cur["number"], n))
            else:
                self.current.pop(n, None)
                self.show(n, self.paused_text if w.get("status") == "paused" else None)
        self._synced.set()

    def _on_stream_connect(self) -> None:
        try:
            self.sync()
        except (ServerUnreachable, ApiError, ValueError, KeyError) as exc:
            log.warning("could not read the windows: %s", exc)

    def _state(self) -> tuple[str, str | None]:
        down = sorted(self.links_down)
        return ("degraded", "serial down: " + ", ".join(down)) if down else ("ok", None)

    def _on_link_state(self, url: str, up: bool) -> None:
        log.info("serial %s %s", url, "up" if up else "down")
        (self.links_down.discard if up else self.links_down.add)(url)
        if not up:
            return
        with self._lock:  # replay what the strips on this port should show
            for window, text in list(self.shown.items()):
                target = self._target(window)
                if target is not None and target[0] is self.links[url]:
                    self._send(window, text)

    def on_event(self, ev: Event) -> None:
        if ev.type == "stream.reset":  # the server's database was restored: redraw every strip
            self._on_stream_connect()
            return
        window = ev.get("window")
        if not isinstance(window, int):
            return
        number = (ev.get("ticket") or {}).get("number")
        if ev.type in ("ticket.called", "ticket.recalled") and number:
            self.current[window] = number
            self.show(window, self.text_for(number, window))
        elif ev.type in CLEAR_TYPES:
            if self.current.get(window) in (None, number):
                self.current.pop(window, None)
                self.show(window, None)
        elif ev.type == "window.paused":
            self.show(window, self.paused_text)
        elif ev.type == "window.resumed":
            cur = self.current.get(window)
            self.show(window, self.text_for(cur, window) if cur else None)
        elif ev.type == "window.signed_out":
            self.current.pop(window, None)
            self.show(window, None)

    # ------------------------------------------------------------ running
    def _on_event(self, ev: Event) -> None:
        self.on_event(ev)

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self.refresh_s):
            with self._lock:
                for window, text in list(self.shown.items()):
                    self._send(window, text)

    def start(self) -> "LedBridge":
        for link in self.links.values():
            link.start()
        self.stream.start(name="led-listen")
        if self.heartbeat.every_s > 0:
            self.heartbeat.start()
        if self.refresh_s > 0:
            threading.Thread(target=self._refresh_loop, name="led-refresh", daemon=True).start()
        return self

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self.stream.close()
        self.heartbeat.stop()
        for link in self.links.values():
            link.stop()


def parse_strip(spec: str) -> tuple[int, tuple[str, int]]:
    """"3=/dev/ttyUSB1" -> (3, ("/dev/ttyUSB1", 3)); "3=/dev/ttyUSB1@7" -> address 7."""
    window, sep, rest = spec.partition("=")
    if not sep or not window.strip().isdigit() or not rest:
        raise argparse.ArgumentTypeError(f"--strip wants N=URL[@ADDR], got {spec!r}")
    url, at, addr = rest.rpartition("@") if "@" in rest else (rest, "", "")
    if at and not addr.isdigit():
        url, addr = rest, ""
    n = int(window)
    a = int(addr) if addr else n
    if not 0 <= a <= 0xFE:
        raise argparse.ArgumentTypeError("strip address must be 0..254")
    return n, (url, a)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m display.led", description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default=os.environ.get("HALLQ_SERVER", "http://127.0.0.1:8080"))
    p.add_argument("--hall", default=os.environ.get("HALLQ_HALL", "main"))
    p.add_argument("--bus", default=os.environ.get("HALLQ_LED_BUS"),
                   help="one serial URL for all strips (address = window number)")
    p.add_argument("--strip", action="append", type=parse_strip, default=[],
                   help="N=URL[@ADDR]: window N's strip on its own port")
    p.add_argument("--format", default=DEFAULT_FORMAT, help="text of a call (fields: number, window)")
    p.add_argument("--baudrate", type=int, default=9600)
    p.add_argument("--name", default=os.environ.get("HALLQ_DEVICE_NAME"),
                   help="name in /admin's heartbeat list when there is no HALLQ_DEVICE_TOKEN "
                        "(default: led@HOSTNAME)")
    p.add_argument("--refresh", type=float, default=30.0, help="resend every strip's text every N s (0: never)")
    p.add_argument("--log", default=os.environ.get("HALLQ_LOG", "INFO"))
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.bus and not args.strip:
        p.error("give --bus URL or at least one --strip N=URL")
    bridge = LedBridge(args.server, args.hall, bus=args.bus, strips=dict(args.strip),
                       text_format=args.format, baudrate=args.baudrate, refresh_s=args.refresh,
                       token=os.environ.get("HALLQ_DEVICE_TOKEN"), name=args.name).start()
    log.info("LED bridge for hall %s at %s", args.hall, args.server)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
