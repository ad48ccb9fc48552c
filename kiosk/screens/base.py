"""What every kiosk screen shares: it rebuilds its content on entry and when the language,
elder mode or window size change, takes its sizes from the Layout, and says what elder mode
speaks on it."""
from __future__ import annotations

from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from .. import i18n
from ..layout import Layout
from ..widgets import BG, BLUE, GREEN, MUTED, RED, WHITE, Panel, Text


class KioskScreen(Screen):
    def __init__(self, app, **kw):
        super().__init__(**kw)
        self.app = app
        self.body = Panel(orientation="vertical", bg=list(BG), radius=0)
        self.add_widget(self.body)

    @property
    def lay(self) -> Layout:
        return self.app.layout

    def tr(self, key, **values):
        return i18n.t(key, self.app.lang, **values)

    def on_pre_enter(self, *_):
        self.rebuild()

    def rebuild(self):
        lay = self.lay
        self.body.clear_widgets()
        self.body.padding = (lay.pad, lay.pad)
        self.body.spacing = lay.gap
        self.build()

    def build(self):
        raise NotImplementedError

    def spoken(self) -> str | None:
        """What elder mode says when this screen opens (None: nothing)."""
        key = self.name if self.name in i18n.SPOKEN else None
        return i18n.spoken(key, self.app.lang) if key else None

    # -- pieces
    def header(self, title: str, bg=BLUE) -> Panel:
        lay = self.lay
        bar = Panel(size_hint_y=None, height=lay.bar_h, bg=list(bg), radius=10, padding=(lay.pad, 6))
        self.title_label = Text(title, size=lay.title_px, color=WHITE, bold=True, one_line=True)
        bar.add_widget(self.title_label)
        return bar

    def bottom_bar(self, *buttons) -> BoxLayout:
        lay = self.lay
        bar = BoxLayout(size_hint_y=None, height=lay.bar_h, spacing=lay.gap)
        for b in buttons:
            bar.add_widget(b)
        return bar

    # the line under a typed number (an ID card's, a phone's): `message` in the colour of
    # `message_kind` ("ok", "error", or a hint)
    message = ""
    message_kind = ""

    def message_colour(self):
        return {"ok": GREEN, "error": RED}.get(self.message_kind, MUTED)

    def message_line(self) -> Text:
        """The line under a typed number: one line, bold, never under the must-read size."""
        lay = self.lay
        return Text(self.message, size=lay.read_px(30), bold=True, color=self.message_colour(), one_line=True,
                    size_hint_y=None, height=self.message_line_h())

    def message_line_h(self) -> int:
        return int(self.lay.read_px(30) * 1.6)

    @staticmethod
    def centred(widget, **kw) -> AnchorLayout:
        box = AnchorLayout(anchor_x="center", anchor_y="center", **kw)
        box.add_widget(widget)
        return box
