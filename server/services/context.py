"""The running hallq: database, event bus, secret key, clock, rate limits and the maintenance jobs,
shared by every use case."""
from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import select

from ..domain import hall as hall_domain
from ..domain.calendar import WorkCalendar
from ..domain.errors import NotFound
from ..store import tables as t
from ..store.db import ROOT, Database, utcnow
from ..store.private import private_dir, tighten
from .bus import EventBus
from .limits import Limiter


# Several server processes share one database: each re-reads a hall (config, calendar overrides) this
# often, so a change made through another process's /admin takes effect everywhere within a minute.
HALL_CACHE_S = 60.0


def load_secret(var_dir: Path) -> bytes:
    """The key for ID-number hashes and signed codes: HALLQ_SECRET, else var/secret.key (made once)."""
    env = os.environ.get("HALLQ_SECRET")
    if env:
        return env.encode()
    private_dir(var_dir)
    path = var_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        try:
            path.chmod(0o600)
        except OSError:
            pass
    return path.read_text().strip().encode()


@dataclass
class Hall:
    id: int
    code: str
    config: hall_domain.HallConfig
    calendar: WorkCalendar = field(default_factory=WorkCalendar)  # working days with the hall's overrides
    loaded_at: float = 0.0

    def local_now(self, now_utc: datetime) -> datetime:
        return now_utc.replace(tzinfo=timezone.utc).astimezone(self.config.tz)

    def local_day(self, now_utc: datetime) -> date:
        return self.local_now(now_utc).date()

    def service(self, code: str) -> hall_domain.ServiceConfig:
        for s in self.config.services:
            if s.code == code:
                return s
        raise NotFound(f"没有这项业务 (unknown service): {code}", code="unknown_service")

    def find_service(self, code_or_prefix) -> hall_domain.ServiceConfig:
        if not isinstance(code_or_prefix, str) or not code_or_prefix:
            raise NotFound("没有这项业务 (unknown service)", code="unknown_service")
        for s in self.config.services:
            if s.code == code_or_prefix or s.prefix == code_or_prefix.upper():
                return s
        raise NotFound(f"没有这项业务 (unknown service): {code_or_prefix}", code="unknown_service")

    def window_config(self, number: int) -> hall_domain.WindowConfig:
        for w in self.config.windows:
            if w.number == number:
                return w
        raise NotFound(f"没有 {number} 号窗口 (unknown window {number})", code="unknown_window")


@dataclass
class Hallq:
    db: Database
    secret: bytes
    var_dir: Path = field(default_factory=lambda: Path(os.environ.get("HALLQ_VAR", ROOT / "var")))
    always_open: bool = False  # demo/tests: services open at any hour
    simulated: bool = False  # server.py simulate: always open to the kiosk, yet windows keep the hours
    # False: tickets get no wait estimate (the dashboard's what-ifs: the waits do not depend on it,
    # and the estimate is a third of a simulated day's time)
    estimating: bool = True
    clock: object = None  # callable returning naive UTC; tests move time
    bus: EventBus | None = None
    limiter: Limiter = field(default_factory=Limiter)  # this process's rate limits and sign-in throttling
    # what the maintenance loop runs every few minutes (services/maintenance.py installs them for
    # `server.py run` and the demo; empty elsewhere, e.g. tests and one-shot commands)
    daily_jobs: list = field(default_factory=list)
    rollups_done: dict = field(default_factory=dict)  # hall code -> the local day last rolled up
    _halls: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if name in ("clock", "db") and getattr(self, "db", None) is not None:
            self.db.clock = getattr(self, "clock", None)  # event rows are stamped by the same clock

    def now(self) -> datetime:
        return self.clock() if self.clock else utcnow()

    def uow(self, urgent: bool = False):
        return self.db.uow(urgent)

    @property
    def calls(self):
        """Call-next and 办结并叫下一位 of several windows waiting for SQLite's writers' turn, done
        together (store.db.Together); None where each goes alone (PostgreSQL, HALLQ_TOGETHER=0)."""
        return self.db.calls

    def hall(self, conn, code: str) -> Hall:
        """The hall by code (config cached; `forget_halls` after init reloads)."""
        cached = self._halls.get(code)
        if cached and time.monotonic() - cached.loaded_at < HALL_CACHE_S:
            return cached
        row = conn.execute(select(t.halls).where(t.halls.c.code == code)).first()
        if row is None:
            raise NotFound(f"没有这个大厅 (unknown hall): {code}", code="unknown_hall")
        config = hall_domain.parse(row.config)
        days = conn.execute(select(t.calendar_days.c.day, t.calendar_days.c.kind, t.calendar_days.c.name)
                            .where(t.calendar_days.c.hall_id == row.id)).all()
        calendar = WorkCalendar.from_config(config.raw.get("calendar"), [tuple(d) for d in days])
        hall = Hall(row.id, row.code, config, calendar, time.monotonic())
        with self._lock:
            self._halls[code] = hall
        return hall

    def hall_by_code(self, code: str) -> Hall:
        """The hall from the cache, reading the database when it is older than HALL_CACHE_S."""
        cached = self._halls.get(code)
        if cached and time.monotonic() - cached.loaded_at < HALL_CACHE_S:
            return cached
        with self.db.read() as conn:
            return self.hall(conn, code)

    def forget_halls(self):
        with self._lock:
            self._halls.clear()


def create_hallq(url: str | None = None, start_bus: bool = True, **kw) -> Hallq:
    db = Database(url)
    var_dir = Path(os.environ.get("HALLQ_VAR", ROOT / "var"))
    private_dir(var_dir)
    tighten(var_dir)  # files an older version or another tool left readable
    app = Hallq(db=db, secret=load_secret(var_dir), var_dir=var_dir, **kw)
    if start_bus:
        app.bus = EventBus(db).start()
    return app
