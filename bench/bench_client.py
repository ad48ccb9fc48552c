"""The device client's event stream (client.EventStream): how fast it reads, and how late each
event reaches the device, over a real local socket.

    .venv/bin/python bench/bench_client.py [--events 20000] [--trickle 200]

A small HTTP server in this process answers GET …/events with a chunked text/event-stream, as the
hall server does: first `--events` events written as fast as the socket takes them (a replay
after a reconnect: throughput), then `--trickle` events one every 5 ms (live calls: latency from
the server's write to the device's iterator, p50/p99).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from client import EventStream  # noqa: E402


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))] if s else float("nan")


def serve(listener: socket.socket, burst: int, trickle: int) -> None:
    conn, _ = listener.accept()
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")

    def chunk(data: bytes) -> None:
        conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))

    ticket = {"id": 1, "number": "A001", "service": "social", "status": "called", "window": 3}
    for i in range(1, burst + trickle + 1):
        body = json.dumps({"id": i, "type": "ticket.called", "window": 3, "ticket": ticket,
                           "sent": time.perf_counter()}, ensure_ascii=False)
        chunk(f"id: {i}\nevent: ticket.called\ndata: {body}\n\n".encode())
        if i > burst:
            time.sleep(0.005)
    chunk(b": end\n\n")
    time.sleep(1)
    conn.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--trickle", type=int, default=200)
    args = ap.parse_args()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    threading.Thread(target=serve, args=(listener, args.events, args.trickle), daemon=True).start()
    stream = EventStream(f"http://127.0.0.1:{port}", "main", backoff_min=5, backoff_max=5)
    lat, n, t0 = [], 0, None
    burst_s = None
    for ev in stream.events():
        n += 1
        if n == 1:
            t0 = time.perf_counter()
        if n == args.events:
            burst_s = time.perf_counter() - t0
        if n > args.events:
            lat.append((time.perf_counter() - ev.get("sent")) * 1000)
        if n == args.events + args.trickle:
            stream.close()
    load = os.getloadavg()[0]
    print(f"\nclient.EventStream ({os.cpu_count()} CPUs, load {load:.1f})")
    print(f"{'what':34} {'n':>6} {'result':>16}")
    print(f"{'replay (burst) throughput':34} {args.events:>6} {args.events / burst_s:>12.0f} ev/s")
    print(f"{'live event latency p50':34} {len(lat):>6} {pct(lat, 50):>13.2f} ms")
    print(f"{'live event latency p99':34} {len(lat):>6} {pct(lat, 99):>13.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
