"""The hall's rules with no database: lifecycle, numbering, queue order, estimates, ID numbers,
working days, hall config."""
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from server.domain import calendar as workcal
from server.domain import estimate, hall, identity, queue, ratings, tickets
from server.domain.errors import Invalid, WrongState

T0 = datetime(2026, 11, 25, 1, 0, 0)


def cand(i, service="social", minutes=0, priority=None, appointment=False):
    return queue.Candidate(i, service, T0 + timedelta(minutes=minutes), priority, appointment)


def test_numbers_have_three_digits_and_grow_past_999():
    assert tickets.format_number("A", 1) == "A001"
    assert tickets.format_number("B", 10) == "B010"
    assert tickets.format_number("H", 999) == "H999"
    assert tickets.format_number("A", 1000) == "A1000"
    with pytest.raises(ValueError):
        tickets.format_number("A", 0)


def test_lifecycle_allows_only_the_hall_s_transitions():
    assert tickets.next_status("call", "waiting") == "called"
    assert tickets.next_status("start", "called") == "serving"
    assert tickets.next_status("finish", "called") == "done"  # finish without start is allowed
    assert tickets.next_status("finish", "serving") == "done"
    assert tickets.next_status("transfer", "serving") == "waiting"
    assert tickets.next_status("recall", "called") == "called"
    for action, state in [("start", "waiting"), ("finish", "waiting"), ("no_show", "serving"),
                          ("recall", "serving"), ("call", "done"), ("cancel", "called")]:
        with pytest.raises(WrongState):
            tickets.next_status(action, state)


def test_recall_is_capped():
    tickets.check_recall(2, 3)
    with pytest.raises(WrongState):
        tickets.check_recall(3, 3)


def test_window_takes_its_services_in_configured_order():
    c = [cand(1, "public", 0), cand(2, "social", 5)]
    assert [x.id for x in queue.order(c, ["social", "public"])] == [2, 1]
    assert [x.id for x in queue.order(c, ["social", "public"], "longest_waiting")] == [1, 2]


def test_appointments_then_priority_then_arrival():
    c = [cand(1, minutes=0), cand(2, minutes=1, priority="elderly"), cand(3, minutes=2, appointment=True)]
    assert [x.id for x in queue.order(c, ["social"])] == [3, 2, 1]


def test_priority_cannot_starve_ordinary_residents():
    c = [cand(1, minutes=0), cand(2, minutes=1, priority="elderly"), cand(3, minutes=2, priority="disabled")]
    assert queue.order(c, ["social"], priority_streak=2, priority_cap=3)[0].id == 2
    assert queue.order(c, ["social"], priority_streak=3, priority_cap=3)[0].id == 1
    assert queue.streak_after(c[1], 2) == 3
    assert queue.streak_after(c[0], 3) == 0


def test_tickets_of_other_services_are_not_called():
    assert queue.order([cand(1, "land")], ["social"]) == []


@given(st.lists(st.tuples(st.sampled_from(["social", "public", "agri"]), st.integers(0, 500),
                          st.sampled_from([None, "elderly"]), st.booleans()), max_size=40),
       st.integers(0, 5))
def test_order_is_a_permutation_of_the_window_s_candidates(spec, streak):
    c = [cand(i, s, m, p, a) for i, (s, m, p, a) in enumerate(spec)]
    out = queue.order(c, ["social", "public"], priority_streak=streak, priority_cap=3)
    assert sorted(x.id for x in out) == sorted(x.id for x in c if x.service in ("social", "public"))


def test_ahead_counts_only_those_before_in_the_same_service():
    c = [cand(1, minutes=0), cand(2, minutes=1), cand(3, "public", 0), cand(4, minutes=2, priority="elderly")]
    assert queue.ahead_of(c[1], c) == 2  # the elderly resident and ticket 1
    assert queue.ahead_of(c[3], c) == 0


def test_estimate_blends_default_until_there_is_history():
    assert estimate.mean_service_s([], 300) == 300
    assert estimate.mean_service_s([100] * 10, 300) == 100
    assert 100 < estimate.mean_service_s([100], 300) < 300
    assert estimate.wait_s(0, 300, 2) == 0
    assert estimate.wait_s(4, 300, 2) == 600
    assert estimate.wait_s(3, 300, 0) == 900


def test_id_numbers_are_validated_masked_and_hashed():
    good = identity.make_id_number("11010519491231002")
    assert identity.validate(good.lower()) == good
    assert identity.mask(good) == good[:4] + "*" * 10 + good[-4:]
    assert identity.age_on(good, date(2026, 11, 25)) == 76
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    for bad in [bad_check, "123", "11010519491332002X", ""]:
        with pytest.raises(Invalid):
            identity.validate(bad)
    h1 = identity.keyed_hash(good, b"k1")
    assert h1 == identity.keyed_hash(good.lower(), b"k1") and h1 != identity.keyed_hash(good, b"k2")
    assert good not in h1
    assert identity.mask_phone("13812345678") == "138****5678"
    assert identity.mask_name("张三") == "张*"


def test_gb11643_reference_number():
    # The standard's worked example: 11010519491231002X
    assert identity.check_digit("11010519491231002") == "X"


def test_working_days_skip_national_day_and_count_make_up_days():
    # 2026-09-30 (Wed) + 1 working day: Oct 1-7 are the National Day holiday -> Oct 8? check package
    nxt = workcal.add_working_days(date(2026, 9, 30), 1)
    assert nxt > date(2026, 10, 7)
    assert not workcal.is_workday(date(2026, 10, 1))
    assert workcal.holiday_name(date(2026, 10, 1)) == "National Day"
    # A year without published data falls back to Monday-Friday.
    assert workcal.is_workday(date(2027, 3, 3)) and not workcal.is_workday(date(2027, 3, 6))
    assert workcal.working_days_between(date(2026, 9, 30), nxt) == 1


def test_ratings_levels_and_bad_reviews():
    assert ratings.check_level(5) == 5
    for bad in [0, 6, "5", 2.5, True, None]:
        with pytest.raises(Invalid):
            ratings.check_level(bad)
    assert ratings.is_bad(2) and ratings.is_bad(1) and not ratings.is_bad(3)
    assert ratings.check_reasons(["attitude", "attitude"]) == ["attitude"]
    with pytest.raises(Invalid):
        ratings.check_reasons(["rude"])


def test_a_complaint_has_no_level_is_worked_like_a_bad_review_and_reaches_the_province_as_such():
    from server.domain import province
    assert ratings.is_bad(None) and ratings.label(None) == ("投诉", "Complaint")
    assert ratings.label(3) == ("基本满意", "Fairly satisfied")
    with pytest.raises(TypeError):
        ratings.is_satisfied(None)  # never counted in satisfaction: the stats leave complaints out
    rec = province.rating_record(record_id="main-R9", kind="rating", hall="三都镇", level=None,
                                 source="box", reasons=["process"], comment="意见箱来信", rated_at="x",
                                 window=None, staff_no=None, case=None)
    assert (rec["level"], rec["level_label"], rec["channel"], rec["case_no"]) == (None, "投诉", "意见箱", None)
    assert rec["indicators"] == ["整体满意度", "服务水平"] and rec["tags"] == ["流程"]
    assert province.channel_label("other") == "其他" and province.channel_label("hotline") == "12345热线"


def test_default_hall_config_is_the_sandu_layout():
    from server.services.halls import read_config
    cfg = hall.parse(read_config())
    assert [s.prefix for s in cfg.services] == list("ABCDEFGH")
    assert len(cfg.windows) == 11
    by_service = {}
    for w in cfg.windows:
        by_service.setdefault(w.services[0], []).append(w.number)
    assert by_service["social"] == [1, 2, 3] and by_service["agri"] == [4, 5]
    assert cfg.tz.key == "Asia/Shanghai"


def test_bad_hall_configs_are_refused_with_a_reason():
    from server.services.halls import read_config
    base = read_config()
    broken = dict(base, windows=[{"number": 1, "services": ["nope"]}])
    with pytest.raises(Invalid, match="unknown service"):
        hall.parse(broken)
    with pytest.raises(Invalid, match="timezone"):
        hall.parse(dict(base, hall=dict(base["hall"], timezone="Mars/Base")))
