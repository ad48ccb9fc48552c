"""Heartbeats (设备心跳): a device program tells the server every 30 s that it is alive, so /admin
shows when it was last seen and the dashboard raises "设备离线" when it falls silent.

    Heartbeat(api, "announcer", name="大厅音箱").start()

With a device token (api.token) the server knows the device by it; without one it goes by `name`
(taken as a display device). `state()` may return ("degraded", "printer out of paper") to say
the program runs but something is wrong. A failed beat is logged once and tried again next time.
"""
from __future__ import annotations

import logging
import socket
import threading
from typing import Callable

from .api import ApiClient, ApiError, ServerUnreachable

log = logging.getLogger(__name__)


def default_name(program: str) -> str:
    """"announcer@hall-pc-2": the program and the machine it runs on."""
    return f"{program}@{socket.gethostname()}"[:64]


class Heartbeat:
    def __init__(self, api: ApiClient, program: str, *, name: str | None = None,
                 version: str | None = None, every_s: float = 30.0,
                 state: Callable[[], tuple[str, str | None]] | None = None):
        self.api, self.program = api, program
        self.name = name or default_name(program)
        self.version = version
        self.every_s = every_s
        self.state = state
        self.sent = 0  # beats the server recorded
        self.failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> bool:
        """Send one heartbeat now; True if the server recorded it."""
        status, detail = ("ok", None)
        if self.state is not None:
            try:
                status, detail = self.state()
            except Exception:
                log.exception("heartbeat state failed")
        try:
            self.api.heartbeat(self.program, name=None if self.api.token else self.name,
                               version=self.version, status=status, detail=detail)
        except (ServerUnreachable, ApiError) as exc:
            if not self.failing:
                log.warning("heartbeat of %s not recorded: %s", self.program, exc)
            self.failing = True
            return False
        if self.failing:
            log.info("heartbeat of %s recorded again", self.program)
        self.failing = False
        self.sent += 1
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat()
            if self._stop.wait(self.every_s):
                return

    def start(self) -> "Heartbeat":
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{self.program}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)
