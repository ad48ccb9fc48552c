"""How every xlsx the server writes looks when a hall's manager opens or prints it (the report, the
模拟排班 workbook, the province export): one header row in bold on a fill, frozen; each column as wide
as its widest cell as shown (a Chinese character takes two widths), long text wrapped instead of cut;
printed with the header on every page, landscape when wide, fit to the page's width (a very wide sheet
on two pages across rather than under 75%, its first column repeated); text that looks like a formula
kept as text."""
from __future__ import annotations

import math
from datetime import date, datetime

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may take for a formula
MAX_WIDTH = 60  # a wider column wraps its text instead (xlsx width units, about one Latin letter)
PORTRAIT_WIDTH = 90  # wider sheets (sum of widths) print landscape: A4 portrait holds about 90
LANDSCAPE_WIDTH = 127  # and A4 landscape about 127 (297/210 of that)
MIN_SCALE = 0.75  # a sheet that would print smaller on one page's width goes on two (or more)
HEAD_FILL = "DCE6F1"


def pages_wide(total: float) -> int:
    """Pages across a sheet of `total` widths prints on: one, unless that shrinks it under
    MIN_SCALE (11 pt type under 8 pt); then as many as keep it at MIN_SCALE or larger."""
    return max(1, math.ceil(total / (LANDSCAPE_WIDTH / MIN_SCALE)))


def text_width(text: str) -> int:
    """Width of a line in xlsx units: a CJK (or full-width) character takes two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def shown(value, number_format: str = "General") -> str:
    """The text a spreadsheet shows for a cell (for its width)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if "%" in number_format:
            decimals = len(number_format.split(".")[1].rstrip("%")) if "." in number_format else 0
            return f"{value * 100:.{decimals}f}%"
        if number_format.startswith("0.") and number_format[2:].strip("0") == "":
            return f"{value:.{len(number_format) - 2}f}"
        if isinstance(value, float):
            return f"{value:.10g}"
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def risky(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def cells_as_text(ws) -> None:
    """Text that starts like a formula (a staff name `=HYPERLINK(...)`) stays text: a string cell,
    marked quote-prefixed so editing it in Excel does not turn it into a formula either."""
    for row in ws.iter_rows():
        for cell in row:
            if risky(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


def cell_width(cell) -> int:
    lines = shown(cell.value, cell.number_format).split("\n")
    return max(text_width(line) for line in lines)


def two_lines(header: str) -> str:
    """A header with its unit on a line of its own: 平均等候（分钟） -> 平均等候 / （分钟）, so the
    column is as wide as its figures, not its header (the sheet then prints larger)."""
    i = header.find("（")
    return header if i <= 0 else header[:i] + "\n" + header[i:]


def finish(ws, header: bool = True, widths: dict[str, float] | None = None) -> None:
    """Give a filled sheet the look above. `header`: row 1 is the column headers. `widths`: fixed
    widths by column letter (long text that wraps at that width)."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.properties import PageSetupProperties
    widths = widths or {}
    if header and ws.max_row >= 1:
        fill = PatternFill("solid", fgColor=HEAD_FILL)
        lines = max(str(c.value or "").count("\n") + 1 for c in ws[1])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=lines > 1)
        if lines > 1:  # a header on two lines (its unit, or its English, under it)
            ws.row_dimensions[1].height = 15 * lines
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
    total, tall = 0.0, set()
    for col in ws.iter_cols():
        letter = col[0].column_letter
        need = max(cell_width(c) for c in col) + 2
        width = widths.get(letter, min(MAX_WIDTH, max(6, need)))
        ws.column_dimensions[letter].width = width
        total += width
        if need > width:  # too long for any sensible column: wrap it on whole lines, top-aligned
            for c in col[1 if header else 0:]:
                if isinstance(c.value, str) and cell_width(c) + 2 > width:
                    c.alignment = Alignment(wrap_text=True, vertical="top")
                    lines = sum(math.ceil((text_width(t) + 2) / width) or 1 for t in c.value.split("\n"))
                    ws.row_dimensions[c.row].height = max(ws.row_dimensions[c.row].height or 15,
                                                          15 * lines)
                    tall.add(c.row)
    for r in tall:  # a taller row reads from its top line across
        for c in ws[r]:
            if not c.alignment.wrap_text:
                c.alignment = Alignment(horizontal=c.alignment.horizontal, vertical="top")
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if total > PORTRAIT_WIDTH else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = pages_wide(total)
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    if header and ws.page_setup.fitToWidth > 1:  # the first column (the day, the window, the name) on every page
        ws.print_title_cols = "A:A"
    cells_as_text(ws)
