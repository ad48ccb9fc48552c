"""What the hall says when a ticket is called (叫号播报): the text of an announcement.

Pure Python: the server builds the text once (single source) and every player (the announcer,
a browser display with speakers) speaks or shows that text.

Ticket numbers are read character by character, never as an amount: "A007" is "A 零零七" in
Chinese ("A double-oh seven" and "A seven" are the complaints of other systems). Prefix letters
stay Latin capitals, one per word: espeak-ng's Mandarin voice (sit/cmn-latn-pinyin) gives a
lone capital the Chinese way of saying the letter (A "ei", B "bi", H "eichi", W "dabuliu"), and
SAPI5's Chinese voices do the same. In English the letters are joined to the first digit by a
hyphen ("A-zero zero seven"): espeak-ng reads a lone "A" as the article "a".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import Invalid

DIGITS_ZH = "零一二三四五六七八九"
DIGITS_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

DEFAULT_TEMPLATE_ZH = "请 {number} 号 到 {window} 号窗口 办理"
DEFAULT_TEMPLATE_EN = "Number {number}, please go to window {window}"
DEFAULT_REPEAT = 2
LANGUAGES = ("zh", "en")
CALL_TYPES = ("ticket.called", "ticket.recalled")

_NUMBER = re.compile(r"^([A-Z]{0,3})(\d{1,6})$")
_FIELDS = {"number", "window", "service"}


def _split(number: str) -> tuple[str, str]:
    m = _NUMBER.match((number or "").strip().upper())
    if not m:
        raise Invalid(f"不是号票号码 (not a ticket number): {number!r}", code="invalid_number")
    return m.group(1), m.group(2)


def number_zh(number: str) -> str:
    """"A007" -> "A 零零七"; "AB010" -> "A B 零一零"; "1000" -> "一零零零"."""
    letters, digits = _split(number)
    words = list(letters) + ["".join(DIGITS_ZH[int(d)] for d in digits)]
    return " ".join(words)


def number_en(number: str) -> str:
    """"A007" -> "A-zero zero seven"; "AB010" -> "A-B-zero one zero"."""
    letters, digits = _split(number)
    spoken = [DIGITS_EN[int(d)] for d in digits]
    if letters:
        spoken[0] = "-".join(list(letters) + [spoken[0]])
    return " ".join(spoken)


def chinese_numeral(n: int) -> str:
    """A counting number in Chinese numerals, as a window is named: 3 三, 10 十, 11 十一,
    20 二十, 105 一百零五, 1000 一千. (Up to 9999; windows are far fewer.)"""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 9999:
        raise Invalid(f"window number out of range: {n!r}", code="invalid_window")
    if n < 10:
        return DIGITS_ZH[n]
    if n < 20:  # 十, 十一 ... 十九 (not 一十一)
        return "十" + (DIGITS_ZH[n % 10] if n % 10 else "")
    units = [(1000, "千"), (100, "百"), (10, "十"), (1, "")]
    out, zero_pending = [], False
    for value, name in units:
        d = (n // value) % 10
        if d == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(DIGITS_ZH[d] + name)
    return "".join(out)


@dataclass(frozen=True)
class AnnounceConfig:
    """The hall config's [announce] table."""
    template_zh: str = DEFAULT_TEMPLATE_ZH
    template_en: str = DEFAULT_TEMPLATE_EN
    repeat: int = DEFAULT_REPEAT
    languages: tuple[str, ...] = ("zh",)  # spoken languages, in order, each `repeat` times
    flash_s: int = 8  # how long the display flashes the newest call
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> "AnnounceConfig":
        data = dict(data or {})
        zh = data.pop("template_zh", DEFAULT_TEMPLATE_ZH)
        en = data.pop("template_en", DEFAULT_TEMPLATE_EN)
        for name, tpl in (("template_zh", zh), ("template_en", en)):
            check_template(name, tpl)
        repeat = data.pop("repeat", DEFAULT_REPEAT)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= 5:
            raise Invalid("[announce] repeat must be 1..5", code="invalid_config")
        langs = data.pop("languages", ["zh"])
        if (not isinstance(langs, list) or not langs
                or any(lang not in LANGUAGES for lang in langs)):
            raise Invalid("[announce] languages must be a list of zh / en", code="invalid_config")
        flash = data.pop("flash_s", 8)
        if isinstance(flash, bool) or not isinstance(flash, int) or not 0 <= flash <= 120:
            raise Invalid("[announce] flash_s must be 0..120", code="invalid_config")
        return cls(zh, en, repeat, tuple(langs), flash, data)


def check_template(name: str, template) -> None:
    if not isinstance(template, str) or not template.strip():
        raise Invalid(f"[announce] {name} must be text", code="invalid_config")
    used = set(re.findall(r"{(\w*)}", template))
    if "number" not in used or not used <= _FIELDS:
        raise Invalid(f"[announce] {name} must use {{number}} and may use {{window}}, {{service}}",
                      code="invalid_config")


@dataclass(frozen=True)
class Announcement:
    number: str
    window: int | None
    text_zh: str
    text_en: str
    repeat: int
    languages: tuple[str, ...]

    def script(self) -> list[tuple[str, str]]:
        """(lang, text) in speaking order: each language's text, the whole round `repeat` times."""
        texts = {"zh": self.text_zh, "en": self.text_en}
        return [(lang, texts[lang]) for _ in range(self.repeat) for lang in self.languages]


def build(cfg: AnnounceConfig, number: str, window: int | None, service_zh: str = "",
          service_en: str = "") -> Announcement:
    """The announcement of a call of ticket `number` to `window`."""
    win_zh = chinese_numeral(window) if window is not None else ""
    win_en = str(window) if window is not None else ""
    text_zh = " ".join(cfg.template_zh.format(number=number_zh(number), window=win_zh,
                                              service=service_zh).split())
    text_en = " ".join(cfg.template_en.format(number=number_en(number), window=win_en,
                                              service=service_en or service_zh).split())
    return Announcement(number=number, window=window, text_zh=text_zh, text_en=text_en,
                        repeat=cfg.repeat, languages=cfg.languages)

