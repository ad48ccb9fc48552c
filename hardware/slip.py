"""A receipt slip (回执) on the kiosk's thermal printer: a title, the hall, a reference printed
large (the 帮办代办 request number), then plain lines. The words come from the caller in one
language; this only lays them out. Built on TicketPrinter's job, size and send, like the one-time
notice, so it prints on the same transports with the same status checks (PrinterFault)."""
from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from .printer import ESC_ALIGN, ESC_INIT, FS_CHINESE_OFF, FS_CHINESE_ON, TicketPrinter


@dataclass
class SlipPrint:
    title: str
    hall_name: str
    reference_label: str  # 申请编号
    reference: str  # printed 3x3
    lines: list[str] = field(default_factory=list)  # normal size, left aligned
    strong: list[str] = field(default_factory=list)  # double height, bold, after the lines
    footer: list[str] = field(default_factory=list)
    lang: str = "zh"


def render_slip(printer: TicketPrinter, s: SlipPrint) -> bytes:
    """ESC/POS bytes: text (sizes by GS ! and FS !, which Chinese firmware honours), or, for a
    printer set to print_mode "image" (no Chinese font of its own), the same lines as a picture."""
    job = printer._job()
    if printer.mode == "image":
        printer._image(job, render_slip_image(printer, s))
        job.cut()
        return job.output
    job._raw(ESC_INIT + (FS_CHINESE_ON if s.lang != "en" else FS_CHINESE_OFF) + ESC_ALIGN + b"\x01")
    printer._size(job, 2, 2, bold=True)
    printer._text(job, s.title)
    printer._size(job, 1, 1, bold=True)
    printer._text(job, s.hall_name)
    printer._size(job)
    printer._text(job, s.reference_label)
    printer._size(job, 3, 3, bold=True)
    printer._text(job, s.reference)
    printer._size(job)
    job._raw(ESC_ALIGN + b"\x00")
    for line in s.lines:
        printer._text(job, line)
    printer._size(job, 1, 2, bold=True)
    for line in s.strong:
        printer._text(job, line)
    printer._size(job)
    for line in s.footer:
        printer._text(job, line)
    printer._text(job)
    job.cut()
    return job.output


def render_slip_image(printer: TicketPrinter, s: SlipPrint) -> Image.Image:
    """The slip drawn in black and white at the paper width: the heading centred, the lines left
    aligned and wrapped (never cut), the reference large."""
    width = printer.paper_width_px
    scale = width / 576
    pad = int(16 * scale)
    blocks: list[tuple[str, int, bool, bool]] = []  # (text, size, bold-ish, centred)
    blocks += [(s.title, 40, True, True), (s.hall_name, 30, False, True), (s.reference_label, 26, False, True),
               (s.reference, 120, True, True)]
    blocks += [(line, 26, False, False) for line in s.lines]
    blocks += [(line, 30, True, False) for line in s.strong]
    blocks += [(line, 22, False, False) for line in s.footer]
    rows: list[Image.Image] = []
    for text, size, bold, centred in blocks:
        font = printer._font(max(12, int(size * scale)))
        parts = [text] if centred else printer._wrap(text, font, width - 2 * pad)
        for part in parts:
            left, top, right, bottom = font.getbbox(part or " ")
            if right - left > width - 2 * pad:  # a heading too wide: smaller, not cut
                font = printer._font(max(12, int(font.size * (width - 2 * pad) / (right - left))))
                left, top, right, bottom = font.getbbox(part)
            img = Image.new("1", (width, bottom - top + int(10 * scale)), 1)
            x = (width - (right - left)) // 2 - left if centred else pad - left
            draw = ImageDraw.Draw(img)
            draw.text((x, -top), part, font=font, fill=0)
            if bold:
                draw.text((x + 1, -top), part, font=font, fill=0)
            rows.append(img)
    slip = Image.new("1", (width, sum(r.height for r in rows) + 2 * pad), 1)
    y = pad
    for r in rows:
        slip.paste(r, (0, y))
        y += r.height
    return slip


def print_slip(printer: TicketPrinter, s: SlipPrint):
    """Print it; raises PrinterFault as TicketPrinter.send does."""
    return printer.send(render_slip(printer, s))
