"""The window's case system (一窗受理/办件系统) ties the visit at its window to the case it accepted:
办件编号 (case_no), 事项编码 (item_code), 事项名称 (item_name), and may ask the window's evaluator to
prompt for the rating. Which visit: the one being served (or called) at the window, else the one
just finished there while its rating prompt stands (`ratings.prompt_lifetime_s`)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..domain.errors import Conflict, Forbidden, Invalid
from ..store import tables as t
from . import outbox
from .auth import Principal
from .ratings import prompt_lifetime_s
from .views import iso


def _text(value, name: str, max_len: int, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise Invalid(f"{name} 应为不超过 {max_len} 个字符的文字 ({name} must be text up to "
                      f"{max_len} characters)", code="invalid")
    return value.strip()


def _visit_at(conn, hall, window: int, now):
    tk = t.tickets.c
    row = conn.execute(select(t.tickets).where(
        tk.hall_id == hall.id, tk.window == window, tk.status.in_(("called", "serving")))
        .order_by(tk.called_at.desc()).limit(1)).first()
    if row is not None:
        return row
    row = conn.execute(select(t.tickets).where(
        tk.hall_id == hall.id, tk.window == window, tk.status == "done")
        .order_by(tk.finished_at.desc()).limit(1)).first()
    if row is not None and row.finished_at is not None and \
            now - row.finished_at <= timedelta(seconds=prompt_lifetime_s(hall)):
        return row
    raise Conflict(f"{window} 号窗口当前没有正在办理或刚办结的业务 (no visit being served or just "
                   f"finished at window {window})", code="no_visit")


def attach(app, hall_code: str, window: int, principal: Principal, case_no, item_code=None,
           item_name=None, prompt: bool = False) -> dict:
    """Attach (or correct) the case of the visit at `window`; `prompt` asks its evaluator to prompt
    for the rating once the visit is finished and not yet rated."""
    case_no = _text(case_no, "case_no", 64, required=True)
    item_code = _text(item_code, "item_code", 64)
    item_name = _text(item_name, "item_name", 200)
    if window not in (principal.windows or []):
        raise Forbidden(f"本设备不属于 {window} 号窗口 (this device does not serve window {window})",
                        code="other_window")
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        hall.window_config(window)
        row = _visit_at(conn, hall, window, now)
        values = {"case_no": case_no, "item_code": item_code, "item_name": item_name,
                  "window": window, "device": principal.name, "attached_at": now}
        vc = t.visit_cases.c
        old = conn.execute(select(t.visit_cases).where(vc.ticket_id == row.id)).first()
        changed = old is None or (old.case_no, old.item_code, old.item_name) != (
            case_no, item_code, item_name)
        if old is None:
            try:
                with conn.begin_nested():
                    conn.execute(t.visit_cases.insert().values(hall_id=hall.id, ticket_id=row.id,
                                                               **values))
            except IntegrityError:  # the same call racing itself: the other one attached it
                changed = False
        elif changed:
            conn.execute(update(t.visit_cases).where(vc.ticket_id == row.id).values(**values))
        rated = conn.execute(select(t.ratings.c.id).where(t.ratings.c.ticket_id == row.id)).first()
        if rated is not None and changed:
            outbox.record_case(conn, hall, row.id, now)  # the province learns the rating's case
        prompted = bool(prompt) and row.status == "done" and rated is None
        if prompted:
            uow.emit(hall.id, "rating.prompt", ticket_id=row.id, window=window,
                     actor=principal.actor,
                     data={"ticket": {"id": row.id, "number": row.number, "window": window}})
        uow.commit()
    return {"ticket": {"id": row.id, "number": row.number, "status": row.status, "window": window},
            "case_no": case_no, "item_code": item_code, "item_name": item_name,
            "attached_at": iso(now), "rated": rated is not None, "prompted": prompted}
