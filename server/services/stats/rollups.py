"""Roll-ups: each closed hall-local day (before today, no ticket still open) is summarised once into
`stats_daily` the first time it is read (or by the nightly job) and read back from there; today is
always computed live. Ratings made after a roll-up (a higher id than its `rating_watermark`) are
added on the way, and the roll-ups rewritten once many have gathered.

Stored format (VERSION 5): `DaySummary.to_dict()`, its lists of seconds as base64 of 32-bit arrays
(a month's roll-ups parse ~5x faster than JSON lists). Version 4 (one-letter keys) is converted by
the migration 0003_stats2; any other version is recomputed on its next read.
"""
from __future__ import annotations

import base64
from array import array
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ...domain.kpis import DaySummary, DutyTally, ServiceTally
from ...store import tables as t
from .days import compute_day, max_rating_id, ticket_days
from .periods import days, local_day

VERSION = 5  # bumped when a definition or the stored format changes: older roll-ups are recomputed
# (the wait-estimate sums were added within 5: tickets of days rolled up before had no estimates)
REFRESH_AFTER = 2000  # late ratings read on the way before the roll-ups are rewritten with them
ROLLUP_DAYS = 40  # closed days kept rolled up ahead of the first report that reads them


def day_summaries(app, conn, hall, d1: date, d2: date, now: datetime) -> list[DaySummary]:
    """The summaries of d1..d2 (days after today are left out): roll-ups for closed days, stored the
    first time; today live; ratings made after a roll-up added from the ratings table."""
    today = local_day(hall, now)
    last = min(d2, today)
    if last < d1:
        return []
    sd = t.stats_daily.c
    rolled = {r.day: r for r in conn.execute(select(sd.day, sd.rating_watermark, sd.data).where(
        sd.hall_id == hall.id, sd.day >= d1.isoformat(), sd.day <= last.isoformat(),
        sd.version == VERSION))}
    out, fresh, marks = [], [], {}
    mark = None
    for d in days(d1, last):
        iso_day = d.isoformat()
        if iso_day in rolled:
            s = unpack(rolled[iso_day].data)
            marks[iso_day] = rolled[iso_day].rating_watermark
        else:
            if mark is None:
                mark = max_rating_id(conn, hall)
            s = compute_day(conn, hall, d, now)
            if d < today and s.closed:
                fresh.append((iso_day, mark, s))
        out.append(s)
    if marks:  # ratings made after a roll-up: few, because the roll-ups are brought up to date
        by_day = {s.day: s for s in out}
        rc = t.ratings.c
        late = conn.execute(select(rc.id, rc.ticket_id, rc.level, rc.window, rc.staff_id, rc.service)
                            .where(rc.id > min(marks.values()), rc.ticket_id.is_not(None),
                                   rc.level.is_not(None))  # ratings of visits, no complaints
                            .order_by(rc.id)).all()
        tdays = ticket_days(conn, hall, [r.ticket_id for r in late])
        touched = set()
        for r in late:
            day = tdays.get(r.ticket_id)
            if day in marks and r.id > marks[day]:
                by_day[day].count_rating(r.level, r.window, r.staff_id, r.service)
                touched.add(day)
        if len(late) >= REFRESH_AFTER:
            top = late[-1].id
            fresh.extend((d, top, by_day[d]) for d in marks if d not in touched and marks[d] < top)
            fresh.extend((d, top, by_day[d]) for d in touched)
    if fresh:
        _store(app, hall, fresh)
    return out


def _b64(values: list) -> str:
    return base64.b64encode(array("i", values).tobytes()).decode("ascii")


def _ints(b64: str) -> list[int]:
    a = array("i")
    a.frombytes(base64.b64decode(b64))
    return a.tolist()


def pack(day: DaySummary) -> dict:
    """A summary as stored (JSON): the lists of seconds as base64."""
    data = day.to_dict()
    for table, cls in (("services", ServiceTally), ("windows", DutyTally), ("staff", DutyTally)):
        for g in data[table].values():
            for f in cls.LIST_FIELDS:
                g[f] = _b64(g[f])
    return data


def unpack(data: dict) -> DaySummary:
    for table, cls in (("services", ServiceTally), ("windows", DutyTally), ("staff", DutyTally)):
        for g in data[table].values():
            for f in cls.LIST_FIELDS:
                if isinstance(g.get(f), str):
                    g[f] = _ints(g[f])
    return DaySummary.from_dict(data)


def _store(app, hall, fresh) -> None:
    """Keep new roll-ups (a concurrent request may have stored the same day: keep either)."""
    now = app.now()
    db = app.db
    if db.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    with db.uow() as uow:
        for iso_day, mark, s in fresh:
            data = pack(s)
            uow.execute(dialect_insert(t.stats_daily).values(
                hall_id=hall.id, day=iso_day, version=VERSION, rating_watermark=mark, data=data,
                computed_at=now).on_conflict_do_update(
                index_elements=["hall_id", "day"],
                set_={"version": VERSION, "rating_watermark": mark, "data": data, "computed_at": now},
                where=(t.stats_daily.c.version != VERSION) | (t.stats_daily.c.rating_watermark < mark)))
        uow.commit()


def rollup(app, hall_code: str, d1: date, d2: date) -> int:
    """Fill the roll-ups of closed days in d1..d2 (bench, nightly); returns the days now stored."""
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        day_summaries(app, conn, hall, d1, d2, now)
        return conn.execute(select(func.count()).select_from(t.stats_daily).where(
            t.stats_daily.c.hall_id == hall.id, t.stats_daily.c.day >= d1.isoformat(),
            t.stats_daily.c.day <= d2.isoformat())).scalar()


def daily_rollup(app) -> int:
    """The maintenance loop's job: roll up the closed days of the last ROLLUP_DAYS of every hall,
    so the first report of the morning reads roll-ups instead of computing them (once per hall and
    hall-local day; days already stored are skipped)."""
    with app.db.read() as conn:
        codes = list(conn.execute(select(t.halls.c.code)).scalars())
    done = app.rollups_done
    stored = 0
    for code in codes:
        with app.db.read() as conn:
            today = app.hall(conn, code).local_day(app.now())
        if done.get(code) == today:
            continue
        stored += rollup(app, code, today - timedelta(days=ROLLUP_DAYS), today - timedelta(days=1))
        done[code] = today
    return stored
