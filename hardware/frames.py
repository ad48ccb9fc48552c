"""Framed serial protocol shared by caller keypads, 5-key evaluators and LED strips.

One frame on the wire::

    0x02 | addr | cmd | len | payload (len bytes, 0..250) | crc_lo | crc_hi | 0x03

The CRC is CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) over addr, cmd, len
and payload, sent little endian. Text payloads are GB18030 (the encoding of the
Chinese-firmware keypads and LED strips; it covers every Unicode character, so no
text is lost). See docs/hardware.md for the byte table and the command list.

`FrameReader` turns an arbitrary byte stream into valid frames, `SerialLink` runs a
pyserial URL with a reader thread and reconnects, `MemoryLink` is its in-memory twin.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import serial

try:  # pyserial's posix port lets termios.error through (EIO from a line unplugged or gone)
    import termios
    PORT_ERRORS: tuple = (serial.SerialException, OSError, termios.error)
except ImportError:  # Windows
    PORT_ERRORS = (serial.SerialException, OSError)

log = logging.getLogger(__name__)

START = 0x02
END = 0x03
MAX_PAYLOAD = 250
HEADER_LEN = 4  # start, addr, cmd, len
TRAILER_LEN = 3  # crc lo, crc hi, end
MAX_FRAME = HEADER_LEN + MAX_PAYLOAD + TRAILER_LEN
BROADCAST = 0xFF  # address every device on the bus accepts
TEXT_ENCODING = "gb18030"


class Cmd(enum.IntEnum):
    """Frame commands. Direction in the comment: who sends it."""

    ACK = 0x06  # either way: frame understood; payload: the acknowledged command byte
    NAK = 0x15  # either way: frame refused; payload: the refused command byte (optional)
    KEY = 0x10  # keypad -> host: a key was pressed; payload: one Key byte
    SHOW = 0x11  # host -> keypad: text for the keypad's small display (GB18030)
    RATE = 0x20  # evaluator -> host: a rating; payload: level byte 1..5
    PROMPT = 0x21  # host -> evaluator: ask for a rating; payload: ticket number text (GB18030)
    IDLE = 0x22  # host -> evaluator: back to idle (no payload)
    SHOW_TEXT = 0x30  # host -> LED strip: show this text (GB18030)
    CLEAR = 0x31  # host -> LED strip: blank the strip (no payload)


class Key(enum.IntEnum):
    """Key codes a caller keypad sends in a KEY frame (叫号器按键)."""

    CALL_NEXT = 1  # 呼叫 call next
    RECALL = 2  # 重呼 recall
    START = 3  # 开始办理 start
    FINISH = 4  # 办结 finish
    NO_SHOW = 5  # 过号 no-show
    PAUSE = 6  # 暂停 pause
    RESUME = 7  # 恢复 resume
    TRANSFER = 8  # 转移 transfer


class FrameError(ValueError):
    """A frame cannot be built from these values."""


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS of data (check value for b"123456789" is 0x4B37)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0xA001
            else:
                crc >>= 1
    return crc


def encode(addr: int, cmd: int, payload: bytes = b"") -> bytes:
    """Build one frame. Raises FrameError for out-of-range values."""
    if not 0 <= addr <= 0xFF:
        raise FrameError(f"address {addr} is not a byte")
    if not 0 <= int(cmd) <= 0xFF:
        raise FrameError(f"command {cmd} is not a byte")
    payload = bytes(payload)
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = bytes((addr, int(cmd), len(payload))) + payload
    crc = crc16_modbus(body)
    return bytes((START,)) + body + bytes((crc & 0xFF, crc >> 8, END))


def encode_text(text: str, limit: int = MAX_PAYLOAD) -> bytes:
    """GB18030 bytes of text, cut at a character boundary to fit limit bytes."""
    out = b""
    for ch in text:
        b = ch.encode(TEXT_ENCODING)
        if len(out) + len(b) > limit:
            break
        out += b
    return out


@dataclass(frozen=True)
class Frame:
    addr: int
    cmd: int
    payload: bytes = b""

    def encode(self) -> bytes:
        return encode(self.addr, self.cmd, self.payload)

    @property
    def text(self) -> str:
        """Payload read as GB18030 text (undecodable bytes replaced)."""
        return self.payload.decode(TEXT_ENCODING, errors="replace")

    def __repr__(self) -> str:
        try:
            name = Cmd(self.cmd).name
        except ValueError:
            name = f"0x{self.cmd:02X}"
        return f"Frame(addr={self.addr}, cmd={name}, payload={self.payload.hex(' ')})"


# Builders for the frames the host and devices send.
def key_frame(addr: int, key: Key | int) -> Frame:
    return Frame(addr, Cmd.KEY, bytes((int(key),)))


def rate_frame(addr: int, level: int) -> Frame:
    if not 1 <= level <= 5:
        raise FrameError(f"rating level {level} not in 1..5")
    return Frame(addr, Cmd.RATE, bytes((level,)))


def show_frame(addr: int, text: str) -> Frame:
    return Frame(addr, Cmd.SHOW, encode_text(text))


def prompt_frame(addr: int, ticket_number: str) -> Frame:
    return Frame(addr, Cmd.PROMPT, encode_text(ticket_number))


def led_text_frame(addr: int, text: str) -> Frame:
    return Frame(addr, Cmd.SHOW_TEXT, encode_text(text))


def ack_frame(addr: int, cmd: int) -> Frame:
    return Frame(addr, Cmd.ACK, bytes((int(cmd),)))


def nak_frame(addr: int, cmd: int) -> Frame:
    return Frame(addr, Cmd.NAK, bytes((int(cmd),)))


def _frame_at(buf: bytearray, i: int) -> tuple[str, Frame | None, int]:
    """Try to read a frame starting at buf[i] (which is START).

    Returns (state, frame, total_len) where state is "ok", "bad" or "short".
    """
    n = len(buf) - i
    if n < HEADER_LEN:
        return "short", None, 0
    length = buf[i + 3]
    if length > MAX_PAYLOAD:
        return "bad", None, 0
    total = HEADER_LEN + length + TRAILER_LEN
    if n < total:
        return "short", None, total
    if buf[i + total - 1] != END:
        return "bad", None, total
    body = bytes(buf[i + 1 : i + HEADER_LEN + length])
    crc = buf[i + HEADER_LEN + length] | (buf[i + HEADER_LEN + length + 1] << 8)
    if crc != crc16_modbus(body):
        return "bad", None, total
    return "ok", Frame(body[0], body[1], body[3:]), total


class FrameReader:
    """Turns a byte stream into valid frames; never raises on any input.

    Garbage, bad CRCs and wrong end bytes cost one byte each: the reader drops the
    false start byte and looks for the next START. A false start whose declared
    length runs past the data received so far does not block a later valid frame:
    the reader looks ahead for a complete valid frame and resyncs onto it. The
    buffer never holds more than one maximal frame after a feed.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0  # bytes discarded as garbage (diagnostics)

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        frames: list[Frame] = []
        buf = self._buf
        i = 0
        while i < len(buf):
            if buf[i] != START:
                j = buf.find(START, i)
                if j < 0:
                    self.dropped += len(buf) - i
                    i = len(buf)
                    break
                self.dropped += j - i
                i = j
                continue
            state, frame, total = _frame_at(buf, i)
            if state == "ok":
                frames.append(frame)
                i += total
            elif state == "bad":
                self.dropped += 1
                i += 1
            else:  # short: wait for more bytes, unless a later complete frame proves this start false
                later = self._lookahead(buf, i + 1)
                if later is None:
                    break
                self.dropped += later - i
                i = later
        del buf[:i]
        if len(buf) > MAX_FRAME:  # cannot happen after the loop; a guard for the bound
            self.dropped += len(buf) - MAX_FRAME
            del buf[: len(buf) - MAX_FRAME]
        return frames

    @staticmethod
    def _lookahead(buf: bytearray, start: int) -> int | None:
        j = buf.find(START, start)
        while j >= 0:
            state, _, _ = _frame_at(buf, j)
            if state == "ok":
                return j
            j = buf.find(START, j + 1)
        return None

    @property
    def pending(self) -> int:
        """Bytes held waiting for the rest of a frame."""
        return len(self._buf)

    def reset(self) -> None:
        self._buf.clear()


FrameCallback = Callable[[Frame], None]


class LinkDownError(ConnectionError):
    """The serial device is not connected right now (a write was refused)."""


class FrameLink(Protocol):
    """What bridges need: send frames, receive them through a callback."""

    def send(self, frame: Frame) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...

    @property
    def connected(self) -> bool: ...


class SerialLink:
    """A framed link over a pyserial URL, read on a background thread.

    url: anything serial.serial_for_url takes ("/dev/ttyUSB0", "/dev/pts/5",
    "loop://", "socket://host:port", "rfc2217://host:port").
    When the port vanishes (USB unplugged, pty closed) the thread closes it and
    reopens with exponential backoff (reconnect_min .. reconnect_max seconds).
    on_frame runs on the reader thread; keep it short or hand off to a queue.
    """

    def __init__(
        self,
        url: str,
        on_frame: FrameCallback,
        *,
        baudrate: int = 9600,
        read_timeout: float = 0.05,
        reconnect_min: float = 0.05,
        reconnect_max: float = 2.0,
        on_state: Callable[[bool], None] | None = None,
    ) -> None:
        self.url = url
        self.on_frame = on_frame
        self.on_state = on_state
        self.baudrate = baudrate
        self.read_timeout = read_timeout
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self._port: serial.SerialBase | None = None
        self._reader = FrameReader()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"SerialLink({self.url})", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._close()

    def __enter__(self) -> "SerialLink":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def send(self, frame: Frame) -> None:
        """Write one frame. Raises LinkDownError when the port is not open."""
        data = frame.encode()
        with self._write_lock:
            port = self._port
            if port is None or not self.connected:
                raise LinkDownError(f"{self.url} is not connected")
            try:
                port.write(data)
                port.flush()
            except PORT_ERRORS as exc:
                self._set_connected(False)
                raise LinkDownError(f"{self.url}: write failed: {exc}") from exc

    def send_raw(self, data: bytes) -> None:
        """Write bytes as they are (tests, diagnostics)."""
        with self._write_lock:
            if self._port is None:
                raise LinkDownError(f"{self.url} is not connected")
            self._port.write(data)

    def _set_connected(self, up: bool) -> None:
        was = self._connected.is_set()
        if up:
            self._connected.set()
        else:
            self._connected.clear()
        if was != up:
            log.info("serial link %s %s", self.url, "up" if up else "down")
            if self.on_state:
                try:
                    self.on_state(up)
                except Exception:  # a faulty listener must not kill the reader thread
                    log.exception("on_state callback failed")

    def _open(self) -> bool:
        try:
            port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=self.read_timeout)
        except (*PORT_ERRORS, ValueError) as exc:
            log.debug("cannot open %s: %s", self.url, exc)
            return False
        with self._write_lock:
            self._port = port
        self._reader.reset()
        self._set_connected(True)
        return True

    def _close(self) -> None:
        with self._write_lock:
            port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except PORT_ERRORS:
                pass
        self._set_connected(False)

    def _run(self) -> None:
        delay = self.reconnect_min
        first = True
        while not self._stop.is_set():
            if self._port is None:
                if self._open():
                    if not first:
                        self.reconnects += 1
                    first = False
                    delay = self.reconnect_min
                else:
                    self._stop.wait(delay)
                    delay = min(delay * 2, self.reconnect_max)
                    continue
            port = self._port
            try:
                data = port.read(max(1, port.in_waiting))
            except (*PORT_ERRORS, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial's posix port raises these when closed under it
                log.warning("serial link %s lost: %s", self.url, exc)
                self._close()
                continue
            if not data:
                continue
            for frame in self._reader.feed(data):
                try:
                    self.on_frame(frame)
                except Exception:  # the device keeps talking even if one handler fails
                    log.exception("on_frame callback failed for %r", frame)


class MemoryLink:
    """In-memory twin of SerialLink: MemoryLink.pair() gives two connected ends."""

    def __init__(self, on_frame: FrameCallback | None = None) -> None:
        self.on_frame = on_frame
        self.peer: MemoryLink | None = None
        self.sent: list[Frame] = []
        self._running = False

    @classmethod
    def pair(
        cls, on_frame_a: FrameCallback | None = None, on_frame_b: FrameCallback | None = None
    ) -> tuple["MemoryLink", "MemoryLink"]:
        a, b = cls(on_frame_a), cls(on_frame_b)
        a.peer, b.peer = b, a
        return a, b

    @property
    def connected(self) -> bool:
        return self._running and self.peer is not None and self.peer._running

    def start(self) -> None:
        self._running = True

    def stop(self) -> None:
        self._running = False

    def send(self, frame: Frame) -> None:
        if not self.connected:
            raise LinkDownError("memory link is not connected")
        self.sent.append(frame)
        # round-trip through bytes so the twin exercises the codec like the wire does
        for f in FrameReader().feed(frame.encode()):
            if self.peer.on_frame:
                self.peer.on_frame(f)


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    """Poll predicate until true or timeout; small helper for bridges and tests."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
