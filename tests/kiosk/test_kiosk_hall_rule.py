"""The kiosk follows the hall's rule for priority groups instead of an age of its own."""
from __future__ import annotations

import logging

from kiosk import config as kconfig


def test_an_old_kiosk_config_with_its_own_elderly_age_still_loads_and_says_it_is_ignored(tmp_path, caplog):
    path = tmp_path / "kiosk.toml"
    path.write_text('[server]\nurl = "http://127.0.0.1:8080"\n[screen]\nelderly_age = 60\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kiosk.config"):
        cfg = kconfig.load(path, env={})
    assert not hasattr(cfg, "elderly_age")
    assert "elderly_age is ignored" in caplog.text


def test_the_hall_tells_devices_its_elderly_rule(api):
    info = api.get("/api/v1/halls/main").body
    assert info["elderly_age"] == 65 and "elderly" in info["priority_groups"]
