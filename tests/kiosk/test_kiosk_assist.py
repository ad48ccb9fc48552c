"""帮办代办 at the kiosk: the real app against a real server, driven by touches. A resident taps
帮办代办, picks the service, the matter and how the result comes back, gives a surname (or lays the
ID card on the reader) and a mobile number, and sends: the request is on the managers' list with
the phone sealed, a slip comes out of a real TCP printer with the request number and nothing
personal in clear, and a refusal, an unreachable server or a walk-away end in a message or home."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from server.store import tables as t
from tests.kiosk.conftest import FlakyProxy, TcpPrinter
from tests.kiosk.test_ticket_print import decode_escpos, received

pytestmark = pytest.mark.kivy

PHONE = "13800138000"


def requests_on_server(ctx):
    with ctx.db.read() as conn:
        return conn.execute(select(t.assist_requests)).all()


def open_assist(kiosk):
    """Tap 帮办代办 on home. The home screen rebuilds itself when the server's data arrive, and a
    synthetic touch sent in the same frame as a rebuild finds the button not laid out yet: wait
    for it to be in place and tap at once, with no frame in between (a hand's touch always comes
    between frames). A rebuild during the settling pause is waited out the same way."""
    home = kiosk.app.screens["home"]
    kiosk.pump(0.1)
    kiosk.pump(until=lambda: kiosk.app.current == "home" and home.assist_button.get_root_window() is not None
               and home.assist_button.to_window(*home.assist_button.pos)[1] >= 0
               and tuple(home.assist_button.size) != (100, 100), what="the home screen laid out")
    kiosk.tap(home.assist_button)
    return kiosk.wait_screen("assist")


def walk_to_phone(kiosk, service="social", matter=1, surname=("W", "王"), title="ms", press_next=True):
    """Tap 帮办代办 and through the steps to the phone keypad."""
    screen = open_assist(kiosk)
    assert screen.step == "service"
    kiosk.tap(screen.service_buttons[service])
    assert screen.step == "matter"
    kiosk.tap(screen.matter_buttons[matter])
    assert screen.step == "delivery"
    kiosk.tap(screen.delivery_buttons["pickup"])
    assert screen.step == "name"
    if surname:
        kiosk.tap(screen.letter_buttons[surname[0]])
        kiosk.tap(screen.surname_buttons[surname[1]])
    if title:
        kiosk.tap(screen.title_buttons[title])
    if press_next:
        kiosk.tap(screen.next_button)
    return screen


def test_a_request_taken_at_the_kiosk_is_on_the_managers_list_with_the_phone_sealed_and_a_slip(
        live, kiosk_app, caplog):
    caplog.set_level(logging.DEBUG)
    printer = TcpPrinter()
    try:
        kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], printer=printer.url)
        screen = walk_to_phone(kiosk)
        assert screen.step == "phone"
        kiosk.tap(screen.next_button)  # 同意并提交 with no number yet
        assert screen.message_label.text == "请输入11位手机号码" and screen.step == "phone"
        kiosk.type_keys(screen, "1380013800")
        assert screen.phone_label.text == "138 0013 800" and screen.message_label.text == "已输入 10/11 位"
        kiosk.tap(next(b for b in screen.keypad.children if b.key == "DEL"))
        kiosk.type_keys(screen, "00")
        assert screen.phone_label.text == "138 0013 8000"
        assert screen.message_label.text == kiosk.app.tr("assist_phone_ok")  # 请核对号码,然后按「同意并提交」
        assert "按「同意并提交」即表示同意" in screen.consent_label.text
        kiosk.screenshot("assist-phone")
        kiosk.tap(screen.next_button)
        kiosk.pump(until=lambda: screen.step == "done", timeout=15, what="request accepted")
        kiosk.pump(0.1)
        rid = screen.outcome.request["id"]
        assert screen.number_label.text == str(rid)
        shown = " ".join(kiosk.texts())
        assert "王* · 138****8000" in shown and "帮办员将在 1 个工作日内打电话联系您" in shown
        assert f"期限 {screen.outcome.request['due_date']}" in shown and "请取走回执" in shown
        assert PHONE not in shown and "王女士" not in shown
        kiosk.screenshot("assist-done")
        # on the managers' list, masked, and the phone sealed for the agent's call
        live.api.add_staff("boss", [], role="manager")
        listed = live.api.get(live.api.hp("/assist?status=all"), "boss").body
        assert [(r["id"], r["source"], r["service"], r["matter"], r["name_masked"], r["phone_masked"],
                 r["delivery"], r["status"]) for r in listed] == [
            (rid, "kiosk", "social", "高龄津贴申请", "王*", "138****8000", "pickup", "accepted")]
        rows = requests_on_server(live.api.ctx)
        assert PHONE not in str(tuple(rows[0])) and "王女士" not in str(tuple(rows[0]))
        assert live.api.post(live.api.hp(f"/assist/{rid}/contact"), "boss").body["phone"] == PHONE
        # the slip: title, the number large, what happens next; nothing personal in clear
        lines, _ = decode_escpos(received(printer))
        text = [ln["text"] for ln in lines]
        assert text[0] == "帮办代办回执" and text[1] == "三都镇便民服务中心"
        number = next(ln for ln in lines if ln["text"] == str(rid))
        assert number["gs_size"] == 0x22 and number["bold"]
        assert "王* · 138****8000" in text and "到大厅窗口领取" in text
        assert "帮办员将在 1 个工作日内打电话联系您" in text and any(s.startswith("咨询电话") for s in text)
        assert PHONE.encode() not in printer.data and "王女士".encode("gb18030") not in printer.data
        assert PHONE not in caplog.text and "王女士" not in caplog.text
        kiosk.tap(screen.home_button)
        kiosk.wait_screen("home")
        assert screen.form.phone == "" and PHONE not in " ".join(kiosk.texts("assist"))  # forgotten
    finally:
        printer.close()


def test_the_servers_refusal_is_shown_in_its_words_and_nothing_typed_is_lost(live, kiosk_app):
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"])
    screen = walk_to_phone(kiosk)
    kiosk.type_keys(screen, PHONE)
    screen.form.service["code"] = "retired"  # the hall retired the service since the kiosk loaded it
    refusal = live.api.post(live.api.hp("/assist"), "kiosk", json={
        "service": "retired", "matter": "x", "name": "王先生", "phone": PHONE}).body
    kiosk.tap(screen.next_button)
    kiosk.pump(until=lambda: not screen.sending, timeout=15, what="the answer")
    kiosk.pump(0.1)
    assert kiosk.app.current == "assist" and screen.step == "phone"
    assert refusal["message_zh"] and screen.message_label.text == refusal["message_zh"]
    assert screen.phone_label.text == "138 0013 8000"
    assert requests_on_server(live.api.ctx) == []
    kiosk.screenshot("assist-refused")


def test_a_kiosk_whose_token_was_revoked_sends_the_resident_to_the_desk(live, kiosk_app):
    from server.services import auth
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"])
    screen = walk_to_phone(kiosk)
    kiosk.type_keys(screen, PHONE)
    auth.revoke_device(live.api.ctx, "main", "kiosk")  # the hall took this kiosk's token back
    kiosk.tap(screen.next_button)
    kiosk.pump(until=lambda: not screen.sending, timeout=15, what="the answer")
    assert screen.message_label.text == "本机暂时无法提交申请，请到服务台办理"
    assert requests_on_server(live.api.ctx) == [] and kiosk.app.current == "assist"
    kiosk.tap(screen.home_button)
    kiosk.wait_screen("home")


def test_a_send_whose_answer_was_lost_is_sent_again_as_the_same_request(live, kiosk_app):
    proxy = FlakyProxy(live.port)
    try:
        kiosk = kiosk_app(proxy.url, live.api.tokens["kiosk"], request_timeout_s=1.0, ticket_screen_s=0.5)
        screen = walk_to_phone(kiosk, service="hukou", matter=0, surname=("L", "李"), title="mr")
        kiosk.type_keys(screen, PHONE)
        proxy.mode = "swallow"  # the server records it, the answer never arrives
        kiosk.tap(screen.next_button)
        kiosk.pump(until=lambda: not screen.sending, timeout=15, what="the timeout")
        assert screen.message_label.text == kiosk.app.tr("assist_unreachable")
        assert len(requests_on_server(live.api.ctx)) == 1
        proxy.mode = "pass"
        kiosk.tap(screen.next_button)  # the resident presses again
        kiosk.pump(until=lambda: screen.step == "done", timeout=15, what="request accepted")
        assert screen.outcome.request["replayed"] is True
        rows = requests_on_server(live.api.ctx)
        assert len(rows) == 1 and rows[0].id == screen.outcome.request["id"] and rows[0].name_masked == "李*"
        assert rows[0].matter == "户口迁移"
        kiosk.wait_screen("home", timeout=5)  # the confirmation goes home by itself
    finally:
        proxy.close()


def test_a_failure_in_the_send_goes_home_with_an_apology_and_the_kiosk_goes_on(
        live, kiosk_app, monkeypatch):
    from kiosk.core import KioskCore
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"])
    app = kiosk.app

    def broken(self, form, lang="zh"):
        raise KeyError("id")
    monkeypatch.setattr(KioskCore, "request_assist", broken)
    screen = walk_to_phone(kiosk)
    kiosk.type_keys(screen, PHONE)
    kiosk.tap(screen.next_button)
    kiosk.pump(until=lambda: app.recoveries == 1 and app.current == "home", what="recovered")
    kiosk.pump(0.1)
    assert app.screens["home"].toast_label.text == app.tr("sorry_restart") and not app.busy
    monkeypatch.undo()
    kiosk.tap(app.screens["home"].tiles["agri"])  # and the kiosk goes on issuing
    assert kiosk.wait_screen("ticket").outcome.ticket["number"] == "B001"


def test_a_resident_who_walks_away_is_taken_home(live, kiosk_app):
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], idle_timeout_s=1.5)
    screen = open_assist(kiosk)
    kiosk.tap(screen.service_buttons["social"])
    assert screen.step == "matter"
    kiosk.wait_screen("home", timeout=8)
    assert open_assist(kiosk).step == "service"  # the next resident starts afresh


def test_in_english_and_elder_mode_the_id_card_gives_the_name_shown_masked(live, kiosk_app, pty_pair):
    from hardware.idcard_sim import IdCardSimulator, sample_card
    with IdCardSimulator(pty_pair.a, None) as sim:
        kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], idreader=pty_pair.b)
        home = kiosk.app.screens["home"]
        kiosk.tap(home.lang_button)
        kiosk.tap(kiosk.app.screens["home"].elder_button)
        assert kiosk.app.lang == "en" and kiosk.app.elder
        screen = walk_to_phone(kiosk, service="justice", matter=-1, surname=None, title=None, press_next=False)
        assert screen.message_label.text == "Place your ID card on the reader, or pick your surname and title"
        kiosk.tap(screen.next_button)
        assert screen.step == "name" and screen.message_label.text == "Please pick your surname and title"
        sim.insert(sample_card(name="欧阳娜娜"))
        kiosk.pump(until=lambda: screen.form.card_name, timeout=15, what="card read")
        kiosk.pump(0.1)
        assert screen.name_label.text == "欧*" and screen.message_label.text == "ID card read: 欧*"
        kiosk.screenshot("assist-name-en-elder")
        kiosk.tap(screen.next_button)
        assert screen.step == "phone"
        kiosk.type_keys(screen, PHONE)
        kiosk.tap(screen.next_button)
        kiosk.pump(until=lambda: screen.step == "done", timeout=15, what="request accepted")
        kiosk.pump(0.1)
        shown = " ".join(kiosk.texts())
        assert "Accepted" in shown and "An agent will call you within 1 working day" in shown
        assert "Please note the request number" in shown  # no printer here: nothing to take away
        assert "欧阳娜娜" not in shown and PHONE not in shown
        assert any(s.startswith("Assisted service. What should we do?") for s in kiosk.app.spoken)
        assert kiosk.app.spoken[-1].startswith(f"Accepted, request number {screen.outcome.request['id']}")
        kiosk.screenshot("assist-done-en-elder")
    row = requests_on_server(live.api.ctx)[0]
    assert row.name_masked == "欧*" and row.matter.startswith("司法") and "其他事项" in row.matter
