"""statistics: stored day roll-ups get named keys (version 4 -> 5, see services/stats/rollups.py)

Version 4 stored a day as {"day", "ids", "s", "w", "p"} with groups keyed served, no_show,
cancelled, open, out, wait, svc_n, svc_sum, r (+ issued, transferred, arr, calls, svc, first_wait
for services; busy, avail for windows and staff). Version 5 is `DaySummary.to_dict()`. The lists of
seconds stay base64 as they were. Self-contained: it must not change when the code does.

Revision ID: 0003_stats2
Revises: 0002_stats
"""
from alembic import op
import sqlalchemy as sa


revision = "0003_stats2"
down_revision = "0002_stats"
branch_labels = None
depends_on = None

stats_daily = sa.table("stats_daily", sa.column("hall_id", sa.Integer), sa.column("day", sa.String),
                       sa.column("version", sa.Integer), sa.column("data", sa.JSON))


def _common(g: dict) -> dict:
    return {"served": g.get("served", 0), "no_show": g.get("no_show", 0), "outcomes": dict(g.get("out") or {}),
            "service_count": g.get("svc_n", 0), "service_total_s": g.get("svc_sum", 0),
            "ratings": dict(g.get("r") or {})}


def _service(g: dict) -> dict:
    # a service's waits were kept as first_wait (waits by the service a ticket started in)
    return {**_common(g), "waits": g.get("first_wait", ""), "issued": g.get("issued", 0),
            "transferred": g.get("transferred", 0), "cancelled": g.get("cancelled", 0),
            "open": g.get("open", 0), "arrivals_by_hour": g.get("arr") or [0] * 24,
            "calls_by_hour": g.get("calls") or [0] * 24, "service_times": g.get("svc", "")}


def _duty(g: dict) -> dict:
    return {**_common(g), "waits": g.get("wait", ""), "available_s": g.get("avail", 0),
            "busy_s": g.get("busy", 0)}


def from_v4(data: dict) -> dict:
    return {"day": data["day"], "ticket_ids": data.get("ids"),
            "services": {k: _service(g) for k, g in data["s"].items()},
            "windows": {k: _duty(g) for k, g in data["w"].items()},
            "staff": {k: _duty(g) for k, g in data["p"].items()}}


def convert(conn) -> int:
    """Rewrite every version-4 roll-up as version 5; returns how many."""
    keys = conn.execute(sa.select(stats_daily.c.hall_id, stats_daily.c.day)
                        .where(stats_daily.c.version == 4)).all()
    for hall_id, day in keys:
        where = (stats_daily.c.hall_id == hall_id, stats_daily.c.day == day, stats_daily.c.version == 4)
        data = conn.execute(sa.select(stats_daily.c.data).where(*where)).scalar()
        conn.execute(stats_daily.update().where(*where).values(version=5, data=from_v4(data)))
    return len(keys)


def upgrade() -> None:
    convert(op.get_bind())


def downgrade() -> None:
    # roll-ups are derived data: version 4 code recomputes a day it finds no roll-up for
    op.execute(stats_daily.delete().where(stats_daily.c.version == 5))
