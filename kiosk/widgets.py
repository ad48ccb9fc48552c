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

FONT = "cjk"

# colours (r, g, b, a): government-service blue on a light background, high contrast text
BG = (0.95, 0.96, 0.98, 1)
BLUE = (0.04, 0.31, 0.61, 1)
BLUE_DARK = (0.02, 0.22, 0.45, 1)
WHITE = (1, 1, 1, 1)
TEXT = (0.10, 0.12, 0.16, 1)
MUTED = (0.35, 0.38, 0.44, 1)
GREY_BG = (0.86, 0.87, 0.89, 1)
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


class Text(Label):
    """A label in the CJK font that wraps to its width and grows to its text's height
    (auto_height) or is centred in the space it gets."""

    def __init__(self, text="", size=24, color=TEXT, bold=False, halign="center",
                 valign="middle", auto_height=False, **kw):
        super().__init__(text=text, font_name=FONT, font_size=size, color=color, bold=bold,
                         halign=halign, valign=valign, **kw)
        self._auto = auto_height
        if auto_height:
            self.size_hint_y = None
            self.bind(texture_size=lambda *_: setattr(self, "height", self.texture_size[1] + 4))
        self.bind(width=self._wrap, height=self._wrap)
        self._wrap()

    def _wrap(self, *_):
        # width only: the texture is as tall as the text (a full-height texture costs ~10x to render)
        self.text_size = (max(1, self.width - 8), None)


class BigButton(ButtonBehavior, Panel):
    """A touch button: coloured panel with one or two lines of text."""

    def __init__(self, text, size=30, bg=BLUE, color=WHITE, sub=None, sub_size=None, **kw):
        super().__init__(orientation="vertical", bg=list(bg), padding=(10, 6), **kw)
        self.base_bg = list(bg)
        self.label = Text(text, size=size, color=color, bold=True)
        self.add_widget(self.label)
        if sub:
            self.add_widget(Text(sub, size=sub_size or int(size * 0.6), color=color))

    def on_press(self):
        self.bg = [c * 0.85 for c in self.base_bg[:3]] + [1]

    def on_release(self):
        self.bg = self.base_bg


class ServiceTile(ButtonBehavior, Panel):
    """One service on the home screen: name, waiting count and estimated wait; closed: grey
    with its hours."""

    def __init__(self, service: dict, lang: str, scale: float, tr, **kw):
        open_ = bool(service.get("open", True))
        super().__init__(orientation="vertical", padding=(14, 10), spacing=4,
                         bg=list(WHITE if open_ else GREY_BG),
                         border=list(BLUE if open_ else (0.75, 0.76, 0.78, 1)), **kw)
        self.service = service
        self.code = service.get("code")
        name = service.get("name_en") if lang == "en" and service.get("name_en") else service.get("name", "")
        prefix = service.get("prefix", "")
        self.add_widget(Text(f"{prefix}  {name}", size=int(32 * scale), bold=True,
                             color=BLUE_DARK if open_ else GREY_TEXT))
        if open_:
            waiting = int(service.get("waiting") or 0)
            minutes = round((service.get("estimated_wait_s") or 0) / 60)
            wait = tr("est_wait", m=minutes) if waiting and minutes else tr("no_wait")
            self.add_widget(Text(f"{tr('waiting', n=waiting)} · {wait}", size=int(24 * scale),
                                 color=TEXT))
        else:
            hours = " ".join(service.get("hours") or [])
            self.add_widget(Text(tr("closed"), size=int(26 * scale), color=GREY_TEXT, bold=True))
            self.add_widget(Text(tr("hours", hours=hours), size=int(20 * scale), color=GREY_TEXT))

    def on_press(self):
        if self.service.get("open", True):
            self.bg = [0.85, 0.91, 0.98, 1]

    def on_release(self):
        self.bg = list(WHITE if self.service.get("open", True) else GREY_BG)


def masked_progress(s: str) -> str:
    """An ID number being typed, shown with at most 8 characters in clear (first 4, last 4)."""
    if len(s) <= 4:
        return s
    head, rest = s[:4], s[4:]
    shown = rest[-4:] if len(s) > 8 else ""
    return head + "*" * (len(rest) - len(shown)) + shown


class Keypad(GridLayout):
    """Digits, X, delete and clear for typing an 18-character ID number."""

    def __init__(self, on_key, tr, scale=1.0, **kw):
        super().__init__(cols=3, spacing=10, **kw)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "DEL"]
        for k in keys:
            label = tr("delete") if k == "DEL" else k
            b = BigButton(label, size=int(40 * scale), bg=WHITE if k != "DEL" else GREY_BG,
                          color=TEXT, border=list(BLUE))
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
