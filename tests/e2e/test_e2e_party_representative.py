"""The party's 法定代表人（负责人） (issue #17) on the pages: the handler states it when opening a
case and corrects it by a change of the case information; both forms are axe-clean and fit a
390 px phone (Walk), with screenshots at desktop and phone width.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import Walk, beijing_now, typed

PARTY = "通化市恒瑞商贸有限公司"


def test_the_legal_representative_is_stated_at_opening_and_changed_later(
    page_for, walk: Walk, shot
) -> None:  # type: ignore[no-untyped-def]
    number = f"通市监罚〔2026〕{secrets.randbelow(9000) + 1000}号"
    opened = beijing_now().replace(second=0) - timedelta(hours=2)
    handler = page_for("market.handler")
    walk.visit(handler, "/cases/new/")
    expect(handler.locator('label[for="id_case-party_0_legal_representative"]')).to_contain_text(
        "法定代表人（负责人）"
    )
    walk.fill(
        handler,
        {
            "case-case_number": number,
            "case-title": f"{PARTY}销售过期食品案",
            "case-acts": ["penalty"],
            "case-procedure": "general",
            "case-opened_at": typed(opened),
            "case-party_0_name": PARTY,
            "case-party_0_kind": "organization",
            "case-party_0_legal_representative": "韩立军",
            "at": typed(opened),
            "f_reason": "监督检查发现当事人涉嫌经营超过保质期的食品",
        },
    )
    shot(handler, "01-new-case-desktop")
    url = walk.submit(handler)
    match = re.search(r"/cases/(\d+)/$", url)
    assert match, url
    pk = int(match[1])

    walk.visit(handler, f"/cases/{pk}/change/")
    field = handler.locator('[name="change-party_0_legal_representative"]')
    expect(field).to_have_value("韩立军")
    field.fill("韩立新")
    handler.locator('[name="change-reason"]').fill("法定代表人已变更")
    shot(handler, "02-change-desktop")
    handler.set_viewport_size({"width": 390, "height": 844})
    walk.clean(handler)
    shot(handler, "03-change-phone")
    handler.set_viewport_size({"width": 1280, "height": 900})
    handler.locator("form button.primary[type=submit]").first.click()
    handler.wait_for_url(re.compile(rf"/cases/{pk}/$"))
    walk.clean(handler)
    expect(handler.locator("body")).to_contain_text("韩立新")
    shot(handler, "04-case-desktop")
