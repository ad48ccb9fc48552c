"""Second-generation resident ID card (第二代居民身份证) reader on a serial line.

The reader's SAM module speaks the public "SAM_V" protocol:

    host -> reader:  AA AA AA 96 69 | len(2, BE) | CMD | PARA | data | CHK
    reader -> host:  AA AA AA 96 69 | len(2, BE) | SW1 SW2 SW3 | data | CHK

len counts every byte after itself, CHK included. CHK is the XOR of every byte
after the preamble (len bytes included) except itself. SW1 SW2 are 00 00 and SW3
says how it went (0x90 success, 0x9F card found, 0x80 no card, ...).

    find card   20 01  -> 00 00 9F + 4 bytes      (or 00 00 80: no card)
    select card 20 02  -> 00 00 90 + 8 bytes      (or 00 00 81)
    read text   30 01  -> 00 00 90 + text_len(2, BE) + photo_len(2, BE) + 256 text + 1024 photo

The text is UCS-2 little endian, space padded: name 30, gender 2, nation 4, birth
date 16, address 70, ID number 36, issuer 30, valid from 16, valid to 16,
reserved 36 bytes. The photo is encrypted (wlt) and ignored.

Personal data: an IdCard never shows its name or ID number whole in repr/str/logs;
use mask_id_number / mask_name for anything that is displayed or logged (PIPL).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Callable

import serial

from rules import identity as id_rules

from .frames import PORT_ERRORS

log = logging.getLogger(__name__)

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
CMD_FIND = b"\x20\x01"
CMD_SELECT = b"\x20\x02"
CMD_READ = b"\x30\x01"
MAX_FRAME_LEN = 4096  # the largest answer (text + photo + fingerprints) is 2321 bytes

# SW3 status codes of the SAM_V protocol
SW_OK = 0x90
SW_FIND_OK = 0x9F
SW_NO_CONTENT = 0x91
SW_CHECKSUM_ERROR = 0x10  # the reader got a command with a bad check byte
SW_LENGTH_ERROR = 0x11
SW_COMMAND_ERROR = 0x21
SW_READ_FAILED = 0x41
SW_NO_CARD = 0x80  # find card failed
SW_SELECT_FAILED = 0x81
SW_TEXT = {
    SW_OK: "success",
    SW_FIND_OK: "card found",
    SW_NO_CONTENT: "no such content on the card",
    SW_CHECKSUM_ERROR: "reader received a bad check byte",
    SW_LENGTH_ERROR: "reader received a bad length",
    SW_COMMAND_ERROR: "reader refused the command",
    0x23: "operation not allowed",
    0x24: "unrecognised error",
    0x31: "card failed to authenticate the SAM",
    0x32: "SAM failed to authenticate the card",
    0x33: "information check failed",
    0x40: "unknown card type",
    SW_READ_FAILED: "reading the card failed",
    0x47: "random number failed",
    0x60: "SAM self-test failed",
    0x66: "SAM not authorised",
    SW_NO_CARD: "no card",
    SW_SELECT_FAILED: "selecting the card failed",
}

# field widths in UCS-2 characters, in card order
FIELDS = (
    ("name", 15),
    ("gender", 1),
    ("nation", 2),
    ("birth_date", 8),
    ("address", 35),
    ("id_number", 18),
    ("issuer", 15),
    ("valid_from", 8),
    ("valid_to", 8),
    ("reserved", 18),
)
TEXT_LEN = 256
PHOTO_LEN = 1024
LONG_TERM = "长期"  # valid_to of cards that never expire

GENDERS = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
# GB/T 3304 nationality codes as printed on the card (without 族)
NATIONS = dict(
    enumerate(
        (
            "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
            "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 "
            "怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
        ).split(),
        start=1,
    )
)
NATIONS[97] = "其他"
NATIONS[98] = "外国血统中国籍人士"


class IdCardError(RuntimeError):
    """The reader answered wrongly (bad check byte, bad status, garbled text)."""


class IdCardTimeout(IdCardError):
    """The reader did not answer in time."""


# ---- ID numbers (GB 11643): the rules are rules/identity.py, shared with server and kiosk ----
id_check_char = id_rules.check_char
birth_date_of = id_rules.birth_date
age_on = id_rules.age_on
mask_id_number = id_rules.mask_id_number
mask_name = id_rules.mask_name


def validate_id_number(s: str, today: date | None = None) -> bool:
    """True for an 18-character ID number with a real birth date (1900..today) and MOD 11-2 check."""
    return id_rules.is_valid(s, today)


# ---- the card ------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class IdCard:
    name: str
    gender: str  # 男 / 女
    nation: str  # 汉, 回, ...
    birth_date: date
    address: str
    id_number: str
    issuer: str
    valid_from: date
    valid_to: date | None  # None: 长期 (long-term)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def id_number_valid(self) -> bool:
        return validate_id_number(self.id_number)

    def age_on(self, on: date) -> int:
        return id_rules.years_between(self.birth_date, on)

    def expired_on(self, on: date) -> bool:
        return self.valid_to is not None and on > self.valid_to

    def __repr__(self) -> str:
        return (
            f"IdCard(name={self.masked_name!r}, gender={self.gender!r}, "
            f"id_number={self.masked_id_number!r}, birth_year={self.birth_date.year}, "
            f"valid_to={self.valid_to.isoformat() if self.valid_to else LONG_TERM!r})"
        )

    __str__ = __repr__


def _field_text(value: str, width: int) -> bytes:
    value = value[:width].ljust(width)
    return value.encode("utf-16-le")


def _code_of(table: dict, value: str, width: int) -> str:
    for code, name in table.items():
        if name == value or name == value.removesuffix("族"):
            return str(code).zfill(width)
    if value.isdigit():
        return value.zfill(width)
    raise ValueError(f"unknown value {value!r}")


def encode_text(card: IdCard) -> bytes:
    """The 256-byte UCS-2 LE text block a reader sends for this card (used by the simulator)."""
    values = {
        "name": card.name,
        "gender": _code_of(GENDERS, card.gender, 1),
        "nation": _code_of(NATIONS, card.nation, 2),
        "birth_date": card.birth_date.strftime("%Y%m%d"),
        "address": card.address,
        "id_number": card.id_number,
        "issuer": card.issuer,
        "valid_from": card.valid_from.strftime("%Y%m%d"),
        "valid_to": card.valid_to.strftime("%Y%m%d") if card.valid_to else LONG_TERM,
        "reserved": "",
    }
    out = b"".join(_field_text(values[name], width) for name, width in FIELDS)
    assert len(out) == TEXT_LEN
    return out


def _ymd(s: str, what: str) -> date:
    try:
        return date(int(s[0:4]), int(s[4:6]), int(s[6:8]))
    except ValueError as exc:
        raise IdCardError(f"card {what} is not a date") from exc


def parse_text(text: bytes) -> IdCard:
    """Decode the 256-byte text block. Raises IdCardError for garbled data."""
    if len(text) < TEXT_LEN:
        raise IdCardError(f"card text is {len(text)} bytes, expected {TEXT_LEN}")
    try:
        s = text[:TEXT_LEN].decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise IdCardError("card text is not UCS-2") from exc
    values, pos = {}, 0
    for name, width in FIELDS:
        values[name] = s[pos : pos + width].strip(" \x00")
        pos += width
    nation = values["nation"]
    valid_to = values["valid_to"]
    card = IdCard(
        name=values["name"],
        gender=GENDERS.get(values["gender"], values["gender"]),
        nation=NATIONS.get(int(nation), nation) if nation.isdigit() else nation,
        birth_date=_ymd(values["birth_date"], "birth date"),
        address=values["address"],
        id_number=values["id_number"].upper(),
        issuer=values["issuer"],
        valid_from=_ymd(values["valid_from"], "valid-from date"),
        valid_to=None if valid_to.startswith(LONG_TERM) else _ymd(valid_to, "valid-to date"),
    )
    if not card.id_number_valid:
        log.warning("card ID number %s fails the GB 11643 check", card.masked_id_number)
    return card


# ---- frames --------------------------------------------------------------------
def xor_check(data: bytes) -> int:
    c = 0
    for b in data:
        c ^= b
    return c


def _frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes((xor_check(length + body),))


def build_command(cmd: bytes, data: bytes = b"") -> bytes:
    """Host -> reader frame; cmd is the two bytes CMD PARA."""
    return _frame(cmd + data)


def build_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """Reader -> host frame."""
    return _frame(bytes((sw1, sw2, sw3)) + data)


@dataclass(frozen=True)
class SamFrame:
    body: bytes  # between the length and the check byte
    check_ok: bool

    @property
    def sw3(self) -> int:  # for answers
        return self.body[2] if len(self.body) >= 3 else -1

    @property
    def data(self) -> bytes:  # for answers: after SW1 SW2 SW3
        return self.body[3:]

    @property
    def command(self) -> bytes:  # for commands: CMD PARA
        return self.body[:2]


class SamFrameReader:
    """Splits a byte stream into SAM frames; frames with a bad check byte come out with check_ok=False."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[SamFrame]:
        self._buf += data
        out: list[SamFrame] = []
        while True:
            i = self._buf.find(PREAMBLE)
            if i < 0:
                del self._buf[: max(0, len(self._buf) - len(PREAMBLE) + 1)]
                return out
            del self._buf[:i]
            if len(self._buf) < 7:
                return out
            length = int.from_bytes(self._buf[5:7], "big")
            if length < 1 or length > MAX_FRAME_LEN:
                del self._buf[:1]  # not a real frame start
                continue
            if len(self._buf) < 7 + length:
                return out
            raw = bytes(self._buf[: 7 + length])
            del self._buf[: 7 + length]
            body, check = raw[7:-1], raw[-1]
            out.append(SamFrame(body, xor_check(raw[5:-1]) == check))


# ---- the reader ---------------------------------------------------------------
def _safe_call(fn: Callable | None, *args: object) -> None:
    if fn is None:
        return
    try:
        fn(*args)
    except Exception:  # the reader keeps polling even if a kiosk handler fails
        log.exception("ID card callback %s failed", getattr(fn, "__name__", fn))


class IdCardReader:
    """An ID card reader at a pyserial URL ("/dev/ttyUSB0", a pty path, "socket://...").

    read_card() runs find -> select -> read once. start_polling() runs it on a
    thread and calls on_card once per card placed on the reader.
    """

    def __init__(self, url: str, *, baudrate: int = 115200, answer_timeout: float = 1.0) -> None:
        self.url = url
        self.baudrate = baudrate
        self.answer_timeout = answer_timeout
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()
        self._reader = SamFrameReader()
        self._poll_thread: threading.Thread | None = None
        self._poll_stop = threading.Event()

    # -- port
    def open(self) -> None:
        if self._port is None:
            try:
                self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.05)
            except (*PORT_ERRORS, ValueError) as exc:
                raise IdCardError(f"cannot open ID card reader {self.url}: {exc}") from exc
            self._reader = SamFrameReader()

    def close(self) -> None:
        self.stop_polling()
        with self._lock:
            if self._port is not None:
                try:
                    self._port.close()
                except PORT_ERRORS:
                    pass
                self._port = None

    def __enter__(self) -> "IdCardReader":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one exchange
    def _exchange(self, cmd: bytes, timeout: float) -> SamFrame:
        port = self._port
        assert port is not None
        self._reader = SamFrameReader()
        port.reset_input_buffer()
        port.write(build_command(cmd))
        port.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = port.read(max(1, port.in_waiting))
            if not chunk:
                continue
            frames = self._reader.feed(chunk)
            if frames:
                frame = frames[0]
                if not frame.check_ok:
                    raise IdCardError(f"answer to {cmd.hex()} has a bad check byte")
                if len(frame.body) < 3:
                    raise IdCardError(f"answer to {cmd.hex()} is too short")
                return frame
        raise IdCardTimeout(f"no answer to {cmd.hex()} from {self.url} in {timeout:.1f} s")

    def read_card(self, timeout: float = 3.0) -> IdCard | None:
        """Read the card on the reader, or None when there is none.

        Raises IdCardError when the reader answers wrongly or not at all.
        """
        with self._lock:
            self.open()
            try:
                return self._read_card(timeout)
            except PORT_ERRORS as exc:
                self._drop_port()
                raise IdCardError(f"ID card reader {self.url} lost: {exc}") from exc

    def _drop_port(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except PORT_ERRORS:
                pass
            self._port = None

    def _read_card(self, timeout: float) -> IdCard | None:
        deadline = time.monotonic() + timeout

        def left() -> float:
            return max(0.05, min(self.answer_timeout, deadline - time.monotonic()))

        found = self._exchange(CMD_FIND, left())
        if found.sw3 == SW_NO_CARD:
            return None
        if found.sw3 != SW_FIND_OK:
            raise IdCardError(f"find card: {SW_TEXT.get(found.sw3, hex(found.sw3))}")
        selected = self._exchange(CMD_SELECT, left())
        if selected.sw3 == SW_SELECT_FAILED:
            return None  # the card left the reader between find and select
        if selected.sw3 != SW_OK:
            raise IdCardError(f"select card: {SW_TEXT.get(selected.sw3, hex(selected.sw3))}")
        answer = self._exchange(CMD_READ, max(left(), 1.0))  # 1295 bytes: 0.1 s at 115200 baud
        if answer.sw3 != SW_OK:
            raise IdCardError(f"read card: {SW_TEXT.get(answer.sw3, hex(answer.sw3))}")
        data = answer.data
        if len(data) < 4:
            raise IdCardError("read card: answer without lengths")
        text_len = int.from_bytes(data[0:2], "big")
        photo_len = int.from_bytes(data[2:4], "big")
        if text_len < TEXT_LEN or len(data) < 4 + text_len + photo_len:
            raise IdCardError(f"read card: lengths {text_len}/{photo_len} do not match {len(data)} bytes")
        card = parse_text(data[4 : 4 + text_len])
        log.info("read ID card %s", card.masked_id_number)
        return card

    # -- polling
    def start_polling(
        self,
        on_card: Callable[[IdCard], None],
        *,
        interval: float = 0.3,
        on_removed: Callable[[], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Poll on a thread; on_card once per card placed (not again while it stays)."""
        if self._poll_thread and self._poll_thread.is_alive():
            return
        self._poll_stop.clear()

        def run() -> None:
            present: str | None = None
            backoff = interval
            while not self._poll_stop.is_set():
                try:
                    card = self.read_card(timeout=max(1.0, interval))
                    backoff = interval
                except Exception as exc:  # the kiosk keeps its reader: never let the thread die
                    if isinstance(exc, IdCardError):
                        log.warning("ID card reader: %s", exc)
                    else:
                        log.exception("ID card reader %s failed", self.url)
                        with self._lock:
                            self._drop_port()
                    _safe_call(on_error, exc)
                    self._poll_stop.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if card is None:
                    if present is not None:
                        _safe_call(on_removed)
                    present = None
                elif card.id_number != present:
                    present = card.id_number
                    _safe_call(on_card, card)
                self._poll_stop.wait(interval)

        self._poll_thread = threading.Thread(target=run, name=f"IdCardReader({self.url})", daemon=True)
        self._poll_thread.start()

    def stop_polling(self, timeout: float = 3.0) -> None:
        self._poll_stop.set()
        if self._poll_thread and self._poll_thread is not threading.current_thread():
            self._poll_thread.join(timeout)
        self._poll_thread = None
