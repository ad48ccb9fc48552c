"""The surname picker on 帮办代办's "how to address you" step: 常用 and 没有我的姓 beside the pinyin
initials, and under them the chosen initial's surnames, a page at a time where the screen holds
fewer (上一页/下一页 in the page's last two places). 没有我的姓 puts, where the surnames were, what to
do instead: the ID card on the reader gives the name; without one, the desk takes the request.
Sizes come from Layout.name_step, so no key is smaller than a finger in elder mode."""
from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from ..assist import COMMON, SURNAMES, UNLISTED, surname_pages
from ..layout import SIDE_KEYS, NameStep
from ..widgets import BLUE, BLUE_DARK, GREY_BG, GREY_TEXT, TEXT, WHITE, BigButton, Panel, Text

def unlisted_lines(reader: bool) -> list[tuple[str, bool]]:
    """(i18n key, strong) of what 没有我的姓 says: the card first where the kiosk has a reader."""
    if reader:
        return [("assist_unlisted_title", True), ("assist_unlisted_card", False), ("assist_unlisted_desk", False)]
    return [("assist_unlisted_title", True), ("assist_unlisted_desk_only", False)]

def page_count(letter: str, sizes: NameStep) -> int:
    if letter == UNLISTED:
        return 1
    return len(surname_pages(SURNAMES.get(letter) or COMMON, sizes.page_size))

class SurnamePicker(BoxLayout):
    """The initials and a page of surnames, built for one state of the step. `screen` is the
    AssistScreen: its choice() draws the keys and its pick_letter / pick_surname / turn_page take
    the taps."""

    def __init__(self, screen, sizes: NameStep, letter: str, page: int, chosen: str, reader: bool, **kw):
        self.screen, self.sizes, self.lay = screen, sizes, screen.lay
        self.letter_buttons: dict[str, BigButton] = {}
        self.surname_buttons: dict[str, BigButton] = {}
        self.page_buttons: dict[int, BigButton] = {}  # -1: 上一页, +1: 下一页 (only when paged)
        self.unlisted_labels: list[Text] = []
        letters = self.initials(letter)
        if letter == UNLISTED:
            names = self.unlisted(reader)
        else:
            names = self.surnames(SURNAMES.get(letter) or COMMON, page, chosen)
        super().__init__(orientation="vertical", spacing=self.lay.gap, size_hint_y=None,
                         height=letters.height + self.lay.gap + names.height, **kw)
        self.add_widget(letters)
        self.add_widget(names)

    def initials(self, letter: str) -> BoxLayout:
        s, lay, screen = self.sizes, self.lay, self.screen
        keys = BoxLayout(spacing=s.gap, size_hint_y=None, height=s.letters_h)
        # 常用 and 没有我的姓: wide enough for 没有我的姓 at full size; the initials keep min_key
        side = BoxLayout(orientation="vertical", spacing=s.gap, size_hint_x=SIDE_KEYS / (s.letter_cols + SIDE_KEYS))
        for key, text in (("", "assist_common"), (UNLISTED, "assist_unlisted")):
            b = screen.choice(screen.tr(text), lambda k=key: screen.pick_letter(k), chosen=letter == key,
                              size=lay.px(38 if lay.portrait and not lay.elder else 34))
            self.letter_buttons[key] = b
            side.add_widget(b)
        keys.add_widget(side)
        grid = GridLayout(cols=s.letter_cols, spacing=s.gap)
        for initial in SURNAMES:
            b = screen.choice(initial, lambda x=initial: screen.pick_letter(x), chosen=initial == letter,
                              size=s.letter_px)
            self.letter_buttons[initial] = b
            grid.add_widget(b)
        for _ in range((-len(SURNAMES)) % s.letter_cols):
            grid.add_widget(Widget())
        keys.add_widget(grid)
        return keys

    def surnames(self, names: tuple[str, ...], page: int, chosen: str) -> GridLayout:
        s, lay, screen = self.sizes, self.lay, self.screen
        pages = surname_pages(names, s.page_size)
        page = max(0, min(page, len(pages) - 1))
        shown = pages[page]
        paged = len(pages) > 1
        # the page's rows always: the keys below stay put from one initial to the next
        cols, rows, key_h = s.name_grid(len(names))
        grid = GridLayout(cols=cols, spacing=s.gap, size_hint_y=None, height=s.names_h(),
                          row_default_height=key_h, row_force_default=True)
        for name in shown:
            b = screen.choice(name, lambda x=name: screen.pick_surname(x), size=s.name_px, chosen=name == chosen)
            self.surname_buttons[name] = b
            grid.add_widget(b)
        for _ in range(rows * cols - len(shown) - (2 if paged else 0)):
            grid.add_widget(Widget())
        if paged:
            where = f"{page + 1}/{len(pages)}"
            turns = ((-1, "assist_page_prev", page > 0), (1, "assist_page_next", page + 1 < len(pages)))
            for step, key, usable in turns:
                b = BigButton(screen.tr(key), size=lay.px(34), bg=BLUE_DARK if usable else GREY_BG,
                              color=WHITE if usable else GREY_TEXT, sub=where, sub_size=lay.px(24))
                if usable:
                    b.bind(on_release=lambda *_, d=step: screen.turn_page(d))
                self.page_buttons[step] = b
                grid.add_widget(b)
        return grid

    def unlisted(self, reader: bool) -> Panel:
        """What to do when the surname is not here, where the surnames were."""
        s, lay, screen = self.sizes, self.lay, self.screen
        pad_y = lay.px(8)
        panel = Panel(orientation="vertical", bg=list(WHITE), border=list(BLUE), padding=(lay.pad, pad_y),
                      size_hint_y=None, height=s.names_h())
        lines = unlisted_lines(reader)
        line_h = (panel.height - 2 * pad_y) / len(lines)
        panel.add_widget(Widget())  # the lines together in the middle, as one message
        for key, strong in lines:
            size = min(lay.px(38 if strong else 34), int(line_h / 1.4))
            label = Text(screen.tr(key), size=size, bold=strong, color=BLUE_DARK if strong else TEXT,
                         one_line=True, size_hint_y=None, height=min(line_h, int(size * 1.6)))
            self.unlisted_labels.append(label)
            panel.add_widget(label)
        panel.add_widget(Widget())
        return panel
