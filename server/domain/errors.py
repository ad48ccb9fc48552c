"""Errors the domain and the services raise; the API maps each to a JSON error and a 4xx."""
import re

_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_ZH_LEAD = {":": "：", ";": "；", ",": "，"}


def split_languages(message: str) -> tuple[str, str]:
    """"中文 (English)" -> ("中文", "English"); "中文 (English): detail" -> ("中文：detail",
    "English: detail"). The English is the last parenthesised group with no Chinese in it, after
    Chinese text, followed by nothing Chinese. A message in one language is returned as both.
    The Chinese half's joining mark is full-width, as in all Chinese UI text."""
    text = message or ""
    end = len(text)
    while True:
        close = text.rfind(")", 0, end)
        if close < 0:
            return message, message
        depth, open_ = 0, -1
        for i in range(close, -1, -1):
            depth += {")": 1, "(": -1}.get(text[i], 0)
            if depth == 0:
                open_ = i
                break
        if open_ < 0:
            return message, message
        zh, en, rest = text[:open_].rstrip(), text[open_ + 1:close].strip(), text[close + 1:]
        if zh and en and _CJK.search(zh) and not _CJK.search(en) and not _CJK.search(rest):
            zh_rest = _ZH_LEAD[rest[0]] + rest[1:].lstrip(" ") if rest[:1] in _ZH_LEAD else rest
            return zh + zh_rest, en + rest
        end = open_


class HallqError(Exception):
    """Base: `code` is the machine name, `message` the human text (Chinese first, English after)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status

    @property
    def message_zh(self) -> str:
        return split_languages(self.message)[0]

    @property
    def message_en(self) -> str:
        return split_languages(self.message)[1]


class Invalid(HallqError):
    status = 400
    code = "invalid"


class NotFound(HallqError):
    status = 404
    code = "not_found"


class Unauthorized(HallqError):
    status = 401
    code = "unauthorized"


class Forbidden(HallqError):
    status = 403
    code = "forbidden"


class Conflict(HallqError):
    status = 409
    code = "conflict"


class WrongState(Conflict):
    """An action that the ticket's or window's current state does not allow."""

    code = "wrong_state"


class TooMany(HallqError):
    status = 429
    code = "rate_limited"
