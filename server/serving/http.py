"""gevent's WSGI server with the hall's limits, running the Flask app in real threads.

- Each connection is a greenlet in one loop. A request line, its headers and its body must arrive
  within `request_timeout_s` in total, so a client trickling a byte at a time cannot hold it.
- The Flask app runs in a pool of ordinary threads (SQLite and psycopg calls block only that thread);
  the request body is read by the loop first, the answer is handed back whole.
- `GET …/events`: the app's view checks the hall, the token and Last-Event-ID in a thread and hands
  the stream to the loop (`LiveRequest`), where StreamHub keeps it without a thread.
- Calls first: while a window's call (call-next, 办结并叫下一位, recall, 选呼) is running, any other
  request waits in the loop before it starts, up to `calls_ahead_s`. The interpreter is the
  server's one shared resource: eleven windows calling at once and a kiosk's ticket (its wait
  estimate is the costliest work of any request) otherwise share it, and each call's answer and
  event wait for the ticket's work too. The writers' queue (store/db.py) puts calls first for
  the database; this puts them first for the interpreter.
"""
from __future__ import annotations

import io
import json
import logging
import socket

import gevent
import gevent.event
from gevent.pywsgi import WSGIHandler, WSGIServer
from gevent.threadpool import ThreadPool

from ..services.queue import CALL_ACTIONS
from . import collector
from .limits import Ledger, Limits
from .streams import Stream, StreamHub, chunk

log = logging.getLogger(__name__)


class RequestTimeout(Exception):
    """The client did not send its whole request in time."""


class LiveRequest:
    """Put in the environ of a GET …/events; the view fills it in when the stream may start."""

    __slots__ = ("hall_id", "audience", "last", "head", "staff")

    def __init__(self):
        self.hall_id = None

    def accept(self, hall_id: int, audience: str, last: int, head: list[str], staff: bool):
        self.hall_id, self.audience, self.last, self.head, self.staff = (
            hall_id, audience, last, head, staff)


class RequestHeaders:
    """A request's header fields as pywsgi uses them (`get`, `del`, the raw lines for the
    environ), read with http.client's limits (a line of at most 64 KiB, at most 100 fields) but
    without the email package's parser, which pywsgi uses and which was a tenth of the server's
    time under a busy hall. A line that is not a field makes `status` say so: pywsgi answers 400."""

    __slots__ = ("lines", "fields", "status")
    MAX_LINE, MAX_FIELDS = 65536, 100

    def __init__(self, fp):
        self.lines: list[str] = []  # "Name: value\r\n" as received (latin-1), folded lines too
        self.fields: dict[str, str] = {}  # lower-case name -> its first value
        self.status = ""
        last = None
        while True:
            line = fp.readline(self.MAX_LINE + 1)
            if len(line) > self.MAX_LINE:
                self.status = "Line too long"
                return
            if line in (b"\r\n", b"\n", b""):
                return
            if len(self.lines) >= self.MAX_FIELDS:
                self.status = "Too many headers"
                return
            text = line.decode("latin-1")
            if text[0] in " \t":  # an obsolete folded continuation of the line before
                if not self.lines:
                    self.status = "Invalid header line"
                    return
                if last is not None:
                    self.fields[last] = (self.fields[last] + " " + text.strip()).strip()
            else:
                name, colon, value = text.partition(":")
                name = name.strip().lower()
                if not colon or not name:
                    self.status = "Invalid header line"
                    return
                last = name if name not in self.fields else None
                if last is not None:
                    self.fields[name] = value.strip()
            self.lines.append(text)

    def get(self, name: str, default=None):
        return self.fields.get(name.lower(), default)

    getheader = get

    def __delitem__(self, name: str) -> None:
        name = name.lower()
        self.fields.pop(name, None)
        self.lines = [ln for ln in self.lines if ln.partition(":")[0].strip().lower() != name]

    @property
    def headers(self) -> list[str]:
        return self.lines

    @property
    def typeheader(self):
        return self.fields.get("content-type")


class HallHandler(WSGIHandler):
    """One connection: a deadline for each request, and whether it carried a staff/device token."""

    trusted = False
    over_cap = False  # opened when its address had all its anonymous connections
    _deadline = None

    def MessageClass(self, fp, *_):  # noqa: N802 (pywsgi's name)
        return RequestHeaders(fp)

    def read_requestline(self):
        # the clock starts when we wait for a request (also an idle keep-alive connection)
        lim = self.server.limits
        self._deadline = gevent.Timeout.start_new(
            lim.over_cap_timeout_s if self.over_cap else lim.request_timeout_s, RequestTimeout)
        return super().read_requestline()

    def end_deadline(self):
        if self._deadline is not None:
            self._deadline.close()
            self._deadline = None

    def handle(self):
        try:
            super().handle()
        except RequestTimeout:
            pass  # handle()'s own cleanup has closed the socket
        finally:
            self.end_deadline()

    def handle_one_request(self):
        try:
            return super().handle_one_request()
        finally:
            self.end_deadline()

    def get_environ(self):
        env = super().get_environ()
        env["hallq.handler"] = self
        return env

    def log_request(self):
        pass  # no access log: query strings may carry a stream token; the app logs what matters


# a window's call: what the hall's screens and speakers wait for (POST …/windows/<n>/<action>)
CALLS = tuple("/" + action for action in CALL_ACTIONS)


def is_window_call(method: str, path: str) -> bool:
    """The request is a window's call (services/queue.py CALL_ACTIONS)."""
    return method == "POST" and path.endswith(CALLS) and "/windows/" in path


class HallServer(WSGIServer):
    handler_class = HallHandler

    def __init__(self, listener, app, *, limits: Limits, hub: StreamHub, threads: int):
        self.limits = limits
        self.ledger = Ledger(limits)
        self.hub = hub
        self.in_flight = 0  # API requests running in worker threads (touched only in the loop)
        self.calls = 0  # of them, windows' calls (touched only in the loop)
        self._no_calls = gevent.event.Event()  # set while no call runs
        self._no_calls.set()
        hub.running = lambda: self.in_flight > 0
        # the older generations of Python's garbage collector run between requests (collector.py)
        self.collector = collector.from_env(lambda: self.in_flight > 0 or hub.pending())
        self.workers = ThreadPool(threads)
        self.flask_app = app
        super().__init__(listener, self.dispatch, log=None, error_log=logging.getLogger("hallq.http"))
        self.max_accept = 200

    # ---------------------------------------------------------- connections
    def handle(self, sock, address):
        ip = address[0] if isinstance(address, tuple) else str(address)
        state = self.ledger.open_connection(ip)
        if state == "full":
            try:
                sock._sock.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                b"Connection: close\r\nRetry-After: 5\r\n\r\n")
            except OSError:
                pass
            sock.close()
            return
        try:  # answers and events go out at once (no Nagle delay waiting for the client's ACK)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        handler = self.handler_class(sock, address, self)
        handler.over_cap = state == "over"
        try:
            handler.handle()
        finally:
            self.ledger.close_connection(ip, state == "ok" and not handler.trusted)

    # ---------------------------------------------------------- requests
    def client_address(self, environ) -> str:
        addr = environ.get("REMOTE_ADDR") or ""
        if addr in self.limits.trusted_proxies:
            return environ.get("HTTP_X_REAL_IP", addr).strip() or addr
        return addr

    def dispatch(self, environ, start_response):
        handler = environ["hallq.handler"]
        try:
            body = self._read_body(environ)
        except RequestTimeout:
            handler.close_connection = True
            return _json(start_response, "408 Request Timeout", "request_timeout",
                         "请求发送超时 (the request did not arrive in time)")
        except ValueError:
            handler.close_connection = True
            return _json(start_response, "413 Payload Too Large", "too_large",
                         "请求体过大 (request body too large)")
        finally:
            handler.end_deadline()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["hallq.client_address"] = self.client_address(environ)
        if handler.over_cap and not handler.trusted and not _has_token(environ):
            handler.close_connection = True
            self.ledger.refused["connection"] += 1
            return _json(start_response, "429 Too Many Requests", "too_many_connections",
                         "此地址连接过多 (too many connections from this address)")
        live, call = None, False
        path = environ.get("PATH_INFO", "")
        if environ["REQUEST_METHOD"] == "GET" and path.endswith("/events"):
            live = environ["hallq.live"] = LiveRequest()
        elif is_window_call(environ["REQUEST_METHOD"], path):
            call = True
        if call:
            self.calls += 1
            self._no_calls.clear()
        elif live is None and self.calls and self.limits.calls_ahead_s > 0:
            self._no_calls.wait(self.limits.calls_ahead_s)  # calls first (the module's doc)
        self.in_flight += 1
        if self.collector is not None:
            self.collector.activity()
        try:
            status, headers, chunks, trusted, events = self.workers.spawn(self._run_app, environ).get()
        finally:
            self.in_flight -= 1
            if self.collector is not None:
                self.collector.activity()
            if call:
                self.calls -= 1
                if not self.calls:
                    self._no_calls.set()
        if trusted and not handler.trusted:
            handler.trusted = True
            if not handler.over_cap:
                self.ledger.trust_connection(handler.client_address[0])
        if live is not None and live.hall_id is not None and status.startswith("200"):
            if events:
                self.hub.wake()
            return self._stream(environ, handler, live, headers, start_response)
        start_response(status, headers)
        return _ThenWake(chunks, self.hub.wake) if events else chunks

    def _read_body(self, environ) -> bytes:
        length = environ.get("CONTENT_LENGTH")
        chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        if not chunked and not length:
            return b""
        if length and int(length) > self.limits.max_body:
            raise ValueError("too large")
        data = environ["wsgi.input"].read(self.limits.max_body + 1)
        if len(data) > self.limits.max_body:
            raise ValueError("too large")
        return data

    def _run_app(self, environ):
        """In a worker thread: the whole Flask request, its answer collected."""
        out = {}

        def start_response(status, headers, exc_info=None):
            out["status"], out["headers"] = status, headers
            return lambda data: out.setdefault("written", []).append(data)

        with self.hub.answer_first() as answer:
            result = self.flask_app(environ, start_response)
            try:
                chunks = out.get("written", []) + [c for c in result if c]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return out["status"], out["headers"], chunks, bool(environ.get("hallq.trusted")), answer.events

    def _stream(self, environ, handler, live: LiveRequest, headers, start_response):
        address = environ["hallq.client_address"]
        why = self.ledger.open_stream(address, live.staff)
        if why is not None:
            handler.close_connection = True
            if why == "too_many_streams":
                return _json(start_response, "429 Too Many Requests", why,
                             "此地址打开的实时连接过多 (too many event streams from this address)")
            return _json(start_response, "503 Service Unavailable", why,
                         "服务器实时连接已满，请稍后重试 (the server holds all the streams it can)")
        handler.close_connection = True  # the stream ends with the connection (close-delimited)
        chunked = environ.get("SERVER_PROTOCOL") != "HTTP/1.0"
        stream = Stream(handler.socket, live.hall_id, live.audience, live.last, chunked)
        try:
            head = ["HTTP/1.1 200 OK\r\n"]
            for k, v in headers:
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    head.append(f"{k}: {v}\r\n")
            head.append("Transfer-Encoding: chunked\r\n" if chunked else "")
            head.append("Connection: close\r\n\r\n")
            first = "".join(live.head).encode()
            handler.socket.sendall("".join(head).encode() + (chunk(first) if chunked else first))
            self.hub.hold(stream)
        except OSError:
            pass
        finally:
            self.hub.close(stream)
            self.ledger.close_stream(address, live.staff)
        return []

    def stop(self, timeout=None):
        if self.collector is not None:
            self.collector.stop()
        self.hub.stop()
        super().stop(timeout)
        self.workers.kill()


class _ThenWake(list):
    """An answer's body; pywsgi calls close() once it is written: then its events go out."""

    def __init__(self, chunks, wake):
        super().__init__(chunks)
        self._wake = wake

    def close(self):
        self._wake()


def _has_token(environ) -> bool:
    return (environ.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer ")
            or "token=" in environ.get("QUERY_STRING", ""))


def _json(start_response, status: str, code: str, message: str):
    body = json.dumps({"error": code, "message": message}, ensure_ascii=False).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]

