"""Supervision through the pages, in Chromium (issue #14): the supervisor (吴监督, 依法治市办)
opens the dashboard, drills down from a bar of the violations chart to the cases behind it and
opens one, samples the market bureau's closed cases for 案卷评查 and scores one, orders the
bureau to correct the case (责令限期整改); the bureau's head (market.head) answers the order
from the 待办 with a file of evidence, and the supervisor sees it answered. Every page at
desktop width and on a 390 px phone (screenshots in test-artifacts/e2e/), none wider than the
phone, nothing loaded from another host, no console error."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Walk, beijing_now

pytestmark = pytest.mark.e2e

MARKET = "tonghua-market"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def both(page, shot, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshots at desktop width and on a phone; at 390 px the page does not scroll
    sideways (a wide table scrolls inside its own box)."""
    shot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)  # the charts follow the resize
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= PHONE["width"], (name, overflow)
    shot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_the_supervisor_drills_down_reviews_and_orders_and_the_head_answers(
    page_for, walk: Walk, shot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    year = beijing_now().year
    supervisor = page_for("supervisor")

    # ---------------------------------------------------------------- 1. the dashboard
    walk.visit(supervisor, f"/supervision/dashboard/?year={year}&agency={MARKET}")
    expect(supervisor.locator("h1")).to_contain_text("监督看板")
    chart = supervisor.locator("#chart-articles")
    expect(chart.locator("svg")).to_have_count(1)
    both(supervisor, shot, "dashboard")

    # ---------------------------------------------------------------- 2. a bar → its cases
    # The first bar of 违规条款 (the most violated article): clicked in the middle of its length.
    x, y = supervisor.evaluate(
        """() => {
            const c = echarts.getInstanceByDom(document.getElementById("chart-articles"));
            const count = c.getOption().series[0].data[0];
            return c.convertToPixel({seriesIndex: 0}, [count / 2, 0]);
        }"""
    )
    box = chart.bounding_box()
    assert box is not None
    with supervisor.expect_navigation():
        supervisor.mouse.click(box["x"] + x, box["y"] + y)
    assert "/cases/?" in supervisor.url and "article=" in supervisor.url, supervisor.url
    walk.clean(supervisor)
    listed = supervisor.locator("table tbody tr a[href^='/cases/']")
    assert listed.count() >= 1
    both(supervisor, shot, "drilldown")
    number = listed.first.inner_text().strip()
    with supervisor.expect_navigation():
        listed.first.click()
    case_url = supervisor.url
    assert re.search(r"/cases/\d+/$", case_url), case_url
    expect(supervisor.locator("h1")).to_contain_text(number)
    walk.clean(supervisor)
    both(supervisor, shot, "case")

    # ---------------------------------------------------------------- 3. 案卷评查: sample, score
    walk.visit(supervisor, "/supervision/reviews/")
    both(supervisor, shot, "reviews")
    with supervisor.expect_navigation():
        supervisor.get_by_role("link", name="抽取案卷").click()
    walk.fill(
        supervisor,
        {
            "agency": MARKET,
            "period_from": f"{year}-01-01",
            "period_to": f"{year}-12-31",
            "percent": "100",
        },
    )
    both(supervisor, shot, "review-sample")
    with supervisor.expect_navigation():
        supervisor.get_by_role("button", name="随机抽取并记入账本").click()
    walk.clean(supervisor)
    assert "/supervision/reviews/samplings/" in supervisor.url, supervisor.url
    expect(supervisor.locator("main")).to_contain_text("通化市市场监督管理局")
    both(supervisor, shot, "review-sampling")
    with supervisor.expect_navigation():
        supervisor.get_by_role("link", name="评分").first.click()
    walk.clean(supervisor)
    scores = supervisor.locator("form.review-form input[type=number]")
    assert scores.count() >= 1
    top = int(scores.first.get_attribute("max") or "0")
    scores.first.fill(str(top - 1))
    supervisor.locator("form.review-form textarea").first.fill("询问笔录未载明询问地点，扣1分")
    both(supervisor, shot, "review-score")
    with supervisor.expect_navigation():
        supervisor.get_by_role("button", name="提交评查表并记入账本").click()
    walk.clean(supervisor)
    assert "/supervision/reviews/sheets/" in supervisor.url, supervisor.url
    sheet_page = supervisor.locator("main").inner_text()
    assert re.search(r"(优秀|合格|不合格)", sheet_page), sheet_page[:500]
    assert "询问笔录未载明询问地点" in sheet_page
    both(supervisor, shot, "review-sheet")

    # ---------------------------------------------------------------- 4. 责令限期整改
    walk.visit(supervisor, case_url)
    with supervisor.expect_navigation():
        supervisor.get_by_role("link", name="责令限期整改").click()
    due = (beijing_now() + timedelta(days=15)).date().isoformat()
    walk.fill(
        supervisor,
        {
            "category": "not_made",
            "text": "询问笔录未由当事人逐页签名，限期补正并说明原因",
            "due": due,
        },
    )
    both(supervisor, shot, "order-new")
    with supervisor.expect_navigation():
        supervisor.get_by_role("button", name="责令整改并记入账本").click()
    walk.clean(supervisor)
    order_id = supervisor.url.rstrip("/").rsplit("/", 1)[-1]
    assert re.fullmatch(r"ZG\d{8}-[0-9a-f]{6}", order_id), supervisor.url
    expect(supervisor.locator("main")).to_contain_text("询问笔录未由当事人逐页签名")
    both(supervisor, shot, "order")

    # ---------------------------------------------------------------- 5. the head answers
    head = page_for("market.head")
    walk.visit(head, "/inbox/")
    row = head.locator("table.orders-to-answer tr.inbox-item").filter(has_text=order_id)
    expect(row).to_have_count(1)
    both(head, shot, "head-inbox")
    with head.expect_navigation():
        row.get_by_role("link", name="答复").click()
    walk.clean(head)
    evidence = tmp_path / "整改报告.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% rectification report of the market bureau\n%%EOF\n")
    head.locator("textarea[name=done]").fill("已组织承办人员补正询问笔录签名，并开展笔录规范培训")
    head.set_input_files("input[name=evidence]", evidence)
    both(head, shot, "order-answer")
    with head.expect_navigation():
        head.get_by_role("button", name="提交答复").click()
    walk.clean(head)
    expect(head.locator(".messages")).to_contain_text("整改情况已答复")
    expect(head.locator("main")).to_contain_text("整改报告.pdf")
    both(head, shot, "order-answered")

    # ---------------------------------------------------------------- 6. the supervisor sees it
    walk.visit(supervisor, f"/supervision/orders/{MARKET}/{order_id}/")
    expect(supervisor.locator("main")).to_contain_text("已组织承办人员补正询问笔录签名")
    expect(supervisor.locator("main")).to_contain_text("整改报告.pdf")
