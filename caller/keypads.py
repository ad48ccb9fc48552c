"""The serial bridge of the windows: caller keypads (叫号器) and 5-key evaluators (评价器).

    python -m caller.keypads --server http://hall-server:8080 --hall main \\
        --token KEYPAD_TOKEN --evaluator-token EVALUATOR_TOKEN [--port /dev/ttyUSB0]

Devices share one bus (a pyserial URL: /dev/ttyUSB0, /dev/pts/N, socket://host:port, ...) and
speak the frames of hardware/frames.py. The hall config's `[keypads]` section says which
address stands at which window. A keypad's key becomes the window's API call; the bridge answers
ACK (or NAK) and shows the window's current number on the keypad. When the window finishes a
ticket (whoever pressed finish: keypad or caller page) the window's evaluator gets PROMPT; its
RATE becomes the rating of exactly that ticket; a prompt nobody answers expires (IDLE) and the
ticket stays unrated. The port may vanish and come back (USB unplugged): SerialLink reopens it;
the event stream reconnects after a server restart and resyncs every display.

Talks to the server over HTTP + SSE only (never imports server/).
"""
from __future__ import annotations

import argparse
import logging
import os
import queue
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from client import ApiClient, ApiError, Event, EventStream, Heartbeat, ServerUnreachable
from hardware.frames import Cmd, Frame, Key, LinkDownError, SerialLink, encode_text

log = logging.getLogger("hallq.keypads")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "assets" / "halls" / "main.toml"
PROMPT_S = 120.0  # an unanswered rating prompt goes back to idle after this (no default rating)
DISPLAY_BYTES = 32  # keypad displays are small: keep texts short

KEY_ACTIONS = {
    Key.CALL_NEXT: "call-next", Key.RECALL: "recall", Key.START: "start", Key.FINISH: "finish",
    Key.NO_SHOW: "no-show", Key.PAUSE: "pause", Key.RESUME: "resume", Key.TRANSFER: "transfer",
}


@dataclass
class Devices:
    """Which bus address is which device at which window."""

    keypads: dict[int, int] = field(default_factory=dict)  # address -> window
    evaluators: dict[int, int] = field(default_factory=dict)  # address -> window
    port: str | None = None
    baudrate: int = 9600

    @classmethod
    def from_config(cls, data: dict) -> "Devices":
        section = data.get("keypads") or {}
        out = cls(port=section.get("port"), baudrate=int(section.get("baudrate", 9600)))
        seen: set[int] = set()
        for entry in section.get("devices") or []:
            window = entry.get("window")
            if not isinstance(window, int):
                raise ValueError(f"[keypads] entry without a window number: {entry}")
            for kind, table in (("keypad", out.keypads), ("evaluator", out.evaluators)):
                addr = entry.get(kind)
                if addr is None:
                    continue
                if not isinstance(addr, int) or not 0 <= addr <= 0xFE:
                    raise ValueError(f"[keypads] {kind} address must be 0..254: {entry}")
                if addr in seen:
                    raise ValueError(f"[keypads] address {addr} is used twice")
                seen.add(addr)
                table[addr] = window
        return out

    @classmethod
    def load(cls, path: Path | str) -> "Devices":
        with open(path, "rb") as fh:
            return cls.from_config(tomllib.load(fh))

    def keypads_at(self, window: int) -> list[int]:
        return [a for a, w in self.keypads.items() if w == window]

    def evaluators_at(self, window: int) -> list[int]:
        return [a for a, w in self.evaluators.items() if w == window]


FAILED = (ApiError, ServerUnreachable)


def short_reason(err: Exception) -> str:
    """What a keypad's small display shows for a refused or failed key: the Chinese message."""
    return err.message_zh if isinstance(err, ApiError) else "网络故障"


def display_text(window: dict | None, waiting: int | None) -> str:
    """What a keypad shows: the current number and the window's queue, e.g. "A007 办理中 等3"."""
    if window is None:
        return "离线"
    if window.get("status") == "paused":
        text = "暂停中"
    elif window.get("current"):
        cur = window["current"]
        text = cur["number"] + (" 办理中" if cur.get("status") == "serving" else " 已呼叫")
    elif not window.get("staff"):
        text = "未签到"
    else:
        text = "----"
    if waiting is not None:
        text += f" 等{waiting}"
    return text


class Bridge:
    """Keys and ratings from the bus -> API calls; events -> keypad displays and prompts."""

    def __init__(self, api: ApiClient, devices: Devices, port: str, *, evaluator_token: str | None = None,
                 baudrate: int = 9600, prompt_s: float = PROMPT_S, link_factory=SerialLink,
                 heartbeat_s: float = 30.0):
        self.api = api
        self.evaluator_token = evaluator_token
        self.devices = devices
        self.prompt_s = prompt_s
        self.jobs: queue.Queue = queue.Queue()
        self.prompts: dict[int, tuple[int, str, float]] = {}  # window -> (ticket id, number, since)
        self.window_services: dict[int, list[str]] = {}  # window -> services it calls (from sync)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.stream_connected = threading.Event()
        self.link = link_factory(port, self._on_frame, baudrate=baudrate, on_state=self._on_state)
        self.stream = EventStream(api.server, api.hall, token=api.token,
                                  on_event=lambda ev: self.jobs.put(("event", ev)),
                                  on_connect=lambda: self.jobs.put(("sync", None)),
                                  on_status=self._on_stream_status)
        self.bus_up = False
        self.heartbeat = Heartbeat(ApiClient(api.server, api.hall, api.token), "keypads",
                                   every_s=heartbeat_s, state=self._state)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> "Bridge":
        self.link.start()
        th = threading.Thread(target=self._work, name="keypads-work", daemon=True)
        th.start()
        self._threads.append(th)
        self.stream.start(name="keypads-events")
        if self.heartbeat.every_s > 0:
            self.heartbeat.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.jobs.put(None)
        self.stream.close()
        self.heartbeat.stop()
        self.link.stop()
        for th in self._threads:
            th.join(3)

    def run_forever(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # ------------------------------------------------------------ inputs (other threads)
    def _on_frame(self, frame: Frame) -> None:
        self.jobs.put(("frame", frame))

    def _state(self) -> tuple[str, str | None]:
        return ("ok", None) if self.bus_up else ("degraded", "serial bus down")

    def _on_state(self, up: bool) -> None:
        self.bus_up = up
        if up:
            self.jobs.put(("sync", None))

    def _on_stream_status(self, up: bool) -> None:
        (self.stream_connected.set if up else self.stream_connected.clear)()
        log.info("event stream %s", "connected" if up else "down")

    # ------------------------------------------------------------ the worker: one job at a time
    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.jobs.get(timeout=0.5)
            except queue.Empty:
                job = ("tick", None)
            if job is None:
                break
            kind, arg = job
            try:
                if kind == "frame":
                    self.handle_frame(arg)
                elif kind == "event":
                    self.handle_event(arg)
                elif kind == "sync":
                    self.sync()
                self.expire_prompts()
            except Exception:  # one bad job must not stop the window's devices
                log.exception("keypad bridge job %s failed", kind)

    def send(self, addr: int, cmd: int, payload: bytes = b"") -> None:
        try:
            self.link.send(Frame(addr, cmd, payload))
        except LinkDownError:
            log.info("bus down: frame for %d dropped", addr)

    def show(self, addr: int, text: str) -> None:
        self.send(addr, Cmd.SHOW, encode_text(text, DISPLAY_BYTES))

    # ------------------------------------------------------------ frames from devices
    def handle_frame(self, frame: Frame) -> None:
        if frame.cmd in (Cmd.ACK, Cmd.NAK):
            return
        if frame.addr in self.devices.keypads and frame.cmd == Cmd.KEY:
            self.handle_key(frame)
        elif frame.addr in self.devices.evaluators and frame.cmd == Cmd.RATE:
            self.handle_rate(frame)
        elif frame.addr in self.devices.keypads or frame.addr in self.devices.evaluators:
            self.send(frame.addr, Cmd.NAK, bytes((frame.cmd,)))
        else:
            log.debug("frame from unknown address %d ignored", frame.addr)

    def handle_key(self, frame: Frame) -> None:
        addr, window = frame.addr, self.devices.keypads[frame.addr]
        try:
            key = Key(frame.payload[0]) if frame.payload else None
        except ValueError:
            key = None
        if key is None:
            self.send(addr, Cmd.NAK, bytes((frame.cmd,)))
            return
        body = None
        if key == Key.FINISH:
            body = {"outcome": "immediate"}  # other outcomes need the caller page
        elif key == Key.PAUSE:
            body = {"reason": "呼叫器暂停"}
        elif key == Key.TRANSFER:
            body = self._transfer_body(frame)
            if body is None:
                self.send(addr, Cmd.NAK, bytes((frame.cmd,)))
                self.show(addr, "请在页面转移")
                return
        try:
            self.api.post(f"/windows/{window}/{KEY_ACTIONS[key]}", body)
        except FAILED as err:
            log.info("window %d %s refused: %s", window, KEY_ACTIONS[key], err)
            self.send(addr, Cmd.NAK, bytes((frame.cmd,)))
            self.show(addr, short_reason(err))
            return
        self.send(addr, Cmd.ACK, bytes((frame.cmd,)))
        self.refresh_keypads(window)

    def _transfer_body(self, frame: Frame) -> dict | None:
        """TRANSFER carries the target service as a second payload byte (1-based hall order)."""
        if len(frame.payload) < 2:
            return None
        try:
            services = self.api.services()
        except FAILED:
            return None
        idx = frame.payload[1] - 1
        if not 0 <= idx < len(services):
            return None
        return {"service": services[idx]["code"]}

    def handle_rate(self, frame: Frame) -> None:
        addr, window = frame.addr, self.devices.evaluators[frame.addr]
        level = frame.payload[0] if frame.payload else 0
        pending = self.prompts.get(window)
        if pending is None or not 1 <= level <= 5 or not self.evaluator_token:
            self.send(addr, Cmd.NAK, bytes((frame.cmd,)))
            return
        ticket_id, number, _ = pending
        try:
            self.api.post(f"/tickets/{ticket_id}/rating", {"level": level}, token=self.evaluator_token)
        except FAILED as err:
            if getattr(err, "code", None) != "already_rated":
                log.info("rating of %s refused: %s", number, err)
                self.send(addr, Cmd.NAK, bytes((frame.cmd,)))
                return
        self.prompts.pop(window, None)
        self.send(addr, Cmd.ACK, bytes((frame.cmd,)))
        self.send(addr, Cmd.IDLE)

    # ------------------------------------------------------------ events from the server
    def handle_event(self, ev: Event) -> None:
        if ev.type == "stream.reset":  # the server's database was restored: every display anew
            self.sync()
            return
        window = ev.get("window")
        etype = ev.type
        if window is None:
            # a new or transferred ticket changes the queue count on the keypads that serve it
            service = (ev.get("ticket") or {}).get("service")
            if etype == "ticket.issued" and service:
                for n in sorted({w for w in self.devices.keypads.values()
                                 if service in self.window_services.get(w, ())}):
                    self.refresh_keypads(n)
            return
        if etype == "ticket.finished" and ev.get("ticket"):
            self.prompt(window, ev.get("ticket")["id"], ev.get("ticket")["number"])
        elif etype == "ticket.rated":
            pending = self.prompts.get(window)
            if pending and pending[0] == ev.get("ticket_id"):
                self.prompts.pop(window, None)
                for addr in self.devices.evaluators_at(window):
                    self.send(addr, Cmd.IDLE)
        if self.devices.keypads_at(window) and (etype.startswith("ticket.") or etype.startswith("window.")):
            self.refresh_keypads(window)

    def prompt(self, window: int, ticket_id: int, number: str) -> None:
        addrs = self.devices.evaluators_at(window)
        if not addrs:
            return
        self.prompts[window] = (ticket_id, number, time.monotonic())
        for addr in addrs:
            self.send(addr, Cmd.PROMPT, encode_text(number))

    def expire_prompts(self) -> None:
        now = time.monotonic()
        for window, (_, _, since) in list(self.prompts.items()):
            if now - since > self.prompt_s:
                self.prompts.pop(window, None)
                for addr in self.devices.evaluators_at(window):
                    self.send(addr, Cmd.IDLE)

    def refresh_keypads(self, window: int) -> None:
        addrs = self.devices.keypads_at(window)
        if not addrs:
            return
        try:
            w = self.api.get(f"/windows/{window}")
            services = self.api.services()
            waiting = sum(s["waiting"] for s in services if s["code"] in w.get("services", []))
        except FAILED:
            w, waiting = None, None
        for addr in addrs:
            self.show(addr, display_text(w, waiting))

    def sync(self) -> None:
        """After the bus or the event stream came (back): every display shows the true state."""
        try:
            windows = {w["number"]: w for w in self.api.windows()}
            services = self.api.services()
        except FAILED:
            windows, services = {}, []
        counts = {s["code"]: s["waiting"] for s in services}
        self.window_services.update({n: list(w["services"]) for n, w in windows.items()})
        for addr, n in self.devices.keypads.items():
            w = windows.get(n)
            waiting = sum(counts.get(c, 0) for c in w["services"]) if w else None
            self.show(addr, display_text(w, waiting))
        for n in set(self.devices.evaluators.values()):
            lf = (windows.get(n) or {}).get("last_finished")
            pending = self.prompts.get(n)
            if pending and lf and lf["id"] == pending[0] and lf["rated"]:
                self.prompts.pop(n, None)
                pending = None
            if pending:
                for addr in self.devices.evaluators_at(n):
                    self.send(addr, Cmd.PROMPT, encode_text(pending[1]))
            else:
                for addr in self.devices.evaluators_at(n):
                    self.send(addr, Cmd.IDLE)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m caller.keypads", description=__doc__.split("\n")[0])
    env = os.environ.get
    ap.add_argument("--server", default=env("HALLQ_SERVER"), required=not env("HALLQ_SERVER"),
                    help="hallq server URL, e.g. http://10.0.0.2:8080 (default: $HALLQ_SERVER)")
    ap.add_argument("--hall", default=env("HALLQ_HALL", "main"))
    token = env("HALLQ_KEYPAD_TOKEN") or env("HALLQ_DEVICE_TOKEN")
    ap.add_argument("--token", default=token, required=not token,
                    help="device token of kind keypad (default: $HALLQ_KEYPAD_TOKEN)")
    ap.add_argument("--evaluator-token", default=env("HALLQ_EVALUATOR_TOKEN"),
                    help="device token of kind evaluator, for RATE frames (default: $HALLQ_EVALUATOR_TOKEN)")
    ap.add_argument("--port", help="pyserial URL of the bus (default: [keypads] port of the config)")
    ap.add_argument("--config", default=str(DEFAULT_CONFIG), help="hall config TOML")
    ap.add_argument("--prompt-seconds", type=float, default=PROMPT_S)
    ap.add_argument("--heartbeat-seconds", type=float, default=30.0,
                    help="how often the bridge tells the server it is alive (0: never)")
    ap.add_argument("--log", default="INFO")
    args = ap.parse_args(argv)
    logging.basicConfig(level=args.log.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    devices = Devices.load(args.config)
    port = args.port or devices.port
    if not port:
        print("no serial port: give --port or [keypads] port in the hall config", file=sys.stderr)
        return 2
    if not devices.keypads and not devices.evaluators:
        print("no devices in [keypads] of the hall config", file=sys.stderr)
        return 2
    api = ApiClient(args.server, args.hall, args.token)
    bridge = Bridge(api, devices, port, evaluator_token=args.evaluator_token,
                    baudrate=devices.baudrate, prompt_s=args.prompt_seconds,
                    heartbeat_s=args.heartbeat_seconds)
    log.info("keypad bridge on %s: %d keypads, %d evaluators -> %s", port, len(devices.keypads),
             len(devices.evaluators), args.server)
    bridge.run_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
