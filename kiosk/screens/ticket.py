"""Progress ("正在取号…"), the ticket (number, people ahead, wait, windows, priority, QR) and
the error screen."""
from __future__ import annotations

from kivy.clock import Clock
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.progressbar import ProgressBar
from kivy.uix.widget import Widget

from .. import i18n
from ..core import Outcome
from ..widgets import BLUE, BLUE_DARK, GREEN, MUTED, ORANGE, RED, TEXT, WHITE, BigButton, Panel, Text, qr_image
from .base import KioskScreen


class ProgressScreen(KioskScreen):
    text_key = "working"

    def build(self):
        lay = self.lay
        self.body.add_widget(Widget())
        self.label = Text(self.tr(self.text_key), size=lay.px(48), bold=True, color=BLUE_DARK,
                          one_line=True, size_hint_y=None, height=lay.px(120))
        self.body.add_widget(self.label)
        self.bar = ProgressBar(max=100, value=10, size_hint=(0.7, None), height=40,
                               pos_hint={"center_x": 0.5})
        self.body.add_widget(self.bar)
        self.body.add_widget(Widget())
        Clock.unschedule(self._step)
        Clock.schedule_interval(self._step, 0.05)

    def _step(self, _dt):
        if self.manager is None or self.manager.current != self.name:
            return False
        self.bar.value = (self.bar.value + 3) % 100

    def set_text(self, key):
        self.text_key = key
        if hasattr(self, "label"):
            self.label.text = self.tr(key)

    def spoken(self):
        return i18n.spoken("progress", self.app.lang)


class TicketScreen(KioskScreen):
    outcome: Outcome | None = None

    def title(self) -> str:
        out = self.outcome
        if out.duplicate:
            return self.tr("already_taken")
        if not out.printed:
            return self.tr("not_printed")
        title = self.tr("take_your_ticket")
        if out.ticket.get("appointment"):
            title = f"{self.tr('appointment_ok')} · {title}"
        return title

    def build(self):
        out, lay = self.outcome, self.lay
        text = self.app.core.ticket_text(out.ticket, self.app.lang)
        self.text = text
        ok = out.printed or out.duplicate
        head = Panel(orientation="vertical", size_hint_y=None,
                     height=lay.bar_h if ok else int(lay.bar_h * 1.6),
                     bg=list(GREEN if ok else RED), radius=10, padding=(lay.pad, 6))
        self.title_label = Text(self.title(), size=lay.title_px, color=WHITE, bold=True, one_line=True)
        head.add_widget(self.title_label)
        if not ok:  # a second line: what to do instead
            head.add_widget(Text(self.tr("note_number"), size=lay.px(34), color=WHITE, one_line=True))
        self.body.add_widget(head)

        col = BoxLayout(orientation="vertical", size_hint=(1, None), spacing=lay.px(6))
        k = lay.info_scale
        # (text, size designed at 1080 px, colour, bold, line height)
        rows = [(text.service, 40 * k, MUTED, False, 1.5),
                (text.number, lay.number_px / lay.scale, BLUE_DARK, True, 1.25),
                (text.ahead, 46 * k, TEXT, True, 1.5)]
        if text.wait:
            rows.append((text.wait, 38 * k, TEXT, False, 1.5))
        if text.windows:
            rows.append((text.windows, 36 * k, BLUE, True, 1.5))
        chip = 38 * k * 1.5 if text.priority else 0
        if not lay.portrait:  # beside the QR, between the header and the button: smaller type before it spills
            room = lay.height - 2 * lay.pad - head.height - lay.bar_h - 2 * lay.gap - 4
            need = lay.px(sum(size * line for _, size, _, _, line in rows) + chip) + lay.px(6) * (len(rows) + 1)
            k_fit = min(1.0, room / need)
        else:
            k_fit = 1.0
        height = 0
        for s, size, color, bold, line in rows:
            size = lay.px(size * k_fit)
            h = int(size * line)
            label = Text(s, size=size, color=color, bold=bold, one_line=True, size_hint_y=None, height=h)
            col.add_widget(label)
            height += h + lay.px(6)
            if s == text.number:
                self.number_label = label
            elif s == text.ahead:
                self.ahead_label = label
        self.priority_label = None
        if text.priority:
            chip_px = lay.px(38 * k * k_fit)
            chip = Panel(size_hint=(None, None), height=int(chip_px * 1.5), bg=list(ORANGE),
                         width=int(chip_px * (len(text.priority) + 2) * (0.62 if self.app.lang == "en" else 1.05)),
                         pos_hint={"center_x": 0.5}, padding=(8, 0))
            self.priority_label = Text(text.priority, size=chip_px, color=WHITE, bold=True, one_line=True)
            chip.add_widget(self.priority_label)
            col.add_widget(chip)
            height += chip.height + lay.px(6)
        col.height = height

        # portrait: number and QR one block in the middle; landscape: side by side
        area = BoxLayout(orientation="vertical" if lay.portrait else "horizontal", spacing=lay.gap,
                         size_hint_y=None if lay.portrait else 1)
        area.add_widget(self.centred(col, size_hint_y=None, height=col.height) if lay.portrait
                        else self.centred(col))
        self.qr = None
        if out.qr_url:
            q = BoxLayout(orientation="vertical", size_hint=(None, None), width=lay.qr_px + 60,
                          height=lay.qr_px + int(lay.hint_px(28) * 3.6), spacing=4)
            self.qr = qr_image(out.qr_url, lay.qr_px)
            self.qr.pos_hint = {"center_x": 0.5}
            q.add_widget(self.qr)
            q.add_widget(Text(text.qr_caption, size=lay.hint_px(28), color=MUTED,
                              size_hint_y=None, height=int(lay.hint_px(28) * 3.4)))
            box = AnchorLayout(anchor_x="center", anchor_y="center",
                               size_hint=(1, None) if lay.portrait else (None, 1),
                               **({"height": q.height} if lay.portrait else {"width": q.width}))
            box.add_widget(q)
            area.add_widget(box)
        if lay.portrait:
            area.height = sum(c.height for c in area.children) + lay.gap * (len(area.children) - 1)
            self.body.add_widget(self.centred(area))
        else:
            self.body.add_widget(area)
        home = BigButton(self.tr("home"), size=lay.button_px, bg=BLUE)
        home.bind(on_release=lambda *_: self.app.go_home())
        self.home_button = home
        self.body.add_widget(self.bottom_bar(home))

    def spoken(self):
        out = self.outcome
        key = "ticket" if out.printed or out.duplicate else "ticket_screen"
        return i18n.spoken(key, self.app.lang, number=" ".join(out.ticket["number"]))


class ErrorScreen(KioskScreen):
    message = ""
    retrying = False

    def build(self):
        lay = self.lay
        self.body.add_widget(self.header(self.tr("error_title"), bg=RED))
        # the message (as tall as its lines) and "retrying" together in the middle
        self.body.add_widget(Widget())
        self.message_label = Text(self.message, size=lay.px(44), bold=True, color=RED, auto_height=True)
        self.body.add_widget(self.message_label)
        self.retry_label = Text(self.tr("retrying") if self.retrying else "", size=lay.hint_px(32),
                                color=MUTED, one_line=True, size_hint_y=None, height=lay.px(64))
        self.body.add_widget(self.retry_label)
        self.body.add_widget(Widget())
        home = BigButton(self.tr("home"), size=lay.button_px, bg=BLUE)
        home.bind(on_release=lambda *_: self.app.go_home())
        self.home_button = home
        self.body.add_widget(self.bottom_bar(home))

    def spoken(self):
        return i18n.spoken("error", self.app.lang, message=self.message)
