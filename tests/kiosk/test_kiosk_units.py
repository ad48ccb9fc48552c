"""Kiosk logic without a screen: config, SSE parsing, masking, messages, the example config."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kiosk import config
from kiosk.client import ApiError
from kiosk.widgets import id_display
from tests.support import ROOT

EXAMPLE = ROOT / "assets" / "kiosk" / "kiosk.example.toml"


def test_the_example_config_loads_and_the_environment_wins():
    cfg = config.load(EXAMPLE, env={})
    assert cfg.server.startswith("http://") and cfg.print_mode in ("text", "image")
    cfg = config.load(EXAMPLE, env={"HALLQ_SERVER": "http://10.0.0.5:8080/", "HALLQ_PRINTER": "dummy://",
                                    "HALLQ_CAMERA": "0", "HALLQ_FULLSCREEN": "yes",
                                    "HALLQ_DEVICE_TOKEN": "dev_x", "HALLQ_IDREADER": "/dev/ttyUSB0"})
    assert (cfg.server, cfg.printer, cfg.camera, cfg.fullscreen, cfg.device_token, cfg.idreader) == (
        "http://10.0.0.5:8080", "dummy://", "0", True, "dev_x", "/dev/ttyUSB0")
    with pytest.raises(ValueError):
        config.load(EXAMPLE, env={"HALLQ_FULLSCREEN": "maybe"})


def test_the_admin_screen_saves_server_and_token_back_into_the_file(tmp_path):
    p = tmp_path / "kiosk.toml"
    p.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    cfg = config.load(p, env={})
    cfg.server, cfg.device_token = "http://192.168.1.9:8080", "dev_new"
    config.save_connection(cfg)
    again = config.load(p, env={})
    assert (again.server, again.device_token) == ("http://192.168.1.9:8080", "dev_new")
    assert again.print_mode == cfg.print_mode


def test_a_typed_id_number_shows_every_digit_until_it_is_confirmed():
    assert id_display("1101") == "1101"
    assert id_display("110101194") == "110101 194"  # grouped like the card: area, birth date, rest
    assert id_display("110101194003071230") == "110101 19400307 1230"
    assert id_display("110101194003071230", confirmed=True) == "1101**********1230"


def test_server_messages_are_split_by_language():
    e = ApiError(409, "service_closed", "「社会事务综合」当前不在办理时间 (Social affairs is closed now)",
                 "「社会事务综合」当前不在办理时间", "Social affairs is closed now")
    assert e.text("zh") == "「社会事务综合」当前不在办理时间" and e.text("en") == "Social affairs is closed now"


def test_kiosk_py_starts_renders_home_and_quits(tmp_path):
    shot = tmp_path / "kiosk-home.png"
    env = {**os.environ, "SDL_VIDEODRIVER": os.environ.get("SDL_VIDEODRIVER", "offscreen"),
           "HALLQ_SERVER": "http://127.0.0.1:9", "HALLQ_DEVICE_TOKEN": "dev_none",
           "KIVY_HOME": str(tmp_path / "kivy")}
    proc = subprocess.run([sys.executable, str(ROOT / "kiosk.py"), "--config", str(EXAMPLE),
                           "--windowed", "--screenshot", str(shot), "--quit-after", "3"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 5000
