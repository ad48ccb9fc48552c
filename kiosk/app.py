"""The Kivy kiosk app: navigation between the screens (kiosk/screens/), the resident's actions,
device input (decided in kiosk/routing.py) and the guard that keeps the kiosk running.

Threads: HTTP calls and printing run on worker threads (KioskCore is blocking); the event stream,
camera scanner and ID-card reader have their own threads. Everything that touches widgets is
handed to the UI thread with Clock.schedule_once.

The kiosk keeps running: an exception anywhere in a screen or a callback is logged, and the kiosk
goes home with a short apology ("抱歉,出了点问题,请重新选择"). Only a burst of failures (5 in
30 s) lets the process end, for the supervisor to restart it (docs/operations.md).
"""
from __future__ import annotations

import logging
import threading
import time

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from client.events import RESET, Event, EventStream
from client.heartbeat import Heartbeat

from . import i18n
from .client import KioskClient
from .config import KioskConfig, save_connection
from .core import KioskCore, Outcome
from .devices import Devices
from .layout import Layout
from .routing import Router, Where, mask
from .screens import SCREENS
from .widgets import BG, register_fonts

log = logging.getLogger(__name__)

ADMIN_HOLD_S = 3.0  # long press in the top-left corner opens the admin PIN screen
ADMIN_CORNER = 110  # px
PENDING_ID_S = 120.0  # an ID read on home (no appointment) goes with the next ticket
TOAST_S = 20.0  # a message on the home screen stays this long
DESK_JOBS_S = 5.0  # how often an idle kiosk asks for tickets the front desk sent it
FINGER_HOLD_S = 2.0  # home's redraw waits at most this long for a finger to lift (a tap is ~0.1 s)
CRASH_BURST = (5, 30.0)  # this many failures within this many seconds: let the supervisor restart


def _ui(fn, *args):
    """Run fn(*args) on the UI thread (Clock.schedule_once is safe from any thread)."""
    Clock.schedule_once(lambda _dt: fn(*args), 0)


class KeepRunning(ExceptionHandler):
    """Kivy's event loop hands every uncaught exception here: log it, go home, carry on."""

    def __init__(self, app: "KioskApp"):
        super().__init__()
        self.app = app
        self.times: list[float] = []

    def handle_exception(self, inst):
        if isinstance(inst, (KeyboardInterrupt, SystemExit)):
            return ExceptionManager.RAISE
        now = time.monotonic()
        self.times = [t for t in self.times if now - t < CRASH_BURST[1]] + [now]
        log.error("kiosk screen failed (%s on %s)", inst.__class__.__name__, self.app.current_or_none,
                  exc_info=inst)
        if len(self.times) >= CRASH_BURST[0]:
            log.critical("%d failures in %.0f s: exiting for the supervisor to restart the kiosk",
                         len(self.times), CRASH_BURST[1])
            return ExceptionManager.RAISE
        Clock.schedule_once(lambda _dt: self.app.recover(), 0)
        return ExceptionManager.PASS


class KioskRoot(FloatLayout):
    def __init__(self, app: "KioskApp", **kw):
        super().__init__(**kw)
        self.app = app
        self._hold = None

    def on_touch_down(self, touch):
        self.app.touched()
        self.app.finger_down()
        if touch.x < ADMIN_CORNER and touch.y > self.height - ADMIN_CORNER:
            self._hold = Clock.schedule_once(lambda _dt: self.app.show("admin"), ADMIN_HOLD_S)
            touch.ud["admin_hold"] = True
        return super().on_touch_down(touch)

    def on_touch_up(self, touch):
        if touch.ud.get("admin_hold") and self._hold is not None:
            self._hold.cancel()
            self._hold = None
        try:
            return super().on_touch_up(touch)
        finally:
            self.app.finger_lifted()


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
        self.router = Router()
        self.lang = cfg.language
        self.elder = False
        self.online = False
        self.toast = ""
        self.toast_at = 0.0
        self.busy = False
        self.action = None  # what the error screen retries
        self.last_outcome: Outcome | None = None
        self.last_touch = time.monotonic()
        # touches down now; home's figures that change meanwhile wait for the finger to lift (at
        # most FINGER_HOLD_S): a rebuild between down and up replaced the button under it and the
        # tap was lost
        self.fingers = 0
        self.finger_at = 0.0
        self._home_stale = False
        self.admin_test: str | None = None
        self.pending_id: tuple[str, float] | None = None
        self.stream: EventStream | None = None
        self.heartbeat: Heartbeat | None = None
        self.guard = KeepRunning(self)
        self.recoveries = 0
        self._refresh_ev = None
        self._retry_ev = None
        self._home_ev = None
        self._hid = None
        self.spoken: list[str] = []

    @property
    def layout(self) -> Layout:
        w, h = Window.size
        return Layout(int(w), int(h), self.elder)

    @property
    def scale(self) -> float:
        return self.layout.scale

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
        self.screens = {name: cls(self, name=name) for name, cls in SCREENS.items()}
        for screen in self.screens.values():
            self.sm.add_widget(screen)
        self.root_widget.add_widget(self.sm)
        return self.root_widget

    def on_start(self):
        from hardware.scanner import HidScannerBuffer
        ExceptionManager.add_handler(self.guard)
        self._hid = HidScannerBuffer()
        Window.bind(on_textinput=self._on_textinput, on_key_down=self._on_key_down,
                    on_resize=self._on_resize)
        self.devices.start()
        self.refresh_async()
        self.open_stream()
        # last-seen on /admin; "degraded" while the printer has an open fault
        self.heartbeat = Heartbeat(self.client, "kiosk", state=self._health).start()
        self._tick_ev = Clock.schedule_interval(self.tick, 1.0)
        self._poll_ev = Clock.schedule_interval(lambda _dt: self.refresh_async(), 30.0)

    def on_stop(self):
        if self.stream:
            self.stream.close()
        if self.heartbeat:
            self.heartbeat.stop()
        self.devices.stop()
        for ev in ("_tick_ev", "_poll_ev", "_retry_ev", "_home_ev", "_refresh_ev"):
            if getattr(self, ev, None) is not None:
                getattr(self, ev).cancel()
        Window.unbind(on_textinput=self._on_textinput, on_key_down=self._on_key_down,
                      on_resize=self._on_resize)
        if self.guard in ExceptionManager.handlers:
            ExceptionManager.remove_handler(self.guard)

    def open_stream(self):
        """The one place the kiosk opens the hall's event stream (again after a reconfigure)."""
        if self.stream:
            self.stream.close()
        self.stream = EventStream(self.cfg.server, self.cfg.hall, backoff_max=10.0,
                                  on_event=lambda ev: _ui(self.on_event, ev),
                                  on_status=lambda up: _ui(self.on_stream_state, up)).start("kiosk-events")

    def _health(self) -> tuple[str, str | None]:
        fault = self.core.open_fault
        return ("degraded", f"printer: {fault}") if fault else ("ok", None)

    def recover(self):
        """After a failure: forget the half-done action and go home with an apology."""
        self.recoveries += 1
        self.busy, self.action = False, None
        self.set_toast(self.tr("sorry_restart"))
        try:
            self.go_home()
        except Exception:
            log.exception("going home after a failure failed too")

    # -- navigation
    @property
    def current(self) -> str:
        return self.sm.current

    @property
    def current_or_none(self) -> str | None:
        sm = getattr(self, "sm", None)
        return sm.current if sm is not None else None

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
        if self.elder:
            self.speak(screen.spoken())

    def speak(self, text: str | None):
        if text:
            self.spoken.append(text)
            self.devices.say(text, self.lang)

    def _on_resize(self, *_):
        Clock.schedule_once(lambda _dt: self.screens[self.current].rebuild(), 0)

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

    def home_changed(self):
        """The server's data or a message on home changed: redraw home if it is showing; while a
        finger is on the screen, once it lifts."""
        if self._finger_on():
            self._home_stale = True
            return
        self._home_stale = False
        if self.current == "home":
            self.screens["home"].rebuild()

    def finger_down(self):
        self.fingers += 1
        self.finger_at = time.monotonic()

    def finger_lifted(self):
        self.fingers = max(0, self.fingers - 1)
        if not self.fingers and self._home_stale:
            self.home_changed()

    def _finger_on(self) -> bool:
        # a lift that never came (a touch lost by the driver) holds nothing for long
        return self.fingers > 0 and time.monotonic() - self.finger_at < FINGER_HOLD_S

    def set_toast(self, text: str):
        self.toast, self.toast_at = text, time.monotonic()

    def notice_text(self) -> str:
        """The message line on home: a toast, or the ID waiting for the next ticket."""
        if self.toast:
            return self.toast
        if self.pending_id:
            id_number = self.pending_id[0]
            key = "id_identified_elderly" if self.core.priority_for(id_number) else "id_identified"
            return self.tr(key, masked=mask(id_number))
        return ""

    def tick(self, _dt):
        """Once a second: idle timeout back home; toasts and held IDs expire; printer watch."""
        self.core.check_printer()
        now = time.monotonic()
        if self._home_stale and not self._finger_on():
            self.home_changed()
        if self.current == "home" and now - getattr(self, "_desk_jobs_at", 0.0) > DESK_JOBS_S:
            self._desk_jobs_at = now  # tickets sent from the front desk, printed while idle
            threading.Thread(target=self.core.print_desk_jobs, name="kiosk-desk-jobs", daemon=True).start()
        if self.pending_id and now - self.pending_id[1] > PENDING_ID_S:
            self.pending_id = None
            self.home_changed()
        if self.toast and now - self.toast_at > TOAST_S:
            self.toast = ""
            self.home_changed()
        if self.current in ("home", "progress") or self.busy:
            return
        if now - self.last_touch > self.layout.timeout_s(self.cfg.idle_timeout_s):
            log.info("idle: back to home from %s", self.current)
            self.lang, self.elder, self.toast, self.pending_id = self.cfg.language, False, "", None
            self.router.forget()
            self.go_home()

    def toggle_language(self):
        self.lang = "en" if self.lang == "zh" else "zh"
        self.screens[self.current].rebuild()
        if self.elder:
            self.speak(self.screens[self.current].spoken())

    def toggle_elder(self):
        self.elder = not self.elder
        self.screens[self.current].rebuild()
        if self.elder:
            self.speak(self.screens[self.current].spoken())

    # -- server data
    def refresh_async(self):
        def run():
            ok = self.core.refresh()
            _ui(self._refreshed, ok)
        threading.Thread(target=run, name="kiosk-refresh", daemon=True).start()

    def _refreshed(self, ok):
        changed = ok != self.online
        self.online = ok or (self.stream is not None and self.stream.connected)
        if ok or changed:
            self.home_changed()

    def on_stream_state(self, up):
        if up:
            self.refresh_async()
        elif self.online:
            self.online = False
            self.home_changed()

    def on_event(self, ev: Event):
        data = ev.data or {}
        if isinstance(data.get("data"), dict):
            data = data["data"]
        if isinstance(data.get("waiting"), dict):
            self.core.apply_waiting(data["waiting"])
        if ev.type == RESET:  # the server's database was restored: reload everything
            self.refresh_async()
        elif ev.type.startswith(("ticket.", "window.")):
            if self._refresh_ev is None:  # debounce bursts of events into one refresh
                def go(_dt):
                    self._refresh_ev = None
                    self.refresh_async()
                self._refresh_ev = Clock.schedule_once(go, 0.3)
            self.home_changed()

    def reconfigure(self, server: str, token: str):
        self.cfg.server, self.cfg.device_token = server.rstrip("/"), token
        self.client.configure(self.cfg.server, token)
        try:
            save_connection(self.cfg)
        except OSError as exc:
            log.error("cannot save the kiosk config: %s", exc)
        self.open_stream()
        self.refresh_async()

    # -- the resident's path
    def on_service(self, code: str):
        """A tap on a tile: one tap to a ticket unless the hall requires the ID for it."""
        svc = self.core.service(code)
        if svc is None or self.busy or not svc.get("open", True):
            return  # a closed tile shows its hours and does nothing
        self.toast = ""
        if self.pending_id and time.monotonic() - self.pending_id[1] < PENDING_ID_S:
            id_number, self.pending_id = self.pending_id[0], None
            self.issue(code, id_number)
        elif self.cfg.identify_mode(svc) == "required":
            self.show("identify", service=svc, mode="required")
        else:
            self.issue(code)

    def after_guide(self, code: str):
        self.on_service(code)

    def show_guide(self, code: str):
        svc = self.core.service(code)
        if svc is not None and not self.busy:
            self.show("guide", service=svc)

    def choose_id(self):
        """The resident chose to give the ID first: it goes with the next tile tapped."""
        self.show("identify", service=None, mode="choose")

    def identified(self, id_number: str):
        self.pending_id = (id_number, time.monotonic())
        self.toast = ""
        self.go_home()

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
        lang = self.lang

        def printing(_ticket):
            _ui(self.screens["progress"].set_text, "printing")

        def run():
            try:
                kind, a, b = action
                if kind == "issue":
                    out = self.core.take_ticket(a, b, on_printing=printing, lang=lang)
                else:
                    out = self.core.check_in(code=a, id_number=b, on_printing=printing, lang=lang)
                out.timings["action_s"] = time.perf_counter() - started
            except Exception:
                log.exception("kiosk action %s failed", action[0])
                _ui(self.recover)
                return
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
            if action[0] == "checkin" and err.code == "unknown_appointment":
                if action[2]:  # an ID with no booking today: it goes with the next ticket
                    self.identified(action[2])
                else:
                    self.show("error", message=self.tr("unknown_appointment_code"), retrying=False)
                return
            message = {"service_closed": self.tr("service_closed"),
                       "too_many": self.tr("busy")}.get(err.code) or err.text(self.lang)
            self.show("error", message=message, retrying=False)
            return
        self.online = True
        self.show("ticket", outcome=out)
        wait = self.layout.timeout_s(self.cfg.ticket_screen_s) * (1 if out.printed or out.duplicate else 3)
        self._home_ev = Clock.schedule_once(lambda _dt: self._ticket_timeout(out), wait)
        self.refresh_async()

    def _ticket_timeout(self, out):
        if self.current == "ticket" and self.screens["ticket"].outcome is out:
            self.go_home()

    def done_screen_timeout(self, screen, out):
        """A 帮办代办 confirmation goes home like a ticket, given twice as long to read (or note)."""
        wait = self.layout.timeout_s(self.cfg.ticket_screen_s) * (2 if out.printed else 3)
        self._home_ev = Clock.schedule_once(
            lambda _dt: self.go_home() if self.current == screen.name and screen.outcome is out else None, wait)

    def _retry(self, action):
        self._retry_ev = None
        if self.current != "error" or self.action is not action:
            return
        self.busy = False
        self.action = None
        self._run_action(action, retry=True)

    # -- devices: what a scan or a card does is decided in routing.py
    def where(self) -> Where:
        svc = getattr(self.screens["identify"], "service", None) if self.current == "identify" else None
        return Where(self.current, busy=self.busy, admin_test=self.admin_test,
                     service=(svc or {}).get("code"), hall=self.cfg.hall)

    def on_code(self, text: str):
        """A code from the camera scanner or a HID scanner."""
        if self.current != "admin":
            self.touched()
        self._act(self.router.route_code(text, self.where()))

    def on_card(self, card):
        """An ID card placed on the reader."""
        if self.current != "admin":
            self.touched()
        act = self.router.route_card(card.id_number, card.id_number_valid, self.where())
        if act.kind == "assist_card":  # 帮办代办: the card gives the name to address the resident by
            self.screens["assist"].card_read(card)
            return
        self._act(act)

    def _act(self, act):
        if act.kind == "admin_status":
            key = "scanned" if self.admin_test == "scanner" else "id_read"
            self.screens["admin"].set_status(self.tr(key, code=act.shown, masked=act.shown))
        elif act.kind == "issue":
            if act.service:
                self.issue(act.service, act.id_number)
            else:  # the resident is giving the ID before choosing a service
                self.identified(act.id_number)
        elif act.kind == "checkin":
            self.check_in(code=act.code, id_number=act.id_number)
        elif act.kind == "notice":
            if self.current in ("identify", "checkin"):
                self.screens[self.current].set_message(self.tr(act.text_key), "error")
            else:
                self.set_toast(self.tr(act.text_key))
                self.go_home()
            if self.elder:
                self.speak(self.tr(act.text_key))

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
