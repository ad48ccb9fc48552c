"""Small Kivy building blocks for the kiosk's screens: labels that wrap, coloured panels,
big touch buttons, service tiles, the ID-number keypad and QR images. All text uses the CJK
font registered by `register_fonts` (Kivy's default Roboto draws Chinese as boxes)."""
from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.graphics import Color, Line, RoundedRectangle
from kivy.properties import ListProperty, NumericProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.widget import Widget

FONT = "cjk"

# colours (r, g, b, a): government-service blue on a light background, high contrast text
BG = (0.95, 0.96, 0.98, 1)
BLUE = (0.04, 0.31, 0.61, 1)
BLUE_DARK = (0.02, 0.22, 0.45, 1)
WHITE = (1, 1, 1, 1)
TEXT = (0.10, 0.12, 0.16, 1)
MUTED = (0.35, 0.38, 0.44, 1)
GREY_BG = (0.86, 0.87, 0.89, 1)
SECONDARY_BG = (0.89, 0.93, 0.98, 1)  # a secondary action (上一步): pale blue, BLUE_DARK text, BLUE outline
GREY_TEXT = (0.45, 0.46, 0.48, 1)
RED = (0.75, 0.11, 0.11, 1)
GREEN = (0.05, 0.50, 0.25, 1)
ORANGE = (0.85, 0.45, 0.05, 1)


def register_fonts(path: str) -> None:
    """The CJK font (wqy-microhei, face 0) as `cjk` and as Kivy's default font."""
    LabelBase.register(FONT, path)
    LabelBase.register(DEFAULT_FONT, path)


class Panel(BoxLayout):
    """A BoxLayout with a rounded background colour."""

    bg = ListProperty(WHITE)
    radius = NumericProperty(12)
    border = ListProperty([0, 0, 0, 0])

    def __init__(self, **kw):
        super().__init__(**kw)
        with self.canvas.before:
            self._c = Color(*self.bg)
            self._r = RoundedRectangle(pos=self.pos, size=self.size, radius=[self.radius])
            self._bc = Color(*self.border)
            self._l = Line(rounded_rectangle=(*self.pos, *self.size, self.radius), width=2)
        self.bind(pos=self._redraw, size=self._redraw, bg=self._redraw, border=self._redraw)

    def _redraw(self, *_):
        self._c.rgba = self.bg
        self._r.pos, self._r.size, self._r.radius = self.pos, self.size, [self.radius]
        self._bc.rgba = self.border
        self._l.rounded_rectangle = (*self.pos, *self.size, self.radius)


def line_texts(label) -> list[str]:
    lines = getattr(getattr(label, "_label", None), "_cached_lines", None) or []
    return ["".join(w.text for w in line.words) for line in lines]


def broken_words(label) -> list[str]:
    """Places where a rendered label wrapped inside a word ("Appointme|nt"): the texture must
    be up to date. Breaks between CJK characters are normal typesetting and not reported."""
    text, i, out = label.text, 0, []
    lines = [s for s in line_texts(label) if s]
    for n, line in enumerate(lines):
        j = text.find(line, i)
        if j < 0:
            return out  # markup or shortening: nothing to compare
        end = j + len(line)
        if n + 1 < len(lines) and end < len(text):
            left, right = text[end - 1], text[end]
            if (left.isascii() and left.isalnum() and right.isascii() and right.isalnum()):
                out.append(f"{line}|{lines[n + 1]}")
        i = end
    return out


# Chinese line-breaking (禁则): a line never starts with a closing mark; the same set the
# printed ticket keeps (hardware/printer.py NO_LINE_START)
NO_LINE_START = frozenset("，。、：；！？）」』”》…,.:;!?)")


def bad_line_starts(label) -> list[str]:
    """Lines after the first that start with ，。、）」 etc. (the texture must be up to date)."""
    lines = [s for s in line_texts(label) if s]
    return [line for line in lines[1:] if line[0] in NO_LINE_START]


def widow(label) -> bool:
    """A wrapped Chinese text whose last line is one or two characters alone ("意。"), which
    typesetting avoids (the texture must be up to date)."""
    lines = [s.strip() for s in line_texts(label) if s.strip()]
    return len(lines) >= 2 and len(lines[-1]) <= 2 and not lines[-1].isascii()


def line_count(label) -> int:
    return len([s for s in line_texts(label) if s])


class Text(Label):
    """A label in the CJK font.

    one_line: never wraps; the font shrinks (down to min_size) until the text fits the width
    and height it gets (service names, the wait line, buttons). Otherwise the text wraps at the
    widget's width, shrinking when a word would have to be cut; auto_height makes the widget as
    tall as its text (guide paragraphs in a scroll view). prefer_one_line: one line, unless that
    would shrink the text below 80% of its size; then it wraps between words (buttons' English).
    balance: two wrapped lines are made about one length, never a word alone on the second."""

    def __init__(self, text="", size=24, color=TEXT, bold=False, halign="center",
                 valign="middle", auto_height=False, one_line=False, min_size=None, prefer_one_line=False,
                 balance=False, **kw):
        super().__init__(text=text, font_name=FONT, font_size=size, color=color, bold=bold,
                         halign=halign, valign=valign, **kw)
        self.base_size = size
        self.min_size = min_size or max(12, int(size * 0.6))
        self.one_line = one_line
        self.prefer_one_line = prefer_one_line  # one line unless that shrinks it below 80%: then wrap
        self.balance = balance or prefer_one_line  # two wrapped lines of about one length
        self._auto = auto_height
        if auto_height:
            self.size_hint_y = None
            self.bind(texture_size=lambda *_: setattr(self, "height", self.texture_size[1] + 4))
        self.bind(width=self._fit, text=self._fit)
        if not auto_height:  # an auto-height label's height follows its text, not the reverse
            self.bind(height=self._fit)
        self._fit()

    def set_base_size(self, size: int) -> None:
        self.base_size = size
        self._fit()

    def _fit(self, *_):
        avail = max(1, self.width - 8)
        size = self.base_size
        if self.one_line or self.prefer_one_line:
            self._fit_one_line(avail, size)
            if self.one_line or self.font_size >= 0.8 * size or " " not in self.text.strip():
                return
        self._fit_wrapping(avail, size)

    def _fit_one_line(self, avail: float, size: int):
        self.padding = [0, 0, 0, 0]
        self.text_size = (None, None)
        self.font_size = size
        self.texture_update()
        tw, th = self.texture_size
        if tw > avail - 2 or (not self._auto and th > self.height > 1):
            ratio = min((avail - 2) / max(tw, 1), (self.height / max(th, 1)) if not self._auto else 1)
            self.font_size = max(self.min_size, int(size * min(1.0, ratio)))
        self.text_size = (avail, None)  # fits now: the text size only aligns it
        for _ in range(4):  # Kivy's wrapping measures a little differently: make sure
            self.texture_update()
            if line_count(self) <= 1 or self.font_size <= self.min_size:
                break
            self.font_size = max(self.min_size, self.font_size - 2)

    def _fit_wrapping(self, avail: float, size: int):
        # wrapping text: width only (a full-height texture costs ~10x to render)
        self.padding = [0, 0, 0, 0]
        self.text_size = (avail, None)
        self.font_size = size
        if self.width <= 1 or not self.text:
            return
        for _ in range(6):
            self.texture_update()
            too_tall = not self._auto and self.texture_size[1] > self.height > 1
            if not (broken_words(self) or too_tall) or self.font_size <= self.min_size:
                break
            self.font_size = max(self.min_size, int(self.font_size * 0.88))
        # a line that would start with "，": wrap one character earlier, so the character before
        # the mark goes down with it (as Chinese typesetting does). Padding on the side the text
        # does not start from narrows the lines and keeps the texture, so the text stays aligned.
        cut = 0
        for _ in range(3):
            if not bad_line_starts(self):
                break
            cut += self.font_size
            self._narrow(cut)
        if self.balance and line_count(self) == 2:
            self._balance(cut)
        elif widow(self):
            self._no_widow(cut)

    def _narrow(self, cut: float):
        self.padding = {"left": [0, 0, cut, 0], "right": [cut, 0, 0, 0]}.get(self.halign, [cut / 2, 0, cut / 2, 0])
        self.texture_update()

    def _no_widow(self, cut: float):
        """The last of several lines not a character or two alone ("意。"): narrow the lines, a
        character at a time, while their count stays, until more go down with it."""
        n = line_count(self)
        step = self.font_size
        for _ in range(8):
            self._narrow(cut + step)
            if line_count(self) != n or broken_words(self) or bad_line_starts(self):
                self._narrow(cut)
                return
            if not widow(self):
                return
            step += self.font_size
        self._narrow(cut)

    def _balance(self, cut: float):
        """Two lines of about one length ("How should we / address you?"), not a word left alone
        on the second: narrow the lines while they stay two, whole words, and the second short."""
        step = self.font_size / 2
        for _ in range(40):
            first, last = [s for s in line_texts(self) if s][:2]
            if len(last) >= 0.6 * len(first):
                return
            self._narrow(cut + step)
            if line_count(self) != 2 or broken_words(self) or bad_line_starts(self):
                self._narrow(cut)
                return
            cut += step


class BigButton(ButtonBehavior, Panel):
    """A touch button: coloured panel with one line of text (and an optional second). wrap: the
    text may take two lines, broken between words, rather than shrink ("Appointment / check-in")."""

    def __init__(self, text, size=30, bg=BLUE, color=WHITE, sub=None, sub_size=None, wrap=False, **kw):
        super().__init__(orientation="vertical", bg=list(bg), padding=(10, 6), **kw)
        self.base_bg = list(bg)
        self.label = Text(text, size=size, color=color, bold=True, one_line=not wrap, prefer_one_line=wrap)
        self.add_widget(self.label)
        if sub:
            self.add_widget(Text(sub, size=sub_size or int(size * 0.6), color=color, one_line=True))

    def on_press(self):
        self.bg = [c * 0.85 for c in self.base_bg[:3]] + [1]

    def on_release(self):
        self.bg = self.base_bg


def wait_text(service: dict, tr) -> str:
    """The tile's one wait line: "等候 3 人 · 约 12 分钟"."""
    waiting = int(service.get("waiting") or 0)
    if not waiting:
        return tr("no_wait")
    seconds = service.get("estimated_wait_s") or 0
    wait = tr("est_wait", m=round(seconds / 60)) if seconds >= 60 else tr("soon")
    return f"{tr('waiting', n=waiting)} · {wait}"


class ServiceTile(ButtonBehavior, Panel):
    """One service on the home screen: prefix and name, the wait line, and a guide button
    (ⓘ 指南) in the corner; a tap anywhere else takes a ticket. Closed: grey with its hours."""

    def __init__(self, service: dict, lang: str, lay, tr, on_guide=None, **kw):
        open_ = bool(service.get("open", True))
        pad = max(8, int(lay.px(12)))
        super().__init__(orientation="vertical" if lay.tile_stacked else "horizontal", padding=(pad, pad // 2),
                         spacing=0 if lay.tile_stacked else pad, bg=list(WHITE if open_ else GREY_BG),
                         border=list(BLUE if open_ else (0.75, 0.76, 0.78, 1)), **kw)
        self.service = service
        self.code = service.get("code")
        name = service.get("name_en") if lang == "en" and service.get("name_en") else service.get("name", "")
        colour = BLUE_DARK if open_ else GREY_TEXT
        self.guide_button = None
        if on_guide is not None and (service.get("guide") or {}).get("description"):
            width, height = lay.guide_key
            size = dict(size_hint=(None, None), height=height) if lay.tile_stacked else dict(size_hint_x=None)
            g = BigButton("ⓘ " + tr("guide_short"), size=lay.guide_px, bg=WHITE, color=BLUE,
                          border=list(BLUE), width=lay.guide_key_en if lang == "en" else width,
                          pos_hint={"center_y": 0.5}, **size)
            g.bind(on_release=lambda *_: on_guide(self.code))
            self.guide_button = g
        prefix = Text(service.get("prefix", ""), size=lay.px(30), bold=True, one_line=True,
                      color=BLUE if open_ else GREY_TEXT, size_hint_x=None, width=lay.px(44))
        name_h = int(lay.name_px * 1.35)
        # an English name may wrap between words; a Chinese one stays on one line
        one_line_name = lang != "en" or " " not in name
        self.name_label = Text(name, size=lay.name_px, bold=True, one_line=one_line_name,
                               min_size=int(lay.name_px * 0.75), color=colour)
        if open_:
            line = wait_text(service, tr)
        else:
            line = f"{tr('closed')} · {tr('hours', hours=' '.join(service.get('hours') or []))}"
        self.wait_label = Text(line, size=lay.wait_px, color=TEXT if open_ else GREY_TEXT, bold=not open_,
                               one_line=True, size_hint_y=None, height=int(lay.wait_px * 1.5))
        if lay.tile_stacked:
            top = BoxLayout(size_hint_y=None, height=lay.guide_key[1])
            top.add_widget(prefix)
            top.add_widget(Widget())
            if self.guide_button is not None:
                top.add_widget(self.guide_button)
            self.add_widget(top)
            self.add_widget(self.name_label)
            self.add_widget(self.wait_label)
        else:  # elder landscape: prefix and name over the wait line, ⓘ down the right side
            left = BoxLayout(orientation="vertical")
            row = BoxLayout(spacing=4)
            row.add_widget(prefix)
            row.add_widget(self.name_label)
            self.name_label.size_hint_min_y = name_h
            left.add_widget(row)
            left.add_widget(self.wait_label)
            self.add_widget(left)
            if self.guide_button is not None:
                self.add_widget(self.guide_button)

    def on_press(self):
        if self.service.get("open", True):
            self.bg = [0.85, 0.91, 0.98, 1]

    def on_release(self):
        self.bg = list(WHITE if self.service.get("open", True) else GREY_BG)


def id_display(typed: str, confirmed: bool = False) -> str:
    """The ID number on the keypad screen: every digit in clear while typed (grouped 6-8-4 so a
    resident can check them against the card), masked only once it has been confirmed."""
    if confirmed:
        from rules.identity import mask_id_number
        return mask_id_number(typed)
    groups = [typed[:6], typed[6:14], typed[14:]]
    return " ".join(g for g in groups if g)


ID_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "DEL")
PHONE_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "CLR", "0", "DEL")


class Keypad(GridLayout):
    """Digits, X and delete for typing an 18-character ID number (or, with PHONE_KEYS, digits,
    clear and delete for a phone number); keys keep a finger's size (never stretched into bars)
    and the pad is centred where it is put."""

    def __init__(self, on_key, tr, lay, keys=ID_KEYS, key_size=None, **kw):
        kw_, kh = key_size or lay.key_size
        gap = lay.keypad_gap
        super().__init__(cols=3, spacing=gap, size_hint=(None, None), width=3 * kw_ + 2 * gap,
                         height=4 * kh + 3 * gap, **kw)
        words = {"DEL": "delete", "CLR": "clear"}
        for k in keys:
            label = tr(words[k]) if k in words else k
            b = BigButton(label, size=lay.key_px if k not in words else max(lay.px(32), int(lay.key_px * 0.75)),
                          bg=WHITE if k not in words else GREY_BG, color=TEXT, border=list(BLUE),
                          size_hint=(None, None), width=kw_, height=kh)
            b.key = k
            b.bind(on_release=lambda btn: on_key(btn.key))
            self.add_widget(b)


def qr_image(data: str, px: int) -> Image:
    """A QR code (never a Micro QR: zbar and many phones cannot read those) as a Kivy image."""
    import segno
    qr = segno.make_qr(data, error="m")
    buf = io.BytesIO()
    modules = qr.symbol_size(scale=1, border=2)[0]
    qr.save(buf, kind="png", scale=max(2, px // modules), border=2)
    buf.seek(0)
    tex = CoreImage(buf, ext="png").texture
    tex.mag_filter = "nearest"
    img = Image(texture=tex, size_hint=(None, None), size=(px, px), fit_mode="contain")
    img.qr_data = data
    return img
