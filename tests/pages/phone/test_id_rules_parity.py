"""One rule, two languages: the pages' ID-number, mobile-number and masking rules (js/idnumber.js, run
in Chromium) give the same answers as rules/identity.py on the same vectors, and the pages' label
table (hallq.js) names the priority groups as rules/priority.py does."""
from __future__ import annotations

from tests.fixtures.booking import *  # noqa: F401,F403  (the booking fixtures)

import random
from datetime import date, timedelta
from pathlib import Path

from tests.support import ROOT as SUPPORT_ROOT

import pytest

from rules import identity, priority

ROOT = SUPPORT_ROOT
JS = ROOT / "server" / "web" / "static" / "js"
TODAY = date(2026, 11, 30)


def id_vectors() -> list[str]:
    fixed = [
        "110101194003071230", "11010119400307123x", "11010119900307451X", "110101199003074514",
        "33010219800101123X", "110101194003071234", "110101190002301234", "11010119400307123",
        "1101011940030712301", "11010A194003071230", "", "   ", " 110101194003071230 ",
        "１１０１０１１９４００３０７１２３０",  # full-width digits
        "11010118991231123", identity.make_id_number("11010118991231123"),  # born 1899
        identity.make_id_number("11010120000229123"),  # 29 February of a leap year
        identity.make_id_number("11010119000229123"),  # 1900 was not a leap year
        identity.make_id_number("11010120261130123"),  # born today
        identity.make_id_number("11010120261201123"),  # born tomorrow
        identity.make_id_number("11010120991231123"),  # far in the future
        identity.make_id_number("11010119801301123"),  # month 13
        identity.make_id_number("11010119800100123"),  # day 0
        identity.make_id_number("11010100000101123"),  # year 0
        "110101194003071230\n", "1101011940030712３0",
    ]
    rng = random.Random(11643)
    for _ in range(300):  # real-looking numbers, half with a wrong check character
        born = date(1900, 1, 1) + timedelta(days=rng.randrange(0, 130 * 366))
        first17 = f"{rng.randrange(110000, 660000)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        good = identity.make_id_number(first17)
        fixed.append(good if rng.random() < 0.5 else first17 + rng.choice("0123456789X".replace(good[-1], "")))
    return fixed


NAMES = ["张", "张三", "欧阳娜娜", "", "  李 ", "Li", "𠀋一", " "]
TEXTS = ["", "1", "1234567", "12345678", "123456789", "13812345678", "330102198001011234", " 1380 "]


@pytest.fixture(scope="module")
def page(chromium):
    page = chromium.new_page()
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(JS / "idnumber.js"))
    page.add_script_tag(path=str(JS / "hallq.js"))
    yield page
    page.close()


def test_the_page_and_the_server_judge_every_id_number_alike(page):
    vectors = id_vectors()
    js = page.evaluate("([v, today]) => v.map((s) => hallqId.problem(s, today))",
                       [vectors, TODAY.isoformat()])
    py = [identity.problem(s, TODAY) for s in vectors]
    differ = [(v, p, j) for v, p, j in zip(vectors, py, js) if p != j]
    assert differ == []
    # the vectors reach every answer, so agreement is not agreement on one answer only
    assert set(py) == {None, identity.SHAPE, identity.BIRTH_DATE, identity.CHECK}
    assert page.evaluate("(s) => hallqId.checkChar(s)", "11010519491231002") == identity.check_char(
        "11010519491231002") == "X"


def test_the_page_and_the_server_mask_alike(page):
    js = page.evaluate("([n, t]) => [n.map(hallqId.maskName), t.map(hallqId.maskIdNumber),"
                       " t.map(hallqId.maskPhone)]", [NAMES, TEXTS])
    assert js == [[identity.mask_name(n) for n in NAMES], [identity.mask_id_number(t) for t in TEXTS],
                  [identity.mask_phone(t) for t in TEXTS]]
    assert identity.mask_name("张") == "张*" and identity.mask_id_number("12345678") == "********"


MOBILES = ["13812345678", "19912345678", "12812345678", "1381234567", "138123456789", " 138 1234 5678 ",
           "138-1234-5678", "+8613812345678", "+86 138 1234 5678", "8613812345678", "1381234567８",
           "١٣٨١٢٣٤٥٦٧٨", "13812345678\n", "1381234567a", "", "   ", "+86", "\u300013812345678"]


def test_the_page_and_the_server_take_the_same_mobile_numbers(page):
    js = page.evaluate("(v) => v.map(hallqId.mobileNumber)", MOBILES)
    py = [identity.mobile_number(s) for s in MOBILES]
    assert js == py
    assert py.count(None) >= 8 and py.count("13812345678") >= 5  # both answers reached


def test_the_pages_name_priority_groups_outcomes_and_ratings_as_the_server_does(page):
    from server.domain import ratings, tickets
    labels = page.evaluate("() => hallq.LABELS")
    assert {k: tuple(v) for k, v in labels["priority"].items()} == priority.LABELS
    assert {k: v[0] for k, v in labels["outcome"].items()} == tickets.OUTCOME_ZH
    assert {int(k): tuple(v) for k, v in labels["level"].items()} == {
        k: (zh, en) for k, (zh, en, _score) in ratings.LEVELS.items()}


def test_the_booking_page_takes_the_mobile_numbers_the_server_takes(live, clock, chromium):
    """/book (js/book.js) judges the phone with the shared twin: each vector typed into the real
    form is refused at the field exactly when rules/identity.py refuses the same text, and what the
    page sends is the rule's 11 digits (the booking request is answered here, so nothing is booked)."""
    from tests.fixtures.booking import choose_on_book, resident
    page = chromium.new_page()
    sent = []

    def answer(route):
        sent.append(route.request.post_data_json["phone"])
        route.fulfill(status=409, content_type="application/json",
                      body='{"error": "stop", "message": "测试到此 (the test stops here)"}')
    page.route("**/api/v1/halls/main/appointments", answer)
    try:
        choose_on_book(page, live.url, slot="10:00-10:30")
        who = resident(3)
        page.fill("#name", who["name"])
        page.fill("#idnum", who["id_number"])
        verdicts = []
        for text in MOBILES + ["138 1234 5678", "+86-138-1234-5678"]:
            page.fill("#phone", text)
            typed = page.input_value("#phone")  # as the field holds it (an input drops line breaks)
            before = len(sent)
            page.click("#submit")
            page.locator("#form-error").wait_for(state="visible")
            page.wait_for_function("() => !document.getElementById('submit').disabled")
            refused = "bad" in (page.get_attribute("#phone", "class") or "")
            got = sent[-1] if len(sent) > before else None
            verdicts.append((typed, None if refused else got))
            assert refused == (got is None), (text, refused, got)
        assert verdicts == [(typed, identity.mobile_number(typed)) for typed, _ in verdicts]
        assert sum(v is None for _, v in verdicts) >= 8 and sum(v == "13812345678" for _, v in verdicts) >= 6
    finally:
        page.close()


def test_no_page_script_keeps_its_own_mobile_number_pattern():
    """The mobile rule lives in js/idnumber.js only (the twin of rules/identity.py)."""
    scripts = [p for d in (JS, ROOT / "caller" / "static", ROOT / "display") for p in d.rglob("*.js")]
    assert len(scripts) > 10
    own = [str(p.relative_to(ROOT)) for p in scripts
           if p.name != "idnumber.js" and "1[3-9]" in p.read_text(encoding="utf-8")]
    assert own == []
