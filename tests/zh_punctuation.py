"""Chinese UI text uses full-width punctuation (docs/contributing.md, "Chinese punctuation").

`problems(text)` finds a half-width , . : ; ! ? ( ) that touches a Chinese character in one piece of
Chinese text; `fix(text)` rewrites it. `zh_strings(path)` yields every piece of Chinese UI text a
source file holds, the way each part stores it:
  - pages (.html): text nodes and the data-zh, placeholder, title, aria-label, alt attributes;
  - scripts (.js): string and template literals (tokenized by esprima, so comments and regular
    expressions are not text), and every literal the Chinese argument of `t(zh, en)` is built
    from, however few Chinese characters it holds ("令牌地址(/evaluator/" + n + ")");
  - Python: string literals (tokenize), not docstrings or comments; a message written "中文 (English)"
    (server errors, split by `server.domain.errors.split_languages`) is checked in its Chinese half;
  - the hall config (.toml): every string value.
A literal counts as Chinese text when it has at least as many Chinese characters as ASCII letters
(after dropping an "(English)" half and {placeholders}); "Rate a visit (一次一评)" is English.

Run `python -m tests.zh_punctuation [--fix] [PATH ...]` to list (or rewrite) what the test flags.
"""
from __future__ import annotations

import html.parser
import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IS_CJK = re.compile(f"[{CJK}]")
# Full-width punctuation counts as Chinese context too ("已办结)," -> "已办结），").
_FULL = "，。：；！？（）、「」“”《》…—"
_CONTEXT = re.compile(f"[{CJK}{_FULL}]")
HALF = ",.:;!?()"
_TO_FULL = {",": "，", ".": "。", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}

# A half-width mark touching a Chinese character. Not: a full stop after a digit ("1.5 万", a
# numbered "1.办理"), a colon between digits (08:30); those never touch a Chinese character anyway
# except the numbered list, which the '.' rule below leaves alone.
_BAD = re.compile(
    f"(?:[{CJK}][,:;!?()])|(?:[,:;!?()][{CJK}])|(?:[{CJK}]\\.(?![0-9A-Za-z]))")


def is_chinese(text: str) -> bool:
    """At least as many Chinese characters as ASCII letters, once "(English)" and {x} are gone."""
    body = re.sub(r"\$?\{[^{}]*\}", "", chinese_half(text))
    body = re.sub(r"\s\([^()" + CJK + r"]*\)", "", body)  # an English gloss inside Chinese text
    cjk = len(_IS_CJK.findall(body))
    return cjk > 0 and cjk >= len(re.findall(r"[A-Za-z]", body))


def chinese_half(text: str) -> str:
    """The Chinese half of "中文 (English)" / "中文 (English): detail"; other text as it is."""
    m = re.search(r"^(.*[" + CJK + r"）」”].*?)\s+\(([^()" + CJK + r"]*[A-Za-z][^()" + CJK + r"]*)\)([^" + CJK
                  + r"]*)$", text, re.S)
    return m.group(1) if m else text


def problems(text: str, piece: bool = False) -> list[str]:
    """Each half-width mark touching a Chinese character, with a little context. A `piece` of
    Chinese text (a literal inside the Chinese argument of `t(zh, en)`) is Chinese by its place."""
    if not piece and not is_chinese(text):
        return []
    zh = text if piece else chinese_half(text)
    return [zh[max(0, m.start() - 6):m.end() + 6] for m in _BAD.finditer(zh)]


def fix(text: str, piece: bool = False) -> str:
    """The text with its Chinese half's punctuation made full-width (and the spaces around a
    full-width mark dropped: the mark carries its own space)."""
    if piece:
        return _fix_zh(text)
    if not is_chinese(text):
        return text
    zh = chinese_half(text)
    fixed = _fix_zh(zh)
    return fixed + text[len(zh):] if fixed != zh else text


def _fix_zh(s: str) -> str:
    chars = list(s)
    ctx = lambda i: 0 <= i < len(chars) and bool(_CONTEXT.match(chars[i]))  # noqa: E731
    # Parentheses in pairs: Chinese inside, or touching Chinese ("密码(admin_pin)"); an English
    # gloss is set off by a space ("承诺件 (promised)") and stays.
    stack, pairs = [], []
    for i, c in enumerate(chars):
        if c == "(":
            stack.append(i)
        elif c == ")" and stack:
            pairs.append((stack.pop(), i))
    paired = set()
    for a, b in pairs:
        inner = re.sub(r"\$?\{[^{}]*\}", "", s[a + 1:b])  # a {placeholder} is no English word
        touching = ctx(a - 1) or ctx(b + 1) or ctx(a + 1) or ctx(b - 1)
        if _IS_CJK.search(inner) or touching:
            chars[a], chars[b] = "（", "）"
        paired.update((a, b))
    changed = True
    while changed:  # marks next to a mark just made full-width follow it
        changed = False
        for i, c in enumerate(chars):
            if c not in HALF or (c in "()" and i in paired):
                continue
            before, after = ctx(i - 1), ctx(i + 1)
            if c == ".":
                ok = _IS_CJK.match(chars[i - 1] or "") if i > 0 else False
                ok = ok and (i + 1 == len(chars) or not re.match(r"[0-9A-Za-z.]", chars[i + 1]))
            elif c == ":":
                ok = (before or after) and not (i + 1 < len(chars) and chars[i + 1].isdigit()
                                                 and i > 0 and chars[i - 1].isdigit())
            else:
                ok = before or after
            if ok:
                chars[i] = _TO_FULL[c]
                changed = True
    out = "".join(chars)
    out = re.sub(r" +([，。：；！？）])", r"\1", out)
    out = re.sub(r"([，。：；！？（]) +", r"\1", out)
    out = re.sub(r"(?<=\S) +（", "（", out)
    out = re.sub(r"）(?: +)(?=[" + CJK + "])", "）", out)
    return out


# ---- where the strings are -------------------------------------------------------------------

SOURCES = ("server", "caller", "display", "kiosk", "hardware", "client", "rules", "assets")
SKIP_PARTS = {"migrations", "__pycache__", "vendor"}


def source_files(root: Path = ROOT):
    for part in SOURCES:
        for p in sorted((root / part).rglob("*")):
            if p.suffix in (".py", ".js", ".html", ".toml") and not SKIP_PARTS & set(p.parts) \
                    and p.is_file() and not p.name.endswith(".min.js"):
                yield p


def zh_strings(path: Path):
    """(line, text, piece) for each Chinese text in the file; `piece`: Chinese by its place."""
    text = path.read_text(encoding="utf-8")
    kind = {".py": _py_strings, ".js": _js_strings, ".html": _html_strings, ".toml": _toml_strings}
    seen = set()
    for line, s, *piece in kind[path.suffix](text):
        piece = bool(piece and piece[0])
        if (line, s) not in seen and (piece or is_chinese(s)):
            seen.add((line, s))
            yield line, s, piece


def _py_strings(text):
    prev = None
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.STRING and not _is_docstring(prev):
            yield tok.start[0], tok.string
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            prev = tok


def _is_docstring(prev) -> bool:
    # a string that starts a statement (after a newline/indent/colon or at the top) is a docstring
    # or an expression statement, never shown to anyone
    return prev is None or prev.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)


def _js_strings(text):
    import esprima
    pieces = []

    def chinese_argument(node, meta):  # t("已办结（" + o + "）", ...): every literal of the first argument
        callee = getattr(node, "callee", None)
        if node.type == "CallExpression" and node.arguments and callee is not None and (
                (callee.type == "Identifier" and callee.name == "t")
                or (callee.type == "MemberExpression" and getattr(callee.property, "name", "") == "t")):
            pieces.extend(_literals(node.arguments[0]))

    esprima.parseScript(text, {"loc": True}, chinese_argument)
    for line, raw in pieces:
        yield line, raw, True
    for tok in esprima.tokenize(text, {"loc": True}):
        if tok.type in ("String", "Template"):
            yield tok.loc.start.line, tok.value


def _literals(node):
    """(line, source text) of each string literal an expression is built from."""
    if node.type == "Literal" and isinstance(node.value, str):
        return [(node.loc.start.line, node.raw)]
    if node.type == "TemplateLiteral":
        return [(q.loc.start.line, "`" + q.value.raw + "`") for q in node.quasis]
    out = []
    for key in ("left", "right", "consequent", "alternate", "expressions"):
        child = getattr(node, key, None)
        for c in child if isinstance(child, list) else [child] if child is not None else []:
            if key != "expressions" or node.type == "SequenceExpression":
                out += _literals(c)
    return out


class _Html(html.parser.HTMLParser):
    ATTRS = {"data-zh", "placeholder", "title", "aria-label", "alt", "content"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for k, v in attrs:
            if k in self.ATTRS and v:
                self.found.append((self.getpos()[0], v))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.found.append((self.getpos()[0], data.strip()))


def _html_strings(text):
    p = _Html()
    p.feed(text)
    return p.found


def _toml_strings(text):
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'', line):
            yield n, m.group(1) if m.group(1) is not None else m.group(2)


def scan(paths=None):
    """(path, line, text, problems) for every Chinese string with a half-width mark."""
    out = []
    for p in paths or source_files():
        for line, s, piece in zh_strings(p):
            bad = problems(_unquote(s) if p.suffix in (".py", ".js") else s, piece)
            if bad:
                out.append((p, line, s, bad))
    return out


def _unquote(tok: str) -> str:
    """The text of a Python or JS literal as written in the source (escapes kept)."""
    m = re.match(r"^[rbuRBUfF]*(\'\'\'|\"\"\"|'|\"|`|\})(.*?)(\'\'\'|\"\"\"|'|\"|`|\$\{)$", tok, re.S)
    return m.group(2) if m else tok


def fix_file(path: Path) -> int:
    """Rewrite the Chinese strings of one file in place; returns how many changed."""
    text = path.read_text(encoding="utf-8")
    n = 0
    for line, s, piece in sorted(set(zh_strings(path)), key=lambda x: -len(x[1])):
        body = _unquote(s) if path.suffix in (".py", ".js") else s
        new = fix(body, piece)
        if new != body:
            target = s.replace(body, new) if path.suffix in (".py", ".js") else new
            if piece:  # a bare ")" may be English elsewhere: only on its own line
                lines = text.split("\n")
                lines[line - 1] = lines[line - 1].replace(s, target, 1)
                text, n = "\n".join(lines), n + 1
                continue
            for old_form, new_form in _encodings(path.suffix, s, target):
                if old_form in text:
                    n += text.count(old_form)
                    text = text.replace(old_form, new_form)
                    break
    path.write_text(text, encoding="utf-8")
    return n


def _encodings(suffix, old, new):
    yield old, new
    if suffix == ".html":
        yield html_escape(old), html_escape(new)


def html_escape(s):
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--fix"]
    files = [Path(a) for a in args] or list(source_files())
    if "--fix" in sys.argv:
        total = 0
        for f in files:
            total += fix_file(f)
        print("changed", total)
    for p, line, s, bad in scan(files):
        print(f"{p}:{line}: {bad}  [{s}]")
