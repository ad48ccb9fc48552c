"""Ticket lifecycle: the states a ticket passes through and which action may move it.

waiting -> called -> serving -> done | no_show | cancelled; transfer puts a called or serving
ticket back to waiting under another service, keeping its number and its place by issue time.
"""
from __future__ import annotations

from enum import Enum

from .errors import Invalid, WrongState


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
            f"号票当前为「{STATUS_ZH.get(current, current)}」,不能{ACTION_ZH[action]}"
            f" (ticket is {current}; cannot {action})"
        )
    return target or current


def check_recall(recalls: int, max_recalls: int) -> None:
    if recalls >= max_recalls:
        raise WrongState(
            f"已重呼 {recalls} 次,达到上限,请办理或过号"
            f" (recalled {recalls} times, the limit; start or mark no-show)",
            code="recall_limit",
        )


def format_number(prefix: str, seq: int) -> str:
    """A001 … A999, then A1000: at least three digits, never wrapped (a number is unique per day)."""
    if seq < 1:
        raise ValueError("sequence numbers start at 1")
    return f"{prefix}{seq:03d}"
