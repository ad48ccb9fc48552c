"""The service guide (办事指南), opened from the ⓘ on a tile: description, materials,
conditions and time limit from the hall config, then 取号."""
from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView

from .. import i18n
from ..widgets import BLUE, BLUE_DARK, GREY_BG, TEXT, BigButton, Text
from .base import KioskScreen


class GuideScreen(KioskScreen):
    service: dict = {}

    def service_name(self) -> str:
        svc = self.service
        return (svc.get("name_en") if self.app.lang == "en" and svc.get("name_en") else svc.get("name", ""))

    def build(self):
        svc, lay = self.service, self.lay
        self.body.add_widget(self.header(f"{self.service_name()} · {self.tr('guide_title')}"))
        guide = svc.get("guide") or {}
        box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=lay.px(12), padding=(8, 0))
        box.bind(minimum_height=box.setter("height"))
        if self.app.lang == "en" and guide:  # the hall's own text, as the government documents give it
            box.add_widget(Text(self.tr("guide_in_chinese"), size=lay.read_px(30), color=BLUE_DARK, halign="left",
                                auto_height=True))
        if guide.get("description"):
            box.add_widget(Text(guide["description"], size=lay.body_px, halign="left", auto_height=True))
        for key, value in (("materials", guide.get("materials")), ("conditions", guide.get("conditions")),
                           ("time_limit", guide.get("time_limit"))):
            if not value:
                continue
            box.add_widget(Text(self.tr(key), size=lay.px(34), color=BLUE_DARK, bold=True,
                                halign="left", auto_height=True))
            lines = value if isinstance(value, list) else [value]
            for i, line in enumerate(lines, 1):
                prefix = f"{i}. " if isinstance(value, list) else ""
                box.add_widget(Text(prefix + line, size=lay.body_px, halign="left", auto_height=True))
        colon = ": " if self.app.lang == "en" else "："
        for matter in guide.get("matters") or []:  # 事项, each with its own materials and steps
            name = matter.get("name_en") if self.app.lang == "en" and matter.get("name_en") else matter["name"]
            box.add_widget(Text(name, size=lay.px(34), color=BLUE, bold=True, halign="left", auto_height=True))
            for key in ("materials", "steps"):  # its own line over the numbered items
                if matter.get(key):
                    box.add_widget(Text(self.tr(key) + colon.strip(), size=lay.body_px, bold=True, color=BLUE_DARK,
                                        halign="left", auto_height=True))
                for i, line in enumerate(matter.get(key) or [], 1):
                    box.add_widget(Text(f"{i}. {line}", size=lay.body_px, halign="left", auto_height=True))
            if matter.get("time_limit"):
                box.add_widget(Text(f"{self.tr('time_limit')}{colon}{matter['time_limit']}", size=lay.body_px,
                                    halign="left", auto_height=True))
        # the bar stays shown (it does not fade) and can be dragged as well as the text
        bar = list(BLUE[:3]) + [0.7]
        scroll = ScrollView(do_scroll_x=False, bar_width=max(10, lay.px(14)), bar_color=bar,
                            bar_inactive_color=bar, scroll_type=["bars", "content"])
        scroll.add_widget(box)
        self.body.add_widget(scroll)
        # under a guide longer than the screen: that there is more, until its end is shown
        more_px = lay.read_px(28)
        self.more_label = more = Text(self.tr("guide_more"), size=more_px, color=BLUE_DARK, bold=True,
                                      one_line=True, size_hint_y=None, height=0, opacity=0)

        def show_more(*_):
            longer = box.height > scroll.height + 1
            more.height = int(more_px * 1.5) if longer else 0
            more.opacity = 1 if longer and scroll.scroll_y > 0.02 else 0
        for widget, prop in ((box, "height"), (scroll, "height"), (scroll, "scroll_y")):
            widget.bind(**{prop: show_more})
        self.body.add_widget(more)
        back = BigButton(self.tr("back"), size=lay.button_px, bg=GREY_BG, color=TEXT, size_hint_x=0.35)
        back.bind(on_release=lambda *_: self.app.go_home())
        take = BigButton(self.tr("take_ticket"), size=lay.px(40), bg=BLUE, size_hint_x=0.65)
        take.bind(on_release=lambda *_: self.app.after_guide(svc["code"]))
        self.take_button = take
        self.body.add_widget(self.bottom_bar(back, take))

    def spoken(self):
        return i18n.spoken("guide", self.app.lang, service=self.service_name())
