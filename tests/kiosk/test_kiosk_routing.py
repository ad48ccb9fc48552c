"""What a scan or a card does on each screen, the screen sizes and the ticket's words: the kiosk's
rules without Kivy (this file must not import it)."""
from __future__ import annotations

import sys

from kiosk.core import usable_public_url
from kiosk.layout import Layout
from kiosk.routing import REPEAT_S, Router, Where, classify
from kiosk.ticket_text import ticket_text, wait_line

ELDER_ID = "110101194003071230"
BOOKING = "K7QX2M.261130.ABCDEFGH"


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_routing_and_its_friends_do_not_import_kivy():
    import subprocess
    code = ("import sys, kiosk.routing, kiosk.layout, kiosk.ticket_text, kiosk.core, kiosk.assist; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_codes_are_told_apart():
    assert classify(ELDER_ID, "main") == ("id_number", ELDER_ID)
    assert classify(BOOKING, "main") == ("booking", BOOKING)
    assert classify("KA3 HJ4M", "main") == ("booking", "KA3 HJ4M")  # the short code as shown
    assert classify("http://192.168.1.10:8080/t/abc123", "main")[0] == "ticket_link"
    assert classify("http://192.168.1.10:8080/halls/north/book", "main")[0] == "other_hall"
    assert classify("hello", "main")[0] == "unknown"
    assert classify(ELDER_ID[:-1] + "5", "main")[0] == "unknown"  # wrong check digit


def test_an_id_card_on_home_checks_in_and_once_only_while_it_is_read_again():
    clock = Clock()
    r = Router(clock)
    act = r.route_card(ELDER_ID, True, Where("home"))
    assert (act.kind, act.id_number) == ("checkin", ELDER_ID)
    clock.now += 1
    assert r.route_card(ELDER_ID, True, Where("ticket")).kind == "ignore"  # the card read twice
    clock.now += REPEAT_S + 1
    assert r.route_card(ELDER_ID, True, Where("home")).kind == "checkin"


def test_on_the_identify_screen_an_id_goes_with_the_service():
    r = Router(Clock())
    act = r.route_card(ELDER_ID, True, Where("identify", service="social"))
    assert (act.kind, act.service, act.id_number) == ("issue", "social", ELDER_ID)
    act = r.route_code(ELDER_ID, Where("identify", service="land"))
    assert (act.kind, act.service) == ("issue", "land")
    assert r.route_code(BOOKING, Where("identify", service="land")).text_key == "scan_id_here"


def test_while_busy_input_is_ignored_and_admin_tests_show_masked():
    r = Router(Clock())
    assert r.route_card(ELDER_ID, True, Where("progress", busy=True)).kind == "ignore"
    assert r.route_code(BOOKING, Where("home", busy=True)).kind == "ignore"
    act = r.route_card(ELDER_ID, True, Where("admin", admin_test="reader"))
    assert act.kind == "admin_status" and act.shown == "1101**********1230"
    assert r.route_code(ELDER_ID, Where("admin", admin_test="scanner")).shown == "1101**********1230"
    assert r.route_code(BOOKING, Where("admin")).kind == "ignore"


def test_a_booking_qr_checks_in_and_other_codes_get_a_plain_answer():
    r = Router(Clock())
    act = r.route_code(BOOKING, Where("home"))
    assert (act.kind, act.code) == ("checkin", BOOKING)
    assert r.route_code("http://10.0.0.2:8080/t/zzz", Where("home")).text_key == "ticket_qr_scanned"
    assert r.route_code("https://x.example/halls/other/book", Where("checkin")).text_key == "other_hall_qr"
    assert r.route_code("garbage", Where("guide")).text_key == "unknown_qr"
    assert r.route_card("", False, Where("home")).text_key == "card_unreadable"


def test_layouts_for_the_screens_halls_buy():
    portrait = Layout(1080, 1920)
    assert portrait.portrait and portrait.columns(8) == 2 and portrait.rows(8) == 4
    assert portrait.name_px >= 40 and Layout(1080, 1920, elder=True).name_px >= 56
    assert Layout(1920, 1080).columns(8) == 4 and Layout(1280, 800).columns(8) == 4
    assert Layout(1280, 800, elder=True).columns(8) == 2  # elder mode: two to a row, bigger
    assert Layout(1280, 800, elder=True).name_px > Layout(1280, 800).name_px
    assert Layout(1280, 800, elder=True).timeout_s(45) == 90 and Layout(1280, 800).timeout_s(45) == 45
    kw, kh = portrait.key_size
    assert kw < 2 * kh and kh < 2 * kw  # keys keep a finger's shape


def test_elder_mode_keys_are_never_under_80_px_and_surnames_page_only_where_a_screen_is_short():
    from kiosk.assist import COMMON, SURNAMES, surname_pages
    most = max(len(COMMON), *(len(v) for v in SURNAMES.values()))
    for width, height in ((1080, 1920), (1920, 1080), (1280, 800), (1366, 768)):
        elder, normal = Layout(width, height, elder=True), Layout(width, height)
        step = elder.name_step(len(SURNAMES), most)
        assert min(step.letter_h, step.name_h, step.row_h, *elder.guide_key, *elder.key_size) >= 80
        assert elder.key(10) == 80 and normal.key(10) == normal.px(10)  # normal mode keeps its design
        # header, name row, message, initials, surnames and buttons fit the screen
        used = (2 * elder.pad + 2 * elder.bar_h + step.row_h + step.message_h + step.letters_h + step.names_h()
                + (step.prompt_h if elder.portrait else 0) + (8 if elder.portrait else 6) * elder.gap)
        assert used <= height, (width, height, used)
        assert step.prompt_in_row is not elder.portrait
        # the halls' three screens show every initial at once; 1366x768 one row a page
        assert (step.page_size >= most) is ((width, height) != (1366, 768))
    short = Layout(1366, 768, elder=True).name_step(len(SURNAMES), most)
    pages = surname_pages(SURNAMES["L"], short.page_size)
    assert [len(p) for p in pages] == [6, 6, 4] and sum(pages, ()) == SURNAMES["L"]  # two places: 上一页 下一页
    assert surname_pages(SURNAMES["A"], short.page_size) == [SURNAMES["A"]]
    assert surname_pages(SURNAMES["W"], 10) == [SURNAMES["W"]]  # exactly full: no page keys


def test_the_wait_under_a_minute_is_soon_never_zero_minutes():
    assert wait_line(30, "zh") == "即将叫号" and wait_line(0, "zh") == "即将叫号"
    assert wait_line(600, "zh") == "预计等候约 10 分钟" and wait_line(None, "zh") is None
    assert wait_line(90, "en") == "Estimated wait about 2 min"


def test_ticket_words_are_in_one_language():
    hall = {"name": "三都镇便民服务中心", "name_en": "Sandu Town Service Centre",
            "notice": "请携带本人身份证件，按号等候。投诉电话：12345", "notice_en": "Complaints: 12345",
            "pass_rule": "过号请重新取号", "pass_rule_en": "Missed? Take a new ticket"}
    svc = {"code": "social", "name": "社会事务综合", "name_en": "Social affairs", "windows": [1, 2, 3]}
    ticket = {"number": "A007", "service": "social", "ahead": 2, "estimated_wait_s": 20,
              "priority": "elderly", "hall_name": "三都镇便民服务中心", "service_name": "社会事务综合"}
    zh = ticket_text(ticket, svc, hall, "zh", "2026-11-30 09:41")
    assert (zh.service, zh.ahead, zh.wait, zh.windows, zh.priority, zh.pass_rule) == (
        "社会事务综合", "前面还有 2 人", "即将叫号", "请到 1、2、3 号窗口办理", "老年人优先", "过号请重新取号")
    assert zh.notice == ["请携带本人身份证件，按号等候。", "投诉电话：12345"]
    assert not any(line.strip() == "。" for line in zh.notice)
    en = ticket_text(ticket, svc, hall, "en", "2026-11-30 09:41")
    words = " ".join(str(v) for v in vars(en).values() if v)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in words), words  # no Chinese on an English ticket
    assert en.windows == "Served at windows 1, 2 or 3" and en.priority == "Elderly"


def test_a_loopback_public_url_gives_no_qr():
    assert usable_public_url("") is None and usable_public_url("http://127.0.0.1:8080") is None
    assert usable_public_url("http://localhost:8080/") is None and usable_public_url("http://[::1]/") is None
    assert usable_public_url("http://192.168.1.10:8080/") == "http://192.168.1.10:8080"
    assert usable_public_url("https://hall.example.cn") == "https://hall.example.cn"


def test_an_id_card_on_the_assist_screen_gives_the_name_and_nothing_else():
    router = Router(Clock())
    assert router.route_card(ELDER_ID, True, Where("assist")).kind == "assist_card"
    assert router.route_card(ELDER_ID, True, Where("assist", busy=True)).kind == "ignore"
    assert router.route_card(None, False, Where("assist")).text_key == "card_unreadable"
    assert router.route_code(ELDER_ID, Where("assist")).kind == "ignore"  # a scan does nothing there


def test_an_assist_form_sends_what_the_phone_page_sends_and_never_logs_the_person_whole():
    from kiosk.assist import SURNAMES, AssistForm, phone_display
    svc = {"code": "social", "name": "社会事务综合", "name_en": "Social affairs",
           "guide": {"matters": [{"name": "高龄津贴申请", "name_en": "Old-age allowance"}]}}
    form = AssistForm(service=svc, matter=svc["guide"]["matters"][0], surname="王", title="ms",
                      phone="13800138000")
    assert form.body() == {"service": "social", "matter": "高龄津贴申请", "name": "王女士",
                           "phone": "13800138000", "delivery": "pickup"}
    assert form.name_shown("zh") == "王女士" and form.name_shown("en") == "Ms 王"
    assert "13800138000" not in repr(form) and "王女士" not in repr(form) and "138****8000" in repr(form)
    form.card_name = "欧阳娜娜"  # the card's name wins, and is shown masked
    assert form.body()["name"] == "欧阳娜娜" and form.name_shown("zh") == "欧*"
    other = AssistForm(service=svc, other_matter=True, surname="李", title="mr", phone="13900000000")
    assert other.body()["matter"].startswith("社会事务综合") and "其他事项" in other.body()["matter"]
    assert AssistForm(surname="王").name == ""  # a surname without 先生/女士 is not a name yet
    assert phone_display("1380013") == "138 0013" and phone_display("13800138000") == "138 0013 8000"
    assert not AssistForm(phone="12800138000").phone_ok and not AssistForm(phone="1380013800").phone_ok
    assert all(len(v) == len(set(v)) and len(v) <= 16 for v in SURNAMES.values())



def test_keypads_are_large_and_stay_inside_the_screen():
    """The ID and phone keypad: in landscape as tall as the body between the bars allows (up to
    the 140 px design), in portrait 180 px keys within the screen's width."""
    for width, height in ((1080, 1920), (1920, 1080), (1280, 800), (1366, 768)):
        for elder in (False, True):
            lay = Layout(width, height, elder=elder)
            kw, kh = lay.key_size
            pad_w, pad_h = 3 * kw + 2 * lay.keypad_gap, 4 * kh + 3 * lay.keypad_gap
            assert kw < 2 * kh and kh < 2 * kw and min(kw, kh) >= lay.min_key
            if lay.portrait:
                assert kh == lay.px(180) and pad_w <= width - 2 * lay.pad
            else:
                body = height - 2 * lay.pad - 2 * lay.bar_h - 2 * lay.gap
                assert pad_h <= body and pad_w <= (width - 2 * lay.pad - lay.gap) / 2
                assert kh == lay.px(140) or pad_h > body - 4 * lay.keypad_gap  # capped, or fills it
    assert Layout(1280, 800).key_size[1] > 77  # was 150x104 design px: 77 px tall at 1280x800


def test_what_a_resident_must_read_is_never_under_26_px():
    """The ways to give the ID, the message under the number and what the phone is used for: their
    design size, and never under READ_MIN on a short landscape screen."""
    from kiosk.layout import READ_MIN
    assert READ_MIN == 26
    assert Layout(1280, 800).read_px(30) == READ_MIN > Layout(1280, 800).px(30)
    assert Layout(1080, 1920).read_px(30) == Layout(1080, 1920).px(30) == 30
    assert Layout(1920, 1080, elder=True).read_px(30) == 39
