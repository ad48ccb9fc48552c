"""Elder mode's keys are an elderly finger's size: the real kiosk app (offscreen, the window set
to each size halls buy, and 1366x768 where the surnames come a page at a time), driven by touches
through 帮办代办 to the "how to address you" step, then through 常用, every pinyin initial, every
page and 没有我的姓. On every screen on the way every key is at least 80x80 px, no text overflows
or breaks a word (tests/kiosk/fit.py), and the picked surname is the one the resident touched.
A surname the kiosk does not list has its way forward on the screen: the ID card, or the desk."""
from __future__ import annotations

import pytest

from kiosk.assist import COMMON, SURNAMES, UNLISTED, surname_pages
from tests.kiosk.conftest import HEIGHT, WIDTH
from tests.kiosk.fit import describe, keys, screen_problems
from tests.kiosk.test_kiosk_assist import open_assist

pytestmark = pytest.mark.kivy

SIZES = [(1080, 1920), (1920, 1080), (1280, 800)]


@pytest.fixture
def sized_window(kivy_window):
    """sized_window(w, h): the kiosk's window at that size for this test, as it was afterwards.
    Widgets lay out at the new size, but the offscreen GL surface keeps its first size, so a
    screenshot after a resize is garbled: the pictures are render_screens.py's, under Xvfb."""
    def size(width: int, height: int):
        kivy_window.size = (width, height)
        return kivy_window
    yield size
    kivy_window.size = (WIDTH, HEIGHT)


def elder_kiosk(live, kiosk_app, sized_window, width, height, lang, **config):
    sized_window(width, height)
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"], **config)
    app = kiosk.app
    assert tuple(kiosk.window.size) == (width, height)
    kiosk.tap(app.screens["home"].elder_button)
    if lang == "en":
        kiosk.tap(app.screens["home"].lang_button)
    kiosk.pump(0.05)
    assert app.elder and app.lang == lang and app.layout.min_key == 80
    return kiosk


def measured(kiosk, tag: str) -> list[dict]:
    kiosk.pump(0.02)
    screen = kiosk.app.screens[kiosk.app.current]
    assert keys(screen), f"{tag}: no keys found"
    width, height = kiosk.window.size
    return screen_problems(screen, tag, width, height, elder=True)


def to_the_name_step(kiosk, tag: str, problems: list) -> object:
    """Home → 帮办代办 → service → matter → delivery, measuring each screen on the way."""
    problems += measured(kiosk, f"{tag} home")
    screen = open_assist(kiosk)
    problems += measured(kiosk, f"{tag} service")
    kiosk.tap(screen.service_buttons["land"])  # the longest names
    problems += measured(kiosk, f"{tag} matter")
    kiosk.tap(screen.matter_buttons[0])
    problems += measured(kiosk, f"{tag} delivery")
    kiosk.tap(screen.delivery_buttons["post"])
    assert screen.step == "name"
    return screen


def every_page(kiosk, screen, letter: str, tag: str, problems: list) -> list[str]:
    """Tap the initial, then 下一页 to its last page; the surnames seen, in order."""
    kiosk.tap(screen.letter_buttons[letter])
    assert screen.letter == letter and screen.page == 0
    seen = []
    while True:
        problems += measured(kiosk, f"{tag} {letter or '常用'} page {screen.page + 1}")
        seen += list(screen.surname_buttons)
        nxt = screen.page_buttons.get(1)
        if nxt is None or screen.page + 1 >= len(surname_pages(SURNAMES.get(letter) or COMMON,
                                                               screen.name_sizes().page_size)):
            return seen
        page = screen.page
        kiosk.tap(nxt)
        assert screen.page == page + 1


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_in_elder_mode_every_key_of_the_name_step_is_a_fingers_size_at_every_layout(
        width, height, lang, live, kiosk_app, sized_window):
    kiosk = elder_kiosk(live, kiosk_app, sized_window, width, height, lang)
    tag = f"{width}x{height}-{lang}-elder"
    problems: list[dict] = []
    screen = to_the_name_step(kiosk, tag, problems)
    sizes = screen.name_sizes()
    assert sizes.letter_h >= 80 and sizes.name_h >= 80 and sizes.row_h >= 80
    # the halls' three screens hold every initial's surnames on one page: no paging to learn
    assert all(len(names) <= sizes.page_size for names in (COMMON, *SURNAMES.values()))
    for letter in ("", *SURNAMES):
        seen = every_page(kiosk, screen, letter, tag, problems)
        assert seen == list(SURNAMES.get(letter) or COMMON) and not screen.page_buttons
    kiosk.tap(screen.letter_buttons["Z"])
    kiosk.tap(screen.surname_buttons["詹"])
    kiosk.tap(screen.title_buttons["mr"])
    assert screen.form.name == "詹先生"
    assert screen.name_label.text == ("Mr 詹" if lang == "en" else "詹先生")
    kiosk.tap(screen.letter_buttons[UNLISTED])  # "not here": the surname picked before is not theirs
    problems += measured(kiosk, f"{tag} 没有我的姓")
    assert screen.form.name == "" and screen.name_label.text == ("Pick a surname" if lang == "en" else "请选择您的姓")
    kiosk.tap(screen.letter_buttons["Z"])
    kiosk.tap(screen.surname_buttons["詹"])  # the title stays
    kiosk.tap(screen.next_button)
    assert screen.step == "phone" and screen.form.name == "詹先生"
    problems += measured(kiosk, f"{tag} phone")
    assert not problems, describe(problems)


def test_where_the_surnames_do_not_fit_they_come_a_page_at_a_time_with_large_page_keys(
        live, kiosk_app, sized_window):
    kiosk = elder_kiosk(live, kiosk_app, sized_window, 1366, 768, "zh")
    problems: list[dict] = []
    screen = to_the_name_step(kiosk, "1366x768-zh-elder", problems)
    sizes = screen.name_sizes()
    assert sizes.name_rows == 1 and sizes.page_size == sizes.name_cols  # one row of 8 a page
    kiosk.tap(screen.letter_buttons["L"])
    prev, nxt = screen.page_buttons[-1], screen.page_buttons[1]
    assert (prev.label.text, nxt.label.text) == ("上一页", "下一页")
    assert list(screen.surname_buttons) == ["李", "刘", "林", "罗", "梁", "吕"]
    kiosk.tap(prev)  # nothing before the first page
    assert screen.page == 0
    seen = every_page(kiosk, screen, "L", "1366x768-zh-elder", problems)
    assert seen == list(SURNAMES["L"]) and screen.page == 2
    kiosk.tap(screen.page_buttons[1])  # nothing after the last
    assert screen.page == 2 and list(screen.surname_buttons) == ["赖", "蓝", "凌", "骆"]
    kiosk.tap(screen.surname_buttons["骆"])
    kiosk.tap(screen.title_buttons["ms"])
    assert screen.name_label.text == "骆女士" and screen.page == 2  # the page stays while choosing
    kiosk.tap(screen.page_buttons[-1])
    assert list(screen.surname_buttons) == ["陆", "卢", "廖", "龙", "雷", "黎"]
    kiosk.tap(screen.letter_buttons["A"])  # a short initial has no page keys
    assert list(screen.surname_buttons) == ["安", "艾", "敖"] and not screen.page_buttons
    problems += measured(kiosk, "1366x768-zh-elder A")
    assert not problems, describe(problems)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_surname_not_on_the_kiosk_is_told_the_card_or_the_desk_and_the_card_then_names_them(
        lang, live, kiosk_app, sized_window, pty_pair):
    from hardware.idcard_sim import IdCardSimulator, sample_card
    with IdCardSimulator(pty_pair.a, None) as sim:
        kiosk = elder_kiosk(live, kiosk_app, sized_window, 1280, 800, lang, idreader=pty_pair.b)
        problems: list[dict] = []
        screen = to_the_name_step(kiosk, f"1280x800-{lang}-elder", problems)
        kiosk.tap(screen.letter_buttons[UNLISTED])
        shown = [label.text for label in screen.picker.unlisted_labels]
        if lang == "zh":
            assert shown == ["找不到您的姓？", "请把身份证放在读卡区，姓名会自动填写",
                             "没带身份证？请到服务台，工作人员帮您登记"]
        else:
            assert shown == ["Surname not listed?", "Place your ID card on the reader: it fills in your name",
                             "No ID card with you? The staff at the desk will help"]
        assert kiosk.app.spoken[-1] == " ".join(shown)  # elder mode says it too
        assert not screen.surname_buttons
        problems += measured(kiosk, f"1280x800-{lang}-elder unlisted")
        kiosk.screenshot(f"elder-keys-unlisted-card-{lang}")
        kiosk.tap(screen.next_button)  # no name yet: the advice again, not "pick your surname"
        again = ("请把身份证放在读卡区，或到服务台办理" if lang == "zh"
                 else "Place your ID card on the reader, or ask at the desk")
        assert screen.step == "name" and screen.message_label.text == again
        sim.insert(sample_card(name="粟秀英"))  # 粟, a Miao and Dong surname the list lacks
        kiosk.pump(until=lambda: screen.form.card_name, timeout=15, what="card read")
        kiosk.pump(0.1)
        assert screen.name_label.text == "粟*" and screen.letter == ""  # back to 常用: done with the advice
        kiosk.tap(screen.next_button)
        assert screen.step == "phone" and screen.form.name == "粟秀英"
        assert not problems, describe(problems)


def test_without_a_card_reader_the_desk_is_the_way_forward(live, kiosk_app, sized_window):
    kiosk = elder_kiosk(live, kiosk_app, sized_window, 1080, 1920, "zh")
    assert kiosk.app.devices.reader is None
    screen = to_the_name_step(kiosk, "1080x1920-zh-elder", [])
    kiosk.tap(screen.letter_buttons[UNLISTED])
    shown = [label.text for label in screen.picker.unlisted_labels]
    assert shown == ["找不到您的姓？", "请到服务台，工作人员帮您登记"]
    assert screen.message_label.text == "请选择您的姓和称呼"  # no word of a card the kiosk cannot read
    kiosk.tap(screen.next_button)
    assert screen.message_label.text == "请到服务台，工作人员帮您登记"
    problems = measured(kiosk, "1080x1920-zh-elder unlisted, no reader")
    assert not problems, describe(problems)
