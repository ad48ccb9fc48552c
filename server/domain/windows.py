"""A service window (窗口): who is signed in, whether it is open or paused, which ticket it serves.

closed (nobody signed in) -> open <-> paused. A window serves one ticket at a time: it cannot call,
pause or be left while a ticket is called or being served there ("busy"); another staff member may
take over a window only when it is free.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import queue as qdomain
from .errors import WrongState
from .tickets import Ticket

CLOSED, OPEN, PAUSED = "closed", "open", "paused"


@dataclass(eq=False)
class Window:
    id: int | None
    hall_id: int
    number: int
    name: str
    services: list[str] = field(default_factory=list)
    policy: str = "ordered"
    status: str = CLOSED
    pause_reason: str | None = None
    paused_at: datetime | None = None
    staff_id: int | None = None
    signed_in_at: datetime | None = None
    current_ticket_id: int | None = None
    priority_streak: int = 0
    active: bool = True
    current: Ticket | None = field(default=None, repr=False)  # the called or serving ticket, if any

    @property
    def busy(self) -> bool:
        return self.current is not None and self.current.active

    def ensure_free(self, doing: str = "finish") -> None:
        """WrongState window_busy while a ticket is called or served here."""
        if self.busy:
            n = self.current.number
            what = "finish or no-show" if doing == "call" else "finish"
            raise WrongState(f"请先办结或过号当前号票 {n} ({what} {n} first)", code="window_busy")

    def ensure_not_paused(self) -> None:
        if self.status == PAUSED:
            raise WrongState(f"{self.number} 号窗口暂停中,请先恢复 (window {self.number} is paused; "
                             "resume first)", code="window_paused")

    def ensure_current(self) -> Ticket:
        if not self.busy:
            raise WrongState(f"{self.number} 号窗口当前没有号票 (window {self.number} has no current ticket)",
                             code="no_current_ticket")
        return self.current

    def call_order(self, waiting: list[qdomain.Candidate], priority_cap: int) -> list[qdomain.Candidate]:
        """The waiting tickets in the order this window tries them (domain.queue)."""
        self.ensure_not_paused()
        self.ensure_free("call")
        return qdomain.order(waiting, list(self.services), self.policy, self.priority_streak, priority_cap)

    def take(self, ticket: Ticket) -> None:
        """`ticket` was just called here: it is the window's current ticket."""
        self.current, self.current_ticket_id, self.status = ticket, ticket.id, OPEN
        self.priority_streak = qdomain.streak_after(ticket.candidate, self.priority_streak)

    def release(self) -> None:
        """The current ticket left the window (finished, no-show, transferred)."""
        self.current, self.current_ticket_id = None, None

    def sign_in(self, staff_id: int, now: datetime) -> int | None:
        """`staff_id` works here from now; returns who was signed in before (a take-over)."""
        if self.staff_id and self.staff_id != staff_id and self.busy:
            raise WrongState(f"{self.number} 号窗口正在办理业务,请稍后接班 (window {self.number} is serving; "
                             "take over after it finishes)", code="window_busy")
        previous = self.staff_id
        self.staff_id, self.signed_in_at = staff_id, now
        self.status = PAUSED if self.status == PAUSED else OPEN
        return previous

    def sign_out(self) -> int | None:
        self.ensure_free()
        previous = self.staff_id
        self.staff_id, self.status, self.signed_in_at = None, CLOSED, None
        self.pause_reason = self.paused_at = None
        return previous

    def pause(self, reason: str, now: datetime) -> None:
        if self.status == PAUSED:
            raise WrongState(f"{self.number} 号窗口已暂停 (window {self.number} is already paused)",
                             code="window_paused")
        self.ensure_free()
        self.status, self.pause_reason, self.paused_at = PAUSED, reason, now

    def resume(self, now: datetime) -> tuple[str | None, int | None]:
        """Open again; returns (the pause reason, seconds paused)."""
        if self.status != PAUSED:
            raise WrongState(f"{self.number} 号窗口未暂停 (window {self.number} is not paused)",
                             code="not_paused")
        reason = self.pause_reason
        paused_s = int((now - self.paused_at).total_seconds()) if self.paused_at else None
        self.status, self.pause_reason, self.paused_at = OPEN, None, None
        return reason, paused_s
