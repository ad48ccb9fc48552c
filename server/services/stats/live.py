"""The live hall for the dashboard: windows, queues and alerts now."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ...domain.kpis import duration_s
from ...store import tables as t
from ..presence import offline_alerts
from ..queue_view import list_services, list_windows
from .hall_alerts import hall_alerts
from .periods import local_day

FAULT_TEXT = {"paper_out": ("缺纸", "out of paper"), "cover_open": ("纸仓盖打开", "cover open"),
              "offline": ("离线", "offline")}


def _parse_iso(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s.rstrip("Z")) if s else None


def live(app, hall_code: str) -> dict:
    """Windows, queues and alerts now (the dashboard's live panel)."""
    now = app.now()
    windows = list_windows(app, hall_code)
    services = list_services(app, hall_code)
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = local_day(hall, now).isoformat()
        tk = t.tickets.c
        waiting = conn.execute(select(tk.service, tk.queued_at, tk.issued_at).where(
            tk.hall_id == hall.id, tk.day == today, tk.status == "waiting")).all()
        df = t.device_faults.c
        faults = conn.execute(select(t.device_faults).where(
            df.hall_id == hall.id, df.cleared_at.is_(None)).order_by(df.created_at)).all()
        rule_alerts = hall_alerts(app, conn, hall, now, windows)
        rule_alerts += offline_alerts(conn, hall, now)  # 设备离线: no heartbeat (services/presence.py)
    pause_limit = int(hall.config.rule("pause_alert_min", 15)) * 60
    alerts = []
    for s in services:
        mine = [r for r in waiting if r.service == s["code"]]
        longest = max((duration_s(r.queued_at, now) for r in mine), default=0)
        over = sum(1 for r in mine if duration_s(r.queued_at, now) > s["target_wait_s"])
        s.update({"longest_wait_s": longest, "over_target": over})
        if over:
            alerts.append({"kind": "wait_over_target", "level": "warning", "service": s["code"],
                           "count": over, "longest_wait_s": longest, "target_wait_s": s["target_wait_s"],
                           "message": f"{s['name']}:{over} 人等候超过 {s['target_wait_s'] // 60} 分钟"
                                      f"（最长 {longest // 60} 分钟）",
                           "message_en": f"{s['name_en'] or s['code']}: {over} waiting longer than "
                                         f"{s['target_wait_s'] // 60} min (longest {longest // 60} min)"})
    for w in windows:
        cur = w.get("current")
        since = _parse_iso(cur.get("started_at") or cur.get("called_at")) if cur else None
        w["serving_s"] = duration_s(since, now) if since else None
        w["paused_s"] = duration_s(_parse_iso(w.get("paused_at")), now) if w.get("paused_at") else None
        if w["status"] == "paused" and w["paused_s"] is not None and w["paused_s"] > pause_limit:
            alerts.append({"kind": "window_paused_long", "level": "warning", "window": w["number"],
                           "paused_s": w["paused_s"], "reason": w.get("pause_reason"),
                           "message": f"{w['number']} 号窗口暂停已 {w['paused_s'] // 60} 分钟"
                                      f"({w.get('pause_reason') or ''})",
                           "message_en": f"Window {w['number']} paused for {w['paused_s'] // 60} min"
                                         f" ({w.get('pause_reason') or ''})"})
    for f in faults:
        zh, en = FAULT_TEXT.get(f.kind, (f.kind, f.kind))
        alerts.append({"kind": "device_fault", "level": "error", "device": f.device_name,
                       "fault": f.kind, "since": f.created_at.isoformat(timespec="seconds") + "Z",
                       "message": f"设备故障：{f.device_name or ''} {zh}",
                       "message_en": f"Device fault: {f.device_name or ''} {en}"})
    alerts.extend(rule_alerts)
    alerts.extend(app.limiter.sign_ins.alerts())  # password guessing (sign_in_guard.py)
    return {"hall": hall.code, "now": now.isoformat(timespec="seconds") + "Z", "day": today,
            "local_time": hall.local_now(now).isoformat(timespec="seconds"),
            "windows": windows, "services": services, "alerts": alerts}
