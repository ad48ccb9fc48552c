"""Every kiosk screen at the sizes halls buy (1080x1920 portrait, 1920x1080 and 1280x800
landscape), in Chinese and English, normal and elder mode: 12 combinations rendered by the real
app under Xvfb against a real server. No text overflows its widget, no word is broken, nothing is
off the screen, no key is under 80 px in elder mode, portrait service names are at least 40 px
(56 px elder), and on portrait the 帮办代办 matter, delivery and confirmation screens leave no
blank band over 30% of the screen. PNGs go to /tmp/shots/kiosk-layout/ (HALLQ_SHOTS) for a person to look at."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.kiosk.conftest import SHOTS
from tests.support import ROOT, need_binary, xvfb_server_num

pytestmark = pytest.mark.kivy

SIZES = ["1080x1920", "1920x1080", "1280x800"]
SCREENS = ["home", "guide", "identify", "checkin", "progress", "ticket", "ticket_unprinted", "error", "admin",
           "assist_service", "assist_matter", "assist_delivery", "assist_name", "assist_name_unlisted", "assist_phone",
           "assist_done"]


@pytest.mark.parametrize("size", SIZES)
def test_every_screen_fits_in_both_languages_and_modes(size, live):
    xvfb = need_binary("xvfb-run")
    out = SHOTS / "kiosk-layout"
    env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEODRIVER"}  # a real X screen
    proc = subprocess.run(
        [xvfb, "-a", "-n", str(xvfb_server_num()), "-s", f"-screen 0 {size}x24", sys.executable, str(ROOT / "tests/kiosk/render_screens.py"),
         "--server", live.url, "--token", live.api.tokens["kiosk"], "--size", size, "--out", str(out)],
        capture_output=True, text=True, timeout=240, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report["shots"]) == 4 * len(SCREENS)
    for shot in report["shots"]:
        assert os.path.getsize(shot) > 10_000, shot
    # the tall machine's 帮办代办 choices stand with their question in the middle as large cards,
    # not two keys under the question and a blank band to the buttons (it was 1052-1323 px of 1920),
    # and its confirmation in the middle too (it was at the top over 617-894 px)
    width, height = (int(v) for v in size.split("x"))
    if height > width:
        bands = {tag: px for tag, px in report["bands"].items()
                 if tag.endswith(("-assist_matter", "-assist_delivery", "-assist_done")) and px > 0.3 * height}
        assert not bands, f"blank bands over 30% of the screen: {bands}"
    problems = "\n".join(f"{p['where']}: {p['text']!r}: {p['problem']}" for p in report["problems"])
    assert not report["problems"], problems
