"""The README's first command ends in `python server.py demo`: the demo hall must come up with its
accounts, devices, kiosk and announcer, serve a whole call, and stop every child on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.support import ROOT, free_port, need_binary, wait_http


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = open(f"/proc/{pid}/stat").read().split()
    return stat[2] != "Z"


@pytest.mark.slow
def test_the_demo_hall_serves_a_call_and_stops_cleanly(tmp_path):
    need_binary("xvfb-run")
    need_binary("espeak-ng")
    port = free_port()
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "HALLQ_ALWAYS_OPEN")}
    env.update({"HALLQ_VAR": str(var), "HALLQ_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
                "HALLQ_LOG": "INFO", "HALLQ_THREADS": "60", "KIVY_NO_ARGS": "1",
                "HALLQ_PLAYER": "none"})
    log = open(tmp_path / "demo.out", "wb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "demo", "--listen",
                             f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/api/v1/health", 60)
        printed = (tmp_path / "demo.out").read_text(encoding="utf-8")
        assert f"{base}/display" in printed and f"{base}/caller" in printed
        accounts = {line.split("\t")[0]: line.split("\t")[1]
                    for line in (var / "demo-accounts.txt").read_text(encoding="utf-8").splitlines()}
        assert accounts["zhangming"] in printed  # the password printed is the one that works
        devices = json.loads((var / "demo-devices.json").read_text())

        # the kiosk (under Xvfb) and the announcer run as their own programs
        _wait_for(lambda: len(_children(proc.pid)) >= 2, 30, "the kiosk and announcer processes")
        _wait_for(lambda: "event stream connected" in _read(var / "announcer.log"), 30,
                  "the announcer to subscribe")

        token = requests.post(base + "/api/v1/auth/login", json={
            "username": "zhangming", "password": accounts["zhangming"]}, timeout=10).json()["token"]
        staff = {"Authorization": f"Bearer {token}"}
        hall = base + "/api/v1/halls/main"
        r = requests.post(hall + "/tickets", json={"service": "social"}, timeout=10,
                          headers={"Authorization": f"Bearer {devices['kiosk-1']}",
                                   "Idempotency-Key": "demo-test-1"})
        assert r.status_code == 201, r.text
        number = r.json()["number"]
        assert requests.post(hall + "/windows/1/sign-in", headers=staff, timeout=10).status_code == 200
        called = requests.post(hall + "/windows/1/call-next", headers=staff, timeout=10).json()
        assert called["ticket"]["number"] == number
        _wait_for(lambda: f"speaking {number}" in _read(var / "announcer.log"), 60,
                  f"the announcer to speak {number}")
        kids = _children(proc.pid)
        for name in ("kiosk.log", "announcer.log"):
            assert "Traceback" not in _read(var / name), _read(var / name)[-3000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert proc.returncode is not None
    _wait_for(lambda: not any(_alive(k) for k in kids), 15, "the demo's children to stop")


def _read(path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
