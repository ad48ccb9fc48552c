"""Sizes of the kiosk's screens for the screen it runs on, in pixels. No Kivy here.

Halls buy standing portrait machines (1080x1920) and desktop landscape ones (1920x1080,
1280x800). Everything scales with the shorter side (1080 px = 1.0); elder mode (长者模式) makes
type 1.3x larger and tiles two to a row, and no key is smaller than 80 px either way (an elderly
finger's size, however short the screen). In portrait, service names are at least 40 px (56 px in
elder mode), which the numbers below give at 1080 px wide.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

ELDER_SCALE = 1.3
ELDER_MIN_KEY = 80  # px, width and height: the smallest key elder mode offers a finger
TOUCH_MIN = 48  # px: the smallest side of a small key (the tile's ⓘ 指南) in normal mode, at any size
READ_MIN = 26  # px: the smallest type of what a resident must read to go on (the name step's hint)
HINT_MIN = 22  # px: the smallest type of a hint or notice (the hall's notice, the QR code's caption)
SIDE_KEYS = 2.4  # the name step's 常用 / 没有我的姓 column beside the initials, in initials' keys


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    elder: bool = False

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def unit(self) -> float:
        """1.0 on a 1080 px short side."""
        return min(self.width, self.height) / 1080

    @property
    def scale(self) -> float:
        return self.unit * (ELDER_SCALE if self.elder else 1.0)

    def px(self, n: float) -> int:
        """A type size or a height designed at 1080 px, normal mode."""
        return int(round(n * self.scale))

    @property
    def min_key(self) -> int:
        """The smallest side of a key: 80 px in elder mode; normal mode keeps the design sizes."""
        return ELDER_MIN_KEY if self.elder else 0

    def key(self, n: float) -> int:
        """A key's side designed at 1080 px, never under min_key."""
        return max(self.min_key, self.px(n))

    # -- the frame of every screen
    @property
    def pad(self) -> int:
        return max(12, int(28 * self.unit))

    @property
    def gap(self) -> int:
        return max(10, int(20 * self.unit))

    @property
    def bar_h(self) -> int:
        """Top bar and bottom buttons."""
        return self.px(104)

    # -- home: the service tiles
    def columns(self, n_services: int) -> int:
        if self.portrait or self.elder:
            return 2 if n_services > 1 else 1
        return min(4, max(1, n_services))

    def rows(self, n_services: int) -> int:
        return max(1, math.ceil(n_services / self.columns(n_services)))

    @property
    def name_px(self) -> int:
        # portrait: 44 px (57 px elder) at 1080 wide; landscape keeps room for 4 names a row
        return self.px(44 if self.portrait else 40)

    @property
    def wait_px(self) -> int:
        return self.px(34 if self.portrait else 30)

    @property
    def tile_stacked(self) -> bool:
        """Tiles hold prefix/ⓘ, name and wait line on three rows; elder landscape tiles are
        short and wide, so prefix, name and ⓘ share the first row."""
        return self.portrait or not self.elder

    @property
    def guide_key(self) -> tuple[int, int]:
        """The tile's ⓘ 指南 key (width in Chinese, height). Stacked tiles carry it on their top
        row; elder landscape tiles as a column down their right side, as tall as the tile. In
        normal mode it is never under TOUCH_MIN tall (a resident's finger on a public screen),
        and twice as wide as tall in Chinese."""
        if self.elder:
            return self.key(110), self.key(44)
        height = max(TOUCH_MIN, self.px(56))
        return max(2 * TOUCH_MIN, self.px(130)), height

    @property
    def guide_key_en(self) -> int:
        """Its width in English ("ⓘ Guide")."""
        return self.key(130) if self.elder else max(int(2.4 * TOUCH_MIN), self.px(150))

    @property
    def guide_px(self) -> int:
        """The type on the ⓘ 指南 key."""
        return self.px(26) if self.elder else max(20, self.px(28))

    @property
    def min_tile_h(self) -> int:
        rows = (self.guide_key[1] if self.tile_stacked else 0) + int(self.name_px * 1.35)
        return max(rows + int(self.wait_px * 1.5), self.guide_key[1]) + self.px(24)

    @property
    def title_h(self) -> int:
        return int(self.px(34) * 1.5)

    @property
    def notice_h(self) -> int:
        """The hall's notice under the tiles: two lines."""
        return int(self.hint_px(24) * 2.8)

    @property
    def banner_h(self) -> int:
        return int(self.body_px * 1.6)

    def home_parts(self, n_services: int, banners: list[int] = ()) -> tuple[bool, bool]:
        """(title, notice): whether the "choose a service" line and the hall notice fit above and
        below tiles of at least min_tile_h (banners: heights of the message lines shown); tiles
        come first."""
        rows = self.rows(n_services)
        banner_h = sum(banners)
        banners = len(banners)

        def tile_h(parts: int, extra: int) -> float:
            widgets = 3 + banners + parts  # top bar, tiles, footer (+ banners, title, notice)
            free = self.height - 2 * self.pad - 2 * self.bar_h - banner_h - extra - (widgets - 1) * self.gap
            return (free - (rows - 1) * self.gap) / rows
        if tile_h(2, self.title_h + self.notice_h) >= self.min_tile_h:
            return True, True
        if tile_h(1, self.title_h) >= self.min_tile_h:
            return True, False
        return False, False

    # -- other screens
    @property
    def title_px(self) -> int:
        return self.px(40)

    @property
    def body_px(self) -> int:
        return self.px(30)

    @property
    def button_px(self) -> int:
        return self.px(36)

    @property
    def number_px(self) -> int:
        return self.px(200 if self.portrait else 150)

    @property
    def key_px(self) -> int:
        return self.px(56 if self.portrait else 44)

    @property
    def info_scale(self) -> float:
        """The ticket's lines are larger on a tall screen, where there is room for them."""
        return 1.2 if self.portrait else 1.0

    @property
    def key_size(self) -> tuple[int, int]:
        """A keypad key: wide and tall enough for a finger, never a stretched bar. In landscape the
        keypad stands beside what is typed and takes the height between the two bars (keys up to
        140 px tall a 1080 px screen), not a small block in the middle."""
        if self.portrait:  # a tall screen: large keys under what is typed, within its width
            h = self.px(180)
            return (min(int(h * 1.45), int((self.width - 2 * self.pad - 2 * self.keypad_gap) / 3 * 0.9)), h)
        body = self.height - 2 * self.pad - 2 * self.bar_h - 2 * self.gap
        h = max(self.min_key, min(self.px(140), (body - 3 * self.keypad_gap) // 4))
        return (int(h * 1.45), h)

    def hint_px(self, n: float) -> int:
        """Type of a hint or notice a resident may read (the hall's notice, the QR code's
        caption): its design size, never under HINT_MIN on a short landscape screen."""
        return max(HINT_MIN, self.px(n))

    def read_px(self, n: float) -> int:
        """Type a resident must read to go on (how to give the ID, what the phone is used for):
        its design size, never under READ_MIN on a short landscape screen (1280x800)."""
        return max(READ_MIN, self.px(n))

    @property
    def keypad_gap(self) -> int:
        return max(8, self.px(12))

    @property
    def choice_key(self) -> tuple[int, int]:
        """(type, height) of a 帮办代办 choice a row (the matter, the delivery): on a portrait
        machine large cards in the middle of the screen, in landscape what the short screen holds."""
        return (self.px(48), self.key(280)) if self.portrait else (self.px(40), self.key(120))

    @property
    def qr_px(self) -> int:
        return self.px(320)

    def name_step(self, letters: int, most_names: int) -> "NameStep":
        """Sizes of 帮办代办's "how to address you" step for `letters` pinyin initials and at most
        `most_names` surnames under one of them (see NameStep). Landscape is short: keys take what is
        left, up to 140 px a 1080 px screen. A portrait machine is tall: the initials grow to square keys
        and the surnames to keys as tall as they are wide, so the room goes to larger keys rather
        than a blank band under them."""
        portrait = self.portrait
        letter_cols, name_cols = (6, 6) if portrait else (11, 8)
        prompt_h = int(self.px(36) * 1.5)
        row_h = self.key(112 if portrait else 84)
        message_h = int(self.name_hint_px * 1.3 * 2) if portrait else int(self.name_hint_px * 1.6)
        gap = max(6, self.px(10))
        letter_rows = math.ceil(letters / letter_cols)
        # header, (question), name row, message, (free space), initials, surnames, free space,
        # bottom buttons: portrait's room is shared above and below the keys
        gaps = 8 if portrait else 6
        fixed = 2 * self.pad + 2 * self.bar_h + row_h + message_h + (prompt_h if portrait else 0)
        free = self.height - fixed - gaps * self.gap
        width = self.width - 2 * self.pad

        def fits(name_rows: int) -> int:
            rows = letter_rows + name_rows
            return (free - (rows - 2) * gap) // rows
        name_rows = max(1, math.ceil(most_names / name_cols))
        while name_rows > 1 and fits(name_rows) < self.min_key:
            name_rows -= 1  # fewer rows a page, never smaller keys
        room = fits(name_rows)
        if portrait:  # the initials' keys about square, then the surnames' as tall as wide, in what is left
            grid_w = (width - gap) / (1 + SIDE_KEYS / (letter_cols + SIDE_KEYS))
            letter_w = int((grid_w - (letter_cols - 1) * gap) / letter_cols)
            letter_h = max(self.min_key, min(room, max(self.px(96), int(1.1 * letter_w))))
            names_room = free - letter_rows * letter_h - (letter_rows - 1) * gap
            name_w = int((width - (name_cols - 1) * gap) / name_cols)
            name_h = max(self.min_key, min((names_room - (name_rows - 1) * gap) // name_rows,
                                           max(self.px(124), name_w)))
        else:  # short: the keys take what there is, up to 140 px a 1080 px screen
            letter_h = name_h = max(self.min_key, min(self.px(140), room))
        return NameStep(prompt_in_row=not portrait, prompt_h=prompt_h, row_h=row_h, message_h=message_h,
                        gap=gap, width=width, letter_cols=letter_cols, letter_rows=letter_rows,
                        letter_h=letter_h, letter_px=max(self.px(34), int(letter_h * 0.36)),
                        name_cols=name_cols, name_rows=name_rows, name_h=name_h,
                        name_px=max(self.px(48), int(name_h * 0.4)), fill_page=portrait)

    @property
    def name_hint_px(self) -> int:
        """The hint under the name (how to give it, or what is missing): as large as the initials'
        type on one line in landscape, never under READ_MIN; larger on a tall screen, where it may
        take two lines (47 px in elder mode at 1080 wide)."""
        return self.px(36) if self.portrait else max(READ_MIN, self.px(34))

    def timeout_s(self, base: float) -> float:
        """Elder mode gives residents longer before a screen goes home."""
        return base * 2 if self.elder else base


@dataclass(frozen=True)
class NameStep:
    """帮办代办's "how to address you" step, top to bottom: the header; the question, on its own
    line in portrait and beside the name in landscape (where a short screen needs the line for
    keys); the name row (the name as it will be said, 先生, 女士); the message line; the pinyin
    initials, with 常用 and 没有我的姓 two keys wide beside them; a page of surnames; the bottom
    buttons. Keys keep min_key: where the surnames of an initial do not fit, they come a page
    (name_rows x name_cols) at a time."""

    prompt_in_row: bool
    prompt_h: int
    row_h: int
    message_h: int
    gap: int  # between keys
    width: int  # of the keys' rows
    letter_cols: int
    letter_rows: int
    letter_h: int
    letter_px: int  # the initials' type
    name_cols: int
    name_rows: int
    name_h: int
    name_px: int  # the surnames' type
    fill_page: bool  # an initial's few surnames fill the page's rows (portrait), else keep name_h

    @property
    def letters_h(self) -> int:
        return self.letter_rows * self.letter_h + (self.letter_rows - 1) * self.gap

    def names_h(self, rows: int | None = None) -> int:
        rows = self.name_rows if rows is None else rows
        return rows * self.name_h + (rows - 1) * self.gap

    @property
    def page_size(self) -> int:
        return self.name_rows * self.name_cols

    def name_grid(self, n: int) -> tuple[int, int, int]:
        """(columns, rows, key height) for n surnames on one page. Portrait fills the page: as
        few columns as fill its rows (12 surnames: 4 wide keys a row on 3 rows, not 6 on 2 and
        a blank row; 3: one a row), and fewer rows grow taller. Landscape keeps name_h and at
        least 4 columns. A paged initial keeps the full grid."""
        if n > self.page_size:
            return self.name_cols, self.name_rows, self.name_h
        least = 1 if self.fill_page else 4
        cols = max(least, min(self.name_cols, math.ceil(n / self.name_rows)))
        rows = max(1, math.ceil(n / cols))
        if not self.fill_page or rows == self.name_rows:
            return cols, rows, self.name_h
        return cols, rows, (self.names_h() - (rows - 1) * self.gap) // rows
