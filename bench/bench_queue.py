"""Queue server benchmark (issue 2): prints a table; no pass/fail, the numbers are the result.

  .venv/bin/python bench/bench_queue.py [--postgres URL] [--quick] [--sequential] [--n N]

(1) sequential issue and call-next latency; (2) 11 windows calling + 2 kiosks issuing + 200 SSE
subscribers: call-to-subscriber delivery; (3) the floor: an empty endpoint (health) and one bare
database write transaction; ratios to the floor; (4) 500 subscribers held; (5) tickets/s issued.
"""
from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from common import BenchServer, Subscribers, sequential, summary, table

# A busy real hall takes ~500 tickets a day (one a minute); two kiosks at one ticket each 200 ms
# are ~600 times that, with every window calling as fast as it can: a stress, not a hall.
KIOSK_PAUSE_S = 0.2

PASSWORD = "Bench-passw0rd"


def setup_accounts(srv, windows=range(1, 12)):
    srv.cli("init")
    for n in windows:
        srv.cli("user", "add", f"w{n}", "--role", "staff", "--windows", str(n), "--password-stdin",
                stdin=PASSWORD + "\n")
    return srv.cli("device", "add", "bench-kiosk", "--kind", "kiosk").splitlines()[-1]


def login_and_sign_in(url, n):
    s = requests.Session()
    tok = s.post(f"{url}/api/v1/auth/login", json={"username": f"w{n}", "password": PASSWORD}).json()["token"]
    s.headers["Authorization"] = f"Bearer {tok}"
    assert s.post(f"{url}/api/v1/halls/main/windows/{n}/sign-in").ok
    return s


def kiosk_session(token):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def bare_write_floor(db_url, n=300):
    """One write transaction (BEGIN IMMEDIATE; one upsert; COMMIT) in-process, as the floor."""
    import os
    os.environ["HALLQ_SECRET"] = "bench"
    from sqlalchemy import text
    from server.store.db import Database
    db = Database(db_url)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        with db.uow() as uow:
            uow.execute(text("UPDATE counters SET last = last WHERE hall_id = -1"))
            uow.commit()
        times.append(time.perf_counter() - t0)
    db.dispose()
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres", help="PostgreSQL URL to run against instead of SQLite")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sequential", action="store_true", help="only (1)+(3): sequential latency and its floor")
    ap.add_argument("--n", type=int, help="sequential requests of each kind (default 400, --quick 100)")
    args = ap.parse_args()
    n_seq = args.n or (100 if args.quick else 400)
    srv = BenchServer(args.postgres)
    kiosk_token = setup_accounts(srv)
    srv.start()
    url = srv.url
    try:
        kiosk = kiosk_session(kiosk_token)
        w1 = login_and_sign_in(url, 1)
        rows = []

        # (3) floors
        health = []
        for _ in range(n_seq):
            t0 = time.perf_counter()
            kiosk.get(f"{url}/api/v1/health")
            health.append(time.perf_counter() - t0)
        write = bare_write_floor(srv.db_url, n_seq)

        # (1) sequential
        issue_t, call_t = sequential(url, kiosk, w1, n_seq)
        floor_http = summary(health)
        floor_write = summary(write)
        floor = {k: floor_http[k] + floor_write[k] for k in ("p50", "p99")}
        for name, vals in [("empty endpoint (GET health)", health), ("bare write transaction", write),
                           ("issue (sequential)", issue_t), ("call-next (sequential)", call_t)]:
            s = summary(vals)
            rows.append({"measure": name, "n": s["n"], "p50 ms": s["p50"], "p99 ms": s["p99"],
                         "p99 / floor": s["p99"] / floor["p99"] if "sequential" in name else ""})
        table(f"(1)+(3) sequential latency, {'PostgreSQL' if args.postgres else 'SQLite'} "
              f"(floor = empty endpoint + bare write: p50 {floor['p50']:.2f} ms, p99 {floor['p99']:.2f} ms)",
              rows, ["measure", "n", "p50 ms", "p99 ms", "p99 / floor"])
        if args.sequential:
            return

        # (2) 11 windows + 2 kiosks + 200 subscribers
        subs = Subscribers(srv.port, n=200).connect()
        time.sleep(1.0)
        sessions = {n: login_and_sign_in(url, n) for n in range(2, 12)}
        sessions[1] = w1
        from server.services.halls import read_config
        services = [s["code"] for s in read_config()["services"]]
        for i in range(220):
            kiosk.post(f"{url}/api/v1/halls/main/tickets", json={"service": services[i % len(services)]})
        sent: dict[int, float] = {}
        lock = threading.Lock()
        stop = threading.Event()

        def window_loop(n):
            s = sessions[n]
            for _ in range(20):
                t0 = time.perf_counter()
                r = s.post(f"{url}/api/v1/halls/main/windows/{n}/call-next")
                tk = r.json().get("ticket")
                if not tk:
                    break
                with lock:
                    sent[tk["id"]] = t0
                time.sleep(0.05)
                s.post(f"{url}/api/v1/halls/main/windows/{n}/finish", json={"outcome": "immediate"})

        def kiosk_loop():
            k = kiosk_session(kiosk_token)
            i = 0
            while not stop.is_set():
                k.post(f"{url}/api/v1/halls/main/tickets", json={"service": services[i % 8]})
                i += 1
                time.sleep(KIOSK_PAUSE_S)

        kiosks = [threading.Thread(target=kiosk_loop) for _ in range(2)]
        for k in kiosks:
            k.start()
        t_start = time.perf_counter()
        with ThreadPoolExecutor(11) as pool:
            list(pool.map(window_loop, range(1, 12)))
        stop.set()
        for k in kiosks:
            k.join()
        time.sleep(1.0)
        # map ticket ids to their ticket.called event ids
        from sqlalchemy import create_engine, select
        from server.store import tables as t
        eng = create_engine(srv.db_url.replace("postgresql://", "postgresql+psycopg://"))
        with eng.connect() as conn:
            ev = dict(conn.execute(select(t.events.c.ticket_id, t.events.c.id)
                                   .where(t.events.c.type == "ticket.called")).all())
        delivery, missing = [], 0
        for tid, t0 in sent.items():
            arr = subs.arrivals.get(ev.get(tid), [])
            missing += 200 - len(arr)
            delivery += [a - t0 for a in arr]
        s = summary(delivery)
        table(f"(2) 11 windows calling (50 ms a visit), 2 kiosks issuing (a ticket each every "
              f"{KIOSK_PAUSE_S * 1000:.0f} ms), 200 subscribers: call -> every subscriber",
              [{"calls": len(sent), "deliveries": s["n"], "missed": missing, "p50 ms": s["p50"],
                "p99 ms": s["p99"], "elapsed s": time.perf_counter() - t_start}],
              ["calls", "deliveries", "missed", "p50 ms", "p99 ms", "elapsed s"])
        subs.close()

        # (4) 500 subscribers held
        subs = Subscribers(srv.port, n=500).connect()
        time.sleep(2.0)
        kiosk.post(f"{url}/api/v1/halls/main/tickets", json={"service": "social"})
        t0 = time.perf_counter()
        r = w1.post(f"{url}/api/v1/halls/main/windows/1/call-next")
        tid = r.json()["ticket"]["id"]
        with eng.connect() as conn:
            eid = conn.execute(select(t.events.c.id).where(t.events.c.ticket_id == tid,
                                                           t.events.c.type == "ticket.called")).scalar()
        ok = subs.wait_for(eid, 500, timeout=15)
        arr = subs.arrivals.get(eid, [])
        s = summary([a - t0 for a in arr])
        health_ok = requests.get(f"{url}/api/v1/health", timeout=5).ok
        table("(4) 500 subscribers held", [{"subscribers": 500, "received": len(arr), "all": ok,
                                           "p50 ms": s["p50"], "p99 ms": s["p99"],
                                           "POST still served": health_ok}],
              ["subscribers", "received", "all", "p50 ms", "p99 ms", "POST still served"])
        subs.close()
        w1.post(f"{url}/api/v1/halls/main/windows/1/finish", json={"outcome": "immediate"})

        # (5) issue throughput
        duration = 3.0 if args.quick else 5.0
        counts = []

        def issuer(i):
            k = kiosk_session(kiosk_token)
            n = 0
            end = time.perf_counter() + duration
            while time.perf_counter() < end:
                if k.post(f"{url}/api/v1/halls/main/tickets", json={"service": services[i % 8]}).status_code == 201:
                    n += 1
            return n

        with ThreadPoolExecutor(8) as pool:
            counts = list(pool.map(issuer, range(8)))
        table("(5) tickets issued per second (8 concurrent kiosk clients)",
              [{"clients": 8, "seconds": duration, "tickets": sum(counts), "tickets/s": sum(counts) / duration}],
              ["clients", "seconds", "tickets", "tickets/s"])
        print("\nTargets (SQLite, 2 cores): call-next p99 <= 25 ms and <= 2x floor; delivery p99 <= 50 ms "
              "with 200 subscribers; 500 subscribers held; >= 300 tickets/s.")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
