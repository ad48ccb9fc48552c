"""A simulated ID card reader serving the SAM_V protocol on a serial port.

Used by the hardware tests and the kiosk's tests, and by hand with socat::

    socat -d -d pty,raw,echo=0,link=/tmp/idr-sim pty,raw,echo=0,link=/tmp/idr-kiosk &
    python -m hardware.idcard_sim /tmp/idr-sim --name 张三 --id 110101194003071230
    # then type `remove`, `insert` or `quit` + Enter on its stdin

Point the kiosk's reader at /tmp/idr-kiosk. The simulator prints `ready` when it
serves and `inserted` / `removed` after each change.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import date

import serial

from hardware.idcard import (
    CMD_FIND,
    CMD_READ,
    CMD_SELECT,
    PHOTO_LEN,
    SW_CHECKSUM_ERROR,
    SW_COMMAND_ERROR,
    SW_FIND_OK,
    SW_NO_CARD,
    SW_OK,
    SW_READ_FAILED,
    SW_SELECT_FAILED,
    TEXT_LEN,
    IdCard,
    SamFrameReader,
    birth_date_of,
    build_response,
    encode_text,
    validate_id_number,
)

log = logging.getLogger(__name__)


def sample_card(**changes: object) -> IdCard:
    """A made-up card with a valid ID number (check digit per GB 11643)."""
    values = dict(
        name="张三",
        gender="男",
        nation="汉",
        birth_date=date(1940, 3, 7),
        address="北京市东城区景山前街4号",
        id_number="110101194003071230",
        issuer="北京市公安局东城分局",
        valid_from=date(2015, 6, 1),
        valid_to=None,
    )
    values.update(changes)
    return IdCard(**values)


class IdCardSimulator:
    """Answers find / select / read on url like a reader with (or without) a card on it."""

    def __init__(self, url: str, card: IdCard | None = None, *, baudrate: int = 115200) -> None:
        self.url = url
        self.baudrate = baudrate
        self._card = card
        self._last_card = card
        self._lock = threading.Lock()
        self._corrupt = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._port: serial.SerialBase | None = None
        self.commands: list[bytes] = []  # CMD PARA of every command received

    # -- the card on the reader
    def insert(self, card: IdCard | None = None) -> None:
        """Place a card (default: the last card inserted, else sample_card())."""
        with self._lock:
            self._card = card or self._last_card or sample_card()
            self._last_card = self._card

    def remove(self) -> None:
        with self._lock:
            self._card = None

    @property
    def card(self) -> IdCard | None:
        return self._card

    def corrupt_next(self, n: int = 1) -> None:
        """Flip the check byte of the next n answers (a noisy line)."""
        with self._lock:
            self._corrupt += n

    # -- serving
    def start(self) -> "IdCardSimulator":
        self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.05)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name=f"IdCardSimulator({self.url})", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(3)
        if self._port:
            self._port.close()
            self._port = None

    def __enter__(self) -> "IdCardSimulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, body: bytes, check_ok: bool) -> bytes:
        """The reader's answer to one command frame."""
        if not check_ok:
            return build_response(SW_CHECKSUM_ERROR)
        cmd = body[:2]
        self.commands.append(cmd)
        with self._lock:
            card = self._card
        if cmd == CMD_FIND:
            return build_response(SW_FIND_OK, bytes(4)) if card else build_response(SW_NO_CARD)
        if cmd == CMD_SELECT:
            return build_response(SW_OK, bytes(8)) if card else build_response(SW_SELECT_FAILED)
        if cmd == CMD_READ:
            if not card:
                return build_response(SW_READ_FAILED)
            photo = bytes(PHOTO_LEN)  # the real photo is encrypted wlt data; readers ignore it
            data = TEXT_LEN.to_bytes(2, "big") + PHOTO_LEN.to_bytes(2, "big") + encode_text(card) + photo
            return build_response(SW_OK, data)
        return build_response(SW_COMMAND_ERROR)

    def _serve(self) -> None:
        reader = SamFrameReader()
        port = self._port
        while not self._stop.is_set():
            try:
                chunk = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, TypeError) as exc:
                if not self._stop.is_set():
                    log.error("simulator port %s failed: %s", self.url, exc)
                return
            if not chunk:
                continue
            for frame in reader.feed(chunk):
                out = self.answer(frame.body, frame.check_ok)
                with self._lock:
                    if self._corrupt:
                        self._corrupt -= 1
                        out = out[:-1] + bytes((out[-1] ^ 0x5A,))
                try:
                    port.write(out)
                except (serial.SerialException, OSError) as exc:
                    log.error("simulator write failed: %s", exc)
                    return


def _date(s: str) -> date:
    return date.fromisoformat(s) if "-" in s else date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m hardware.idcard_sim",
        description="Simulated ID card reader (SAM_V protocol) on a serial port. "
        "stdin commands: insert, remove, quit.",
    )
    ap.add_argument("port", help="serial port or pyserial URL to serve on (e.g. a socat pty)")
    ap.add_argument("--name", default="张三")
    ap.add_argument("--id", dest="id_number", default="110101194003071230")
    ap.add_argument("--gender", default="男", help="男 or 女")
    ap.add_argument("--nation", default="汉")
    ap.add_argument("--birth", help="YYYY-MM-DD (default: from the ID number)")
    ap.add_argument("--address", default="北京市东城区景山前街4号")
    ap.add_argument("--issuer", default="北京市公安局东城分局")
    ap.add_argument("--valid-from", default="2015-06-01")
    ap.add_argument("--valid-to", default="长期", help="YYYY-MM-DD or 长期")
    ap.add_argument("--no-card", action="store_true", help="start with the reader empty")
    ap.add_argument("--baudrate", type=int, default=115200)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    if not validate_id_number(args.id_number):
        print(f"warning: {args.id_number[:4]}... fails the GB 11643 check; serving it anyway", file=sys.stderr)
    try:
        birth = _date(args.birth) if args.birth else birth_date_of(args.id_number)
        card = IdCard(
            name=args.name,
            gender=args.gender,
            nation=args.nation,
            birth_date=birth,
            address=args.address,
            id_number=args.id_number.upper(),
            issuer=args.issuer,
            valid_from=_date(args.valid_from),
            valid_to=None if args.valid_to == "长期" else _date(args.valid_to),
        )
        encode_text(card)  # fail now, not at the first read, on an unknown gender or nation
    except ValueError as exc:
        ap.error(str(exc))

    sim = IdCardSimulator(args.port, None if args.no_card else card, baudrate=args.baudrate)
    try:
        sim.start()
    except (serial.SerialException, OSError) as exc:
        print(f"cannot open {args.port}: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print("ready", flush=True)

    def read_stdin() -> None:
        for line in sys.stdin:
            word = line.strip().lower()
            if word == "insert":
                sim.insert(card)
                print("inserted", flush=True)
            elif word == "remove":
                sim.remove()
                print("removed", flush=True)
            elif word in ("quit", "exit"):
                done.set()
                return
            elif word:
                print(f"unknown command {word!r}: insert, remove, quit", flush=True)
        # stdin closed: keep serving until a signal

    threading.Thread(target=read_stdin, daemon=True).start()
    while not done.wait(0.2):
        pass
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
