"""Events that only keep the screens' figures current (a ticket issued, started, finished) wait a
moment for the next event (serving/streams.py `later_s`, HALLQ_SSE_LATER_MS), so a window's finish
and its next call reach the screens together, after the call's answer; a call itself never waits.
The real server, with the wait set long (1.5 s) so the order of things is plain to see."""
from __future__ import annotations

import re
import select
import socket
import time

import pytest
import requests

from tests.fixtures.server import start_hall_server
from tests.support import PASSWORD

LATER_S = 1.5
EVENT = re.compile(rb"event: ([a-z_.]+)\n")


@pytest.fixture
def hall(sqlite_url, tmp_path):
    proc = start_hall_server(sqlite_url, tmp_path / "var",
                             env={"HALLQ_SSE_LATER_MS": str(int(LATER_S * 1000))})
    yield proc
    proc.stop()


class Screen:
    """One raw event stream, as a display reads it."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(b"GET /api/v1/halls/main/events HTTP/1.1\r\nHost: hall\r\n"
                          b"Accept: text/event-stream\r\n\r\n")
        self.buf = b""
        while b"retry:" not in self.buf:
            self.buf += self.sock.recv(65536)
        self.buf = b""

    def _read(self, wait: float) -> list[str]:
        """What arrives within `wait` (at most one read): the event types read so far."""
        ready, _, _ = select.select([self.sock], [], [], wait)
        if ready:
            data = self.sock.recv(65536)
            assert data, "stream closed"
            self.buf += data
        return [m.decode() for m in EVENT.findall(self.buf)]

    def _taken(self, got: list[str]) -> list[str]:
        self.buf = b""
        return got

    def types_within(self, seconds: float) -> list[str]:
        """The event types that arrive within `seconds` (and stop arriving)."""
        deadline, got = time.monotonic() + seconds, []
        while (left := deadline - time.monotonic()) > 0:
            got = self._read(left)
        return self._taken(got)

    def wait_for(self, type_: str, timeout: float = 10.0) -> tuple[list[str], float]:
        """Read until an event of `type_` arrives: (the types read, seconds it took)."""
        t0, got = time.monotonic(), []
        while type_ not in got:
            assert time.monotonic() - t0 < timeout, f"no {type_} within {timeout} s: {got}"
            got = self._read(0.05)
        return self._taken(got), time.monotonic() - t0


def _clerk(hall):
    token = requests.post(hall.url + "/api/v1/auth/login", json={"username": "clerk1", "password": PASSWORD},
                          timeout=5).json()["token"]
    h = {"Authorization": f"Bearer {token}"}

    def act(action, **body):
        r = requests.post(f"{hall.url}/api/v1/halls/main/windows/1/{action}", headers=h, json=body or None,
                          timeout=5)
        assert r.status_code == 200, r.text
        return r.json()
    return act


def _issue(hall):
    r = requests.post(hall.url + "/api/v1/halls/main/tickets", json={"service": "social"},
                      headers={"Authorization": f"Bearer {hall.kiosk}"}, timeout=5)
    assert r.status_code == 201, r.text


def test_a_finish_waits_for_the_next_call_and_both_arrive_together_in_order(hall):
    act = _clerk(hall)
    act("sign-in")
    _issue(hall)
    _issue(hall)
    screen = Screen(hall.port)
    act("call-next")
    screen.wait_for("ticket.called")
    screen.types_within(LATER_S + 0.5)  # the issues' and anything else's turn is over

    act("finish", outcome="immediate")
    assert screen.types_within(0.6) == []  # the finish waits for what comes next
    act("call-next")
    got, took = screen.wait_for("ticket.called")
    assert got == ["ticket.finished", "ticket.called"]  # together, in the order they happened
    assert took < 1.0


def test_a_finish_with_nothing_after_it_goes_out_after_the_wait(hall):
    act = _clerk(hall)
    act("sign-in")
    _issue(hall)
    screen = Screen(hall.port)
    act("call-next")
    screen.wait_for("ticket.called")
    screen.types_within(LATER_S + 0.5)

    t0 = time.monotonic()
    act("finish", outcome="immediate")
    got, _ = screen.wait_for("ticket.finished", timeout=LATER_S + 5)
    took = time.monotonic() - t0
    assert got == ["ticket.finished"]
    assert LATER_S - 0.2 <= took <= LATER_S + 3, took


def test_a_call_never_waits(hall):
    act = _clerk(hall)
    act("sign-in")
    _issue(hall)
    screen = Screen(hall.port)
    screen.types_within(LATER_S + 0.5)  # the ticket's issue has gone out
    t0 = time.monotonic()
    act("call-next")
    got, _ = screen.wait_for("ticket.called")
    assert got == ["ticket.called"]
    assert time.monotonic() - t0 < 0.6 < LATER_S
