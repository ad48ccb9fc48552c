"""Keys a resident may miss or misread, measured on the real kiosk app (offscreen, the window set to
each size halls buy, Chinese and English): the tile's ⓘ 指南 key is a finger's target in normal
mode too (at least 48 px tall, wider than tall, its words at full size); 上一步 is drawn as a way
back, not as the chosen or the primary key, with readable text (WCAG AA); and on portrait elder
mode's name step the hint under the name is elder-sized type, on whole lines, with the keys
taking the room below; on a portrait machine the name step has no blank band under any initial
and its keys grow into the height; on landscape the hint under the name is on one line, as large
as the keys' words, in dark text, and the keys leave no band at the foot."""
from __future__ import annotations

import pytest

from kiosk.layout import READ_MIN, TOUCH_MIN
from kiosk.widgets import BG
from kiosk.assist import COMMON, SURNAMES
from tests.kiosk.fit import blank_band, describe, screen_problems, text_problems
from tests.kiosk.test_kiosk_assist import open_assist
from tests.kiosk.test_kiosk_elder_keys import SIZES, elder_kiosk, sized_window, to_the_name_step  # noqa: F401

pytestmark = pytest.mark.kivy


def home_laid_out(kiosk):
    home = kiosk.app.screens["home"]
    kiosk.pump(until=lambda: kiosk.app.current == "home" and home.assist_button.get_root_window() is not None
               and home.assist_button.to_window(*home.assist_button.pos)[1] >= 0
               and tuple(home.assist_button.size) != (100, 100), what="the home screen laid out")
    kiosk.pump(0.1)
    return home


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_guide_key_is_a_fingers_target_in_normal_mode_at_every_layout(
        width, height, lang, live, kiosk_app, sized_window):  # noqa: F811
    sized_window(width, height)
    kiosk = kiosk_app(live.url, live.api.tokens["kiosk"])
    home = home_laid_out(kiosk)
    if lang == "en":
        kiosk.tap(home.lang_button)
        home = home_laid_out(kiosk)
    assert not kiosk.app.elder and kiosk.app.lang == lang
    guides = [t.guide_button for t in home.tiles.values() if t.guide_button is not None]
    assert guides, "no tile carries ⓘ 指南"
    tag = f"{width}x{height}-{lang}-normal home"
    for key in guides:
        w, h = key.size
        assert h >= TOUCH_MIN and w >= 1.8 * h, f"{tag}: ⓘ key {w:.0f}x{h:.0f} px"
        assert key.label.font_size >= 20 and key.label.font_size >= 0.8 * key.label.base_size, \
            f"{tag}: ⓘ key type {key.label.font_size} px of {key.label.base_size}"
        # inside its tile's top row, clear of the tile's edges
        tile = key.parent.parent
        assert key.top <= tile.top and key.right <= tile.right, f"{tag}: ⓘ key outside its tile"
    problems = text_problems(home, tag, width, height)
    assert not problems, describe(problems)
    kiosk.tap(guides[0])  # still the guide key
    kiosk.wait_screen("guide")


def luminance(rgb) -> float:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def style(key) -> tuple:
    return tuple(round(c, 3) for c in key.bg), tuple(round(c, 3) for c in key.label.color)


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_back_is_drawn_as_a_way_back_not_as_the_chosen_or_primary_key(
        elder, live, kiosk_app, sized_window):  # noqa: F811
    sized_window(1080, 1920)
    if elder:
        kiosk = elder_kiosk(live, kiosk_app, sized_window, 1080, 1920, "zh")
    else:
        kiosk = kiosk_app(live.url, live.api.tokens["kiosk"])
    screen = open_assist(kiosk)
    kiosk.tap(screen.service_buttons["land"])
    kiosk.tap(screen.matter_buttons[0])
    kiosk.tap(screen.delivery_buttons["post"])  # the name step: chosen keys, 下一步 and 上一步 together
    assert screen.step == "name"
    kiosk.tap(screen.letter_buttons["Z"])
    kiosk.tap(screen.surname_buttons["詹"])
    kiosk.pump(0.05)
    back, nxt = screen.prev_button, screen.next_button
    chosen = screen.surname_buttons["詹"]
    unchosen = screen.surname_buttons["张"]
    assert back.label.text == "上一步"
    assert style(back) != style(chosen) and style(back) != style(nxt), (style(back), style(chosen), style(nxt))
    # lighter than the filled keys: the chosen and primary keys are dark with light text, back the reverse
    assert luminance(back.bg) > 0.5 > max(luminance(chosen.bg), luminance(nxt.bg))
    assert luminance(back.label.color) < 0.1
    # and not one more unchosen choice: its own fill
    assert style(back) != style(unchosen) and any(c > 0 for c in back.border[:3])
    assert contrast(back.label.color, back.bg) >= 4.5  # WCAG AA for normal text
    kiosk.tap(back)
    assert screen.step == "delivery" and screen.prev_button is not None
    assert style(screen.prev_button) == style(back)  # one look on every step


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_on_portrait_elder_the_name_hint_is_elder_type_and_the_keys_take_the_room(
        lang, live, kiosk_app, sized_window):  # noqa: F811
    kiosk = elder_kiosk(live, kiosk_app, sized_window, 1080, 1920, lang)
    tag = f"1080x1920-{lang}-elder name"
    problems: list[dict] = []
    screen = to_the_name_step(kiosk, tag, problems)
    kiosk.pump(0.05)
    hint = screen.message_label
    assert hint.text and hint.font_size >= 44, f"hint at {hint.font_size} px"
    sizes = screen.name_sizes()
    assert sizes.name_h >= 150 and sizes.letter_h >= 120
    kiosk.tap(screen.letter_buttons["L"])  # the initial with the most surnames
    kiosk.pump(0.05)
    picker = screen.picker
    below = picker.to_window(picker.x, picker.y)[1] - screen.next_button.to_window(0, screen.next_button.top)[1]
    assert below < 1920 / 8, f"{below:.0f} px left empty under the surnames"
    problems += screen_problems(screen, tag, 1080, 1920, elder=True)
    kiosk.tap(screen.next_button)  # nothing chosen yet: the error goes where the hint was, as large
    assert screen.message_label.text and screen.message_label.font_size >= 44
    problems += screen_problems(screen, f"{tag} error", 1080, 1920, elder=True)
    assert not problems, describe(problems)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_on_portrait_the_name_step_keys_use_the_height_under_every_initial(
        elder, lang, live, kiosk_app, sized_window):  # noqa: F811
    if elder:
        kiosk = elder_kiosk(live, kiosk_app, sized_window, 1080, 1920, lang)
    else:
        sized_window(1080, 1920)
        kiosk = kiosk_app(live.url, live.api.tokens["kiosk"])
        if lang == "en":
            kiosk.tap(home_laid_out(kiosk).lang_button)
    tag = f"1080x1920-{lang}-{'elder' if elder else 'normal'} name"
    problems: list[dict] = []
    screen = to_the_name_step(kiosk, tag, [])
    sizes = screen.name_sizes()
    # larger than the landscape design sizes: the initials about square, the surnames as tall as wide
    assert sizes.letter_h >= 120 and sizes.name_h >= 150, sizes
    assert sizes.letter_px >= 44 and sizes.name_px >= 60, sizes
    bands = {}
    for letter in ("", *SURNAMES):
        kiosk.tap(screen.letter_buttons[letter])
        kiosk.pump(0.02)
        names = SURNAMES.get(letter) or COMMON
        bands[letter or "常用"] = blank_band(screen, 1920)[0]
        rows = {round(b.to_window(*b.pos)[1]) for b in screen.surname_buttons.values()}
        if len(names) > 6:  # enough surnames fill the page's three rows, in wider keys
            assert len(rows) == sizes.name_rows, (letter, rows)
        for b in screen.surname_buttons.values():
            assert b.height >= sizes.name_h - 1 and b.width >= b.height - 2, (letter, b.size)
        problems += screen_problems(screen, f"{tag} {letter or '常用'}", 1080, 1920, elder=elder)
    worst = max(bands, key=bands.get)
    assert bands[worst] <= 150, f"{bands[worst]} px blank under {worst}: {bands}"
    assert not problems, describe(problems)


LANDSCAPE = [(1920, 1080), (1280, 800)]


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width,height", LANDSCAPE, ids=[f"{w}x{h}" for w, h in LANDSCAPE])
def test_on_landscape_the_name_hint_is_large_dark_and_on_one_line_and_the_keys_take_the_room(
        width, height, lang, elder, live, kiosk_app, sized_window):  # noqa: F811
    if elder:
        kiosk = elder_kiosk(live, kiosk_app, sized_window, width, height, lang)
    else:
        sized_window(width, height)
        kiosk = kiosk_app(live.url, live.api.tokens["kiosk"])
        if lang == "en":
            kiosk.tap(home_laid_out(kiosk).lang_button)
    tag = f"{width}x{height}-{lang}-{'elder' if elder else 'normal'} name"
    screen = to_the_name_step(kiosk, tag, [])
    kiosk.pump(0.05)
    band, top = blank_band(screen, height)
    assert band <= height / 16, f"{tag}: {band} px blank {top} px from the top"  # keys take the room
    for state in ("hint", "error"):
        hint = screen.message_label
        hint.texture_update()
        assert hint.text and hint.one_line, (state, hint.text)
        keys_type = screen.letter_buttons[""].label.base_size  # 常用's words
        assert hint.font_size >= max(READ_MIN, keys_type), f"{tag} {state}: {hint.font_size} px < {keys_type}"
        assert hint.font_size >= 0.95 * hint.base_size, f"{tag} {state}: shrunk to {hint.font_size} of {hint.base_size}"
        least = 7 if state == "hint" else 4.5  # WCAG AAA for the hint; the error is bold red (AA)
        assert contrast(hint.color, BG) >= least, f"{tag} {state}: contrast {contrast(hint.color, BG):.1f}"
        problems = screen_problems(screen, f"{tag} {state}", width, height, elder=elder)
        assert not problems, describe(problems)
        kiosk.tap(screen.next_button)  # nothing chosen yet: the error in the hint's place, as large
        kiosk.pump(0.05)
