"""Sizes of the kiosk's screens for the screen it runs on, in pixels. No Kivy here.

Halls buy standing portrait machines (1080x1920) and desktop landscape ones (1920x1080,
1280x800). Everything scales with the shorter side (1080 px = 1.0); elder mode (长者模式) makes
type 1.3x larger and tiles two to a row. In portrait, service names are at least 40 px
(56 px in elder mode), which the numbers below give at 1080 px wide.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

ELDER_SCALE = 1.3


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
    def min_tile_h(self) -> int:
        rows = (self.px(44) if self.tile_stacked else 0) + int(self.name_px * 1.35)
        return rows + int(self.wait_px * 1.5) + self.px(24)

    @property
    def title_h(self) -> int:
        return int(self.px(34) * 1.5)

    @property
    def notice_h(self) -> int:
        return int(self.px(24) * 2.8)

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
        """A keypad key: wide and tall enough for a finger, never a stretched bar."""
        return (self.px(210), self.px(140)) if self.portrait else (self.px(150), self.px(104))

    @property
    def qr_px(self) -> int:
        return self.px(320)

    def timeout_s(self, base: float) -> float:
        """Elder mode gives residents longer before a screen goes home."""
        return base * 2 if self.elder else base
