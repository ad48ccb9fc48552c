"""帮办代办: a case the hall handles on behalf of a resident who cannot come or needs help (the
elderly, the disabled, villagers far away). Taken at the front desk, the kiosk or the phone page,
assigned to an agent (帮办员), handled within a limit of working days and delivered (送达).

    accepted 受理 -> in_progress 办理中 -> done 办结 -> delivered 送达
    accepted / in_progress -> cancelled 撤销 (with a reason)
"""
from __future__ import annotations

from datetime import date

from .errors import Invalid, WrongState

STATUSES = ("accepted", "in_progress", "done", "delivered", "cancelled")
OPEN = ("accepted", "in_progress", "done")  # the agent still owes something
LABELS = {"accepted": ("已受理", "Accepted"), "in_progress": ("办理中", "In progress"),
          "done": ("已办结", "Done"), "delivered": ("已送达", "Delivered"),
          "cancelled": ("已撤销", "Cancelled")}
NEXT = {"accepted": ("in_progress", "cancelled"), "in_progress": ("done", "cancelled"),
        "done": ("delivered",), "delivered": (), "cancelled": ()}
SOURCES = {"desk": ("导办台", "Front desk"), "kiosk": ("自助取号机", "Kiosk"),
           "phone": ("手机", "Phone"), "hotline": ("电话", "Telephone")}
DELIVERY = {"pickup": ("窗口领取", "Collect at the hall"), "home": ("上门送达", "Home visit"),
            "post": ("邮寄", "By post")}
DEFAULT_LIMIT_DAYS = 3  # 代办件 within 3 working days (seed 004)


def check_transition(current: str, new: str) -> None:
    """WrongState unless `new` may follow `current`."""
    if new not in STATUSES:
        raise Invalid(f"status must be one of: {', '.join(STATUSES)}", code="invalid_status")
    if new not in NEXT.get(current, ()):
        zh, en = LABELS.get(current, (current, current))
        raise WrongState(f"该申请{zh},不能改为「{LABELS[new][0]}」 (a request that is {en.lower()} "
                         f"cannot become {LABELS[new][1].lower()})", code="wrong_state")


def finished_in_time(due: date | None, done_on: date | None) -> bool | None:
    """Whether a request was done by its due date (None while it is not done)."""
    if done_on is None or due is None:
        return None
    return done_on <= due
