"""`python server.py demo`: the default hall with demo accounts and devices, the server, and, where
they are installed, the kiosk, the announcer and the LED/keypad bridges. Prints where to go.

Demo accounts get fresh random passwords each run (no default passwords anywhere); they are printed
and kept in var/demo-accounts.txt for the demo only.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select, update

ROOT = Path(__file__).resolve().parents[1]

STAFF = [  # username, name, windows (A post, B post), staff no, duties
    ("zhangming", "张明", [1, 2], "S001", "社会救助、社会保障"),
    ("lihua", "李华", [2, 1], "S002", "退役军人、卫生健康"),
    ("wangfang", "王芳", [3, 11], "S003", "社会事务、公共服务代办"),
    ("zhaolei", "赵磊", [4, 5], "S004", "农业、林业、水利"),
    ("sunli", "孙丽", [5, 4], "S005", "农机、扶贫、移民"),
    ("zhoujie", "周杰", [6], "S006", "国土、规划"),
    ("wuqiang", "吴强", [7], "S007", "工商登记、食品药品"),
    ("zhengyan", "郑艳", [8], "S008", "财政、税收、补贴"),
    ("chenjing", "陈静", [9], "S009", "户籍、流动人口"),
    ("liuyang", "刘洋", [10], "S010", "调解、法律援助"),
    ("huangmei", "黄梅", [11, 3], "S011", "水电气、邮政代办"),
]


def _password() -> str:
    return "hq-" + secrets.token_urlsafe(6) + "7"


def prepare(ctx) -> dict:
    """Accounts and devices for the demo; returns what to print."""
    from .services import auth
    from .store import tables as t
    accounts = {}
    with ctx.db.read() as conn:
        existing = {r.username for r in conn.execute(select(t.users.c.username))}
    users = [(u, n, w, no, d, "staff") for (u, n, w, no, d) in STAFF]
    users += [("manager", "马主任", [], "M001", "大厅主任", "manager"),
              ("admin", "管理员", [], "A001", "系统管理", "admin")]
    for username, name, windows, staff_no, duties, role in users:
        password = _password()
        if username in existing:  # a new password for each demo run
            from argon2 import PasswordHasher
            with ctx.uow() as uow:
                uow.execute(update(t.users).where(t.users.c.username == username)
                            .values(password_hash=PasswordHasher().hash(password)))
                uow.commit()
        else:
            auth.add_user(ctx, username, name, role, password, hall_code=None if role == "admin" else "main",
                          windows=windows, staff_no=staff_no, duties=duties)
        accounts[username] = {"password": password, "role": role, "name": name, "windows": windows}
    devices = {"kiosk-1": auth.add_device(ctx, "main", "kiosk-1", "kiosk"),
               "display-1": auth.add_device(ctx, "main", "display-1", "display"),
               "keypads": auth.add_device(ctx, "main", "keypads", "keypad")}
    for n in range(1, 12):
        devices[f"evaluator-{n}"] = auth.add_device(ctx, "main", f"evaluator-{n}", "evaluator", [n])
    ctx.var_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.var_dir / "demo-accounts.txt"
    lines = [f"{u}\t{a['password']}\t{a['role']}\t{a['name']}\twindows={a['windows']}"
             for u, a in accounts.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (ctx.var_dir / "demo-devices.json").write_text(json.dumps(devices, indent=1))
    try:
        path.chmod(0o600)
        (ctx.var_dir / "demo-devices.json").chmod(0o600)
    except OSError:
        pass
    return {"accounts": accounts, "devices": devices}


def _spawn(args: list[str], env: dict, log_name: str, var: Path):
    log = open(var / log_name, "ab")
    # its own process group, so stopping it also stops what it started (xvfb-run -> Xvfb + kiosk)
    extra = {"start_new_session": True} if os.name == "posix" else {
        "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, **extra)


def _stop(child: subprocess.Popen, timeout: float = 10):
    if child.poll() is not None:
        return
    try:
        if os.name == "posix":
            os.killpg(child.pid, signal.SIGTERM)
        else:
            child.terminate()
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            os.killpg(child.pid, signal.SIGKILL)
        else:
            child.kill()
        child.wait(5)
    except ProcessLookupError:
        pass


def run_demo(args):
    from .api import create_app
    from .runner import parse_listen, serve
    from .services import maintenance
    from .services.bus import EventBus
    from .services.context import create_hallq
    from .services.halls import ensure_db

    os.environ.setdefault("HALLQ_ALWAYS_OPEN", "1")
    ctx = create_hallq(start_bus=False, always_open=True)
    ensure_db(ctx)
    maintenance.install(ctx)
    info = prepare(ctx)
    listen = args.listen or os.environ.get("HALLQ_LISTEN", "0.0.0.0:8080")
    host, port = parse_listen(listen)
    base = f"http://127.0.0.1:{port}"
    var = ctx.var_dir
    children = []
    env = {**os.environ, "HALLQ_SERVER": base, "PYTHONPATH": str(ROOT)}

    def start_clients():
        time.sleep(2.0)
        if not args.no_announcer and (ROOT / "display" / "announcer.py").exists():
            children.append(_spawn([sys.executable, "-m", "display.announcer", "--server", base,
                                    "--hall", "main"], {**env, "HALLQ_DEVICE_TOKEN": info["devices"]["display-1"]},
                                   "announcer.log", var))
        if not args.no_kiosk and (ROOT / "kiosk.py").exists():
            kenv = {**env, "HALLQ_DEVICE_TOKEN": info["devices"]["kiosk-1"],
                    "HALLQ_PRINTER": f"file://{var / 'kiosk-printer.bin'}", "KIVY_NO_ARGS": "1"}
            cmd = [sys.executable, str(ROOT / "kiosk.py")]
            if not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
                cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"] + cmd
            children.append(_spawn(cmd, kenv, "kiosk.log", var))

    print("\n==== hallq demo hall: 三都镇便民服务中心 ====")
    print(f"  Display (hall TV):      {base}/display")
    print(f"  Caller (staff window):  {base}/caller")
    print(f"  Evaluator (window 1):   {base}/evaluator/1?token={info['devices']['evaluator-1']}")
    print(f"  Dashboard (manager):    {base}/dashboard")
    print(f"  Review/promised cases:  {base}/manager/cases")
    print(f"  Accounts and devices:   {base}/admin")
    print(f"  Booking (phone):        {base}/book")
    print(f"  Staff wall (阳光台):     {base}/wall")
    print(f"  API / OpenAPI:          {base}/api/v1/health  {base}/api/openapi.json")
    print("  Sign in (passwords are new each run, also in var/demo-accounts.txt):")
    for u, a in info["accounts"].items():
        w = f" windows {','.join(map(str, a['windows']))}" if a["windows"] else ""
        print(f"    {u:<11} {a['password']:<16} {a['role']:<8} {a['name']}{w}")
    print("  The kiosk runs as its own program (python kiosk.py); with no screen it runs under Xvfb."
          "\n  Tickets it prints go to var/kiosk-printer.bin. Logs: var/*.log. Ctrl-C stops the demo.\n",
          flush=True)
    threading.Thread(target=start_clients, daemon=True).start()
    ctx.bus = EventBus(ctx.db).start()
    try:
        serve(create_app(ctx), listen)
    finally:
        for child in children:
            _stop(child)
