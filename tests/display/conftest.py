"""Helpers for the display tests: a hall with staff signed in at windows, a server process on a
fixed port that can be killed and started again, and sox measurements of WAV files."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.support import HallClient, ServerProcess, free_port, need_binary


def staff_at(api: HallClient, windows) -> dict[int, str]:
    """One clerk signed in at each window; returns window -> clerk username."""
    out = {}
    for n in windows:
        user = f"clerk{n}"
        if user not in api.tokens:
            api.add_staff(user, [n], name=f"职员{n}")
        r = api.act(n, "sign-in", user)
        assert r.status == 200, r.body
        out[n] = user
    return out


def call(api: HallClient, window: int) -> dict:
    r = api.act(window, "call-next", f"clerk{window}")
    assert r.status == 200 and r.body["ticket"], r.body
    return r.body["ticket"]


def sox_stats(path) -> dict[str, float]:
    sox = need_binary("sox")
    proc = subprocess.run([sox, str(path), "-n", "stat"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    out = {}
    for line in proc.stderr.splitlines():  # sox prints its stat on stderr
        m = re.match(r"^(.+?):\s+(-?[\d.]+)", line)
        if m:
            out[m.group(1).strip()] = float(m.group(2))
    return out


class RestartableHall:
    """`python server.py run` on a fixed port (clients reconnect to the same address after a
    kill), plus a HallClient whose accounts are written straight into its database."""

    def __init__(self, db_url, var):
        from server.services.context import create_hallq
        self.proc = ServerProcess(db_url, var, port=free_port()).start()
        self.url = self.proc.url
        self.ctx = create_hallq(db_url, start_bus=False)
        self.api = HallClient(self.ctx, base_url=self.url)
        self.api.add_device("kiosk", "kiosk")

    def kill(self):
        self.proc.kill()

    def start(self):
        self.proc.start()

    def stop(self):
        self.proc.stop()
        self.ctx.db.dispose()


@pytest.fixture
def restartable(sqlite_url, tmp_path):
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    hall = RestartableHall(sqlite_url, var)
    yield hall
    hall.stop()
