"""A small Server-Sent Events client for the hall's event stream (requests, streaming).

`EventStream(base_url, hall).events()` yields every event forever: it reconnects after a drop
(network, server restart) with Last-Event-ID, so the server replays exactly what was missed.
A stream that stays silent longer than `read_timeout` (the server sends a heartbeat every
15 s) is taken as dead and reopened.
"""
from __future__ import annotations

import codecs
import json
import logging
import socket
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

import requests

log = logging.getLogger(__name__)


@dataclass
class Event:
    id: int | None
    type: str
    data: dict

    def get(self, key, default=None):
        return self.data.get(key, default)


def parse_lines(lines: Iterator[str]) -> Iterator[tuple[str | None, str, str, int | None]]:
    """SSE lines -> (id, event, data, retry) per dispatched message (WHATWG rules, simplified:
    comments skipped, multi-line data joined with newlines, a blank line dispatches)."""
    eid, etype, data, retry = None, "", [], None
    for line in lines:
        if line == "":
            if data or retry is not None:
                yield eid, etype or "message", "\n".join(data), retry
            eid, etype, data, retry = None, "", [], None
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "id":
            eid = value
        elif field == "event":
            etype = value
        elif field == "data":
            data.append(value)
        elif field == "retry" and value.isdigit():
            retry = int(value)


def _socket_of(resp):
    """The socket under a streaming requests response (urllib3 2: HTTPResponse -> http.client
    response -> BufferedReader -> SocketIO), or None."""
    conn = getattr(resp.raw, "connection", None)
    sock = getattr(conn, "sock", None)
    if sock is None:
        fp = getattr(getattr(resp.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock


class EventStream:
    def __init__(self, base_url: str, hall: str = "main", *, last_event_id: int | None = None,
                 token: str | None = None, read_timeout: float = 45.0, retry_min: float = 0.5,
                 retry_max: float = 10.0, on_status: Callable[[bool], None] | None = None,
                 on_connect: Callable[[], None] | None = None):
        self.url = f"{base_url.rstrip('/')}/api/v1/halls/{hall}/events"
        self.last_event_id = last_event_id
        self.token = token
        self.read_timeout = read_timeout
        self.retry_min, self.retry_max = retry_min, retry_max
        self.on_status, self.on_connect = on_status, on_connect
        self.connects = 0
        self._stop = threading.Event()
        self._resp: requests.Response | None = None
        self._session = requests.Session()

    def close(self) -> None:
        """Stop; the reading thread is woken at once by shutting the socket down (closing the
        response from another thread would wait for its blocked read, up to a heartbeat)."""
        self._stop.set()
        resp = self._resp
        if resp is None:
            return
        try:
            sock = _socket_of(resp)
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            else:
                threading.Thread(target=resp.close, daemon=True).start()
        except OSError:  # already closed
            pass

    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    def _lines(self, resp) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        buf = ""
        for chunk in resp.iter_content(chunk_size=None):
            if self._stop.is_set():
                return
            buf += decoder.decode(chunk)
            while True:
                i = buf.find("\n")
                if i < 0:
                    break
                line, buf = buf[:i], buf[i + 1:]
                yield line[:-1] if line.endswith("\r") else line

    def _status(self, up: bool) -> None:
        if self.on_status:
            try:
                self.on_status(up)
            except Exception:
                log.exception("on_status failed")

    def events(self) -> Iterator[Event]:
        delay = self.retry_min
        while not self._stop.is_set():
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            params = {}
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = str(self.last_event_id)
                params["last_event_id"] = str(self.last_event_id)
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            try:
                resp = self._session.get(self.url, headers=headers, params=params, stream=True,
                                         timeout=(5.0, self.read_timeout))
                self._resp = resp
                if resp.status_code != 200:
                    raise requests.HTTPError(f"HTTP {resp.status_code}")
                self.connects += 1
                delay = self.retry_min
                self._status(True)
                if self.on_connect:
                    self.on_connect()
                for sid, etype, data, _retry in parse_lines(self._lines(resp)):
                    try:
                        eid = int(sid) if sid not in (None, "") else None
                    except ValueError:
                        eid = None
                    try:
                        payload = json.loads(data) if data else {}
                    except ValueError:
                        log.warning("event %s: data is not JSON", sid)
                        payload = {}
                    if eid is not None:
                        if self.last_event_id is not None and eid <= self.last_event_id:
                            continue  # already seen (a replay overlapping what we had)
                        self.last_event_id = eid
                    yield Event(eid, etype, payload if isinstance(payload, dict) else {"data": payload})
                    if self._stop.is_set():
                        return
                log.info("event stream ended; reconnecting")
            except (requests.RequestException, OSError, AttributeError, ValueError) as exc:
                if self._stop.is_set():
                    return
                log.warning("event stream %s: %s; retrying in %.1fs", self.url, exc, delay)
            finally:
                self._resp = None
            self._status(False)
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, self.retry_max)
