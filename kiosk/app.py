"""The Kivy kiosk app: home (service tiles, live), service guide, identify (ID card, scan, keypad),
appointment check-in, printing progress, ticket, error and the hidden admin screen.

Threads: HTTP calls and printing run on worker threads (KioskCore is blocking); the event stream,
camera scanner and ID-card reader have their own threads. Everything that touches widgets is
handed to the UI thread with Clock.schedule_once.
"""
from __future__ import annotations

import logging
import threading
import time

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.progressbar import ProgressBar
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from . import i18n
from .client import KioskClient
from .config import KioskConfig, save_connection
from .core import KioskCore, Outcome
from .devices import Devices
from .events import EventStream
from .widgets import (BG, BLUE, BLUE_DARK, GREEN, GREY_BG, MUTED, ORANGE, RED, TEXT, WHITE,
                      BigButton, Keypad, Panel, ServiceTile, Text, masked_progress, qr_image,
                      register_fonts)

log = logging.getLogger(__name__)

ADMIN_HOLD_S = 3.0  # long press in the top-left corner opens the admin PIN screen
ADMIN_CORNER = 110  # px
PENDING_ID_S = 120.0  # an ID card read on home (no appointment) is used for the next ticket


def _ui(fn, *args):
    """Run fn(*args) on the UI thread (Clock.schedule_once is safe from any thread)."""
    Clock.schedule_once(lambda _dt: fn(*args), 0)


class KioskScreen(Screen):
    """A screen that rebuilds its content on entry and when language or elder mode change."""

    def __init__(self, app: "KioskApp", **kw):
        super().__init__(**kw)
        self.app = app
        self.body = Panel(orientation="vertical", bg=list(BG), radius=0, padding=(28, 20), spacing=16)
        self.add_widget(self.body)

    def tr(self, key, **values):
        return i18n.t(key, self.app.lang, **values)

    def fs(self, n) -> int:
        return int(n * self.app.scale)

    def on_pre_enter(self, *_):
        self.rebuild()

    def rebuild(self):
        self.body.clear_widgets()
        self.build()

    def build(self):
        raise NotImplementedError

    def header(self, title: str) -> BoxLayout:
        bar = Panel(size_hint_y=None, height=self.fs(84), bg=list(BLUE), radius=10, padding=(20, 8))
        bar.add_widget(Text(title, size=self.fs(36), color=WHITE, bold=True, halign="left"))
        return bar

    def bottom_bar(self, *buttons) -> BoxLayout:
        bar = BoxLayout(size_hint_y=None, height=self.fs(96), spacing=20)
        for b in buttons:
            bar.add_widget(b)
        return bar


# ---------------------------------------------------------------------------------- home
class HomeScreen(KioskScreen):
    def build(self):
        app = self.app
        top = Panel(size_hint_y=None, height=self.fs(96), bg=list(BLUE), radius=10,
                    padding=(24, 10), spacing=16)
        name = app.core.hall.get("name_en") if app.lang == "en" else app.core.hall.get("name")
        top.add_widget(Text(name or "hallq", size=self.fs(38), color=WHITE, bold=True, halign="left",
                            size_hint_x=0.56))
        elder = BigButton(self.tr("elder_on" if app.elder else "elder_mode"), size=self.fs(26),
                          bg=ORANGE if app.elder else BLUE_DARK, size_hint_x=0.24)
        elder.bind(on_release=lambda *_: app.toggle_elder())
        self.elder_button = elder
        lang = BigButton(self.tr("lang_switch"), size=self.fs(26), bg=BLUE_DARK, size_hint_x=0.2)
        lang.bind(on_release=lambda *_: app.toggle_language())
        self.lang_button = lang
        top.add_widget(elder)
        top.add_widget(lang)
        self.body.add_widget(top)

        if not app.online:
            self.body.add_widget(Text(self.tr("offline_banner"), size=self.fs(24), color=RED,
                                      bold=True, size_hint_y=None, height=self.fs(44)))
        if app.toast:
            self.body.add_widget(Text(app.toast, size=self.fs(26), color=RED, bold=True,
                                      size_hint_y=None, height=self.fs(48)))
        self.body.add_widget(Text(self.tr("choose_service"), size=self.fs(30), color=TEXT,
                                  size_hint_y=None, height=self.fs(50)))
        services = app.core.services
        cols = 3 if app.elder else 4
        grid = GridLayout(cols=cols, spacing=16, size_hint_y=None,
                          row_default_height=self.fs(150), row_force_default=True)
        grid.bind(minimum_height=grid.setter("height"))
        self.tiles = {}
        for svc in services:
            tile = ServiceTile(svc, app.lang, app.scale, self.tr)
            tile.bind(on_release=lambda t: app.on_service(t.code))
            self.tiles[svc["code"]] = tile
            grid.add_widget(tile)
        scroll = ScrollView(do_scroll_x=False, bar_width=10)
        scroll.add_widget(grid)
        self.body.add_widget(scroll)

        foot = BoxLayout(size_hint_y=None, height=self.fs(100), spacing=20)
        checkin = BigButton(self.tr("checkin_button"), size=self.fs(32), bg=GREEN, size_hint_x=0.34)
        checkin.bind(on_release=lambda *_: app.show("checkin"))
        self.checkin_button = checkin
        foot.add_widget(checkin)
        notice = app.core.hall.get("notice_en" if app.lang == "en" else "notice") or ""
        foot.add_widget(Text(notice, size=self.fs(20), color=MUTED, halign="left"))
        self.body.add_widget(foot)


# ---------------------------------------------------------------------------------- guide
class GuideScreen(KioskScreen):
    service: dict = {}

    def build(self):
        svc = self.service
        en = self.app.lang == "en" and svc.get("name_en")
        name = svc.get("name_en") if en else svc.get("name", "")
        self.body.add_widget(self.header(f"{name} · {self.tr('guide_title')}"))
        guide = svc.get("guide") or {}
        box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=10, padding=(8, 0))
        box.bind(minimum_height=box.setter("height"))
        if guide.get("description"):
            box.add_widget(Text(guide["description"], size=self.fs(26), halign="left", auto_height=True))
        for key, value in (("materials", guide.get("materials")), ("conditions", guide.get("conditions")),
                           ("time_limit", guide.get("time_limit"))):
            if not value:
                continue
            box.add_widget(Text(self.tr(key), size=self.fs(28), color=BLUE_DARK, bold=True,
                                halign="left", auto_height=True))
            lines = value if isinstance(value, list) else [value]
            for i, line in enumerate(lines, 1):
                prefix = f"{i}. " if isinstance(value, list) else ""
                box.add_widget(Text(prefix + line, size=self.fs(24), halign="left", auto_height=True))
        scroll = ScrollView(do_scroll_x=False, bar_width=10)
        scroll.add_widget(box)
        self.body.add_widget(scroll)
        back = BigButton(self.tr("back"), size=self.fs(30), bg=GREY_BG, color=TEXT, size_hint_x=0.35)
        back.bind(on_release=lambda *_: self.app.go_home())
        take = BigButton(self.tr("take_ticket"), size=self.fs(36), bg=BLUE, size_hint_x=0.65)
        take.bind(on_release=lambda *_: self.app.after_guide(svc["code"]))
        self.take_button = take
        self.body.add_widget(self.bottom_bar(back, take))


# ---------------------------------------------------------------------------------- ID entry
class IdEntry(KioskScreen):
    """Shared by identify and check-in: hints for the card reader / scanner and a keypad."""

    typed = ""
    message = ""

    def on_pre_enter(self, *_):
        self.typed, self.message = "", ""
        super().on_pre_enter()

    def hints(self) -> list[str]:
        out = []
        if self.app.devices.reader is not None:
            out.append(self.tr("identify_hint_card"))
        if self.app.devices.scanner is not None:
            out.append(self.tr("identify_hint_scan"))
        out.append(self.tr("identify_hint_type" if out else "identify_type_only"))
        return out

    def entry_panel(self, hints: list[str]) -> BoxLayout:
        row = BoxLayout(spacing=24)
        left = BoxLayout(orientation="vertical", spacing=12, size_hint_x=0.5)
        for h in hints:
            left.add_widget(Text(h, size=self.fs(28), halign="left", auto_height=True))
        left.add_widget(Widget())
        self.display = Panel(size_hint_y=None, height=self.fs(80), bg=list(WHITE), border=list(BLUE))
        self.display_label = Text(masked_progress(self.typed) or "_" * 0, size=self.fs(38), bold=True)
        self.display.add_widget(self.display_label)
        left.add_widget(self.display)
        self.message_label = Text(self.message, size=self.fs(24), color=RED, size_hint_y=None,
                                  height=self.fs(60))
        left.add_widget(self.message_label)
        row.add_widget(left)
        self.keypad = Keypad(self.on_key, self.tr, self.app.scale, size_hint_x=0.5)
        row.add_widget(self.keypad)
        return row

    def on_key(self, key):
        self.app.touched()
        if key == "DEL":
            self.typed = self.typed[:-1]
        elif len(self.typed) < 18:
            self.typed += key
        self.message = ""
        self.display_label.text = masked_progress(self.typed)
        self.message_label.text = ""

    def typed_id(self) -> str | None:
        from hardware.idcard import validate_id_number
        s = self.typed.upper()
        if len(s) < 18:
            self.message_label.text = self.tr("id_short")
            return None
        if not validate_id_number(s):
            self.message_label.text = self.tr("id_bad")
            return None
        self.typed = ""
        return s


class IdentifyScreen(IdEntry):
    service: dict = {}
    mode: str = "optional"

    def build(self):
        app = self.app
        self.body.add_widget(self.header(self.tr("identify_title")))
        hints = self.hints()
        if self.mode == "optional":
            hints.append(self.tr("identify_optional"))
        self.body.add_widget(self.entry_panel(hints))
        back = BigButton(self.tr("back"), size=self.fs(30), bg=GREY_BG, color=TEXT)
        back.bind(on_release=lambda *_: app.go_home())
        buttons = [back]
        if self.mode == "optional":
            skip = BigButton(self.tr("skip"), size=self.fs(30), bg=BLUE_DARK)
            skip.bind(on_release=lambda *_: app.issue(self.service["code"]))
            self.skip_button = skip
            buttons.append(skip)
        ok = BigButton(self.tr("ok"), size=self.fs(34), bg=BLUE)
        ok.bind(on_release=lambda *_: self.confirm())
        self.ok_button = ok
        buttons.append(ok)
        self.body.add_widget(self.bottom_bar(*buttons))

    def confirm(self):
        id_number = self.typed_id()
        if id_number:
            self.app.issue(self.service["code"], id_number)


class CheckinScreen(IdEntry):
    def build(self):
        app = self.app
        self.body.add_widget(self.header(self.tr("checkin_title")))
        hints = []
        if app.devices.scanner is not None or app.devices.reader is not None:
            hints.append(self.tr("checkin_hint"))
        hints.append(self.tr("identify_hint_type"))
        self.body.add_widget(self.entry_panel(hints))
        back = BigButton(self.tr("back"), size=self.fs(30), bg=GREY_BG, color=TEXT)
        back.bind(on_release=lambda *_: app.go_home())
        ok = BigButton(self.tr("ok"), size=self.fs(34), bg=BLUE)
        ok.bind(on_release=lambda *_: self.confirm())
        self.ok_button = ok
        self.body.add_widget(self.bottom_bar(back, ok))

    def confirm(self):
        id_number = self.typed_id()
        if id_number:
            self.app.check_in(id_number=id_number)


# ---------------------------------------------------------------------------------- progress / ticket / error
class ProgressScreen(KioskScreen):
    text_key = "working"

    def build(self):
        self.body.add_widget(Widget())
        self.label = Text(self.tr(self.text_key), size=self.fs(44), bold=True, color=BLUE_DARK,
                          size_hint_y=None, height=self.fs(120))
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


class TicketScreen(KioskScreen):
    outcome: Outcome | None = None

    def build(self):
        out, t = self.outcome, self.outcome.ticket
        printed = out.printed
        title = self.tr("take_your_ticket") if printed else self.tr("not_printed")
        if t.get("appointment") and printed:
            title = f"{self.tr('appointment_ok')} · {title}"
        head = Panel(size_hint_y=None, height=self.fs(96), bg=list(GREEN if printed else RED),
                     radius=10, padding=(20, 8))
        head.add_widget(Text(title, size=self.fs(36 if printed else 30), color=WHITE, bold=True))
        self.title_label = head.children[0]
        self.body.add_widget(head)
        row = BoxLayout(spacing=30)
        left = BoxLayout(orientation="vertical", spacing=6)
        svc_name = t.get("service_name") or t.get("service", "")
        if self.app.lang == "en":
            svc_name = (self.app.core.service(t.get("service", "")) or {}).get("name_en") or svc_name
        left.add_widget(Text(svc_name, size=self.fs(32), color=MUTED, size_hint_y=None,
                             height=self.fs(56)))
        self.number_label = Text(t["number"], size=self.fs(150), bold=True, color=BLUE_DARK)
        left.add_widget(self.number_label)
        left.add_widget(Text(self.tr("ahead", n=t.get("ahead", 0)), size=self.fs(34),
                             size_hint_y=None, height=self.fs(56)))
        wait_s = t.get("estimated_wait_s")
        if wait_s:
            left.add_widget(Text(self.tr("wait_about", m=max(1, round(wait_s / 60))), size=self.fs(30),
                                 size_hint_y=None, height=self.fs(52)))
        note = t.get("note_en") if self.app.lang == "en" else t.get("note")
        if note:
            left.add_widget(Text(note, size=self.fs(24), color=ORANGE, size_hint_y=None,
                                 height=self.fs(44)))
        row.add_widget(left)
        if out.qr_url:
            right = BoxLayout(orientation="vertical", size_hint_x=None, width=self.fs(340), spacing=6)
            right.add_widget(Widget())
            self.qr = qr_image(out.qr_url, self.fs(300))
            self.qr.pos_hint = {"center_x": 0.5}
            right.add_widget(self.qr)
            right.add_widget(Text(self.tr("scan_to_follow"), size=self.fs(22), color=MUTED,
                                  size_hint_y=None, height=self.fs(60)))
            right.add_widget(Widget())
            row.add_widget(right)
        self.body.add_widget(row)
        home = BigButton(self.tr("home"), size=self.fs(30), bg=BLUE)
        home.bind(on_release=lambda *_: self.app.go_home())
        self.body.add_widget(self.bottom_bar(home))


class ErrorScreen(KioskScreen):
    message = ""
    retrying = False

    def build(self):
        self.body.add_widget(self.header(self.tr("error_title")))
        self.body.add_widget(Widget(size_hint_y=0.2))
        self.message_label = Text(self.message, size=self.fs(40), bold=True, color=RED)
        self.body.add_widget(self.message_label)
        self.retry_label = Text(self.tr("retrying") if self.retrying else "", size=self.fs(28),
                                color=MUTED, size_hint_y=None, height=self.fs(60))
        self.body.add_widget(self.retry_label)
        home = BigButton(self.tr("home"), size=self.fs(30), bg=BLUE)
        home.bind(on_release=lambda *_: self.app.go_home())
        self.body.add_widget(self.bottom_bar(home))


# ---------------------------------------------------------------------------------- admin
class AdminScreen(KioskScreen):
    unlocked = False
    pin = ""
    status = ""

    def on_pre_enter(self, *_):
        self.unlocked, self.pin, self.status = False, "", ""
        super().on_pre_enter()

    def build(self):
        app = self.app
        self.body.add_widget(self.header(self.tr("admin")))
        if not self.unlocked:
            if not app.cfg.admin_pin:
                self.body.add_widget(Text(self.tr("pin_unset"), size=self.fs(30), color=RED))
            else:
                row = BoxLayout(spacing=24)
                left = BoxLayout(orientation="vertical")
                left.add_widget(Text(self.tr("pin_prompt"), size=self.fs(30)))
                self.pin_label = Text("●" * len(self.pin), size=self.fs(40))
                left.add_widget(self.pin_label)
                self.status_label = Text(self.status, size=self.fs(26), color=RED)
                left.add_widget(self.status_label)
                row.add_widget(left)
                self.keypad = Keypad(self.on_pin_key, self.tr, size_hint_x=0.5)
                row.add_widget(self.keypad)
                self.body.add_widget(row)
            close = BigButton(self.tr("closing"), size=self.fs(28), bg=GREY_BG, color=TEXT)
            close.bind(on_release=lambda *_: app.go_home())
            ok = BigButton(self.tr("ok"), size=self.fs(30), bg=BLUE)
            ok.bind(on_release=lambda *_: self.check_pin())
            self.pin_ok = ok
            self.body.add_widget(self.bottom_bar(close, ok))
            return
        form = GridLayout(cols=2, spacing=12, size_hint_y=None, height=self.fs(130),
                          row_default_height=self.fs(56), row_force_default=True)
        form.add_widget(Text(self.tr("server_url"), size=self.fs(24), size_hint_x=0.3, halign="left"))
        self.server_input = TextInput(text=app.cfg.server, multiline=False, font_size=self.fs(24))
        form.add_widget(self.server_input)
        form.add_widget(Text(self.tr("device_token"), size=self.fs(24), size_hint_x=0.3, halign="left"))
        self.token_input = TextInput(text=app.cfg.device_token, multiline=False, password=True,
                                     font_size=self.fs(24))
        form.add_widget(self.token_input)
        self.body.add_widget(form)
        tests = BoxLayout(size_hint_y=None, height=self.fs(90), spacing=16)
        for key, fn in (("save", self.save), ("test_printer", self.test_printer),
                        ("test_scanner", self.test_scanner), ("test_reader", self.test_reader)):
            b = BigButton(self.tr(key), size=self.fs(24), bg=BLUE)
            b.bind(on_release=lambda _b, f=fn: f())
            setattr(self, f"{key}_button", b)
            tests.add_widget(b)
        self.body.add_widget(tests)
        self.status_label = Text(self.status, size=self.fs(26), color=TEXT)
        self.body.add_widget(self.status_label)
        close = BigButton(self.tr("closing"), size=self.fs(28), bg=GREY_BG, color=TEXT)
        close.bind(on_release=lambda *_: app.go_home())
        self.body.add_widget(self.bottom_bar(close))

    def on_pin_key(self, key):
        self.app.touched()
        self.pin = self.pin[:-1] if key == "DEL" else (self.pin + key)[:12]
        self.pin_label.text = "●" * len(self.pin)

    def check_pin(self):
        import hmac
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
        threading.Thread(target=run, daemon=True).start()

    def test_scanner(self):
        if self.app.devices.scanner is None and not self.app.cfg.camera:
            self.set_status(self.tr("no_camera") + " · HID: " + self.tr("scan_now"))
        else:
            self.set_status(self.tr("scan_now"))
        self.app.admin_test = "scanner"

    def test_reader(self):
        reader = self.app.devices.reader
        if reader is None:
            self.set_status(self.tr("no_reader"))
            return
        self.set_status(self.tr("card_now"))
        self.app.admin_test = "reader"


# ---------------------------------------------------------------------------------- the app
class KioskRoot(FloatLayout):
    def __init__(self, app: "KioskApp", **kw):
        super().__init__(**kw)
        self.app = app
        self._hold = None

    def on_touch_down(self, touch):
        self.app.touched()
        if touch.x < ADMIN_CORNER and touch.y > self.height - ADMIN_CORNER:
            self._hold = Clock.schedule_once(lambda _dt: self.app.show("admin"), ADMIN_HOLD_S)
            touch.ud["admin_hold"] = True
        return super().on_touch_down(touch)

    def on_touch_up(self, touch):
        if touch.ud.get("admin_hold") and self._hold is not None:
            self._hold.cancel()
            self._hold = None
        return super().on_touch_up(touch)


class KioskApp(App):
    title = "hallq kiosk"

    def __init__(self, cfg: KioskConfig, *, client: KioskClient | None = None,
                 devices: Devices | None = None, **kw):
        super().__init__(**kw)
        self.cfg = cfg
        register_fonts(cfg.font)
        self.client = client or KioskClient(cfg.server, cfg.hall, cfg.device_token, cfg.request_timeout_s)
        self.devices = devices or Devices(cfg)
        self.devices.on_code = lambda text: _ui(self.on_code, text)
        self.devices.on_card = lambda card: _ui(self.on_card, card)
        self.core = KioskCore(cfg, self.client, self.devices.printer)
        self.lang = cfg.language
        self.elder = False
        self.online = False
        self.toast = ""
        self.busy = False
        self.action = None  # what the error screen retries
        self.last_outcome: Outcome | None = None
        self.last_touch = time.monotonic()
        self.admin_test: str | None = None
        self.admin_last = ""
        self.pending_id: tuple[str, float] | None = None
        self.stream: EventStream | None = None
        self._refresh_ev = None
        self._retry_ev = None
        self._home_ev = None
        self._hid = None
        self.spoken: list[str] = []

    @property
    def scale(self) -> float:
        return 1.3 if self.elder else 1.0

    def tr(self, key, **values):
        return i18n.t(key, self.lang, **values)

    # -- lifecycle
    def load_config(self):
        """No Kivy ini file in the user's home: everything comes from the kiosk config."""
        from kivy.config import ConfigParser
        self.config = ConfigParser(name=f"hallq-kiosk-{id(self)}")
        return self.config

    def build(self):
        Window.clearcolor = BG
        self.root_widget = KioskRoot(self)
        self.sm = ScreenManager(transition=NoTransition())
        self.screens = {}
        for name, cls in (("home", HomeScreen), ("guide", GuideScreen), ("identify", IdentifyScreen),
                          ("checkin", CheckinScreen), ("progress", ProgressScreen),
                          ("ticket", TicketScreen), ("error", ErrorScreen), ("admin", AdminScreen)):
            self.screens[name] = cls(self, name=name)
            self.sm.add_widget(self.screens[name])
        self.root_widget.add_widget(self.sm)
        return self.root_widget

    def on_start(self):
        from hardware.scanner import HidScannerBuffer
        self._hid = HidScannerBuffer()
        Window.bind(on_textinput=self._on_textinput, on_key_down=self._on_key_down)
        self.devices.start()
        self.refresh_async()
        url = f"{self.cfg.server}/api/v1/halls/{self.cfg.hall}/events"
        self.stream = EventStream(url, lambda ev: _ui(self.on_event, ev),
                                  on_state=lambda up: _ui(self.on_stream_state, up)).start()
        self._tick_ev = Clock.schedule_interval(self.tick, 1.0)
        self._poll_ev = Clock.schedule_interval(lambda _dt: self.refresh_async(), 30.0)

    def on_stop(self):
        if self.stream:
            self.stream.stop(timeout=0.5)
        self.devices.stop()
        for ev in ("_tick_ev", "_poll_ev", "_retry_ev", "_home_ev", "_refresh_ev"):
            if getattr(self, ev, None) is not None:
                getattr(self, ev).cancel()
        Window.unbind(on_textinput=self._on_textinput, on_key_down=self._on_key_down)

    # -- navigation
    @property
    def current(self) -> str:
        return self.sm.current

    def show(self, name: str, **attrs):
        screen = self.screens[name]
        for k, v in attrs.items():
            setattr(screen, k, v)
        if name != "admin":
            self.admin_test = None
        if self.sm.current == name:
            screen.rebuild()
        else:
            self.sm.current = name
        if self.elder and name in i18n.SPOKEN:
            self.say(name)

    def say(self, key, **values):
        text = i18n.spoken(key, self.lang, **values)
        self.spoken.append(text)
        self.devices.say(text, self.lang)

    def go_home(self, *_):
        if self._retry_ev is not None:
            self._retry_ev.cancel()
            self._retry_ev = None
        if self._home_ev is not None:
            self._home_ev.cancel()
            self._home_ev = None
        self.action = None
        self.show("home")

    def touched(self):
        self.last_touch = time.monotonic()

    def tick(self, _dt):
        """Once a second: idle timeout back home; printer watch while a fault is open."""
        self.core.check_printer()
        if self.current in ("home", "progress") or self.busy:
            return
        if time.monotonic() - self.last_touch > self.cfg.idle_timeout_s:
            log.info("idle: back to home from %s", self.current)
            self.lang, self.elder, self.toast, self.pending_id = self.cfg.language, False, "", None
            self.go_home()

    def toggle_language(self):
        self.lang = "en" if self.lang == "zh" else "zh"
        self.screens[self.current].rebuild()

    def toggle_elder(self):
        self.elder = not self.elder
        self.screens[self.current].rebuild()
        if self.elder:
            self.say("home")

    # -- server data
    def refresh_async(self):
        def run():
            ok = self.core.refresh()
            _ui(self._refreshed, ok)
        threading.Thread(target=run, name="kiosk-refresh", daemon=True).start()

    def _refreshed(self, ok):
        changed = ok != self.online
        self.online = ok or (self.stream is not None and self.stream.connected)
        if self.current == "home" and (ok or changed):
            self.screens["home"].rebuild()

    def on_stream_state(self, up):
        if up:
            self.refresh_async()
        elif self.online:
            self.online = False
            if self.current == "home":
                self.screens["home"].rebuild()

    def on_event(self, ev):
        data = ev.get("data") or {}
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            data = data["data"]
        if isinstance(data, dict) and isinstance(data.get("waiting"), dict):
            self.core.apply_waiting(data["waiting"])
        if str(ev.get("event", "")).startswith(("ticket.", "window.")):
            if self._refresh_ev is None:  # debounce bursts of events into one refresh
                def go(_dt):
                    self._refresh_ev = None
                    self.refresh_async()
                self._refresh_ev = Clock.schedule_once(go, 0.3)
            if self.current == "home":
                self.screens["home"].rebuild()

    def reconfigure(self, server: str, token: str):
        self.cfg.server, self.cfg.device_token = server.rstrip("/"), token
        self.client.configure(self.cfg.server, token)
        try:
            save_connection(self.cfg)
        except OSError as exc:
            log.error("cannot save the kiosk config: %s", exc)
        if self.stream:
            self.stream.stop(timeout=0.5)
        url = f"{self.cfg.server}/api/v1/halls/{self.cfg.hall}/events"
        self.stream = EventStream(url, lambda ev: _ui(self.on_event, ev),
                                  on_state=lambda up: _ui(self.on_stream_state, up)).start()
        self.refresh_async()

    # -- the resident's path
    def on_service(self, code: str):
        svc = self.core.service(code)
        if svc is None or self.busy:
            return
        if not svc.get("open", True):
            return  # greyed: the tile shows its hours
        self.toast = ""
        if self.cfg.show_guide:
            self.show("guide", service=svc)
        else:
            self.after_guide(code)

    def after_guide(self, code: str):
        svc = self.core.service(code) or {"code": code}
        if self.pending_id and time.monotonic() - self.pending_id[1] < PENDING_ID_S:
            id_number, self.pending_id = self.pending_id[0], None
            self.issue(code, id_number)
            return
        mode = self.cfg.identify_mode(svc)
        if mode == "skip":
            self.issue(code)
        else:
            self.show("identify", service=svc, mode=mode)

    def issue(self, service: str, id_number: str | None = None):
        self._run_action(("issue", service, id_number))

    def check_in(self, code: str | None = None, id_number: str | None = None):
        self._run_action(("checkin", code, id_number))

    def _run_action(self, action, retry: bool = False):
        if self.busy:
            return  # a second tap while the first is in flight: one tap is one ticket
        self.busy = True
        self.action = action
        if self._retry_ev is not None:
            self._retry_ev.cancel()
            self._retry_ev = None
        if not retry:  # automatic retries stay on the error screen (no flicker)
            self.screens["progress"].text_key = "working"
            self.show("progress")
        started = time.perf_counter()

        def printing(_ticket):
            _ui(self.screens["progress"].set_text, "printing")

        def run():
            kind, a, b = action
            if kind == "issue":
                out = self.core.take_ticket(a, b, on_printing=printing)
            else:
                out = self.core.check_in(code=a, id_number=b, on_printing=printing)
            out.timings["action_s"] = time.perf_counter() - started
            _ui(self._done, action, out)
        threading.Thread(target=run, name="kiosk-action", daemon=True).start()

    def _done(self, action, out: Outcome):
        self.busy = False
        self.last_outcome = out
        if action is not self.action:
            return  # the resident went home meanwhile
        if out.unreachable:
            self.online = False
            if self.current != "error":
                self.show("error", message=self.tr("unreachable"), retrying=True)
            self._retry_ev = Clock.schedule_once(lambda _dt: self._retry(action),
                                                 self.cfg.retry_every_s)
            return
        self.action = None
        if out.error is not None:
            err = out.error
            if action[0] == "checkin" and action[2] and err.code == "unknown_appointment":
                # an ID card with no booking today: go on to take a ticket with it
                self.pending_id = (action[2], time.monotonic())
                self.toast = self.tr("no_appointment")
                self.show("home")
                return
            message = {"service_closed": self.tr("service_closed"),
                       "too_many": self.tr("busy")}.get(err.code) or err.text(self.lang)
            self.show("error", message=message, retrying=False)
            return
        self.online = True
        self.show("ticket", outcome=out)
        if self.elder:
            self.say("ticket", number=out.ticket["number"])
        wait = self.cfg.ticket_screen_s * (1 if out.printed else 3)
        self._home_ev = Clock.schedule_once(lambda _dt: self._ticket_timeout(out), wait)
        self.refresh_async()

    def _ticket_timeout(self, out):
        if self.current == "ticket" and self.screens["ticket"].outcome is out:
            self.go_home()

    def _retry(self, action):
        self._retry_ev = None
        if self.current != "error" or self.action is not action:
            return
        self.busy = False
        self.action = None
        self._run_action(action, retry=True)

    # -- devices
    def on_code(self, text: str):
        """A code from the camera scanner or a HID scanner."""
        from hardware.idcard import validate_id_number
        text = text.strip()
        if not text:
            return
        if self.current == "admin":
            if self.admin_test == "scanner":
                shown = text if len(text) <= 40 else text[:37] + "..."
                self.screens["admin"].set_status(self.tr("scanned", code=shown))
            return
        self.touched()
        if self.busy:
            return
        if self.current == "identify":
            if validate_id_number(text.upper()):
                self.issue(self.screens["identify"].service["code"], text.upper())
            return
        if validate_id_number(text.upper()):
            self.check_in(id_number=text.upper())
        else:
            self.check_in(code=text)

    def on_card(self, card):
        """An ID card placed on the reader."""
        self.touched()
        if self.current == "admin":
            if self.admin_test == "reader":
                self.screens["admin"].set_status(self.tr("id_read", masked=card.masked_id_number))
            return
        if self.busy or not card.id_number_valid:
            return
        if self.current == "identify":
            self.issue(self.screens["identify"].service["code"], card.id_number)
        elif self.current in ("home", "checkin", "ticket", "error", "guide"):
            self.check_in(id_number=card.id_number)

    def _on_textinput(self, _window, text):
        if self.current == "admin" and self.screens["admin"].unlocked and self.admin_test != "scanner":
            return  # typing into the admin form
        for ch in text:
            code = self._hid.feed(ch)
            if code:
                self.on_code(code)

    def _on_key_down(self, _window, key, _scancode, _codepoint, _modifiers):
        if key in (13, 271):  # Enter / keypad Enter ends a HID scanner's burst
            code = self._hid.feed("\r")
            if code:
                self.on_code(code)
