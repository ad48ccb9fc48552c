"""The kiosk's screens, one module each: home (service tiles), guide (办事指南), identify and
check-in (ID card, code or keypad), ticket (progress, ticket, error), 帮办代办 requests (assist)
and the hidden admin screen.
They draw and forward taps to the app; what a scan or a card does is decided in kiosk/routing.py."""
from __future__ import annotations

from .admin import AdminScreen
from .assist import AssistScreen
from .guide import GuideScreen
from .home import HomeScreen
from .identify import CheckinScreen, IdentifyScreen
from .ticket import ErrorScreen, ProgressScreen, TicketScreen

SCREENS = {"home": HomeScreen, "guide": GuideScreen, "identify": IdentifyScreen,
           "checkin": CheckinScreen, "progress": ProgressScreen, "ticket": TicketScreen,
           "error": ErrorScreen, "admin": AdminScreen, "assist": AssistScreen}

__all__ = ["SCREENS"]
