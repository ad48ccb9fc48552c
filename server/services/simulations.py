"""模拟排班: a hall manager's what-if staffing, run off the request thread.

A request names a day (a past day of the hall, replayed from its database, or a day file shipped
in assets/simulate/) and staffing changes. The day is played twice through server/simulation — as
staffed, then with the changes, meeting the same residents; a sample day so on DAYS sampled days (as
many as fit in the time limit), the result their average and spread — in a child process
(server/simulation/child.py) at a lower CPU priority, so the live hall keeps its interpreter and
most of the CPU. The request answers at once with a run id; the dashboard polls it.

A run is a row of `simulation_runs`, so any server process answers the polls (behind nginx the next
request may reach another process); the process that started it feeds it progress and the result.
At most one run per hall (across processes too: a unique index on the hall's running run, migration
0022) and MAX_RUNNING on the database at a time; a run longer than TIME_LIMIT_S is stopped; a run
whose process died is over once that limit has passed (marked so by the next start, which frees the
hall's place in the index). Rows go after KEEP_S.
"""
from __future__ import annotations

import io
import logging
import os
import pickle
import re
import secrets
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from ..domain.errors import Invalid, NotFound, TooMany, split_languages
from ..simulation import day as dayplan
from ..simulation import results, runner, whatif
from ..store import tables as t
from ..store.db import ROOT, utcnow

log = logging.getLogger(__name__)

SAMPLES = ROOT / "assets" / "simulate"
MAX_CHANGES = 12
MAX_RUNNING = 2  # on the whole server: a hall PC has two cores, the live hall keeps one
TIME_LIMIT_S = 180.0
DAYS = 5  # a sample day is played on this many sampled days (seeds), so one draw is not the answer
MAX_DAYS = 10
# the child starts a next day only if it should end within this share of the time limit (the rest
# is the process's start, the comparison and a margin for a day slower than the slowest so far)
BUDGET_SHARE = 0.7
KEEP_S = 24 * 3600.0
DAYS_LISTED = 60

ASSUMES = ("按所选一天的来人（取号时间、业务、办理时长）重放两遍：原排班一遍，调整后一遍；"
           f"示例日抽 {DAYS} 天不同的来人，结果取平均并给出各天的范围；"
           "窗口有空就叫号，调整在窗口办完当前号后生效",
           "The chosen day's residents (arrival, service, time at the window) are played twice: as staffed "
           f"and with your changes; a sample day draws {DAYS} days of different residents and shows the "
           "average and the range over the days; windows call as soon as they are free; a change starts "
           "after the current ticket")
HALL_BUSY = "本大厅已有一次模拟在运行，请等它结束 (a simulation for this hall is already running)"
STOPPED = "模拟中途停止（服务器重启）(the run stopped: the server restarted)"

_lock = threading.Lock()  # this process's starts (other processes: the database, below)
# PostgreSQL: starts from every server process take turns on this transaction advisory lock, so the
# limits are checked against the runs other processes have committed (SQLite: BEGIN IMMEDIATE does it)
START_LOCK_KEY = 0x7369_6D75  # "simu"
R = t.simulation_runs.c


def _stale_before() -> datetime:
    """A run still "running" that started before this has lost its process (a restart)."""
    return utcnow() - timedelta(seconds=TIME_LIMIT_S + 30)


def view(row) -> dict:
    """A run as the API shows it."""
    status, error = row.status, row.error
    if status == "running" and row.created_at < _stale_before():
        status, error = "failed", _error("stopped", STOPPED)
    end = row.finished_at or utcnow()
    out = {"id": row.id, "status": status, "progress": round(row.progress, 3),
           "elapsed_s": round(max(0.0, (end - row.created_at).total_seconds()), 1), "time_limit_s": TIME_LIMIT_S,
           "day": row.request["day"], "changes": row.request["changes"],
           "days_asked": row.request.get("days", 1)}
    if error:
        out["error"] = error
    if status == "done":
        out["result"] = row.result
    return out


def _error(code: str, message: str) -> dict:
    zh, en = split_languages(message)
    return {"error": code, "message": message, "message_zh": zh, "message_en": en}


# ------------------------------------------------------------------ what the panel offers
def _hall_row(conn, hall_code: str):
    row = conn.execute(select(t.halls).where(t.halls.c.code == hall_code)).first()
    if row is None:
        raise NotFound(f"没有这个大厅 (unknown hall): {hall_code}", code="unknown_hall")
    return row


def samples_for(config: dict) -> list[dict]:
    """The shipped day files this hall can play (every service they name is the hall's)."""
    known = {s["code"] for s in config.get("services", [])}
    out = []
    for path in sorted(SAMPLES.glob("*.toml")):
        try:
            plan = dayplan.read(path, known)
        except (Invalid, OSError, ValueError):
            continue
        out.append({"sample": path.stem, "name": plan.name})
    names = [s["name"] for s in out]
    for s in out:  # two files with one name: tell them apart by the file's name
        if names.count(s["name"]) > 1:
            m = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", s["name"])
            s["name"] = f"{m.group(1)} · {s['sample']} ({m.group(2)} · {s['sample']})" if m \
                else f"{s['name']} · {s['sample']}"
    return out


def options(ctx, hall_code: str) -> dict:
    """Days to choose from, the windows and services, the limits, the run in progress if any."""
    with ctx.db.read() as conn:
        hall = ctx.hall(conn, hall_code)
        today = hall.local_day(ctx.now()).isoformat()
        tk = t.tickets.c
        days = conn.execute(
            select(tk.day, func.count()).where(tk.hall_id == hall.id, tk.called_at.is_not(None), tk.day < today)
            .group_by(tk.day).order_by(tk.day.desc()).limit(DAYS_LISTED)).all()
        staffed: dict[str, list[int]] = {}  # the windows that called anyone (the others are off in a replay)
        if days:
            for d, w in conn.execute(
                    select(tk.day, tk.window).distinct().where(
                        tk.hall_id == hall.id, tk.called_at.is_not(None), tk.window.is_not(None),
                        tk.day >= days[-1][0], tk.day < today).order_by(tk.day, tk.window)):
                staffed.setdefault(d, []).append(w)
        config = _hall_row(conn, hall_code).config
        latest = conn.execute(select(t.simulation_runs).where(R.hall_id == hall.id)
                              .order_by(R.created_at.desc()).limit(1)).first()
    cfg = hall.config
    latest = view(latest) if latest is not None else None
    return {
        "samples": samples_for(config),
        "days": [{"day": d, "called": n, "windows": staffed.get(d, [])} for d, n in days],
        "services": [{"code": s.code, "name": s.name, "name_en": s.name_en or s.name} for s in cfg.services],
        "windows": [{"number": w.number, "name": w.name, "services": list(w.services)} for w in cfg.windows],
        "hours": list(cfg.hours or ["08:30-17:30"]),
        "max_changes": MAX_CHANGES, "time_limit_s": TIME_LIMIT_S, "sample_days": DAYS,
        "assumes": ASSUMES[0], "assumes_en": ASSUMES[1],
        "running": latest if latest and latest["status"] == "running" else None,
        "last": latest if latest and latest["status"] == "done" else None,
    }


# ------------------------------------------------------------------ starting a run
def _changes(body_changes: list[dict], config: dict) -> list[dayplan.StaffChange]:
    known = {s["code"] for s in config.get("services", [])}
    windows = {w["number"] for w in config.get("windows", [])}
    out = []
    for i, c in enumerate(body_changes, start=1):
        services = None if c.get("off") else list(dict.fromkeys(c.get("services") or []))
        if services is not None and not services:
            raise Invalid(f"第 {i} 项调整：请选择业务或休息 (change {i}: choose services or off)",
                          code="invalid_change")
        unknown = sorted(set(services or []) - known)
        if unknown:
            raise Invalid(f"没有这项业务 (the hall has no service): {', '.join(unknown)}", code="unknown_service")
        try:
            start, end = dayplan.clock_s(c["from"]), dayplan.clock_s(c["to"])
        except Invalid:
            raise Invalid(f"第 {i} 项调整：时间格式应为 09:30 (change {i}: times look like 09:30)",
                          code="invalid_time") from None
        if end <= start:
            raise Invalid(f"第 {i} 项调整：结束时间应晚于开始时间 (change {i}: ends before it starts)",
                          code="invalid_time")
        out.append(dayplan.StaffChange(int(c["window"]), services, start, end))
    runner.check_changes(out, windows)
    return out


def _day(ctx, hall, config: dict, body: dict):
    """(plan, day info, first day, replay?) for the request's day."""
    if ("day" in body) == ("sample" in body):
        raise Invalid("请选择一个过去的日期或示例日 (give either day or sample)", code="invalid_day")
    if "sample" in body:
        found = [s for s in samples_for(config) if s["sample"] == body["sample"]]
        if not found:
            raise Invalid(f"没有这个示例日 (no such sample day): {body['sample']}", code="unknown_day")
        known = {s["code"] for s in config.get("services", [])}
        plan = dayplan.read(SAMPLES / f"{body['sample']}.toml", known)
        first = runner.working_days(runner.FIRST_DAY, 1)[0]
        return plan, {"kind": "sample", "sample": body["sample"], "name": plan.name}, first, False
    from ..simulation.replay import plan_from_database
    try:
        day = date.fromisoformat(body["day"])
    except ValueError:
        raise Invalid("日期格式为 2026-11-30 (dates are written 2026-11-30)", code="invalid_day") from None
    if day >= hall.local_day(ctx.now()):
        raise Invalid("只能重放今天以前的日子 (only days before today can be replayed)", code="invalid_day")
    try:
        plan, _ = plan_from_database(ctx, day.isoformat(), hall.code)
    except NotFound:
        raise Invalid(f"{day} 没有叫过号的号票 (no called tickets on {day})", code="empty_day") from None
    return plan, {"kind": "replay", "date": day.isoformat(), "name": plan.name}, day, True


def start(ctx, hall_code: str, principal, body: dict) -> dict:
    """Check the request, then play it in a child process; the job's view (status running)."""
    with ctx.db.read() as conn:
        hall = ctx.hall(conn, hall_code)
        config = _hall_row(conn, hall_code).config
    changes = _changes(body.get("changes") or [], config)
    if not changes:
        raise Invalid("请至少添加一项排班调整 (add at least one staffing change)", code="no_changes")
    plan, day_info, first, replay = _day(ctx, hall, config, body)
    seed = int(body.get("seed", 1))
    days = 1 if replay else int(body.get("days", DAYS))  # a replayed day is what happened: one day
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"抽样天数应为 1 至 {MAX_DAYS} (days: 1 to {MAX_DAYS})", code="invalid_days")
    runs = runner.staffed_runs(plan, changes, replay=replay)
    now = utcnow()
    run_id = secrets.token_urlsafe(12)
    request = {"day": day_info, "changes": [_change_view(c) for c in changes], "seed": seed, "days": days}
    with _lock:
        with ctx.uow() as uow:
            uow.execute(t.simulation_runs.delete().where(R.created_at < now - timedelta(seconds=KEEP_S)))
            # a run whose process died is over: it no longer holds its hall (the database's
            # one-running-run-per-hall index counts the status)
            uow.execute(t.simulation_runs.update().where(R.status == "running", R.created_at < _stale_before())
                        .values(status="failed", error=_error("stopped", STOPPED), finished_at=now, updated_at=now))
            uow.commit()
        try:
            with ctx.uow() as uow:
                if ctx.db.dialect == "postgresql":
                    uow.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": START_LOCK_KEY})
                running = uow.execute(select(R.hall_id).where(R.status == "running")).scalars().all()
                if hall.id in running:
                    raise _busy(HALL_BUSY)
                if len(running) >= MAX_RUNNING:
                    raise _busy("服务器正忙于其他模拟，请稍后再试 "
                                "(the server is running other simulations; try again soon)")
                uow.execute(t.simulation_runs.insert().values(
                    id=run_id, hall_id=hall.id, started_by=principal.actor, status="running", progress=0.0,
                    request=request, created_at=now, updated_at=now))
                uow.commit()
        except IntegrityError:
            # a run for this hall was inserted between our check and our insert by a writer that did
            # not take turns: the unique index on running runs (migration 0022) let only the first in
            if not _running(ctx, hall.id):
                raise
            raise _busy(HALL_BUSY) from None
    services = [{"code": s.code, "name": s.name, "name_en": s.name_en or s.name} for s in hall.config.services]
    job = {"runs": runs, "first": first, "seeds": list(range(seed, seed + days)), "replay": replay,
           "config": config, "budget_s": TIME_LIMIT_S * BUDGET_SHARE}
    try:
        proc = subprocess.Popen([sys.executable, "-m", "server.simulation.child"], cwd=str(ROOT),
                                env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                    [str(ROOT)] + [x for x in [os.environ.get("PYTHONPATH")] if x])},
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    except OSError:
        log.exception("simulate: could not start a child process")
        _fail(ctx, run_id, "failed", "模拟未能启动 (the simulation could not start)")
        return get(ctx, hall_code, run_id)
    threading.Thread(target=_watch, args=(ctx, run_id, proc, job, services, config), daemon=True,
                     name=f"hallq-simulate-{run_id}").start()
    log.info("simulate: %s started %s for hall %s (%s, %d changes)", principal.actor, run_id, hall.code,
             day_info.get("date") or day_info.get("sample"), len(changes))
    return get(ctx, hall_code, run_id)


def _running(ctx, hall_id: int) -> bool:
    with ctx.db.read() as conn:
        return conn.execute(select(R.id).where(R.hall_id == hall_id, R.status == "running")).first() is not None


def _busy(message: str) -> TooMany:
    err = TooMany(message, code="simulation_running")
    err.retry_after = 10
    return err


def _change_view(c: dayplan.StaffChange) -> dict:
    def clock(s):
        return f"{int(s) // 3600:02d}:{int(s) % 3600 // 60:02d}"
    return {"window": c.window, "services": c.services, "off": c.services is None,
            "from": clock(c.start_s), "to": clock(c.end_s)}


def _row(ctx, hall_code: str, run_id: str):
    with ctx.db.read() as conn:
        hall = ctx.hall(conn, hall_code)
        row = conn.execute(select(t.simulation_runs).where(R.id == run_id, R.hall_id == hall.id)).first()
    if row is None:
        raise NotFound("没有这次模拟，或结果已过期 (no such simulation, or its result has expired)",
                       code="unknown_simulation")
    return row


def get(ctx, hall_code: str, run_id: str) -> dict:
    return view(_row(ctx, hall_code, run_id))


def xlsx(ctx, hall_code: str, run_id: str) -> tuple[bytes, str]:
    row = _row(ctx, hall_code, run_id)
    if view(row)["status"] != "done":
        raise Invalid("模拟尚未完成 (the simulation has not finished)", code="not_finished")
    buf = io.BytesIO()
    results.write_xlsx(buf, {title: (cols, rows) for title, (cols, rows) in row.sheets.items()})
    day = row.request["day"]
    tag = day.get("date") or day.get("sample")
    return buf.getvalue(), f"hallq-{hall_code}-simulate-{tag}.xlsx"


def _update(ctx, run_id: str, **values) -> bool:
    """Change a running run; False when it is no longer running (the first word stands: a run
    stopped at its limit is not then "stopped unexpectedly")."""
    with ctx.uow() as uow:
        n = uow.execute(t.simulation_runs.update().where(R.id == run_id, R.status == "running")
                        .values(updated_at=utcnow(), **values)).rowcount
        uow.commit()
    return n > 0


def _fail(ctx, run_id: str, code: str, message: str) -> bool:
    return _update(ctx, run_id, status="failed", error=_error(code, message), finished_at=utcnow())


# ------------------------------------------------------------------ the run
def _watch(ctx, run_id: str, proc, job: dict, services: list[dict], config: dict) -> None:
    """In a thread of the server: feed the child, keep its progress, store its answer, stop it at
    the time limit."""
    limit = TIME_LIMIT_S
    state = {"progress": 0.0, "at": 0.0, "over": False}

    def too_long():
        state["over"] = True
        _fail(ctx, run_id, "time_limit", f"模拟超过 {limit:g} 秒，已停止 "
                                         f"(the simulation took longer than {limit:g} s and was stopped)")
        if proc.poll() is None:
            proc.kill()
    timer = threading.Timer(limit, too_long)
    timer.daemon = True
    timer.start()
    try:
        proc.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
        proc.stdin.close()
        while not state["over"]:
            try:
                kind, payload = pickle.load(proc.stdout)
            except (EOFError, OSError, pickle.UnpicklingError):
                _fail(ctx, run_id, "failed", "模拟意外中止 (the simulation stopped unexpectedly)")
                break
            if kind == "progress":
                share = float(payload)
                # a write every 5% or 2 s: enough for a progress bar, little for the hall's database
                if share - state["progress"] >= 0.05 or time.monotonic() - state["at"] >= 2:
                    state["progress"], state["at"] = share, time.monotonic()
                    if not _update(ctx, run_id, progress=share):
                        break
            elif kind == "done":
                _finish(ctx, run_id, payload, services, config)
                break
            else:
                _fail(ctx, run_id, "failed", str(payload))
                break
    except Exception:
        log.exception("simulate: run %s", run_id)
        _fail(ctx, run_id, "failed", "模拟出错 (the simulation failed)")
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()
        log.info("simulate: run %s ended", run_id)


def _finish(ctx, run_id: str, played: dict, services: list[dict], config: dict) -> None:
    played_by_run, days = played["runs"], played["days"]
    before, after = played_by_run["as staffed"], played_by_run["what if"]
    result = whatif.compare_days(before, after, services, seeds={d.isoformat(): seed for d, seed in days})
    with ctx.db.read() as conn:
        request = conn.execute(select(R.request).where(R.id == run_id)).scalar()
    asked = request.get("days", 1)
    result["days_asked"] = asked
    names = {s["code"]: s["name"] for s in config.get("services", [])}
    day = request["day"]
    seeds = [seed for _, seed in days]
    if day["kind"] == "replay":
        played_days = "1（重放，即当天的来人）(1: the day replayed, its own residents)"
    else:
        played_days = (f"{len(days)}（随机种子 {seeds[0]}–{seeds[-1]}；对比各表为各天平均，「等候」表合并各天）"
                       f"({len(days)}: seeds {seeds[0]}-{seeds[-1]}; the comparison sheets give the days' "
                       "averages, the waits sheets all the days together)")
        if len(days) < asked:
            played_days += (f"；原定 {asked} 天，服务器繁忙，未在时限内放完 "
                            f"(of {asked} asked: the server was too busy to play them all in time)")
    settings = [{"setting": "日期 day", "value": day.get("date") or day["name"]},
                {"setting": "抽样天数 days played", "value": played_days}]
    for c in request["changes"]:
        what = "休息 off" if c["off"] else "、".join(names.get(x, x) for x in c["services"])
        settings.append({"setting": f"{c['window']} 号窗口 window {c['window']}",
                         "value": f"{c['from']}-{c['to']} {what}"})
    sheets = {"设置 settings": (["setting", "value"], settings), **whatif.sheets(result),
              **runner.sheets_of(played_by_run, names, accuracy=False)}
    _update(ctx, run_id, status="done", progress=1.0, result=result, finished_at=utcnow(),
            sheets={title: [cols, _plain(rows)] for title, (cols, rows) in sheets.items()})


def _plain(rows: list[dict]) -> list[dict]:
    """Rows as JSON holds them (floats rounded as the xlsx shows them)."""
    return [{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in rows]
