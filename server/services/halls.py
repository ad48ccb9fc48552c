"""Loading a hall's configuration (TOML in assets/halls/) into the database."""
from __future__ import annotations

import ipaddress
import logging
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select, update

from ..domain import booking
from ..domain import hall as hall_domain
from ..store import tables as t
from ..store.db import ROOT, utcnow

log = logging.getLogger(__name__)
ASSETS = ROOT / "assets"
DEFAULT_HALL_FILE = ASSETS / "halls" / "main.toml"


def read_config(path: Path | str = DEFAULT_HALL_FILE) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def load_hall(app, data: dict) -> int:
    """Create or update the hall, its services and windows from a config dict. Returns hall id.

    Windows and services that vanished from the config are deactivated, never deleted (history).
    """
    cfg = hall_domain.parse(data)
    booking.parse_rules(data.get("booking"))  # a bad [booking] is refused here, not at a booking
    now = utcnow()
    with app.uow() as uow:
        c = uow.conn
        row = c.execute(select(t.halls).where(t.halls.c.code == cfg.code)).first()
        values = {"name": cfg.name, "timezone": cfg.timezone, "config": data}
        if row:
            hall_id = row.id
            c.execute(update(t.halls).where(t.halls.c.id == hall_id).values(**values))
        else:
            hall_id = c.execute(t.halls.insert().values(code=cfg.code, created_at=now, **values)
                                ).inserted_primary_key[0]
        have = {r.code: r for r in c.execute(select(t.services).where(t.services.c.hall_id == hall_id))}
        for pos, s in enumerate(cfg.services):
            vals = {"prefix": s.prefix, "name": s.name, "position": pos, "active": True,
                    "config": data["services"][pos]}
            if s.code in have:
                c.execute(update(t.services).where(t.services.c.id == have[s.code].id).values(**vals))
            else:
                c.execute(t.services.insert().values(hall_id=hall_id, code=s.code, **vals))
        gone = set(have) - {s.code for s in cfg.services}
        if gone:
            c.execute(update(t.services).where(t.services.c.hall_id == hall_id,
                                               t.services.c.code.in_(gone)).values(active=False))
        wins = {r.number: r for r in c.execute(select(t.windows).where(t.windows.c.hall_id == hall_id))}
        for w in cfg.windows:
            vals = {"name": w.name, "services": w.services, "policy": w.policy, "active": True}
            if w.number in wins:
                c.execute(update(t.windows).where(t.windows.c.id == wins[w.number].id).values(**vals))
            else:
                c.execute(t.windows.insert().values(hall_id=hall_id, number=w.number, status="closed",
                                                    priority_streak=0, **vals))
        gone_w = set(wins) - {w.number for w in cfg.windows}
        if gone_w:
            c.execute(update(t.windows).where(t.windows.c.hall_id == hall_id,
                                              t.windows.c.number.in_(gone_w)).values(active=False))
        uow.commit()
    app.forget_halls()
    return hall_id


def ensure_db(app, hall_files=None) -> None:
    """Migrate the schema to the newest version and load the hall configs from `hall_files`, or the
    default hall when the database has none (every command that needs a database starts here)."""
    from ..store import migrate
    migrate.upgrade(app.db.engine)
    if hall_files:
        for path in hall_files:
            load_hall(app, read_config(path))
        return
    with app.db.read() as conn:
        have = conn.execute(select(t.halls.c.code)).first()
    if have is None:
        load_hall(app, read_config())


def public_url_problem(url: str | None) -> str | None:
    """Why phones on the hall's Wi-Fi could not open links under `public_url` (None: fine).
    The kiosk prints no QR then; /admin and the server log say so."""
    url = (url or "").strip()
    if not url:
        return "public_url 未设置，号票不印二维码 (public_url is not set: tickets carry no QR code)"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        host, parts = "", None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return f"public_url 无效: {url} (public_url is not an http(s) address)"
    loopback = host == "localhost" or host.endswith(".localhost")
    try:
        ip = ipaddress.ip_address(host)
        loopback = loopback or ip.is_loopback or ip.is_unspecified
    except ValueError:
        pass
    if loopback:
        return (f"public_url 是本机地址 {url}，手机无法打开，号票不印二维码 "
                f"(public_url {url} is a loopback address phones cannot reach: tickets carry no QR code)")
    return None


def public_url_of(config_raw: dict) -> str:
    return str(((config_raw or {}).get("hall") or {}).get("public_url") or "").strip().rstrip("/")


def warn_public_urls(app) -> list[str]:
    """Log a warning for each hall whose public_url phones could not reach (at `run`)."""
    out = []
    with app.db.read() as conn:
        for row in conn.execute(select(t.halls.c.code, t.halls.c.config)):
            problem = public_url_problem(public_url_of(row.config))
            if problem:
                log.warning("hall %s: %s", row.code, problem)
                out.append(problem)
    return out
