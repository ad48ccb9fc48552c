"""Ticket lifecycle: the states a ticket passes through and which action may move it.

waiting -> called -> serving -> done | no_show | cancelled; transfer puts a called or serving
ticket back to waiting under another service, keeping its number and its place by issue time.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from .errors import Invalid, WrongState
from .queue import Candidate


class Status(str, Enum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


ACTIVE = (Status.CALLED.value, Status.SERVING.value)
CLOSED = (Status.DONE.value, Status.NO_SHOW.value, Status.CANCELLED.value)

# action -> (states it may start from, state it leads to); None keeps the state.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "call": (("waiting",), "called"),
    "recall": (("called",), None),
    "start": (("called",), "serving"),
    "finish": (("called", "serving"), "done"),
    "no_show": (("called",), "no_show"),
    "transfer": (("called", "serving"), "waiting"),
    "cancel": (("waiting",), "cancelled"),
}

ACTION_ZH = {
    "call": "叫号", "recall": "重呼", "start": "开始办理", "finish": "办结",
    "no_show": "过号", "transfer": "转移", "cancel": "取消",
}
STATUS_ZH = {
    "waiting": "等候中", "called": "已叫号", "serving": "办理中", "done": "已办结",
    "no_show": "过号", "cancelled": "已取消",
}


class Outcome(str, Enum):
    """How a window closes a case (办件类型)."""

    IMMEDIATE = "immediate"  # 即办件: done on the spot
    PROMISED = "promised"  # 承诺件: accepted, finished by a promised date
    ESCALATED = "escalated"  # 上报件: sent up to the county
    RETURNED = "returned"  # 退回补正: papers missing
    PROXY = "proxy"  # 代办件: handled on behalf of someone


# Outcomes followed to the end (限时办结): each has a due date in working days and is complete only
# when it is delivered (办结/出件). Limits default to the seeds (seed 004: 代办 and 乡镇初审、转报件
# within 3 working days); a hall sets its own in [rules] outcome_limit_days; 承诺件 take the promise
# the window gives (the service's promise_days by default).
TRACKED = ("promised", "escalated", "proxy")
DEFAULT_LIMIT_DAYS = {"escalated": 3, "proxy": 3}

OUTCOME_ZH = {
    "immediate": "即办件", "promised": "承诺件", "escalated": "上报件",
    "returned": "退回补正", "proxy": "代办件",
}


def next_status(action: str, current: str) -> str:
    """The status after `action`, or WrongState with a message staff can read."""
    try:
        allowed, target = TRANSITIONS[action]
    except KeyError:
        raise Invalid(f"未知操作 unknown action: {action}") from None
    if current not in allowed:
        raise WrongState(
            f"号票当前为「{STATUS_ZH.get(current, current)}」，不能{ACTION_ZH[action]}"
            f" (ticket is {current}; cannot {action})"
        )
    return target or current


def check_recall(recalls: int, max_recalls: int) -> None:
    if recalls >= max_recalls:
        raise WrongState(
            f"已重呼 {recalls} 次，达到上限，请办理或过号"
            f" (recalled {recalls} times, the limit; start or mark no-show)",
            code="recall_limit",
        )


def scoped_idempotency_key(sender: str, key: str) -> str:
    """An Idempotency-Key belongs to whoever sent it (a device or a user, `device:3`): kiosk B
    sending kiosk A's key is a new request and must not get A's ticket with its tracking token.
    Kept as a hash of (sender, key), so the column's length holds any sender and key."""
    return hashlib.sha256(f"{sender}\n{key}".encode()).hexdigest()


def may_cancel(role: str, service: str, served: set[str]) -> bool:
    """Staff cancel only tickets of services their windows serve; managers and admins any."""
    return role in ("manager", "admin") or service in served


def format_number(prefix: str, seq: int) -> str:
    """A001 … A999, then A1000: at least three digits, never wrapped (a number is unique per day)."""
    if seq < 1:
        raise ValueError("sequence numbers start at 1")
    return f"{prefix}{seq:03d}"


@dataclass(eq=False)
class Ticket:
    """One number in the queue (号票) and what may happen to it.

    Plain data: the store loads and saves it. `loaded_status` is the status read from the store;
    the store saves with "WHERE status = loaded_status", so a ticket changed meanwhile is never
    overwritten (two windows calling at once never get the same ticket).
    """

    id: int | None
    hall_id: int
    day: str
    service: str
    number: str
    status: str = Status.WAITING.value
    first_service: str = ""
    source: str = "kiosk"
    priority: str | None = None
    appointment_id: int | None = None
    id_hash: str | None = None
    id_masked: str | None = None
    token: str = ""
    idempotency_key: str | None = None
    issued_by: str | None = None
    queued_at: datetime | None = None
    issued_at: datetime | None = None
    called_at: datetime | None = None
    last_called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    window: int | None = None
    staff_id: int | None = None
    recalls: int = 0
    transfers: int = 0
    outcome: str | None = None
    due_date: date | None = None
    delivered_at: datetime | None = None
    delivered_by: int | None = None
    note: str | None = None
    first_window: int | None = None  # 首问负责: the window that first took the case stays responsible
    first_staff_id: int | None = None
    estimated_wait_s: int | None = None  # the estimate given at issue (printed on the ticket)
    estimated_wait_low_s: int | None = None
    estimated_wait_high_s: int | None = None
    loaded_status: str | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.loaded_status is None:
            self.loaded_status = self.status

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def candidate(self) -> Candidate:
        """The ticket as the queue ordering (domain.queue) sees it."""
        return Candidate.of(self)

    def given_estimate(self, estimated_wait_s: int | None, estimated_wait_low_s: int | None,
                       estimated_wait_high_s: int | None) -> None:
        """The wait the resident is told at issue (80% range), kept to measure estimates by."""
        self.estimated_wait_s = estimated_wait_s
        self.estimated_wait_low_s, self.estimated_wait_high_s = estimated_wait_low_s, estimated_wait_high_s

    def _move(self, action: str) -> None:
        self.status = next_status(action, self.status)

    def call(self, window: int, staff_id: int | None, now: datetime) -> None:
        self._move("call")
        self.called_at = self.called_at or now  # the first call; a transferred ticket keeps it
        self.last_called_at = now
        self.window, self.staff_id = window, staff_id
        if self.first_window is None:  # transfers keep the first window responsible (首问负责)
            self.first_window, self.first_staff_id = window, staff_id

    def recall(self, now: datetime, max_recalls: int) -> int:
        """Call again; returns how many recalls the ticket has had."""
        self._move("recall")
        check_recall(self.recalls, max_recalls)
        self.recalls += 1
        self.last_called_at = now
        return self.recalls

    def start(self, now: datetime) -> None:
        self._move("start")
        self.started_at = now

    def finish(self, now: datetime, outcome: str, due_date: date | None = None,
               note: str | None = None) -> None:
        valid = [o.value for o in Outcome]
        if outcome not in valid:
            raise Invalid(f"outcome must be one of: {', '.join(valid)}", code="invalid_outcome")
        was = self.status
        self._move("finish")
        self.finished_at, self.outcome, self.due_date = now, outcome, due_date
        if was == Status.CALLED.value:  # finished straight from called: no service time to measure
            self.started_at = None
        if note:
            self.note = note[:2000]

    def no_show(self, now: datetime) -> None:
        self._move("no_show")
        self.finished_at = now

    def transfer(self, service: str) -> str:
        """Back to waiting under `service`, keeping its number and place; returns the old service."""
        target = next_status("transfer", self.status)
        if service == self.service:
            raise Invalid("已在该业务队列中 (the ticket is already in that service)", code="same_service")
        old, self.status = self.service, target
        self.service, self.window, self.staff_id, self.started_at = service, None, None, None
        self.transfers += 1
        return old

    def cancel(self, now: datetime) -> None:
        self._move("cancel")
        self.finished_at = now

    def close_day(self, now: datetime) -> str:
        """End of day: waiting -> cancelled, called -> no_show, serving -> done (immediate)."""
        if self.status == Status.WAITING.value:
            self.status = Status.CANCELLED.value
        elif self.status == Status.CALLED.value:
            self.status = Status.NO_SHOW.value
        elif self.status == Status.SERVING.value:
            self.status, self.outcome = Status.DONE.value, Outcome.IMMEDIATE.value
        else:
            raise WrongState(f"ticket is {self.status}; nothing to close", code="closed")
        self.finished_at = now
        return self.status
