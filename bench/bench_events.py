"""Event streams at hall and county scale (issue 14): one table, one run.

    python bench/bench_events.py [--streams 10000] [--quick] [--parts seq,busy,2000,many]
                                 [--clients lean|requests|lean,requests] [--rounds 3]
                                 [--kiosks 2] [--placement shared,own,pinned] [--spy PREFIX]

(1) sequential issue and call-next with no stream open; (2) the busy hall of bench_queue (2):
11 windows calling, 2 kiosks issuing, 200 subscribers: call -> every subscriber; (3) 2,000
subscribers: call -> every subscriber, and call-next's own latency with them open; (4) one process
holding --streams idle streams: memory per stream, and a call reaching all of them.
Subscribers come from many loopback addresses (40 each), as a hall's screens and phones do.
The busy hall also prints call-next's own answer, answer -> each subscriber, the server's CPU per
write and the bench's own clients' CPU (they share the machine with the server), and each call
from its request leaving the window's socket to the event in each screen's socket (the bench's
own threads and its one reader of every stream left out). Its clients are
lean keep-alive http.client connections by default; `--clients lean,requests` also runs the
requests sessions of bench_queue, side by side. `--rounds` pools rounds (~195 calls each) so p99
is not two calls. (2) and (3) run twice by default (`--placement`): with the server and the
bench's clients sharing the machine's cores, and with the server alone on one core and the clients
on the other, as a hall's windows, kiosks and screens are devices of their own (on this 2-core
machine the clients take about half a core, in bursts, when all windows call at once);
`--placement pinned` also runs them with the server's threads on one core and the bench on all
(see bench/README.md, twelfth pass). --spy records py-spy (GIL holders, per thread) of the server during (2) and (3).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_queue import KIOSK_PAUSE_S, kiosk_session, login_and_sign_in, setup_accounts  # noqa: E402
from common import (BenchServer, LeanClient, Subscribers, machine_speed_ms, place,  # noqa: E402
                    raise_open_files_limit, sequential, summary, table)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def drain(url, sessions) -> None:
    """Each window calls and finishes until it gets no ticket: the hall's queue is empty (every
    service has a window)."""
    for n, s in sessions.items():
        while (s.post(f"{url}/api/v1/halls/main/windows/{n}/call-next").json() or {}).get("ticket"):
            s.post(f"{url}/api/v1/halls/main/windows/{n}/finish", json={"outcome": "immediate"})


def called_event_ids(db_url) -> dict[int, int]:
    from sqlalchemy import create_engine, select
    from server.store import tables as t
    eng = create_engine(db_url)
    with eng.connect() as conn:
        out = dict(conn.execute(select(t.events.c.ticket_id, t.events.c.id)
                                .where(t.events.c.type == "ticket.called")).all())
    eng.dispose()
    return out




def calls_to_subscribers(srv, url, kiosk, w1, subs, calls, gap_s=0.2):
    """Sequential calls with `subs` open (None: no stream open): (call-next latencies,
    call -> every subscriber)."""
    for _ in range(calls):
        kiosk.post(f"{url}/api/v1/halls/main/tickets", json={"service": "social"})
    sent, call_t = {}, []
    for _ in range(calls):
        t0 = time.perf_counter()
        r = w1.post(f"{url}/api/v1/halls/main/windows/1/call-next")
        call_t.append(time.perf_counter() - t0)
        sent[r.json()["ticket"]["id"]] = t0
        time.sleep(gap_s)
        w1.post(f"{url}/api/v1/halls/main/windows/1/finish", json={"outcome": "immediate"})
    if subs is None:
        return call_t, [], 0
    ev = called_event_ids(srv.db_url)
    for tid in sent:
        subs.wait_for(ev[tid], timeout=15)
    delivery, missed = [], 0
    for tid, t0 in sent.items():
        arr = subs.arrivals.get(ev[tid], [])
        missed += subs.n - len(arr)
        delivery += [a - t0 for a in arr]
    return call_t, delivery, missed


# the busy hall's writers' settings, side by side (--writers): label, the server's environment
WRITERS = {
    "together": ("calls first, windows calling at once called together",
                 {"HALLQ_CALLS_FIRST": "1", "HALLQ_TOGETHER": "1"}),
    "ungated": ("the same, other requests not waiting for calls",
                {"HALLQ_CALLS_FIRST": "1", "HALLQ_TOGETHER": "1", "HALLQ_CALLS_AHEAD_MS": "0"}),
    "first": ("calls first, each call alone", {"HALLQ_CALLS_FIRST": "1", "HALLQ_TOGETHER": "0"}),
    "any": ("writers in any order, each alone, nothing waiting for calls",
            {"HALLQ_CALLS_FIRST": "0", "HALLQ_TOGETHER": "0", "HALLQ_CALLS_AHEAD_MS": "0"}),
}


def busy_hall(srv, url, kiosk_token, sessions, subs, services, new_kiosk=kiosk_session,
              spy=contextlib.nullcontext, n_kiosks=2):
    kiosk = new_kiosk(kiosk_token)
    # bench (2)'s load: 220 tickets issued to an empty queue, then the windows start. A round
    # leaves ~75 waiting (the kiosks' and the services fewer windows serve): they are served
    # first, or each pooled round would start with ~75 more than the last (1,100 by a full run's
    # last round), and the issue's wait estimate and the call's ordering, which grow with the
    # queue, would measure another hall
    drain(url, sessions)
    for i in range(220):
        kiosk.post(f"{url}/api/v1/halls/main/tickets", json={"service": services[i % len(services)]})
    sent, lock, stop = {}, threading.Lock(), threading.Event()
    left = {}  # when each call's request went to the socket (lean clients; else as `sent`)
    answered, requests_made = {}, [0]
    others = {"finish": [], "issue": []}  # the ordinary writers' own answers (s)

    def window_loop(n):
        s = sessions[n]
        for _ in range(20):
            t0 = time.perf_counter()
            tk = s.post(f"{url}/api/v1/halls/main/windows/{n}/call-next").json().get("ticket")
            t1 = time.perf_counter()
            if not tk:
                break
            with lock:
                sent[tk["id"]] = t0
                left[tk["id"]] = getattr(s, "sent_at", 0.0) or t0
                answered[tk["id"]] = t1
                requests_made[0] += 2
            time.sleep(0.05)
            t2 = time.perf_counter()
            s.post(f"{url}/api/v1/halls/main/windows/{n}/finish", json={"outcome": "immediate"})
            with lock:
                others["finish"].append(time.perf_counter() - t2)

    def kiosk_loop():
        k = new_kiosk(kiosk_token)
        i = 0
        while not stop.is_set():
            t0 = time.perf_counter()
            k.post(f"{url}/api/v1/halls/main/tickets", json={"service": services[i % len(services)]})
            i += 1
            with lock:
                requests_made[0] += 1
                others["issue"].append(time.perf_counter() - t0)
            time.sleep(KIOSK_PAUSE_S)

    kiosks = [threading.Thread(target=kiosk_loop) for _ in range(n_kiosks)]
    with spy():  # the setup above is not profiled
        cpu0, wall0 = cpu_s(srv.procs[-1].pid), time.perf_counter()
        clients0 = time.process_time() + cpu_s(subs.proc.pid)
        for k in kiosks:
            k.start()
        with ThreadPoolExecutor(11) as pool:
            list(pool.map(window_loop, range(1, 12)))
        stop.set()
        for k in kiosks:
            k.join()
    load = {"requests": requests_made[0], "wall_s": time.perf_counter() - wall0,
            "server_cpu_s": cpu_s(srv.procs[-1].pid) - cpu0,
            "clients_cpu_s": time.process_time() + cpu_s(subs.proc.pid) - clients0, **others}
    ev = called_event_ids(srv.db_url)
    for tid in sent:
        subs.wait_for(ev[tid], timeout=15)
    delivery, after_answer, missed, wire = [], [], 0, []
    for tid, t0 in sent.items():
        arr = subs.arrivals.get(ev[tid], [])
        missed += subs.n - len(arr)
        delivery += [a - t0 for a in arr]
        after_answer += [a - answered[tid] for a in arr]
        wire += [a - left[tid] for a in subs.seen.get(ev[tid], [])]
    calls = [answered[tid] - t0 for tid, t0 in sent.items()]
    load["wire"] = wire
    return len(sent), delivery, missed, calls, after_answer, load


class Spy:
    """py-spy recording the server process while a part runs (collapsed stacks, one per thread)."""

    def __init__(self, prefix, pid, part):
        self.proc = None
        if prefix:
            import subprocess
            self.out = f"{prefix}-{part}.txt"
            exe = Path(sys.executable).with_name("py-spy")
            self.proc = subprocess.Popen([str(exe) if exe.exists() else "py-spy", "record",
                                          "--pid", str(pid), "--format", "raw", "--threads",
                                          "--rate", "250", "--gil", "-o", self.out],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc is not None:
            import signal
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(30)
            print(f"py-spy: {self.out}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, default=10000)
    ap.add_argument("--quick", action="store_true", help="fewer sequential requests and calls")
    ap.add_argument("--postgres", help="PostgreSQL URL instead of a scratch SQLite")
    ap.add_argument("--parts", default="seq,busy,2000,many", help="which parts to run")
    ap.add_argument("--clients", default="lean",
                    help="the busy hall's clients: lean, requests, or both in one run (lean,requests)")
    ap.add_argument("--kiosks", type=int, default=2,
                    help="issuing kiosks in the busy hall (2 is bench (2)'s load; 0 shows what issuing costs)")
    ap.add_argument("--rounds", type=int, default=3, help="busy hall rounds (calls pooled: one round is ~195 calls)")
    ap.add_argument("--placement", default="shared,own",
                    help="where the busy hall and the 2,000 streams run, each in turn: shared (server "
                         "and bench on every core), own (the server alone on one core, the "
                         "bench's clients on the other, as devices of their own), pinned (the "
                         "server's threads on one core, the bench on every core)")
    ap.add_argument("--writers", default="together,ungated",
                    help="how the server's writers take turns in the busy hall, side by side (each "
                         "round runs once with each, the server restarted on the same database "
                         "between them): together (the default: calls first, windows calling at "
                         "once called in one unit of work, other requests waiting for calls up to "
                         "HALLQ_CALLS_AHEAD_MS), ungated (the same without that wait), first "
                         "(calls first, each call alone), any (every writer alone, in any order)")
    ap.add_argument("--spy", metavar="PREFIX",
                    help="py-spy the server during the busy and 2,000 parts: PREFIX-busy.txt, "
                         "PREFIX-2000.txt (collapsed stacks, with thread names)")
    args = ap.parse_args()
    raise_open_files_limit()
    n_seq, n_calls = (100, 20) if args.quick else (300, 100)
    srv = BenchServer(args.postgres)
    kiosk_token = setup_accounts(srv)
    srv.start()
    url, pid = srv.url, srv.procs[-1].pid
    rows = []

    def row(measure, n, p50, p99, goal="", met=""):
        rows.append({"measure": measure, "n": n, "p50": p50, "p99": p99, "goal": goal, "met": met})

    server = {"pid": pid, "arm": "together", "placement": "shared"}

    def restart(arm):
        """The server again on the same database and port with the writers' settings of `arm`
        (WRITERS; its sessions and sign-ins are in the database), placed as before."""
        if server["arm"] == arm:
            return
        srv.stop()
        srv.procs.clear()
        for _label, env in WRITERS.values():  # each arm's settings alone, not the last arm's too
            for key in env:
                srv.env.pop(key, None)
        srv.env.update(WRITERS[arm][1])
        srv.start()
        server.update(pid=srv.procs[-1].pid, arm=arm)
        place(server["pid"], server["placement"])

    def busy_part(kind, where):
        """(2) the busy hall with 200 subscribers, `rounds` times for each writers' arm of
        --writers (interleaved: round 1 of each, round 2 of each, ...), its clients `kind`:
        "lean" (keep-alive http.client windows and kiosks; the stream reader keeps only
        ticket.called) or "requests" (requests sessions; the reader keeps every event)."""
        lean = kind == "lean"
        clients = {n: (LeanClient.like(sess) if lean else sess) for n, sess in sessions.items()}
        new_kiosk = (lambda tok: LeanClient(tok)) if lean else kiosk_session
        arms = args.writers.split(",")
        unknown = [a for a in arms if a not in WRITERS]
        if unknown:
            raise SystemExit(f"--writers: unknown {', '.join(unknown)} (known: {', '.join(WRITERS)})")
        got_by = {a: {"delivery": [], "calls": [], "after": [], "missed": 0, "ncalls": 0, "per_round": [],
                      "load": {"requests": 0, "wall_s": 0.0, "server_cpu_s": 0.0, "clients_cpu_s": 0.0,
                               "finish": [], "issue": [], "wire": []}} for a in arms}
        for r in range(args.rounds):
            for arm in arms:
                restart(arm)
                acc = got_by[arm]
                subs = Subscribers(srv.port, n=200, only=b"ticket.called" if lean else None).connect()
                time.sleep(0.5)
                got = busy_hall(srv, url, kiosk_token, clients, subs, services, new_kiosk,
                                spy=lambda: Spy(args.spy, server["pid"], f"busy-{kind}-{arm}-{r}"),
                                n_kiosks=args.kiosks)
                subs.close()
                for n, c in clients.items():  # windows free again for the next round or part
                    c.post(f"{url}/api/v1/halls/main/windows/{n}/finish", json={"outcome": "immediate"})
                acc["ncalls"] += got[0]
                acc["delivery"] += got[1]
                acc["missed"] += got[2]
                acc["calls"] += got[3]
                acc["after"] += got[4]
                acc["per_round"].append(summary(got[1])["p99"])
                for k in acc["load"]:
                    acc["load"][k] += got[5][k]
        for arm in arms:
            acc, load = got_by[arm], got_by[arm]["load"]
            label = (f"busy hall, {kind} clients, {where}, {WRITERS[arm][0]}"
                     + ("" if args.kiosks == 2 else f", {args.kiosks} kiosks"))
            rounds = (f", {args.rounds} rounds: p99 " + " / ".join(f"{p:.0f}" for p in acc["per_round"])
                      if args.rounds > 1 else "")
            s = summary(acc["delivery"])
            row(f"{label}, 200 subscribers: call -> each ({acc['ncalls']} calls, {acc['missed']} missed{rounds}) (ms)",
                s["n"], s["p50"], s["p99"], "p99 <= 50", "yes" if s["p99"] <= 50 and not acc["missed"] else "NO")
            if lean:
                s = summary(load["wire"])
                row(f"{label}: the same calls, from the request leaving the window's socket to the "
                    f"event in each screen's socket (the bench's own thread and reader queues left out) (ms)",
                    s["n"], s["p50"], s["p99"], "p99 <= 50", "yes" if s["p99"] <= 50 and not acc["missed"] else "NO")
            for name, values in (("call-next's own answer", acc["calls"]),
                                 ("call-next's answer -> each subscriber", acc["after"]),
                                 ("finish's own answer", load["finish"]),
                                 ("a kiosk's ticket, its own answer", load["issue"])):
                s = summary(values)
                row(f"{label}: {name} (ms)", s["n"], s["p50"], s["p99"])
            rows.append({"measure": f"{label}: {load['requests']} writes in {load['wall_s']:.1f} s "
                                    f"({load['requests'] / load['wall_s']:.0f}/s); server CPU per "
                                    f"write (ms; {load['server_cpu_s'] / load['wall_s']:.0%} of a core; the "
                                    f"bench's clients {load['clients_cpu_s'] / load['wall_s']:.0%})",
                         "n": load["requests"], "p50": 1000 * load["server_cpu_s"] / load["requests"],
                         "p99": "", "goal": "", "met": ""})
        restart("together")

    try:
        kiosk = kiosk_session(kiosk_token)
        w1 = login_and_sign_in(url, 1)
        print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
        speed0 = machine_speed_ms()
        parts = set(args.parts.split(","))
        placements = args.placement.split(",")
        issue_t, call_t = sequential(url, kiosk, w1, n_seq if "seq" in parts else 5)
        s_issue, s_call = summary(issue_t), summary(call_t)
        row("issue, sequential, no streams (ms)", s_issue["n"], s_issue["p50"], s_issue["p99"],
            "p50 <= today's ~7-10", "yes" if s_issue["p50"] <= 10 else "NO")
        row("call-next, sequential, no streams (ms)", s_call["n"], s_call["p50"], s_call["p99"],
            "p50 <= today's ~6-8", "yes" if s_call["p50"] <= 8 else "NO")

        # (2) the busy hall with 200 subscribers
        from server.services.halls import read_config
        services = [s["code"] for s in read_config()["services"]]
        sessions = {}
        if "busy" in parts:
            sessions = {n: login_and_sign_in(url, n) for n in range(2, 12)}
            sessions[1] = w1
            for placement in placements:
                server["placement"] = placement
                where = place(server["pid"], placement)
                for kind in args.clients.split(","):
                    busy_part(kind, where)

        # (3) 2,000 subscribers
        if "2000" in parts:
            for placement in placements:
                where = place(server["pid"], placement)
                # call-next with no stream open, called as it is with 2,000 open (a pause after each
                # call): the ratio's baseline. The back-to-back calls of (1) are printed beside it.
                call_t0, _, _ = calls_to_subscribers(srv, url, kiosk, w1, None, n_calls)
                subs = Subscribers(srv.port, n=2000).connect(timeout=120)
                time.sleep(1.0)
                with Spy(args.spy, server["pid"], "2000"):
                    call_t2, delivery, missed = calls_to_subscribers(srv, url, kiosk, w1, subs, n_calls)
                subs.close()
                s = summary(delivery)
                row(f"2,000 subscribers, {where}: call -> each ({n_calls} calls, {missed} missed) (ms)", s["n"],
                    s["p50"], s["p99"], "p99 <= 250", "yes" if s["p99"] <= 250 and not missed else "NO")
                s2 = summary(call_t2)
                _, call_seq = sequential(url, kiosk, w1, n_seq)
                s_seq = summary(call_seq)
                row(f"call-next, {where}: 0 streams open, back to back as in (1) (ms)", s_seq["n"], s_seq["p50"],
                    s_seq["p99"])
                s0 = summary(call_t0)
                row(f"call-next, {where}: 0 streams open, a pause after each call (ms)", s0["n"], s0["p50"], s0["p99"])
                row(f"call-next, {where}: 2,000 streams open, the same pauses (ms)", s2["n"], s2["p50"], s2["p99"],
                    "p99 <= 2x with none", "yes" if s2["p99"] <= 2 * s0["p99"] else "NO")

        # (4) one process holds --streams idle streams
        place(server["pid"], "shared")
        if "many" in parts:
            before = rss_kib(server["pid"])
            t0 = time.perf_counter()
            subs = Subscribers(srv.port, n=args.streams).connect(timeout=300)
            opened_s = time.perf_counter() - t0
            time.sleep(2.0)
            after = rss_kib(server["pid"])
            per = (after - before) / args.streams
            held = {"measure": f"{args.streams:,} idle streams held: server RSS {before // 1024} -> "
                               f"{after // 1024} MiB, opened in {opened_s:.1f} s",
                    "n": args.streams, "p50": "", "p99": "", "goal": "held", "met": ""}
            rows.append(held)
            rows.append({"measure": "memory per idle stream (KiB)", "n": args.streams, "p50": per,
                         "p99": "", "goal": "", "met": ""})
            _, delivery, missed = calls_to_subscribers(srv, url, kiosk, w1, subs, 5, gap_s=1.0)
            subs.close()
            held["met"] = "yes" if subs.opened == args.streams and not subs.closed else (
                f"NO ({subs.opened} opened, {subs.closed} dropped)")
            s = summary(delivery)
            row(f"{args.streams:,} subscribers: call -> each (5 calls, {missed} missed) (ms)", s["n"],
                s["p50"], s["p99"])
        speed1 = machine_speed_ms()
        rows.append({"measure": "this machine's speed: a fixed loop of Python, at the start / the end "
                                "(ms; lower is faster: every figure above moves with it)",
                     "n": 2, "p50": speed0, "p99": speed1, "goal": "", "met": ""})
    finally:
        srv.stop()
    table(f"Event streams (issue 14), {'PostgreSQL' if args.postgres else 'SQLite'}, "
          f"load average now {os.getloadavg()[0]:.1f}", rows, ["measure", "n", "p50", "p99", "goal", "met"])


if __name__ == "__main__":
    main()
