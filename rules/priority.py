"""Priority groups (优先群体) and the hall's rule that puts a resident in the elderly group.

The hall config decides (`[rules] priority_groups`, `elderly_age`); the server applies it when a
ticket is issued with an ID number and no priority, and tells devices the rule in GET /halls/<hall>.
Labels are one table here; the pages' copy in hallq.js is checked against it by a test.
"""
from __future__ import annotations

from datetime import date

from . import identity

DEFAULT_GROUPS = ("elderly", "disabled")
DEFAULT_ELDERLY_AGE = 65

# group -> (Chinese, English), as screens, tickets and reports show it
LABELS: dict[str, tuple[str, str]] = {
    "elderly": ("老年人优先", "Elderly"),
    "disabled": ("残疾人优先", "Disabled"),
    "pregnant": ("孕妇优先", "Pregnant"),
    "veteran": ("军人优先", "Veteran"),
}


def label(group: str | None, lang: str = "zh") -> str:
    """The group's label; an unknown group comes back as it is."""
    if not group:
        return ""
    zh, en = LABELS.get(group, (group, group))
    return en if lang == "en" else zh


def from_id_number(id_number: str | None, on: date, groups=DEFAULT_GROUPS,
                   elderly_age: int = DEFAULT_ELDERLY_AGE) -> str | None:
    """The group an ID number puts a resident in by the hall's rule ("elderly" from the age), or
    None. An invalid number puts nobody anywhere."""
    if not id_number or "elderly" not in (groups or ()):
        return None
    try:
        age = identity.age_on(id_number, on)
    except ValueError:
        return None
    return "elderly" if age >= int(elderly_age) else None
