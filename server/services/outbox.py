"""The outbox to the province's 好差评 system: records written in the same transaction as the
rating or the review-case step they report (`record_rating`, `record_step`, `record_case`), and
the worker that posts them (`deliver_due`, `run`, started by `server.py run`).

Delivery: each record is POSTed as JSON to the hall's `[province] url` under the province's field
names (`[province.mapping]` over the national default in domain/province.py), with the header
`Idempotency-Key: <record id>`; a 2xx marks it sent, anything else (refused, 5xx, timeout) leaves it
pending with the next try after a doubling wait (`retry_base_s` .. `retry_max_s`). A record is only
ever sent under its own stable id, so a try whose answer was lost and is repeated is the same
record to the receiver, never a new one. The worker never holds a transaction while it waits on
the network, so a slow or dead receiver cannot slow a rating.

Halls with no link (no `url`) keep their records pending and export them as files (JSON, xlsx).
"""
from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..domain import province
from ..domain import ratings as rdomain
from ..domain.errors import Invalid, NotFound
from ..store import tables as t
from . import sheets
from .views import iso

log = logging.getLogger("hallq.outbox")

IDLE_S = 2.0  # the worker looks for due records this often when there is nothing to send
BATCH = 50
LEASE_S = 120  # a record being sent is not picked again by another worker for this long


@dataclass
class Link:
    """A hall's `[province]` section."""
    url: str | None = None
    timeout_s: float = 5.0
    retry_base_s: float = 30.0
    retry_max_s: float = 3600.0
    headers: dict = field(default_factory=dict)
    mapping: dict = field(default_factory=lambda: dict(province.DEFAULT_MAPPING))
    verify: bool | str = True  # TLS certificate check (a path: the province's CA bundle)


def link(hall) -> Link:
    section = hall.config.raw.get("province") or {}
    if not isinstance(section, dict):
        raise Invalid("hall config: [province] must be a table")
    try:
        out = Link(url=section.get("url") or None,
                   timeout_s=float(section.get("timeout_s", 5.0)),
                   retry_base_s=float(section.get("retry_base_s", 30.0)),
                   retry_max_s=float(section.get("retry_max_s", 3600.0)),
                   headers={str(k): str(v) for k, v in (section.get("headers") or {}).items()},
                   mapping=province.check_mapping(section.get("mapping")),
                   verify=section.get("verify", True))
    except (TypeError, ValueError) as exc:
        raise Invalid(f"hall config {hall.code}: [province] {exc}") from None
    if out.url is not None and not str(out.url).startswith(("https://", "http://")):
        raise Invalid(f"hall config {hall.code}: [province] url must be an http(s) address")
    if out.timeout_s <= 0 or out.retry_base_s <= 0 or out.retry_max_s < out.retry_base_s:
        raise Invalid(f"hall config {hall.code}: [province] timeout_s, retry_base_s > 0 and "
                      "retry_max_s >= retry_base_s")
    return out


# ---------------------------------------------------------------- writing (inside a use case)

def _add(conn, hall, record_id: str, kind: str, rating_id: int | None, record: dict, now) -> bool:
    """Insert one record; a record id already there is left as it is (False)."""
    try:
        with conn.begin_nested():
            conn.execute(t.outbox.insert().values(
                hall_id=hall.id, record_id=record_id, kind=kind, rating_id=rating_id, record=record,
                status="pending", attempts=0, next_try_at=now, created_at=now))
        return True
    except IntegrityError:
        return False


def _case_of(conn, ticket_id) -> dict | None:
    if ticket_id is None:  # a complaint that named no visit has no 办件编号
        return None
    row = conn.execute(select(t.visit_cases).where(t.visit_cases.c.ticket_id == ticket_id)).first()
    if row is None:
        return None
    return {"case_no": row.case_no, "item_code": row.item_code, "item_name": row.item_name}


def _staff_no(conn, staff_id) -> str | None:
    if staff_id is None:
        return None
    return conn.execute(select(t.users.c.staff_no).where(t.users.c.id == staff_id)).scalar()


def _rating_record(conn, hall, rating, record_id: str, kind: str, **extra) -> dict:
    return province.rating_record(
        record_id=record_id, kind=kind, hall=hall.config.name, level=rating.level,
        source=rating.source, reasons=list(rating.reasons or []), comment=rating.comment,
        rated_at=iso(rating.created_at), window=rating.window,
        staff_no=_staff_no(conn, rating.staff_id), case=_case_of(conn, rating.ticket_id), **extra)


def rating_record_id(hall, rating_id: int) -> str:
    return f"{hall.code}-R{rating_id}"


def record_rating(conn, hall, rating_id: int, now) -> None:
    """The rating just inserted in this transaction, as a record for the province."""
    rating = conn.execute(select(t.ratings).where(t.ratings.c.id == rating_id)).one()
    rid = rating_record_id(hall, rating_id)
    _add(conn, hall, rid, "rating", rating_id, _rating_record(conn, hall, rating, rid, "rating"), now)


def record_case(conn, hall, ticket_id, now) -> None:
    """A 办件编号 attached after the visit was rated: the rating again, now with its case."""
    if ticket_id is None:
        return
    rating = conn.execute(select(t.ratings).where(t.ratings.c.ticket_id == ticket_id)).first()
    if rating is None:
        return
    rid = f"{rating_record_id(hall, rating.id)}-C"
    _add(conn, hall, rid, "case", rating.id, _rating_record(conn, hall, rating, rid, "case"), now)


def record_step_in(uow, hall, rating_id: int, step_id: int, step: str, text: str, now,
                   callback: dict | None = None) -> None:
    """record_step in a use case's unit of work; a unit of work that keeps its own outbox (the
    service tests' in-memory one) records there."""
    own = getattr(uow, "outbox", None)
    if own is not None:
        own.record_step(hall, rating_id, step_id, step, text, now, callback)
        return
    record_step(uow.conn, hall, rating_id, step_id, step, text, now, callback=callback)


def record_step(conn, hall, rating_id: int, step_id: int, step: str, text: str, now,
                callback: dict | None = None) -> None:
    """整改 (rectify) or 回访 (callback) of a bad review: the rating with that step's result."""
    if step not in ("rectify", "callback"):
        return
    rating = conn.execute(select(t.ratings).where(t.ratings.c.id == rating_id)).first()
    if rating is None:
        return
    rid = f"{rating_record_id(hall, rating_id)}-S{step_id}"
    extra = {"rectification": text} if step == "rectify" else {
        "callback": province.callback_text(text, callback),
        "callback_satisfaction": province.SATISFACTION.get((callback or {}).get("satisfaction"))}
    _add(conn, hall, rid, "step", rating_id, _rating_record(conn, hall, rating, rid, "step", **extra),
         now)


# ---------------------------------------------------------------- the worker

def _links(ctx) -> dict[int, Link]:
    """The halls that have a link to the province (a hall without one exports files instead)."""
    with ctx.db.read() as conn:
        halls = conn.execute(select(t.halls.c.id, t.halls.c.code)).all()
    out = {}
    for hall_id, code in halls:
        try:
            lk = link(ctx.hall_by_code(code))
        except Invalid as exc:
            log.error("%s", exc)
            continue
        if lk.url:
            out[hall_id] = lk
    return out


def _due(ctx, now, limit, hall_ids):
    with ctx.db.read() as conn:
        return conn.execute(select(t.outbox.c.id, t.outbox.c.hall_id, t.outbox.c.next_try_at)
                            .where(t.outbox.c.status == "pending", t.outbox.c.next_try_at <= now,
                                   t.outbox.c.hall_id.in_(hall_ids))
                            .order_by(t.outbox.c.id).limit(limit)).all()


def _claim(ctx, row, now) -> dict | None:
    """Lease one record (another worker skips it meanwhile); None when someone else has it."""
    with ctx.uow() as uow:
        got = uow.conn.execute(update(t.outbox).where(
            t.outbox.c.id == row.id, t.outbox.c.status == "pending",
            t.outbox.c.next_try_at == row.next_try_at)
            .values(next_try_at=now + timedelta(seconds=LEASE_S))).rowcount
        rec = uow.conn.execute(select(t.outbox).where(t.outbox.c.id == row.id)).one()
        uow.commit()
    return rec if got == 1 else None


def _post(lk: Link, rec) -> str | None:
    """None when the receiver took it (2xx), else why not."""
    body = province.apply_mapping(rec.record, lk.mapping)
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": rec.record_id,
               **lk.headers}
    try:
        resp = requests.post(lk.url, data=json.dumps(body, ensure_ascii=False).encode(),
                             headers=headers, timeout=lk.timeout_s, verify=lk.verify)
    except requests.Timeout:
        return f"timeout after {lk.timeout_s:g} s"
    except requests.ConnectionError:
        return "ConnectionError: cannot connect to the receiver"
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= resp.status_code < 300:
        return None
    return f"HTTP {resp.status_code}: {resp.text[:200]}"


def _settle(ctx, rec, error: str | None, lk: Link) -> None:
    now = ctx.now()
    values = ({"status": "sent", "sent_at": now, "last_error": None, "attempts": rec.attempts + 1}
              if error is None else
              {"attempts": rec.attempts + 1, "last_error": error[:300],
               "next_try_at": now + timedelta(seconds=province.backoff_s(
                   rec.attempts + 1, lk.retry_base_s, lk.retry_max_s))})
    with ctx.uow() as uow:
        uow.conn.execute(update(t.outbox).where(t.outbox.c.id == rec.id,
                                                t.outbox.c.status == "pending").values(**values))
        uow.commit()


def deliver_due(ctx, limit: int = BATCH) -> dict:
    """One pass: post every due record of halls with a link. Returns counts (sent, failed)."""
    now = ctx.now()
    done = {"sent": 0, "failed": 0}
    links = _links(ctx)
    if not links:
        return done
    for row in _due(ctx, now, limit, list(links)):
        lk = links[row.hall_id]
        rec = _claim(ctx, row, now)
        if rec is None:
            continue
        error = _post(lk, rec)
        _settle(ctx, rec, error, lk)
        done["failed" if error else "sent"] += 1
        if error:
            log.warning("province record %s not delivered (try %d): %s", rec.record_id,
                        rec.attempts + 1, error)
    return done


def run(ctx, stop: threading.Event, idle_s: float = IDLE_S) -> None:
    """The worker thread: deliver what is due, then wait a little when nothing was."""
    while not stop.is_set():
        try:
            done = deliver_due(ctx)
        except Exception:  # a database hiccup must not end the thread
            log.exception("outbox pass failed")
            done = {"sent": 0, "failed": 0}
        if not done["sent"]:
            stop.wait(idle_s)


def start(ctx, stop: threading.Event) -> threading.Thread:
    th = threading.Thread(target=run, args=(ctx, stop), daemon=True, name="hallq-outbox")
    th.start()
    return th


# ---------------------------------------------------------------- reading (admin, export)

STATUSES = ("pending", "sent")
# the record keeps the national (Chinese) channel name; the English page shows its English one
_CHANNEL_EN = {zh: en for zh, en in province.CHANNELS.values()}


def _view(row) -> dict:
    return {"id": row.id, "record_id": row.record_id, "kind": row.kind, "status": row.status,
            "attempts": row.attempts, "next_try_at": iso(row.next_try_at) if row.status == "pending"
            else None, "last_error": row.last_error, "created_at": iso(row.created_at),
            "sent_at": iso(row.sent_at), "case_no": row.record.get("case_no"),
            "level": row.record.get("level"), "channel": row.record.get("channel"),
            # a complaint (投诉) has no level: the page shows its name instead of a blank
            "level_label": rdomain.label(row.record.get("level"))[0],
            "level_label_en": rdomain.label(row.record.get("level"))[1],
            "channel_en": _CHANNEL_EN.get(row.record.get("channel"), row.record.get("channel"))}


def overview(app, hall_code: str, status: str | None = None, limit: int = 200) -> dict:
    """The /admin tab: counts by status, the link, and the newest records (failing ones first)."""
    if status is not None and status not in STATUSES:
        raise Invalid("status must be pending or sent", code="invalid")
    limit = max(1, min(int(limit), 1000))
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        lk = link(hall)
        o = t.outbox.c
        counts = dict(conn.execute(select(o.status, func.count()).where(o.hall_id == hall.id)
                                   .group_by(o.status)).all())
        failing = conn.execute(select(func.count()).where(
            o.hall_id == hall.id, o.status == "pending", o.attempts > 0)).scalar()
        q = select(t.outbox).where(o.hall_id == hall.id)
        if status:
            q = q.where(o.status == status)
        rows = conn.execute(q.order_by(o.status, o.id.desc()).limit(limit)).all()
    return {"url": lk.url, "linked": bool(lk.url),
            "counts": {"pending": counts.get("pending", 0), "sent": counts.get("sent", 0),
                       "failing": failing},
            "records": [_view(r) for r in rows]}


def retry_now(app, hall_code: str, outbox_id: int) -> dict:
    """An admin asks for a pending record to be tried at once (e.g. after the province came back)."""
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = uow.conn.execute(select(t.outbox).where(t.outbox.c.id == outbox_id,
                                                      t.outbox.c.hall_id == hall.id)).first()
        if row is None:
            raise NotFound("没有这条上报记录 (unknown outbox record)", code="not_found")
        if row.status == "pending":
            uow.conn.execute(update(t.outbox).where(t.outbox.c.id == row.id)
                             .values(next_try_at=app.now()))
        row = uow.conn.execute(select(t.outbox).where(t.outbox.c.id == outbox_id)).one()
        uow.commit()
    return _view(row)


def export(app, hall_code: str, fmt: str, since=None, until=None) -> tuple[bytes, str]:
    """Every record (optionally created in [since, until)) under the province's field names, as a
    JSON array or an xlsx sheet: the file a hall with no link hands over."""
    if fmt not in ("json", "xlsx"):
        raise Invalid("format must be json or xlsx", code="invalid")
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        lk = link(hall)
        o = t.outbox.c
        q = select(t.outbox).where(o.hall_id == hall.id)
        if since is not None:
            q = q.where(o.created_at >= since)
        if until is not None:
            q = q.where(o.created_at < until)
        rows = conn.execute(q.order_by(o.id)).all()
    records = [province.apply_mapping(r.record, lk.mapping) for r in rows]
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=1).encode(), "application/json"
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "好差评"
    names = list(lk.mapping.values())
    ws.append(names)
    for rec in records:
        ws.append([_cell(rec.get(n)) for n in names])
    sheets.finish(ws)  # widths, header, print; a resident's comment "=HYPERLINK(...)" stays text
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value
