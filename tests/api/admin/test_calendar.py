"""The hall's working-day calendar for years the holiday package does not know (2027 on): the hall
enters its 放假 and 调休 days on /admin (or in its config) and every working-day computation uses
them: review deadlines, promised-case due dates, kiosk opening and booking days."""
from __future__ import annotations

from tests.fixtures.admin import *  # noqa: F401,F403  (the admin fixtures)

from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from server.domain import calendar as workcal
from server.domain.calendar import WorkCalendar
from server.domain.errors import Invalid
from server.services import halls
from tests.fixtures.booking import book

# A plausible 2027 Spring Festival notice: 6-12 February off, Sunday 14 and Saturday 20 worked.
SPRING_2027 = {"holidays": [{"name": "春节", "days": "2027-02-06..2027-02-12"},
                            {"name": "元旦", "days": "2027-01-01"}],
               "workdays": ["2027-02-14", "2027-02-20"]}


def local(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}") - timedelta(hours=8)


def relogin(hall, username):
    """Sign in again after the test moved the hall's clock past the old token's lifetime."""
    hall.sign_in(username)
    return username


def enter_2027(hall):
    for body in ({"days": "2027-02-06..2027-02-12", "kind": "holiday", "name": "春节"},
                 {"days": "2027-01-01", "kind": "holiday", "name": "元旦"},
                 {"days": "2027-02-14", "kind": "workday"}, {"days": "2027-02-20", "kind": "workday"}):
        r = hall.post(hall.hp("/calendar"), "root", json=body)
        assert r.status == 200, r.body
    return r.body


def test_without_the_halls_entries_2027_counts_the_spring_festival_week_as_working_days():
    assert not workcal.package_has_year(2027)
    assert workcal.add_working_days(date(2027, 2, 1), 10) == date(2027, 2, 15)  # the bug the issue saw
    cal = WorkCalendar.from_config(SPRING_2027)
    assert cal.add_working_days(date(2027, 2, 1), 10) == date(2027, 2, 19)
    assert not cal.is_workday(date(2027, 2, 8)) and cal.holiday_name(date(2027, 2, 8)) == "春节"
    assert cal.is_workday(date(2027, 2, 14)) and cal.is_workday(date(2027, 2, 20))  # 调休 Sunday, Saturday
    assert cal.working_days_between(date(2027, 2, 5), date(2027, 2, 15)) == 2
    # years the package knows are untouched by overrides of other years
    assert not cal.is_workday(date(2026, 10, 1)) and cal.is_workday(date(2026, 9, 28))


def test_an_entry_for_the_same_day_in_the_database_wins_over_the_config():
    cal = WorkCalendar.from_config(SPRING_2027, [(date(2027, 2, 12), "workday", None)])
    assert cal.is_workday(date(2027, 2, 12)) and cal.holiday_name(date(2027, 2, 12)) is None


def test_the_next_year_warning_shows_from_november_until_the_year_is_entered():
    assert WorkCalendar().next_year_warning(date(2026, 10, 31)) is None
    warn = WorkCalendar().next_year_warning(date(2026, 11, 1))
    assert warn["year"] == 2027 and "2027" in warn["message"] and "2027" in warn["message_en"]
    assert WorkCalendar.from_config(SPRING_2027).next_year_warning(date(2026, 11, 30)) is None
    assert WorkCalendar().next_year_warning(date(2025, 11, 30)) is None  # 2026 is in the package


def test_a_bad_calendar_in_the_hall_config_is_refused_with_a_reason():
    data = halls.read_config()
    data["calendar"] = {"holidays": [{"name": "春节", "days": "2027-02-31"}]}
    with pytest.raises(Invalid, match="calendar"):
        halls.load_hall(None, data)


def test_an_admin_enters_2027_and_a_manager_sees_it_while_staff_may_not(hall, ctx):
    ctx.clock = lambda: local("2026-11-30", "10:00")
    before = hall.get(hall.hp("/calendar"), "boss")
    assert before.status == 200 and before.body["warning"]["year"] == 2027
    assert {y["year"]: y["known"] for y in before.body["years"]} == {2026: True, 2027: False}
    assert hall.post(hall.hp("/calendar"), "boss", json={"days": "2027-01-01", "kind": "holiday",
                                                          "name": "元旦"}).status == 403
    assert hall.get(hall.hp("/calendar"), "zhang").status == 403
    after = enter_2027(hall)
    assert after["warning"] is None
    assert {y["year"]: y["overrides"] for y in after["years"]}[2027] is True
    days = {d["date"]: d for d in after["days"]}
    assert days["2027-02-08"]["kind"] == "holiday" and days["2027-02-08"]["name"] == "春节"
    assert days["2027-02-20"]["kind"] == "workday" and days["2027-02-20"]["source"] == "admin"
    from tests.api.admin.test_admin_api import audit
    sets = audit(ctx, "admin.calendar_set")
    assert len(sets) == 4 and sets[0]["data"]["from"] == "2027-02-06" and sets[0]["data"]["to"] == "2027-02-12"
    assert hall.request("DELETE", hall.hp("/calendar/2027-02-20"), "root").status == 200
    assert audit(ctx, "admin.calendar_removed")[0]["data"] == {"day": "2027-02-20"}
    assert hall.request("DELETE", hall.hp("/calendar/2027-02-20"), "root").status == 404


@pytest.mark.parametrize("days", ["2027-02-30", "2027-03-01..2027-01-01", "2027-01-01..2027-12-31", "soon"])
def test_bad_days_are_refused_with_a_reason(hall, days):
    r = hall.post(hall.hp("/calendar"), "root", json={"days": days, "kind": "holiday", "name": "x"})
    assert r.status == 400 and r.body["error"] == "invalid_date"


def test_a_bad_review_in_december_gets_a_2027_deadline_that_skips_new_years_day(hall, ctx):
    from tests.api.window.test_cases_api import _rate, _serve, _staff
    hall.add_device("eval1", "evaluator", [1])
    ctx.clock = lambda: local("2026-12-11", "10:00")  # Friday
    tok = _staff(hall)
    first = _rate(hall, _serve(hall, tok), 1, ["attitude"])
    assert first["review_case"]["due_date"] == "2027-01-01"  # Monday-Friday only: a public holiday
    relogin(hall, "root")
    enter_2027(hall)
    second = _rate(hall, _serve(hall, tok), 1, ["attitude"])
    assert second["review_case"]["due_date"] == "2027-01-04"


def test_the_kiosk_opens_on_a_makeup_saturday_and_stays_closed_in_the_spring_festival(hall, ctx):
    enter_2027(hall)
    ctx.always_open = False
    ctx.clock = lambda: local("2027-02-20", "10:00")  # Saturday, 调休上班
    assert hall.issue("social").status == 201
    ctx.clock = lambda: local("2027-02-08", "10:00")  # Monday in the Spring Festival
    r = hall.issue("social")
    assert r.status == 409 and r.body["error"] == "service_closed"


def test_a_booking_on_a_makeup_saturday_is_accepted_and_in_the_holiday_refused(hall, ctx):
    enter_2027(hall)
    ctx.clock = lambda: local("2027-02-05", "10:00")
    r = book(hall, date="2027-02-08", slot="09:00-09:30")
    assert r.status == 400 and r.body["error"] == "not_workday" and "春节" in r.body["message"]
    ctx.clock = lambda: local("2027-02-15", "10:00")
    r = book(hall, date="2027-02-20", slot="09:00-09:30")
    assert r.status == 201, r.body


def test_a_promised_case_accepted_before_the_spring_festival_is_due_after_it(hall, ctx):
    enter_2027(hall)
    ctx.clock = lambda: local("2027-02-01", "10:00")
    tok = relogin(hall, "zhang")
    assert hall.act(1, "sign-in", tok).status == 200
    hall.issue("social")
    assert hall.act(1, "call-next", tok).status == 200
    r = hall.act(1, "finish", tok, json={"outcome": "promised", "promise_days": 10})
    assert r.status == 200, r.body
    assert r.body["ticket"]["due_date"] == "2027-02-19"


def test_the_admin_page_warns_about_2027_and_an_admin_enters_the_spring_festival(chromium, live, ctx, tmp_path):
    from tests.pages.admin.test_admin_page import open_admin, shot
    api = live.api
    api.add_staff("root", [], role="admin", name="系统管理员")
    ctx.clock = lambda: local("2026-11-30", "10:00")
    errors: list[str] = []
    context, page = open_admin(chromium, live.url, "root", errors)
    try:
        warning = page.locator("#calendar-warning")
        assert "2027" in warning.inner_text() and warning.is_visible()
        warning.click()  # the warning leads to the tab that fixes it
        assert page.locator("#calendar-panel").is_visible()
        assert page.locator("#calendar-years li.warn").inner_text().startswith("2027")
        # this year's national holidays are listed, built in
        expect(page.locator('#calendar-national li[data-holiday="Spring Festival"]')).to_contain_text("春节")
        page.fill("#c-from", "2027-02-06")
        page.fill("#c-to", "2027-02-12")
        page.select_option("#c-kind", "holiday")
        page.fill("#c-name", "春节")
        page.click("#calendar-form button[type=submit]")
        page.wait_for_selector('#calendar-table tr[data-date="2027-02-12"]')
        assert page.locator("#calendar-table tbody tr").count() == 7
        assert not warning.is_visible()
        page.fill("#c-from", "2027-02-08")
        page.fill("#c-to", "2027-02-07")  # last before first
        page.click("#calendar-form button[type=submit]")
        page.wait_for_selector("#calendar-form-error:not(.hidden)")
        assert page.inner_text("#calendar-form-error") == "最后一天不能早于第一天"
        shot(page, tmp_path, "admin-calendar.png")
        page.click("#lang")
        assert page.locator('#calendar-table tr[data-date="2027-02-08"] td').nth(1).inner_text() == "Holiday"
        shot(page, tmp_path, "admin-calendar-en.png")
        assert errors == []
    finally:
        context.close()
    assert api.get(api.hp("/calendar"), "root").body["warning"] is None


# ---------------------------------------------------------------- weekend and extended service

def test_saturday_morning_service_opens_the_kiosk_for_its_services_only(hall, ctx):
    ctx.always_open = False
    ctx.clock = lambda: local("2026-11-28", "10:00")  # an ordinary Saturday
    assert hall.issue("social").status == 201
    r = hall.issue("land")
    assert r.status == 409 and r.body["error"] == "service_closed" and "今日不办理" in r.body["message"]
    ctx.clock = lambda: local("2026-11-28", "13:00")  # after the weekend hours
    assert hall.issue("social").status == 409
    ctx.clock = lambda: local("2026-11-29", "10:00")  # Sunday: no weekend service
    assert hall.issue("social").status == 409
    ctx.clock = lambda: local("2026-10-03", "10:00")  # a Saturday in the National Day holiday
    assert hall.issue("social").status == 409
    opened = {s["code"]: s["open"] for s in hall.get(hall.hp("/services")).body}
    assert opened["social"] is False


def test_weekend_service_slots_can_be_booked_and_other_services_say_closed(hall, ctx):
    ctx.clock = lambda: local("2026-11-24", "09:00")  # Tuesday
    days = {d["date"]: d for d in hall.get(hall.hp("/appointments/days?service=hukou")).body["days"]}
    sat = days["2026-11-28"]
    assert sat["workday"] and sat["weekend_service"] and not sat["makeup_workday"]
    assert not days["2026-11-29"]["workday"]
    slots = hall.get(hall.hp("/appointments/slots?service=hukou&date=2026-11-28")).body["slots"]
    assert [s["slot"] for s in slots][:1] == ["09:00-09:30"] and slots[-1]["slot"] == "11:30-12:00"
    assert book(hall, service="hukou", date="2026-11-28", slot="09:30-10:00").status == 201
    r = book(hall, service="land", date="2026-11-28", slot="09:30-10:00")
    assert r.status == 400 and r.body["error"] == "not_workday"


def test_a_service_day_on_a_holiday_date_opens_only_that_date():
    from server.domain import hall as hall_domain
    data = halls.read_config()
    data["service_days"] = [{"dates": ["2026-10-03"], "hours": ["09:00-11:00"], "services": ["hukou"]}]
    cfg = hall_domain.parse(data)
    hukou = next(s for s in cfg.services if s.code == "hukou")
    social = next(s for s in cfg.services if s.code == "social")
    assert cfg.hours_on(hukou, date(2026, 10, 3), WorkCalendar()) == ["09:00-11:00"]
    assert cfg.hours_on(social, date(2026, 10, 3), WorkCalendar()) == []
    assert cfg.hours_on(hukou, date(2026, 10, 4), WorkCalendar()) == []
    bad = dict(data, service_days=[{"weekdays": [8], "hours": ["09:00-11:00"]}])
    with pytest.raises(Invalid, match="weekdays"):
        hall_domain.parse(bad)


# ---------------------------------------------------------------- the dashboard's alerts

def live_alerts(api, token):
    r = api.get(api.hp("/stats/live"), token)
    assert r.status == 200, r.body
    return {a["kind"]: a for a in r.body["alerts"]}


def test_the_dashboard_warns_from_november_until_next_year_is_entered(hall, ctx):
    ctx.clock = lambda: local("2026-10-30", "10:00")
    relogin(hall, "boss")
    assert "calendar_next_year" not in live_alerts(hall, "boss")
    ctx.clock = lambda: local("2026-11-02", "10:00")
    relogin(hall, "boss")
    alert = live_alerts(hall, "boss")["calendar_next_year"]
    assert alert["year"] == 2027 and alert["level"] == "error" and "2027" in alert["message"]
    relogin(hall, "root")
    enter_2027(hall)
    assert "calendar_next_year" not in live_alerts(hall, "boss")


def test_a_window_whose_a_and_b_posts_are_both_absent_is_an_alert_after_opening(api, ctx):
    data = halls.read_config()
    for w in data["windows"]:
        if w["number"] == 3:
            w["posts"] = ["zhang", "li"]
    halls.load_hall(ctx, data)
    api.add_staff("boss", [], role="manager")
    api.add_staff("zhang", [3], name="张明")
    li = api.add_staff("li", [3], name="李华")
    ctx.clock = lambda: local("2026-11-25", "08:35")  # Wednesday, 5 minutes after opening
    for name in ("boss", "li"):
        relogin(api, name)
    assert "window_unstaffed" not in live_alerts(api, "boss")
    ctx.clock = lambda: local("2026-11-25", "08:50")
    alert = live_alerts(api, "boss")["window_unstaffed"]
    assert alert["window"] == 3 and "A岗 张明" in alert["message"] and "B岗 李华" in alert["message"]
    assert api.act(3, "sign-in", li).status == 200  # the B post covers
    assert "window_unstaffed" not in live_alerts(api, "boss")
    ctx.clock = lambda: local("2026-11-25", "12:30")  # lunch: the window is not due open
    assert api.act(3, "sign-out", li).status == 200
    assert "window_unstaffed" not in live_alerts(api, "boss")
    ctx.clock = lambda: local("2026-11-29", "10:00")  # Sunday
    relogin(api, "boss")
    assert "window_unstaffed" not in live_alerts(api, "boss")


def test_posts_in_the_hall_config_are_at_most_two_usernames():
    from server.domain import hall as hall_domain
    data = halls.read_config()
    data["windows"][0]["posts"] = ["a", "b", "c"]
    with pytest.raises(Invalid, match="posts"):
        hall_domain.parse(data)
