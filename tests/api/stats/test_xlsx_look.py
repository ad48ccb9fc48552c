"""Every xlsx the server writes, opened as a hall's manager opens and prints it (openpyxl on the real
files): the report of a known day, the province export of its ratings and a 模拟排班 workbook of
several sampled days. Each column is as wide as its widest cell as shown (a Chinese character takes
two widths; longer text wraps, never cut), the header row is bold, filled, frozen and printed on
every page, wide sheets print landscape fit to the page's width, minutes and shares carry a number
format, days are dates, no raw ISO timestamp, no "None", and a share in the summary shows its % once."""
from __future__ import annotations

import io
import re
import unicodedata
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from server.simulation import results, whatif
from tests.api.stats.seed import seed_day
from tests.services.test_simulate_whatif import SERVICES, ticket

ISO_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def as_shown(cell) -> str:
    """What Excel shows for the cell, worked out here and not by the code under test."""
    v, fmt = cell.value, cell.number_format
    if v is None:
        return ""
    if isinstance(v, (date, datetime)):
        shown = {"yyyy-mm-dd": "%Y-%m-%d", "yyyy-mm-dd hh:mm": "%Y-%m-%d %H:%M"}
        assert fmt in shown, (cell.coordinate, fmt)  # a date as a date, never a serial number
        return v.strftime(shown[fmt])
    if isinstance(v, float) or isinstance(v, int) and not isinstance(v, bool):
        if fmt == "0.0%":
            return f"{v * 100:.1f}%"
        if fmt == "0.0":
            return f"{v:.1f}"
        assert fmt == "General", (cell.coordinate, fmt)
        return str(v)
    return str(v)


def check_readable(wb, iso_ok: bool = False) -> float:
    """Checks every sheet; returns the widest sheet's total width."""
    wide = [0.0]
    for ws in wb.worksheets:
        where = ws.title
        header = ws.title != "说明"
        if header:
            assert ws.freeze_panes == "A2", where
            assert ws.print_title_rows == "$1:$1", where  # the header on every printed page
            for c in ws[1]:
                assert c.font.b and c.fill.fgColor.rgb.endswith("DCE6F1"), (where, c.coordinate)
                if "\n" in str(c.value):
                    assert c.alignment.wrap_text, (where, c.coordinate)
        total = 0.0
        for col in ws.iter_cols():
            letter = col[0].column_letter
            w = ws.column_dimensions[letter].width
            assert ws.column_dimensions[letter].customWidth, (where, letter)
            total += w
            for c in col:
                text = as_shown(c)
                assert text not in ("None", "null", "nan"), (where, c.coordinate)
                if not iso_ok:
                    assert not ISO_STAMP.search(text), (where, c.coordinate, text)
                if isinstance(c.value, float) and c.number_format == "General":
                    assert len(text.partition(".")[2]) <= 2, (where, c.coordinate, text)  # no 0.6666667
                widest = max(width(line) for line in text.split("\n"))
                if widest + 1 > w:  # too long for its column: only long text, wrapped on enough lines
                    assert c.alignment.wrap_text and w >= 30, (where, c.coordinate, text, w)
                    lines = sum(-(-(width(t) + 2) // int(w)) for t in text.split("\n"))
                    assert (ws.row_dimensions[c.row].height or 15) >= 15 * lines, (where, c.coordinate)
        ps = ws.page_setup
        # A4 landscape holds about 127 widths at 100%: one page across unless that prints under 75%
        across = 1 if total <= 127 / 0.75 else -(-total // (127 / 0.75))
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ps.fitToWidth == across and ps.fitToHeight == 0, where
        if across > 1:  # the first column is printed on every page across
            assert ws.print_title_cols == "$A:$A", where
        # A4 portrait holds about 90 widths at 100%: a wider sheet prints landscape rather than shrunk
        assert ps.orientation == ("landscape" if total > 90 else "portrait"), (where, total)
        wide[0] = max(wide[0], total)
    return wide[0]


@pytest.fixture
def known_day(api, ctx, monkeypatch):
    seed_day(api, ctx, monkeypatch)  # 2025-03-11, its ratings and cases
    api.add_staff("boss", [], role="manager", name="主任")
    return api


def test_the_report_reads_and_prints_as_a_manager_expects(known_day):
    api = known_day
    r = api.get(api.hp("/reports?from=2025-03-01&to=2025-03-31&format=xlsx"), "boss")
    assert r.status == 200, r
    wb = load_workbook(io.BytesIO(r.raw))
    # its widest sheet is too wide for one page across at 75%: it prints on two
    assert check_readable(wb) > 127 / 0.75
    services = wb["按业务"]
    head = [c.value for c in services[1]]
    assert "平均等候\n（分钟）" in head  # the unit under its name: the column as wide as its figures
    assert services.column_dimensions["A"].width >= width("社会事务综合") + 1
    by_head = {c.value: c.column for c in services[1]}
    assert services.cell(2, by_head["办结率"]).number_format == "0.0%"
    assert services.cell(2, by_head["平均等候\n（分钟）"]).number_format == "0.0"
    summary = {r[0].value: (r[1], r[2].value) for r in wb["总览"].iter_rows(min_row=2)}
    share, unit = summary["满意度 (satisfaction)"]
    assert share.number_format == "0.0%" and unit is None  # "66.7%", not "66.7% %"
    assert summary["平均等候 (mean wait)"][1] == "分钟"
    reviews = wb["差评整改"]
    due = next(c.column for c in reviews[1] if c.value == "整改期限")
    assert reviews.cell(2, due).value == datetime(2025, 4, 1)  # a date a manager can sort and filter by
    assert reviews.cell(2, due).number_format == "yyyy-mm-dd"
    accuracy = [r[0].value for r in wb["预计等候准确度"].iter_rows(min_row=2)]
    assert accuracy[0] == datetime(2025, 3, 11) and accuracy[-1] == "全部"
    meta = {r[0].value: r[1].value for r in wb["说明"].iter_rows()}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", meta["生成时间"]), meta  # the hall's time


def test_the_province_export_reads_and_prints_as_a_manager_expects(known_day):
    api = known_day
    r = api.get(api.hp("/outbox/export?format=xlsx"), "boss")
    assert r.status == 200, r
    # 评价时间 stays the province's ISO stamp: the file is the records as the province takes them
    check_readable(load_workbook(io.BytesIO(r.raw)), iso_ok=True)


def test_the_simulation_workbook_reads_and_prints_as_a_manager_expects(tmp_path):
    d1, d2 = "2026-11-02", "2026-11-03"
    before = [ticket("F001", "hukou", "08:40", 10, d1), ticket("H001", "public", "09:20", 4, d1),
              ticket("F001", "hukou", "08:45", 40, d2), ticket("H001", "public", "08:50", 2, d2)]
    after = [ticket("F001", "hukou", "08:40", 2, d1), ticket("H001", "public", "09:20", 4.25, d1),
             ticket("F001", "hukou", "08:45", 8, d2), ticket("H001", "public", "08:50", 12, d2)]
    res = whatif.compare_days(before, after, SERVICES, seeds={d1: 7, d2: 8})
    settings = [{"setting": "日期 day", "value": "三都镇·平常的忙日 (Sandu, a busy ordinary day)"},
                {"setting": "抽样天数 days played",
                 "value": "2（随机种子 7–8；对比各表为各天平均，「等候」表合并各天）"
                          "(2: seeds 7-8; the comparison sheets give the days' averages, "
                          "the waits sheets all the days together)"}]
    out = tmp_path / "sim.xlsx"
    results.write_xlsx(out, {"设置 settings": (["setting", "value"], settings), **whatif.sheets(res)})
    wb = load_workbook(out)
    check_readable(wb)
    for ws in wb.worksheets:  # every header names its column in Chinese, then in English
        for c in ws[1]:
            zh, _, en = c.value.partition("\n")
            assert re.search(r"[\u4e00-\u9fff]", zh) and en and "_" not in en, (ws.title, c.value)
    spread = wb["波动 spread over the days"]
    minutes = [c for c in spread[1] if "分钟" in c.value]
    assert minutes and all(spread.cell(2, c.column).number_format == "0.0" for c in minutes)
