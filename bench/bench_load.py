"""Load benchmark (issue 8): ten times a busy hall on PostgreSQL with several server processes.

  .venv/bin/python bench/bench_load.py [--processes 4] [--windows 110] [--kiosks 20]
                                       [--subscribers 2000] [--seconds 30] [--cycle 30]
                                       [--kiosk-interval 5]

Pace: a busy hall of 11 windows serves about 500 residents a day (one call a minute); ten times
that is about 0.2 calls/s. The defaults (each window's cycle about 30 s, each kiosk a ticket every
5 s) run about 3.5 calls and 4 tickets a second: some 18 times faster than the real ten-fold hall,
so a 30 s run covers a busy hour. `--cycle 6 --kiosk-interval 1` is a stress run.

The bench starts its own PostgreSQL cluster (tests.support.PostgresCluster), a hall config with
`--windows` windows (assets/halls/main.toml's eleven, repeated), `--processes` server processes
on one database (clients spread over them, no proxy), `--subscribers` raw SSE connections spread
over the processes and read in child processes (one per server process, selectors), `--kiosks`
kiosk threads issuing tickets and one thread per window calling, serving briefly and finishing
(a window's cycle is about `--cycle` seconds). It measures call -> subscriber delivery (p50, p99
over every subscriber of every call), missed deliveries, tickets issued per second, call rate and
errors, and prints a table. Loopback only; bounded in time. No pass/fail: the numbers are the result.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

import requests

from common import ROOT, BenchServer, Subscribers, summary, table

PASSWORD = "Bench-passw0rd"
TIMEOUT = 15  # s per request: a slower answer counts as an error


# ------------------------------------------------------------------ the hall

def hall_file(windows: int, tmp: Path) -> Path:
    """main.toml with its eleven windows repeated up to `windows` (same services and policies)."""
    text = (ROOT / "assets" / "halls" / "main.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    base = data["windows"]
    head = text[:text.index("[[windows]]")]
    tail_at = text.find("\n[", text.rindex("[[windows]]") + 1)
    tail = text[tail_at:] if tail_at > 0 else ""
    tail = re.sub(r"(?ms)^\[keypads\].*?(?=^\[|\Z)", "", tail)  # bench has no serial bus
    blocks = []
    for n in range(1, windows + 1):
        w = base[(n - 1) % len(base)]
        services = ", ".join(f'"{s}"' for s in w["services"])
        blocks.append(f'[[windows]]\nnumber = {n}\nname = "{n}号窗口"\nservices = [{services}]\n'
                      f'policy = "{w.get("policy", "ordered")}"\n')
    path = tmp / "hall-load.toml"
    path.write_text(head + "\n".join(blocks) + tail, encoding="utf-8")
    return path


def accounts(db_url: str, windows: int, kiosks: int, hall_path: Path) -> list[str]:
    os.environ["HALLQ_SECRET"] = "bench"
    from server.services.halls import ensure_db
    from server.services import auth
    from server.services.context import create_hallq
    ctx = create_hallq(db_url, start_bus=False)
    ensure_db(ctx, [str(hall_path)])
    # one argon2 hash for everyone: 110 hashes would take the bench's first minute
    from server.services.auth import _hasher
    from server.store import tables as t
    hashed = _hasher.hash(PASSWORD)
    with ctx.uow() as uow:
        hall_id = ctx.hall(uow.conn, "main").id
        now = ctx.now()
        uow.execute(t.users.insert(), [dict(username=f"w{n}", name=f"窗口{n}", role="staff",
                                            password_hash=hashed, hall_id=hall_id, windows=[n],
                                            active=True, created_at=now)
                                       for n in range(1, windows + 1)])
        uow.commit()
    tokens = [auth.add_device(ctx, "main", f"kiosk-{k}", "kiosk") for k in range(kiosks)]
    ctx.db.dispose()
    return tokens


def start_server(srv, port):
    """Like BenchServer.start, without its 30 s limit (four processes starting on a busy box)."""
    import subprocess
    env = {**srv.env, "HALLQ_LISTEN": f"127.0.0.1:{port}"}
    srv.procs.append(subprocess.Popen([sys.executable, str(ROOT / "server.py"), "run"], env=env,
                                      cwd=ROOT, stdout=open(srv.tmp / f"server-{port}.log", "ab"),
                                      stderr=subprocess.STDOUT))


def wait_healthy(port, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start within {timeout} s")


# ------------------------------------------------------------------ the bench

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--windows", type=int, default=110)
    ap.add_argument("--kiosks", type=int, default=20)
    ap.add_argument("--subscribers", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--cycle", type=float, default=30.0, help="seconds per window: call, serve, finish")
    ap.add_argument("--kiosk-interval", type=float, default=5.0, help="seconds between a kiosk's tickets")
    args = ap.parse_args()
    t_bench = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from tests.support import PostgresCluster
    tmp = Path(tempfile.mkdtemp(prefix="hallq-load-"))
    cluster = PostgresCluster().start()
    db_url = cluster.new_database()
    per_proc = -(-args.subscribers // args.processes)
    srv = BenchServer(db_url, threads=per_proc + 150,
                      extra_env={"HALLQ_SSE_HEARTBEAT_S": "15"})
    subs = []
    try:
        kiosk_tokens = accounts(db_url, args.windows, args.kiosks, hall_file(args.windows, tmp))
        from common import free_port
        ports = [free_port() for _ in range(args.processes)]
        for port in ports:
            start_server(srv, port)
        for port in ports:
            wait_healthy(port, 180)
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        setup_s = time.perf_counter() - t_bench

        for i, port in enumerate(ports):  # one reading child process per server process
            subs.append(Subscribers(port, n=min(per_proc, args.subscribers - i * per_proc)).start())
        t0 = time.perf_counter()
        all_open = all(sub.ready.wait(max(1, 90 - (time.perf_counter() - t0))) for sub in subs)
        connect_s = time.perf_counter() - t0

        # windows sign in (each on "its" server process)
        sessions = {}
        for n in range(1, args.windows + 1):
            s = requests.Session()
            url = urls[n % len(urls)]
            tok = s.post(f"{url}/api/v1/auth/login", json={"username": f"w{n}", "password": PASSWORD},
                         timeout=TIMEOUT).json()["token"]
            s.headers["Authorization"] = f"Bearer {tok}"
            assert s.post(f"{url}/api/v1/halls/main/windows/{n}/sign-in", timeout=TIMEOUT).ok
            sessions[n] = (s, url)
        services = [s["code"] for s in tomllib.loads(
            (ROOT / "assets/halls/main.toml").read_text(encoding="utf-8"))["services"]]

        lock = threading.Lock()
        sent: dict[int, float] = {}
        call_lat, issue_lat = [], []
        counts = {"issued": 0, "calls": 0, "empty_calls": 0, "finished": 0, "errors": 0}
        errors: dict[str, int] = {}
        stop = threading.Event()

        def bad(what):
            with lock:
                counts["errors"] += 1
                errors[what] = errors.get(what, 0) + 1

        def window_loop(n):
            s, url = sessions[n]
            rnd = random.Random(n)
            time.sleep(rnd.uniform(0, args.cycle))  # windows do not move in step
            while not stop.is_set():
                t_call = time.perf_counter()
                try:
                    r = s.post(f"{url}/api/v1/halls/main/windows/{n}/call-next", timeout=TIMEOUT)
                except requests.RequestException as exc:
                    bad(f"call: {type(exc).__name__}")
                    continue
                took = time.perf_counter() - t_call
                if r.status_code == 409:  # a finish whose answer timed out left the ticket here
                    try:
                        s.post(f"{url}/api/v1/halls/main/windows/{n}/finish",
                               json={"outcome": "immediate"}, timeout=TIMEOUT)
                    except requests.RequestException:
                        bad("finish: timeout")
                    continue
                if r.status_code != 200:
                    bad(f"call: {r.status_code}")
                    time.sleep(1)
                    continue
                tk = r.json().get("ticket")
                if not tk:
                    with lock:
                        counts["empty_calls"] += 1
                    stop.wait(1.0)
                    continue
                with lock:
                    sent[tk["id"]] = t_call
                    call_lat.append(took)
                    counts["calls"] += 1
                stop.wait(args.cycle * rnd.uniform(0.5, 1.0))  # serving
                try:
                    r = s.post(f"{url}/api/v1/halls/main/windows/{n}/finish",
                               json={"outcome": "immediate"}, timeout=TIMEOUT)
                    if r.ok:
                        with lock:
                            counts["finished"] += 1
                    else:
                        bad(f"finish: {r.status_code}")
                except requests.RequestException as exc:
                    bad(f"finish: {type(exc).__name__}")
                stop.wait(args.cycle * rnd.uniform(0, 0.5))

        def kiosk_loop(k):
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {kiosk_tokens[k]}"
            url = urls[k % len(urls)]
            rnd = random.Random(1000 + k)
            i = 0
            while not stop.is_set():
                t_issue = time.perf_counter()
                try:
                    r = s.post(f"{url}/api/v1/halls/main/tickets",
                               json={"service": services[rnd.randrange(len(services))]},
                               headers={"Idempotency-Key": f"k{k}-{i}"}, timeout=TIMEOUT)
                    if r.status_code == 201:
                        with lock:
                            counts["issued"] += 1
                            issue_lat.append(time.perf_counter() - t_issue)
                    else:
                        bad(f"issue: {r.status_code}")
                except requests.RequestException as exc:
                    bad(f"issue: {type(exc).__name__}")
                i += 1
                stop.wait(args.kiosk_interval * rnd.uniform(0.5, 1.5))

        # a queue to start with, so windows have someone to call from the first second
        warm = requests.Session()
        warm.headers["Authorization"] = f"Bearer {kiosk_tokens[0]}"
        for i in range(args.windows):
            warm.post(f"{urls[i % len(urls)]}/api/v1/halls/main/tickets",
                      json={"service": services[i % len(services)]}, timeout=TIMEOUT)
        threads = [threading.Thread(target=window_loop, args=(n,), daemon=True)
                   for n in range(1, args.windows + 1)]
        threads += [threading.Thread(target=kiosk_loop, args=(k,), daemon=True)
                    for k in range(args.kiosks)]
        t_load = time.perf_counter()
        for th in threads:
            th.start()
        stop.wait(args.seconds)
        stop.set()
        for th in threads:
            th.join(TIMEOUT + 5)
        load_s = time.perf_counter() - t_load
        time.sleep(3.0)  # the last calls reach every subscriber
        for sub in subs:
            sub.close()

        from sqlalchemy import select
        from server.store import tables as t
        from server.store.db import make_engine
        eng = make_engine(db_url)
        with eng.connect() as conn:
            called = dict(conn.execute(select(t.events.c.ticket_id, t.events.c.id)
                                       .where(t.events.c.type == "ticket.called")).all())
        eng.dispose()
        delivery, missed, expected = [], 0, 0
        for sub in subs:
            for tid, t_call in sent.items():
                got = sub.arrivals.get(called.get(tid), [])
                expected += sub.n
                missed += max(0, sub.n - len(got))
                delivery += [a - t_call for a in got]
        d = summary(delivery)
        c = summary(call_lat)
        i = summary(issue_lat)
        opened = sum(sub.opened or 0 for sub in subs)
        dropped = sum(sub.closed or 0 for sub in subs)
        load = os.getloadavg()
        table(f"Load: {args.windows} windows, {args.kiosks} kiosks, {args.subscribers} SSE subscribers, "
              f"PostgreSQL, {args.processes} server processes ({load_s:.0f} s of load; setup {setup_s:.0f} s, "
              f"subscribers connected in {connect_s:.1f} s)",
              [{"measure": "call -> every subscriber", "n": d["n"], "p50 ms": d["p50"], "p99 ms": d["p99"],
                "rate /s": ""},
               {"measure": "call-next (HTTP)", "n": c["n"], "p50 ms": c["p50"], "p99 ms": c["p99"],
                "rate /s": counts["calls"] / load_s},
               {"measure": "issue (HTTP)", "n": i["n"], "p50 ms": i["p50"], "p99 ms": i["p99"],
                "rate /s": counts["issued"] / load_s}],
              ["measure", "n", "p50 ms", "p99 ms", "rate /s"])
        table("Counts", [{"subscribers open": f"{opened}/{args.subscribers}", "all opened": all_open,
                          "streams dropped": dropped, "calls": counts["calls"],
                          "deliveries expected": expected, "missed": missed,
                          "finished": counts["finished"], "empty calls": counts["empty_calls"],
                          "issued": counts["issued"], "errors": counts["errors"]}],
              ["subscribers open", "all opened", "streams dropped", "calls", "deliveries expected",
               "missed", "finished", "empty calls", "issued", "errors"])
        if errors:
            print("errors:", errors)
        print(f"\nmachine: {os.cpu_count()} cores, load average at the end {load[0]:.1f} / {load[1]:.1f} "
              f"/ {load[2]:.1f} (bench, PostgreSQL and servers share it); total {time.perf_counter() - t_bench:.0f} s")
    finally:
        for sub in subs:
            if sub.proc.is_alive():
                sub.proc.terminate()
        srv.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
