"""The hardware of one kiosk, built from its config. Any device not configured (or failing to
open) is None, and the screens leave out what it would have offered."""
from __future__ import annotations

import logging
import threading

from .config import KioskConfig

log = logging.getLogger(__name__)


def make_printer(cfg: KioskConfig):
    if not cfg.printer:
        return None
    from hardware.printer import TicketPrinter
    return TicketPrinter(cfg.printer, mode=cfg.print_mode, paper_mm=cfg.paper_mm,
                         profile=cfg.printer_profile or None, check_status=cfg.printer_check_status,
                         font_path=cfg.font)


class Devices:
    """Printer, camera scanner, ID-card reader and speech of the kiosk.

    on_code(text) and on_card(IdCard) run on the devices' own threads; the app hands them to
    the UI thread."""

    def __init__(self, cfg: KioskConfig, on_code=None, on_card=None):
        self.cfg = cfg
        self.on_code, self.on_card = on_code, on_card
        self.printer = make_printer(cfg)
        self.scanner = None
        self.reader = None
        self.speech = None
        self._speech_lock = threading.Lock()
        self.last_reader_error: str | None = None

    # -- scanner and reader run for the kiosk's lifetime
    def start(self) -> None:
        if self.cfg.camera:
            try:
                from hardware.scanner import CameraScanner
                self.scanner = CameraScanner(self.cfg.camera, self._code, size=self.cfg.camera_size,
                                             loop=self.cfg.camera_loop)
                self.scanner.start()
            except Exception as exc:  # a missing camera must not stop the kiosk
                log.error("camera %s not started: %s", self.cfg.camera, exc)
                self.scanner = None
        if self.cfg.idreader:
            from hardware.idcard import IdCardReader
            self.reader = IdCardReader(self.cfg.idreader, baudrate=self.cfg.idreader_baudrate)
            self.reader.start_polling(self._card, on_error=self._reader_error)

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
        if self.reader is not None:
            self.reader.close()

    def _code(self, text: str) -> None:
        if self.on_code:
            self.on_code(text)

    def _card(self, card) -> None:
        self.last_reader_error = None
        if self.on_card:
            self.on_card(card)

    def _reader_error(self, exc) -> None:
        self.last_reader_error = str(exc)

    # -- speech (elder mode): offline, and silent where the box has no sound card
    def say(self, text: str, lang: str = "zh") -> None:
        if not self.cfg.speech:
            return

        def run():
            with self._speech_lock:
                try:
                    if self.speech is None:
                        from hardware.speech import SpeechEngine
                        self.speech = SpeechEngine()
                    self.speech.speak(text, lang)
                except Exception as exc:
                    log.info("speech unavailable: %s", exc)
                    self.cfg.speech = False
        threading.Thread(target=run, name="kiosk-speech", daemon=True).start()
