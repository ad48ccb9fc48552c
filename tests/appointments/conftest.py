"""Helpers for the appointment tests: a hall clock set to a known working week, residents."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from server.domain.identity import make_id_number

# Tuesday 2026-11-24 09:00 in Shanghai (UTC+8); Wednesday 2026-11-25 has evening (延时) slots.
TUESDAY_0900 = datetime(2026, 11, 24, 1, 0)
WEDNESDAY = "2026-11-25"


def local(day: str, hhmm: str) -> datetime:
    """Naive UTC for a hall-local (Asia/Shanghai) date and time."""
    return datetime.fromisoformat(f"{day}T{hhmm}") - timedelta(hours=8)


def resident(n: int) -> dict:
    return {"name": f"张{'三四五六七八九十'[n % 8]}", "phone": f"1380013{n:04d}",
            "id_number": make_id_number(f"33010219800101{n:03d}")}


class Clock:
    """The hall's clock in a test: set it, move it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self):
        return self.now

    def set(self, day: str, hhmm: str):
        self.now = local(day, hhmm)


@pytest.fixture
def clock(ctx):
    c = Clock(TUESDAY_0900)
    ctx.clock = c
    return c


def book(api, service="social", date=WEDNESDAY, slot="10:00-10:30", who=0, **over):
    body = {"service": service, "date": date, "slot": slot, **resident(who), **over}
    return api.post(api.hp("/appointments"), json=body)
