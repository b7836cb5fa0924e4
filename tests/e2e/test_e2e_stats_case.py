"""One shorter case of 栾川县统计局 (luanchuan-stats) through the pages, in Chromium, with
electronic service (传真/电子邮件送达), by stats.handler, stats.head and stats.archivist:

ex-officio start with the 程序启动审批表 → 询问笔录 with two officers and the party's signed paper
uploaded as a scan → 权利告知书 served by fax → decision draft → 负责人审批 (stats.head, from the
待办 inbox, signing on screen) → 行政执法决定书 served by e-mail — which the bureau's regulation
forbids, and the case page says so, citing the article — then served directly → 执法行为终结 →
案卷归档 (stats.archivist, from the inbox); `lawtrail verify` finds the ledger intact.

Every page visited loads nothing from another host and logs no console error.
"""

from __future__ import annotations

import re
import secrets
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Walk, assert_verified, beijing_now, typed

pytestmark = pytest.mark.e2e

AGENCY = "luanchuan-stats"
PARTY = "栾川县金鼎钼业有限公司"
TITLE = "栾川县金鼎钼业有限公司提供不真实统计资料案"
# 《栾川县统计局行政执法全过程记录制度》第十一条第（四）项: "通过传真、电子邮件等方式送达
# （行政执法决定书除外）的" — fax and e-mail may serve other documents, never the decision
# (rule stats.service.electronic_not_decision in rulepacks/luanchuan-stats.toml).
ELECTRONIC_QUOTE = "通过传真、电子邮件等方式送达（行政执法决定书除外）的"


def scanned_signature(width: int = 240, height: int = 80) -> bytes:
    """A PNG as a scanner makes it: white paper with a dark scrawl (a zigzag)."""
    rows = []
    for y in range(height):
        row = bytearray(b"\xff" * width)
        for x in range(20, width - 20):
            if abs(y - (height // 2 + ((x // 12) % 2 * 2 - 1) * ((x % 12) - 6) * 3)) < 2:
                row[x] = 0x20
        rows.append(b"\x00" + bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def test_a_stats_case_with_electronic_service_walks_to_the_archive_and_flags_the_emailed_decision(
    page_for, walk: Walk, shot, server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    number = f"栾统罚〔2026〕{secrets.randbelow(9000) + 1000}号"
    now = beijing_now().replace(second=0)
    opened = now - timedelta(hours=8)

    # ---------------------------------------------------------------- ex-officio start
    handler = page_for("stats.handler")
    walk.visit(handler, "/cases/")
    handler.get_by_role("link", name="立案").first.click()
    handler.wait_for_url("**/cases/new/**")
    walk.clean(handler)
    walk.fill(
        handler,
        {
            "case-case_number": number,
            "case-title": TITLE,
            "case-acts": ["inspection", "penalty"],
            "case-procedure": "general",
            "case-opened_at": typed(opened),
            "case-party_0_name": PARTY,
            "case-party_0_kind": "organization",
            "case-party_0_id_number": "91410324MA45KD2J8N",
            "case-party_0_address": "河南省洛阳市栾川县城关镇伊河路108号",
            "case-party_0_contact": "0379-66825678，传真 0379-66825679，tongji@jinding.example",
            "at": typed(opened),
            "f_reason": "统计执法检查发现该公司报送的产值与财务账册不符，涉嫌提供不真实统计资料",
            "f_case_source": "2026年度统计执法“双随机”检查",
            "f_party_info": f"{PARTY}，法定代表人周某",
            "f_handler_opinion": "建议立案调查",
        },
    )
    url = walk.submit(handler)
    match = re.search(r"/cases/(\d+)/$", url)
    assert match, url
    pk = int(match[1])
    expect(handler.locator(".messages")).to_contain_text(f"已立案：{number}")
    head = page_for("stats.head")
    walk.take_task(head, number, "行政机关负责人审批：程序启动审批表")
    head.locator("textarea[name=head_opinion]").fill("同意立案")
    head.locator("select[name=approved]").select_option("true")
    walk.submit(head, "form button.primary[type=submit]")
    expect(head.locator(".messages")).to_contain_text("已办理行政机关负责人审批")
    handler.goto(f"/cases/{pk}/")
    facts = handler.locator(".case-header dl.facts").inner_text()
    for shown in ("栾川县统计局", "依职权", "一般程序", "行政处罚、行政检查", "无违规"):
        assert shown in facts, (shown, facts)
    opened_view = walk.case_view(handler, pk)
    shot(handler, "01-case-opened")

    # ---------------------------------------------------------------- inquiry, rights notice
    scan = tmp_path / "询问笔录签名页.png"
    scan.write_bytes(scanned_signature())
    handler.goto(f"/cases/{pk}/")
    handler.locator('.kind-menu a[href$="/records/new/inquiry_record/"]').click()
    handler.wait_for_url(f"**/cases/{pk}/records/new/inquiry_record/")
    handler.set_input_files("input[name=sig_0_image]", scan)
    inquiry = walk.save(
        handler,
        pk,
        {
            "at": typed(opened + timedelta(hours=1)),
            "f_interviewee": "周某（法定代表人）",
            "f_interviewee_role": "party",
            "f_location": "栾川县统计局询问室",
            "f_content": "询问2026年1—9月统计报表的填报依据及与财务账册不符的原因",
            "f_rights_notified": ["statement", "defense"],
            "f_rights_notice_method": "询问开始时告知并记入笔录",
            "officer_0": "stats.handler",
            "officer_0_shown": "true",
            "officer_1": "stats.officer",
            "officer_1_shown": "true",
            "sig_0_role": "party",
            "sig_0_signer": "party:p1",
            "sig_0_method": "handwritten",
        },
        name="02-inquiry",
    )
    signed = handler.locator("section.card", has=handler.locator("h2", has_text="签名"))
    party_row = signed.locator("tbody tr", has_text="当事人")
    expect(party_row).to_contain_text("手写签名")
    scan_image = party_row.locator("img.signature-image")
    handler.wait_for_function(
        "img => img.complete && img.naturalWidth === 240", arg=scan_image.element_handle()
    )
    officers = handler.locator("section.card", has=handler.locator("h2", has_text="在场执法人员"))
    expect(officers.locator("tbody tr", has_text="已出示")).to_have_count(2)

    rights = walk.record(
        handler,
        pk,
        "rights_notice",
        {
            "at": typed(opened + timedelta(hours=2)),
            "f_rights": ["statement", "defense"],
            "f_method": "written_notice",
            "f_document_number": f"栾统告〔2026〕{number[-5:-1]}号",
        },
    )
    faxed = opened + timedelta(hours=2, minutes=20)
    fax_service = walk.record(
        handler,
        pk,
        "service",
        {
            "at": typed(faxed),
            "f_method": "electronic",
            "f_document": rights,
            "f_document_kind": "rights_notice",
            "f_recipient": PARTY,
            "f_electronic_channel": "fax",
            "f_electronic_evidence": ["phone_recording", "screenshot"],
            "f_fax_time": typed(faxed),
            "f_fax_number": "0379-66825679",
        },
        name="03-fax-service",
    )
    fields = handler.locator("dl.record-fields").inner_text()
    for shown in ("传真/电子邮件送达", "权利告知书", "传真", "电话录音、截屏截图", "0379-66825679"):
        assert shown in fields, (shown, fields)
    view = walk.grown(handler, pk, opened_view)
    # A rights notice may be served by fax (art. 11(4)), with the fax time and number
    # (art. 11(4), 传真件上注明传真时间和受送达人的传真号码): no finding.
    assert (
        "违规" not in view.row_of(fax_service).text and "提示" not in view.row_of(fax_service).text
    )
    assert "无违规" in view.badges, view.badges

    # ---------------------------------------------------------------- decision, head approval
    walk.record(
        handler,
        pk,
        "decision_draft",
        {
            "at": typed(opened + timedelta(hours=3)),
            "f_drafter": "stats.handler",
            "f_legal_basis": "《中华人民共和国统计法》第七条、第四十一条第一款第（二）项",
            "f_evidence": "询问笔录、财务账册复印件、统计报表",
            "f_factors": "初次违法，主动配合调查",
        },
    )
    head = page_for("stats.head")
    task = walk.take_task(head, number, "负责人审批：行政执法决定草案")
    # 第十条: 应制作行政执法决定书，并由负责人签署审批意见
    assert task["role"] == "负责人（批准人）" and task["article"] == "第十条", task
    head.wait_for_url(f"**/cases/{pk}/records/new/head_approval/")
    head_approval = walk.save(
        head,
        pk,
        {
            "at": typed(opened + timedelta(hours=4)),
            "f_opinion": "同意对该公司予以警告，并处罚款人民币三万元",
            "sig_0_role": "head",
            "sig_0_signer": "person:stats.head",
        },
        signatures=[0],
        name="04-head-approval",
    )
    walk.visit(head, "/inbox/")
    expect(head.locator("tr.inbox-item", has_text=number)).to_have_count(0)

    decided = opened + timedelta(hours=5)
    decision = walk.record(
        handler,
        pk,
        "decision",
        {
            "at": typed(decided),
            "f_document_number": number,
            "f_decision_type": "行政处罚决定",
            "f_facts": "当事人2026年1—9月报送的产值数据与财务账册不符，多报4,150万元",
            "f_reasons": "提供不真实统计资料，违反《统计法》第七条；初次违法，从轻处罚",
            "f_legal_basis": "《中华人民共和国统计法》第四十一条第一款第（二）项、第二款",
            "f_content": "警告，并处罚款人民币30,000元",
            "f_amount": "30000.00",
            "f_performance_deadline": f"{decided + timedelta(days=15):%Y-%m-%d}",
        },
    )

    # ---------------------------------------------------------------- the decision by e-mail
    emailed = decided + timedelta(minutes=30)
    email_service = walk.record(
        handler,
        pk,
        "service",
        {
            "at": typed(emailed),
            "f_method": "electronic",
            "f_document": decision,
            "f_document_kind": "decision",
            "f_recipient": PARTY,
            "f_electronic_channel": "email",
            "f_electronic_evidence": ["screenshot", "sms"],
        },
        # said by the draft's check before it is stored, and stored only when confirmed
        violation="提交后将违反第十一条",
        name="05-emailed-decision",
    )
    # The record page shows the finding where it arises …
    own = handler.locator("section.card", has=handler.locator("h2", has_text="本记录的发现"))
    expect(own.locator("li.finding.violation")).to_have_count(1)
    expect(own).to_contain_text("第十一条")
    shot(handler, "05-emailed-decision-flagged")
    # … and so does the case page: one violation, on that service, citing art. 11 and quoting it.
    view = walk.grown(handler, pk, view)
    assert "违规 1" in view.badges, view.badges
    row = view.row_of(email_service).text
    assert "违规" in row and "第十一条" in row and "行政执法决定书" in row, row
    assert "栾川县统计局行政执法全过程记录制度" in row and ELECTRONIC_QUOTE in row, row
    assert "违规" not in view.row_of(fax_service).text
    shot(handler, "06-case-page-finding")

    # The decision is then served directly (直接送达, 送达回证 signed by the recipient, art. 11(1));
    # the e-mail service stays on record, and so does its finding.
    served = decided + timedelta(hours=1)
    walk.record(
        handler,
        pk,
        "service",
        {
            "at": typed(served),
            "f_method": "direct",
            "f_document": decision,
            "f_document_kind": "decision",
            "f_recipient": PARTY,
            "f_receipt_number": f"栾统送〔2026〕{number[-5:-1]}-2号",
            "sig_0_role": "recipient",
            "sig_0_signer": "party:p1",
            "sig_0_name": "周某（法定代表人）",
            "sig_0_method": "handwritten",
            "sig_1_role": "server",
            "sig_1_signer": "person:stats.handler",
            "sig_1_method": "handwritten",
        },
    )

    # ---------------------------------------------------------------- closure and archive
    walk.record(
        handler,
        pk,
        "closure",
        {
            "at": typed(served + timedelta(minutes=30)),
            "f_reason": "当事人已缴纳罚款，行政执法行为终结",
        },
    )
    view = walk.grown(handler, pk, view)
    required = "\n".join(view.required)
    # 第十四条 sets no day count for the case file: required, without a deadline
    assert "案卷归档" in required and "第十四条" in required and "期限：" not in required, required

    archivist = page_for("stats.archivist")
    task = walk.take_task(archivist, number, "案卷归档")
    assert task["role"] == "档案管理员" and task["article"] == "第十四条", task
    assert task["due"] == "无期限", task
    archivist.wait_for_url(f"**/cases/{pk}/records/new/case_file/")
    case_file = walk.save(
        archivist,
        pk,
        {
            "at": typed(beijing_now()),
            "f_volume_number": f"栾统档〔2026〕罚-{number[-5:-1]}",
            "f_documents": "立案审批表\n询问笔录\n权利告知书及传真送达记录\n负责人审批表\n"
            "行政处罚决定书\n电子邮件送达记录\n送达回证",
            "f_retention": "定期30年",
        },
        name="07-case-file",
    )

    final = walk.grown(handler, pk, view)
    assert final.required == [], final.required
    assert "违规 1" in final.badges, final.badges  # the e-mailed decision is never erased
    assert "第十一条" in final.row_of(email_service).text
    assert "案卷归档" in final.rows[-1].text
    assert final.row_of(head_approval).by == "赵国栋"  # stats.head
    assert final.row_of(case_file).by == "周敏"  # stats.archivist
    assert final.row_of(decision).by == "刘建国"  # stats.handler
    shot(handler, "08-case-archived")
    walk.visit(handler, "/inbox/")  # nothing of this case waits for anyone any more
    expect(handler.locator("tr.inbox-item", has_text=number)).to_have_count(0)
    assert "刘建国" in final.row_of(inquiry).who and "陈晓燕" in final.row_of(inquiry).who

    report = server.verify(AGENCY, number)
    assert_verified(report)
