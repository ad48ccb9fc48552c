"""Which waiting ticket a window calls next.

A window serves its services in its configured order ("ordered") or takes the longest-waiting
ticket of any of them ("longest_waiting"). Within that, appointments due now come first, then
priority groups (elderly, disabled, ...), then arrival order. A cap on priority calls in a row keeps
ordinary residents from being starved.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

APPOINTMENT, PRIORITY, ORDINARY = 0, 1, 2


class Candidate(NamedTuple):
    """A waiting ticket as the ordering sees it. A named tuple (immutable, and cheap to make: a
    window's call builds one for every waiting ticket of its services)."""

    id: int
    service: str
    queued_at: datetime  # issue time; a transferred ticket keeps its original one
    priority: str | None = None
    appointment_due: bool = False

    @classmethod
    def of(cls, ticket) -> "Candidate":
        """From anything with a ticket's fields (a Ticket, a database row)."""
        return cls(ticket.id, ticket.service, ticket.queued_at, ticket.priority,
                   ticket.appointment_id is not None and ticket.source == "appointment")

    @property
    def rank(self) -> int:
        if self.appointment_due:
            return APPOINTMENT
        if self.priority:
            return PRIORITY
        return ORDINARY


def from_rows(rows) -> list[Candidate]:
    """Candidates from rows of (id, service, queued_at, priority, appointment_id, source), made
    positionally: a window's call and an issue's estimate make one for every waiting ticket."""
    return [Candidate(i, service, queued_at, priority, appointment_id is not None and source == "appointment")
            for i, service, queued_at, priority, appointment_id, source in rows]


def order(
    candidates: list[Candidate],
    services: list[str],
    policy: str = "ordered",
    priority_streak: int = 0,
    priority_cap: int = 3,
) -> list[Candidate]:
    """Candidates in the order the window should try them (first that is still free wins)."""
    index = {code: i for i, code in enumerate(services)}
    pool = [c for c in candidates if c.service in index]

    def key(c: Candidate):
        service_key = index[c.service] if policy == "ordered" else 0
        return (service_key, c.rank, c.queued_at, c.id)

    ranked = sorted(pool, key=key)
    if priority_cap > 0 and priority_streak >= priority_cap:
        ordinary = [c for c in ranked if c.rank == ORDINARY]
        if ordinary:
            rest = [c for c in ranked if c.rank != ORDINARY]
            return ordinary + rest
    return ranked


def streak_after(picked: Candidate, streak: int) -> int:
    """Priority calls in a row after calling `picked`."""
    return streak + 1 if picked.rank != ORDINARY else 0


def ahead_of(ticket: Candidate, waiting: list[Candidate]) -> int:
    """How many waiting tickets of the same service stand before `ticket`."""
    mine = (ticket.rank, ticket.queued_at, ticket.id)
    return sum(
        1 for c in waiting
        if c.service == ticket.service and c.id != ticket.id and (c.rank, c.queued_at, c.id) < mine
    )
