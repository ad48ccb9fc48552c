"""The service guide per matter (事项): the hall config's matters with materials, conditions, time
limit and steps reach the API, the booking info and the phone's /guide page (real Chromium), and a
broken matter in the config is refused with a reason."""
from __future__ import annotations

from tests.fixtures.booking import *  # noqa: F401,F403  (the booking fixtures)

import pytest

from server.domain import hall as hall_domain
from server.domain.errors import Invalid
from server.services import halls
from tests.layout import PHONE, assert_fits, set_lang, sized


def test_every_service_of_the_sample_hall_has_matters_and_the_seed_duties_are_back(api):
    services = {s["code"]: s for s in api.get(api.hp("/services")).body}
    assert all(s["guide"]["matters"] for s in services.values())
    dibao = services["social"]["guide"]["matters"][0]
    assert dibao["name"] == "城乡居民最低生活保障申请" and "民主评议与公示" in dibao["steps"]
    assert dibao["materials"] and dibao["conditions"] and dibao["time_limit"]
    social = services["social"]["guide"]["description"]
    for duty in ("科技", "体育", "公交环保", "招商引资", "企业服务", "建设"):
        assert duty in social
    assert "多种经营" in services["agri"]["guide"]["description"]
    assert "药品" in services["market"]["guide"]["description"]
    info = api.get(api.hp("/appointments/info")).body
    assert {s["code"]: len(s["matters"]) for s in info["services"]}["hukou"] == 2


@pytest.mark.parametrize("matter,word", [({"name": "x"}, "code"), ({"code": "x", "name": "x", "fee": 1}, "unknown"),
                                         ({"code": "x", "name": "x", "steps": "one"}, "list")])
def test_a_broken_matter_in_the_config_is_refused(matter, word):
    data = halls.read_config()
    data["services"][0]["matters"] = [matter]
    with pytest.raises(Invalid, match=word):
        hall_domain.parse(data)


def test_a_resident_reads_a_matters_guide_on_the_phone(chromium, live):
    context = chromium.new_context(locale="zh-CN")
    errors: list[str] = []
    try:
        page = sized(context.new_page(), PHONE)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live.url + "/guide")
        page.wait_for_selector("body[data-loaded]")
        page.click('#services [data-code="land"]')
        page.wait_for_selector('[data-matter="homestead"]')
        text = page.inner_text('[data-matter="homestead"]')
        assert "村委会审查意见" in text and "联审" in text and "20个工作日" in text
        assert_fits(page, "guide-phone-zh")
        set_lang(page, "en")
        page.goto(live.url + "/guide?service=hukou")
        page.wait_for_selector('[data-matter="residence_permit"]')
        assert "Residence permit" in page.inner_text('[data-matter="residence_permit"]')
        assert_fits(page, "guide-phone-en")
    finally:
        context.close()
    assert errors == []
