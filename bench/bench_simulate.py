"""模拟排班 on a running server: how long a what-if run takes, and what it costs the live hall.

Starts `server.py run` on a scratch SQLite, a manager and a staffed window; measures issue + call-next
+ finish through the API (a window at work) and GET …/halls/main (a page's read) first idle, then
while the dashboard's what-if runs on the sample day (POST …/simulations, polled as the page does;
five sampled days by default, `--days`), and prints one table. Bounded: `--runs` what-ifs (default
2), each stopped at the server's limit (and playing no more days than fit in it).

    python bench/bench_simulate.py [--runs 2] [--sample sandu_day] [--days 5]
"""
from __future__ import annotations

import argparse
import os
import threading
import time

import requests

from common import BenchServer, summary, table

PASSWORD = "bench-password-1"


def hall_work(url, staff_head, kiosk_head, stop, out):
    """A window at work: issue a ticket, call it, finish it; and a page reading the hall."""
    while not stop.is_set():
        t0 = time.perf_counter()
        requests.post(url + "/api/v1/halls/main/tickets", json={"service": "social"}, headers=kiosk_head,
                      timeout=30).raise_for_status()
        t1 = time.perf_counter()
        requests.post(url + "/api/v1/halls/main/windows/1/call-next", headers=staff_head, timeout=30).raise_for_status()
        t2 = time.perf_counter()
        requests.post(url + "/api/v1/halls/main/windows/1/finish", json={"outcome": "immediate"},
                      headers=staff_head, timeout=30).raise_for_status()
        t3 = time.perf_counter()
        requests.get(url + "/api/v1/halls/main", timeout=30).raise_for_status()
        t4 = time.perf_counter()
        out["issue"].append(t1 - t0)
        out["call"].append(t2 - t1)
        out["finish"].append(t3 - t2)
        out["read"].append(t4 - t3)
        time.sleep(0.05)


def measure(url, staff_head, kiosk_head, seconds=None, until=None):
    out = {"issue": [], "call": [], "finish": [], "read": []}
    stop = threading.Event()
    th = threading.Thread(target=hall_work, args=(url, staff_head, kiosk_head, stop, out), daemon=True)
    th.start()
    if seconds:
        time.sleep(seconds)
    else:
        until()
    stop.set()
    th.join(30)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--sample", default="sandu_day")
    ap.add_argument("--days", type=int, default=5)
    args = ap.parse_args()
    srv = BenchServer()
    srv.cli("init")
    srv.cli("user", "add", "boss", "--role", "manager", "--password-stdin", stdin=PASSWORD + "\n")
    srv.cli("user", "add", "clerk", "--role", "staff", "--windows", "1", "--password-stdin", stdin=PASSWORD + "\n")
    kiosk = srv.cli("device", "add", "kiosk-1", "--kind", "kiosk").split()[-1]
    srv.start()
    url = srv.url
    try:
        def login(user):
            r = requests.post(url + "/api/v1/auth/login", json={"username": user, "password": PASSWORD}, timeout=30)
            r.raise_for_status()
            return {"Authorization": "Bearer " + r.json()["token"]}
        boss, staff = login("boss"), login("clerk")
        kiosk_head = {"Authorization": "Bearer " + kiosk}
        requests.post(url + "/api/v1/halls/main/windows/1/sign-in", headers=staff, timeout=30).raise_for_status()
        rows = []
        idle = measure(url, staff, kiosk_head, seconds=10)
        for k, v in idle.items():
            rows.append({"when": "idle", "request": k, **summary(v)})
        durations = []
        for i in range(args.runs):
            state = {}

            def until():
                r = requests.post(url + "/api/v1/halls/main/simulations", headers=boss, timeout=30, json={
                    "sample": args.sample, "seed": 1 + i, "days": args.days,
                    "changes": [{"window": 11, "services": ["hukou"], "from": "09:00", "to": "11:00"}]})
                r.raise_for_status()
                job, t0 = r.json()["id"], time.perf_counter()
                while True:
                    time.sleep(0.7)
                    body = requests.get(url + f"/api/v1/halls/main/simulations/{job}", headers=boss, timeout=30).json()
                    if body["status"] != "running":
                        days = len(body["result"]["days"]) if body["status"] == "done" else None
                        state.update(status=body["status"], s=time.perf_counter() - t0, days=days,
                                     asked=body.get("days_asked"))
                        return
            busy = measure(url, staff, kiosk_head, until=until)
            durations.append(state)
            for k, v in busy.items():
                rows.append({"when": f"what-if {i + 1}", "request": k, **summary(v)})
        load = os.getloadavg()[0]
        table(f"The hall's requests, idle and while a what-if plays ({args.sample}), ms "
              f"(load average {load:.1f} at the end)", rows, ["when", "request", "n", "p50", "p99", "mean"])
        table("What-if runs (submit -> done, as the page sees it; sampled days played of those asked)",
              [{"run": i + 1, "status": d.get("status"), "seconds": d.get("s"), "days": d.get("days"),
                "asked": d.get("asked"), "s_per_day": d["s"] / d["days"] if d.get("days") else None}
               for i, d in enumerate(durations)],
              ["run", "status", "seconds", "days", "asked", "s_per_day"])
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
