"""Call -> hall display (Chromium) and call -> audio start (announcer) latency, p50/p99.

    .venv/bin/python bench/bench_display.py [--calls 40] [--render server|local]

A real server (waitress, in this process) on a scratch SQLite database, the display page in
headless Debian Chromium, and the announcer (display.announcer) writing each announcement to a
directory with no sound card. For each call the clock starts just before POST …/call-next and
stops when the page has drawn the number (the page's own timestamp) and when the announcer starts
playing the announcement (its WAV fetched from the server, rendered with espeak-ng there).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HALLQ_SECRET", "bench-secret")
os.environ.setdefault("HALLQ_LOG", "WARNING")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))] if s else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=40)
    ap.add_argument("--render", choices=("server", "local"), default="server")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from display.announcer import Announcer, Player
    from server.api import create_app
    from tests.conftest import _make_ctx
    from tests.support import HallClient, LiveServer

    tmp = Path(tempfile.mkdtemp(prefix="hallq-bench-display-"))
    ctx = _make_ctx(f"sqlite:///{tmp / 'bench.db'}", tmp / "var")
    live = LiveServer(create_app(ctx)).start()
    api = HallClient(ctx, base_url=live.url)
    api.add_device("kiosk", "kiosk")
    windows = [1, 2]
    for n in windows:
        api.add_staff(f"clerk{n}", [n], name=f"职员{n}")
        assert api.act(n, "sign-in", f"clerk{n}").status == 200
    for _ in range(args.calls + 2):
        api.issue("social")

    out = tmp / "spoken"
    ann = Announcer(live.url, out_dir=out, player=Player("none"), render=args.render).start()
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                 args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                       "--disable-background-networking", "--disable-component-update"])
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{live.url}/display")
    page.wait_for_function("() => window.hallqDisplay && window.hallqDisplay.connected", timeout=15000)
    deadline = time.monotonic() + 15
    while ann.stream.connects < 1 and time.monotonic() < deadline:
        time.sleep(0.05)

    def spoken():
        path = out / "announcements.jsonl"
        return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []

    display_ms, audio_ms = [], []
    try:
        for i in range(args.calls):
            n = windows[i % len(windows)]
            user = f"clerk{n}"
            t0 = time.time()
            r = api.act(n, "call-next", user)
            number = r.body["ticket"]["number"]
            page.wait_for_function("(n) => window.hallqDisplay.shown.some(s => s.number === n)",
                                   arg=number, timeout=10000)
            at = page.evaluate("(n) => window.hallqDisplay.shown.find(s => s.number === n).at", number)
            display_ms.append(at - t0 * 1000)
            end = time.monotonic() + 30
            rec = None
            while rec is None and time.monotonic() < end:
                rec = next((x for x in spoken() if x["number"] == number), None)
                if rec is None:
                    time.sleep(0.01)
            if rec is None:
                raise SystemExit(f"the announcer never spoke {number}")
            audio_ms.append((rec["started_at"] - t0) * 1000)
            assert api.act(n, "finish", user, {"outcome": "immediate"}).status == 200
    finally:
        ann.stop()
        browser.close()
        pw.stop()
        live.stop()

    print(f"\nhallq display latency ({args.calls} calls, render={args.render}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    print(f"{'path':<34}{'n':>5}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, vals in (("call -> display (Chromium)", display_ms),
                       ("call -> audio start (announcer)", audio_ms)):
        print(f"{name:<34}{len(vals):>5}{pct(vals, 50):>10.0f}{pct(vals, 99):>10.0f}{max(vals):>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
