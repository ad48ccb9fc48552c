"""Backups of the hall's database: on demand (`server.py backup` / `restore`) and once a day.

SQLite: the sqlite3 online backup API copies a consistent snapshot while the server keeps
serving (readers and the writer are not stopped). PostgreSQL: `pg_dump --format=custom`, restored
with `pg_restore --clean --if-exists --single-transaction`.

Restore is an offline operation: it refuses while a server (or anything else) has the database
open — SQLite: another connection holds the file; PostgreSQL: other sessions are connected to
the database — unless `force`. Before it overwrites anything it saves the current database as
`pre-restore-…` next to the other backups, then migrates the restored schema to this version.

The daily job (registered on the server's maintenance loop, which runs every 10 minutes) makes
`hallq-auto-YYYY-MM-DD.<ext>` once per hall-local day into HALLQ_BACKUP_DIR (default var/backups)
and keeps the newest HALLQ_BACKUP_KEEP (default 14) automatic backups; manual ones are never
pruned.
"""
from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, text

from ..domain.errors import Conflict, HallqError, Invalid, NotFound
from ..store import tables as t
from ..store.private import private_dir, private_file

log = logging.getLogger("hallq.backup")

AUTO_PREFIX = "hallq-auto-"


class BackupError(HallqError):
    def __init__(self, message: str, code: str = "backup_failed"):
        super().__init__(message, code=code, status=500)


# ------------------------------------------------------------------ where and what


def backup_dir(ctx) -> Path:
    own = os.environ.get("HALLQ_BACKUP_DIR")
    d = Path(own or Path(ctx.var_dir) / "backups")
    if own:
        d.mkdir(parents=True, exist_ok=True)  # the operator's folder: its mode is theirs
    else:
        private_dir(d)
    return d


def keep_count() -> int:
    try:
        return max(1, int(os.environ.get("HALLQ_BACKUP_KEEP", "14")))
    except ValueError:
        return 14


def extension(db) -> str:
    return ".dump" if db.kind == "postgresql" else ".db"


def sqlite_path(db) -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise Invalid("内存数据库无法备份 (an in-memory SQLite database cannot be backed up)",
                      code="invalid")
    return Path(name)


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: the newest under /usr/lib/postgresql/*/bin, else on PATH
    (Windows: C:\\Program Files\\PostgreSQL\\NN\\bin)."""
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    dirs += sorted(Path("C:/Program Files/PostgreSQL").glob("*/bin"), reverse=True)
    for d in dirs:
        for candidate in (d / name, d / f"{name}.exe"):
            if candidate.exists():
                return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"找不到 {name} (install the PostgreSQL client tools: {name} not found)",
                          code="tool_missing")
    return found


def _pg_args(db) -> tuple[list[str], dict]:
    """Connection arguments for the libpq tools; the password goes by environment, not argv."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return args, env


# ------------------------------------------------------------------ backup


def backup(ctx, out: Path | str | None = None, *, prefix: str = "hallq-") -> Path:
    """Write a consistent copy of the database to `out` (default: the backup dir, timestamped)."""
    db = ctx.db
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = backup_dir(ctx) / f"{prefix}{stamp}{extension(db)}"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    t0 = time.monotonic()
    try:
        if db.kind == "postgresql":
            args, env = _pg_args(db)
            run = subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner",
                                  "--file", str(partial), *args],
                                 env=env, capture_output=True, text=True)
            if run.returncode != 0:
                raise BackupError(f"pg_dump 失败 (pg_dump failed): {run.stderr.strip()[-500:]}")
        else:
            src = sqlite3.connect(str(sqlite_path(db)), timeout=30)
            dst = sqlite3.connect(str(partial))
            try:
                with dst:
                    src.backup(dst, pages=4096, sleep=0.005)  # yields to writers between steps
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                dst.close()
                src.close()
        private_file(partial)  # a copy of the database: as private as the database
        os.replace(partial, out)
    finally:
        if partial.exists():
            partial.unlink()
    log.info("backup written: %s (%d bytes, %.1f s)", out, out.stat().st_size, time.monotonic() - t0)
    return out


# ------------------------------------------------------------------ restore


def in_use(db) -> str | None:
    """Why the database looks open elsewhere (a running server), or None."""
    if db.kind == "postgresql":
        with db.engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND pid <> pg_backend_pid()")).scalar_one()
        db.dispose()
        return f"{n} other session(s) are connected to the database" if n else None
    path = sqlite_path(db)
    if not path.exists():
        return None
    # a server's own short reads (its event bus, a request) hold the file for milliseconds: wait a
    # few seconds before calling it in use, so a loaded machine does not look like a running server
    probe = sqlite3.connect(str(path), timeout=3.0, isolation_level=None)
    try:
        probe.execute("PRAGMA locking_mode=EXCLUSIVE")
        probe.execute("BEGIN EXCLUSIVE")
        probe.execute("ROLLBACK")
        return None
    except sqlite3.OperationalError:
        return "another process has the database file open"
    finally:
        probe.close()


def _highest_event_id(db) -> int | None:
    """The newest event id of the database about to be replaced (None if it cannot be read)."""
    if db.kind == "sqlite" and not sqlite_path(db).exists():
        return None
    try:
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT max(id) FROM events")).scalar()
    except Exception:  # no database or no events table yet: nothing issued
        return None
    finally:
        db.dispose()


def _check_sqlite_file(path: Path) -> None:
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise Invalid(f"不是 SQLite 备份文件 (not a SQLite backup): {path}", code="invalid_backup")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE name='tickets'").fetchone()
    finally:
        conn.close()
    if ok != "ok" or not has:
        raise Invalid(f"备份文件已损坏或不是 hallq 数据库 (backup damaged or not hallq): {ok}",
                      code="invalid_backup")


def restore(ctx, source: Path | str, *, force: bool = False, safety_copy: bool = True) -> Path | None:
    """Replace the database's content with the backup `source`. Returns the pre-restore copy."""
    db = ctx.db
    source = Path(source)
    if not source.is_file():
        raise NotFound(f"备份文件不存在 (no such backup file): {source}", code="not_found")
    if db.kind == "postgresql":
        with open(source, "rb") as fh:
            if fh.read(5) != b"PGDMP":
                raise Invalid(f"不是 pg_dump 自定义格式备份 (not a pg_dump custom-format file): {source}",
                              code="invalid_backup")
    else:
        _check_sqlite_file(source)
    db.dispose()  # our own pooled connections must not count as "in use"
    busy = None if force else in_use(db)
    issued = _highest_event_id(db)
    if busy:
        raise Conflict(f"数据库正在使用，请先停止服务器 (stop the server first: {busy}); "
                       "--force restores anyway", code="database_in_use")
    saved = None
    if db.kind == "sqlite" and not sqlite_path(db).exists():
        safety_copy = False  # a new machine: nothing to save
    if safety_copy:
        try:
            saved = backup(ctx, prefix="pre-restore-")
        except Exception as exc:  # an empty/new database has nothing worth saving
            log.warning("pre-restore copy skipped: %s", exc)
        db.dispose()
    if db.kind == "postgresql":
        args, env = _pg_args(db)
        run = subprocess.run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                              "--single-transaction", "--exit-on-error", *args, str(source)],
                             env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise BackupError(f"pg_restore 失败 (pg_restore failed): {run.stderr.strip()[-500:]}")
    else:
        target = sqlite_path(db)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(str(target), timeout=30)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    db.dispose()
    from ..store import migrate
    migrate.upgrade(db.engine)  # a backup from an older version gets this version's schema
    ctx.forget_halls()
    # event ids continue above the highest one issued before: clients that reconnect with it get
    # a stream.reset at once and redraw, instead of waiting for ids they think they have seen
    from .bus import continue_event_ids
    continue_event_ids(db, issued or 0, "restore")
    db.dispose()
    log.info("database restored from %s", source)
    return saved


# ------------------------------------------------------------------ daily job


def _local_day(ctx) -> str:
    """Today in the first hall's time zone (the halls of one server share a place)."""
    with ctx.db.read() as conn:
        code = conn.execute(select(t.halls.c.code).order_by(t.halls.c.id).limit(1)).scalar()
        if code is None:
            return datetime.now().date().isoformat()
        return ctx.hall(conn, code).local_day(ctx.now()).isoformat()


def auto_backups(ctx) -> list[Path]:
    return sorted(backup_dir(ctx).glob(f"{AUTO_PREFIX}*{extension(ctx.db)}"))


def prune(ctx, keep: int | None = None) -> list[Path]:
    keep = keep or keep_count()
    gone = auto_backups(ctx)[:-keep]
    for p in gone:
        p.unlink(missing_ok=True)
    if gone:
        log.info("pruned %d old automatic backup(s)", len(gone))
    return gone


def daily_backup(ctx) -> Path | None:
    """Once per hall-local day: hallq-auto-YYYY-MM-DD.<ext>, then keep the newest N."""
    if os.environ.get("HALLQ_BACKUP_KEEP", "14") == "0":
        return None  # automatic backups switched off
    day = _local_day(ctx)
    target = backup_dir(ctx) / f"{AUTO_PREFIX}{day}{extension(ctx.db)}"
    if target.exists():
        return None
    # several server processes (PostgreSQL) share the day: the first to create the claim works
    claim = target.with_name(target.name + ".claim")
    try:
        fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.close(fd)
    except FileExistsError:
        if time.time() - claim.stat().st_mtime < 3600:
            return None
        claim.unlink(missing_ok=True)  # a crashed attempt: try again
        return None
    try:
        out = backup(ctx, target)
        prune(ctx)
        return out
    finally:
        claim.unlink(missing_ok=True)
