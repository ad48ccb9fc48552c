"""Test support shared by every suite: dependency checks, a PostgreSQL cluster, a live server,
a hall with staff and devices. Tests import from here; fixtures are in conftest.py."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "Passw0rd-demo"


def need(what: str, ok: bool, hint: str = "") -> None:
    """Skip when a dependency is missing on a developer machine; fail loudly under CI."""
    if ok:
        return
    msg = f"missing dependency: {what}" + (f" ({hint})" if hint else "")
    if CI:
        pytest.fail(msg + " - the install step must provide it", pytrace=False)
    pytest.skip(msg)


def need_binary(name: str, hint: str = "") -> str:
    path = shutil.which(name)
    need(name, path is not None, hint or f"apt-get install {name}")
    return path


def xvfb_server_num() -> int:
    """Where `xvfb-run -a` starts looking for a free X display: apart for each pytest-xdist worker
    (gw0, gw1, ...), and apart from the demo's default 99, so two workers starting Xvfb at once
    cannot both pick the same display."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 200 + 20 * int(worker[2:] or 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout}s: {last}")


# ------------------------------------------------------------------ PostgreSQL

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def pg_bin(name: str) -> str | None:
    for d in PG_BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    return shutil.which(name)


class PostgresCluster:
    """A throwaway PostgreSQL cluster with trust auth on 127.0.0.1, started by the tests."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="hallq-pg-"))
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self._n = 0

    def _run(self, *cmd):
        if self.as_root:
            cmd = ("runuser", "-u", "postgres", "--") + cmd
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self):
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        self._run(pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._run(pg_bin("pg_ctl"), "-D", str(data), "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                  f"-c max_connections=300", "-w", "-l", str(self.dir / "log"), "start")
        return self

    def stop(self):
        try:
            self._run(pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def new_database(self) -> str:
        import psycopg
        self._n += 1
        name = f"hallq_{os.getpid()}_{self._n}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


def postgres_available() -> bool:
    return pg_bin("initdb") is not None and pg_bin("pg_ctl") is not None


# ------------------------------------------------------------------ the hall under test

class HallClient:
    """Talks to a hallq server (Flask test client or a live URL) as its users would."""

    def __init__(self, ctx, base_url: str | None = None, flask_client=None, hall: str = "main"):
        self.ctx, self.base, self.client, self.hall = ctx, base_url, flask_client, hall
        self.tokens: dict[str, str] = {}

    # -- raw HTTP
    def request(self, method: str, path: str, token: str | None = None, json=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        if self.client is not None:
            r = self.client.open(path, method=method, json=json, headers=h)
            return _Resp(r.status_code, r.get_json(silent=True), r.headers, r.data)
        r = requests.request(method, self.base + path, json=json, headers=h, timeout=30)
        try:
            body = r.json()
        except ValueError:
            body = None
        return _Resp(r.status_code, body, r.headers, r.content)

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token, **kw)

    def post(self, path, token=None, json=None, **kw):
        return self.request("POST", path, token, json=json, **kw)

    def hp(self, path: str) -> str:
        return f"/api/v1/halls/{self.hall}{path}"

    # -- accounts
    def add_staff(self, username: str, windows: list[int], role: str = "staff", name: str | None = None):
        from server.services import auth
        auth.add_user(self.ctx, username, name or username, role, PASSWORD,
                      hall_code=None if role == "admin" else self.hall, windows=windows,
                      staff_no=f"NO{abs(hash(username)) % 10000:04d}", duties="综合受理")
        return self.sign_in(username)

    def sign_in(self, username: str) -> str:
        """Sign `username` in (PASSWORD) through the API, again after a test moved the clock past
        the last token's lifetime; the token is kept under the name and returned."""
        r = self.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status == 200, r.body
        self.tokens[username] = r.body["token"]
        return r.body["token"]

    def add_device(self, name: str, kind: str, windows: list[int] | None = None):
        from server.services import auth
        self.tokens[name] = auth.add_device(self.ctx, self.hall, name, kind, windows or [])
        return self.tokens[name]

    # -- hall actions
    def issue(self, service="social", token="kiosk", key=None, **body):
        headers = {"Idempotency-Key": key} if key else None
        return self.post(self.hp("/tickets"), token, json={"service": service, **body}, headers=headers)

    def act(self, window: int, action: str, token: str, json=None):
        return self.post(self.hp(f"/windows/{window}/{action}"), token, json=json)


class _Resp:
    def __init__(self, status, body, headers, raw):
        self.status, self.body, self.headers, self.raw = status, body, headers, raw

    def __repr__(self):
        return f"<{self.status} {self.body}>"


# ------------------------------------------------------------------ live servers

class LiveServer:
    """The real WSGI server (waitress) in a thread of the test process, on a free port."""

    def __init__(self, app, threads: int = 64):
        from waitress.server import create_server
        self.port = free_port()
        self.server = create_server(app, host="127.0.0.1", port=self.port, threads=threads,
                                    connection_limit=threads + 100, channel_timeout=30)
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        # waitress's run() loops forever; closing its sockets from another thread makes select()
        # fail on a closed descriptor. Loop in slices and close from this thread instead.
        srv = self.server
        while not self._stopping.is_set():
            srv.asyncore.loop(timeout=0.2, map=srv._map, use_poll=srv.adj.asyncore_use_poll, count=5)
        srv.close()
        for channel in list(srv._map.values()):
            channel.close()

    def start(self):
        self.thread.start()
        wait_http(self.url + "/api/v1/health")
        return self

    def stop(self):
        self._stopping.set()
        self.thread.join(5)
        # let go of the worker threads too (streams end when the app's event bus stops)
        self.server.task_dispatcher.shutdown(timeout=2)


class ServerProcess:
    """`python server.py run` as its own process (for kill/restart tests, kiosk and bridges)."""

    def __init__(self, db_url: str, var_dir: Path, port: int | None = None, env: dict | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HALLQ_DATABASE_URL": db_url, "HALLQ_VAR": str(var_dir),
                    "HALLQ_LISTEN": f"127.0.0.1:{self.port}", "HALLQ_THREADS": "80",
                    "HALLQ_ALWAYS_OPEN": "1", "HALLQ_LOG": "WARNING", **(env or {})}
        self.proc = None
        self.log = var_dir / f"server-{self.port}.log"

    def start(self, timeout: float = 30):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "run"], env=self.env,
                                     cwd=ROOT, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        wait_http(self.url + "/api/v1/health", timeout)
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# ---------------------------------------------------------------- device twins on real channels

DLE_EOT_ONLINE, DLE_EOT_OFFLINE_CAUSE, DLE_EOT_PAPER = b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"


class TcpPrinter:
    """A network ESC/POS printer (raw port 9100) on a real 127.0.0.1 socket. It answers the
    real-time status queries (DLE EOT n) as a healthy printer would, or out of paper while
    `paper_out` is set, or as `answers` says; `received` keeps every byte, `data` the job without
    the queries; `jobs` counts connections that sent a job."""

    def __init__(self, answers: dict[bytes, bytes] | None = None, paper_out: bool = False):
        self.answers = answers
        self.paper_out = paper_out
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.received = bytearray()
        self.data = bytearray()
        self.jobs = 0
        self.connections = 0
        self.first_byte_at: float | None = None
        self._lock = threading.Lock()
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _answer(self, query: bytes) -> bytes | None:
        if self.answers is not None:
            return self.answers.get(query)
        if query == DLE_EOT_PAPER:
            return b"\x72" if self.paper_out else b"\x12"
        return b"\x12"

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn):
        with conn:
            buf, sent_job = b"", False
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                with self._lock:
                    self.received += chunk
                buf += chunk
                while True:  # answer status queries; the rest is the job
                    i = buf.find(b"\x10\x04")
                    if i < 0 or len(buf) < i + 3:
                        break
                    answer = self._answer(buf[i:i + 3])
                    if answer:
                        conn.sendall(answer)
                    buf = buf[:i] + buf[i + 3:]
                keep = b"\x10" if buf.endswith(b"\x10") else (b"\x10\x04" if buf.endswith(b"\x10\x04") else b"")
                job = buf[:len(buf) - len(keep)]
                buf = keep
                if job:
                    sent_job = True
                    with self._lock:
                        if self.first_byte_at is None:
                            self.first_byte_at = time.perf_counter()
                        self.data += job
        if sent_job:
            with self._lock:
                self.jobs += 1

    def reset(self):
        with self._lock:
            self.data = bytearray()
            self.received = bytearray()
            self.first_byte_at = None

    def close(self):
        self._stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the serving thread's accept()
        except OSError:
            pass
        self.sock.close()


class PtyPair:
    """A socat pair of connected pseudo terminals at stable symlink paths a and b (a real serial
    line for drivers and bridges; a pty pair ignores the baud rate)."""

    def __init__(self, directory: Path, name: str = "pty") -> None:
        self.socat = need_binary("socat", "apt-get install socat")
        self.a = str(Path(directory) / f"{name}-a")
        self.b = str(Path(directory) / f"{name}-b")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "PtyPair":
        self.proc = subprocess.Popen(
            [self.socat, "-d", "-d", f"pty,raw,echo=0,link={self.a}", f"pty,raw,echo=0,link={self.b}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 5
        while not (os.path.exists(self.a) and os.path.exists(self.b)):
            if self.proc.poll() is not None:
                raise RuntimeError(f"socat exited: {self.proc.stderr.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise RuntimeError("socat did not create the pty links in 5 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
        deadline = time.monotonic() + 3
        while (os.path.lexists(self.a) or os.path.lexists(self.b)) and time.monotonic() < deadline:
            time.sleep(0.01)
