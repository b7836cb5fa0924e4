"""The served system in Chromium: login, the pages load only the project's own assets, and an
officer of one agency gets nothing of another's."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_login_shows_the_inbox_in_chinese_and_loads_nothing_from_outside(page_for, shot) -> None:  # type: ignore[no-untyped-def]
    page = page_for("market.handler")
    assert page.locator("h1").first.inner_text() == "待办"
    assert "刘建国" in page.locator(".who").inner_text()
    page.goto("/cases/")
    assert "通市监罚〔2026〕12号" in page.content()
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui", state="attached")
    shot(page, "api-docs")
    assert page.external_requests == []


def test_a_wrong_password_is_refused_in_chinese(server, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server.url, locale="zh-CN")
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", "market.handler")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "用户名或密码不正确" in page.content()
    context.close()
