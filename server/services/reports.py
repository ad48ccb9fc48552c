"""Reports for any range of days: the same tables as JSON (the dashboard), xlsx (a sheet per table,
Chinese headers) and CSV. `python server.py report --from --to --format xlsx|csv --out FILE` writes
the same file as GET …/reports. Figures come from services.stats (definitions: docs/kpis.md)."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import select

from ..domain.tickets import OUTCOME_ZH, TRACKED
from ..domain import ratings
from ..domain.province import CHANNELS
from . import honours, pain_points, sheets, stats

TABLE_KEYS = ("summary", "services", "windows", "staff", "days", "league", "honours", "promised",
              "reviews", "estimates", "pain_points")

# column kinds: int, text, min (seconds shown as minutes, 1 decimal), h (seconds shown as hours,
# 1 decimal: time on duty over many days), pct (a share 0..1)
_GROUP_COLS = [
    ("served", "办结数", "Served", "int"),
    ("no_show", "过号数", "No-shows", "int"),
    ("completion_rate", "办结率", "Completion rate", "pct"),
    ("mean_wait_s", "平均等候（分钟）", "Mean wait (min)", "min"),
    ("p90_wait_s", "90%等候（分钟）", "P90 wait (min)", "min"),
    ("mean_service_s", "平均办理（分钟）", "Mean service (min)", "min"),
]
_IDLE_COLS = [
    ("available_s", "在岗时长（小时）", "On duty (h)", "h"),
    ("idle_share", "空闲占比", "Idle share", "pct"),
]
_RATING_COLS = [
    ("ratings.count", "评价数", "Ratings", "int"),
    ("ratings.satisfaction", "满意度", "Satisfaction", "pct"),
    ("ratings.good_rate", "好评率", "Good-review rate", "pct"),
    ("ratings.bad", "差评数", "Bad reviews", "int"),
]
COLUMNS = {
    "pain_points": [("month", "月份", "Month", "text"), ("service_name", "业务", "Service", "text"),
                    ("window", "窗口", "Window", "int"), ("staff_name", "工作人员", "Staff", "text"),
                    ("reason_name", "原因", "Reason", "text"), ("origin_name", "来源", "Origin", "text"),
                    ("channel_name", "渠道", "Channel", "text"),
                    ("count", "次数", "Mentions", "int"), ("bad", "其中差评", "Of which bad", "int")],
    "services": [("name", "业务", "Service", "text"), ("issued", "取号数", "Issued", "int")]
    + _GROUP_COLS[:2] + [("cancelled", "取消数", "Cancelled", "int"),
                         ("transferred", "转出数", "Transferred", "int")]
    + _GROUP_COLS[2:3] + [("mean_wait_s", "平均等候（分钟）", "Mean wait (min)", "min"),
                          ("median_wait_s", "中位等候（分钟）", "Median wait (min)", "min"),
                          ("p90_wait_s", "90%等候（分钟）", "P90 wait (min)", "min"),
                          ("target_wait_min", "目标等候（分钟）", "Target wait (min)", "int"),
                          ("within_target_share", "目标内叫号占比", "Called within target", "pct"),
                          ("mean_service_s", "平均办理（分钟）", "Mean service (min)", "min")]
    + _RATING_COLS,
    "windows": [("number", "窗口", "Window", "int"), ("name", "名称", "Name", "text"),
                ("team_name", "团队", "Team", "text")] + _GROUP_COLS + _IDLE_COLS + _RATING_COLS,
    "staff": [("staff_no", "工号", "Staff no.", "text"), ("name", "姓名", "Name", "text")]
    + _GROUP_COLS + _IDLE_COLS + _RATING_COLS,
    "days": [("day", "日期", "Day", "text"), ("issued", "取号数", "Issued", "int"),
             ("served", "办结数", "Served", "int"), ("no_show", "过号数", "No-shows", "int"),
             ("cancelled", "取消数", "Cancelled", "int"),
             ("mean_wait_s", "平均等候（分钟）", "Mean wait (min)", "min")] + _RATING_COLS[:2],
    "league": [("rank", "名次", "Rank", "int"), ("name", "团队", "Team", "text"),
               ("windows_text", "窗口", "Windows", "text"), ("cases", "办件数", "Cases", "int"),
               ("completion_rate", "办结率", "Completion rate", "pct"),
               ("good_rate", "好评率", "Good-review rate", "pct"), ("score", "综合得分", "Score", "num"),
               ("flag_text", "旗帜", "Flag", "text")],
    "honours": [("period", "期间", "Period", "text"), ("span", "统计区间", "Days", "text"),
                ("honour", "荣誉", "Honour", "text"), ("winner", "获得者", "Awarded to", "text"),
                ("windows", "窗口", "Windows", "text"), ("staff_no", "工号", "Staff no.", "text"),
                ("cases", "办件数", "Cases", "int"), ("completion_rate", "办结率", "Completion rate", "pct"),
                ("ratings", "评价数", "Ratings", "int"), ("good_rate", "好评率", "Good-review rate", "pct"),
                ("satisfaction", "满意度", "Satisfaction", "pct"), ("score", "综合得分", "Score", "num"),
                ("note", "说明", "Note", "text"), ("rule", "评选规则", "Rule", "text")],
    "promised": [("number", "号码", "Number", "text"), ("service_name", "业务", "Service", "text"),
                 ("outcome_text", "办件类型", "Kind", "text"),
                 ("window", "窗口", "Window", "int"), ("first_window", "首问窗口", "First window", "int"),
                 ("staff", "经办人", "Staff", "text"),
                 ("day", "受理日期", "Accepted", "text"), ("due_date", "办结期限", "Due", "text"),
                 ("state_text", "状态", "State", "text"),
                 ("delivered_at", "办结送达时间", "Delivered", "text")],
    "reviews": [("id", "案件编号", "Case", "int"), ("number", "号码", "Number", "text"),
                ("level_text", "评价", "Rating", "text"), ("window", "窗口", "Window", "int"),
                ("staff", "经办人", "Staff", "text"), ("day", "办理日期", "Visit day", "text"),
                ("due_date", "整改期限", "Due", "text"), ("state_text", "状态", "State", "text"),
                ("closed_at", "办结时间", "Closed", "text")],
    "estimates": [("day", "日期", "Day", "text"), ("service_name", "业务", "Service", "text"),
                  ("n", "人次", "Tickets", "int"), ("mae_s", "平均绝对误差（分钟）", "Mean abs. error (min)", "min"),
                  ("bias_s", "平均偏差（分钟）", "Bias (min)", "min"),
                  ("within_5min", "±5分钟内占比", "Within ±5 min", "pct"),
                  ("range_held", "区间命中率", "Range held", "pct")],
    "summary": [("metric", "指标", "Measure", "text"), ("value", "数值", "Value", "num"),
                ("unit", "单位", "Unit", "text")],
}
TITLES = {"summary": ("总览", "Summary"), "services": ("按业务", "By service"),
          "windows": ("按窗口", "By window"), "staff": ("按人员", "By staff"),
          "days": ("按日", "By day"), "league": ("擂台", "League"),
          "honours": ("擂台荣誉", "Honours"),
          "promised": ("限时办结件", "Time-limited cases"), "reviews": ("差评整改", "Bad-review cases"),
          "estimates": ("预计等候准确度", "Wait estimate accuracy"),
          "pain_points": ("堵点分析", "Pain points")}
STATE_TEXT = {"overdue": ("逾期", "Overdue"), "pending": ("办理中", "Pending"),
              "delivered": ("按时办结", "Delivered on time"), "delivered_late": ("逾期办结", "Delivered late"),
              "open": ("整改中", "Open"), "closed": ("已办结", "Closed"), "closed_late": ("逾期办结", "Closed late"),
              "voided": ("已作废", "Voided")}


def _get(row: dict, key: str):
    if "." not in key:
        return row.get(key)
    for part in key.split("."):
        row = row.get(part) if isinstance(row, dict) else None
    return row


def _cell(value, kind):
    if value is None:
        return None
    if kind == "min":
        return round(value / 60, 1)
    if kind == "h":
        return round(value / 3600, 1)
    return value


def _local(hall, dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc).astimezone(hall.config.tz).strftime("%Y-%m-%d %H:%M")


def _estimate_rows(st: dict) -> list[dict]:
    """Accuracy of the waits told at issue (docs/kpis.md): per day and service, then per service
    for the period ("全部"), then the whole period."""
    names = {s["code"]: s["name"] for s in st["services"]}
    order = {code: i for i, code in enumerate(names)}
    rows = [{"day": d["day"], "service_name": names.get(code, code), **fig} for d in st["by_day"]
            for code, fig in sorted(d.get("estimates_by_service", {}).items(),
                                    key=lambda kv: order.get(kv[0], len(order)))]
    rows += [{"day": "全部", "service_name": s["name"], **s["estimates"]}
             for s in st["services"] if s["estimates"]["n"]]
    rows.append({"day": "全部", "service_name": "全部", **st["estimates"]})
    return rows


def _summary_rows(st: dict) -> list[dict]:
    tk, w, s, r = st["tickets"], st["wait_s"], st["service_s"], st["ratings"]
    m = lambda v: None if v is None else round(v / 60, 1)  # noqa: E731
    rows = [
        ("取号数 (issued)", tk["issued"], "件"), ("办结数 (served)", tk["served"], "件"),
        ("过号数 (no-show)", tk["no_show"], "件"), ("取消数 (cancelled)", tk["cancelled"], "件"),
        ("转办数 (transferred)", tk["transferred"], "件"),
        ("平均等候 (mean wait)", m(w["mean"]), "分钟"), ("中位等候 (median wait)", m(w["median"]), "分钟"),
        ("90%等候 (p90 wait)", m(w["p90"]), "分钟"),
        ("平均办理 (mean service)", m(s["mean"]), "分钟"), ("中位办理 (median service)", m(s["median"]), "分钟"),
        ("目标内叫号占比 (called within target)", st["within_target"]["share"], "%"),
        ("办结率 (completion rate)", st["completion"]["rate"], "%"),
        ("窗口空闲占比 (idle share)", st["idle"]["share"], "%"),
        ("评价数 (ratings)", r["count"], "件"), ("满意度 (satisfaction)", r["satisfaction"], "%"),
        ("好评率 (good-review rate)", r["good_rate"], "%"), ("差评数 (bad reviews)", r["bad"], "件"),
        ("承诺件 (promised)", st["promised"]["total"], "件"),
        ("承诺件逾期 (promised overdue)", st["promised"]["overdue"], "件"),
        ("差评整改中 (review cases open)", st["review_cases"]["open"], "件"),
        ("差评整改逾期 (review cases overdue)", st["review_cases"]["overdue"], "件"),
    ]
    return [{"metric": a, "value": b, "unit": c} for a, b, c in rows]


def _promised_ordered(conn, hall, d1: date, d2: date, today: date, limit: int | None):
    """(state, row) of the period's promised cases: overdue, pending, delivered late, delivered;
    each by due date and number. With a limit only that many rows are read (a month has thousands)."""
    from ..store import tables as t
    tk = t.tickets.c
    cols = (tk.id, tk.number, tk.service, tk.outcome, tk.window, tk.first_window, tk.staff_id, tk.day,
            tk.due_date, tk.delivered_at)
    where = (tk.hall_id == hall.id, tk.outcome.in_(TRACKED), tk.day >= d1.isoformat(),
             tk.day <= d2.isoformat())
    order = (tk.due_date, tk.number, tk.id)
    q = select(*cols).where(*where, tk.delivered_at.is_(None)).order_by(*order)
    out = [(stats.promised_state(hall, r, today), r) for r in conn.execute(q.limit(limit))]
    if limit is not None and len(out) >= limit:
        return out
    late = [r for r in conn.execute(select(*cols).where(
        *where, tk.delivered_at.is_not(None), tk.due_date.is_not(None),
        tk.delivered_at >= stats.after_day_sql(conn, hall, tk.due_date, d1)).order_by(*order))
        if stats.promised_state(hall, r, today) == "delivered_late"]
    out += [("delivered_late", r) for r in late]
    room = None if limit is None else limit - len(out)
    if room is not None and room <= 0:
        return out[:limit]
    skip = {r.id for r in late}
    q = select(*cols).where(*where, tk.delivered_at.is_not(None)).order_by(*order)
    rows = conn.execute(q.limit(None if room is None else room + len(skip))).all()
    out += [("delivered", r) for r in rows if r.id not in skip]
    return out if limit is None else out[:limit]


def _no_visit(source: str | None) -> tuple[str, str]:
    """The 号码 cell of a case whose record named no visit (a 12345 call, a note in the box): no
    ticket, and the channel the record came by, so the reader knows where to look it up."""
    zh, en = CHANNELS.get(source or "", (source or "其他", source or "other"))
    return f"无办事记录（{zh}）", f"No visit named ({en})"


def _case_lists(app, conn, hall, d1: date, d2: date, now: datetime, users, ids,
                limit: int | None = None) -> tuple[list, list, int, int]:
    """Promised and review cases, overdue first; rows made for the first `limit` only (the page)."""
    today = stats.local_day(hall, now)
    svc_names = {s.code: s.name for s in hall.config.services}
    order = {"overdue": 0, "pending": 1, "open": 1, "delivered_late": 2, "closed_late": 2,
             "delivered": 3, "closed": 3, "voided": 4}
    promised = []
    for st, r in _promised_ordered(conn, hall, d1, min(d2, today), today, limit):
        u = users.get(r.staff_id)
        promised.append({"id": r.id, "number": r.number, "service": r.service,
                         "service_name": svc_names.get(r.service, r.service), "window": r.window,
                         "outcome": r.outcome, "outcome_text": OUTCOME_ZH.get(r.outcome, r.outcome),
                         "first_window": r.first_window,
                         "staff": u.name if u else None, "day": r.day,
                         "due_date": r.due_date.isoformat() if r.due_date else None, "state": st,
                         "state_text": STATE_TEXT[st][0], "delivered_at": _local(hall, r.delivered_at)})
    rkeyed = []
    for r in stats.review_rows(conn, hall, d1, min(d2, today), ids):
        st = stats.review_state(hall, r, today)
        rkeyed.append((order[st], r.due_date, r.id, st, r))
    rkeyed.sort(key=lambda x: x[:3])
    reviews = []
    for _o, _d, _i, st, r in rkeyed[:limit]:
        u = users.get(r.staff_id)
        label = ratings.label(r.level)
        number = (r.number, r.number) if r.number else _no_visit(r.source)
        reviews.append({"id": r.id, "number": number[0], "number_en": number[1],
                        "ticket_number": r.number, "channel": r.source, "level": r.level,
                        "level_text": label[0] if r.level is None else f"{r.level} {label[0]}",
                        "level_text_en": label[1] if r.level is None else f"{r.level} {label[1]}",
                        "window": r.window,
                        "staff": u.name if u else None, "day": r.day,
                        "due_date": r.due_date.isoformat(), "state": st, "state_text": STATE_TEXT[st][0],
                        "state_text_en": STATE_TEXT[st][1], "closed_at": _local(hall, r.closed_at)})
    return promised, reviews, len(rkeyed)


def _english(rows: list[dict], keys) -> dict[str, str]:
    """The English of the rows' Chinese words, from each `key` and its `key_en` twin (the dashboard
    shows the table in English with it; the xlsx and CSV stay Chinese)."""
    return {r[k]: r[k + "_en"] for r in rows for k in keys
            if r.get(k) and r.get(k + "_en") and r[k] != r[k + "_en"]}


def _table(key: str, rows: list[dict]) -> dict:
    cols = COLUMNS[key]
    return {"key": key, "title": TITLES[key][0], "title_en": TITLES[key][1],
            "columns": [{"key": k, "zh": zh, "en": en, "kind": kind} for k, zh, en, kind in cols],
            "rows": [[_cell(_get(r, k), kind) for k, _zh, _en, kind in cols] for r in rows]}


def build(app, hall_code: str, date_from=None, date_to=None, list_limit: int | None = None) -> dict:
    """Every table of the report (JSON-ready): columns with Chinese and English headers, rows.
    `list_limit` keeps the first rows of the case lists (their `total_rows` says how many exist)."""
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        d1, d2 = stats.parse_range(date_from, date_to, stats.local_day(hall, now))
        st = stats.compute(app, conn, hall, d1, d2, now)
        users = stats.staff_names(conn)
        promised, reviews, n_reviews = _case_lists(
            app, conn, hall, d1, d2, now, users, tuple(st["ticket_ids"]), list_limit)
        pains = pain_points.rows(conn, hall, d1, d2)  # 堵点: rating reasons and complaint topics
        # 流动红旗/黄旗 and 每月之星 of every month and quarter the period covers
        honour_rows, honour_en = honours.report_rows(app, conn, hall, d1, d2, now, {(d1, d2): st})
    lg = stats.league_from(hall, st)
    team_names = {r["team"]: r["name"] for r in lg["teams"]}
    for w in st["windows"]:
        w["team_name"] = team_names.get(w["team"], w["team"])
    for r in lg["teams"]:
        r["windows_text"] = ",".join(str(n) for n in r["windows"])
        r["flag_text"] = {"red": "红旗", "yellow": "黄旗"}.get(r["flag"], "")
    tables = [_table("summary", _summary_rows(st)), _table("services", st["services"]),
              _table("windows", st["windows"]), _table("staff", st["staff"]),
              _table("days", st["by_day"]), _table("league", lg["teams"]),
              {**_table("honours", honour_rows), "text_en": honour_en},
              _table("promised", promised),
              {**_table("reviews", reviews), "text_en": _english(
                  reviews, ("number", "level_text", "state_text"))}]
    tables[-2]["total_rows"], tables[-1]["total_rows"] = st["promised"]["total"], n_reviews
    tables.append(_table("estimates", _estimate_rows(st)))
    tables.append({**_table("pain_points", pains), "text_en": _english(
        pains, ("reason_name", "origin_name", "channel_name"))})
    return {"hall": hall.code, "hall_name": hall.config.name, "from": d1.isoformat(),
            "to": d2.isoformat(), "generated_at": st["generated_at"],
            "generated_local": _local(hall, now), "definitions": "docs/kpis.md",
            "tables": tables}


# ---------------------------------------------------------------- files


def _filename(rep: dict, ext: str, table: str | None = None) -> str:
    tail = f"-{table}" if table else ""
    return f"hallq-{rep['hall']}-{rep['from']}-{rep['to']}{tail}.{ext}"


# text columns holding a hall-local day or time: real dates in the xlsx (sorted, filtered by month)
_DATE_COLS, _TIME_COLS = {"day", "due_date"}, {"delivered_at", "closed_at"}
_DATE_FORMAT, _TIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"


def _xlsx_row(row: list, keys: list[str]) -> list:
    out = []
    for v, key in zip(row, keys):
        try:
            if isinstance(v, str) and key in _DATE_COLS:
                v = date.fromisoformat(v)
            elif isinstance(v, str) and key in _TIME_COLS:
                v = datetime.strptime(v, "%Y-%m-%d %H:%M")
        except ValueError:
            pass  # 全部 (the whole period), or anything else that is not a day or time, stays text
        out.append(v)
    return out


def to_xlsx(rep: dict) -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    for tb in rep["tables"]:
        ws = wb.create_sheet(tb["title"])
        ws.append([sheets.two_lines(c["zh"]) for c in tb["columns"]])
        keys = [c["key"] for c in tb["columns"]]
        for row in tb["rows"]:
            ws.append(_xlsx_row(row, keys))
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, (date, datetime)):
                    cell.number_format = _TIME_FORMAT if keys[cell.column - 1] in _TIME_COLS else _DATE_FORMAT
        for i, col in enumerate(tb["columns"], 1):
            fmt = {"pct": "0.0%", "min": "0.0", "h": "0.0"}.get(col["kind"])
            if tb["key"] == "summary" and col["key"] == "value":
                fmt = None
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = fmt
        if tb["key"] == "summary":
            for r in range(2, ws.max_row + 1):
                if ws.cell(r, 3).value == "%":  # the value shows as a percentage: no unit after it
                    ws.cell(r, 2).number_format = "0.0%"
                    ws.cell(r, 3).value = None
        sheets.finish(ws)
    meta = wb.create_sheet("说明")
    meta.append(["大厅", rep["hall_name"]])
    meta.append(["统计期间", f"{rep['from']} 至 {rep['to']}"])
    meta.append(["生成时间", rep.get("generated_local") or rep["generated_at"]])
    meta.append(["指标定义", "docs/kpis.md"])
    meta.append(["擂台荣誉", "统计期间完整覆盖的月份和季度（进行中的月份、季度计至今日）"])
    sheets.finish(meta, header=False)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_value(v, kind):
    if v is None:
        return ""
    if kind == "pct":
        return f"{v * 100:.1f}%"
    return _csv_text(v)


def _csv_text(v):
    """A leading apostrophe keeps formula-like text as text (OWASP's advice for CSV injection)."""
    return "'" + v if sheets.risky(v) else v


def to_csv(rep: dict, table: str | None = None) -> bytes:
    """UTF-8 with BOM (Excel opens Chinese right). One table, or all of them one after another, each
    under a line with its title and separated by a blank line."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    chosen = [tb for tb in rep["tables"] if table in (None, tb["key"])]
    for i, tb in enumerate(chosen):
        if table is None:
            if i:
                w.writerow([])
            w.writerow([f"# {tb['title']} ({tb['title_en']})"])
        w.writerow([_csv_text(c["zh"]) for c in tb["columns"]])
        pct_rows = tb["key"] == "summary"
        for row in tb["rows"]:
            kinds = [c["kind"] for c in tb["columns"]]
            if pct_rows and row[2] == "%":
                kinds[1] = "pct"
            w.writerow([_csv_value(v, k) for v, k in zip(row, kinds)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def render(rep: dict, fmt: str, table: str | None = None) -> tuple[bytes, str, str]:
    if fmt == "xlsx":
        return (to_xlsx(rep), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                _filename(rep, "xlsx"))
    return to_csv(rep, table), "text/csv", _filename(rep, "csv", table)


def cli_report(ctx, args) -> Path:
    """`server.py report --from --to --format xlsx|csv --out FILE [--hall main]`."""
    from ..domain.errors import HallqError
    fmt = getattr(args, "format", None) or "xlsx"
    try:
        rep = build(ctx, getattr(args, "hall", None) or "main", args.date_from, args.date_to)
    except HallqError as exc:
        raise SystemExit(f"hallq: {exc.message}") from None
    body, _mime, name = render(rep, fmt, getattr(args, "table", None))
    out = Path(getattr(args, "out", None) or name)
    out.write_bytes(body)
    print(f"hallq: report {rep['from']}..{rep['to']} ({fmt}) written to {out}")
    return out

