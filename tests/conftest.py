"""Fixtures for every suite. A test asks for what it needs:

- `ctx`, `app`, `api` (HallClient on the Flask test client) on a fresh SQLite file database;
- `any_db` variants of those run once on SQLite and once on PostgreSQL (`pg_cluster` is started
  by the test setup itself);
- `live` (waitress in a thread) and `server_process` (python server.py run) for real HTTP;
- `chromium` (Playwright driving Debian's Chromium).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="hallq-kivy-"))
os.environ.setdefault("HALLQ_SECRET", "test-secret-not-for-production")
os.environ.setdefault("HALLQ_LOG", "WARNING")
# Tests need no power-cut durability (production default FULL, see server/store/db.py): faster.
os.environ.setdefault("HALLQ_SQLITE_SYNCHRONOUS", "NORMAL")

from tests.support import (PostgresCluster, HallClient, LiveServer, ServerProcess,  # noqa: E402
                           need, need_binary, postgres_available)


@pytest.fixture(scope="session")
def pg_cluster():
    need("PostgreSQL server binaries", postgres_available(), "apt-get install postgresql")
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


def _make_ctx(url: str, var: Path):
    from server.services.halls import ensure_db
    from server.services.bus import EventBus
    from server.services.context import create_hallq
    os.environ["HALLQ_VAR"] = str(var)
    ctx = create_hallq(url, start_bus=False, always_open=True)
    ensure_db(ctx)
    ctx.bus = EventBus(ctx.db, poll_s=0.2).start()
    return ctx


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'hallq.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hallq.db'}"
    return request.getfixturevalue("pg_cluster").new_database()


def _ctx_fixture(url, tmp_path):
    ctx = _make_ctx(url, tmp_path / "var")
    yield ctx
    ctx.bus.stop()
    ctx.db.dispose()


@pytest.fixture
def ctx(sqlite_url, tmp_path):
    yield from _ctx_fixture(sqlite_url, tmp_path)


@pytest.fixture
def any_ctx(any_db_url, tmp_path):
    yield from _ctx_fixture(any_db_url, tmp_path)


@pytest.fixture
def app(ctx):
    from server.api import create_app
    return create_app(ctx)


@pytest.fixture
def api(app, ctx):
    """The default hall with a kiosk device, ready to take numbers."""
    h = HallClient(ctx, flask_client=app.test_client())
    h.add_device("kiosk", "kiosk")
    return h


@pytest.fixture
def any_api(any_ctx):
    from server.api import create_app
    h = HallClient(any_ctx, flask_client=create_app(any_ctx).test_client())
    h.add_device("kiosk", "kiosk")
    return h


@pytest.fixture
def live(app, ctx):
    """A real waitress server in this process; `live.api` talks to it over HTTP."""
    server = LiveServer(app).start()
    server.api = HallClient(ctx, base_url=server.url)
    server.api.add_device("kiosk", "kiosk")
    yield server
    ctx.bus.stop()  # open event streams end, so the server's threads can be let go
    server.stop()


@pytest.fixture
def server_process(sqlite_url, tmp_path):
    """`python server.py run` in its own process on a fresh SQLite database."""
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    proc = ServerProcess(sqlite_url, var).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian Chromium driven by Playwright (the browser of the hall's PCs)."""
    need_binary("chromium", "apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("playwright (pip)", False)
    pw = sync_playwright().start()
    browser = pw.chromium.launch(
        executable_path="/usr/bin/chromium", headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--autoplay-policy=no-user-gesture-required"])
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture(autouse=True)
def cheap_password_hashes(request, monkeypatch):
    """Sign-ins in tests hash with argon2's cheapest parameters: the production ones take ~0.8 s a
    hash on these machines and tests make many accounts. A test marked real_hashes keeps them
    (tests/services/test_passwords.py checks what production uses)."""
    if request.node.get_closest_marker("real_hashes"):
        return
    from argon2 import PasswordHasher
    monkeypatch.setattr("server.services.auth._hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
