"""Checks that a page, as drawn by a real Chromium at a hall's screen size, fits: no text runs out of
its box, no text that must be read whole is cut with an ellipsis, no label breaks inside a word,
and the page does not scroll sideways. Screenshots go to $HALLQ_SHOTS (default var/shots/), never
into git; the few that docs/ shows are copied to docs/images/ by `keep=True`.

Sizes the hall uses (issue 13): TV 1920x1080 and 1080x1920, tablet 800x1280 and 1280x800, window
PC 1366x768, phone 390x844.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("HALLQ_SHOTS") or ROOT / "var" / "shots")
DOC_IMAGES = ROOT / "docs" / "images"

TV = (1920, 1080)
TV_PORTRAIT = (1080, 1920)
TABLET_PORTRAIT = (800, 1280)
TABLET = (1280, 800)
WINDOW_PC = (1366, 768)
PHONE = (390, 844)

# Every visible element that holds text itself: block-like ones must not be wider inside than
# their box (scrollWidth > clientWidth) unless they scroll on purpose; inline ones must lie inside
# their nearest block box; an ellipsis means text was cut.
_CHECK = r"""
(args) => {
  const [allowCut, oneLine] = args;
  const problems = [];
  const describe = (el) => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += "#" + el.id;
    if (typeof el.className === "string" && el.className) d += "." + el.className.trim().split(/\s+/).join(".");
    return d + " «" + (el.textContent || "").trim().slice(0, 40) + "»";
  };
  const visible = (el) => {
    const cs = getComputedStyle(el);
    if (cs.display === "none" || cs.visibility === "hidden" || cs.opacity === "0") return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const ownText = (el) => [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const cutAllowed = (el) => allowCut.some(sel => el.closest(sel));
  const blockOf = (el) => {
    let p = el.parentElement;
    while (p && getComputedStyle(p).display.startsWith("inline")) p = p.parentElement;
    return p;
  };
  for (const el of document.querySelectorAll("body *")) {
    if (["SCRIPT", "STYLE", "OPTION", "svg", "text", "title"].includes(el.tagName)) continue;
    if (el.closest("svg") || el.closest("select") || el.closest("[data-marquee]")) continue;
    if (!ownText(el) || !visible(el)) continue;
    const cs = getComputedStyle(el);
    const scrolls = ["auto", "scroll"].includes(cs.overflowX);
    if (cs.display.startsWith("inline") && cs.display !== "inline-block" && cs.display !== "inline-flex") {
      const box = blockOf(el);
      if (!box) continue;
      const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
      const bcs = getComputedStyle(box);
      if (["auto", "scroll"].includes(bcs.overflowX) || cutAllowed(el)) continue;
      if (r.right > b.right + 1.5 || r.left < b.left - 1.5)
        problems.push("runs out of its box: " + describe(el) + " in " + describe(box));
    } else if (!scrolls && el.scrollWidth > el.clientWidth + 1) {
      if (cs.textOverflow === "ellipsis") {
        if (!cutAllowed(el)) problems.push("cut with an ellipsis: " + describe(el));
      } else {
        problems.push("wider than its box (" + el.scrollWidth + " > " + el.clientWidth + "): " + describe(el));
      }
    }
    // clipped by an ancestor that hides its overflow (a tile, a card): part of the text is not drawn
    if (!cutAllowed(el)) {
      const r = el.getBoundingClientRect();
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const acs = getComputedStyle(a);
        if (acs.overflowX === "visible" && acs.overflowY === "visible") continue;
        if (["auto", "scroll"].includes(acs.overflowY) || ["auto", "scroll"].includes(acs.overflowX)) break;
        const b = a.getBoundingClientRect();
        if (r.bottom > b.bottom + 1.5 || r.right > b.right + 1.5 || r.top < b.top - 1.5 || r.left < b.left - 1.5) {
          problems.push("clipped by " + describe(a) + ": " + describe(el));
          break;
        }
      }
    }
    if (!scrolls && el.scrollHeight > el.clientHeight + 2 && cs.overflowY === "hidden" && !cutAllowed(el)
        && !cs.display.startsWith("inline"))
      problems.push("taller than its box (" + el.scrollHeight + " > " + el.clientHeight + "): " + describe(el));
  }
  for (const sel of oneLine) {
    for (const el of document.querySelectorAll(sel)) {
      if (!visible(el)) continue;
      const range = document.createRange();
      range.selectNodeContents(el);
      // rects of one line overlap vertically (whatever their font size); a new line starts below
      const rects = [...range.getClientRects()].filter(r => r.width > 0).sort((a, b) => a.top - b.top);
      let lines = 0, bottom = -Infinity;
      for (const r of rects) {
        if (r.top >= bottom - 2) { lines += 1; bottom = r.bottom; } else bottom = Math.max(bottom, r.bottom);
      }
      if (lines > 1) problems.push("wraps onto " + lines + " lines: " + describe(el));
    }
  }
  // two texts drawn over each other (a grid spilling onto the band below it). Inside a scrolling
  // box (a long report table) only the part within the box is drawn: a row half scrolled out of it
  // cannot clash with what lies below the box, and one wholly out of it is not drawn at all
  const drawnBox = (el) => {
    let r = el.getBoundingClientRect();
    r = {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const acs = getComputedStyle(a);
      if (!["auto", "scroll"].includes(acs.overflowY) && !["auto", "scroll"].includes(acs.overflowX)) continue;
      const b = a.getBoundingClientRect();
      r = {left: Math.max(r.left, b.left), top: Math.max(r.top, b.top),
           right: Math.min(r.right, b.right), bottom: Math.min(r.bottom, b.bottom)};
      if (r.right <= r.left || r.bottom <= r.top) return null;
    }
    return r;
  };
  const texts = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || el.closest("[data-marquee]") || !ownText(el) || !visible(el)) continue;
    const box = drawnBox(el);
    if (box) texts.push([el, box]);
  }
  // a dialog or bar with position: fixed is a layer above the page: only texts in one layer clash
  const layer = (el) => { for (let p = el; p; p = p.parentElement) if (getComputedStyle(p).position === "fixed") return p; return null; };
  let overlaps = 0;
  for (let i = 0; i < texts.length && overlaps < 5; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const [a, ra] = texts[i], [b, rb] = texts[j];
      if (a.contains(b) || b.contains(a)) continue;
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 3 && h > 3 && layer(a) === layer(b)) {
        problems.push("drawn over each other: " + describe(a) + " and " + describe(b));
        overlaps += 1;
        break;
      }
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    problems.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > " + window.innerWidth);
  return problems;
}
"""


# A wrapped text whose line holds a single character (办结率 broken before 件, "cases" alone is fine):
# in Chinese a lone character on a line reads as a broken word.
_LONE = r"""
(sel) => {
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const r0 = el.getBoundingClientRect();
    if (!r0.width || !r0.height) continue;
    const lines = [];  // [top, bottom, characters]
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (let i = 0; i < n.length; i++) {
        const ch = n.data[i];
        if (!ch.trim()) continue;
        const range = document.createRange();
        range.setStart(n, i); range.setEnd(n, i + 1);
        const r = range.getClientRects()[0];
        if (!r) continue;
        let line = lines.find(l => r.top < l[1] - 2 && r.bottom > l[0] + 2);
        if (!line) { line = [r.top, r.bottom, ""]; lines.push(line); }
        line[2] += ch;
      }
    }
    if (lines.length > 1) {
      const lone = lines.filter(l => l[2].length === 1 && /[㐀-鿿]/.test(l[2]));
      if (lone.length) out.push("a lone character on a line: «" + lone[0][2] + "» in «" + el.textContent.trim().slice(0, 40) + "»");
    }
  }
  return out;
}
"""


def lone_characters(page, selector: str) -> list[str]:
    """Elements matching `selector` whose wrapped text leaves one Chinese character alone on a line."""
    return page.evaluate(_LONE, selector)


def problems(page, allow_cut: tuple[str, ...] = (), one_line: tuple[str, ...] = ()) -> list[str]:
    """What does not fit on the page as it is drawn now (empty when all is well)."""
    return page.evaluate(_CHECK, [list(allow_cut), list(one_line)])


def assert_fits(page, name: str, allow_cut: tuple[str, ...] = (), one_line: tuple[str, ...] = (),
                keep: bool = False) -> None:
    """Save a screenshot `name` and fail with the list of what overflows, if anything does."""
    shot(page, name, keep=keep)
    found = problems(page, allow_cut, one_line)
    assert not found, f"{name}: " + "; ".join(found[:12])


def shot(page, name: str, keep: bool = False) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if keep and os.environ.get("HALLQ_DOC_IMAGES"):  # refresh docs/images only when asked
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_IMAGES / f"{name}.png")
    return path


def sized(page, size: tuple[int, int]):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    return page


def set_lang(page, lang: str) -> None:
    """Switch the stored language and reload (every page reads hallq.lang on start)."""
    page.evaluate("(l) => localStorage.setItem('hallq.lang', l)", lang)
    page.reload()
