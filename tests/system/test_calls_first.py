"""Calls first for the interpreter (server/serving/http.py): while a window's call is running,
every other request waits in the server's loop before it starts, up to HALLQ_CALLS_AHEAD_MS;
event streams start at once. A real `server.py run`; the call is held in flight by another
connection holding SQLite's write lock."""
from __future__ import annotations

import socket
import sqlite3
import threading
import time

import pytest
import requests

from tests.fixtures.server import start_hall_server
from tests.support import PASSWORD

pytestmark = pytest.mark.alone  # times a wait of a second and a half: measured alone


@pytest.mark.parametrize("ahead_ms", [1500, 0])
def test_other_requests_wait_for_a_windows_call_up_to_the_limit_and_streams_do_not(
        sqlite_url, tmp_path, ahead_ms):
    proc = start_hall_server(sqlite_url, tmp_path / "var", env={"HALLQ_CALLS_AHEAD_MS": str(ahead_ms)})
    db = None
    try:
        url = proc.url + "/api/v1/halls/main"
        token = requests.post(proc.url + "/api/v1/auth/login", timeout=10,
                              json={"username": "clerk1", "password": PASSWORD}).json()["token"]
        staff = {"Authorization": f"Bearer {token}"}
        assert requests.post(url + "/windows/1/sign-in", headers=staff, timeout=10).ok
        kiosk = {"Authorization": f"Bearer {proc.kiosk}"}
        assert requests.post(url + "/tickets", json={"service": "social"}, headers=kiosk,
                             timeout=10).json()["number"] == "A001"

        db = sqlite3.connect(sqlite_url.split("///", 1)[1], timeout=10, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")  # the window's call waits for the database: in flight
        called = {}
        caller = threading.Thread(target=lambda: called.update(requests.post(
            url + "/windows/1/call-next", headers=staff, timeout=30).json()), daemon=True)
        caller.start()
        time.sleep(0.5)
        assert caller.is_alive()

        t0 = time.monotonic()
        s = socket.create_connection(("127.0.0.1", proc.port), timeout=10)
        s.sendall(b"GET /api/v1/halls/main/events HTTP/1.1\r\nHost: hall\r\n\r\n")
        head = b""
        while b"retry: 2000" not in head:
            data = s.recv(4096)
            assert data, head
            head += data
        stream_s = time.monotonic() - t0
        s.close()

        t0 = time.monotonic()
        services = requests.get(url + "/services", timeout=30)
        read_s = time.monotonic() - t0
        assert services.ok
        assert caller.is_alive()  # the read did not wait for the call to end
        db.execute("ROLLBACK")
        db.close()
        db = None
        caller.join(30)
        assert called["ticket"]["number"] == "A001"

        assert stream_s < 1.0, stream_s  # a display's stream is never held back
        if ahead_ms:
            assert 1.4 <= read_s < 5.0, read_s  # it waited its limit, then went
        else:
            assert read_s < 1.0, read_s  # (HALLQ_CALLS_AHEAD_MS=0: no waiting)
    finally:
        if db is not None:
            db.execute("ROLLBACK")
            db.close()
        proc.stop()
