"""The error pages, the CSRF failure page and Swagger UI in Chinese, in real Chromium on a desktop
and a phone (issue #15). Screenshots go to test-artifacts/e2e/."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import RequestFactory
from playwright.sync_api import expect

from .conftest import ARTIFACTS, PASSWORD

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


@pytest.fixture(params=sorted(VIEWPORTS))
def signed_in(server, browser, request) -> Iterator[Callable]:  # type: ignore[no-untyped-def]
    """signed_in(username) → (page, shot) on the viewport of the test's parameter."""
    device = request.param
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    contexts = []

    def make(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            base_url=server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **VIEWPORTS[device]
        )
        contexts.append(context)
        page = context.new_page()
        # Script errors, CSP violations, and any asset that failed to load; the error page
        # itself answers 4xx/5xx (the console reports that too: not counted).
        errors: list[str] = []
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.request.resource_type != "document"
                else None
            ),
        )
        page.console_errors = errors
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"chinese-{name}-{device}.png"), full_page=True)

        return page, shot

    yield make
    for context in contexts:
        context.close()


def test_the_404_and_500_pages(signed_in) -> None:  # type: ignore[no-untyped-def]
    page, shot = signed_in("market.handler")
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("未找到")
    expect(page.locator(".error-links")).to_contain_text("返回首页")
    shot("404")
    # A 500 cannot be provoked on a healthy server: the page the handler answers is served
    # in its place at the server's address (so its stylesheet is the server's).
    from lawtrail.web.views.errors import server_error

    failed = server_error(RequestFactory().get("/cases/"))
    page.route(
        "**/test-only/boom/",
        lambda route: route.fulfill(
            status=failed.status_code, body=failed.content, content_type=failed["Content-Type"]
        ),
    )
    response = page.goto("/test-only/boom/")
    assert response is not None and response.status == 500
    expect(page.locator("h1")).to_have_text("服务器内部错误")
    page.wait_for_load_state("networkidle")
    shot("500")
    assert page.console_errors == []


def test_a_form_submitted_after_a_new_sign_in_is_given_back(signed_in, server) -> None:  # type: ignore[no-untyped-def]
    page, shot = signed_in("market.handler")
    page.goto("/cases/")
    page.locator("table.cases a").first.click()
    case_url = page.url
    page.goto(case_url.rstrip("/") + "/records/new/closure/")
    typed = "当事人已全部履行处罚决定，本案结案。\n<第二行>"
    page.fill("textarea[name=f_reason]", typed)
    # Signed out and in again in another tab: the form's CSRF token is stale now.
    other = page.context.new_page()
    other.goto("/account/")
    other.locator("form[action='/logout/'] button").click()
    other.fill("input[name=username]", "market.handler")
    other.fill("input[name=password]", PASSWORD)
    other.click("button[type=submit]")
    other.wait_for_url(lambda url: "/login/" not in url)
    other.close()
    page.locator("form.record-form button.primary[type=submit]").click()
    expect(page.locator("h1")).to_have_text("页面已过期")
    expect(page.locator(".kept-values")).to_contain_text("当事人已全部履行处罚决定")
    expect(page.locator(".kept-values")).to_contain_text("<第二行>")
    expect(page.locator("form.kept-resubmit button.primary")).to_have_text("重新提交")
    assert page.locator("form.kept-resubmit input[name=f_reason]").get_attribute("value") == typed
    shot("csrf")
    assert page.console_errors == []


def test_swagger_ui_speaks_chinese(signed_in) -> None:  # type: ignore[no-untyped-def]
    page, shot = signed_in("market.handler")
    page.goto("/api/docs")
    operation = page.locator(".opblock").first
    expect(operation).to_be_visible()
    expect(page.locator(".btn.authorize").first).to_contain_text("授权")
    operation.locator(".opblock-summary").click()
    expect(operation.locator(".try-out__btn")).to_have_text("试一试")
    expect(operation.locator(".opblock-section-header h4").first).to_have_text("参数")
    expect(operation.locator(".responses-wrapper h4").first).to_have_text("响应")
    operation.locator(".try-out__btn").click()
    expect(operation.locator(".try-out__btn")).to_have_text("取消")
    expect(operation.locator(".btn.execute")).to_have_text("执行")
    shot("swagger")
    assert page.console_errors == []
