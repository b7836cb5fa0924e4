"""A party's 查阅/复制 (issue #16) in Chromium: the handler of a benxi-hrss case marks one record
个人隐私 and registers the party's request for two records; the head finds it in the 待办 inbox
with its 20-working-day due date and approves it in part; the handler produces the copy; the
party — no account — downloads it once through the link and checks it on the verification
page. The downloaded PDF holds none of the withheld text, its cover lists what was withheld.
Screenshots (desktop 1440 px and phone 390 px) and the copy's pages: test-artifacts/e2e/."""

from __future__ import annotations

import re
import secrets
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Walk, assert_verified, beijing_now, typed

pytestmark = pytest.mark.e2e

AGENCY = "benxi-hrss"
PARTY = "本溪市恒达建筑劳务有限公司"
PRIVATE = "投诉人张某某反映其患有职业病的诊断经过"


def _both_widths(page, walk: Walk, shot, name: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1440, "height": 900})
    walk.clean(page)
    shot(page, f"{name}-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    walk.clean(page)
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1440, "height": 900})


def test_a_party_copy_is_registered_approved_in_part_produced_and_downloaded(
    page_for, browser, walk: Walk, shot, server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    number = f"本人社监罚〔2026〕{secrets.randbelow(9000) + 1000}号"
    opened = beijing_now().replace(second=0) - timedelta(hours=3)
    handler = page_for("hrss.handler")
    handler.set_viewport_size({"width": 1440, "height": 900})
    walk.visit(handler, "/cases/new/")
    walk.fill(
        handler,
        {
            "case-case_number": number,
            "case-title": "拖欠农民工工资案",
            "case-acts": ["penalty"],
            "case-procedure": "general",
            "case-opened_at": typed(opened),
            "case-party_0_name": PARTY,
            "case-party_0_kind": "organization",
            "at": typed(opened),
            "f_reason": "农民工投诉该公司拖欠工资",
        },
    )
    url = walk.submit(handler)
    match = re.search(r"/cases/(\d+)/$", url)
    assert match, url
    pk = int(match[1])
    second = walk.record(
        handler,
        pk,
        "complaint",
        {
            "at": typed(opened + timedelta(minutes=30)),
            "f_complainant": "张某某",
            "f_content": PRIVATE,
        },
    )

    # 保密: the second record is 个人隐私 of the complainant.
    walk.visit(handler, f"/cases/{pk}/")
    handler.locator("a.button", has_text="保密与查阅复制").click()
    handler.wait_for_url(f"**/cases/{pk}/secrecy/")
    walk.clean(handler)
    walk.fill(
        handler,
        {
            "kind": "privacy",
            "target": f"record:{second}",
            "holder": "张某某",
            "reason": "投诉材料载有投诉人的健康信息",
        },
    )
    walk.submit(handler, "form.label-form button.primary")
    expect(handler.locator("table.labels")).to_contain_text("个人隐私")
    _both_widths(handler, walk, shot, "01-secrecy")
    # An officer of the agency outside the case team sees the record masked.
    officer = page_for("hrss.officer")
    walk.visit(officer, f"/cases/{pk}/records/{second}/")
    expect(officer.locator(".record-fields")).to_contain_text("〔内容已隐去：个人隐私〕")
    expect(officer.locator(".record-fields")).not_to_contain_text(PRIVATE)
    expect(officer.locator(".secrecy-notice")).to_contain_text("向负责人申请查看")
    _both_widths(officer, walk, shot, "01b-masked-record")

    # The party's request, registered at the counter.
    handler.locator("a.button", has_text="登记查阅、复制申请").click()
    handler.wait_for_url(f"**/cases/{pk}/copies/new/")
    walk.clean(handler)
    records = handler.locator('input[name="items"][value^="record:"]')
    assert records.count() == 2
    walk.fill(
        handler,
        {
            "name": PARTY,
            "party": "p1",
            "contact": "法务 王某",
            "mode": "copy",
            "received_via": "counter",
            "received_at": typed(beijing_now().replace(second=0) - timedelta(minutes=5)),
        },
    )
    records.nth(0).check()
    records.nth(1).check()
    _both_widths(handler, walk, shot, "02-register")
    landed = walk.submit(handler, "form.copy-request-form button.primary")
    request_id = landed.rstrip("/").rsplit("/", 1)[-1]
    expect(handler.locator(".copy-status")).to_have_text("待负责人决定")
    expect(handler.locator(".copy-facts")).to_contain_text("第三十三条")

    # The head: from the inbox, approves in part.
    head = page_for("hrss.head")
    walk.visit(head, "/inbox/")
    task = head.locator("table.secrecy-tasks tr", has_text=request_id)
    expect(task).to_contain_text(PARTY)
    _both_widths(head, walk, shot, "03-head-inbox")
    task.locator("a.button", has_text="决定").click()
    head.wait_for_url(f"**/copies/{request_id}/")
    walk.clean(head)
    walk.fill(
        head,
        {
            "outcome": "part",
            "withheld_reason": "载有他人个人隐私，依法应保密",
            "reason": "申请人为本案当事人，同意复制立案审批材料",
        },
    )
    head.locator('input[name="approved"]').first.check()
    _both_widths(head, walk, shot, "04-head-decides")
    walk.submit(head, "form.copy-decide-form button.primary")
    expect(head.locator(".copy-status")).to_have_text("已同意，待制作")
    expect(head.locator(".copy-decision")).to_contain_text("部分同意")

    # The handler produces the copy: a one-time link for the party.
    handler.reload()
    walk.clean(handler)
    walk.fill(handler, {"delivery": "link"})
    walk.submit(handler, "form.copy-produce-form button.primary")
    link = handler.locator(".copy-link a").get_attribute("href")
    assert link and "/copies/download/" in link
    _both_widths(handler, walk, shot, "05-produced")

    # The party, without an account.
    context = browser.new_context(base_url=server.url, locale="zh-CN", accept_downloads=True)
    party = context.new_page()
    errors: list[str] = []
    external: list[str] = []
    party.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    party.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    party.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(server.url) else None,
    )
    party.console_errors = errors
    party.external_requests = external
    with party.expect_download() as info:
        party.evaluate("url => { window.location.href = url; }", link)
    pdf = tmp_path / "copy.pdf"
    info.value.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert PRIVATE not in flat
    assert "不予提供的材料及理由（1项）" in flat and "载有他人个人隐私，依法应保密" in flat
    assert request_id in flat and PARTY in flat
    subprocess.run(
        ["pdftoppm", "-r", "70", "-png", str(pdf), str(ARTIFACTS / "party-copy-page")],
        check=True,
    )
    # Once only.
    again = party.goto(link)
    assert again is not None and again.status == 410
    expect(party.locator("main")).to_contain_text("只能使用一次")
    # (the browser logs the 410 it was meant to get; nothing else may be on the console)
    assert errors == ["Failed to load resource: the server responded with a status of 410 (Gone)"]
    errors.clear()

    # The verification page confirms the copy.
    party.goto(f"/copies/verify/?request={request_id}")
    walk.clean(party)
    party.set_input_files('input[name="file"]', str(pdf))
    with party.expect_navigation():
        party.locator("form.verify-form button").click()
    expect(party.locator(".verify-result")).to_contain_text("一致")
    expect(party.locator(".verify-result")).not_to_contain_text("不一致")
    _both_widths(party, walk, shot, "06-verified")
    context.close()

    assert_verified(server.verify(AGENCY, number))
