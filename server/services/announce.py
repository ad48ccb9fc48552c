"""Announcements of calls (叫号播报) and the public staff board (阳光台).

The text of an announcement is decided here, once, from the hall's [announce] config and the
call event; the announcer and browser displays fetch it (or its WAV) instead of building their
own. WAVs are rendered with hardware.speech (pyttsx3 / espeak-ng, offline) and cached under
var/announcements/<hall>/ keyed by the text, so a config change renders anew.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from ..domain import announce as adomain
from ..domain import ratings as rdomain
from ..domain.errors import Invalid, NotFound
from ..store import tables as t

log = logging.getLogger(__name__)

CHIME_VERSION = "1"  # bump when the chime changes so cached WAVs are rendered again
GAP_S = 0.45  # silence between the chime and each spoken sentence

_engine = None
_engine_lock = threading.Lock()
_render_locks: dict[str, threading.Lock] = {}
_render_locks_guard = threading.Lock()


def announce_config(hall) -> adomain.AnnounceConfig:
    try:
        return adomain.AnnounceConfig.from_dict(hall.config.announce)
    except Invalid as exc:  # a bad [announce] table must not silence the hall: say the default
        log.error("hall %s: %s; using the default announcement", hall.code, exc.message)
        return adomain.AnnounceConfig()


def _call_event(conn, hall, event_id):
    if isinstance(event_id, bool) or not isinstance(event_id, int):
        raise NotFound("没有这条播报 (unknown announcement)", code="unknown_announcement")
    row = conn.execute(select(t.events).where(t.events.c.id == event_id,
                                              t.events.c.hall_id == hall.id)).first()
    if row is None or row.type not in adomain.CALL_TYPES:
        raise NotFound("没有这条播报 (no call announcement for this event)",
                       code="unknown_announcement")
    return row


def _announcement(hall, row) -> dict:
    cfg = announce_config(hall)
    ticket = (row.data or {}).get("ticket") or {}
    number = ticket.get("number") or ""
    window = row.window if row.window is not None else ticket.get("window")
    service_zh = service_en = ""
    try:
        svc = hall.service(ticket.get("service") or "")
        service_zh, service_en = svc.name, svc.name_en
    except NotFound:
        pass
    a = adomain.build(cfg, number, window, service_zh, service_en)
    return {"event_id": row.id, "type": row.type, "number": number, "window": window,
            "window_name": (row.data or {}).get("window_name"), "service": ticket.get("service"),
            "text_zh": a.text_zh, "text_en": a.text_en, "repeat": a.repeat,
            "languages": list(a.languages),
            "at": row.created_at.isoformat(timespec="milliseconds") + "Z",
            "wav": f"/api/v1/halls/{hall.code}/announcements/{row.id}.wav"}


def announcement(app, hall_code: str, event_id: int) -> dict:
    """The text of the call announced by event `event_id` (ticket.called / ticket.recalled)."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        return _announcement(hall, _call_event(conn, hall, event_id))


def recent(app, hall_code: str, limit: int = 10) -> dict:
    """The newest call announcements (newest first) and the hall's newest event id, so a display
    can fill its list of last calls and notice a stalled event stream."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        rows = conn.execute(select(t.events).where(t.events.c.hall_id == hall.id,
                                                   t.events.c.type.in_(adomain.CALL_TYPES))
                            .order_by(t.events.c.id.desc()).limit(limit)).all()
        last = conn.execute(select(func.max(t.events.c.id))
                            .where(t.events.c.hall_id == hall.id)).scalar()
        return {"last_event_id": last or 0, "items": [_announcement(hall, r) for r in rows]}


# ---------------------------------------------------------------- WAV


def _speech():
    """One speech engine per server process (pyttsx3 is not thread-safe; the engine locks)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from hardware.speech import SpeechEngine
            backend = os.environ.get("HALLQ_SPEECH_BACKEND", "auto")
            _engine = SpeechEngine(backend=backend, rate=int(os.environ.get("HALLQ_SPEECH_RATE", "150")))
        return _engine


def _lock_for(key: str) -> threading.Lock:
    with _render_locks_guard:
        if len(_render_locks) > 1000:
            _render_locks.clear()
        return _render_locks.setdefault(key, threading.Lock())


def render(script: list[tuple[str, str]], out: Path, work: Path, chime_first: bool = True) -> Path:
    """chime + each (lang, text) of the script, with short pauses, into `out` (atomically)."""
    from hardware.speech import concat_wavs, make_chime
    work.mkdir(parents=True, exist_ok=True)
    chime = work / f"chime-{CHIME_VERSION}.wav"
    if not chime.exists():
        tmp = work / f".chime-{os.getpid()}-{threading.get_ident()}.wav"
        make_chime(tmp)
        os.replace(tmp, chime)
    engine = _speech()
    with tempfile.TemporaryDirectory(dir=work, prefix=".render-") as tmpdir:
        parts, rendered = ([chime] if chime_first else []), {}
        for i, (lang, text) in enumerate(script):
            if (lang, text) not in rendered:  # a repeat reuses the first rendering
                rendered[(lang, text)] = engine.render_wav(text, Path(tmpdir) / f"{i}-{lang}.wav", lang)
            parts.append(rendered[(lang, text)])
        joined = Path(tmpdir) / "joined.wav"
        concat_wavs(parts, joined, gap_seconds=GAP_S)
        os.replace(joined, out)
    return out


def wav(app, hall_code: str, event_id: int) -> Path:
    """The announcement's WAV (chime + speech, repeated as configured), rendered once and cached."""
    info = announcement(app, hall_code, event_id)
    script = [(lang, info["text_" + lang]) for _ in range(info["repeat"]) for lang in info["languages"]]
    key = hashlib.sha256(repr((CHIME_VERSION, GAP_S, script)).encode()).hexdigest()[:16]
    folder = Path(app.var_dir) / "announcements" / hall_code
    out = folder / f"{event_id}-{key}.wav"
    if out.exists():
        return out
    with _lock_for(str(out)):
        if not out.exists():
            render(script, out, folder)
    return out


# ---------------------------------------------------------------- spoken prompts of devices

# What a device at the window says, in the hall's [speech] config or these words (as commercial
# evaluator pads do). Only these names are rendered: the URL cannot make the server say anything.
PROMPTS = {
    "rate": ("rate_prompt", "请对我的服务进行评价", "Please rate my service"),
}


def prompt_text(hall, name: str) -> dict:
    if name not in PROMPTS:
        raise NotFound("没有这段提示语 (unknown prompt)", code="unknown_prompt")
    key, zh, en = PROMPTS[name]
    cfg = hall.config.raw.get("speech") or {}
    langs = [x for x in announce_config(hall).languages if x in ("zh", "en")] or ["zh"]
    return {"name": name, "text_zh": str(cfg.get(key + "_zh", zh)), "text_en": str(cfg.get(key + "_en", en)),
            "languages": langs}


def prompt_wav(app, hall_code: str, name: str) -> Path:
    """A device prompt (e.g. the evaluator's 请对我的服务进行评价) as speech, offline, cached."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
    info = prompt_text(hall, name)
    script = [(lang, info["text_" + lang]) for lang in info["languages"]]
    key = hashlib.sha256(repr(("prompt", script)).encode()).hexdigest()[:16]
    folder = Path(app.var_dir) / "announcements" / hall_code
    out = folder / f"prompt-{name}-{key}.wav"
    if out.exists():
        return out
    with _lock_for(str(out)):
        if not out.exists():
            render(script, out, folder, chime_first=False)
    return out


# ---------------------------------------------------------------- 阳光台 (staff wall)


def _month_start_utc(hall, now_utc: datetime) -> datetime:
    local = hall.local_now(now_utc)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(timezone.utc).replace(tzinfo=None)


WALL_MIN_RATINGS = 10  # a share of fewer ratings says little ("100%" from one rating)


def wall_settings(hall) -> tuple[int, str | None]:
    """The hall's [wall] settings: the ratings a satisfaction needs before it is shown, and the
    complaint phone for the footer ([wall] complaint_phone, else [hall] complaint_phone)."""
    cfg = hall.config.raw.get("wall") or {}
    try:
        minimum = max(1, int(cfg.get("min_ratings", WALL_MIN_RATINGS)))
    except (TypeError, ValueError):
        log.error("hall %s: [wall] min_ratings is not a number; using %d", hall.code, WALL_MIN_RATINGS)
        minimum = WALL_MIN_RATINGS
    phone = cfg.get("complaint_phone") or (hall.config.raw.get("hall") or {}).get("complaint_phone")
    return minimum, (str(phone) if phone else None)


def wall(app, hall_code: str) -> dict:
    """Staff of the hall for the public board: photo, name, staff number, duties, windows, whether
    on duty now, and this month's satisfaction (share of ratings 3..5), given only from the hall's
    minimum number of ratings on (`satisfaction` is None below it). Nothing about residents."""
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        since = _month_start_utc(hall, now)
        users = conn.execute(select(t.users).where(t.users.c.hall_id == hall.id,
                                                   t.users.c.role == "staff",
                                                   t.users.c.active.is_(True))
                             .order_by(t.users.c.staff_no, t.users.c.id)).all()
        on_duty = {r.staff_id: r.number for r in conn.execute(
            select(t.windows.c.staff_id, t.windows.c.number).where(
                t.windows.c.hall_id == hall.id, t.windows.c.active.is_(True),
                t.windows.c.staff_id.is_not(None)))}
        levels: dict[int, list[int]] = {}
        for staff_id, level in conn.execute(select(t.ratings.c.staff_id, t.ratings.c.level).where(
                t.ratings.c.hall_id == hall.id, t.ratings.c.created_at >= since,
                t.ratings.c.staff_id.is_not(None), t.ratings.c.ticket_id.is_not(None),
                t.ratings.c.level.is_not(None))):  # ratings of visits (as the stats count them)
            levels.setdefault(staff_id, []).append(level)
        names = {w.number: w.name for w in hall.config.windows}
        minimum, phone = wall_settings(hall)
        staff = []
        for u in users:
            lv = levels.get(u.id, [])
            good = sum(1 for x in lv if rdomain.is_satisfied(x))
            staff.append({
                "id": u.id, "name": u.name, "staff_no": u.staff_no, "duties": u.duties,
                "windows": [{"number": n, "name": names.get(n, "")} for n in (u.windows or [])],
                "photo": f"/api/v1/staff/{u.id}/photo",
                "on_duty_window": on_duty.get(u.id),
                "ratings": len(lv),
                "satisfaction": round(good / len(lv), 4) if len(lv) >= minimum else None,
            })
        local = hall.local_now(now)
        return {"hall": hall.code, "name": hall.config.name, "name_en": hall.config.name_en,
                "month": f"{local.year:04d}-{local.month:02d}", "staff": staff,
                "min_ratings": minimum, "complaint_phone": phone}
