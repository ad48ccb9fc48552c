"""一次性告知单: when a case is returned for missing papers (退回/补正), the window ticks the missing
materials from the service's guide and the resident takes away one list of everything still
needed: printed on the window's printer (hall config `[[windows]] printer`) or opened on a phone
from a QR (public_url + /n/{ticket token}). Counted in the statistics."""
from __future__ import annotations

import logging

import segno
from sqlalchemy import func, select, update

from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..store import tables as t
from .auth import Principal
from .halls import public_url_problem

log = logging.getLogger(__name__)

MAX_ITEMS = 20
OTHER_MAX = 100


def allowed_materials(svc) -> list[str]:
    """What a notice may list: the service's materials and those of its matters (事项), in order."""
    out: list[str] = []
    for item in list(svc.materials) + [m for matter in svc.matters for m in matter.materials]:
        if item not in out:
            out.append(item)
    return out


def _check_missing(svc, missing, other) -> list[str]:
    if not isinstance(missing, list) or any(not isinstance(m, str) for m in missing):
        raise Invalid("missing must be a list of material names", code="invalid")
    known = allowed_materials(svc)
    unknown = [m for m in missing if m not in known]
    if unknown:
        raise Invalid(f"不在本业务的材料清单中 (not in the service's materials): {unknown[0][:40]}",
                      code="unknown_material")
    items = [m for m in known if m in missing]  # the guide's order, each once
    if other:
        if not isinstance(other, str) or len(other.strip()) > OTHER_MAX:
            raise Invalid(f"其他材料最多 {OTHER_MAX} 字 (other: at most {OTHER_MAX} characters)", code="invalid")
        items.append(other.strip())
    if not items or len(items) > MAX_ITEMS:
        raise Invalid("请勾选缺少的材料 (tick at least one missing material)", code="nothing_missing")
    return items


def _public_link(hall, token: str) -> tuple[str | None, str | None]:
    """(url, qr svg data URI) a phone on the hall's Wi-Fi can open, or (None, None)."""
    base = (hall.config.raw.get("hall") or {}).get("public_url")
    if public_url_problem(base):
        return None, None
    url = base.rstrip("/") + f"/n/{token}"
    return url, segno.make_qr(url, error="m").svg_data_uri(scale=5, border=2)


def _view(hall, ticket, notice) -> dict:
    info = hall.config.raw.get("hall") or {}
    svc = next((s for s in hall.config.services if s.code == ticket.service), None)
    return {
        "number": ticket.number, "service": ticket.service,
        "service_name": svc.name if svc else ticket.service,
        "service_name_en": (svc.name_en or svc.code) if svc else ticket.service,
        "hall_name": hall.config.name, "hall_name_en": hall.config.name_en,
        "window": notice.window, "missing": list(notice.missing), "note": notice.note,
        "hours": hall.config.hours, "phone": info.get("phone", ""), "address": info.get("address", ""),
        "address_en": info.get("address_en", ""),
        "issued_at": notice.created_at.isoformat(timespec="seconds") + "Z",
        "printed": notice.printed_at is not None,
    }


def _finished_returned(conn, hall, ticket_id: int):
    row = conn.execute(select(t.tickets).where(t.tickets.c.id == ticket_id,
                                               t.tickets.c.hall_id == hall.id)).first()
    if row is None:
        raise NotFound("没有这张号票 (unknown ticket)", code="unknown_ticket")
    if row.status != "done" or row.outcome != "returned":
        raise Conflict("只有退回补正的业务可以出具告知单 (only a returned case gets a notice)",
                       code="not_returned")
    return row


def _may_write(principal: Principal, ticket) -> None:
    if principal.role in ("manager", "admin"):
        return
    if principal.is_user and (ticket.staff_id == principal.id or ticket.window in principal.windows):
        return
    raise Forbidden("只有办理该业务的窗口可以出具告知单 (only the window that served it)", code="forbidden")


def issue(app, hall_code: str, principal: Principal, ticket_id: int, missing, other=None,
          note=None) -> dict:
    """Record the missing materials of a returned case (again: replaces the list). The answer has
    the notice, and a link and QR for the resident's phone when the hall has a public_url."""
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise Invalid("note: at most 500 characters", code="invalid")
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        ticket = _finished_returned(conn, hall, ticket_id)
        _may_write(principal, ticket)
        items = _check_missing(hall.service(ticket.service), missing, other)
        n = t.notices.c
        have = conn.execute(select(t.notices).where(n.ticket_id == ticket.id)).first()
        values = {"missing": items, "note": (note or "").strip() or None, "window": ticket.window}
        if have:
            conn.execute(update(t.notices).where(n.id == have.id).values(**values))
        else:
            conn.execute(t.notices.insert().values(hall_id=hall.id, ticket_id=ticket.id, created_at=now,
                                                   created_by=principal.actor, **values))
        uow.emit(hall.id, "notice.issued", ticket_id=ticket.id, window=ticket.window, actor=principal.actor,
                 data={"items": len(items)})
        notice = conn.execute(select(t.notices).where(n.ticket_id == ticket.id)).one()
        out = _view(hall, ticket, notice)
        uow.commit()
    out["url"], out["qr_svg"] = _public_link(hall, ticket.token)
    out["path"] = f"/n/{ticket.token}"
    out["printer"] = _window_printer(hall, ticket.window) is not None
    return out


def for_resident(app, token: str) -> dict:
    """The notice on the resident's phone, by the ticket's token (nothing personal)."""
    if not isinstance(token, str) or not 8 <= len(token) <= 64:
        raise NotFound("没有这份告知单 (no such notice)", code="unknown_notice")
    with app.db.read() as conn:
        ticket = conn.execute(select(t.tickets).where(t.tickets.c.token == token)).first()
        notice = ticket and conn.execute(select(t.notices).where(t.notices.c.ticket_id == ticket.id)).first()
        if not notice:
            raise NotFound("没有这份告知单 (no such notice)", code="unknown_notice")
        code = conn.execute(select(t.halls.c.code).where(t.halls.c.id == ticket.hall_id)).scalar_one()
        return _view(app.hall(conn, code), ticket, notice)


def _window_printer(hall, window: int | None) -> str | None:
    for w in hall.config.windows:
        if w.number == window:
            return w.extra.get("printer") or None
    return None


def print_at_window(app, hall_code: str, principal: Principal, ticket_id: int) -> dict:
    """Print the notice on the printer of the window that served the case."""
    from hardware.notice import NoticePrint, print_notice
    from hardware.printer import PrinterConfigError, PrinterFault, TicketPrinter
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        ticket = _finished_returned(conn, hall, ticket_id)
        _may_write(principal, ticket)
        notice = conn.execute(select(t.notices).where(t.notices.c.ticket_id == ticket.id)).first()
    if notice is None:
        raise Conflict("请先勾选缺少的材料 (record the missing materials first)", code="no_notice")
    url = _window_printer(hall, ticket.window)
    if not url:
        raise Conflict(f"{ticket.window} 号窗口未配置打印机，请让群众扫码查看 "
                       f"(window {ticket.window} has no printer: let the resident scan the QR)",
                       code="no_printer")
    view = _view(hall, ticket, notice)
    link, _ = _public_link(hall, ticket.token)
    local = hall.local_now(notice.created_at).strftime("%Y-%m-%d %H:%M")
    job = NoticePrint(hall_name=view["hall_name"], service_name=view["service_name"], number=view["number"],
                      missing=view["missing"], issued_at=local, window=view["window"],
                      hours="、".join(view["hours"]), phone=view["phone"], address=view["address"],
                      note=view["note"] or "", qr_url=link)
    try:
        print_notice(TicketPrinter(url, check_status=True), job)
    except PrinterConfigError as exc:
        raise Conflict(f"打印机配置有误 (printer configuration): {exc}", code="printer_config") from None
    except PrinterFault as fault:
        log.warning("notice for ticket %s: printer %s: %s", ticket.id, url, fault)
        raise Conflict(f"打印失败，请让群众扫码查看 (printing failed: {fault.status.value}); "
                       f"let the resident scan the QR", code="printer_fault") from None
    with app.uow() as uow:
        uow.execute(update(t.notices).where(t.notices.c.id == notice.id).values(printed_at=app.now()))
        uow.emit(hall.id, "notice.printed", ticket_id=ticket.id, window=ticket.window, actor=principal.actor)
        uow.commit()
    return {**view, "printed": True}


def count(conn, hall, d1, d2) -> int:
    """Notices given for the period's tickets (the statistics' 一次性告知 figure)."""
    n, tk = t.notices.c, t.tickets.c
    return conn.execute(select(func.count()).select_from(t.notices.join(t.tickets, n.ticket_id == tk.id))
                        .where(n.hall_id == hall.id, tk.day >= d1.isoformat(), tk.day <= d2.isoformat())
                        ).scalar_one()
