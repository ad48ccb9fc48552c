"""On-duty and busy time of windows and staff members, replayed from a day's events (docs/kpis.md,
"Idle share"). Pure: takes plain tuples of events, gives seconds.

On duty (available): signed in and not paused. Busy: from a ticket's call at a window until it
leaves the window (finished, no-show, transferred). Sessions left open end at closing time, or at
the window's last activity after it, and never after `until` (now, for today).

Intervals are [start, end] pairs of anything that subtracts to a timedelta (datetimes).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SIGNED_IN, SIGNED_OUT = "window.signed_in", "window.signed_out"
PAUSED, RESUMED = "window.paused", "window.resumed"
CALLED = "ticket.called"
WINDOW_EVENTS = (SIGNED_IN, SIGNED_OUT, PAUSED, RESUMED)
# a called ticket holds its window until one of the others
TICKET_EVENTS = (CALLED, "ticket.finished", "ticket.no_show", "ticket.transferred")


def merge(intervals) -> list[list]:
    """Overlapping or touching intervals joined; empty ones dropped; sorted by start."""
    out: list[list] = []
    for s, e in sorted(x for x in intervals if x[1] > x[0]):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def subtract(base, cuts) -> list[list]:
    """The parts of `base` that no interval of `cuts` covers."""
    res: list[list] = []
    for s, e in base:
        pieces = [[s, e]]
        for cs, ce in cuts:
            nxt = []
            for ps, pe in pieces:
                if ce <= ps or cs >= pe:
                    nxt.append([ps, pe])
                    continue
                if cs > ps:
                    nxt.append([ps, cs])
                if ce < pe:
                    nxt.append([ce, pe])
            pieces = nxt
        res.extend(pieces)
    return res


def seconds(intervals) -> float:
    return sum((e - s).total_seconds() for s, e in intervals)


def overlap_s(a, b) -> float:
    """Seconds that the intervals of `a` and `b` share (each list free of overlaps within itself)."""
    total = 0.0
    for s1, e1 in a:
        for s2, e2 in b:
            lo, hi = max(s1, s2), min(e1, e2)
            if hi > lo:
                total += (hi - lo).total_seconds()
    return total


@dataclass
class DutyTime:
    available_s: int = 0
    busy_s: int = 0

    @property
    def idle_s(self) -> int:
        return max(0, self.available_s - self.busy_s)


def day_duty(window_events, ticket_events, opening: datetime, closing: datetime,
             until: datetime | None = None) -> tuple[dict[int, DutyTime], dict[int, DutyTime]]:
    """(per window, per staff member) on-duty and busy seconds of one day.

    window_events: (type, window, staff_id, at) in the order they happened, type one of WINDOW_EVENTS;
    ticket_events: (type, window, ticket_id, at) in order, type one of TICKET_EVENTS.
    A session open when the day began (no sign-in seen) starts at opening time, or at its first
    event if that is earlier. Work seen at a window nobody signed in at counts as on duty."""
    busy: dict[int, list] = {}
    holding: dict[int, tuple] = {}  # window -> (ticket id, called at)
    last_activity: dict[int, datetime] = {}
    for kind, w, ticket_id, at in ticket_events:
        if w is None:
            continue
        last_activity[w] = max(last_activity.get(w, at), at)
        if kind == CALLED:
            if w not in holding:
                holding[w] = (ticket_id, at)
        elif w in holding and holding[w][0] == ticket_id:
            busy.setdefault(w, []).append([holding.pop(w)[1], at])

    def day_end(w) -> datetime:
        e = max(closing, last_activity.get(w, closing))
        return min(e, until) if until is not None else e

    for w, (_tid, s) in holding.items():
        busy.setdefault(w, []).append([s, max(s, day_end(w))])
    sessions: dict[int, list] = {}  # window -> [[staff, start, end]]
    pauses: dict[int, list] = {}
    open_s: dict[int, list] = {}
    open_p: dict[int, list] = {}

    def close_session(w, at):
        s = open_s.pop(w, None)
        if s is not None:
            s[2] = at
            sessions.setdefault(w, []).append(s)

    def ensure_session(w, staff, at):
        if w not in open_s:  # signed in before this day began (carried over)
            open_s[w] = [staff, min(opening, at), None]

    for kind, w, staff, at in window_events:
        if w is None:
            continue
        if kind == SIGNED_IN:
            for other, s in list(open_s.items()):  # one staff member, one window at a time
                if other != w and s[0] == staff:
                    close_session(other, at)
            close_session(w, at)
            open_s[w] = [staff, at, None]
        elif kind == SIGNED_OUT:
            ensure_session(w, staff, at)
            close_session(w, at)
            p = open_p.pop(w, None)
            if p is not None:
                pauses.setdefault(w, []).append([p[0], at])
        elif kind == PAUSED:
            ensure_session(w, staff, at)
            open_p.setdefault(w, [at])
        elif kind == RESUMED:
            ensure_session(w, staff, at)
            p = open_p.pop(w, None) or [open_s[w][1]]
            pauses.setdefault(w, []).append([p[0], at])
    for w in list(open_s):
        close_session(w, max(open_s[w][1], day_end(w)))
    for w, p in open_p.items():
        pauses.setdefault(w, []).append([p[0], max(p[0], day_end(w))])
    for w, iv in busy.items():
        if w not in sessions:
            merged = merge(iv)
            sessions[w] = [[None, merged[0][0], merged[-1][1]]]
    by_window: dict[int, DutyTime] = {}
    by_staff: dict[int, DutyTime] = {}
    for w, sess in sessions.items():
        b = merge(busy.get(w, []))
        for staff, s, e in sess:
            avail = subtract([[s, e]], merge(pauses.get(w, [])))
            a_s, b_s = int(seconds(avail)), int(overlap_s(avail, b))
            for table, key in ((by_window, w), (by_staff, staff)):
                if key is None:
                    continue
                d = table.setdefault(key, DutyTime())
                d.available_s += a_s
                d.busy_s += b_s
    return by_window, by_staff
