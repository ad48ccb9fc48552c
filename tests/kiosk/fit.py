"""What a resident would stumble on in a rendered kiosk screen, measured on the real widgets
(Kivy must be running: the caller has a window and the screen is laid out):

- a label's drawn text (texture_size) larger than its widget, a word broken across lines
  ("Appointme|nt"), a line starting with ，。、, a one-line label on two lines, a balanced label
  (prompts, buttons' English) with a word alone on its second line;
- text drawn outside the screen, or two texts drawn over each other, or two keys, coloured panels
  or images (overlapping_boxes);
- in elder mode, a key (anything with ButtonBehavior) under 80 px either way, or whose words
  had to shrink below 80% of their size to fit;
- a blank band: the tallest strip across the screen with nothing drawn in it (blank_band).

Used by render_screens.py (every screen, 12 combinations, under Xvfb) and by the tests that walk
a screen through its states in the test process. Each problem is {"where", "text", "problem"}."""
from __future__ import annotations

from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from kiosk.layout import ELDER_MIN_KEY
from kiosk.widgets import BG, Panel, bad_line_starts, broken_words, line_count, line_texts, widow


def inside_scroll(w, screen) -> bool:
    p = w.parent
    while p is not None and p is not screen:
        if isinstance(p, ScrollView):
            return True
        p = p.parent
    return False


def text_problems(screen, tag: str, width: int, height: int) -> list[dict]:
    problems, drawn = [], []
    for w in screen.walk():
        if not isinstance(w, Label) or not w.text or w.opacity == 0:
            continue
        w.texture_update()
        tw, th = w.texture_size
        where = {"where": tag, "text": w.text[:40]}
        if tw > w.width + 1 or th > w.height + 1:
            problems.append({**where, "problem": f"text {tw}x{th} overflows its {w.width:.0f}x{w.height:.0f}"})
        if broken_words(w):
            problems.append({**where, "problem": f"word broken: {broken_words(w)}"})
        if bad_line_starts(w):
            problems.append({**where, "problem": f"a line starts with a closing mark: {bad_line_starts(w)}"})
        if getattr(w, "one_line", False) and line_count(w) > 1:
            problems.append({**where, "problem": f"wraps onto {line_count(w)} lines"})
        lines = [s for s in line_texts(w) if s]
        if widow(w):
            problems.append({**where, "problem": f"one or two characters alone on the last line: {lines}"})
        if (getattr(w, "balance", False) and len(lines) == 2 and " " not in lines[1].strip()
                and " " in lines[0].strip()):  # one word could have gone down with it
            problems.append({**where, "problem": f"a word alone on the second line: {lines}"})
        if not inside_scroll(w, screen):
            x, y = w.to_window(w.x, w.y)
            if x < -1 or y < -1 or x + w.width > width + 1 or y + w.height > height + 1:
                problems.append({**where, "problem": f"outside the screen at {x:.0f},{y:.0f}"})
            cx, cy = w.to_window(*w.center)
            drawn.append((w, (cx - tw / 2, cy - th / 2, cx + tw / 2, cy + th / 2)))
    # two texts drawn over each other (a box squeezed below its content pushes one under another):
    # Kivy draws a label's texture centred on the widget
    for i, (a, ra) in enumerate(drawn):
        for b, rb in drawn[i + 1:]:
            dx = min(ra[2], rb[2]) - max(ra[0], rb[0])
            dy = min(ra[3], rb[3]) - max(ra[1], rb[1])
            if dx > 2 and dy > 2:
                problems.append({"where": tag, "text": f"{a.text[:30]} / {b.text[:30]}",
                                 "problem": f"drawn over each other ({dx:.0f}x{dy:.0f} px)"})
    return problems


def keys(screen) -> list:
    """Every key a finger can press on the screen."""
    return [w for w in screen.walk() if isinstance(w, ButtonBehavior) and w.opacity]


def key_text(w) -> str:
    return getattr(getattr(w, "label", None), "text", "") or type(w).__name__


def small_keys(screen, tag: str, least: int = ELDER_MIN_KEY) -> list[dict]:
    return [{"where": tag, "text": key_text(w)[:30],
             "problem": f"key {w.width:.0f}x{w.height:.0f} px < {least}x{least} in elder mode"}
            for w in keys(screen) if w.width < least or w.height < least]


def shrunk_keys(screen, tag: str, least: float = 0.8) -> list[dict]:
    """Keys whose words were shrunk below 80% of their size to fit: elder mode's large type lost."""
    out = []
    for w in keys(screen):
        label = getattr(w, "label", None)
        if label is not None and label.text and label.font_size < least * label.base_size:
            out.append({"where": tag, "text": label.text[:30],
                        "problem": f"key text shrunk to {label.font_size} px of {label.base_size} px"})
    return out


def boxes(screen) -> list:
    """Keys, coloured panels and images outside scroll views: the solid things on the screen."""
    return [w for w in screen.walk()
            if w is not screen and w.opacity and not inside_scroll(w, screen)
            and (isinstance(w, (ButtonBehavior, Image))
                 or isinstance(w, Panel) and w.bg[3] > 0 and tuple(w.bg) != tuple(BG))]


def overlapping_boxes(screen, tag: str) -> list[dict]:
    """Two keys, coloured panels or images drawn over each other, neither holding the other (a
    column taller than its room pushes its last line, the priority chip, onto the button below)."""
    found = boxes(screen)
    rects = []
    for w in found:
        x, y = w.to_window(w.x, w.y)
        rects.append((w, (x, y, x + w.width, y + w.height)))

    def holds(a, b) -> bool:
        p = b.parent
        while p is not None:
            if p is a:
                return True
            p = p.parent
        return False
    out = []
    for i, (a, ra) in enumerate(rects):
        for b, rb in rects[i + 1:]:
            dx = min(ra[2], rb[2]) - max(ra[0], rb[0])
            dy = min(ra[3], rb[3]) - max(ra[1], rb[1])
            if dx > 2 and dy > 2 and not holds(a, b) and not holds(b, a):
                out.append({"where": tag, "text": f"{key_text(a)[:30]} / {key_text(b)[:30]}",
                            "problem": f"boxes drawn over each other ({dx:.0f}x{dy:.0f} px)"})
    return out


def spilling_boxes(screen, tag: str) -> list[dict]:
    """A layout's child reaching out of it: the layout was given less room than its content needs
    (the ticket's column pushed against the button under it)."""
    from kivy.uix.layout import Layout as KivyLayout
    out = []
    for w in screen.walk():
        p = w.parent
        if (w is screen or not isinstance(p, KivyLayout) or p is screen or not w.opacity
                or inside_scroll(w, screen) or isinstance(p, ScrollView)):
            continue
        over = max(p.x - w.x, w.right - p.right, p.y - w.y, w.top - p.top)
        if over > 2:
            out.append({"where": tag, "text": key_text(w)[:30] if isinstance(w, ButtonBehavior)
                        else getattr(w, "text", "")[:30] or type(w).__name__,
                        "problem": f"{over:.0f} px out of its {type(p).__name__} ({p.width:.0f}x{p.height:.0f})"})
    return out


def screen_problems(screen, tag: str, width: int, height: int, elder: bool) -> list[dict]:
    elder_problems = small_keys(screen, tag) + shrunk_keys(screen, tag) if elder else []
    return (text_problems(screen, tag, width, height) + overlapping_boxes(screen, tag)
            + spilling_boxes(screen, tag) + elder_problems)


def drawn_boxes(screen) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) in window coordinates of what the eye sees: labels' text, keys, coloured
    panels (not the screen's own background) and images."""
    out = []
    for w in boxes(screen):
        x, y = w.to_window(w.x, w.y)
        out.append((x, y, x + w.width, y + w.height))
    for w in screen.walk():
        if isinstance(w, Label) and w.text.strip() and w.opacity:
            w.texture_update()
            tw, th = w.texture_size
            cx, cy = w.to_window(*w.center)
            out.append((cx - tw / 2, cy - th / 2, cx + tw / 2, cy + th / 2))
    return out


def blank_band(screen, height: int) -> tuple[int, int]:
    """(height, top) of the tallest horizontal strip of the screen with nothing drawn across its
    whole width, top measured from the screen's top edge."""
    spans = sorted((max(0, y0), min(height, y1)) for _, y0, _, y1 in drawn_boxes(screen))
    best, top, reach = 0, 0, 0.0
    for y0, y1 in spans + [(height, height)]:
        if y0 - reach > best:
            best, top = int(y0 - reach), int(height - y0)
        reach = max(reach, y1)
    return best, top


def describe(problems: list[dict]) -> str:
    return "\n".join(f"{p['where']}: {p['text']!r}: {p['problem']}" for p in problems)
