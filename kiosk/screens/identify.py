"""Identify (身份核验) and appointment check-in (预约签到): the ways to give an ID (card on the
reader, a code to the scanner, the keypad), with the typed digits shown in clear and checked as
soon as all 18 are in; masked once confirmed."""
from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from rules.identity import is_valid as validate_id_number

from ..widgets import BLUE, BLUE_DARK, GREY_BG, TEXT, WHITE, BigButton, Keypad, Panel, Text, id_display
from .base import KioskScreen


class IdEntry(KioskScreen):
    typed = ""
    confirmed = False
    message = ""
    message_ok = False
    message_kind = "info"  # info | ok | error: the colour of the line under the number

    def on_pre_enter(self, *_):
        self.typed, self.confirmed, self.message, self.message_ok = "", False, "", False
        self.message_kind = "info"
        super().on_pre_enter()

    def ways(self) -> list[str]:
        devices = self.app.devices
        out = []
        if devices.reader is not None:
            out.append(self.tr("way_card"))
        if devices.scanner is not None:
            out.append(self.tr("way_scan"))
        out.append(self.tr("way_type_below" if self.lay.portrait else "way_type"))
        return out

    def entry_panel(self, lines: list[str]) -> BoxLayout:
        lay = self.lay
        portrait = lay.portrait
        row = BoxLayout(orientation="vertical" if portrait else "horizontal", spacing=lay.gap)
        left = BoxLayout(orientation="vertical", spacing=lay.px(10))
        if not portrait:  # the ways, the number and its line together, level with the keypad
            left.add_widget(Widget())
        line_h = int(lay.read_px(34) * 1.5)
        for i, s in enumerate(lines):
            left.add_widget(Text(s, size=lay.read_px(34 if i == 0 else 30), bold=i == 0, halign="left",
                                 one_line=True, size_hint_y=None, height=line_h))
        self.display = Panel(size_hint_y=None, height=lay.px(96), bg=list(WHITE), border=list(BLUE),
                             padding=(lay.pad, 4))
        self.display_label = Text(id_display(self.typed, self.confirmed), size=lay.px(52), bold=True,
                                  one_line=True)
        self.display.add_widget(self.display_label)
        left.add_widget(self.display)
        self.message_label = self.message_line()
        left.add_widget(self.message_label)
        if not portrait:
            left.add_widget(Widget())
        if portrait:
            left.size_hint_y = None
            left.height = (len(lines) * line_h + lay.px(96) + self.message_line_h()
                           + (len(lines) + 1) * lay.px(10))
        row.add_widget(left)
        self.keypad = Keypad(self.on_key, self.tr, lay)
        row.add_widget(self.centred(self.keypad))
        return row

    def set_message(self, text: str, kind: str):
        self.message, self.message_kind = text, kind
        self.message_ok = kind == "ok"
        self.show_typed()

    def show_typed(self):
        self.display_label.text = id_display(self.typed, self.confirmed)
        self.message_label.text = self.message
        self.message_label.color = self.message_colour()

    def on_key(self, key):
        self.app.touched()
        self.confirmed = False
        if key == "DEL":
            self.typed = self.typed[:-1]
        elif len(self.typed) < 18:
            self.typed += key
        n = len(self.typed)
        if n == 18:  # checked at once, so a typo is found before 确定
            ok = validate_id_number(self.typed)
            self.set_message(self.tr("id_ok" if ok else "id_bad"), "ok" if ok else "error")
        else:
            self.set_message(self.tr("id_typing", n=n) if n else "", "info")

    def typed_id(self) -> str | None:
        """The typed number on 确定 when it is complete and valid (then shown masked)."""
        s = self.typed.upper()
        if len(s) < 18 or not validate_id_number(s):
            self.set_message(self.tr("id_short" if len(s) < 18 else "id_bad"), "error")
            return None
        self.confirmed = True
        self.set_message("", "info")
        return s

    def ok_cancel(self, *extra) -> BoxLayout:
        lay = self.lay
        back = BigButton(self.tr("back"), size=lay.button_px, bg=GREY_BG, color=TEXT)
        back.bind(on_release=lambda *_: self.app.go_home())
        ok = BigButton(self.tr("ok"), size=lay.px(40), bg=BLUE)
        ok.bind(on_release=lambda *_: self.confirm())
        self.ok_button = ok
        return self.bottom_bar(back, *extra, ok)

    def confirm(self):
        raise NotImplementedError


class IdentifyScreen(IdEntry):
    """For a service whose hall config requires the ID (mode "required"), or when the resident
    asked to use the ID (service None: the number then goes with the next tile tapped)."""

    service: dict | None = None
    mode: str = "required"

    def build(self):
        app = self.app
        self.body.add_widget(self.header(self.tr("identify_title")))
        first = self.tr("identify_required") if self.service and self.mode == "required" else self.tr("any_of")
        self.body.add_widget(self.entry_panel([first, *self.ways()]))
        extra = []
        self.skip_button = None
        if self.service and self.mode == "optional":
            skip = BigButton(self.tr("skip"), size=self.lay.button_px, bg=BLUE_DARK)
            skip.bind(on_release=lambda *_: app.issue(self.service["code"]))
            self.skip_button = skip
            extra.append(skip)
        self.body.add_widget(self.ok_cancel(*extra))

    def confirm(self):
        id_number = self.typed_id()
        if not id_number:
            return
        if self.service:
            self.app.issue(self.service["code"], id_number)
        else:
            self.app.identified(id_number)


class CheckinScreen(IdEntry):
    def build(self):
        self.body.add_widget(self.header(self.tr("checkin_title")))
        lines = [self.tr("checkin_hint")]
        if self.app.devices.scanner is not None:
            lines.append(self.tr("way_booking_qr"))
        self.body.add_widget(self.entry_panel(lines + self.ways()))
        self.body.add_widget(self.ok_cancel())

    def confirm(self):
        id_number = self.typed_id()
        if id_number:
            self.app.check_in(id_number=id_number)
