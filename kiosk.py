#!/usr/bin/env python3
"""Start the hall's touchscreen kiosk.

    python kiosk.py [--config kiosk.toml] [--windowed] [--screenshot PATH --quit-after S]

Config: --config or HALLQ_KIOSK_CONFIG (see assets/kiosk/kiosk.example.toml), then the
environment: HALLQ_SERVER, HALLQ_DEVICE_TOKEN, HALLQ_PRINTER, HALLQ_CAMERA, HALLQ_IDREADER,
HALLQ_FULLSCREEN, HALLQ_PUBLIC_URL, HALLQ_KIOSK_PIN. With no display (a test box, CI) set
SDL_VIDEODRIVER=offscreen (Mesa) or run under xvfb-run. See docs/kiosk.md.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="kiosk.py", description="hallq touchscreen kiosk")
    ap.add_argument("--config", help="kiosk config file (TOML); default $HALLQ_KIOSK_CONFIG")
    ap.add_argument("--windowed", action="store_true", help="ignore fullscreen (testing at a desk)")
    ap.add_argument("--screenshot", help="save a screenshot of the home screen to this PNG")
    ap.add_argument("--quit-after", type=float, default=0.0, help="exit after this many seconds")
    args = ap.parse_args(argv)

    os.environ["KIVY_NO_ARGS"] = "1"  # our own options, not Kivy's
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_HOME", os.path.join(tempfile.gettempdir(), "hallq-kiosk-kivy"))
    logging.basicConfig(level=os.environ.get("HALLQ_LOG", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from kiosk.config import load
    try:
        cfg = load(args.config)
    except (OSError, ValueError) as exc:
        print(f"kiosk config: {exc}", file=sys.stderr)
        return 2
    if not cfg.device_token:
        print("warning: no device token (HALLQ_DEVICE_TOKEN or [server] token): "
              "the server will refuse tickets. Create one with: python server.py device add "
              "kiosk-1 --kind kiosk", file=sys.stderr)

    from kivy.config import Config
    Config.set("graphics", "width", str(cfg.width))
    Config.set("graphics", "height", str(cfg.height))
    Config.set("graphics", "fullscreen", "auto" if cfg.fullscreen and not args.windowed else "0")
    Config.set("graphics", "show_cursor", "0" if cfg.fullscreen and not args.windowed else "1")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")

    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.app import KioskApp
    app = KioskApp(cfg)

    if args.screenshot:
        def shoot(_dt):
            Window.dispatch("on_draw")
            base, _ = os.path.splitext(args.screenshot)
            saved = Window.screenshot(name=base + ".png")  # Kivy adds a counter to the name
            if saved:
                os.replace(saved, args.screenshot)
            logging.getLogger("kiosk").info("screenshot saved to %s", args.screenshot)
        Clock.schedule_once(shoot, max(1.0, args.quit_after - 0.5) if args.quit_after else 3.0)
    if args.quit_after:
        Clock.schedule_once(lambda _dt: app.stop(), args.quit_after)
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
