"""`python server.py …`: run, init, user add, device add/revoke, report, demo, backup, restore, purge."""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from .services.auth import ROLES
from .services.halls import ensure_db


def _ctx(start_bus=False, **kw):
    from .services.context import create_hallq
    return create_hallq(start_bus=start_bus, **kw)


def _windows(value: str | None) -> list[int]:
    if not value:
        return []
    try:
        return [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise SystemExit("--windows takes numbers like 1,2") from None


def cmd_init(args):
    ctx = _ctx()
    from .services import halls
    ensure_db(ctx, args.hall or None)
    if not args.hall:
        halls.load_hall(ctx, halls.read_config())  # refresh the default hall from assets/
    print(f"hallq: database ready ({ctx.db.kind}): {ctx.db.engine.url.render_as_string()}")


def cmd_run(args):
    ctx = _ctx(start_bus=False, always_open=args.always_open or os.environ.get("HALLQ_ALWAYS_OPEN") == "1")
    ensure_db(ctx)
    from .api import create_app
    from .runner import serve
    from .services.bus import EventBus
    ctx.bus = EventBus(ctx.db).start()
    from .services import maintenance
    maintenance.install(ctx)  # backups, erasure, no-shows, roll-ups: services/maintenance.py
    app = create_app(ctx)
    from .services import halls
    halls.warn_public_urls(ctx)  # a loopback public_url: no QR on tickets
    serve(app, args.listen, args.threads)


def cmd_user_add(args):
    ctx = _ctx()
    ensure_db(ctx)
    from .services import auth
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
    uid = auth.add_user(ctx, args.username, args.name or args.username, args.role, password,
                        hall_code=args.hall if args.role != "admin" else None,
                        windows=_windows(args.windows), staff_no=args.staff_no, duties=args.duties,
                        photo=args.photo)
    print(f"hallq: user {args.username} ({args.role}) created, id {uid}")


def cmd_device_add(args):
    ctx = _ctx()
    ensure_db(ctx)
    from .services import auth
    token = auth.add_device(ctx, args.hall, args.name, args.kind, _windows(args.windows))
    print(token)


def cmd_device_revoke(args):
    ctx = _ctx()
    from .services import auth
    n = auth.revoke_device(ctx, args.hall, args.name)
    print(f"hallq: revoked {n} token(s) of {args.name}")


def cmd_report(args):
    try:
        from .services import reports
    except ModuleNotFoundError:
        raise SystemExit("reports are not available in this build") from None
    ctx = _ctx()
    ensure_db(ctx)
    reports.cli_report(ctx, args)


def cmd_backup(args):
    ctx = _ctx()
    from .services import backup
    out = backup.backup(ctx, args.out)
    if args.prune:
        backup.prune(ctx)
    print(f"hallq: backup written to {out}")


def cmd_restore(args):
    ctx = _ctx()
    from .services import backup
    saved = backup.restore(ctx, args.file, force=args.force)
    if saved:
        print(f"hallq: the database before the restore was saved to {saved}")
    print(f"hallq: database restored from {args.file}; start the server again")


def cmd_purge(args):
    ctx = _ctx()
    ensure_db(ctx)
    from .services import privacy
    n = privacy.purge(ctx, args.older_than_days, args.hall)
    print(f"hallq: personal data erased from {n['tickets']} ticket(s) and "
          f"{n['appointments']} appointment(s)")


def cmd_simulate(args):
    from .simulation import runner
    runner.cli(args)


def cmd_demo(args):
    from .demo import run_demo
    run_demo(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="server.py", description="hallq queue server")
    sub = p.add_subparsers(dest="cmd")

    r = sub.add_parser("run", help="serve the API and pages (default)")
    r.add_argument("--listen", help="HOST:PORT (default HALLQ_LISTEN or 0.0.0.0:8080)")
    r.add_argument("--threads", type=int, help="worker threads (default HALLQ_THREADS or 32; event streams need none)")
    r.add_argument("--always-open", action="store_true", help="ignore opening hours (demo)")
    r.set_defaults(func=cmd_run)

    i = sub.add_parser("init", help="create or migrate the database and load hall configs")
    i.add_argument("--hall", action="append", help="hall config TOML (default assets/halls/main.toml)")
    i.set_defaults(func=cmd_init)

    u = sub.add_parser("user", help="accounts").add_subparsers(dest="ucmd", required=True)
    ua = u.add_parser("add", help="add a staff, manager or admin account")
    ua.add_argument("username")
    ua.add_argument("--role", required=True, choices=list(ROLES))
    ua.add_argument("--windows", help="windows where the staff member may sign in, e.g. 1,2")
    ua.add_argument("--name", help="display name (e.g. 张明)")
    ua.add_argument("--hall", default="main")
    ua.add_argument("--staff-no")
    ua.add_argument("--duties")
    ua.add_argument("--photo")
    ua.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    ua.set_defaults(func=cmd_user_add)

    d = sub.add_parser("device", help="devices").add_subparsers(dest="dcmd", required=True)
    da = d.add_parser("add", help="register a device and print its token")
    da.add_argument("name")
    da.add_argument("--kind", required=True, choices=["kiosk", "display", "evaluator", "keypad"])
    da.add_argument("--windows", help="evaluator/keypad: its windows, e.g. 3")
    da.add_argument("--hall", default="main")
    da.set_defaults(func=cmd_device_add)
    dr = d.add_parser("revoke", help="revoke every token of a device")
    dr.add_argument("name")
    dr.add_argument("--hall", default="main")
    dr.set_defaults(func=cmd_device_revoke)

    rp = sub.add_parser("report", help="export a report (xlsx or csv)")
    rp.add_argument("--from", dest="date_from", required=True)
    rp.add_argument("--to", dest="date_to", required=True)
    rp.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    rp.add_argument("--out", help="output file (default report-FROM-TO.xlsx)")
    rp.add_argument("--hall", default="main")
    rp.set_defaults(func=cmd_report)

    bk = sub.add_parser("backup", help="write a backup (SQLite online copy / pg_dump custom format)")
    bk.add_argument("--out", help="file (default HALLQ_BACKUP_DIR or var/backups, timestamped)")
    bk.add_argument("--prune", action="store_true", help="also drop automatic backups beyond HALLQ_BACKUP_KEEP")
    bk.set_defaults(func=cmd_backup)

    rs = sub.add_parser("restore", help="replace the database with a backup (stop the server first)")
    rs.add_argument("file")
    rs.add_argument("--force", action="store_true", help="restore even if the database looks in use")
    rs.set_defaults(func=cmd_restore)

    sm = sub.add_parser("simulate", help="play a day (synthetic or replayed) through the queue code; "
                                          "waits, estimate accuracy, xlsx (docs/simulate.md)")
    sm.add_argument("--day", help="day description TOML (default assets/simulate/sandu_day.toml)")
    sm.add_argument("--replay", metavar="YYYY-MM-DD", help="replay this past day from the database instead")
    sm.add_argument("--hall", default="main", help="with --replay: the hall")
    sm.add_argument("--hall-file", help="hall config TOML (default assets/halls/main.toml)")
    sm.add_argument("--staff", action="append", metavar="W:SERVICES@HH:MM-HH:MM",
                    help="what if: window W serves SERVICES (comma-separated, or off) then; repeatable")
    sm.add_argument("--days", type=int, default=1, help="synthetic days to play (seeds SEED, SEED+1, ...)")
    sm.add_argument("--seed", type=int, default=1)
    sm.add_argument("--warmup", type=int, default=2, help="earlier days played first (the estimator's history)")
    sm.add_argument("--out", help="xlsx file (default simulate-DAY.xlsx)")
    sm.set_defaults(func=cmd_simulate)

    pg = sub.add_parser("purge", help="erase residents' personal data older than the retention")
    pg.add_argument("--older-than-days", type=int, help="default: the hall's [privacy] retention_days")
    pg.add_argument("--hall", help="only this hall (default: every hall)")
    pg.set_defaults(func=cmd_purge)

    dm = sub.add_parser("demo", help="demo hall: accounts, devices, server (+ kiosk, display, caller)")
    dm.add_argument("--listen", default=None)
    dm.add_argument("--no-kiosk", action="store_true")
    dm.add_argument("--no-announcer", action="store_true")
    dm.add_argument("--fresh", action="store_true", help="start from an empty demo database")
    dm.set_defaults(func=cmd_demo)
    return p


def main(argv=None):
    from .store.private import private_umask
    private_umask()  # var/: database, backups, photos, logs readable by this account only
    logging.basicConfig(level=os.environ.get("HALLQ_LOG", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["run"] + list(argv or sys.argv[1:]))
    try:
        args.func(args)
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        from .domain.errors import HallqError
        if isinstance(exc, HallqError):
            raise SystemExit(f"hallq: {exc.message}") from None
        raise
