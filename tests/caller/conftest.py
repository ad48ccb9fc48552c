"""Fixtures for the window's tests: a hall with staff, a manager and devices; browser pages."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

try:  # a loaded CI machine: give the pages time, a failing check still fails
    from playwright.sync_api import expect
    expect.set_options(timeout=10_000)
except ImportError:
    pass

SHOTS = os.environ.get("HALLQ_SHOTS")  # a folder: the page tests save screenshots there


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


@pytest.fixture
def hall(live):
    """The live server's hall: staff 王小明 (windows 1 and 3), an evaluator at window 1."""
    api = live.api
    api.add_staff("clerk1", [1, 3], name="王小明")
    api.add_device("eval1", "evaluator", [1])
    return api


@pytest.fixture
def browser_ctx(chromium, monkeypatch):
    # Short SSE heartbeats: the in-process server notices the closed pages' streams and ends
    # their threads before it is stopped, so they do not linger into the next test.
    monkeypatch.setenv("HALLQ_SSE_HEARTBEAT_S", "0.5")
    ctx = chromium.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN")
    ctx.set_default_timeout(8000)
    yield ctx
    ctx.close()
    time.sleep(1.0)


def login(page, url: str, username: str, password: str | None = None) -> None:
    from tests.support import PASSWORD
    page.goto(url)
    page.fill("#username", username)
    page.fill("#password", password or PASSWORD)
    page.press("#password", "Enter")
