"""A small Server-Sent Events client for the hall's event stream.

Runs on its own thread: GET …/events with `Last-Event-ID`, parses `id:`/`event:`/`data:`
lines, calls on_event(dict) per event, and reconnects with backoff when the stream breaks,
resuming after the last id it saw (the server replays what was missed). on_state(True/False)
tells whether the stream is connected (the kiosk shows a banner when it is not)."""
from __future__ import annotations

import json
import logging
import socket
import threading
from typing import Callable

import requests

log = logging.getLogger(__name__)


def parse_stream(lines):
    """Events from an iterable of text lines: dicts {id, event, data} (data parsed as JSON)."""
    ev: dict = {}
    data: list[str] = []
    for line in lines:
        if line is None:
            continue
        line = line.rstrip("\r")
        if line == "":
            if data or ev.get("event"):
                raw = "\n".join(data)
                try:
                    payload = json.loads(raw) if raw else None
                except ValueError:
                    payload = raw
                yield {"id": ev.get("id"), "event": ev.get("event", "message"), "data": payload}
            ev, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name in ("id", "event"):
            ev[name] = value
        elif name == "retry":
            ev["retry"] = value


def _socket_of(resp):
    """The socket under a streaming requests response (urllib3 2 / http.client internals)."""
    sock = getattr(getattr(resp.raw, "connection", None), "sock", None)
    if sock is None:
        fp = getattr(getattr(resp.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock


class EventStream:
    def __init__(self, url: str, on_event: Callable[[dict], None],
                 on_state: Callable[[bool], None] | None = None, *, last_id: str | None = None,
                 read_timeout: float = 40.0, max_backoff: float = 10.0):
        self.url, self.on_event, self.on_state = url, on_event, on_state
        self.last_id = last_id
        self.read_timeout, self.max_backoff = read_timeout, max_backoff
        self._stop = threading.Event()
        self._resp = None
        self._thread: threading.Thread | None = None
        self.connected = False

    def start(self) -> "EventStream":
        self._thread = threading.Thread(target=self._run, name="hallq-events", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        resp = self._resp
        if resp is not None:
            # shutting the socket down wakes the reader at once; resp.close() would wait for
            # the reader (up to a heartbeat) because both take the connection's lock
            sock = _socket_of(resp)
            try:
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _state(self, up: bool) -> None:
        if up != self.connected:
            self.connected = up
            if self.on_state:
                try:
                    self.on_state(up)
                except Exception:
                    log.exception("on_state failed")

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            headers = {"Accept": "text/event-stream"}
            if self.last_id:
                headers["Last-Event-ID"] = str(self.last_id)
            try:
                with requests.get(self.url, headers=headers, stream=True,
                                  timeout=(5, self.read_timeout)) as resp:
                    self._resp = resp
                    if resp.status_code != 200:
                        raise requests.HTTPError(f"HTTP {resp.status_code}")
                    self._state(True)
                    backoff = 0.5
                    for ev in parse_stream(resp.iter_lines(decode_unicode=True, chunk_size=1)):
                        if self._stop.is_set():
                            return
                        if ev.get("id"):
                            self.last_id = ev["id"]
                        try:
                            self.on_event(ev)
                        except Exception:
                            log.exception("event handler failed")
            except (requests.RequestException, AttributeError, ValueError, OSError) as exc:
                if self._stop.is_set():
                    return
                log.info("event stream %s: %s; reconnecting in %.1f s", self.url,
                         exc.__class__.__name__, backoff)
            finally:
                self._resp = None
            self._state(False)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)
