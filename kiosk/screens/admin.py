"""The hidden device admin screen (hold the top-left corner 3 s, then the PIN): server URL and
token, printer test page, scanner and reader tests."""
from __future__ import annotations

import hmac
import threading

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.textinput import TextInput

from ..widgets import BLUE, GREY_BG, RED, TEXT, BigButton, Keypad, Text
from .base import KioskScreen


def _ui(fn, *args):
    Clock.schedule_once(lambda _dt: fn(*args), 0)


class AdminScreen(KioskScreen):
    unlocked = False
    pin = ""
    status = ""

    def on_pre_enter(self, *_):
        self.unlocked, self.pin, self.status = False, "", ""
        super().on_pre_enter()

    def build(self):
        app, lay = self.app, self.lay
        self.body.add_widget(self.header(self.tr("admin")))
        if not self.unlocked:
            if not app.cfg.admin_pin:
                self.body.add_widget(Text(self.tr("pin_unset"), size=lay.body_px, color=RED))
            else:
                row = BoxLayout(spacing=lay.gap, orientation="vertical" if lay.portrait else "horizontal")
                left = BoxLayout(orientation="vertical")
                if lay.portrait:  # three lines above the keypad, which takes the rest
                    left.size_hint_y, left.height = None, int((lay.body_px + lay.px(40) + lay.px(26)) * 1.6)
                left.add_widget(Text(self.tr("pin_prompt"), size=lay.body_px, one_line=True))
                self.pin_label = Text("●" * len(self.pin), size=lay.px(40), one_line=True)
                left.add_widget(self.pin_label)
                self.status_label = Text(self.status, size=lay.px(26), color=RED, one_line=True)
                left.add_widget(self.status_label)
                row.add_widget(left)
                self.keypad = Keypad(self.on_pin_key, self.tr, lay)
                row.add_widget(self.centred(self.keypad))
                self.body.add_widget(row)
            close = BigButton(self.tr("closing"), size=lay.button_px, bg=GREY_BG, color=TEXT)
            close.bind(on_release=lambda *_: app.go_home())
            ok = BigButton(self.tr("ok"), size=lay.button_px, bg=BLUE)
            ok.bind(on_release=lambda *_: self.check_pin())
            self.pin_ok = ok
            self.body.add_widget(self.bottom_bar(close, ok))
            return
        row_h = lay.px(64)
        form = GridLayout(cols=2, spacing=12, size_hint_y=None, height=2 * row_h + 12,
                          row_default_height=row_h, row_force_default=True)
        form.add_widget(Text(self.tr("server_url"), size=lay.px(26), size_hint_x=0.3, halign="left",
                             one_line=True))
        self.server_input = TextInput(text=app.cfg.server, multiline=False, font_size=lay.px(26))
        form.add_widget(self.server_input)
        form.add_widget(Text(self.tr("device_token"), size=lay.px(26), size_hint_x=0.3, halign="left",
                             one_line=True))
        self.token_input = TextInput(text=app.cfg.device_token, multiline=False, password=True,
                                     font_size=lay.px(26))
        form.add_widget(self.token_input)
        self.body.add_widget(form)
        tests = GridLayout(cols=2 if lay.portrait else 4, size_hint_y=None, spacing=lay.gap,
                           height=lay.bar_h * (2 if lay.portrait else 1) + (lay.gap if lay.portrait else 0))
        for key, fn in (("save", self.save), ("test_printer", self.test_printer),
                        ("test_scanner", self.test_scanner), ("test_reader", self.test_reader)):
            b = BigButton(self.tr(key), size=lay.px(30), bg=BLUE)
            b.bind(on_release=lambda _b, f=fn: f())
            setattr(self, f"{key}_button", b)
            tests.add_widget(b)
        self.body.add_widget(tests)
        self.status_label = Text(self.status, size=lay.px(28), color=TEXT)
        self.body.add_widget(self.status_label)
        close = BigButton(self.tr("closing"), size=lay.button_px, bg=GREY_BG, color=TEXT)
        close.bind(on_release=lambda *_: app.go_home())
        self.body.add_widget(self.bottom_bar(close))

    def on_pin_key(self, key):
        self.app.touched()
        self.pin = self.pin[:-1] if key == "DEL" else (self.pin + key)[:12]
        self.pin_label.text = "●" * len(self.pin)

    def check_pin(self):
        if self.app.cfg.admin_pin and hmac.compare_digest(self.pin, self.app.cfg.admin_pin):
            self.unlocked = True
            self.status = ""
        else:
            self.status = self.tr("pin_wrong")
        self.pin = ""
        self.rebuild()

    def set_status(self, text):
        self.status = text
        if hasattr(self, "status_label"):
            self.status_label.text = text

    def save(self):
        self.app.reconfigure(self.server_input.text.strip(), self.token_input.text.strip())
        self.set_status(self.tr("saved"))

    def test_printer(self):
        printer = self.app.devices.printer
        if printer is None:
            self.set_status(self.tr("no_printer"))
            return

        def run():
            from hardware.printer import PrinterFault
            try:
                status = printer.print_test_page()
                _ui(self.set_status, status.message)
            except PrinterFault as fault:
                _ui(self.set_status, fault.status.message)
            except Exception as exc:  # a driver bug shows on the admin screen, never kills the kiosk
                _ui(self.set_status, f"{exc.__class__.__name__}: {exc}")
        threading.Thread(target=run, daemon=True).start()

    def test_scanner(self):
        if self.app.devices.scanner is None and not self.app.cfg.camera:
            self.set_status(self.tr("no_camera") + " · HID: " + self.tr("scan_now"))
        else:
            self.set_status(self.tr("scan_now"))
        self.app.admin_test = "scanner"

    def test_reader(self):
        if self.app.devices.reader is None:
            self.set_status(self.tr("no_reader"))
            return
        self.set_status(self.tr("card_now"))
        self.app.admin_test = "reader"

    def spoken(self):
        return None
