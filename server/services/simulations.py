"""模拟排班: a hall manager's what-if staffing, run off the request thread.

A request names a day (a past day of the hall, replayed from its database, or a day file shipped
in assets/simulate/) and staffing changes. The day is played twice through server/simulation — as
staffed, then with the changes, meeting the same residents — in a child process
(server/simulation/child.py) at a lower CPU priority, so the live hall keeps its interpreter and
most of the CPU. The request answers at once with a job id; the dashboard polls it. At most one run per hall and two per server at a time; a run
longer than TIME_LIMIT_S is stopped. Results stay in this process's memory for KEEP_S (the xlsx is
built from them on download).
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
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from ..domain.errors import Invalid, NotFound, TooMany, split_languages
from ..simulation import day as dayplan
from ..simulation import results, runner, whatif
from ..store import tables as t
from ..store.db import ROOT

log = logging.getLogger(__name__)

SAMPLES = ROOT / "assets" / "simulate"
MAX_CHANGES = 12
MAX_RUNNING = 2  # on the whole server: a hall PC has two cores, the live hall keeps one
TIME_LIMIT_S = 180.0
KEEP_S = 3600.0
KEEP_JOBS = 30
DAYS_LISTED = 60

ASSUMES = ("按所选一天的来人（取号时间、业务、办理时长）重放两遍：原排班一遍，调整后一遍；窗口有空就叫号，"
           "调整在窗口办完当前号后生效",
           "The chosen day's residents (arrival, service, time at the window) are played twice: as staffed "
           "and with your changes; windows call as soon as they are free; a change starts after the "
           "current ticket")


@dataclass
class Job:
    id: str
    hall_id: int
    hall_code: str
    by: str  # who started it (actor)
    request: dict
    day: dict  # {kind, date, name}
    started: float = field(default_factory=time.monotonic)
    status: str = "running"  # running | done | failed
    progress: float = 0.0
    finished: float | None = None
    error: dict | None = None
    result: dict | None = None
    sheets: dict | None = None

    def view(self) -> dict:
        end = self.finished or time.monotonic()
        out = {"id": self.id, "status": self.status, "progress": round(self.progress, 3),
               "elapsed_s": round(end - self.started, 1), "time_limit_s": TIME_LIMIT_S,
               "day": self.day, "changes": self.request["changes"]}
        if self.error:
            out["error"] = self.error
        if self.result is not None:
            out["result"] = self.result
        return out


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


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
        config = _hall_row(conn, hall_code).config
    cfg = hall.config
    running = next((j for j in _jobs.values() if j.hall_id == hall.id and j.status == "running"), None)
    return {
        "samples": samples_for(config),
        "days": [{"day": d, "called": n} for d, n in days],
        "services": [{"code": s.code, "name": s.name, "name_en": s.name_en or s.name} for s in cfg.services],
        "windows": [{"number": w.number, "name": w.name, "services": list(w.services)} for w in cfg.windows],
        "hours": list(cfg.hours or ["08:30-17:30"]),
        "max_changes": MAX_CHANGES, "time_limit_s": TIME_LIMIT_S,
        "assumes": ASSUMES[0], "assumes_en": ASSUMES[1],
        "running": running.view() if running else None,
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
    runs = runner.staffed_runs(plan, changes, replay=replay)
    with _lock:
        _expire()
        running = [j for j in _jobs.values() if j.status == "running"]
        if any(j.hall_id == hall.id for j in running):
            raise _busy("本大厅已有一次模拟在运行，请等它结束 (a simulation for this hall is already running)")
        if len(running) >= MAX_RUNNING:
            raise _busy("服务器正忙于其他模拟，请稍后再试 (the server is running other simulations; try again soon)")
        job = Job(secrets.token_urlsafe(12), hall.id, hall.code, principal.actor,
                  {"changes": [_change_view(c) for c in changes], "seed": seed}, day_info)
        _jobs[job.id] = job
    services = [{"code": s.code, "name": s.name, "name_en": s.name_en or s.name} for s in hall.config.services]
    request = {"runs": runs, "first": first, "seed": seed, "replay": replay, "config": config}
    try:
        proc = subprocess.Popen([sys.executable, "-m", "server.simulation.child"], cwd=str(ROOT),
                                env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                    [str(ROOT)] + [x for x in [os.environ.get("PYTHONPATH")] if x])},
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    except OSError:
        _fail(job, "failed", "模拟未能启动 (the simulation could not start)")
        log.exception("simulate: could not start a child process")
        raise
    threading.Thread(target=_watch, args=(job, proc, request, services, config), daemon=True,
                     name=f"hallq-simulate-{job.id}").start()
    log.info("simulate: %s started %s for hall %s (%s, %d changes)", principal.actor, job.id, hall.code,
             day_info.get("date") or day_info.get("sample"), len(changes))
    return job.view()


def _busy(message: str) -> TooMany:
    err = TooMany(message, code="simulation_running")
    err.retry_after = 10
    return err


def _change_view(c: dayplan.StaffChange) -> dict:
    def clock(s):
        return f"{int(s) // 3600:02d}:{int(s) % 3600 // 60:02d}"
    return {"window": c.window, "services": c.services, "off": c.services is None,
            "from": clock(c.start_s), "to": clock(c.end_s)}


def get(ctx, hall_code: str, job_id: str) -> Job:
    with ctx.db.read() as conn:
        hall = ctx.hall(conn, hall_code)
    with _lock:
        _expire()
        job = _jobs.get(job_id)
    if job is None or job.hall_id != hall.id:
        raise NotFound("没有这次模拟，或结果已过期 (no such simulation, or its result has expired)",
                       code="unknown_simulation")
    return job


def xlsx(ctx, hall_code: str, job_id: str) -> tuple[bytes, str]:
    job = get(ctx, hall_code, job_id)
    if job.status != "done":
        raise Invalid("模拟尚未完成 (the simulation has not finished)", code="not_finished")
    buf = io.BytesIO()
    results.write_xlsx(buf, job.sheets)
    tag = job.day.get("date") or job.day.get("sample")
    return buf.getvalue(), f"hallq-{job.hall_code}-simulate-{tag}.xlsx"


def _expire() -> None:
    now = time.monotonic()
    done = sorted((j for j in _jobs.values() if j.status != "running"), key=lambda j: j.finished or 0)
    for j in done:
        if now - (j.finished or now) > KEEP_S or len(_jobs) > KEEP_JOBS:
            _jobs.pop(j.id, None)


def _fail(job: Job, code: str, message: str) -> None:
    zh, en = split_languages(message)
    with _lock:
        if job.status != "running":
            return  # the first word stands (a run stopped at its limit is not "stopped unexpectedly")
        job.error = {"error": code, "message": message, "message_zh": zh, "message_en": en}
        job.status, job.finished = "failed", time.monotonic()


# ------------------------------------------------------------------ the run
def _watch(job: Job, proc, request: dict, services: list[dict], config: dict) -> None:
    """In a thread of the server: feed the child, read its progress and answer, stop it at the limit."""
    limit = TIME_LIMIT_S

    def too_long():
        _fail(job, "time_limit", f"模拟超过 {limit:g} 秒，已停止 "
                                 f"(the simulation took longer than {limit:g} s and was stopped)")
        if proc.poll() is None:
            proc.kill()
    timer = threading.Timer(limit, too_long)
    timer.daemon = True
    timer.start()
    try:
        proc.stdin.write(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
        proc.stdin.close()
        while job.status == "running":
            try:
                kind, payload = pickle.load(proc.stdout)
            except (EOFError, OSError, pickle.UnpicklingError):
                _fail(job, "failed", "模拟意外中止 (the simulation stopped unexpectedly)")
                break
            if kind == "progress":
                job.progress = max(job.progress, float(payload))
            elif kind == "done":
                _finish(job, payload, services, config)
            else:
                _fail(job, "failed", str(payload))
    except Exception:
        log.exception("simulate: job %s", job.id)
        _fail(job, "failed", "模拟出错 (the simulation failed)")
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()
        log.info("simulate: %s %s in %.1f s", job.id, job.status, (job.finished or time.monotonic()) - job.started)


def _finish(job: Job, played_by_run: dict, services: list[dict], config: dict) -> None:
    before, after = played_by_run["as staffed"], played_by_run["what if"]
    result = whatif.compare(before, after, services)
    names = {s["code"]: s["name"] for s in config.get("services", [])}
    settings = [{"setting": "日期 day", "value": job.day.get("date") or job.day["name"]}]
    for c in job.request["changes"]:
        what = "休息 off" if c["off"] else ", ".join(names.get(s, s) for s in c["services"])
        settings.append({"setting": f"{c['window']} 号窗口 window {c['window']}",
                         "value": f"{c['from']}-{c['to']} {what}"})
    sheets = {"设置 settings": (["setting", "value"], settings), **whatif.sheets(result),
              **runner.sheets_of(played_by_run, names, accuracy=False)}
    with _lock:
        if job.status == "running":
            job.sheets, job.result = sheets, result
            job.progress, job.status, job.finished = 1.0, "done", time.monotonic()
