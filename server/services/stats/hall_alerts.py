"""Dashboard alerts from the hall's own rules: next year's calendar missing (from 1 November), a
window whose A and B posts (AB岗) have both not signed in while it should be open, time-limited
cases (承诺件, 上报件, 代办件) due today or overdue, and 帮办代办 requests past their due date."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ...domain.hall import parse_hours
from ...domain.tickets import TRACKED
from ...store import tables as t


def _opened_for(spans: list[str], local: datetime) -> timedelta | None:
    """How long the window has been due open now (None: not in its hours)."""
    for a, b in parse_hours(spans):
        if a <= local.time() < b:
            return local - local.replace(hour=a.hour, minute=a.minute, second=0, microsecond=0)
    return None


def hall_alerts(app, conn, hall, now, windows: list[dict]) -> list[dict]:
    out: list[dict] = []
    local = hall.local_now(now)
    warning = hall.calendar.next_year_warning(local.date())
    if warning:
        out.append({"kind": "calendar_next_year", "level": "error", "year": warning["year"],
                    "message": warning["message"], "message_en": warning["message_en"]})
    grace = timedelta(minutes=int(hall.config.rule("unstaffed_alert_min", 10)))
    status = {w["number"]: w["status"] for w in windows}
    posts = {win.number: win.posts for win in hall.config.windows if win.posts}
    names = {}
    if posts:
        wanted = {u for ps in posts.values() for u in ps}
        names = dict(conn.execute(select(t.users.c.username, t.users.c.name)
                                  .where(t.users.c.username.in_(wanted))).all())
    for win in hall.config.windows:
        if win.number not in posts or status.get(win.number) != "closed":
            continue
        due = _opened_for(hall.config.window_hours_on(win, local.date(), hall.calendar), local)
        if due is None or due < grace:
            continue
        who = [names.get(u, u) for u in posts[win.number]]
        zh = "、".join(f"{p}岗 {n}" for p, n in zip("AB", who))
        en = ", ".join(f"{p} post {n}" for p, n in zip("AB", who))
        out.append({"kind": "window_unstaffed", "level": "warning", "window": win.number,
                    "minutes": int(due.total_seconds() // 60),
                    "message": f"{win.number} 号窗口无人签到（{zh}均未到岗）",
                    "message_en": f"Window {win.number} unstaffed ({en}: neither signed in)"})
    tk = t.tickets.c
    due = conn.execute(select(func.count().filter(tk.due_date < local.date()),
                              func.count().filter(tk.due_date == local.date())).where(
        tk.hall_id == hall.id, tk.status == "done", tk.outcome.in_(TRACKED), tk.delivered_at.is_(None),
        tk.due_date <= local.date())).one()
    if due[0]:
        out.append({"kind": "cases_overdue", "level": "error", "count": due[0],
                    "message": f"限时办结件：{due[0]} 件已超过办结期限未出件",
                    "message_en": f"Time-limited cases: {due[0]} past their due date, result not handed over"})
    if due[1]:
        out.append({"kind": "cases_due_today", "level": "warning", "count": due[1],
                    "message": f"限时办结件：{due[1]} 件今日到期",
                    "message_en": f"Time-limited cases: {due[1]} due today"})
    a = t.assist_requests.c
    overdue = conn.execute(select(func.count()).where(
        a.hall_id == hall.id, a.status.in_(("accepted", "in_progress")),
        a.due_date < local.date())).scalar_one()
    if overdue:
        out.append({"kind": "assist_overdue", "level": "warning", "count": overdue,
                    "message": f"帮办代办：{overdue} 件已超过办结期限",
                    "message_en": f"Assisted cases: {overdue} past their due date"})
    return out
