"""变更案件信息 (issue #15) in Chromium: the handler opens a case, then changes its header on the
form — a second party found during the investigation, a corrected 案由, the case made 重大 —
and the case page shows the change in its history with author, time and reason; on a 390 px
phone neither page scrolls sideways. `lawtrail verify` finds the ledger verified afterwards.
Screenshots (desktop 1440 px and phone 390 px): test-artifacts/e2e/."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Walk, assert_verified, beijing_now, typed

pytestmark = pytest.mark.e2e

AGENCY = "tonghua-market"
PARTY = "通化市恒源副食品商行"


_WIDER = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right
                                       <= window.innerWidth + 1)
  .map(el => el.tagName.toLowerCase() + '.' + el.className)"""


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    """The page itself does not scroll sideways (a wide table scrolls within itself)."""
    width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0, f"the page scrolls {width}px sideways: {page.evaluate(_WIDER)}"


def test_the_handler_changes_the_case_header_and_the_history_shows_it(
    page_for, walk: Walk, shot, server
) -> None:  # type: ignore[no-untyped-def]
    number = f"通市监罚〔2026〕{secrets.randbelow(9000) + 1000}号"
    opened = beijing_now().replace(second=0) - timedelta(hours=2)
    handler = page_for("market.handler")
    handler.set_viewport_size({"width": 1440, "height": 900})
    walk.visit(handler, "/cases/new/")
    walk.fill(
        handler,
        {
            "case-case_number": number,
            "case-title": "销售过期食品案",
            "case-acts": ["penalty"],
            "case-procedure": "general",
            "case-opened_at": typed(opened),
            "case-party_0_name": PARTY,
            "case-party_0_kind": "organization",
            "at": typed(opened),
            "f_reason": "群众反映当事人货架上有超过保质期的食品",
        },
    )
    url = walk.submit(handler)
    match = re.search(r"/cases/(\d+)/$", url)
    assert match, url
    pk = int(match[1])

    handler.locator("a.button", has_text="变更案件信息").click()
    handler.wait_for_url(f"**/cases/{pk}/change/")
    walk.clean(handler)
    expect(handler.locator('input[name="change-title"]')).to_have_value("销售过期食品案")
    expect(handler.locator('input[name="change-party_0_name"]')).to_have_value(PARTY)
    expect(handler.locator('input[name="change-acts"][value="penalty"]')).to_be_checked()
    walk.fill(
        handler,
        {
            "change-title": f"{PARTY}、韩立军销售过期食品案",
            "change-major": True,
            "change-new_0_name": "韩立军",
            "change-new_0_kind": "person",
            "change-new_0_address": "吉林省通化市东昌区龙泉路66号",
            "change-reason": "调查中发现实际经营者为韩立军，追加为当事人；涉案货值较大，属重大案件",
        },
    )
    shot(handler, "01-change-form-1440")
    handler.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(handler)
    shot(handler, "02-change-form-390")
    handler.set_viewport_size({"width": 1440, "height": 900})
    landed = walk.submit(handler)
    assert landed.endswith(f"/cases/{pk}/"), landed
    expect(handler.locator(".messages")).to_contain_text("已变更案件信息")
    expect(handler.locator("h1")).to_contain_text(f"{PARTY}、韩立军销售过期食品案")
    change = handler.locator("tr.entry-case", has_text="案件信息变更")
    expect(change).to_contain_text("案由「销售过期食品案」→「")
    expect(change).to_contain_text("重大行政执法决定：否→是")
    expect(change).to_contain_text("增加当事人 韩立军（个人）")
    expect(change).to_contain_text("变更理由：调查中发现实际经营者为韩立军")
    expect(change).to_contain_text("刘建国")
    expect(handler.locator("table.parties")).to_contain_text("韩立军")
    walk.clean(handler)
    change.scroll_into_view_if_needed()
    shot(handler, "03-case-page-1440")
    handler.set_viewport_size({"width": 390, "height": 844})
    shot(handler, "04-case-page-390")
    _no_sideways_scroll(handler)

    assert_verified(server.verify(AGENCY, number))
