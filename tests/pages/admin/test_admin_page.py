"""The admin page in real Chromium: an administrator signs in at /admin, adds a staff member and a
device, sees the device token once, copies it, revokes it; a manager sees the same page read-only.
Screenshots go to /tmp/shots/ (and the test's tmp folder)."""
from __future__ import annotations

from tests.fixtures.admin import *  # noqa: F401,F403  (the admin fixtures)

import io
import shutil
from pathlib import Path

import requests
from PIL import Image
from playwright.sync_api import expect

from tests.fixtures.pages import sign_in

SHOTS = Path("/tmp/shots")
PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def open_admin(browser, url, username, errors):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    # a refused form answers 4xx on purpose; Chromium logs each as "Failed to load resource"
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text else None)
    page.goto(url + "/admin")
    sign_in(page, username)
    page.wait_for_selector("body[data-loaded]")
    return context, page


def shot(page, tmp_path, name):
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / name)
    return path


def test_an_admin_adds_a_staff_member_and_a_device_and_revokes_its_token(chromium, live, tmp_path):
    api = live.api
    api.add_staff("root", [], role="admin", name="系统管理员")
    api.add_staff("xss", [5], name=PAYLOAD)
    errors: list[str] = []
    context, page = open_admin(chromium, live.url, "root", errors)
    try:
        assert page.inner_text("#hall-name").strip()  # the hall's name from its config
        # the shipped hall has no public_url: tickets carry no QR, and the page says so
        # in one language, saying where to set it
        text = page.inner_text("#public-url-warning")
        assert "public_url" in text and "assets/halls/main.toml" in text and "[hall]" in text
        assert "(public_url" not in text and "tickets carry" not in text, text
        # a name with markup is only text
        xss_row = page.locator('#users-table tr[data-username="xss"]')
        assert xss_row.locator("td").nth(1).inner_text() == PAYLOAD
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator('img[src="x"]').count() == 0

        # -- a staff member: first a weak password, refused with the server's message
        page.click("#btn-add-user")
        page.fill("#u-username", "wangfang")
        page.fill("#u-name", "王芳")
        page.fill("#u-staff-no", "A-017")
        page.fill("#u-duties", "社保、医保、退役军人事务")
        page.select_option("#u-role", "staff")
        for n in (2, 3):
            page.locator(f'#u-windows input[value="{n}"]').check()
        page.fill("#u-password", "abcdefgh")
        page.click("#user-save")
        expect(page.locator("#user-form-error")).to_contain_text("密码至少8位")
        shot(page, tmp_path, "admin-user-form.png")
        assert page.locator('#users-table tr[data-username="wangfang"]').count() == 0
        page.fill("#u-password", "Wangfang-2026")
        page.click("#user-save")
        row = page.locator('#users-table tr[data-username="wangfang"]')
        expect(row).to_have_count(1)
        cells = row.locator("td").all_inner_texts()
        assert cells[1] == "王芳" and cells[2] == "窗口工作人员" and cells[3] == "2, 3"
        assert cells[4] == "A-017" and cells[7] == "启用" and cells[8] == "—"
        expect(page.locator("#notice")).to_contain_text("已新增账号 wangfang")
        assert page.locator("#user-form").is_hidden()
        signed = api.post("/api/v1/auth/login", json={"username": "wangfang", "password": "Wangfang-2026"})
        assert signed.status == 200 and signed.body["windows"] == [2, 3]
        assert page.inner_text("#count-users") == "3"

        # -- change the windows, then a photo (shrunk in the browser, checked by the server)
        row.locator("button[data-action=edit]").click()
        assert page.input_value("#u-username") == "wangfang" and page.locator("#u-username").is_disabled()
        page.locator('#u-windows input[value="3"]').uncheck()
        page.locator('#u-windows input[value="4"]').check()
        page.click("#user-save")
        expect(row.locator("td").nth(3)).to_have_text("2, 4")
        photo = tmp_path / "wang.jpg"
        Image.new("RGB", (1800, 2400), (30, 90, 160)).save(photo, "JPEG")
        row.locator("button[data-action=photo]").click()
        page.set_input_files("#photo-file", str(photo))
        expect(page.locator("#photo-preview")).to_be_visible()
        page.click("#photo-save")
        expect(row.locator("img.thumb")).to_be_visible()
        uid = next(u["id"] for u in api.get(api.hp("/users"), "root").body
                   if u["username"] == "wangfang")
        got = requests.get(f"{live.url}/api/v1/staff/{uid}/photo", timeout=10)
        assert got.headers["Content-Type"] == "image/jpeg"
        assert Image.open(io.BytesIO(got.content)).size == (600, 800)
        shot(page, tmp_path, "admin-accounts.png")

        # -- a device: its token is shown once, copied, and works for an evaluator
        page.click("#tab-devices")
        page.click("#btn-add-device")
        page.fill("#d-name", "3号窗口评价器")
        page.select_option("#d-kind", "evaluator")
        page.locator('#d-windows input[value="3"]').check()
        page.click("#device-form button[type=submit]")
        expect(page.locator("#token-box")).to_be_visible()
        token = page.input_value("#token-value")
        assert token.startswith("dev_") and len(token) > 30
        assert "只显示这一次" in page.inner_text("#token-box")
        assert page.inner_text("#token-url").endswith(f"/evaluator/3?token={token}")
        page.click("#token-copy")
        expect(page.locator("#token-copied")).to_have_text("已复制")
        assert page.evaluate("navigator.clipboard.readText()") == token
        me = requests.get(live.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
        assert me.status_code == 200 and me.json()["role"] == "evaluator"
        dev_row = page.locator('#devices-table tr[data-device="3号窗口评价器"]')
        cells = dev_row.locator("td").all_inner_texts()
        assert (cells[1], cells[2], cells[4]) == ("评价器", "3", "1")
        shot(page, tmp_path, "admin-device-token.png")
        page.click("#token-done")
        assert page.locator("#token-box").is_hidden()
        assert token not in page.content()  # gone from the page once closed

        # -- revoke it: the device stops working at once
        page.once("dialog", lambda d: d.accept())
        dev_row.locator("button[data-action=revoke]").click()
        expect(dev_row.locator("td").nth(4)).to_have_text("0 · 已吊销")
        expect(page.locator("#notice")).to_contain_text("已吊销 3号窗口评价器 的 1 个令牌")
        me = requests.get(live.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
        assert me.status_code == 401
        path = shot(page, tmp_path, "admin-devices-revoked.png")
        assert path.stat().st_size > 10_000

        # -- English
        page.click("#lang")
        assert page.inner_text("#tab-devices").startswith("Devices")
        expect(dev_row.locator("td").nth(4)).to_have_text("0 · revoked")
        page.click("#tab-users")
        wang_role = page.locator('#users-table tr[data-username="wangfang"] td').nth(2)
        assert wang_role.inner_text() == "Window staff"
        shot(page, tmp_path, "admin-accounts-en.png")
        assert not errors, errors
    finally:
        context.close()


def test_a_manager_sees_the_page_read_only_and_staff_are_refused(chromium, live, tmp_path):
    api = live.api
    api.add_staff("boss", [], role="manager", name="主任")
    api.add_staff("zhang", [1], name="张明")
    errors: list[str] = []
    context, page = open_admin(chromium, live.url, "boss", errors)
    try:
        expect(page.locator("#readonly")).to_be_visible()
        assert page.locator("#btn-add-user").is_hidden()
        assert page.locator("#users-table button").count() == 0
        assert page.locator('#users-table tr[data-username="zhang"] td').nth(1).inner_text() == "张明"
        page.click("#tab-devices")
        assert page.locator("#btn-add-device").is_hidden()
        assert page.locator('#devices-table tr[data-device="kiosk"]').count() == 1
        assert page.locator("#devices-table button").count() == 0
        shot(page, tmp_path, "admin-manager-read-only.png")
        assert not errors, errors
    finally:
        context.close()
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(live.url + "/admin")
        sign_in(page, "zhang")
        expect(page.locator("#login-error")).to_have_text("仅限系统管理员和大厅管理人员")
        assert page.locator("#main").is_hidden()
    finally:
        context.close()
