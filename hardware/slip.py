"""A receipt slip (回执) on the kiosk's thermal printer: a title, the hall, a reference printed
large (the 帮办代办 request number), then plain lines. The words come from the caller in one
language; this only lays them out. Built on TicketPrinter's job, size and send, like the one-time
notice, so it prints on the same transports with the same status checks (PrinterFault)."""
from __future__ import annotations

from dataclasses import dataclass, field

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
    """ESC/POS bytes (sizes by GS ! and FS !, which Chinese firmware honours)."""
    job = printer._job()
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


def print_slip(printer: TicketPrinter, s: SlipPrint):
    """Print it; raises PrinterFault as TicketPrinter.send does."""
    return printer.send(render_slip(printer, s))
