"""Home: one tile per service filling the screen (a tap takes a ticket; ⓘ opens the guide),
the elder-mode and language switches, appointment check-in, "ticket with my ID" and 帮办代办."""
from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from ..widgets import (BLUE, BLUE_DARK, GREEN, MUTED, ORANGE, RED, TEXT, WHITE, BigButton, Panel,
                       ServiceTile, Text)
from .base import KioskScreen


class HomeScreen(KioskScreen):
    def build(self):
        app, lay = self.app, self.lay
        top = Panel(size_hint_y=None, height=lay.bar_h, bg=list(BLUE), radius=10,
                    padding=(lay.pad, 8), spacing=lay.gap)
        name = app.core.hall.get("name_en") if app.lang == "en" else app.core.hall.get("name")
        top.add_widget(Text(name or "hallq", size=lay.title_px, color=WHITE, bold=True, halign="left",
                            one_line=True, size_hint_x=0.5))
        elder = BigButton(self.tr("elder_on" if app.elder else "elder_mode"), size=lay.px(30),
                          bg=ORANGE if app.elder else BLUE_DARK, size_hint_x=0.28)
        elder.bind(on_release=lambda *_: app.toggle_elder())
        self.elder_button = elder
        lang = BigButton(self.tr("lang_switch"), size=lay.px(30), bg=BLUE_DARK, size_hint_x=0.22)
        lang.bind(on_release=lambda *_: app.toggle_language())
        self.lang_button = lang
        top.add_widget(elder)
        top.add_widget(lang)
        self.body.add_widget(top)

        services = app.core.services
        banners = []
        if not app.online:
            banners.append(Text(self.tr("offline_banner"), size=lay.body_px, color=RED, bold=True,
                                one_line=True, size_hint_y=None, height=lay.banner_h))
        notice = app.notice_text()
        self.toast_label = None
        if notice:
            self.toast_label = Text(notice, size=lay.body_px, color=RED if app.toast else GREEN,
                                    bold=True, size_hint_y=None, height=lay.banner_h * 2)
            banners.append(self.toast_label)
        for b in banners:
            self.body.add_widget(b)
        show_title, show_notice = lay.home_parts(len(services), [b.height for b in banners])
        if show_title:
            self.body.add_widget(Text(self.tr("choose_service"), size=lay.px(34), color=TEXT, bold=True,
                                      one_line=True, size_hint_y=None, height=lay.title_h))

        cols, rows = lay.columns(len(services)), lay.rows(len(services))
        grid = GridLayout(cols=cols, spacing=lay.gap, size_hint_y=None)
        scroll = ScrollView(do_scroll_x=False, bar_width=10)

        def fill(*_):  # tiles fill the screen; below their minimum height the grid scrolls
            grid.height = max(scroll.height, rows * lay.min_tile_h + (rows - 1) * lay.gap)
        scroll.bind(height=fill)
        self.tiles = {}
        for svc in services:
            tile = ServiceTile(svc, app.lang, lay, self.tr, on_guide=app.show_guide)
            tile.bind(on_release=lambda t: app.on_service(t.code))
            self.tiles[svc["code"]] = tile
            grid.add_widget(tile)
        scroll.add_widget(grid)
        self.body.add_widget(scroll)
        fill()

        foot = BoxLayout(size_hint_y=None, height=lay.bar_h, spacing=lay.gap)  # English may take two lines
        checkin = BigButton(self.tr("checkin_button"), size=lay.button_px, bg=GREEN, wrap=True)
        checkin.bind(on_release=lambda *_: app.show("checkin"))
        self.checkin_button = checkin
        foot.add_widget(checkin)
        with_id = BigButton(self.tr("id_with"), size=lay.button_px, bg=BLUE_DARK, wrap=True)
        with_id.bind(on_release=lambda *_: app.choose_id())
        self.id_button = with_id
        foot.add_widget(with_id)
        assist = BigButton(self.tr("assist_button"), size=lay.button_px, bg=BLUE, wrap=True)
        assist.bind(on_release=lambda *_: app.show("assist") if not app.busy else None)
        self.assist_button = assist
        foot.add_widget(assist)
        self.body.add_widget(foot)
        hall_notice = app.core.hall.get("notice_en" if app.lang == "en" else "notice") or ""
        if hall_notice and show_notice:
            self.body.add_widget(Text(hall_notice, size=lay.hint_px(24), color=MUTED, size_hint_y=None,
                                      height=lay.notice_h))
