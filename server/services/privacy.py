"""Personal data retention (PIPL): residents' ID hashes, masked IDs, names and phones are
erased once their visit or booking is older than the hall's retention.

What is erased (see docs/privacy.md):
- tickets: `id_hash`, `id_masked` (the ticket, its number, times and outcome stay for statistics);
- appointments: `name_masked`, `name_enc`, `phone_masked`, `phone_enc`, `phone_hash`, `addr_hash`
  set to NULL, `id_hash` and `id_masked` (NOT NULL columns) set to "" — the booking's service,
  day, slot and status stay;
- 帮办代办 requests delivered or cancelled before the cutoff: `name_masked`, `phone_masked`,
  `phone_sealed` and `village` (the request, its dates and status stay; open ones are kept whole);
- the 回访 phone of bad-review cases closed or voided before the cutoff (counted with `assist`).

Retention: the hall config's `[privacy] retention_days` (default 180), or `older_than_days` given
to `purge` (`server.py purge --older-than-days N`). Counted in hall-local days: a visit on day D
is erased on the first run on or after D + retention + 1. The server runs `purge` daily from its
maintenance loop.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select, update

from ..domain.errors import Invalid
from ..store import tables as t
from . import case_contacts

log = logging.getLogger("hallq.privacy")

DEFAULT_RETENTION_DAYS = 180
PURGED = ""  # what NOT NULL personal columns hold once erased


def retention_days(hall) -> int:
    section = hall.config.raw.get("privacy") or {}
    value = section.get("retention_days", DEFAULT_RETENTION_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"大厅配置 {hall.code} 的 [privacy] retention_days 应为不小于0的整数 "
                      f"(hall config {hall.code}: [privacy] retention_days must be a whole number "
                      f"of days >= 0, got {value!r})")
    return value


def _check_days(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid("保留天数应为不小于0的整数 (older_than_days must be a whole number >= 0)",
                      code="invalid")
    return value


def purge(ctx, older_than_days: int | None = None, hall_code: str | None = None) -> dict:
    """Erase personal data older than the retention in every hall (or one). Returns counts."""
    if older_than_days is not None:
        _check_days(older_than_days)
    totals = {"tickets": 0, "appointments": 0, "assist": 0}
    with ctx.db.read() as conn:
        codes = conn.execute(select(t.halls.c.code).order_by(t.halls.c.id)).scalars().all()
    for code in codes:
        if hall_code and code != hall_code:
            continue
        with ctx.uow() as uow:
            conn = uow.conn
            hall = ctx.hall(conn, code)
            days = older_than_days if older_than_days is not None else retention_days(hall)
            cutoff: date = hall.local_day(ctx.now()) - timedelta(days=days)  # keep cutoff and after
            n_t = conn.execute(update(t.tickets).where(
                t.tickets.c.hall_id == hall.id, t.tickets.c.day < cutoff.isoformat(),
                or_(t.tickets.c.id_hash.is_not(None), t.tickets.c.id_masked.is_not(None)))
                .values(id_hash=None, id_masked=None)).rowcount
            a = t.appointments.c
            n_a = conn.execute(update(t.appointments).where(
                a.hall_id == hall.id, a.day < cutoff,
                or_(a.name_masked.is_not(None), a.name_enc.is_not(None), a.phone_masked.is_not(None),
                    a.phone_enc.is_not(None), a.id_hash != PURGED, a.id_masked != PURGED,
                    a.phone_hash.is_not(None), a.addr_hash.is_not(None)))
                .values(name_masked=None, name_enc=None, phone_masked=None, phone_enc=None,
                        id_hash=PURGED, id_masked=PURGED, phone_hash=None, addr_hash=None)).rowcount
            r = t.assist_requests.c
            before = datetime.combine(cutoff, time()) - hall.local_now(ctx.now()).utcoffset()
            n_r = conn.execute(update(t.assist_requests).where(
                r.hall_id == hall.id, r.status.in_(("delivered", "cancelled")), r.created_at < before,
                or_(r.name_masked.is_not(None), r.phone_masked.is_not(None), r.phone_sealed.is_not(None),
                    r.village.is_not(None)))
                .values(name_masked=None, phone_masked=None, phone_sealed=None, village=None)).rowcount
            n_r += case_contacts.erase_closed_before(conn, hall.id, before, ctx.now())  # 回访 phones
            uow.commit()
        totals["tickets"] += n_t
        totals["appointments"] += n_a
        totals["assist"] += n_r
        if n_t or n_a:
            log.info("hall %s: personal data erased from %d tickets and %d appointments before %s",
                     code, n_t, n_a, cutoff.isoformat())
    return totals


def daily_purge(ctx) -> dict:
    """The maintenance loop's job (cheap when nothing is due: two indexed UPDATEs per hall)."""
    return purge(ctx)
