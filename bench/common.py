"""Shared bits of the benchmarks: a server process on a scratch database, raw SSE subscribers."""
from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_json_dumps = json.dumps
sys.path.insert(0, str(ROOT))


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))
    return s[k]


def summary(values_s):
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50": pct(ms, 50), "p99": pct(ms, 99),
            "mean": statistics.fmean(ms) if ms else float("nan")}


def table(title, rows, cols):
    print(f"\n{title}")
    widths = [max(len(c), *(len(f"{r.get(c, '')}") for r in rows)) for c in cols]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for r in rows:
        cells = []
        for c, w in zip(cols, widths):
            v = r.get(c, "")
            cells.append((f"{v:.2f}" if isinstance(v, float) else str(v)).ljust(w))
        print("  ".join(cells))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BenchServer:
    """python server.py run on a scratch SQLite (or the given URL), with accounts for the bench."""

    def __init__(self, db_url=None, threads=None, extra_env=None):
        self.tmp = Path(tempfile.mkdtemp(prefix="hallq-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = db_url or f"sqlite:///{self.tmp / 'bench.db'}"
        self.env = {**os.environ, "HALLQ_DATABASE_URL": self.db_url, "HALLQ_VAR": str(self.tmp),
                    "HALLQ_LISTEN": f"127.0.0.1:{self.port}",
                    **({"HALLQ_THREADS": str(threads)} if threads else {}),
                    "HALLQ_ALWAYS_OPEN": "1", "HALLQ_LOG": "WARNING", "HALLQ_ISSUE_PER_MIN": "1000000",
                    "HALLQ_SECRET": "bench", **(extra_env or {})}
        self.procs = []

    def cli(self, *args, stdin=None):
        return subprocess.run([sys.executable, str(ROOT / "server.py"), *args], env=self.env, cwd=ROOT,
                              input=stdin, capture_output=True, text=True, check=True).stdout.strip()

    def start(self, port=None):
        port = port or self.port
        env = {**self.env, "HALLQ_LISTEN": f"127.0.0.1:{port}"}
        p = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "run"], env=env, cwd=ROOT,
                             stdout=open(self.tmp / f"server-{port}.log", "ab"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        import requests
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self):
        for p in self.procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


class LeanResponse:
    def __init__(self, status: int, body: bytes):
        self.status_code, self.content = status, body
        self.ok = 200 <= status < 400

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content) if self.content else None


class _StampedConnection(http.client.HTTPConnection):
    """Notes when a request's first bytes are handed to the socket: a window's call starts there,
    not when its thread (one of the bench's, sharing one interpreter) decided to make it."""

    sent_at = 0.0

    def send(self, data):
        if not self.sent_at:
            self.sent_at = time.perf_counter()
        super().send(data)


class LeanClient:
    """A keep-alive HTTP/1.1 JSON client on http.client, for the benches' windows and kiosks: the
    same requests as a requests.Session (`post(url, json=...)`, `headers`), at a fraction of its
    CPU. The clients share the 2-core machine with the server they measure; on a hall's network
    each window and kiosk is its own device."""

    def __init__(self, token: str | None = None):
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.conn = None
        self.sent_at = 0.0  # when the last request's bytes went to the socket (perf_counter)

    @classmethod
    def like(cls, session) -> "LeanClient":
        """A lean client with a requests.Session's Authorization (a signed-in window)."""
        c = cls()
        c.headers = {"Authorization": session.headers["Authorization"]}
        return c

    def _request(self, method, url, body: bytes | None):
        rest = url.split("://", 1)[1]
        hostport, _, path = rest.partition("/")
        headers = {**self.headers, "Content-Type": "application/json"} if body is not None else self.headers
        for attempt in (0, 1):  # a kept-alive connection the server closed: one fresh retry
            if self.conn is None:
                host, _, port = hostport.partition(":")
                self.conn = _StampedConnection(host, int(port or 80), timeout=30)
            try:
                self.conn.sent_at = 0.0
                self.conn.request(method, "/" + path, body=body, headers=headers)
                self.sent_at = self.conn.sent_at
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return LeanResponse(r.status, data)
            except (http.client.HTTPException, ConnectionError, OSError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def post(self, url, json=None):
        return self._request("POST", url, None if json is None else _json_dumps(json).encode())

    def get(self, url):
        return self._request("GET", url, None)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


MACHINE_CPUS = sorted(os.sched_getaffinity(0))  # before place() narrows this process's


def place(server_pid: int, placement: str) -> str:
    """Where the server and the bench run: "shared" (all share every CPU), "own" (the server,
    every thread, on CPU 0 alone; this process and the readers it starts from now on the other
    CPUs, as a hall's windows, kiosks and screens are devices of their own) or "pinned" (the
    server's threads on the last CPU, the bench on every CPU: the interpreter's lock then never
    passes between cores). Says which."""
    cpus = MACHINE_CPUS
    if placement not in ("shared", "own", "pinned"):
        raise ValueError(f"unknown placement {placement!r}")
    if placement != "shared" and len(cpus) < 2:
        placement = "shared"
    server_cpus, bench_cpus = {"shared": (set(cpus), set(cpus)), "own": ({cpus[0]}, set(cpus[1:])),
                               "pinned": ({cpus[-1]}, set(cpus))}[placement]
    for tid in os.listdir(f"/proc/{server_pid}/task"):
        try:
            os.sched_setaffinity(int(tid), server_cpus)
        except OSError:  # a thread that just ended
            pass
    os.sched_setaffinity(0, bench_cpus)
    if placement == "own":
        return f"server on its own core (CPU {cpus[0]}), bench on {len(bench_cpus)}"
    if placement == "pinned":
        return f"server's threads pinned to CPU {cpus[-1]}, bench on all {len(cpus)} cores"
    return f"server and bench sharing {len(cpus)} cores"


def machine_speed_ms(n: int = 1_000_000) -> float:
    """How long a fixed loop of Python takes here now (the best of three): this VM's speed moves
    by up to 2x between hours, and every figure with it; the tables print it beside them."""
    best = float("inf")
    for _ in range(3):
        t0, acc = time.perf_counter(), 0
        for i in range(n):
            acc += i * i
        best = min(best, time.perf_counter() - t0)
    return 1000 * best


def raise_open_files_limit():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def source_address(i: int, per_address: int = 40) -> tuple[str, int]:
    """The i-th client's loopback address (127.0.x.y from 127.0.10.1 on)."""
    k = i // per_address
    return (f"127.0.{10 + k // 250}.{1 + k % 250}", 0)


EVENT_LINE = re.compile(rb"id: (\d+)\nevent: ([a-z_.]+)\n")


def _read_streams(port, path, n, ready, stop, q, only=None):
    """Child process: n raw SSE connections on one selector; sends (event id, arrival) batches.
    Reading in its own process keeps the bench's client threads from delaying the clock."""
    raise_open_files_limit()
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(n):
        s = None
        for _attempt in range(100):  # a busy server's accept queue may be full for a moment
            try:
                # 40 streams per loopback address: a hall's screens each have their own address,
                # and the server caps anonymous streams per address
                s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                             source_address=source_address(i))
                break
            except OSError:
                time.sleep(0.1)
        if s is None:
            continue
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".encode())
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, {"buf": b"", "open": False})
        socks.append(s)
    opened, closed, batch, last_send = 0, 0, [], time.perf_counter()
    while not stop.is_set():
        readable = sel.select(0.05)
        # the data of every socket in `readable` was there when select returned: a hall's screens
        # each read their own socket, this one process reads them one after another
        seen = time.perf_counter()  # CLOCK_MONOTONIC: comparable with the parent's clock
        for key, _ in readable:
            try:
                data = key.fileobj.recv(262144)
            except (BlockingIOError, ConnectionError):
                continue
            now = time.perf_counter()
            if not data:
                sel.unregister(key.fileobj)
                closed += 1
                continue
            st = key.data
            buf = st["buf"] + data
            if not st["open"] and b"retry:" in buf:
                st["open"] = True
                opened += 1
                if opened == n:
                    ready.set()
            end = 0
            for m in EVENT_LINE.finditer(buf):
                if only is None or m.group(2) == only:
                    batch.append((int(m.group(1)), now, seen))
                end = m.end()
            st["buf"] = buf[end:][-8192:]
        if batch and time.perf_counter() - last_send > 0.02:
            q.put(batch)
            batch, last_send = [], time.perf_counter()
    if batch:
        q.put(batch)
    q.put({"opened": opened, "closed": closed})
    q.put(None)
    for s in socks:
        s.close()


class Subscribers:
    """N raw SSE connections read in a child process; records when each event id arrives."""

    def __init__(self, port, hall="main", n=200, path=None, only: bytes | None = None):
        """only: record arrivals of this event type alone (e.g. b"ticket.called"): the reader
        then does less work per event, so it takes less of the machine the server runs on."""
        self.port, self.n, self.only = port, n, only
        self.path = path or f"/api/v1/halls/{hall}/events"
        # when the reader had parsed each event off each socket, and when that socket was seen
        # ready (its data there): one process reads all n sockets one after another, which the
        # first includes and the second does not
        self.arrivals: dict[int, list[float]] = {}
        self.seen: dict[int, list[float]] = {}
        self.lock = threading.Lock()
        self.opened = self.closed = None  # known after close()

    def start(self):
        """Open the connections in a child process; ready() tells when all are open."""
        mp = multiprocessing.get_context("spawn")
        self.ready, self.stop_ev, self.q = mp.Event(), mp.Event(), mp.Queue()
        self.proc = mp.Process(target=_read_streams, daemon=True,
                               args=(self.port, self.path, self.n, self.ready, self.stop_ev, self.q,
                                     self.only))
        self.proc.start()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()
        return self

    def connect(self, timeout=60):
        self.start()
        if not self.ready.wait(timeout):
            raise RuntimeError(f"not all {self.n} subscribers connected in {timeout} s")
        return self

    def _drain(self):
        while True:
            batch = self.q.get()
            if batch is None:
                return
            if isinstance(batch, dict):  # the child's final counts
                self.opened, self.closed = batch["opened"], batch["closed"]
                continue
            with self.lock:
                for eid, at, seen in batch:
                    self.arrivals.setdefault(eid, []).append(at)
                    self.seen.setdefault(eid, []).append(seen)

    def wait_for(self, event_id, count=None, timeout=10):
        count = count or self.n
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.arrivals.get(event_id, [])) >= count:
                    return True
            time.sleep(0.005)
        return False

    def close(self):
        self.stop_ev.set()
        self.thread.join(10)
        self.proc.join(10)

def sequential(url, kiosk, w1, n):
    """n issues, then n call-next + finish at window 1, one at a time: (issue times, call times) in s."""
    issue_t, call_t = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        r = kiosk.post(f"{url}/api/v1/halls/main/tickets", json={"service": "social"})
        issue_t.append(time.perf_counter() - t0)
        assert r.status_code == 201, r.text
    for _ in range(n):
        t0 = time.perf_counter()
        r = w1.post(f"{url}/api/v1/halls/main/windows/1/call-next")
        call_t.append(time.perf_counter() - t0)
        assert r.ok and r.json()["ticket"], r.text
        w1.post(f"{url}/api/v1/halls/main/windows/1/finish", json={"outcome": "immediate"})
    return issue_t, call_t
