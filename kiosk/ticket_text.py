"""The words of a ticket, as the screen shows them and the printer prints them, in one language
(Chinese tickets carry no English and English ones no Chinese). No Kivy, no printer here."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import i18n


@dataclass
class TicketText:
    lang: str
    hall: str
    service: str
    number: str
    ahead: str
    wait: str | None  # None: the server gave no estimate
    windows: str | None
    priority: str | None  # 长者优先, 预约 ...
    pass_rule: str | None
    issued_at: str
    qr_caption: str
    notice: list[str] = field(default_factory=list)


def wait_line(seconds, lang: str) -> str | None:
    """"预计等候约 12 分钟"; under a minute "即将叫号" (never "约 0 分钟")."""
    if seconds is None:
        return None
    if seconds < 60:
        return i18n.t("wait_soon", lang)
    return i18n.t("wait_about", lang, m=round(seconds / 60))


def windows_line(windows, lang: str) -> str | None:
    nums = [str(n) for n in (windows or [])]
    if not nums:
        return None
    if lang == "en":
        joined = ", ".join(nums[:-1]) + f" or {nums[-1]}" if len(nums) > 1 else nums[0]
        return ("Served at windows " if len(nums) > 1 else "Served at window ") + joined
    return i18n.t("windows", "zh", windows="、".join(nums))


def priority_mark(ticket: dict, lang: str) -> str | None:
    """老年人优先 etc. (the labels are rules/priority.py's), or 预约 for an appointment."""
    from rules import priority
    if ticket.get("priority"):
        return priority.label(ticket["priority"], lang)
    if ticket.get("appointment"):
        return i18n.t("appointment", lang)
    return None


def _sentences(text: str) -> list[str]:
    """A hall notice as lines, one sentence each, as the config wrote them (no stray "。" lines)."""
    import re
    return [part.strip() for part in re.findall(r"[^。\n]+。?", text or "") if part.strip(" 。")]


def ticket_text(ticket: dict, service: dict | None, hall: dict, lang: str, issued_at: str) -> TicketText:
    en = lang == "en"
    service = service or {}
    svc_name = (service.get("name_en") if en else None) or (
        ticket.get("service_name") if not en else None) or service.get("name") or ticket.get("service", "")
    hall_name = (hall.get("name_en") if en else None) or (
        ticket.get("hall_name") if not en else None) or hall.get("name") or ""
    note = ticket.get("note_en") if en else ticket.get("note")
    rule = hall.get("pass_rule_en" if en else "pass_rule") or None
    notice = ([note] if note else []) + ([hall["notice_en"]] if en and hall.get("notice_en") else [])
    if not en:
        notice += _sentences(hall.get("notice") or "")
    return TicketText(
        lang=lang, hall=hall_name, service=svc_name, number=ticket["number"],
        ahead=i18n.t("ahead", lang, n=int(ticket.get("ahead") or 0)),
        wait=wait_line(ticket.get("estimated_wait_s"), lang),
        windows=windows_line(service.get("windows"), lang),
        priority=priority_mark(ticket, lang), pass_rule=rule, issued_at=issued_at,
        qr_caption=i18n.t("scan_to_follow", lang), notice=notice)
