"""A hall's configuration: services, windows, rules. Parsed from the TOML in assets/halls/."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .calendar import WorkCalendar, parse_days
from .errors import Invalid

_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass
class MatterConfig:
    """One matter (事项) a service handles, with its own guide (办事指南)."""
    code: str
    name: str
    name_en: str = ""
    materials: list[str] = field(default_factory=list)
    conditions: str = ""
    time_limit: str = ""
    steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "name_en": self.name_en,
                "materials": list(self.materials), "conditions": self.conditions,
                "time_limit": self.time_limit, "steps": list(self.steps)}


@dataclass
class ServiceConfig:
    code: str
    prefix: str
    name: str
    name_en: str = ""
    target_wait_min: int = 15
    promise_days: int = 3
    hours: list[str] = field(default_factory=list)
    description: str = ""
    materials: list[str] = field(default_factory=list)
    conditions: str = ""
    time_limit: str = ""
    identify: str = "optional"  # required | optional | skip: ask for an ID at the kiosk
    matters: list[MatterConfig] = field(default_factory=list)  # 事项 with their own guides
    extra: dict = field(default_factory=dict)  # anything else the config gives (booking capacity...)


@dataclass
class WindowConfig:
    number: int
    name: str
    services: list[str]
    policy: str = "ordered"  # ordered | longest_waiting
    posts: list[str] = field(default_factory=list)  # AB岗: usernames of the A post, then the B post
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceDays:
    """周末/延时/错时服务: hours a service keeps beyond its normal working-day hours.

    weekdays (ISO, 1 = Monday .. 7 = Sunday) apply on ordinary days: on a working day they add hours
    (an evening), on a weekend that is not a public holiday they open the service. dates open it on
    those exact days, public holidays included."""
    hours: tuple[str, ...]
    services: tuple[str, ...] | None = None  # None: every service
    weekdays: tuple[int, ...] = ()
    dates: tuple[date, ...] = ()

    def covers(self, service: str) -> bool:
        return self.services is None or service in self.services


@dataclass
class HallConfig:
    code: str
    name: str
    name_en: str = ""
    timezone: str = "Asia/Shanghai"
    notice: str = ""
    notice_en: str = ""
    hours: list[str] = field(default_factory=list)
    rules: dict = field(default_factory=dict)
    announce: dict = field(default_factory=dict)
    services: list[ServiceConfig] = field(default_factory=list)
    windows: list[WindowConfig] = field(default_factory=list)
    service_days: list[ServiceDays] = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    def rule(self, name: str, default):
        return self.rules.get(name, default)

    def window_hours_on(self, win: WindowConfig, day: date, calendar: WorkCalendar) -> list[str]:
        """When a window should be staffed on `day`: the union of its services' hours."""
        spans: set[str] = set()
        for svc in self.services:
            if svc.code in win.services:
                spans.update(self.hours_on(svc, day, calendar))
        return sorted(spans)

    def hours_on(self, svc: ServiceConfig, day: date, calendar: WorkCalendar) -> list[str]:
        """The spans `svc` is open on `day` under the hall's calendar (empty: closed all day)."""
        workday = calendar.is_workday(day)
        holiday = calendar.holiday_name(day) is not None
        if workday:
            spans = list(svc.hours)
        elif svc.extra.get("open_on_holidays", False):
            spans = list(svc.hours)
        else:
            spans = []
        for extra in self.service_days:
            if not extra.covers(svc.code):
                continue
            if day in extra.dates or (day.isoweekday() in extra.weekdays and (workday or not holiday)):
                spans += [h for h in extra.hours if h not in spans]
        return sorted(spans)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_hours(spans: list[str]) -> list[tuple[time, time]]:
    out = []
    for span in spans:
        m = _HOURS.match(span.strip())
        if not m:
            raise Invalid(f"opening hours must look like 08:30-12:00, got {span!r}")
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        out.append((time(h1, m1), time(h2, m2)))
    return out


def is_open_at(spans: list[str], at: time) -> bool:
    return any(a <= at < b for a, b in parse_hours(spans))


_SERVICE_KEYS = {f for f in ServiceConfig.__dataclass_fields__ if f != "extra"}
_WINDOW_KEYS = {f for f in WindowConfig.__dataclass_fields__ if f != "extra"}


def _matter(m: dict, service: str) -> MatterConfig:
    if not isinstance(m, dict) or not m.get("code") or not m.get("name"):
        raise Invalid(f"hall config: a matter of {service} needs code and name")
    unknown = set(m) - set(MatterConfig.__dataclass_fields__)
    if unknown:
        raise Invalid(f"hall config: matter {m['code']} of {service}: unknown keys {sorted(unknown)}")
    for key in ("materials", "steps"):
        if not isinstance(m.get(key, []), list):
            raise Invalid(f"hall config: matter {m['code']} of {service}: {key} must be a list")
    return MatterConfig(**m)


def _service_days(extra: dict, codes: set[str]) -> ServiceDays:
    hours = extra.get("hours") or []
    hours = [hours] if isinstance(hours, str) else list(hours)
    if not hours:
        raise Invalid("hall config: [[service_days]] needs hours")
    parse_hours(hours)
    weekdays = tuple(extra.get("weekdays") or ())
    if any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in weekdays):
        raise Invalid("hall config: [[service_days]] weekdays are 1 (Mon) .. 7 (Sun)")
    try:
        dates = tuple(parse_days(extra.get("dates") or []))
    except (ValueError, TypeError):
        raise Invalid("hall config: [[service_days]] dates must be YYYY-MM-DD") from None
    if not weekdays and not dates:
        raise Invalid("hall config: [[service_days]] needs weekdays or dates")
    services = extra.get("services")
    for code in services or []:
        if code not in codes:
            raise Invalid(f"hall config: [[service_days]] names unknown service {code!r}")
    return ServiceDays(tuple(hours), tuple(services) if services else None, weekdays, dates)


def parse(data: dict) -> HallConfig:
    """Check and convert a hall config dict (as read from TOML); Invalid names the first problem."""
    hall = data.get("hall") or {}
    for key in ("code", "name"):
        if not hall.get(key):
            raise Invalid(f"hall config: [hall] needs {key}")
    if not re.match(r"^[a-z0-9][a-z0-9_-]{0,31}$", hall["code"]):
        raise Invalid("hall config: code must be lowercase letters, digits, - or _")
    try:
        ZoneInfo(hall.get("timezone", "Asia/Shanghai"))
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"hall config: unknown timezone {hall.get('timezone')!r}") from None
    cfg = HallConfig(
        code=hall["code"], name=hall["name"], name_en=hall.get("name_en", ""),
        timezone=hall.get("timezone", "Asia/Shanghai"), notice=hall.get("notice", ""),
        notice_en=hall.get("notice_en", ""), hours=list(hall.get("hours", ["08:30-17:30"])),
        rules=dict(data.get("rules") or {}), announce=dict(data.get("announce") or {}), raw=data,
    )
    parse_hours(cfg.hours)
    seen_codes, seen_prefixes = set(), set()
    for s in data.get("services") or []:
        for key in ("code", "prefix", "name"):
            if not s.get(key):
                raise Invalid(f"hall config: a service needs {key}: {s}")
        if s["code"] in seen_codes or s["prefix"] in seen_prefixes:
            raise Invalid(f"hall config: duplicate service code or prefix {s['code']}/{s['prefix']}")
        if not re.match(r"^[A-Z]{1,2}$", s["prefix"]):
            raise Invalid(f"hall config: prefix must be 1-2 capital letters, got {s['prefix']!r}")
        seen_codes.add(s["code"])
        seen_prefixes.add(s["prefix"])
        known = {k: v for k, v in s.items() if k in _SERVICE_KEYS}
        known["matters"] = [_matter(m, s["code"]) for m in (s.get("matters") or [])]
        svc = ServiceConfig(**known, extra={k: v for k, v in s.items() if k not in _SERVICE_KEYS})
        if not svc.hours:
            svc.hours = list(cfg.hours)
        parse_hours(svc.hours)
        if svc.identify not in ("required", "optional", "skip"):
            raise Invalid(f"hall config: identify must be required|optional|skip for {svc.code}")
        cfg.services.append(svc)
    if not cfg.services:
        raise Invalid("hall config: no services")
    numbers = set()
    for w in data.get("windows") or []:
        if not isinstance(w.get("number"), int) or w["number"] < 1 or w["number"] in numbers:
            raise Invalid(f"hall config: window numbers must be unique positive integers: {w}")
        numbers.add(w["number"])
        for code in w.get("services") or []:
            if code not in seen_codes:
                raise Invalid(f"hall config: window {w['number']} names unknown service {code!r}")
        if not w.get("services"):
            raise Invalid(f"hall config: window {w['number']} serves no service")
        known = {k: v for k, v in w.items() if k in _WINDOW_KEYS}
        known.setdefault("name", f"{w['number']}号窗口")
        win = WindowConfig(**known, extra={k: v for k, v in w.items() if k not in _WINDOW_KEYS})
        if not isinstance(win.posts, list) or len(win.posts) > 2 or not all(
                isinstance(p, str) and p for p in win.posts):
            raise Invalid(f"hall config: window {win.number} posts are at most two usernames (A, B)")
        if win.policy not in ("ordered", "longest_waiting"):
            raise Invalid(f"hall config: window {win.number} policy must be ordered|longest_waiting")
        cfg.windows.append(win)
    if not cfg.windows:
        raise Invalid("hall config: no windows")
    for extra in data.get("service_days") or []:
        cfg.service_days.append(_service_days(extra, seen_codes))
    try:
        WorkCalendar.from_config(data.get("calendar"))
    except (ValueError, TypeError, AttributeError) as exc:
        raise Invalid(f"hall config: [calendar] days must be YYYY-MM-DD or A..B ranges: {exc}") from None
    return cfg
