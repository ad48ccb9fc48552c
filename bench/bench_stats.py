"""How long a month's report takes as a hall's history grows (issue 6: < 300 ms with a year,
>= 1,000,000 tickets).

    .venv/bin/python bench/bench_stats.py                  # SQLite in a temp dir: 1, 6, 12 months
    .venv/bin/python bench/bench_stats.py --pg URL         # PostgreSQL (an empty database)
    .venv/bin/python bench/bench_stats.py --per-day 3900 --months 1,6,12

Synthetic history: working days (Mon-Fri), `--per-day` tickets a day over the default hall's
8 services and 11 windows (one staff member each), 90% served, 5% no-show, 5% cancelled; 15% of
served are 承诺件 (most delivered), 80% of served are rated (3% bad, each with a review case);
events: sign-in/out per window per day plus ticket.called/ticket.finished per called ticket.
History grows backwards from the report month (the last full month before today), so the month
measured stays the same while the history behind it grows.

Measured through the real Flask app (GET …/stats and GET …/reports, manager token):
cold = first read of the month (roll-ups computed and stored), warm = median of 5 later reads.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HALLQ_SECRET", "bench")
os.environ.setdefault("HALLQ_LOG", "WARNING")

TZ = ZoneInfo("Asia/Shanghai")
SERVICES = {"social": ("A", 0.30), "agri": ("B", 0.12), "land": ("C", 0.06), "market": ("D", 0.12),
            "finance": ("E", 0.10), "hukou": ("F", 0.14), "justice": ("G", 0.04), "public": ("H", 0.12)}
WINDOWS = {1: ["social"], 2: ["social"], 3: ["social", "public"], 4: ["agri"], 5: ["agri", "land"],
           6: ["land", "agri"], 7: ["market"], 8: ["finance"], 9: ["hukou"], 10: ["justice"],
           11: ["public", "social"]}


def utc(d: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hh, mm, ss, tzinfo=TZ).astimezone(timezone.utc).replace(tzinfo=None)


def working_days(d1: date, d2: date):
    d = d1
    while d <= d2:
        if d.weekday() < 5:
            yield d
        d += timedelta(days=1)


class Generator:
    def __init__(self, ctx, hall_id: int, staff: dict[int, int], per_day: int, seed: int = 6):
        self.ctx, self.hall_id, self.staff, self.per_day = ctx, hall_id, staff, per_day
        self.rng = random.Random(seed)
        self.codes = list(SERVICES)
        self.weights = [SERVICES[c][1] for c in self.codes]
        self.by_service = {c: [w for w, s in WINDOWS.items() if c in s] for c in self.codes}
        self.next_rating_id = 1
        self.tickets = 0

    def day(self, d: date):
        """Rows of one day: tickets (with ids assigned later), ratings, review cases, events."""
        rng = self.rng
        seq = {c: 0 for c in self.codes}
        tickets, extras = [], []
        open_s, close_s = 8 * 3600 + 30 * 60, 17 * 3600 + 30 * 60
        for _ in range(self.per_day):
            code = rng.choices(self.codes, self.weights)[0]
            seq[code] += 1
            off = rng.randint(open_s, close_s - 1800)
            issued = utc(d, 0, 0) + timedelta(seconds=off)
            window = rng.choice(self.by_service[code])
            r = rng.random()
            status = "done" if r < 0.90 else ("no_show" if r < 0.95 else "cancelled")
            wait = int(rng.expovariate(1 / 600))
            called = issued + timedelta(seconds=wait) if status != "cancelled" else None
            started = finished = None
            outcome = due = delivered = None
            if status == "done":
                started = called + timedelta(seconds=rng.randint(10, 90))
                finished = started + timedelta(seconds=int(rng.expovariate(1 / 420)) + 30)
                o = rng.random()
                outcome = ("immediate" if o < 0.70 else "promised" if o < 0.85 else "escalated" if o < 0.90
                           else "returned" if o < 0.95 else "proxy")
                if outcome == "promised":
                    due = d + timedelta(days=rng.choice([1, 3, 5]))
                    if rng.random() < 0.9:
                        delivered = utc(due, 10, 0) - timedelta(days=rng.randint(0, 1))
            elif status == "no_show":
                finished = called + timedelta(seconds=180)
            elif status == "cancelled":
                finished = issued + timedelta(seconds=rng.randint(60, 3600))
            tickets.append(dict(
                hall_id=self.hall_id, day=d.isoformat(), service=code, first_service=code,
                number=f"{SERVICES[code][0]}{seq[code]:03d}", status=status, source="kiosk",
                token=f"{d.isoformat()}-{code}-{seq[code]}", queued_at=issued, issued_at=issued,
                called_at=called, last_called_at=called, started_at=started, finished_at=finished,
                window=window if called else None, staff_id=self.staff[window] if called else None,
                recalls=0, transfers=0, outcome=outcome, due_date=due, delivered_at=delivered))
            level = None
            if status == "done" and rng.random() < 0.8:
                x = rng.random()
                level = 5 if x < 0.80 else 4 if x < 0.92 else 3 if x < 0.97 else 2 if x < 0.99 else 1
            extras.append(level)
        return tickets, extras

    def insert_days(self, days: list[date]):
        from server.store import tables as t
        ctx = self.ctx
        for d in days:
            tickets, levels = self.day(d)
            with ctx.db.engine.begin() as conn:
                first = conn.execute(t.tickets.insert().values(**tickets[0])).inserted_primary_key[0]
                if len(tickets) > 1:
                    conn.execute(t.tickets.insert(), tickets[1:])
                ids = list(range(first, first + len(tickets)))
                ratings, cases, events = [], [], []
                for w, staff_id in self.staff.items():
                    events.append(dict(hall_id=self.hall_id, type="window.signed_in", window=w,
                                       actor=f"user:{staff_id}", data={"staff_id": staff_id},
                                       created_at=utc(d, 8, 25)))
                    events.append(dict(hall_id=self.hall_id, type="window.signed_out", window=w,
                                       actor=f"user:{staff_id}", data={"staff_id": staff_id},
                                       created_at=utc(d, 17, 40)))
                for tid, tk, level in zip(ids, tickets, levels):
                    if tk["called_at"] is not None:
                        events.append(dict(hall_id=self.hall_id, type="ticket.called", ticket_id=tid,
                                           window=tk["window"], actor="user:1", data={},
                                           created_at=tk["called_at"]))
                        events.append(dict(hall_id=self.hall_id,
                                           type="ticket.finished" if tk["status"] == "done" else "ticket.no_show",
                                           ticket_id=tid, window=tk["window"], actor="user:1", data={},
                                           created_at=tk["finished_at"]))
                    if level is not None:
                        rid = self.next_rating_id
                        self.next_rating_id += 1
                        ratings.append(dict(id=rid, hall_id=self.hall_id, ticket_id=tid, window=tk["window"],
                                            staff_id=tk["staff_id"], service=tk["service"], level=level,
                                            reasons=[], source="evaluator", created_at=tk["finished_at"]))
                        if level <= 2:
                            cases.append(dict(hall_id=self.hall_id, rating_id=rid, ticket_id=tid,
                                              status="closed" if d < date.today() - timedelta(days=20) else "open",
                                              opened_at=tk["finished_at"], due_date=d + timedelta(days=21),
                                              closed_at=None))
                events.sort(key=lambda e: e["created_at"])
                conn.execute(t.events.insert(), events)
                if ratings:
                    conn.execute(t.ratings.insert(), ratings)
                if cases:
                    conn.execute(t.review_cases.insert(), cases)
            self.tickets += len(tickets)


def month_before(today: date) -> tuple[date, date]:
    first_this = today.replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return last_prev.replace(day=1), last_prev


def months_back(d: date, n: int) -> date:
    y, m = d.year, d.month - n
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", help="PostgreSQL URL of an empty database (default: SQLite in a temp dir)")
    ap.add_argument("--per-day", type=int, default=3900, help="tickets per working day (3900: ~1M a year)")
    ap.add_argument("--months", default="1,6,12", help="history sizes to measure, in months")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--measure-only", metavar="URL",
                    help="measure again on a database an earlier run filled (printed at its end)")
    args = ap.parse_args(argv)
    if args.measure_only:
        return measure_only(args)

    tmp = Path(tempfile.mkdtemp(prefix="hallq-bench-stats-"))
    os.environ["HALLQ_VAR"] = str(tmp)
    url = args.pg or f"sqlite:///{tmp / 'bench.db'}"
    from argon2 import PasswordHasher

    import server.services.auth as auth
    from server.api import create_app
    from server.services.halls import ensure_db
    from server.services import stats
    from server.services.context import create_hallq
    from server.store import tables as t
    from sqlalchemy import delete, func, select
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # bench accounts only

    ctx = create_hallq(url, start_bus=False)
    ensure_db(ctx)
    staff = {w: auth.add_user(ctx, f"staff{w}", f"窗口{w}人员", "staff", "Passw0rd-bench", hall_code="main",
                              windows=[w]) for w in WINDOWS}
    auth.add_user(ctx, "boss", "主任", "manager", "Passw0rd-bench", hall_code="main")
    client = create_app(ctx).test_client()
    token = client.post("/api/v1/auth/login", json={"username": "boss", "password": "Passw0rd-bench"}).get_json()["token"]
    hdr = {"Authorization": f"Bearer {token}"}
    with ctx.db.read() as conn:
        hall_id = conn.execute(select(t.halls.c.id).where(t.halls.c.code == "main")).scalar_one()

    today = datetime.now(TZ).date()
    m1, m2 = month_before(today)
    gen = Generator(ctx, hall_id, staff, args.per_day)
    sizes = sorted(int(x) for x in args.months.split(","))
    have = 0
    q = f"?from={m1.isoformat()}&to={m2.isoformat()}"

    cpu_ms = {}

    def timed(path):
        """Wall ms of one request (CPU ms of this process kept in cpu_ms: fairer on a busy machine)."""
        c0, t0 = time.process_time(), time.perf_counter()
        r = client.get(path, headers=hdr)
        assert r.status_code == 200, r.get_json()
        cpu_ms.setdefault(path, []).append((time.process_time() - c0) * 1000)
        return (time.perf_counter() - t0) * 1000

    print(f"database: {ctx.db.kind}; report month {m1}..{m2}; {args.per_day} tickets a working day", flush=True)
    rows = []
    for n in sizes:
        start = months_back(m1, n - 1)
        end = months_back(m1, have - 1) - timedelta(days=1) if have else m2
        t0 = time.perf_counter()
        gen.insert_days(list(working_days(start, end)))
        load_s = time.perf_counter() - t0
        have = n
        with ctx.db.uow() as uow:  # measure the cold read of the month afresh at every size
            uow.execute(delete(t.stats_daily))
            uow.commit()
        with ctx.db.read() as conn:
            n_tickets = conn.execute(select(func.count()).select_from(t.tickets)).scalar()
            n_events = conn.execute(select(func.count()).select_from(t.events)).scalar()
            month_tickets = conn.execute(select(func.count()).select_from(t.tickets).where(
                t.tickets.c.day >= m1.isoformat(), t.tickets.c.day <= m2.isoformat())).scalar()
        cold = timed(client_path := f"/api/v1/halls/main/stats{q}")
        warm = statistics.median(timed(client_path) for _ in range(args.runs))
        rep = statistics.median(timed(f"/api/v1/halls/main/reports{q}") for _ in range(args.runs))
        xlsx = statistics.median(timed(f"/api/v1/halls/main/reports{q}&format=xlsx") for _ in range(3))
        t0 = time.perf_counter()
        stats.rollup(ctx, "main", start, m2)  # fill the whole history's roll-ups (what nights do)
        fill_s = time.perf_counter() - t0
        quarter = statistics.median(timed(f"/api/v1/halls/main/stats?from={months_back(m1, 2)}&to={m2}")
                                    for _ in range(args.runs))
        warm_cpu = statistics.median(cpu_ms[client_path][1:])
        cpu_ms.clear()
        rows.append((n, n_tickets, n_events, month_tickets, load_s, cold, warm, rep, xlsx, quarter, fill_s,
                     warm_cpu))
        print(f"  {n:>2} months: {n_tickets:,} tickets loaded in {load_s:.0f} s", flush=True)

    print()
    print("| history | tickets | events | month's tickets | month stats cold (computes roll-ups) | "
          "month stats warm (CPU) | month report JSON | month report xlsx | 3-month stats warm |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, nt, ne, mt, _load, cold, warm, rep, xlsx, quarter, _fill, wcpu in rows:
        print(f"| {n} months | {nt:,} | {ne:,} | {mt:,} | {cold:.0f} ms | {warm:.0f} ms ({wcpu:.0f} ms) | "
              f"{rep:.0f} ms | {xlsx:.0f} ms | {quarter:.0f} ms |")
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for n, _nt, _ne, _mt, load, *_rest, fill, _wcpu in rows:
        print(f"{n} months: data load {load:.0f} s, roll-up of the whole history {fill:.1f} s")
    print(f"database kept: {url}")
    ctx.db.dispose()


def measure_only(args):
    from server.api import create_app
    from server.services.context import create_hallq
    from server.store import tables as t
    from sqlalchemy import delete, func, select
    ctx = create_hallq(args.measure_only, start_bus=False)
    from server.services import auth
    client = create_app(ctx).test_client()
    token = client.post("/api/v1/auth/login", json={"username": "boss", "password": "Passw0rd-bench"}).get_json()["token"]
    hdr = {"Authorization": f"Bearer {token}"}
    m1, m2 = month_before(datetime.now(TZ).date())
    path = f"/api/v1/halls/main/stats?from={m1}&to={m2}"
    with ctx.db.read() as conn:
        n = conn.execute(select(func.count()).select_from(t.tickets)).scalar()

    def run(p):
        c0, t0 = time.process_time(), time.perf_counter()
        assert client.get(p, headers=hdr).status_code == 200
        return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
    with ctx.db.uow() as uow:
        uow.execute(delete(t.stats_daily).where(t.stats_daily.c.day >= m1.isoformat(),
                                                t.stats_daily.c.day <= m2.isoformat()))
        uow.commit()
    cold = run(path)
    warm = [run(path) for _ in range(args.runs)]
    rep = [run(f"/api/v1/halls/main/reports?from={m1}&to={m2}") for _ in range(args.runs)]
    xl = [run(f"/api/v1/halls/main/reports?from={m1}&to={m2}&format=xlsx") for _ in range(3)]
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    print(f"{n:,} tickets; month {m1}..{m2}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"month stats cold {cold[0]:.0f} ms (CPU {cold[1]:.0f}); warm {med(warm, 0):.0f} ms (CPU {med(warm, 1):.0f}); "
          f"report JSON {med(rep, 0):.0f} ms (CPU {med(rep, 1):.0f}); xlsx {med(xl, 0):.0f} ms (CPU {med(xl, 1):.0f})")
    del auth


if __name__ == "__main__":
    main()
