"""A bad-review case (差评整改件) and the steps that close it.

A rating of 1 or 2 opens a case due N working days ahead. It is worked in three steps, in order:
verify 核实, rectify 整改, call back 回访; it closes when all three are recorded. A manager may void
it (申诉作废: a mistaken or malicious review) with a reason, kept in its history like a step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .errors import Invalid, WrongState

STEPS = ("verify", "rectify", "callback")
VOID = "void"
STEP_ZH = {"verify": "核实", "rectify": "整改", "callback": "回访", "void": "申诉作废"}
STEP_EN = {"verify": "Verify", "rectify": "Rectify", "callback": "Call back", "void": "Voided on appeal"}
OPEN, CLOSED, VOIDED = "open", "closed", "voided"


def steps_done(recorded) -> list[str]:
    """The work steps among `recorded` step names, in the order they are done."""
    done = set(recorded)
    return [s for s in STEPS if s in done]


def next_step(recorded, status: str) -> str | None:
    """The step an open case waits for (None once closed or voided)."""
    done = set(recorded)
    return next((s for s in STEPS if s not in done), None) if status == OPEN else None


@dataclass(frozen=True)
class Step:
    step: str
    text: str
    user_id: int | None
    created_at: datetime
    id: int | None = None


@dataclass(eq=False)
class ReviewCase:
    id: int | None
    hall_id: int
    ticket_id: int
    rating_id: int
    due_date: date
    opened_at: datetime
    status: str = OPEN
    closed_at: datetime | None = None
    void_reason: str | None = None
    steps: list[Step] = field(default_factory=list)  # history, oldest first
    loaded_status: str | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.loaded_status is None:
            self.loaded_status = self.status

    @property
    def steps_done(self) -> list[str]:
        return steps_done(s.step for s in self.steps)

    @property
    def next_step(self) -> str | None:
        return next_step((s.step for s in self.steps), self.status)

    @property
    def new_steps(self) -> list[Step]:
        """Steps added since loading (id None): the store inserts them."""
        return [s for s in self.steps if s.id is None]

    def _ensure_open(self) -> None:
        if self.status != OPEN:
            raise WrongState("该差评件已办结或已作废 (the case is already closed or voided)",
                             code="case_closed")

    def add_step(self, step: str, text: str, user_id: int | None, now: datetime) -> bool:
        """Record `step` (after the ones before it); a step already recorded may get a further
        note. Returns True when this step closed the case."""
        if step not in STEPS:
            raise Invalid(f"step must be one of: {', '.join(STEPS)}", code="invalid_step")
        self._ensure_open()
        done = set(self.steps_done)
        missing = [s for s in STEPS[:STEPS.index(step)] if s not in done]
        if missing:
            raise WrongState(f"请先完成「{STEP_ZH[missing[0]]}」 (record {missing[0]} first)",
                             code="step_out_of_order")
        self.steps.append(Step(step, text, user_id, now))
        if all(s in self.steps_done for s in STEPS):
            self.status, self.closed_at = CLOSED, now
            return True
        return False

    def void(self, reason: str, user_id: int | None, now: datetime) -> None:
        """申诉: the review was mistaken or malicious; the reason stays in the history."""
        self._ensure_open()
        self.status, self.closed_at, self.void_reason = VOIDED, now, reason
        self.steps.append(Step(VOID, reason, user_id, now))
