"""Render every kiosk screen at one screen size, in Chinese and English, normal and elder mode,
with the real app against a real server, and check what a resident would see:

- no label's drawn text (texture_size) is larger than its widget;
- no word is broken across lines ("Appointme|nt"), one-line labels stay on one line;
- nothing is drawn outside the screen, and no two texts are drawn over each other;
- in elder mode no key is under 80 px either way (tests/kiosk/fit.py has these checks);
- in portrait, service names are at least 40 px (56 px in elder mode);
- "正在自动重试…" sits under the error it belongs to.
It also reports each screen's tallest blank band (tests/kiosk/fit.py blank_band).

Run by tests/kiosk/test_kiosk_layouts.py under Xvfb (one process per screen size):
    xvfb-run -a -s "-screen 0 1080x1920x24" python tests/kiosk/render_screens.py \
        --server URL --token TOKEN --size 1080x1920 --out DIR
Writes DIR/WxH-lang-mode-screen.png and prints one JSON line: {"shots": [...], "problems": [...]}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--size", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if os.environ.get("HALLQ_RENDER_DEBUG"):
        import faulthandler
        faulthandler.dump_traceback_later(float(os.environ["HALLQ_RENDER_DEBUG"]), exit=True)
    width, height = (int(v) for v in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-"))
    from kivy.config import Config
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    for name, _ in Config.items("input"):
        Config.remove_option("input", name)
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from kiosk.app import KioskApp
    from kiosk.config import KioskConfig
    from kiosk.core import Outcome
    from tests.kiosk.fit import blank_band, screen_problems

    Window.size = (width, height)
    cfg = KioskConfig(server=args.server, device_token=args.token, printer="dummy://", speech=False,
                      idle_timeout_s=600, public_url="http://192.168.1.10:8080", admin_pin="2468",
                      identify={"hukou": "required"})
    app = KioskApp(cfg)
    app._run_prepare()

    def pump(seconds=0.0, until=None, timeout=15.0):
        end = time.monotonic() + (timeout if until else seconds)
        while True:
            EventLoop.idle()
            if until is not None and until():
                return
            if time.monotonic() >= end:
                if until is not None:
                    raise SystemExit(f"timed out on {until}")
                return

    pump(until=lambda: app.core.services and app.online)
    # a real elderly ticket (with its windows and QR) to show on the ticket screens
    printed = app.core.take_ticket("social", "110101194003071230")
    assert printed.printed, printed
    for svc in app.core.services[:3]:  # some tiles with people waiting
        app.core.take_ticket(svc["code"])
    app.core.refresh()
    unprinted = Outcome(ticket=dict(printed.ticket), printed=False, fault="paper_out", qr_url=printed.qr_url)
    # a real 帮办代办 request (the longest matter name, the name picked) for the confirmation
    from kiosk.assist import AssistForm
    svc_land = app.core.service("land")
    form = AssistForm(service=svc_land, matter=svc_land["guide"]["matters"][0], delivery="post",
                      surname="欧阳", title="ms", phone="13800138000")
    assisted = app.core.request_assist(form, "zh")
    assert assisted.request and assisted.printed, assisted

    problems: list[dict] = []
    shots: list[str] = []
    bands: dict[str, int] = {}  # the tallest strip with nothing drawn across the screen, per shot

    def check(tag: str):
        problems.extend(screen_problems(app.screens[app.current], tag, width, height, app.elder))

    def portrait_type(tag: str):
        if height <= width or app.current != "home":
            return
        need = 56 if app.elder else 40
        for code, tile in app.screens["home"].tiles.items():
            if tile.name_label.font_size < need:
                problems.append({"where": tag, "text": tile.name_label.text,
                                 "problem": f"service name {tile.name_label.font_size}px < {need}px"})

    def shoot(name: str):
        pump(0.05)
        tag = f"{width}x{height}-{app.lang}-{'elder' if app.elder else 'normal'}-{name}"
        check(tag)
        portrait_type(tag)
        bands[tag] = blank_band(app.screens[app.current], height)[0]
        Window.dispatch("on_draw")
        saved = Window.screenshot(name=str(out / f"{tag}.png"))
        final = out / f"{tag}.png"
        os.replace(saved, final)
        shots.append(str(final))

    def apart(above, below, name: str):
        """A line that belongs to the one above it ("正在自动重试…" under the error) sits under
        it, not half a screen away."""
        tag = f"{width}x{height}-{app.lang}-{'elder' if app.elder else 'normal'}-{name}"
        for w in (above, below):
            w.texture_update()
        bottom = above.to_window(*above.center)[1] - above.texture_size[1] / 2
        top = below.to_window(*below.center)[1] + below.texture_size[1] / 2
        if bottom - top > 2 * below.font_size:
            problems.append({"where": tag, "text": below.text[:30],
                             "problem": f"{bottom - top:.0f} px under the line it belongs to"})

    svc_social = app.core.service("social")
    for lang in ("zh", "en"):
        for elder in (False, True):
            app.lang, app.elder = lang, elder
            app.go_home()
            shoot("home")
            app.show("guide", service=svc_social)
            shoot("guide")
            app.show("identify", service=app.core.service("hukou"), mode="required")
            ident = app.screens["identify"]
            for ch in "11010119400307123":
                ident.on_key(ch)
            shoot("identify")
            app.show("checkin")
            shoot("checkin")
            app.screens["progress"].text_key = "printing"
            app.show("progress")
            shoot("progress")
            app.show("ticket", outcome=printed)
            shoot("ticket")
            app.show("ticket", outcome=unprinted)
            shoot("ticket_unprinted")
            app.show("error", message=app.tr("unreachable"), retrying=True)
            shoot("error")
            apart(app.screens["error"].message_label, app.screens["error"].retry_label, "error")
            app.show("admin")
            shoot("admin")
            # 帮办代办, every step (the longest names: the land service and its matter)
            app.show("assist")
            assist = app.screens["assist"]
            shoot("assist_service")
            assist.pick_service(svc_land)
            shoot("assist_matter")
            assist.pick_matter(svc_land["guide"]["matters"][0])
            shoot("assist_delivery")
            assist.pick_delivery("post")
            assist.pick_letter("L")  # the initial with the most surnames
            assist.pick_surname("欧阳")
            assist.pick_title("ms")
            reader, app.devices.reader = app.devices.reader, object()  # the longer hint, with a reader
            assist.rebuild()
            shoot("assist_name")
            assist.pick_letter("?")  # 没有我的姓: the card or the desk, where the surnames were
            shoot("assist_name_unlisted")
            app.devices.reader = reader
            assist.pick_letter("O")
            assist.pick_surname("欧阳")  # 没有我的姓 let go of the surname picked before
            assist.name_done()
            for ch in "1380013800":
                assist.on_key(ch)
            assist.set_message(app.tr("assist_unreachable"), "error")
            shoot("assist_phone")
            assist.form, assist.outcome = form, assisted
            assist.go("done")
            shoot("assist_done")
    app.dispatch("on_stop")
    print(json.dumps({"shots": shots, "problems": problems, "bands": bands}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
