"""Event streams held by the server's loop: one fan-out writer sends each new event to every open
stream of its hall, formatted once per audience, with non-blocking writes.

The event bus (services/bus.py) takes new events in ordinary threads (a request's commit, its
pump, PostgreSQL NOTIFY) and tells this hub, which wakes its loop through a gevent async watcher
(the one thread-safe way into a gevent loop). Events committed by an API request wake the fan-out
only once that request's answer is written (`answer_first`): a call-next is answered before its
event goes out to thousands of streams, instead of waiting behind that fan-out.

Events that only keep figures current (a ticket issued, started, finished) wait a moment
(`later_s`, 30 ms) for the next event, so a window's finish and its next call go out together.

A stream whose client cannot keep up gets its own short flush; one that still cannot take its
data is closed, and its client reconnects with Last-Event-ID and loses nothing.
"""
from __future__ import annotations

import ctypes
import errno
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager

import gevent
from gevent.event import Event

from ..services.public_events import FIGURES_ONLY

log = logging.getLogger(__name__)

PING = b": ping\n\n"


def _held_send():
    """send(2) on a non-blocking socket that keeps the interpreter (ctypes.PyDLL holds the GIL
    across the call), or None where libc's send cannot be found (Windows: socket.send is used).

    Python's socket.send lets go of the interpreter around every call. In a pass over a hall's
    200 screens a worker thread could take it at any send and keep it for up to the switch
    interval (5 ms): a pass of 2-3 ms of work took 8-16 ms, with a burst of calls waiting in it
    (bench/README.md, thirteenth pass). The sockets are non-blocking, so the interpreter waits
    only the few microseconds of each send; a long pass still lets requests run between its
    slices, and Python still switches threads at its interval."""
    if os.name != "posix":
        return None
    try:
        fn = ctypes.PyDLL(None, use_errno=True).send
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_ssize_t
    flags = getattr(socket, "MSG_NOSIGNAL", 0)  # a closed peer is an error, not SIGPIPE
    again = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)

    def send(sock, data: bytes) -> int:
        """Bytes sent, 0 when the socket's buffer is full; OSError otherwise (EBADF once the
        socket is closed: its fileno() is then -1, never a number reused by another socket)."""
        n = fn(sock.fileno(), data, len(data), flags)
        if n >= 0:
            return n
        err = ctypes.get_errno()
        if err in again:
            return 0
        raise OSError(err, os.strerror(err))

    return send


def _socket_send(sock, data: bytes) -> int:
    try:
        return sock.send(data)
    except BlockingIOError:
        return 0


send_now = _held_send() or _socket_send


def chunk(data: bytes) -> bytes:
    """HTTP/1.1 chunked framing: clients that read a body in fixed sizes (requests, urllib3) get
    each event as it is sent, not when a buffer fills."""
    return b"%x\r\n%s\r\n" % (len(data), data) if data else b""


class Stream:
    """One open event stream: its socket, hall, audience and the last event id it was sent."""

    __slots__ = ("sock", "raw", "hall_id", "audience", "last", "pending", "closed", "done", "flushing",
                 "chunked")

    def __init__(self, sock, hall_id: int, audience: str, last: int, chunked: bool = True):
        self.chunked = chunked
        self.sock = sock
        self.raw = getattr(sock, "_sock", sock)  # the OS socket under gevent's: send() never waits
        self.hall_id = hall_id
        self.audience = audience
        self.last = last
        self.pending = b""
        self.closed = False
        self.done = Event()
        self.flushing = False


class _Answer:
    """A request being answered in a worker thread: whether it committed events."""

    __slots__ = ("events",)

    def __init__(self):
        self.events = False


class StreamHub:
    """All event streams of this process; lives in (and is only touched from) the gevent loop,
    except `answer_first` and the bus listener, which worker threads call."""

    SLICE = 100  # streams written between two looks at the loop in a long pass
    LATER = FIGURES_ONLY  # events that may wait for the next (services/public_events.py)

    def __init__(self, bus, *, heartbeat_s: float = 15.0, flush_timeout_s: float = 10.0,
                 max_pending: int = 1 << 20, running=None, gap_s: float = 0.02,
                 gap_min_s: float = 0.005,
                 long_pass: int = 500, yield_s: float = 0.02, later_s: float = 0.03):
        self.bus = bus
        # after a pass, new events wait as long as it took (at least gap_min_s, at most gap_s) to
        # go out together: one write per stream for a burst of events, not one per event; the
        # first event after a quiet spell goes at once
        self.gap_s = gap_s
        self.gap_min_s = gap_min_s
        # new events that only keep the screens' figures current (LATER) wait up to later_s for
        # the next event: a window's finish is followed by its next call, and both then go out in
        # one pass, after the call's answer. With thousands of streams a pass is tens of ms, and
        # the call no longer waits behind the finish's (bench/README.md, twelfth pass)
        self.later_s = later_s
        # running(): API requests are running in worker threads. A pass over more than
        # long_pass streams (a county's thousands of phones) is cut in slices: between them the
        # loop reads new requests and lets running ones have the interpreter, up to yield_s a
        # pass. A hall's few hundred screens (~2 ms of sends) go in one go.
        self.running = running or (lambda: False)
        self.long_pass = long_pass
        self.yield_s = yield_s
        self._answering = threading.local()  # the _Answer of the request a worker thread runs
        self.heartbeat_s = heartbeat_s
        self.flush_timeout_s = flush_timeout_s
        self.max_pending = max_pending
        self.halls: dict[int, set[Stream]] = {}
        self.seen = bus.last_id
        self.stopped = False
        self._wake = Event()
        self._watcher = gevent.get_hub().loop.async_()
        self._watcher.start(self._wake.set)
        bus.listeners.append(self._on_events)
        self._greenlets = [gevent.spawn(self._fanout_loop), gevent.spawn(self._heartbeat_loop)]

    def pending(self) -> bool:
        """Events the bus holds that the fan-out has not sent yet."""
        return self.bus.last_id > self.seen

    @property
    def count(self) -> int:
        return sum(len(s) for s in self.halls.values())

    # ---------------------------------------------------------- streams come and go
    def add(self, stream: Stream) -> None:
        """Start sending to `stream` (its head and backlog are already written)."""
        self.halls.setdefault(stream.hall_id, set()).add(stream)
        # events that came while its backlog was read in a worker thread
        items = self.bus.items_after(stream.hall_id, stream.last, 5000)
        if items:
            data = self._texts(items, stream.audience, stream.last)
            self._send(stream, chunk(data) if stream.chunked else data)
            stream.last = max(stream.last, items[-1][0]["id"])

    def close(self, stream: Stream) -> None:
        if stream.closed:
            return
        stream.closed = True
        subs = self.halls.get(stream.hall_id)
        if subs is not None:
            subs.discard(stream)
            if not subs:
                del self.halls[stream.hall_id]
        try:
            stream.raw.shutdown(2)  # the holding greenlet's read returns and the socket closes
        except OSError:
            pass
        stream.done.set()

    def hold(self, stream: Stream) -> None:
        """Run in the connection's greenlet: wait until the client goes away or the stream is
        closed. An SSE client sends nothing after its request, so a readable socket means EOF."""
        self.add(stream)
        try:
            while not stream.closed:
                try:
                    data = stream.sock.recv(4096)
                except OSError:
                    break
                if not data:
                    break
        finally:
            self.close(stream)

    def stop(self) -> None:
        self.stopped = True
        for subs in list(self.halls.values()):
            for s in list(subs):
                self.close(s)
        if self._watcher.send in self.bus.listeners:
            self.bus.listeners.remove(self._watcher.send)
        gevent.killall(self._greenlets, block=False)

    # ---------------------------------------------------------- waking the fan-out
    def _on_events(self) -> None:
        """The bus took new events (any thread). Inside a request (answer_first) the wake waits
        for its answer; otherwise wake the loop now (thread-safe)."""
        answer = getattr(self._answering, "current", None)
        if answer is not None:
            answer.events = True
        else:
            self._watcher.send()

    @contextmanager
    def answer_first(self):
        """In a worker thread, around one request: yields its _Answer. If the request committed
        events, the caller must call wake() once the answer is written. If the request fails, the
        fan-out is woken here (nothing may be held back for good)."""
        answer = self._answering.current = _Answer()
        try:
            yield answer
        except BaseException:
            if answer.events:
                self._watcher.send()
            raise
        finally:
            self._answering.current = None

    def wake(self) -> None:
        """In the loop: send what the bus holds now."""
        self._wake.set()

    # ---------------------------------------------------------- fan-out
    @staticmethod
    def _texts(items, audience: str, after: int) -> bytes:
        if audience == "staff":
            return "".join(i[1] for i in items if i[0]["id"] > after).encode()
        return "".join(i[3] for i in items if i[3] is not None and i[0]["id"] > after).encode()

    def _only_later(self) -> bool:
        """Every event not yet sent is one that may wait (LATER)."""
        for hall_id in list(self.halls):
            for item in self.bus.items_after(hall_id, self.seen, 100):
                if item[0]["type"] not in self.LATER:
                    return False
        return True

    def _hold_later(self) -> None:
        """New events that may wait (LATER) wait up to later_s for an event that may not (a call,
        a recall, a window opening...), which takes them along; at the end of later_s they go
        alone."""
        deadline = time.perf_counter() + self.later_s
        while self._only_later():
            left = deadline - time.perf_counter()
            if left <= 0:
                return
            self._wake.wait(left)
            self._wake.clear()

    def _fanout_loop(self):
        while not self.stopped:
            self._wake.wait()
            self._wake.clear()
            if self.later_s > 0:
                try:
                    self._hold_later()
                except Exception:
                    log.exception("event fan-out: looking at new events failed")
            started = time.thread_time()
            try:
                self.fan_out()
            except Exception:
                log.exception("event fan-out failed")
            # the next pass waits as long as this one took of the loop's own CPU (within
            # gap_min_s..gap_s): a hall's few hundred screens (2-3 ms a pass) get each event
            # within a few ms, a county's thousands (tens of ms a pass) get bursts together and
            # the loop keeps at least half its time for requests. Not the pass's wall time: that
            # includes the worker threads' turns with the interpreter, longest in a burst of calls
            gevent.sleep(min(self.gap_s, max(self.gap_min_s, time.thread_time() - started)))

    def fan_out(self) -> None:
        upto = self.bus.last_id
        since = self.seen
        yielded = 0.0
        for hall_id, subs in list(self.halls.items()):
            items = self.bus.items_after(hall_id, since, 5000)
            if not items:
                continue
            newest = items[-1][0]["id"]
            cache: dict[tuple, bytes] = {}
            long = len(subs) > self.long_pass
            for k, s in enumerate(list(subs)):
                if long and k and k % self.SLICE == 0:
                    # a turn of the loop with a poll that does not block (sleep(0) skips the poll,
                    # a timer waits a whole millisecond): new requests are read, answers written
                    gevent.idle()
                    while self.running() and yielded < self.yield_s:
                        gevent.sleep(0.001)  # the loop waits (without the GIL): requests run
                        yielded += 0.001
                if s.last >= newest:
                    continue
                key = (s.audience, s.last if s.last > since else since, s.chunked)
                data = cache.get(key)
                if data is None:
                    data = self._texts(items, s.audience, key[1])
                    data = cache[key] = chunk(data) if s.chunked else data
                s.last = newest
                if data:
                    self._send(s, data)
        self.seen = max(since, upto)

    def _send(self, s: Stream, data: bytes) -> None:
        if s.closed:
            return
        if s.pending:
            s.pending += data
            if len(s.pending) > self.max_pending:
                self.close(s)
            return
        try:
            n = send_now(s.raw, data)
        except OSError:
            self.close(s)
            return
        if n < len(data):
            s.pending = data[n:]
            if not s.flushing:
                s.flushing = True
                gevent.spawn(self._flush, s)

    def _flush(self, s: Stream) -> None:
        """A slow client: wait (cooperatively) for its socket to take the rest, or close it."""
        try:
            with gevent.Timeout(self.flush_timeout_s, False):
                while s.pending and not s.closed:
                    data, s.pending = s.pending, b""
                    s.sock.sendall(data)
                return
            self.close(s)
        except OSError:
            self.close(s)
        finally:
            s.flushing = False

    def _heartbeat_loop(self):
        while not self.stopped:
            gevent.sleep(self.heartbeat_s)
            if self.pending():  # a safety net: nothing stays unsent past a beat
                self._wake.set()
            for subs in list(self.halls.values()):
                for s in list(subs):
                    self._send(s, chunk(PING) if s.chunked else PING)
