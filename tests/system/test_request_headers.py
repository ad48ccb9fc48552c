"""The event server reads request headers itself (server/serving/http.py RequestHeaders) instead of
through the email package: what clients send must still mean the same, and what is not HTTP is
refused with 400. Raw sockets against a real `server.py run`."""
from __future__ import annotations

import io
import json
import socket

import pytest

from server.serving.http import RequestHeaders
from tests.fixtures.server import start_hall_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("headers")
    proc = start_hall_server(f"sqlite:///{tmp / 'hallq.db'}", tmp / "var")
    yield proc
    proc.stop()


def exchange(port, raw: bytes, answers=1) -> list[tuple[int, dict, bytes]]:
    """Send `raw` on one connection; read `answers` HTTP answers (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(raw)
        f = s.makefile("rb")
        out = []
        for _ in range(answers):
            status = f.readline()
            if not status:
                break
            code = int(status.split()[1])
            head = {}
            while (line := f.readline()) not in (b"\r\n", b""):
                k, _, v = line.decode("latin-1").partition(":")
                head[k.strip().lower()] = v.strip()
            body = f.read(int(head.get("content-length", 0)))
            out.append((code, head, body))
        return out


def ticket_request(token: str, headers: str, body: bytes) -> bytes:
    return (f"POST /api/v1/halls/main/tickets HTTP/1.1\r\nHost: hall\r\n{headers}"
            f"\r\n").encode() + body


def test_fields_are_read_whatever_their_case_and_a_folded_line_continues_its_field(server):
    body = json.dumps({"service": "social"}).encode()
    raw = ticket_request(server.kiosk, f"authorization: Bearer {server.kiosk}\r\n"
                         f"CONTENT-TYPE: application/json\r\nContent-Length: {len(body)}\r\n"
                         "X-Note: first part\r\n\tsecond part\r\n", body)
    [(code, _, answer)] = exchange(server.port, raw)
    assert code == 201, answer
    assert json.loads(answer)["number"] == "A001"


def test_keep_alive_serves_several_requests_on_one_connection_until_connection_close(server):
    raw = (b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n\r\n"
           b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\nConnection: close\r\n\r\n"
           b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n\r\n")
    answers = exchange(server.port, raw, answers=3)
    assert [a[0] for a in answers] == [200, 200]  # nothing after Connection: close


def test_a_chunked_body_wins_over_a_content_length(server):
    body = json.dumps({"service": "social"}).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    raw = ticket_request(server.kiosk, f"Authorization: Bearer {server.kiosk}\r\n"
                         "Content-Type: application/json\r\nContent-Length: 3\r\n"
                         "Transfer-Encoding: chunked\r\n", chunked)
    [(code, _, answer)] = exchange(server.port, raw)
    assert code == 201, answer


@pytest.mark.parametrize("bad", [
    b"No colon here\r\n",
    b"\tfolded before any field\r\n",
    b": no name\r\n",
    b"".join(b"X-F%d: v\r\n" % i for i in range(101)),
    b"X-Long: " + b"a" * 70000 + b"\r\n",
], ids=["no colon", "fold first", "no name", "101 fields", "70 KiB line"])
def test_what_is_not_a_header_is_refused_with_400_and_the_server_goes_on(server, bad):
    raw = b"GET /api/v1/health HTTP/1.1\r\n" + bad + b"Host: hall\r\n\r\n"
    [(code, _, _)] = exchange(server.port, raw)
    assert code == 400
    [(code, _, _)] = exchange(server.port, b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n\r\n")
    assert code == 200


def test_the_reader_keeps_first_values_raw_lines_and_deletes_every_copy():
    h = RequestHeaders(io.BytesIO(b"Host: a\r\nX-Dup: one\r\nx-dup: two\r\nContent-Type: text/plain\r\n"
                                  b"Content-Length: 5\r\n\r\nbody!"))
    assert h.status == ""
    assert h.get("X-DUP") == "one" and h.getheader("content-length") == "5"
    assert h.typeheader == "text/plain"
    assert h.headers == ["Host: a\r\n", "X-Dup: one\r\n", "x-dup: two\r\n", "Content-Type: text/plain\r\n",
                         "Content-Length: 5\r\n"]
    del h["x-dup"]
    assert h.get("x-dup") is None and all("dup" not in ln.lower() for ln in h.headers)
    del h["not-there"]  # as the email parser's message: no error
