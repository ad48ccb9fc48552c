"""Appointment rules (预约): the hall's booking config, the slots of a day, the check-in window
and the signed code a resident carries in the confirmation QR.

Pure Python: no Flask, no SQL. Times here are hall-local.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from rules.identity import mobile_number

from .errors import Invalid
from .hall import parse_hours

# A booking code is read out on the phone and typed at the kiosk: 7 characters from an alphabet
# without look-alikes (no 0/O/D/Q, 1/I/L, 5/S, 8/B, 2/Z), random, and genuine only if a stored
# booking has it (24^7 = 4.6e9 codes; the hall's bookings are a few thousand, and the booking
# endpoints are rate-limited per address). Codes of 6-8 characters are accepted as typed input.
CODE_ALPHABET = "34679ACEFGHJKMNPRTUVWXY"
CODE_LEN = 7
_SHORT = re.compile(r"^[%s]{6,8}$" % CODE_ALPHABET)
# Codes issued before short codes: CODE.YYMMDD.MAC, still honoured until their day has passed.
OLD_CODE_LEN = 10
MAC_LEN = 12  # base32 characters of the HMAC (60 bits)
_SIGNED = re.compile(r"^([A-Z0-9]{%d})\.(\d{6})\.([A-Z2-7]{%d})$" % (OLD_CODE_LEN, MAC_LEN))


@dataclass(frozen=True)
class ExtendedHours:
    """延时服务: extra slots after (or before) normal hours on chosen weekdays (ISO 1=Mon..7=Sun)."""

    weekdays: tuple[int, ...]
    hours: tuple[str, ...]
    services: tuple[str, ...] | None = None  # None: every bookable service
    capacity: int | None = None  # None: the service's normal capacity


@dataclass(frozen=True)
class BookingRules:
    enabled: bool = True
    slot_minutes: int = 30
    capacity: int = 2  # seats per service per slot
    capacity_by_service: dict = field(default_factory=dict)
    services: tuple[str, ...] | None = None  # bookable services; None: all
    days_ahead: int = 7  # today .. today + days_ahead
    per_id_per_day: int = 2  # bookings one ID number may hold on one day (one per service)
    per_phone_per_hour: int = 3  # bookings made with one phone number within an hour
    per_address_per_hour: int = 10  # bookings made from one network address within an hour
    min_lead_min: int = 0  # a slot can be booked until this many minutes before it starts
    checkin_early_min: int = 30
    checkin_grace_min: int = 15
    extended: tuple[ExtendedHours, ...] = ()

    def bookable(self, service: str) -> bool:
        return (self.enabled and (self.services is None or service in self.services)
                and self.capacity_for(service) > 0)

    def capacity_for(self, service: str) -> int:
        return int(self.capacity_by_service.get(service, self.capacity))


@dataclass(frozen=True)
class Slot:
    start: time
    end: time
    capacity: int
    extended: bool = False

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _int(data: dict, key: str, default: int, lo: int, hi: int) -> int:
    v = data.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise Invalid(f"hall config: [booking] {key} must be an integer {lo}..{hi}")
    return v


def parse_rules(data: dict | None) -> BookingRules:
    """The [booking] section of a hall config (absent: booking with the defaults)."""
    data = dict(data or {})
    caps = data.get("capacity_by_service") or {}
    if not isinstance(caps, dict) or any(isinstance(v, bool) or not isinstance(v, int) or v < 0
                                         for v in caps.values()):
        raise Invalid("hall config: [booking] capacity_by_service maps service codes to integers >= 0")
    services = data.get("services")
    extended = []
    for ext in data.get("extended") or []:
        days = tuple(ext.get("weekdays") or ())
        if not days or any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
            raise Invalid("hall config: [[booking.extended]] weekdays are 1 (Mon) .. 7 (Sun)")
        hours = ext.get("hours") or []
        hours = (hours,) if isinstance(hours, str) else tuple(hours)
        parse_hours(list(hours))
        svcs = ext.get("services")
        extended.append(ExtendedHours(days, hours, tuple(svcs) if svcs else None, ext.get("capacity")))
    return BookingRules(
        enabled=bool(data.get("enabled", True)),
        slot_minutes=_int(data, "slot_minutes", 30, 5, 240),
        capacity=_int(data, "capacity", 2, 0, 1000),
        capacity_by_service=dict(caps),
        services=tuple(services) if services else None,
        days_ahead=_int(data, "days_ahead", 7, 0, 90),
        per_id_per_day=_int(data, "per_id_per_day", 2, 1, 50),
        per_phone_per_hour=_int(data, "per_phone_per_hour", 3, 1, 1000),
        per_address_per_hour=_int(data, "per_address_per_hour", 10, 1, 100000),
        min_lead_min=_int(data, "min_lead_min", 0, 0, 24 * 60),
        checkin_early_min=_int(data, "checkin_early_min", 30, 0, 24 * 60),
        checkin_grace_min=_int(data, "checkin_grace_min", 15, 0, 24 * 60),
        extended=tuple(extended),
    )


def _split(spans: list[str], minutes: int, capacity: int, extended: bool) -> list[Slot]:
    out = []
    step = timedelta(minutes=minutes)
    for a, b in parse_hours(spans):
        cur = datetime.combine(date.min, a)
        end = datetime.combine(date.min, b)
        while cur + step <= end:
            out.append(Slot(cur.time(), (cur + step).time(), capacity, extended))
            cur += step
    return out


def slots_for(rules: BookingRules, service: str, service_hours: list[str], day: date) -> list[Slot]:
    """The slots of `service` on a working day `day` (the caller checks that it is one)."""
    if not rules.bookable(service):
        return []
    cap = rules.capacity_for(service)
    slots = _split(service_hours, rules.slot_minutes, cap, False)
    for ext in rules.extended:
        if day.isoweekday() in ext.weekdays and (ext.services is None or service in ext.services):
            ext_cap = cap if ext.capacity is None else int(ext.capacity)
            if ext_cap > 0:
                slots += _split(list(ext.hours), rules.slot_minutes, ext_cap, True)
    seen, unique = set(), []
    for s in sorted(slots, key=lambda s: (s.start, s.end)):
        if s.label not in seen:
            seen.add(s.label)
            unique.append(s)
    return unique


def find_slot(slots: list[Slot], label: str) -> Slot | None:
    return next((s for s in slots if s.label == label), None)


# ------------------------------------------------------------------ check-in window

EARLY, ON_TIME, LATE, EXPIRED = "early", "on_time", "late", "expired"


def checkin_window(rules: BookingRules, day: date, slot: Slot) -> tuple[datetime, datetime]:
    """(opens, priority_until) as naive hall-local datetimes."""
    start = datetime.combine(day, slot.start)
    return (start - timedelta(minutes=rules.checkin_early_min),
            start + timedelta(minutes=rules.checkin_grace_min))


def checkin_phase(rules: BookingRules, day: date, slot: Slot, now_local: datetime) -> str:
    """early: come back later; on_time: appointment priority; late: an ordinary ticket;
    expired: the day is over."""
    now_local = now_local.replace(tzinfo=None)
    if now_local.date() > day:
        return EXPIRED
    opens, until = checkin_window(rules, day, slot)
    if now_local < opens:
        return EARLY
    if now_local <= until:
        return ON_TIME
    return LATE


# ------------------------------------------------------------------ codes


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LEN))


def format_code(code: str) -> str:
    """How a code is shown and read out: in two groups, "ACE 4HKM"."""
    return code[:3] + " " + code[3:] if len(code) == CODE_LEN else code


def parse_code(text, key: bytes) -> tuple[str, date | None]:
    """(code, day) from what a resident typed or a scanner read: a short code (any case, spaces
    and dashes ignored; day None: the stored booking decides) or an older signed code (its day
    checked by signature). Invalid for anything else. Whether the code is genuine is decided by
    looking it up: a well-formed code no booking has is unknown, not valid."""
    if not isinstance(text, str) or len(text) > 64:
        raise Invalid("预约码无效，请核对或出示预约二维码 (invalid appointment code)", code="invalid_code")
    short = re.sub(r"[\s\-]", "", text).upper()
    if _SHORT.match(short):
        return short, None
    return verify(text, key)


def _mac(code: str, day_s: str, key: bytes) -> str:
    digest = hmac.new(key, f"hallq-appointment|{code}|{day_s}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:MAC_LEN]


def sign(code: str, day: date, key: bytes) -> str:
    """The code the QR carries and the resident keeps: CODE.YYMMDD.MAC (valid through `day`)."""
    day_s = day.strftime("%y%m%d")
    return f"{code}.{day_s}.{_mac(code, day_s, key)}"


def normalize_signed(text: str) -> str:
    return re.sub(r"[\s\-]", "", text or "").upper()


def verify(signed: str, key: bytes) -> tuple[str, date]:
    """(code, day) of a genuine signed code; Invalid for anything forged, altered or malformed."""
    bad = Invalid("预约码无效，请核对或出示预约二维码 (invalid appointment code)", code="invalid_code")
    if not isinstance(signed, str) or len(signed) > 64:
        raise bad
    m = _SIGNED.match(normalize_signed(signed))
    if not m:
        raise bad
    code, day_s, mac = m.groups()
    if not hmac.compare_digest(mac, _mac(code, day_s, key)):
        raise bad
    try:
        day = datetime.strptime(day_s, "%y%m%d").date()
    except ValueError:
        raise bad from None
    return code, day


# ------------------------------------------------------------------ resident's details


def validate_name(name) -> str:
    s = (name or "").strip() if isinstance(name, str) else ""
    if not 1 <= len(s) <= 40:
        raise Invalid("请填写姓名 (name is required, up to 40 characters)", code="invalid_name")
    return s


def validate_phone(phone) -> str:
    """The 11 digits of a mainland mobile number (rules/identity.py `mobile_number`)."""
    s = mobile_number(phone)
    if s is None:
        raise Invalid("请填写11位手机号码 (an 11-digit mobile number is required)", code="invalid_phone")
    return s


HOLIDAYS_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def holiday_zh(name: str | None) -> str | None:
    """The Chinese name of a public holiday as chinese-calendar names it in English."""
    return HOLIDAYS_ZH.get(name, name) if name else None
