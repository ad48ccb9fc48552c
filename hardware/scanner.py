"""Code scanners: a camera or video file read with OpenCV and decoded by zbar, and
keyboard-wedge (HID) scanners whose "typing" is told apart from a person's.

Only QR and Code128 are decoded: the kiosk reads appointment QR codes and ticket
barcodes, and limiting zbar to two symbologies makes it ~8x faster and avoids
false reads of other symbologies in camera noise.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Union

import cv2
import numpy as np
from pyzbar.pyzbar import ZBarSymbol, decode as zbar_decode

log = logging.getLogger(__name__)

SYMBOLS = [ZBarSymbol.QRCODE, ZBarSymbol.CODE128]
Source = Union[int, str, Path]
CodeCallback = Callable[[str], None]


def _to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
    return image


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")  # QR codes made by Chinese tools are sometimes GBK


def decode_array(image: np.ndarray, symbols: Iterable[ZBarSymbol] = SYMBOLS) -> list[str]:
    """Texts of the QR / Code128 codes in an image array (BGR, BGRA or gray)."""
    return [_text(r.data) for r in zbar_decode(_to_gray(image), symbols=list(symbols))]


def decode_image(source: Union[str, Path, np.ndarray], symbols: Iterable[ZBarSymbol] = SYMBOLS) -> list[str]:
    """Texts of the codes in an image file or array. Raises FileNotFoundError/ValueError."""
    if isinstance(source, np.ndarray):
        return decode_array(source, symbols)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(path)
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ValueError(f"{path} is not an image OpenCV can read")
    return decode_array(image, symbols)


def shrink(frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Scale a frame down to fit size (w, h), keeping its aspect; never scales up."""
    if size is None:
        return frame
    h, w = frame.shape[:2]
    f = min(size[0] / w, size[1] / h)
    if f >= 1:
        return frame
    return cv2.resize(frame, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)


class RepeatFilter:
    """Collapses repeated reads of one code within `window` seconds into one.

    A code held in front of the camera is seen in every frame; each sighting
    extends the quiet period, so it is reported again only after it has been
    away (unseen) for `window` seconds.
    """

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._last_seen: dict[str, float] = {}

    def accept(self, code: str) -> bool:
        now = self.clock()
        last = self._last_seen.get(code)
        self._last_seen[code] = now
        if len(self._last_seen) > 256:  # forget old codes
            cutoff = now - self.window
            self._last_seen = {c: t for c, t in self._last_seen.items() if t >= cutoff}
        return last is None or now - last > self.window


class CameraScanner:
    """Reads frames from a camera index or video file on a background thread.

    on_code(text) runs on the scanner thread, once per code per `repeat_window`.
    A camera that fails to deliver frames is reopened with backoff; a video file
    that ends stops the thread (or starts again with loop=True). on_end() runs
    when the thread stops by itself.
    """

    def __init__(
        self,
        source: Source,
        on_code: CodeCallback,
        *,
        size: tuple[int, int] | None = (320, 240),
        repeat_window: float = 3.0,
        loop: bool = False,
        symbols: Iterable[ZBarSymbol] = SYMBOLS,
        max_fps: float | None = None,
        on_end: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = int(source) if isinstance(source, str) and source.isdigit() else source
        self.on_code = on_code
        self.on_end = on_end
        self.size = size
        self.loop = loop
        self.symbols = list(symbols)
        self.max_fps = max_fps
        self.filter = RepeatFilter(repeat_window, clock)
        self.frames_read = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._is_file = not isinstance(self.source, int)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        if self._is_file and not Path(self.source).exists():
            raise FileNotFoundError(self.source)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"CameraScanner({self.source})", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        if self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> "CameraScanner":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open(self) -> cv2.VideoCapture | None:
        cap = cv2.VideoCapture(str(self.source) if self._is_file else self.source)
        if not cap.isOpened():
            cap.release()
            return None
        return cap

    def process(self, frame: np.ndarray) -> list[str]:
        """Decode one frame; report new codes; return all codes seen in it."""
        codes = decode_array(shrink(frame, self.size), self.symbols)
        for code in codes:
            if self.filter.accept(code):
                log.info("scanned a %d-character code", len(code))  # never log the content: it may be personal
                try:
                    self.on_code(code)
                except Exception:  # one bad handler must not stop the scanner
                    log.exception("on_code callback failed")
        return codes

    def _run(self) -> None:
        cap = None
        delay = 0.1
        min_interval = 1.0 / self.max_fps if self.max_fps else 0.0
        try:
            while not self._stop.is_set():
                if cap is None:
                    cap = self._open()
                    if cap is None:
                        if self._is_file:
                            log.error("cannot open video file %s", self.source)
                            return
                        log.warning("camera %s not available; retrying in %.1f s", self.source, delay)
                        self._stop.wait(delay)
                        delay = min(delay * 2, 5.0)
                        continue
                    delay = 0.1
                started = time.monotonic()
                ok, frame = cap.read()
                if not ok:
                    if self._is_file:
                        if self.loop and self.frames_read:
                            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                            continue
                        log.info("video %s ended after %d frames", self.source, self.frames_read)
                        return
                    log.warning("camera %s stopped delivering frames; reopening", self.source)
                    cap.release()
                    cap = None
                    continue
                self.frames_read += 1
                self.process(frame)
                if min_interval:
                    self._stop.wait(max(0.0, min_interval - (time.monotonic() - started)))
        finally:
            if cap is not None:
                cap.release()
            if not self._stop.is_set() and self.on_end:
                try:
                    self.on_end()
                except Exception:
                    log.exception("on_end callback failed")


class HidScannerBuffer:
    """Assembles keyboard-wedge scanner input into codes.

    A HID scanner "types" a whole code in a few milliseconds and ends with Enter;
    a person types at >50 ms between keys. feed() every character with the time
    it arrived; it returns the code when Enter ends a fast burst of at least
    min_length characters, else None. A slow sequence is not a code (the kiosk
    lets it through as typing); `last_typed` keeps it for that purpose.
    """

    ENTER = ("\r", "\n")

    def __init__(
        self,
        *,
        max_gap: float = 0.03,
        min_length: int = 4,
        max_length: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_gap = max_gap
        self.min_length = min_length
        self.max_length = max_length
        self.clock = clock
        self._typed: list[str] = []  # slow keys before the current burst
        self._burst: list[str] = []  # keys arriving within max_gap of each other
        self._last: float | None = None
        self.last_typed = ""

    def reset(self) -> None:
        self._typed.clear()
        self._burst.clear()
        self._last = None

    def feed(self, char: str, t: float | None = None) -> str | None:
        now = self.clock() if t is None else t
        fast = self._last is not None and now - self._last <= self.max_gap
        if char in self.ENTER:
            code = "".join(self._burst)
            if fast and len(code) >= self.min_length:
                self.last_typed = "".join(self._typed)
                self.reset()
                return code
            self.last_typed = "".join(self._typed + self._burst)
            self.reset()
            return None
        if not fast:  # a pause: what came before was typed by a person
            self._typed += self._burst
            self._burst = []
        self._last = now
        if len(self._burst) >= self.max_length:  # a stuck key or a paste, not a scan
            self._typed += self._burst
            self._burst = []
        self._burst.append(char)
        return None

    def feed_text(self, text: str, t0: float, gap: float) -> list[str]:
        """Feed text as keys arriving every `gap` seconds from t0; returns the codes found."""
        codes = []
        for i, ch in enumerate(text):
            code = self.feed(ch, t0 + i * gap)
            if code is not None:
                codes.append(code)
        return codes
