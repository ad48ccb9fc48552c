"""The supervisor files in scripts/: every systemd unit passes `systemd-analyze verify`, restarts
always and never gives up; the command each unit starts really runs the program with the shipped
environment file (the bridges show up in the server's heartbeat list, the server answers health);
the Windows startup files run their program under a restart loop."""
from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hardware.conftest import PtyPair
from tests.support import ROOT, free_port, need_binary, wait_http

UNITS = sorted((ROOT / "scripts" / "systemd").glob("*.service"))
APP = "/opt/hallq/app"
DEVICE_UNITS = {"hallq-keypads.service": "keypads", "hallq-led.service": "led",
                "hallq-announcer.service": "announcer"}


def unit(path: Path) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str
    cp.read(path, encoding="utf-8")
    return cp


def env_file() -> dict[str, str]:
    out = {}
    for line in (ROOT / "scripts" / "systemd" / "hallq.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


def command(path: Path) -> list[str]:
    argv = shlex.split(unit(path)["Service"]["ExecStart"])
    assert argv[0] == f"{APP}/.venv/bin/python", argv
    return [sys.executable, *argv[1:]]


def test_the_units_cover_every_program_and_never_give_up():
    assert {u.name for u in UNITS} == {"hallq.service", "hallq-kiosk.service", "hallq-announcer.service",
                                       "hallq-led.service", "hallq-keypads.service"}
    for path in UNITS:
        cp = unit(path)
        assert cp["Service"]["Restart"] == "always", path.name
        assert int(cp["Service"]["RestartSec"]) <= 5, path.name
        assert cp["Unit"]["StartLimitIntervalSec"] == "0", path.name  # else 5 crashes in 10 s stop it
        assert cp["Service"]["EnvironmentFile"] == "/etc/hallq/hallq.env", path.name
        assert cp["Service"]["WorkingDirectory"] == APP, path.name
        argv = command(path)
        target = argv[2] if argv[1] == "-m" else argv[1]
        if argv[1] == "-m":
            assert (ROOT / (target.replace(".", "/") + ".py")).exists(), target
        else:
            assert (ROOT / target).exists(), target


def test_systemd_accepts_every_unit(tmp_path):
    need_binary("systemd-analyze", "apt-get install systemd")
    env = tmp_path / "hallq.env"
    env.write_text((ROOT / "scripts" / "systemd" / "hallq.env.example").read_text(encoding="utf-8"))
    for path in UNITS:
        text = path.read_text(encoding="utf-8").replace(f"{APP}/.venv/bin/python", sys.executable)
        text = text.replace(APP, str(ROOT)).replace("/etc/hallq/hallq.env", str(env))
        text = text.replace("User=hallq\n", "")  # no such account on a test box
        copy = tmp_path / path.name
        copy.write_text(text, encoding="utf-8")
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)], capture_output=True,
                           text=True, timeout=60)
        # a mistyped setting is only a warning ("Failed to parse ..., ignoring"): any output fails
        assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), (path.name, r.stdout, r.stderr)


def test_each_bridge_unit_starts_its_program_which_beats_to_the_server(live, tmp_path):
    api = live.api
    api.add_staff("boss", [], role="manager")
    pair = PtyPair(tmp_path, "led").start()
    env = {**os.environ, **env_file(), "HALLQ_SERVER": live.url, "HALLQ_VAR": str(tmp_path / "var"),
           "HALLQ_KEYPAD_TOKEN": api.add_device("keypad-bus", "keypad"),
           "HALLQ_EVALUATOR_TOKEN": api.add_device("evaluator-bus", "evaluator", [1]),
           "HALLQ_LED_BUS": pair.a, "HALLQ_PLAYER": "none", "HALLQ_DEVICE_NAME": "大厅设备"}
    procs = {}
    try:
        for name, program in DEVICE_UNITS.items():
            procs[program] = subprocess.Popen(command(ROOT / "scripts" / "systemd" / name), cwd=ROOT,
                                              env=env, stdout=open(tmp_path / f"{program}.log", "wb"),
                                              stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        seen = {}
        while time.monotonic() < deadline and set(seen) != set(procs):
            seen = {p["program"]: p for p in api.get(api.hp("/devices/presence"), "boss").body}
            time.sleep(0.2)
        assert set(seen) == {"keypads", "led", "announcer"}, (seen, [(tmp_path / f"{p}.log").read_text()
                                                                      for p in procs])
        assert (seen["keypads"]["name"], seen["keypads"]["registered"]) == ("keypad-bus", True)
        assert (seen["led"]["name"], seen["announcer"]["name"]) == ("大厅设备", "大厅设备")
        assert all(p.poll() is None for p in procs.values())  # running, not a usage error
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        pair.stop()


def test_the_server_unit_starts_a_server_that_answers(tmp_path):
    port = free_port()
    env = {**os.environ, **env_file(), "HALLQ_VAR": str(tmp_path / "var"), "HALLQ_LISTEN": f"127.0.0.1:{port}",
           "HALLQ_DATABASE_URL": f"sqlite:///{tmp_path / 'hallq.db'}", "HALLQ_LOG": "WARNING"}
    (tmp_path / "var").mkdir()
    init = subprocess.run([sys.executable, "server.py", "init"], cwd=ROOT, env=env, capture_output=True,
                          timeout=120)
    assert init.returncode == 0, init.stderr
    proc = subprocess.Popen(command(ROOT / "scripts" / "systemd" / "hallq.service"), cwd=ROOT, env=env,
                            stdout=open(tmp_path / "server.log", "wb"), stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v1/health", 30)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("name,args", [("hallq-kiosk.cmd", "kiosk kiosk.py"),
                                       ("hallq-announcer.cmd", "announcer -m display.announcer"),
                                       ("hallq-led.cmd", "led -m display.led"),
                                       ("hallq-keypads.cmd", "keypads -m caller.keypads")])
def test_each_windows_startup_file_runs_its_program_under_the_restart_loop(name, args):
    """cmd.exe is not here: this checks the files' wiring (the loop itself is in run-forever.cmd)."""
    folder = ROOT / "scripts" / "windows"
    raw = (folder / name).read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only, as cmd.exe wants
    assert f'call "%~dp0run-forever.cmd" {args}\r\n'.encode() in raw
    loop = (folder / "run-forever.cmd").read_bytes().decode("ascii")
    assert ":loop\r\n" in loop and "goto loop\r\n" in loop and "timeout /t 3" in loop
    assert r'"%APP%\.venv\Scripts\python.exe" %ARGS%' in loop
    module = args.split()[-1]
    assert (ROOT / (module if module.endswith(".py") else module.replace(".", "/") + ".py")).exists()
