"""Thermal ticket printer (ESC/POS) through python-escpos 3.1.

A printer is configured by URL (see `open_printer`). `TicketPrinter` builds a whole
ticket job in memory (on an escpos Dummy), checks the printer's status where the
transport can answer, then sends the job in one write, so a failure never leaves
half a ticket. Two layouts:

* "text": GB18030 text after FS & (Chinese mode on), double-size number, the
  printer's own QR code (GS ( k), cut. Small and fast; needs a Chinese font in the
  printer (almost all printers sold in China have one).
* "image": the whole ticket drawn with Pillow in wqy-microhei at the paper width and
  sent as a raster image (GS v 0). Works on any printer, ~10x more bytes.
"""

from __future__ import annotations

import copy
import enum
import io
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from escpos import printer as escpos_printer
from escpos.constants import RT_MASK_LOWPAPER, RT_MASK_NOPAPER, RT_MASK_ONLINE, RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError, Error as EscposError, ImageWidthError
from PIL import Image, ImageDraw, ImageFont

from .frames import PORT_ERRORS

log = logging.getLogger(__name__)

FS_CHINESE_ON = b"\x1c\x26"  # FS &: Kanji/Chinese character mode on
FS_CHINESE_OFF = b"\x1c\x2e"  # FS .: Chinese mode off
ESC_INIT = b"\x1b\x40"  # ESC @: reset the printer's modes
GS_SIZE = b"\x1d\x21"  # GS ! n: character size, (width-1) << 4 | (height-1); works for Chinese too
FS_MODE = b"\x1c\x21"  # FS ! n: Chinese character mode, 0x04 double width, 0x08 double height
ESC_BOLD = b"\x1b\x45"  # ESC E n: bold on (1) / off (0)
ESC_ALIGN = b"\x1b\x61"  # ESC a n: 0 left, 1 centre
RT_STATUS_OFFLINE_CAUSE = b"\x10\x04\x02"  # DLE EOT 2: why the printer is offline
MASK_COVER_OPEN = 0x04  # bit 2 of the DLE EOT 2 answer
TEXT_ENCODING = "gb18030"
NO_LINE_START = frozenset("，。、：；！？）」』”》…,.:;!?)")
WQY_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
PAPER_WIDTH_PX = {80: 576, 58: 384}  # printable dots at 203 dpi


class PrinterStatus(str, enum.Enum):
    OK = "ok"
    PAPER_LOW = "paper_low"  # near-end sensor: still prints, tell staff to refill
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    UNKNOWN = "unknown"  # the transport cannot answer (file, usb, silent printer)

    @property
    def can_print(self) -> bool:
        return self in (PrinterStatus.OK, PrinterStatus.PAPER_LOW, PrinterStatus.UNKNOWN)

    @property
    def message(self) -> str:
        """Text a kiosk can show (Chinese / English)."""
        return _STATUS_TEXT[self]


_STATUS_TEXT = {
    PrinterStatus.OK: "打印机正常 / Printer ready",
    PrinterStatus.PAPER_LOW: "打印纸即将用完 / Paper running low",
    PrinterStatus.PAPER_OUT: "打印纸已用完，请拍照保存号码 / Out of paper, please take a photo of your number",
    PrinterStatus.COVER_OPEN: "打印机盖未关好 / Printer cover open",
    PrinterStatus.OFFLINE: "打印机未连接 / Printer offline",
    PrinterStatus.UNKNOWN: "打印机状态未知 / Printer status unknown",
}


class PrinterFault(RuntimeError):
    """The ticket cannot be printed; show it on screen instead. `.status` says why."""

    def __init__(self, status: PrinterStatus, detail: str = "") -> None:
        self.status = status
        super().__init__(f"printer {status.value}" + (f": {detail}" if detail else ""))


class PrinterConfigError(ValueError):
    """The printer URL or layout settings are wrong."""


@dataclass
class TicketPrint:
    """Everything printed on one ticket, as plain values (the printer knows no queues)."""

    hall_name: str
    service_name: str
    number: str
    ahead: int
    wait_minutes: int | None
    issued_at: str
    qr_url: str | None = None
    notice_lines: list[str] = field(default_factory=list)
    english_lines: list[str] = field(default_factory=list)
    lang: str = "zh"  # "zh": Chinese only; "en": English only (the caller gives English text)
    ahead_text: str | None = None  # default "前面还有 {ahead} 人"
    wait_text: str | None = None  # default from wait_minutes; under a minute "即将叫号"
    windows_text: str | None = None  # "请到 1、2、3 号窗口办理"
    priority_mark: str | None = None  # "老年人优先", printed large and inverted
    pass_rule: str | None = None  # the hall's 过号 rule
    qr_caption: str | None = None  # default "扫码查看排队进度"

    def lines(self) -> dict:
        """The texts as printed (defaults filled in)."""
        wait = self.wait_text
        if wait is None and self.wait_minutes is not None:
            wait = "即将叫号" if self.wait_minutes < 1 else f"预计等候约 {self.wait_minutes} 分钟"
        return {"ahead": self.ahead_text or f"前面还有 {self.ahead} 人", "wait": wait,
                "qr_caption": self.qr_caption or ("Scan to follow the queue" if self.lang == "en"
                                                  else "扫码查看排队进度")}


class _AppendFile(escpos_printer.File):
    """File printer that appends, so jobs to a spool file or device node never truncate earlier ones."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        try:
            self.device = open(self.devfile, "ab")
        except OSError as exc:
            self.device = None
            if raise_not_found:
                raise DeviceNotFoundError(f"Could not open {self.devfile}: {exc}") from exc


def _int_or(value: str | None, default: int, what: str) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value, 0)
    except ValueError as exc:
        raise PrinterConfigError(f"{what} {value!r} is not a number") from exc


def open_printer(url: str, *, profile: str | None = None, timeout: float = 5.0) -> Escpos:
    """An (unopened) escpos printer for url. Connections open on first use.

    usb://VID:PID[?in_ep=0x82&out_ep=0x01]   e.g. usb://0416:5011 (hex ids, needs pyusb)
    serial:///dev/ttyS0?baudrate=9600        (also serial://COM3 on Windows)
    tcp://HOST[:9100]                        network printer, raw port 9100
    file:///dev/usb/lp0                      device node or spool file (appended to)
    cups://NAME                              a CUPS queue, raw job (needs pycups)
    dummy://                                 in memory; bytes in .output
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    kw = {"profile": profile} if profile else {}
    if scheme == "dummy":
        return escpos_printer.Dummy(**kw)
    if scheme == "file":
        path = unquote(parts.path)
        if not path:
            raise PrinterConfigError(f"file printer URL needs a path: {url!r}")
        return _AppendFile(devfile=path, **kw)
    if scheme == "tcp":
        if not parts.hostname:
            raise PrinterConfigError(f"tcp printer URL needs a host: {url!r}")
        return escpos_printer.Network(host=parts.hostname, port=parts.port or 9100, timeout=timeout, **kw)
    if scheme == "serial":
        dev = unquote(parts.path) or parts.netloc  # serial:///dev/ttyS0 or serial://COM3
        if not dev:
            raise PrinterConfigError(f"serial printer URL needs a device: {url!r}")
        return escpos_printer.Serial(
            devfile=dev,
            baudrate=_int_or(query.get("baudrate"), 9600, "baudrate"),
            timeout=float(query.get("timeout", 1)),
            dsrdtr=query.get("dsrdtr", "false").lower() in ("1", "true", "yes"),
            **kw,
        )
    if scheme == "usb":
        try:
            vid_s, pid_s = parts.netloc.split(":")
            vid, pid = int(vid_s, 16), int(pid_s, 16)
        except ValueError as exc:
            raise PrinterConfigError(f"usb printer URL must be usb://VID:PID in hex: {url!r}") from exc
        if not escpos_printer.Usb.is_usable():
            raise PrinterConfigError("usb:// printers need pyusb (pip install pyusb) and libusb")
        return escpos_printer.Usb(
            vid,
            pid,
            in_ep=_int_or(query.get("in_ep"), 0x82, "in_ep"),
            out_ep=_int_or(query.get("out_ep"), 0x01, "out_ep"),
            timeout=int(timeout * 1000),
            **kw,
        )
    if scheme == "cups":
        if not escpos_printer.CupsPrinter.is_usable():
            raise PrinterConfigError("cups:// printers need pycups (pip install pycups) and libcups")
        return escpos_printer.CupsPrinter(printer_name=unquote(parts.netloc or parts.path.lstrip("/")), **kw)
    raise PrinterConfigError(f"unknown printer URL scheme {scheme!r} in {url!r}")


def decode_status(online: bytes, paper: bytes, offline_cause: bytes = b"") -> PrinterStatus:
    """Map the answers to DLE EOT 1 / 4 / 2 to a PrinterStatus (empty answer = not known)."""
    if offline_cause and offline_cause[0] & MASK_COVER_OPEN:
        return PrinterStatus.COVER_OPEN
    if paper:
        # masks as python-escpos's paper_status(): fixed bits 0x12 plus sensor bits
        if paper[0] & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
            return PrinterStatus.PAPER_OUT
    if online and online[0] & RT_MASK_ONLINE:
        return PrinterStatus.OFFLINE
    if paper and paper[0] & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
        return PrinterStatus.PAPER_LOW
    if online or paper:
        return PrinterStatus.OK
    return PrinterStatus.UNKNOWN


class TicketPrinter:
    """Prints tickets and a test page on the printer at url.

    mode: "text" or "image". paper_mm: 80 or 58 (or give paper_width_px).
    check_status: ask the printer (DLE EOT) before each job where the transport
    answers (tcp, serial, cups); raise PrinterFault for paper out / cover open / offline.
    """

    def __init__(
        self,
        url: str,
        *,
        mode: str = "text",
        paper_mm: int = 80,
        paper_width_px: int | None = None,
        profile: str | None = None,
        check_status: bool = True,
        status_timeout: float = 1.0,
        connect_timeout: float = 3.0,
        font_path: str = WQY_FONT,
        qr_size: int = 6,
        printer_factory: Callable[[], Escpos] | None = None,
    ) -> None:
        if mode not in ("text", "image"):
            raise PrinterConfigError(f"print mode must be 'text' or 'image', not {mode!r}")
        self.url = url
        self.mode = mode
        self.paper_width_px = paper_width_px or PAPER_WIDTH_PX.get(paper_mm, 0)
        if self.paper_width_px <= 0:
            raise PrinterConfigError(f"unknown paper width {paper_mm} mm; give paper_width_px")
        self.profile = profile
        self.check_status = check_status
        self.status_timeout = status_timeout
        self.connect_timeout = connect_timeout
        self.font_path = font_path
        self.qr_size = qr_size
        self._factory = printer_factory or (lambda: open_printer(url, profile=profile, timeout=connect_timeout))
        self._lock = threading.Lock()
        self._dummy: Escpos | None = None  # dummy:// keeps one printer so its output can be read
        if mode == "image":
            if not os.path.exists(font_path):
                raise PrinterConfigError(f"font {font_path} not found (apt-get install fonts-wqy-microhei)")
            self._check_image_width()

    # -- building jobs -------------------------------------------------------
    def _check_image_width(self) -> None:
        from escpos.capabilities import get_profile

        try:
            max_px = int(get_profile(self.profile).profile_data["media"]["width"]["pixels"])
        except (KeyError, ValueError, TypeError):
            return  # profile does not know its paper: python-escpos prints anyway
        if self.paper_width_px > max_px:
            raise PrinterConfigError(
                f"image width {self.paper_width_px}px exceeds the {self.profile} profile's {max_px}px paper"
            )

    def _job(self) -> Escpos:
        """An in-memory printer whose profile knows this paper's width."""
        job = escpos_printer.Dummy(profile=self.profile) if self.profile else escpos_printer.Dummy()
        data = copy.deepcopy(job.profile.profile_data)  # profile_data is shared by the class: copy first
        media = data.setdefault("media", {}).setdefault("width", {})
        if not str(media.get("pixels", "")).isdigit():
            # else python-escpos print()s a warning to stdout on every image
            media["pixels"] = self.paper_width_px
        job.profile.profile_data = data
        return job

    def render(self, ticket: TicketPrint) -> bytes:
        """The bytes of a ticket job, not sent anywhere."""
        job = self._job()
        if self.mode == "text":
            self._text_ticket(job, ticket)
        else:
            self._image(job, self.render_image(ticket))
            job.cut()
        return job.output

    def _text(self, job: Escpos, s: str = "") -> None:
        # bypass escpos's magic encoder: it may pick a code page; GB18030 covers all text
        job._raw(s.encode(TEXT_ENCODING) + b"\n")

    @staticmethod
    def _size(job: Escpos, width: int = 1, height: int = 1, bold: bool = False) -> None:
        """Character size by GS ! (all characters) and FS ! (Chinese characters: many printers
        ignore ESC ! for them in Chinese mode); FS ! knows only double, so 2x and more map to it."""
        job._raw(GS_SIZE + bytes([((width - 1) << 4) | (height - 1)]))
        job._raw(FS_MODE + bytes([(0x04 if width > 1 else 0) | (0x08 if height > 1 else 0)]))
        job._raw(ESC_BOLD + (b"\x01" if bold else b"\x00"))

    def _text_ticket(self, job: Escpos, t: TicketPrint) -> None:
        texts = t.lines()
        job._raw(ESC_INIT + FS_CHINESE_ON + ESC_ALIGN + b"\x01")
        self._size(job, 2, 2, bold=True)
        self._text(job, t.hall_name)
        self._size(job, 1, 2, bold=True)
        self._text(job, t.service_name)
        self._size(job, 4, 4, bold=True)
        self._text(job, t.number)
        if t.priority_mark:
            self._size(job, 2, 2, bold=True)
            job._raw(b"\x1d\x42\x01")  # GS B 1: white on black, so the mark stands out
            self._text(job, f" {t.priority_mark} ")
            job._raw(b"\x1d\x42\x00")
        self._size(job, 1, 2, bold=True)
        self._text(job, texts["ahead"])
        self._size(job)
        if texts["wait"]:
            self._text(job, texts["wait"])
        if t.windows_text:
            self._size(job, 1, 2, bold=True)
            self._text(job, t.windows_text)
            self._size(job)
        self._text(job, t.issued_at)
        if t.qr_url:
            job.qr(t.qr_url, native=True, size=self.qr_size, center=False)
            self._text(job, texts["qr_caption"])
        job._raw(ESC_ALIGN + b"\x00")
        if t.pass_rule:
            self._size(job, bold=True)
            self._text(job, t.pass_rule)
            self._size(job)
        for line in t.notice_lines:
            self._text(job, line)
        for line in t.english_lines:
            self._text(job, line)
        self._text(job)
        job.cut()

    def _font(self, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(self.font_path, size, index=0)

    def render_image(self, t: TicketPrint) -> Image.Image:
        """The ticket drawn in black and white at the paper width."""
        width = self.paper_width_px
        scale = width / 576
        pad = int(16 * scale)
        blocks: list[tuple[str, object, int]] = []  # (kind, value, size)

        def line(text: str, size: int) -> None:
            blocks.append(("text", text, max(12, int(size * scale))))

        texts = t.lines()
        line(t.hall_name, 40)
        line(t.service_name, 34)
        line(t.number, 150)
        if t.priority_mark:
            blocks.append(("mark", t.priority_mark, max(12, int(40 * scale))))
        line(texts["ahead"], 34)
        if texts["wait"]:
            line(texts["wait"], 28)
        if t.windows_text:
            line(t.windows_text, 30)
        line(t.issued_at, 24)
        if t.qr_url:
            blocks.append(("qr", t.qr_url, 0))
            line(texts["qr_caption"], 22)
        for s in ([t.pass_rule] if t.pass_rule else []) + t.notice_lines:
            for part in self._wrap(s, self._font(max(12, int(22 * scale))), width - 2 * pad):
                line(part, 22)
        for s in t.english_lines:
            for part in self._wrap(s, self._font(max(12, int(22 * scale))), width - 2 * pad):
                line(part, 22)

        rendered: list[Image.Image] = []
        for kind, value, size in blocks:
            if kind == "qr":
                rendered.append(self._qr_image(str(value), int(width * 0.5)))
                continue
            font = self._font(size)
            if kind == "mark":  # the priority mark: white on a black band
                left, top, right, bottom = font.getbbox(str(value))
                band = Image.new("1", (right - left + 2 * pad, bottom - top + pad), 0)
                ImageDraw.Draw(band).text((pad - left, pad // 2 - top), str(value), font=font, fill=1)
                rendered.append(band)
                continue
            left, top, right, bottom = font.getbbox(str(value))
            if right - left > width - 2 * pad:  # shrink a line that would not fit (a long hall name)
                font = self._font(max(12, int(size * (width - 2 * pad) / (right - left))))
                left, top, right, bottom = font.getbbox(str(value))
            img = Image.new("1", (width, bottom - top + int(10 * scale)), 1)
            ImageDraw.Draw(img).text(((width - (right - left)) // 2 - left, -top), str(value), font=font, fill=0)
            rendered.append(img)
        height = sum(im.height for im in rendered) + 2 * pad
        ticket = Image.new("1", (width, height), 1)
        y = pad
        for im in rendered:
            ticket.paste(im, ((width - im.width) // 2, y))
            y += im.height
        return ticket

    @staticmethod
    def _wrap(text: str, font: ImageFont.FreeTypeFont, max_px: int) -> list[str]:
        lines, cur = [], ""
        for ch in text:
            if font.getlength(cur + ch) > max_px and cur:
                # a line never starts with ，。、）」 etc. (Chinese line-breaking): the character
                # before the mark goes down with it
                if ch in NO_LINE_START and len(cur) > 1:
                    lines.append(cur[:-1])
                    cur = cur[-1] + ch
                else:
                    lines.append(cur)
                    cur = ch
            else:
                cur += ch
        return lines + ([cur] if cur else [])

    @staticmethod
    def _qr_image(data: str, target_px: int) -> Image.Image:
        import segno

        qr = segno.make_qr(data, error="m")  # make_qr: never a Micro QR, which zbar cannot read
        modules = qr.symbol_size(scale=1, border=2)[0]
        buf = io.BytesIO()
        qr.save(buf, kind="png", scale=max(1, target_px // modules), border=2)
        buf.seek(0)
        return Image.open(buf).convert("1")

    def _image(self, job: Escpos, img: Image.Image) -> None:
        try:
            job.image(img, impl="bitImageRaster", center=False)
        except ImageWidthError as exc:
            raise PrinterConfigError(f"ticket image too wide for the printer profile: {exc}") from exc

    def render_test_page(self) -> bytes:
        job = self._job()
        job._raw(ESC_INIT + FS_CHINESE_ON)
        job.set(align="center", bold=True, double_height=True, double_width=True)
        self._text(job, "打印测试 / Test page")
        job.set(normal_textsize=True, bold=False, align="left")
        self._text(job, f"URL: {self.url}")
        self._text(job, f"模式 Mode: {self.mode}  纸宽 Width: {self.paper_width_px}px")
        self._text(job, "中文：请 A007 号到 3 号窗口办理")
        self._text(job, "生僻字：𠀀 GB18030 四字节")
        self._text(job, "0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        job.qr("hallq test page", native=True, size=self.qr_size)
        if os.path.exists(self.font_path):
            img = Image.new("1", (self.paper_width_px, 60), 1)
            ImageDraw.Draw(img).text((10, 5), "图像模式 Image mode 你好", font=self._font(40), fill=0)
            self._image(job, img)
        self._text(job)
        job.cut()
        return job.output

    # -- talking to the printer ------------------------------------------------
    def _device(self) -> Escpos:
        if self.url.lower().startswith("dummy:"):
            if self._dummy is None:
                self._dummy = self._factory()
            return self._dummy
        return self._factory()

    @property
    def output(self) -> bytes:
        """Everything sent so far (dummy:// printers only)."""
        return self._dummy.output if self._dummy is not None else b""

    def _query(self, p: Escpos, request: bytes) -> bytes:
        sock = p.device if isinstance(p, escpos_printer.Network) else None
        old = sock.gettimeout() if sock else None
        if sock:
            sock.settimeout(self.status_timeout)
        try:
            return p.query_status(request)
        except (socket.timeout, TimeoutError):
            return b""
        finally:
            if sock:
                sock.settimeout(old)

    def _status_of(self, p: Escpos) -> PrinterStatus:
        if isinstance(p, (escpos_printer.Network, escpos_printer.Serial)):
            online = self._query(p, RT_STATUS_ONLINE)
            paper = self._query(p, RT_STATUS_PAPER) if online else b""
            cause = self._query(p, RT_STATUS_OFFLINE_CAUSE) if online and online[0] & RT_MASK_ONLINE else b""
            return decode_status(online, paper, cause)
        if isinstance(p, escpos_printer.CupsPrinter):
            return PrinterStatus.OK if p.is_online() else PrinterStatus.OFFLINE
        return PrinterStatus.UNKNOWN  # file, dummy, usb: no reliable answer channel

    def _connect(self) -> Escpos:
        p = self._device()
        if isinstance(p, escpos_printer.Dummy):
            return p
        try:
            p.device  # opens the connection now, so a dead printer fails here
        except DeviceNotFoundError as exc:
            raise PrinterFault(PrinterStatus.OFFLINE, str(exc).splitlines()[0]) from exc
        if p.device is None:
            raise PrinterFault(PrinterStatus.OFFLINE, self.url)
        return p

    def status(self) -> PrinterStatus:
        """Ask the printer now (opens and closes a connection)."""
        with self._lock:
            try:
                p = self._connect()
            except PrinterFault as fault:
                return fault.status
            try:
                return self._status_of(p)
            except (*PORT_ERRORS, EscposError) as exc:
                log.warning("printer %s status query failed: %s", self.url, exc)
                return PrinterStatus.OFFLINE
            finally:
                self._close(p)

    def _close(self, p: Escpos) -> None:
        if p is self._dummy:
            return
        try:
            p.close()  # (a serial port's close flushes: termios.error if the line went away)
        except (*PORT_ERRORS, EscposError) as exc:
            log.warning("closing printer %s: %s", self.url, exc)
            # the port under it, closed without the flush that failed (else escpos's __del__
            # tries that flush again and its error is printed at some later moment)
            port = getattr(p, "_device", None)
            if port:
                try:
                    port.close()
                except (*PORT_ERRORS, EscposError):
                    pass
                p._device = False

    def send(self, job: bytes) -> PrinterStatus:
        """Check status (if configured), then write the job in one go. Raises PrinterFault."""
        with self._lock:
            p = self._connect()
            try:
                status = self._status_of(p) if self.check_status else PrinterStatus.UNKNOWN
                if not status.can_print:
                    raise PrinterFault(status)
                if status is PrinterStatus.PAPER_LOW:
                    log.warning("printer %s: paper running low", self.url)
                started = time.monotonic()
                p._raw(job)
                if isinstance(p, escpos_printer.File):
                    p.flush()
                log.debug("printer %s: %d bytes in %.1f ms", self.url, len(job), (time.monotonic() - started) * 1e3)
                return status
            except PORT_ERRORS as exc:
                raise PrinterFault(PrinterStatus.OFFLINE, str(exc)) from exc
            finally:
                self._close(p)

    def print_ticket(self, ticket: TicketPrint) -> PrinterStatus:
        """Print one ticket. Raises PrinterFault when it cannot be printed."""
        status = self.send(self.render(ticket))
        log.info("printed ticket %s on %s", ticket.number, self.url)
        return status

    def print_test_page(self) -> PrinterStatus:
        return self.send(self.render_test_page())


def sample_ticket() -> TicketPrint:
    """A ticket for test pages, benches and demos."""
    return TicketPrint(
        hall_name="三都镇便民服务中心",
        service_name="社会事务综合",
        number="A007",
        ahead=3,
        wait_minutes=12,
        issued_at="2025-03-18 09:41",
        qr_url="http://hall.local:8080/t/5f3c9a",
        notice_lines=["一次性告知 · 首问责任 · 限时办结"],
        windows_text="请到 1、2、3 号窗口办理",
        priority_mark="老年人优先",
        pass_rule="叫号后未到视为过号，过号请到服务台登记或重新取号",
    )
