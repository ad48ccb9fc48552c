"""The one-time notice (一次性告知单) on a window's thermal printer: the hall, the ticket, every
paper still missing, and how to reach the hall. Built on TicketPrinter's job, size and send, so
it prints on the same transports (tcp, serial, usb, file, dummy) with the same status checks."""
from __future__ import annotations

from dataclasses import dataclass, field

from .printer import ESC_ALIGN, ESC_INIT, FS_CHINESE_ON, TicketPrinter


@dataclass
class NoticePrint:
    hall_name: str
    service_name: str
    number: str
    missing: list[str]
    issued_at: str  # "2026-11-30 15:49", hall-local
    window: int | None = None
    hours: str = ""
    phone: str = ""
    address: str = ""
    note: str = ""
    qr_url: str | None = None
    footer: list[str] = field(default_factory=list)


def render_notice(printer: TicketPrinter, n: NoticePrint) -> bytes:
    """ESC/POS bytes of the notice (Chinese; sizes by GS ! and FS !, which Chinese firmware honours)."""
    job = printer._job()
    job._raw(ESC_INIT + FS_CHINESE_ON + ESC_ALIGN + b"\x01")
    printer._size(job, 2, 2, bold=True)
    printer._text(job, "一次性告知单")
    printer._size(job, 1, 1, bold=True)
    printer._text(job, n.hall_name)
    printer._size(job)
    printer._text(job, f"{n.service_name}  号码 {n.number}" + (f"  {n.window}号窗口" if n.window else ""))
    job._raw(ESC_ALIGN + b"\x00")
    printer._text(job, "您办理的事项材料不全，请补齐以下材料后再来办理：")
    printer._size(job, 1, 2, bold=True)
    for i, item in enumerate(n.missing, 1):
        printer._text(job, f"{i}. {item}")
    printer._size(job)
    if n.note:
        printer._text(job, f"说明：{n.note}")
    printer._text(job, "材料补齐后，请携带本单到窗口办理。")
    if n.hours:
        printer._text(job, f"办公时间：{n.hours}")
    if n.phone:
        printer._text(job, f"咨询电话：{n.phone}")
    if n.address:
        printer._text(job, f"地址：{n.address}")
    printer._text(job, f"告知时间：{n.issued_at}")
    if n.qr_url:
        job._raw(ESC_ALIGN + b"\x01")
        job.qr(n.qr_url, native=True, size=printer.qr_size, center=False)
        printer._text(job, "扫码在手机上查看本告知单")
        job._raw(ESC_ALIGN + b"\x00")
    for line in n.footer:
        printer._text(job, line)
    printer._text(job)
    job.cut()
    return job.output


def print_notice(printer: TicketPrinter, n: NoticePrint):
    """Print it; raises PrinterFault as TicketPrinter.send does."""
    return printer.send(render_notice(printer, n))
