"""Issue 15, item 10: the database, backups and photos were 0644 (readable by every user on the
machine). var/ is 0700 and everything in it 0600 (folders 0700), whatever the umask, including
files an older version left behind."""
from __future__ import annotations

import base64
import io
import os
import stat
import subprocess
import sys

import pytest
import requests

from tests.support import PASSWORD, ROOT, ServerProcess


def _cli(env, *args, stdin=None):
    r = subprocess.run([sys.executable, str(ROOT / "server.py"), *args], env=env, cwd=ROOT,
                       input=stdin, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r


def _modes(var) -> dict[str, str]:
    out = {".": oct(stat.S_IMODE(var.stat().st_mode))}
    for path in var.rglob("*"):
        out[str(path.relative_to(var))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return out


def _png() -> str:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (30, 40), "blue").save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_var_is_0700_and_every_file_in_it_0600(tmp_path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("HALLQ_DATABASE_URL", "HALLQ_SECRET")}
    env.update(HALLQ_VAR=str(var), HALLQ_LOG="WARNING", HALLQ_ALWAYS_OPEN="1")
    old = os.umask(0o022)  # the usual umask: files would be 0644 unless hallq sees to it
    try:
        _cli(env, "init")
        _cli(env, "user", "add", "root1", "--role", "admin", "--password-stdin",
             stdin=PASSWORD + "\n")
        _cli(env, "device", "add", "kiosk1", "--kind", "kiosk")
        _cli(env, "backup")
        (var / "left-by-an-older-version.log").write_text("x")  # 0644 now
        (var / "old").mkdir()
        (var / "old" / "hallq-20250101.db").write_text("x")
        server = ServerProcess(f"sqlite:///{var / 'hallq.db'}", var, env={
            k: env[k] for k in ("HALLQ_VAR",)})
        server.env.pop("HALLQ_SECRET", None)
        server.start()
        try:
            token = requests.post(server.url + "/api/v1/auth/login",
                                  json={"username": "root1", "password": PASSWORD},
                                  timeout=10).json()["token"]
            h = {"Authorization": f"Bearer {token}"}
            r = requests.post(server.url + "/api/v1/auth/login",
                              json={"username": "nobody", "password": "x"}, timeout=10)
            assert r.status_code == 401
            r = requests.post(server.url + "/api/v1/halls/main/users", headers=h, timeout=10,
                              json={"username": "s1", "password": PASSWORD, "role": "staff",
                                    "windows": [1]})
            assert r.status_code == 201, r.text
            r = requests.post(server.url + "/api/v1/halls/main/users/s1/photo", headers=h,
                              json={"image": _png()}, timeout=10)
            assert r.status_code == 200, r.text
        finally:
            server.stop()
        _cli(env, "backup")
    finally:
        os.umask(old)
    modes = _modes(var)
    names = set(modes)
    assert "hallq.db" in names and "secret.key" in names
    assert any(n.startswith("photos/") for n in names) and any(n.startswith("backups/") for n in names)
    assert any(n.startswith("server-") for n in names)  # the server's log file
    assert modes["."] == "0o700"
    loose = {n: m for n, m in modes.items()
             if m != ("0o700" if (var / n).is_dir() else "0o600")}
    assert not loose, loose
