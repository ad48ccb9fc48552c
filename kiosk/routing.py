"""Which scan or card does what on which screen. No Kivy here: the app describes where it is
(`Where`), asks `route_code` / `route_card`, and carries out the `Action` it gets back.

The rules, as a resident meets them:
- on the identify screen an ID (card, code or keypad) goes with the service being taken;
- on home, check-in, guide, ticket and error screens a booking QR checks in; an ID card (or a
  code holding an ID number) checks in too, and when there is no booking today it identifies the
  resident's next ticket (so elderly priority applies by the hall's rule);
- while a ticket is being issued or printed, input is ignored (one action at a time);
- the same card or code again within a few seconds of its first use is ignored (a card laid
  down twice, a QR held in front of the camera);
- a ticket's own QR, or a code of another hall, is answered with a plain message;
- on the admin screen, the scanner and reader tests show what was read (masked).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from rules.identity import is_valid, mask_id_number

REPEAT_S = 8.0  # the same card/code within this time after its use is a re-read, not a new action
RESIDENT_SCREENS = ("home", "checkin", "guide", "ticket", "error")

# a booking's code: 7 characters of an unambiguous alphabet (shown "ABC DEFG"), or the older
# signed form CODE.YYMMDD.MAC; the server checks it, this only tells it from other codes
_BOOKING = re.compile(r"^([34679ACEFGHJKMNPRTUVWXY]{6,8}|[A-Z0-9]{4,16}\.\d{6}\.[A-Z2-7]{4,32})$")


def valid_id_number(s: str) -> bool:
    return is_valid((s or "").strip().upper())


def mask(id_number: str) -> str:
    return mask_id_number(id_number or "")


@dataclass(frozen=True)
class Where:
    screen: str
    busy: bool = False
    admin_test: str | None = None  # "scanner" | "reader" while the admin screen tests a device
    service: str | None = None  # the service being taken on the identify screen
    hall: str = "main"


@dataclass(frozen=True)
class Action:
    kind: str  # ignore | issue | checkin | admin_status | notice | assist_card
    service: str | None = None
    id_number: str | None = None
    code: str | None = None
    text_key: str | None = None  # i18n key of a notice
    shown: str | None = None  # admin test: what to show


IGNORE = Action("ignore")


def classify(text: str, hall: str) -> tuple[str, str]:
    """(kind, value) of a scanned code: id_number | booking | ticket_link | other_hall | unknown."""
    s = (text or "").strip()
    if valid_id_number(s):
        return "id_number", s.upper()
    if s.lower().startswith(("http://", "https://")):
        path = urlsplit(s).path
        m = re.search(r"/halls/([^/]+)", path)
        if m and m.group(1) != hall:
            return "other_hall", s
        if re.search(r"/t/[^/]+$", path):
            return "ticket_link", s
        m = re.search(r"[?&/]code=([^&]+)|/book(?:ing)?/([^/?]+)$", s)
        if m:
            return "booking", (m.group(1) or m.group(2))
        return "unknown", s
    flat = re.sub(r"[\s\-]", "", s).upper()
    if _BOOKING.match(flat):
        return "booking", s
    return "unknown", s


class Router:
    """Keeps what was just read (to ignore re-reads) and answers route_code / route_card."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._recent: dict[str, float] = {}

    def _seen(self, key: str) -> bool:
        now = self.clock()
        self._recent = {k: t for k, t in self._recent.items() if now - t < REPEAT_S}
        if key in self._recent:
            return True
        self._recent[key] = now
        return False

    def forget(self) -> None:
        """Back home after a resident left: the next card is a new resident's."""
        self._recent.clear()

    def route_code(self, text: str, where: Where) -> Action:
        s = (text or "").strip()
        if not s:
            return IGNORE
        if where.screen == "admin":
            if where.admin_test == "scanner":
                kind, value = classify(s, where.hall)
                shown = mask(value) if kind == "id_number" else (s if len(s) <= 40 else s[:37] + "...")
                return Action("admin_status", shown=shown)
            return IGNORE
        if where.busy or where.screen == "progress":
            return IGNORE
        kind, value = classify(s, where.hall)
        if where.screen == "identify":
            if kind == "id_number":
                return Action("issue", service=where.service, id_number=value)
            return Action("notice", text_key="scan_id_here")
        if where.screen not in RESIDENT_SCREENS:
            return IGNORE
        if self._seen(f"code:{value}"):
            return IGNORE
        if kind == "id_number":
            return Action("checkin", id_number=value)
        if kind == "booking":
            return Action("checkin", code=value)
        if kind == "ticket_link":
            return Action("notice", text_key="ticket_qr_scanned")
        if kind == "other_hall":
            return Action("notice", text_key="other_hall_qr")
        return Action("notice", text_key="unknown_qr")

    def route_card(self, id_number: str | None, valid: bool, where: Where) -> Action:
        if where.screen == "admin":
            if where.admin_test == "reader":
                return Action("admin_status", shown=mask(id_number or ""))
            return IGNORE
        if where.busy or where.screen == "progress":
            return IGNORE
        if not valid or not id_number:
            return Action("notice", text_key="card_unreadable")
        if where.screen == "identify":
            return Action("issue", service=where.service, id_number=id_number)
        if where.screen == "assist":  # the name for a 帮办代办 request (the number is not sent)
            return Action("assist_card")
        if where.screen not in RESIDENT_SCREENS:
            return IGNORE
        if self._seen(f"card:{id_number}"):
            return IGNORE
        return Action("checkin", id_number=id_number)
