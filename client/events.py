"""The hall's event stream (GET /api/v1/halls/{hall}/events, Server-Sent Events) as devices read it.

    stream = EventStream("http://10.0.0.2:8080", "main")
    for ev in stream.events():          # an iterator, forever, until stream.close()
        print(ev.id, ev.type, ev.get("window"))

    EventStream(server, hall, on_event=handle, on_status=banner).start()   # or callbacks, on a thread

- Resume: every reconnect sends Last-Event-ID, so the server replays exactly what was missed;
  an event already seen (a replay overlapping what we had) is skipped.
- Heartbeat timeout: the server writes a comment every 15 s; a stream silent for longer than
  `heartbeat_timeout` is taken as dead (a cable pulled, a server frozen) and reopened.
- Reset: after a database restore the server sends `stream.reset` (its id may be lower than the
  last one seen): the stream takes ids from there and hands the event on, so the device redraws.
- Backoff with jitter: reconnects wait 0.5 s, 1 s, 2 s ... up to `backoff_max`, each drawn between
  half and all of that, so fifty devices do not all knock at the same instant after a restart.
The wire format is parsed by sseclient-py; this module owns reconnecting, resuming and stopping.
"""
from __future__ import annotations

import http.client
import json
import logging
import random
import socket
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterator

import requests
import sseclient
import urllib3

log = logging.getLogger(__name__)

RESET = "stream.reset"  # ids start again: forget what was seen, redraw from the server's state


@dataclass
class Event:
    id: int | None
    type: str
    data: dict = field(default_factory=dict)

    def get(self, key, default=None):
        return self.data.get(key, default)


def backoff_delays(first: float, most: float, jitter: float = 0.5, rng=random.random) -> Iterator[float]:
    """Delays before each reconnect: doubling from `first` up to `most`, each one reduced by a
    random share of at most `jitter` (0: no jitter)."""
    step = first
    while True:
        yield step * (1.0 - jitter * rng())
        step = min(step * 2, most)


def decode(sse_event) -> Event:
    """An sseclient event -> Event (id as an int, data as a dict)."""
    try:
        eid = int(sse_event.id) if sse_event.id not in (None, "") else None
    except ValueError:
        eid = None
    try:
        payload = json.loads(sse_event.data) if sse_event.data else {}
    except ValueError:
        log.warning("event %s: data is not JSON", sse_event.id)
        payload = {}
    return Event(eid, sse_event.event or "message",
                 payload if isinstance(payload, dict) else {"data": payload})


def chunks_as_they_come(resp: requests.Response) -> Iterator[bytes]:
    """The body in pieces as they arrive, chunked or not (iter_content(None) would wait for the
    end of a body sent without chunked encoding, as some proxies do)."""
    raw = resp.raw
    if not hasattr(raw, "read1"):  # urllib3 < 2.3
        yield from resp.iter_content(chunk_size=None)
        return
    while True:
        data = raw.read1(65536)
        if not data:
            return
        yield data


def _socket_of(resp):
    """The socket under a streaming requests response (urllib3 2: HTTPResponse -> http.client
    response -> BufferedReader -> SocketIO), or None."""
    sock = getattr(getattr(resp.raw, "connection", None), "sock", None)
    if sock is None:
        fp = getattr(getattr(resp.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock


class EventStream:
    def __init__(self, server: str, hall: str = "main", *, token: str | None = None,
                 last_event_id: int | None = None, heartbeat_timeout: float = 45.0,
                 connect_timeout: float = 5.0, backoff_min: float = 0.5, backoff_max: float = 10.0,
                 jitter: float = 0.5, on_event: Callable[[Event], None] | None = None,
                 on_status: Callable[[bool], None] | None = None,
                 on_connect: Callable[[], None] | None = None,
                 session: requests.Session | None = None):
        self.url = f"{server.rstrip('/')}/api/v1/halls/{hall}/events"
        self.token = token
        self.last_event_id = last_event_id
        self.heartbeat_timeout = heartbeat_timeout
        self.connect_timeout = connect_timeout
        self.backoff_min, self.backoff_max, self.jitter = backoff_min, backoff_max, jitter
        self.on_event, self.on_status, self.on_connect = on_event, on_status, on_connect
        self.connects = 0  # how many times the stream was opened
        self.connected = False
        self._stop = threading.Event()
        self._resp: requests.Response | None = None
        self._thread: threading.Thread | None = None
        self._session = session or requests.Session()

    # ------------------------------------------------------------ stopping
    def close(self) -> None:
        """Stop. The reading thread wakes at once: its socket is shut down (closing the response
        from another thread would wait for the blocked read, up to a heartbeat)."""
        self._stop.set()
        resp = self._resp
        if resp is not None:
            try:
                sock = _socket_of(resp)
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
                else:
                    threading.Thread(target=resp.close, daemon=True).start()
            except OSError:  # already closed
                pass
        th = self._thread
        if th is not None and th is not threading.current_thread():
            th.join(3.0)

    stop = close

    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    # ------------------------------------------------------------ reading
    def _status(self, up: bool) -> None:
        if up == self.connected:
            return
        self.connected = up
        if self.on_status:
            try:
                self.on_status(up)
            except Exception:
                log.exception("on_status failed")

    def _open(self) -> requests.Response:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        resp = self._session.get(self.url, headers=headers, stream=True,
                                 timeout=(self.connect_timeout, self.heartbeat_timeout))
        if resp.status_code != 200:
            resp.close()
            raise requests.HTTPError(f"HTTP {resp.status_code}")
        return resp

    def events(self) -> Iterator[Event]:
        """Every event, in order, across reconnects, until close()."""
        delays = backoff_delays(self.backoff_min, self.backoff_max, self.jitter)
        while not self._stop.is_set():
            try:
                self._resp = resp = self._open()
                if self._stop.is_set():
                    return
                self.connects += 1
                delays = backoff_delays(self.backoff_min, self.backoff_max, self.jitter)
                self._status(True)
                if self.on_connect:
                    try:
                        self.on_connect()
                    except Exception:
                        log.exception("on_connect failed")
                for raw in sseclient.SSEClient(chunks_as_they_come(resp)).events():
                    ev = decode(raw)
                    if ev.type == RESET:
                        # the server's database was restored or swapped: ids start again from
                        # here (maybe lower than ours); the device redraws from the server's state
                        self.last_event_id = ev.id
                        yield ev
                        continue
                    if ev.id is not None:
                        if self.last_event_id is not None and ev.id <= self.last_event_id:
                            continue
                        self.last_event_id = ev.id
                    yield ev
                    if self._stop.is_set():
                        return
                log.info("event stream %s ended; reconnecting", self.url)
            except (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException,
                    OSError, AttributeError, ValueError) as exc:
                # AttributeError/ValueError: urllib3 reading a response whose socket was shut down
                if self._stop.is_set():
                    return
                log.warning("event stream %s: %s", self.url, exc)
            finally:
                resp, self._resp = self._resp, None
                if resp is not None:
                    try:
                        resp.close()
                    except Exception:  # a socket shut down under it
                        pass
            self._status(False)
            delay = next(delays)
            log.info("event stream: reconnecting in %.1f s", delay)
            if self._stop.wait(delay):
                return

    # ------------------------------------------------------------ callbacks on a thread
    def start(self, name: str = "hallq-events") -> "EventStream":
        """Read on a daemon thread, calling on_event(ev) for each event (a failing handler is
        logged; the stream goes on)."""
        if self.on_event is None:
            raise ValueError("start() needs on_event")
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        for ev in self.events():
            try:
                self.on_event(ev)
            except Exception:
                log.exception("event %s (%s) handler failed", ev.id, ev.type)
