"""What a simulated day shows: waits per service and hour, the estimates' accuracy; table and xlsx."""
from __future__ import annotations

import math
import statistics
from collections import defaultdict

from ..domain.accuracy import accuracy
from ..services import sheets as look
from .player import Played

PEAK = (9 * 3600, 10.5 * 3600)  # the morning peak the issue measures separately (9:00-10:30)


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]  # nearest rank, as docs/kpis.md


def waits(played: list[Played], service_names: dict[str, str]) -> list[dict]:
    """One row per service and hall-local hour of issue, then one per service, then the hall."""
    groups: dict[tuple, list[float]] = defaultdict(list)
    for p in played:
        if p.wait_s is None:
            continue
        hour = int(p.issued_s // 3600)
        for key in ((p.service, hour), (p.service, None), (None, None)):
            groups[key].append(p.wait_s)
    order = list(service_names) + [None]
    rows = []
    for (service, hour), values in sorted(groups.items(), key=lambda kv: (
            order.index(kv[0][0]) if kv[0][0] in order else 99, kv[0][1] is None, kv[0][1] or 0)):
        rows.append({"service": service_names.get(service, service) if service else "全部 (all)",
                     "hour": f"{hour:02d}:00" if hour is not None else "全天 (day)",
                     "tickets": len(values), "mean_wait_min": statistics.fmean(values) / 60,
                     "p90_wait_min": p90(values) / 60, "max_wait_min": max(values) / 60})
    return rows


def scored(played: list[Played], estimator: str | None = None, only=None):
    """Accuracy of the stored estimate (estimator None) or of another estimator's figure."""
    rows = []
    for p in played:
        if p.wait_s is None or (only is not None and not only(p)):
            continue
        if estimator is None:
            rows.append((p.estimate_s, p.wait_s, p.low_s, p.high_s))
        elif estimator in p.others:
            rows.append((p.others[estimator], p.wait_s, None, None))
    return accuracy(rows)


SLICES = {
    "all": None,
    "peak 9:00-10:30": lambda p: PEAK[0] <= p.issued_s < PEAK[1],
    "someone ahead": lambda p: p.ahead > 0,
}


def accuracy_rows(played: list[Played], estimators: list[str | None]) -> list[dict]:
    rows = []
    for label, only in SLICES.items():
        for name in estimators:
            a = scored(played, name, only)
            rows.append({"slice": label, "estimator": name or "forward (stored)", "tickets": a.n,
                         "mae_min": _min(a.mae_s), "bias_min": _min(a.bias_s),
                         "within_5min_pct": _pct(a.within_5min), "range_held_pct": _pct(a.range_held)})
    return rows


def _min(seconds):
    return None if seconds is None else seconds / 60


def _pct(share):
    return None if share is None else 100 * share


def print_table(title: str, rows: list[dict], cols: list[str]) -> None:
    def cell(v):
        if v is None:
            return "—"
        return f"{v:.2f}" if isinstance(v, float) else str(v)
    print(f"\n{title}")
    widths = [max(look.text_width(c), *(look.text_width(cell(r.get(c))) for r in rows)) for c in cols]
    print("  ".join(_pad(c, w) for c, w in zip(cols, widths)))
    for r in rows:
        print("  ".join(_pad(cell(r.get(c)), w) for c, w in zip(cols, widths)))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - look.text_width(text))


HEADERS = {  # xlsx column headers: Chinese (with the unit) over English
    "service": "业务\nservice", "hour": "取号时段\nhour", "tickets": "人次\ntickets",
    "tickets_per_day": "日均人次\ntickets a day", "day": "日期\nday", "seed": "随机种子\nseed",
    "days": "天数\ndays",
    "mean_wait_min": "平均等候（分钟）\nmean wait", "p90_wait_min": "90%等候（分钟）\np90 wait",
    "max_wait_min": "最长等候（分钟）\nmax wait", "slice": "范围\nslice", "estimator": "估算\nestimator",
    "mae_min": "平均绝对误差（分钟）\nMAE", "bias_min": "平均偏差（分钟）\nbias",
    "within_5min_pct": "±5分钟内（%）\nwithin 5 min", "range_held_pct": "区间命中（%）\nrange held",
    "what_if_mean_wait_min": "调整后平均等候（分钟）\nwhat-if mean",
    "what_if_p90_wait_min": "调整后90%等候（分钟）\nwhat-if p90",
    "what_if_max_wait_min": "调整后最长等候（分钟）\nwhat-if max",
    "change_mean_wait_min": "平均等候变化（分钟）\nmean change",
    "change_p90_wait_min": "90%等候变化（分钟）\np90 change",
    "lowest_day_min": "单日最低平均等候（分钟）\nlowest day's mean",
    "highest_day_min": "单日最高平均等候（分钟）\nhighest day's mean",
    "what_if_lowest_day_min": "调整后单日最低（分钟）\nwhat-if lowest day",
    "what_if_highest_day_min": "调整后单日最高（分钟）\nwhat-if highest day",
    "change_lowest_day_min": "单日变化最低（分钟）\nlowest day's change",
    "change_highest_day_min": "单日变化最高（分钟）\nhighest day's change",
    "shorter_days": "等候缩短天数\ndays shorter", "longer_days": "等候延长天数\ndays longer",
    "number": "号码\nnumber", "issued": "取号时间\nissued", "wait_min": "等候（分钟）\nwait",
    "what_if_wait_min": "调整后等候（分钟）\nwhat-if wait", "change_min": "变化（分钟）\nchange",
    "setting": "项目\nsetting", "value": "内容\nvalue",
}
# long text columns that wrap at this width instead of widening the sheet
_WRAP = {"value": 70}


def write_xlsx(path, sheets: dict[str, tuple[list[str], list[dict]]]) -> None:
    """One sheet per table (title -> (columns, rows)); the look of the server's other xlsx files
    (services/sheets.py); minutes and percentages (0..100) with one decimal."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    wb = Workbook()
    wb.remove(wb.active)
    for title, (cols, rows) in sheets.items():
        ws = wb.create_sheet(title[:31])
        ws.append([HEADERS.get(c, c) for c in cols])
        for r in rows:
            ws.append([_xlsx_value(r.get(c)) for c in cols])
        for i, c in enumerate(cols, start=1):
            if c.endswith(("_min", "_pct")) or c == "tickets_per_day":
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = "0.0"
        look.finish(ws, widths={get_column_letter(i): _WRAP[c] for i, c in enumerate(cols, start=1)
                                if c in _WRAP})
    wb.save(path)


def _xlsx_value(v):
    if isinstance(v, float):
        return round(v, 2)
    return v  # text that looks like a formula is kept as text by sheets.finish
