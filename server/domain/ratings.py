"""好差评: the five rating levels and what counts as a bad review (差评).

A complaint (投诉) that staff record from the 12345 hotline, the suggestion box or in person has
no level (None): it is worked like a bad review, and never counted in satisfaction."""
from __future__ import annotations

from .errors import Invalid

LEVELS = {
    5: ("非常满意", "Very satisfied", 10),
    4: ("满意", "Satisfied", 8),
    3: ("基本满意", "Fairly satisfied", 6),
    2: ("不满意", "Dissatisfied", 3),
    1: ("非常不满意", "Very dissatisfied", 0),
}
REASONS = {
    "attitude": ("态度", "Attitude"),
    "efficiency": ("效率", "Efficiency"),
    "process": ("流程", "Process"),
    "environment": ("环境", "Environment"),
    "other": ("其他", "Other"),
}


def check_level(level) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        raise Invalid("评价等级应为 1 到 5 (level must be an integer 1..5)", code="invalid_level")
    return level


def check_reasons(reasons) -> list[str]:
    if reasons is None:
        return []
    if not isinstance(reasons, list) or any(r not in REASONS for r in reasons):
        raise Invalid("评价原因无效 (reasons must be a list of: " + ", ".join(REASONS) + ")",
                      code="invalid_reasons")
    return list(dict.fromkeys(reasons))


COMPLAINT = ("投诉", "Complaint")


def is_bad(level: int | None) -> bool:
    """A bad review (差评: 不满意, 非常不满意), or a complaint (None)."""
    return level is None or level <= 2


def label(level: int | None) -> tuple[str, str]:
    """(Chinese, English) name of a level, or of a complaint."""
    return COMPLAINT if level is None else LEVELS[level][:2]


def is_satisfied(level: int) -> bool:
    """Counted in satisfaction: 非常满意, 满意, 基本满意."""
    return level >= 3


def is_good(level: int) -> bool:
    """A good review (好评): 非常满意, 满意."""
    return level >= 4
