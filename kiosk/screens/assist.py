"""帮办代办 (we do it for you): a resident asks the hall to handle a matter on their behalf, as on
the phone page /assist, one question a screen: the service, the matter (from the service's guide,
or "something else"), how the result comes back, how to address them (the ID card's name, or a
surname picked by its pinyin initial with 先生/女士), and the mobile number on the keypad with the
consent text on the send button. Then the request number, when the agent will call and the due
date, on the screen and on a printed slip. What is sent and said is kiosk/assist.py."""
from __future__ import annotations

import logging
import threading

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from .. import i18n
from ..assist import (COMMON, DELIVERIES, STEPS, SURNAMES, TITLES, UNLISTED, AssistForm, confirmation,
                      matter_name, matters_of, phone_display, service_name)
from ..widgets import (BLUE, BLUE_DARK, GREEN, GREY_BG, MUTED, SECONDARY_BG, TEXT, WHITE, BigButton, Keypad,
                       PHONE_KEYS, Panel, Text)
from .base import KioskScreen
from .surname import SurnamePicker, page_count, unlisted_lines

log = logging.getLogger(__name__)

DEVICE_REFUSALS = ("bad_token", "unauthorized", "forbidden")  # nothing the resident can fix
PROMPTS = {"service": "assist_choose_service", "matter": "assist_choose_matter",
           "delivery": "assist_choose_delivery", "name": "assist_name_prompt",
           "phone": "assist_phone_prompt"}


class AssistScreen(KioskScreen):
    def __init__(self, app, **kw):
        super().__init__(app, **kw)
        self.reset()

    def reset(self):
        self.form = AssistForm()
        self.step = "service"
        self.letter = ""  # "" shows the common surnames, UNLISTED what to do without one
        self.page = 0
        self.message, self.message_kind = "", "info"
        self.outcome = None  # kiosk.core.AssistOutcome once the server took the request
        self.sending = False

    def on_pre_enter(self, *_):
        self.reset()
        super().on_pre_enter()

    def on_leave(self, *_):
        """The name and phone are kept only while the resident is here."""
        self.reset()
        self.body.clear_widgets()

    # ------------------------------------------------------------------ drawing
    def build(self):
        lay = self.lay
        if self.step == "done":
            self.body.add_widget(self.header(self.tr("assist_title"), bg=GREEN))
            self.build_done()
            return
        n = STEPS.index(self.step) + 1
        self.body.add_widget(self.header(
            f"{self.tr('assist_title')} · {self.tr('assist_step', n=n, total=len(STEPS))}"))
        if self.step == "service":
            self.body.add_widget(Text(self.tr("assist_intro"), size=lay.body_px, color=TEXT, halign="left",
                                      size_hint_y=None,
                                      height=int(lay.body_px * 1.4 * (3 if lay.portrait else 2))))
        beside = self.step == "phone" or (self.step == "name" and self.name_sizes().prompt_in_row)
        # the phone step puts its question beside the keypad, landscape's name step in its row; on a
        # portrait machine the matter and delivery steps put it over their choices, in the middle
        if not beside and not self.centred_choices():
            self.body.add_widget(self.prompt_line())
        self.message_label = None
        getattr(self, f"build_{self.step}")()
        self.body.add_widget(self.buttons())

    def prompt_line(self, size: int = 36) -> Text:
        """The step's question (size designed at 1080 px)."""
        lay = self.lay
        prompt = self.tr(PROMPTS[self.step])
        if self.step == "matter":
            prompt = f"{service_name(self.form.service, self.app.lang)} · {prompt}"
        self.prompt_label = Text(prompt, size=lay.px(size), bold=True, one_line=True,
                                 halign="left", size_hint_y=None, height=int(lay.px(size) * 1.5))
        return self.prompt_label

    def centred_choices(self) -> bool:
        """On a portrait machine the matter and delivery steps stand as one block (question and
        large cards) in the middle of the screen, unless there are more matters than fit."""
        lay = self.lay
        if not lay.portrait or self.step not in ("matter", "delivery"):
            return False
        n = len(matters_of(self.form.service)) + 1 if self.step == "matter" else len(DELIVERIES) + 1
        _, height = lay.choice_key
        room = lay.height - 2 * lay.pad - 2 * lay.bar_h - 6 * lay.gap - int(lay.px(44) * 1.5)
        return n * (height + lay.gap) <= room

    def name_hint_line(self, sizes) -> Text:
        """The name step's line under the name: in portrait large, on up to two lines; in
        landscape on one line, as large as the initials' type."""
        lay = self.lay
        if not lay.portrait:
            return Text(self.message, size=lay.name_hint_px, bold=True, color=self.message_colour(), one_line=True,
                        size_hint_y=None, height=sizes.message_h)
        return Text(self.message, size=lay.name_hint_px, bold=True, color=self.message_colour(), balance=True,
                    size_hint_y=None, height=sizes.message_h)

    def buttons(self) -> BoxLayout:
        lay = self.lay
        home = BigButton(self.tr("home"), size=lay.button_px, bg=GREY_BG, color=TEXT)
        home.bind(on_release=lambda *_: self.app.go_home())
        self.home_button = home
        out = [home]
        self.prev_button = self.next_button = None
        if self.step != "service":
            # a way back, not a choice: light and outlined, never the filled blue of the chosen key
            prev = BigButton(self.tr("assist_prev"), size=lay.button_px, bg=SECONDARY_BG, color=BLUE_DARK,
                             border=list(BLUE))
            prev.bind(on_release=lambda *_: self.go_back())
            self.prev_button = prev
            out.append(prev)
        if self.step in ("name", "phone"):
            key = "assist_agree_submit" if self.step == "phone" else "assist_next"
            nxt = BigButton(self.tr(key), size=lay.button_px, bg=GREEN if self.step == "phone" else BLUE)
            nxt.bind(on_release=lambda *_: self.submit() if self.step == "phone" else self.name_done())
            self.next_button = nxt
            out.append(nxt)
        return self.bottom_bar(*out)

    def choice(self, text: str, on_tap, chosen: bool = False, size=None, **kw) -> BigButton:
        lay = self.lay
        b = BigButton(text, size=size or lay.px(34), bg=BLUE if chosen else WHITE,
                      color=WHITE if chosen else BLUE_DARK, border=list(BLUE), **kw)
        b.bind(on_release=lambda *_: on_tap())
        return b

    def build_service(self):
        lay = self.lay
        services = self.app.core.services
        cols = 2 if lay.portrait or lay.elder else 4
        rows = max(1, -(-len(services) // cols))
        grid = GridLayout(cols=cols, spacing=lay.gap, size_hint_y=None)
        scroll = ScrollView(do_scroll_x=False, bar_width=10)

        def fill(*_):  # buttons fill the screen; a hall with many services scrolls instead of shrinking them
            grid.height = max(scroll.height, rows * lay.key(84) + (rows - 1) * lay.gap)
        scroll.bind(height=fill)
        self.service_buttons = {}
        for svc in services:
            b = self.choice(service_name(svc, self.app.lang), lambda s=svc: self.pick_service(s),
                            size=lay.px(40), chosen=svc is self.form.service)
            self.service_buttons[svc["code"]] = b
            grid.add_widget(b)
        scroll.add_widget(grid)
        self.body.add_widget(scroll)
        fill()

    def build_matter(self):
        lay = self.lay
        box = BoxLayout(orientation="vertical", spacing=lay.gap, size_hint_y=None)
        box.bind(minimum_height=box.setter("height"))
        self.matter_buttons = []
        items = [(matter_name(m, self.app.lang), m) for m in matters_of(self.form.service)]
        items.append((self.tr("assist_other_matter"), None))
        size, height = lay.choice_key
        for text, m in items:
            b = self.choice(text, lambda m=m: self.pick_matter(m), size=size, size_hint_y=None, height=height,
                            chosen=(m is not None and m is self.form.matter) or (m is None and self.form.other_matter))
            self.matter_buttons.append(b)
            box.add_widget(b)
        if self.centred_choices():  # a few matters: with their question in the middle, no scrolling
            self.body.add_widget(Widget())
            self.body.add_widget(self.prompt_line(44))
            self.body.add_widget(box)
            self.body.add_widget(Widget())
            return
        scroll = ScrollView(do_scroll_x=False, bar_width=10)
        scroll.add_widget(box)
        self.body.add_widget(scroll)

    def build_delivery(self):
        lay = self.lay
        self.delivery_buttons = {}
        size, height = lay.choice_key
        if self.centred_choices():  # the question and its choices in the middle of the tall screen
            self.body.add_widget(Widget())
            self.body.add_widget(self.prompt_line(44))
        for d in DELIVERIES:
            b = self.choice(self.tr(f"assist_delivery_{d}"), lambda d=d: self.pick_delivery(d),
                            chosen=self.form.delivery == d, size=size, size_hint_y=None, height=height)
            self.delivery_buttons[d] = b
            self.body.add_widget(b)
        self.body.add_widget(Text(self.tr("assist_home_hint"), size=lay.body_px, color=MUTED, one_line=True,
                                  halign="left", size_hint_y=None, height=int(lay.body_px * 1.6)))
        self.body.add_widget(Widget())

    def name_sizes(self):
        return self.lay.name_step(len(SURNAMES), max(len(COMMON), *(len(v) for v in SURNAMES.values())))

    def build_name(self):
        lay, sizes = self.lay, self.name_sizes()
        row = BoxLayout(size_hint_y=None, height=sizes.row_h, spacing=lay.gap)
        if sizes.prompt_in_row:  # landscape: the question beside its answer, a line freed for keys
            self.prompt_label = Text(self.tr(PROMPTS["name"]), size=lay.px(36), bold=True, halign="left",
                                     size_hint_x=0.3, balance=True)  # two lines' height: may wrap between words
            row.add_widget(self.prompt_label)
        shown = self.form.name_shown(self.app.lang)
        display = Panel(bg=list(WHITE), border=list(BLUE), padding=(lay.pad, 4),
                        size_hint_x=0.3 if sizes.prompt_in_row else 0.5)
        self.name_label = Text(shown or self.tr("assist_no_name"), size=lay.px(48), bold=bool(shown),
                               color=TEXT if shown else MUTED, one_line=True)
        display.add_widget(self.name_label)
        row.add_widget(display)
        self.title_buttons = {}
        for t, (zh, en) in TITLES.items():
            b = self.choice(en if self.app.lang == "en" else zh, lambda t=t: self.pick_title(t),
                            chosen=self.form.title == t and not self.form.card_name, size=lay.px(40),
                            size_hint_x=0.2 if sizes.prompt_in_row else 0.25)
            self.title_buttons[t] = b
            row.add_widget(b)
        self.body.add_widget(row)
        # under the name it speaks of: how to give it, until there is something to say
        hint = "assist_name_card" if self.has_reader else "assist_name_pick"
        self.message_label = self.name_hint_line(sizes)
        if not self.message:  # what to do next: dark text, not a muted aside
            self.message_label.text, self.message_label.bold, self.message_label.color = self.tr(hint), False, TEXT
        self.body.add_widget(self.message_label)
        if lay.portrait:  # what the keys leave free goes half above, half below them: no band at the foot
            self.body.add_widget(Widget())
        chosen = self.form.surname if not self.form.card_name else ""
        self.picker = SurnamePicker(self, sizes, self.letter, self.page, chosen, self.has_reader)
        self.letter_buttons, self.surname_buttons = self.picker.letter_buttons, self.picker.surname_buttons
        self.page_buttons = self.picker.page_buttons
        self.body.add_widget(self.picker)
        self.body.add_widget(Widget())

    @property
    def has_reader(self) -> bool:
        return self.app.devices.reader is not None

    def build_phone(self):
        lay = self.lay
        portrait = lay.portrait
        row = BoxLayout(orientation="vertical" if portrait else "horizontal", spacing=lay.gap)
        left = BoxLayout(orientation="vertical", spacing=lay.px(10))
        left.add_widget(Text(self.tr("assist_phone_prompt"), size=lay.px(36), bold=True, one_line=True,
                             halign="left", size_hint_y=None, height=int(lay.px(36) * 1.5)))
        display = Panel(size_hint_y=None, height=lay.px(96), bg=list(WHITE), border=list(BLUE), padding=(lay.pad, 4))
        self.phone_label = Text(phone_display(self.form.phone), size=lay.px(52), bold=True, one_line=True)
        display.add_widget(self.phone_label)
        left.add_widget(display)
        self.message_label = self.message_line()
        left.add_widget(self.message_label)
        consent_px = lay.read_px(30 if portrait else 28)
        self.consent_label = Text(self.tr("assist_consent"), size=consent_px, color=TEXT, halign="left",
                                  valign="top", size_hint_y=None, height=int(consent_px * 1.4 * (3 if portrait else 4)))
        left.add_widget(self.consent_label)
        if portrait:
            left.size_hint_y = None
            left.height = (int(lay.px(36) * 1.5) + lay.px(96) + int(lay.read_px(30) * 1.6)
                           + self.consent_label.height + 3 * lay.px(10))
        else:
            left.add_widget(Widget())
        row.add_widget(left)
        self.keypad = Keypad(self.on_key, self.tr, lay, keys=PHONE_KEYS)
        row.add_widget(self.centred(self.keypad))
        self.body.add_widget(row)

    def build_done(self):
        lay = self.lay
        c = confirmation(self.outcome.request, self.form, self.app.core.hall, self.app.lang)
        self.confirmation = c
        k = lay.info_scale
        # portrait: one column; landscape: the number on the left, what happens next on the right
        box = BoxLayout(orientation="vertical" if lay.portrait else "horizontal", spacing=lay.gap)
        head = BoxLayout(orientation="vertical", spacing=lay.px(8))
        if not lay.portrait:
            head.size_hint_x = 0.38
        sizes = (lay.px(56 * k), lay.px(34 * k), lay.px(120 * k))
        head.add_widget(Text(c.title, size=sizes[0], bold=True, color=GREEN, one_line=True,
                             size_hint_y=None, height=int(sizes[0] * 1.4)))
        head.add_widget(Text(c.number_label, size=sizes[1], color=MUTED, one_line=True,
                             size_hint_y=None, height=int(sizes[1] * 1.4)))
        self.number_label = Text(c.number, size=sizes[2], bold=True, color=BLUE_DARK, one_line=True,
                                 size_hint_y=None, height=int(sizes[2] * 1.3))
        head.add_widget(self.number_label)
        head.size_hint_y = None
        head.height = int(sizes[0] * 1.4) + int(sizes[1] * 1.4) + int(sizes[2] * 1.3) + 2 * lay.px(8)
        box.add_widget(head)
        lines = [(f"{c.service} · {c.matter}", False), (c.contact, False), (c.delivery, False),
                 (c.call, True), (c.due, True),
                 (c.keep if self.outcome.printed else self.tr("assist_keep_note"), True)]
        facts = BoxLayout(orientation="vertical", spacing=lay.px(6))
        self.done_labels = []
        for text, strong in lines:
            size = lay.read_px((34 if strong else 30) * k)
            label = Text(text, size=size, bold=strong, color=TEXT if strong else MUTED, one_line=True,
                         halign="center" if lay.portrait else "left", size_hint_y=None, height=int(size * 1.5))
            self.done_labels.append(label)
            facts.add_widget(label)
        box.add_widget(facts)
        # one block in the middle of the screen, not at its top over a blank band: in portrait the
        # number above what happens next, in landscape beside it
        facts.size_hint_y = None
        facts.height = sum(label.height for label in self.done_labels) + lay.px(6) * (len(lines) - 1)
        box.size_hint_y = None
        box.height = (head.height + lay.gap + facts.height) if lay.portrait else max(head.height, facts.height)
        self.body.add_widget(Widget())
        self.body.add_widget(box)
        self.body.add_widget(Widget())
        home = BigButton(self.tr("home"), size=lay.button_px, bg=BLUE)
        home.bind(on_release=lambda *_: self.app.go_home())
        self.home_button = home
        self.body.add_widget(self.bottom_bar(home))

    def spoken(self) -> str | None:
        lang = self.app.lang
        if self.step == "done" and self.outcome is not None:
            c = confirmation(self.outcome.request, self.form, self.app.core.hall, lang)
            return i18n.spoken("assist_done", lang, number=c.number, call=c.call)
        return i18n.spoken("assist", lang, prompt=self.tr(PROMPTS.get(self.step, "assist_choose_service")))

    # ------------------------------------------------------------------ the resident's taps
    def go(self, step: str):
        self.step, self.message, self.message_kind = step, "", "info"
        self.rebuild()
        if self.app.elder:
            self.app.speak(self.spoken())

    def go_back(self):
        if self.sending:
            return
        i = STEPS.index(self.step)
        self.go(STEPS[max(0, i - 1)])

    def pick_service(self, svc: dict):
        if self.form.service is not svc:
            self.form.matter, self.form.other_matter = None, False
        self.form.service = svc
        self.go("matter")

    def pick_matter(self, matter: dict | None):
        self.form.matter, self.form.other_matter = matter, matter is None
        self.go("delivery")

    def pick_delivery(self, delivery: str):
        self.form.delivery = delivery
        self.go("name")

    def pick_letter(self, letter: str):
        self.letter, self.page = letter, 0
        if letter == UNLISTED:  # "my surname is not here": a surname picked before is not theirs
            self.form.surname = ""
        self.rebuild()
        if letter == UNLISTED and self.app.elder:
            self.app.speak(" ".join(self.tr(key) for key, _ in unlisted_lines(self.has_reader)))

    def turn_page(self, step: int):
        pages = page_count(self.letter, self.name_sizes())
        self.page = max(0, min(pages - 1, self.page + step))
        self.rebuild()

    def pick_surname(self, surname: str):
        self.form.surname, self.form.card_name = surname, ""
        self.message, self.message_kind = "", "info"
        self.rebuild()

    def pick_title(self, title: str):
        self.form.title, self.form.card_name = title, ""
        self.message, self.message_kind = "", "info"
        self.rebuild()

    def card_read(self, card):
        """An ID card on the reader anywhere in the flow gives the name (shown masked)."""
        name = (getattr(card, "name", "") or "").strip()
        if not name:
            return
        self.form.card_name = name
        if self.letter == UNLISTED:  # the card was the way forward: the advice is done
            self.letter, self.page = "", 0
        if self.step == "name":
            self.message, self.message_kind = self.tr("assist_name_read", name=self.form.name_shown(self.app.lang)), "ok"
            self.rebuild()

    def name_done(self):
        if not self.form.name:
            key = "assist_title_missing" if self.form.surname else "assist_name_missing"
            if self.letter == UNLISTED and not self.form.surname:  # the advice, not "pick a surname"
                key = "assist_unlisted_next" if self.has_reader else "assist_unlisted_desk_only"
            self.set_message(self.tr(key), "error")
            return
        self.go("phone")

    def set_message(self, text: str, kind: str):
        self.message, self.message_kind = text, kind
        if self.message_label is not None:
            self.message_label.text = text
            self.message_label.color = self.message_colour()

    def on_key(self, key: str):
        self.app.touched()
        if self.sending:
            return
        if key == "DEL":
            self.form.phone = self.form.phone[:-1]
        elif key == "CLR":
            self.form.phone = ""
        elif len(self.form.phone) < 11:
            self.form.phone += key
        self.phone_label.text = phone_display(self.form.phone)
        n = len(self.form.phone)
        if n == 11:
            ok = self.form.phone_ok
            self.set_message(self.tr("assist_phone_ok" if ok else "assist_phone_bad"), "ok" if ok else "error")
        else:
            self.set_message(self.tr("assist_phone_typing", n=n) if n else "", "info")

    def submit(self):
        if self.sending or self.app.busy:
            return
        if not self.form.phone_ok:
            self.set_message(self.tr("assist_phone_bad"), "error")
            return
        self.sending = True
        self.app.busy = True  # cards and scans wait; the idle timeout waits for the answer
        self.set_message(self.tr("assist_sending"), "info")
        form, lang, core = self.form, self.app.lang, self.app.core

        def run():
            try:
                out = core.request_assist(form, lang)
            except Exception:
                log.exception("assist request failed")
                Clock.schedule_once(lambda _dt: self._failed(), 0)
                return
            Clock.schedule_once(lambda _dt: self.sent(form, out), 0)
        threading.Thread(target=run, name="kiosk-assist", daemon=True).start()

    def _failed(self):
        self.sending = False
        self.app.recover()

    def sent(self, form: AssistForm, out):
        self.sending = False
        self.app.busy = False
        if form is not self.form or self.app.current != self.name:
            return  # the resident went home meanwhile
        if out.unreachable:
            self.app.online = False
            self.set_message(self.tr("assist_unreachable"), "error")
            self.app.speak(self.message) if self.app.elder else None
            return
        if out.error is not None:  # the server's words, but a kiosk's own trouble sends to the desk
            device = out.error.code in DEVICE_REFUSALS
            self.set_message(self.tr("assist_kiosk_refused") if device else out.error.text(self.app.lang), "error")
            self.app.speak(self.message) if self.app.elder else None
            return
        self.outcome = out
        self.go("done")
        self.app.done_screen_timeout(self, out)
