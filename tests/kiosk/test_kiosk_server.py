"""What the server tells the kiosk beyond the contract's minimum: the windows that serve each
service, the hall's public_url (or why it cannot be used), the 过号 rule and the elderly age."""
from __future__ import annotations

import logging

from server.services import halls


def test_services_name_the_windows_that_serve_them(api):
    r = api.get(api.hp("/services"))
    by_code = {s["code"]: s for s in r.body}
    assert by_code["social"]["windows"] == [1, 2, 3, 11]
    assert by_code["land"]["windows"] == [5, 6]


def test_an_unset_public_url_is_warned_about_and_not_handed_out(api, ctx, caplog):
    info = api.get(api.hp("")).body
    assert info["public_url"] == "" and "public_url" in info["public_url_warning"]
    assert info["pass_rule"].startswith("叫号后未到") and info["pass_rule_en"]
    assert info["elderly_age"] == 65
    with caplog.at_level(logging.WARNING):
        assert halls.warn_public_urls(ctx)
    assert any("public_url" in r.getMessage() for r in caplog.records)


def test_a_loopback_public_url_is_refused_and_a_lan_one_handed_out(api, ctx):
    data = halls.read_config()
    data["hall"]["public_url"] = "http://127.0.0.1:8080"
    halls.load_hall(ctx, data)
    info = api.get(api.hp("")).body
    assert info["public_url"] == "" and "127.0.0.1" in info["public_url_warning"]
    data["hall"]["public_url"] = "http://192.168.1.10:8080/"
    halls.load_hall(ctx, data)
    info = api.get(api.hp("")).body
    assert info["public_url"] == "http://192.168.1.10:8080" and info["public_url_warning"] is None
    assert halls.warn_public_urls(ctx) == []
