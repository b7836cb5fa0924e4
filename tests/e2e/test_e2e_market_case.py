"""One full case of 通化市市场监督管理局 (tonghua-market) through the pages, in Chromium, by a
different demo user for each role:

ex-officio start with the 程序启动审批表 (market.handler) → a body-camera video uploaded on the
media page and played back → 现场检查笔录 with two officers who showed their certificates, the
party signing on the canvas and the video attached → 权利告知书 → internal approval 承办人 →
审核人 (market.reviewer, from the 待办 inbox) → 批准人 (market.head) → decision draft →
法制审核 (market.legal, from the inbox) → 负责人审批 (market.head, from the inbox) → 行政执法决定书
→ 留置送达 with witness, the party's refusal and its video → 履行情况, 催告书 and its service →
强制执行 → 执法行为终结 → 案卷归档 (market.archivist, from the inbox); an officer of another
agency is refused and the supervisor sees the case and the refused attempt; `lawtrail verify`
finds the ledger verified (nothing wrong; at most the latest entries awaiting the witness).

Every page visited loads nothing from another host and logs no console error (a CSP violation
would). Screenshots: test-artifacts/e2e/.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SampleVideo, Walk, assert_verified, beijing_now, typed

pytestmark = pytest.mark.e2e

AGENCY = "tonghua-market"
PARTY = "通化市恒源副食品商行"
TITLE = "通化市恒源副食品商行销售过期食品案"


def test_a_market_case_walks_from_ex_officio_start_to_the_archive_through_the_pages(
    page_for, walk: Walk, shot, server, sample_video: SampleVideo, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    number = f"通市监罚〔2026〕{secrets.randbelow(9000) + 1000}号"
    now = beijing_now().replace(second=0)
    opened = now - timedelta(hours=20)  # the body camera's video must be ingested within 24 h
    inspected = opened + timedelta(hours=1)

    # ---------------------------------------------------------------- 1. ex-officio start
    handler = page_for("market.handler")
    walk.visit(handler, "/cases/new/")
    expect(handler.locator("nav.tabs a.tab.active")).to_have_text("依职权（程序启动审批表）")
    expect(handler.locator("h2")).to_contain_text("首条记录：程序启动审批表")
    walk.fill(
        handler,
        {
            "case-case_number": number,
            "case-title": TITLE,
            "case-acts": ["penalty"],
            "case-procedure": "general",
            "case-major": True,
            "case-opened_at": typed(opened),
            "case-party_0_name": PARTY,
            "case-party_0_kind": "organization",
            "case-party_0_id_number": "92220502MA0Y7K3L2Q",
            "case-party_0_address": "吉林省通化市东昌区龙泉路66号",
            "case-party_0_contact": "经营者 韩立军 13843512345",
            "at": typed(opened),
            "f_reason": "群众反映当事人货架上有超过保质期的食品，涉嫌经营超过保质期的食品",
            "f_case_source": "监督检查发现",
            "f_party_info": f"{PARTY}，个体工商户，经营者韩立军，住所吉林省通化市东昌区龙泉路66号",
            "f_case_summary": "当事人涉嫌经营超过保质期的预包装食品",
            "f_handler_opinion": "涉嫌违反《食品安全法》第三十四条第（十）项，建议立案调查",
        },
    )
    shot(handler, "01-new-case-form")
    url = walk.submit(handler)
    match = re.search(r"/cases/(\d+)/$", url)
    assert match, url
    pk = int(match[1])
    expect(handler.locator(".messages")).to_contain_text(f"已立案：{number}")
    expect(handler.locator("h1")).to_contain_text(number)
    # The handler drafted the start approval form; the unit's reviewer, the legal reviewer (a
    # major case) and the head complete their parts from their inboxes (issue #13: a role's
    # act is made only by that role).
    for username, title, opinion in (
        ("market.reviewer", "承办机构审核意见：程序启动审批表", "同意立案，由刘建国、陈晓燕承办"),
        (
            "market.legal",
            "法制机构合法性审查意见：程序启动审批表",
            "本案属重大行政执法行为，执法主体、管辖合法，同意立案",
        ),
        ("market.head", "行政机关负责人审批：程序启动审批表", "同意立案"),
    ):
        role = page_for(username)
        walk.take_task(role, number, title)
        expect(role.locator("h1")).to_contain_text(title.split("：")[0])
        expect(role.locator("dl.record-fields")).to_contain_text("建议立案调查")
        role.locator("form textarea").first.fill(opinion)
        if username == "market.head":
            role.locator("select[name=approved]").select_option("true")
            shot(role, "01b-head-approves-start")
        walk.submit(role, "form button.primary[type=submit]")
        expect(role.locator(".messages")).to_contain_text("已办理")
    head_view = walk.case_view(handler, pk)
    approved = head_view.rows[-1].text
    assert "程序启动审批表" in approved, approved
    facts = handler.locator(".case-header dl.facts").inner_text()
    for shown in ("通化市市场监督管理局", "依职权", "一般程序", "行政处罚", "刘建国", "无违规"):
        assert shown in facts, (shown, facts)
    expect(handler.locator(".case-header table.parties")).to_contain_text(PARTY)
    view = walk.case_view(handler, pk)
    assert view.rows[0].text.startswith("立案：依职权"), view.rows[0].text
    assert "程序启动审批表" in view.row_of("r1").text
    shot(handler, "02-case-opened")

    # ---------------------------------------------------------------- 2. investigation with AV
    # The body camera's video of the inspection, uploaded on the media page, then played back.
    video = sample_video.write(tmp_path / "camera" / "DSJ_现场检查.mp4", inspected)
    inspection_video = walk.upload(handler, pk, video)
    shot(handler, "03-video-uploaded")
    with handler.expect_navigation():
        handler.locator("#upload-summary a", has_text="刷新列表").click()
    walk.clean(handler)
    item = handler.locator(f"#media-{inspection_video[:16]}")
    expect(item.locator(".media-filename")).to_have_text(video.name)
    expect(item).to_contain_text("录像")
    expect(item).to_contain_text(f"{inspected:%Y-%m-%d %H:%M}")  # captured: the file's time
    expect(item).to_contain_text(f"案号：{number}")  # labelled on upload (art. 32)
    player = item.locator("video")
    player.evaluate("v => { v.muted = true; v.play(); }")
    handler.wait_for_function(
        "v => v.readyState > 0 && v.currentTime > 0", arg=player.element_handle()
    )
    played = player.evaluate("v => ({ready: v.readyState, width: v.videoWidth, error: v.error})")
    assert played["ready"] > 0 and played["width"] > 0 and played["error"] is None, played
    walk.clean(handler)
    shot(handler, "04-video-plays")

    before = walk.grown(handler, pk, view)  # the video's ingestion
    inspection = walk.record(
        handler,
        pk,
        "site_inspection",
        {
            "at": typed(inspected),
            "f_location": "吉林省通化市东昌区龙泉路66号 当事人经营场所",
            "f_findings": "出示执法证件后检查，货架上有超过保质期的袋装饼干12袋、瓶装饮料20瓶",
            "f_present_persons": "韩立军（经营者）",
            "officer_0": "market.handler",
            "officer_0_shown": "true",
            "officer_1": "market.officer",
            "officer_1_shown": "true",
            "sig_0_role": "party",
            "sig_0_signer": "party:p1",
            "sig_1_role": "officer",
            "sig_1_signer": "person:market.handler",
            "sig_1_method": "handwritten",
            "sig_2_role": "officer",
            "sig_2_signer": "person:market.officer",
            "sig_2_method": "handwritten",
            "media": [inspection_video],
        },
        signatures=[0],
        name="05-site-inspection",
    )
    officers = handler.locator("section.card", has=handler.locator("h2", has_text="在场执法人员"))
    expect(officers.locator("tbody tr")).to_have_count(2)
    for name in ("刘建国", "陈晓燕"):
        expect(officers.locator("tr", has_text=name)).to_contain_text("已出示")
    signed = handler.locator("section.card", has=handler.locator("h2", has_text="签名"))
    party_row = signed.locator("tbody tr", has_text="当事人")
    expect(party_row).to_contain_text(PARTY)
    expect(party_row).to_contain_text("屏幕签名")
    image = party_row.locator("img.signature-image")
    expect(image).to_be_visible()
    handler.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    expect(handler.locator("section.card", has_text="音像记录")).to_contain_text(video.name)
    view = walk.grown(handler, pk, before)
    assert "现场检查(勘验)笔录" in view.row_of(inspection).text
    assert "刘建国" in view.row_of(inspection).who and "陈晓燕" in view.row_of(inspection).who
    # the video's and the signature image's ingestion are entries of the timeline too
    assert any("录像入库" in r.text and video.name in r.text for r in view.rows)
    assert any("签名图像入库" in r.text for r in view.rows)
    assert "违规" not in view.row_of(inspection).text, view.row_of(inspection).text

    walk.record(
        handler,
        pk,
        "rights_notice",
        {
            "at": typed(now - timedelta(hours=3)),
            "f_rights": ["statement", "defense", "recusal", "hearing"],
            "f_method": "written_notice",
            "f_document_number": f"通市监罚告〔2026〕{number[-5:-1]}号",
            "sig_0_role": "officer",
            "sig_0_signer": "person:market.handler",
            "sig_0_method": "handwritten",
            "sig_1_role": "party",
            "sig_1_signer": "party:p1",
            "sig_1_method": "handwritten",
        },
    )

    # ---------------------------------------------------------------- 3. internal approval chain
    subject = f"{TITLE}处罚决定审批"
    approval = walk.record(
        handler,
        pk,
        "internal_approval",
        {
            "at": typed(now - timedelta(hours=2)),
            "f_subject": subject,
            "f_handler_opinion": "拟没收过期食品，并处罚款五万元",
            "f_handler_reason": "违反《食品安全法》第三十四条第（十）项，依第一百二十四条处罚",
        },
        name="06-internal-approval-submitted",
    )
    reviewer = page_for("market.reviewer")
    task = walk.take_task(reviewer, number, f"内部审批审核：{subject}")
    assert task["role"] == "审核人" and task["article"] == "第三十八条", task
    reviewer.wait_for_url(f"**/cases/{pk}/approvals/{approval}/")
    expect(reviewer.locator(".approval-status")).to_have_text("等待审核人审核")
    expect(reviewer.locator("table.approval-chain")).to_contain_text("拟没收过期食品")
    reviewer.locator("textarea[name=opinion]").fill("事实清楚，证据充分，同意承办人意见")
    shot(reviewer, "07-review-form")
    walk.submit(reviewer, "button[name=decision][value=agree]")
    expect(reviewer.locator(".messages")).to_contain_text("已记录审核意见")
    expect(reviewer.locator(".approval-status")).to_have_text("等待负责人（批准人）批准")
    reviewed = reviewer.url
    review = reviewed.rstrip("/").rsplit("/", 1)[1]

    head = page_for("market.head")
    task = walk.take_task(head, number, f"内部审批批准：{subject}")
    assert task["role"] == "负责人（批准人）", task
    assert head.url == reviewed, (head.url, reviewed)  # the latest version of the approval
    head.locator("textarea[name=opinion]").fill("同意")
    walk.submit(head, "button[name=decision][value=agree]")
    expect(head.locator(".messages")).to_contain_text("已记录批准意见")
    approve = head.url.rstrip("/").rsplit("/", 1)[1]
    expect(head.locator(".approval-status")).to_have_text("审批已结束：批准人同意")
    chain = head.locator("table.approval-chain tbody tr").all_inner_texts()
    assert "刘建国" in chain[0] and "王志刚" in chain[1] and "赵国栋" in chain[2], chain
    assert "同意" in chain[1] and "同意" in chain[2], chain
    expect(head.locator("table.approval-versions tbody tr")).to_have_count(3)
    shot(head, "08-internal-approval-approved")

    # ---------------------------------------------------------------- 4. decision
    draft = walk.record(
        handler,
        pk,
        "decision_draft",
        {
            "at": typed(beijing_now()),
            "f_drafter": "market.handler",
            "f_legal_basis": "《食品安全法》第三十四条第（十）项、第一百二十四条第一款",
            "f_evidence": "现场检查笔录及录像、过期食品照片、进货单据",
            "f_factors": "货值金额一千二百元；初次违法；主动配合调查",
        },
    )
    # 起草机构审查人 (002 art. 16): the unit's reviewer signs the draft off from the inbox.
    walk.take_task(reviewer, number, "起草机构审查：草拟行政执法决定")
    walk.submit(reviewer, "form button.primary[type=submit]")
    expect(reviewer.locator(".messages")).to_contain_text("已办理起草机构审查")
    view = walk.grown(handler, pk, view)
    assert "无违规" in view.badges, view.badges

    legal = page_for("market.legal")
    task = walk.take_task(legal, number, "法制审核：重大行政执法决定草案")
    assert task["role"] == "法制审核人员" and task["article"] == "第十七条", task
    legal.wait_for_url(f"**/cases/{pk}/records/new/legal_review/")
    legal_review = walk.save(
        legal,
        pk,
        {
            "at": typed(beijing_now()),
            "f_opinion": "事实清楚，证据确凿，适用法律正确，程序合法",
            "f_suggestions": "建议在决定书中载明从轻情节",
            "f_form": "opinion_document",
            # The review's outcome: a decision needs a review that passed (国办发〔2018〕118号).
            "f_passed": "true",
            "sig_0_role": "legal_reviewer",
            "sig_0_signer": "person:market.legal",
            "sig_0_method": "handwritten",
        },
        name="09-legal-review",
    )

    task = walk.take_task(head, number, "负责人审批：行政执法决定草案")
    assert task["role"] == "负责人（批准人）" and task["article"] == "第二十条", task
    head.wait_for_url(f"**/cases/{pk}/records/new/head_approval/")
    head_approval = walk.save(
        head,
        pk,
        {
            "at": typed(beijing_now()),
            "f_opinion": "同意作出行政处罚决定",
            "sig_0_role": "head",
            "sig_0_signer": "person:market.head",
        },
        signatures=[0],
        name="10-head-approval",
    )
    walk.visit(head, "/inbox/")
    expect(head.locator("tr.inbox-item", has_text=number)).to_have_count(0)

    decided = beijing_now()
    decision = walk.record(
        handler,
        pk,
        "decision",
        {
            "at": typed(decided),
            "f_document_number": number,
            "f_decision_type": "行政处罚决定",
            "f_facts": "当事人经营超过保质期的袋装饼干12袋、瓶装饮料20瓶，货值金额一千二百元",
            "f_reasons": "经营超过保质期的食品，事实清楚；初次违法、主动配合调查，从轻处罚",
            "f_legal_basis": "《食品安全法》第三十四条第（十）项、第一百二十四条第一款",
            "f_content": "一、没收超过保质期的食品；二、罚款50,000元",
            "f_amount": "50000",
            "f_performance_deadline": f"{decided + timedelta(days=15):%Y-%m-%d}",
        },
        name="11-decision",
    )
    view = walk.grown(handler, pk, view)
    required = "\n".join(view.required)
    assert "履行情况" in required and "第二十八条" in required, view.required
    shot(handler, "12-case-after-decision")

    # ---------------------------------------------------------------- 5. lodging service with AV
    served = beijing_now()
    service_video = sample_video.write(tmp_path / "DCIM-送达" / "DSJ_留置送达.mp4", served)
    lodging_video = walk.upload(handler, pk, service_video, folder=True)
    assert lodging_video != inspection_video
    service = walk.record(
        handler,
        pk,
        "service",
        {
            "at": typed(served),
            "f_method": "lodging",
            "f_document": decision,
            "f_document_kind": "decision",
            "f_recipient": f"{PARTY}（经营者韩立军）",
            "f_receipt_number": f"通市监送〔2026〕{number[-5:-1]}-1号",
            "f_refusal_reason": "经营者韩立军以“罚款过重”为由拒绝签收",
            "f_refusal_date": f"{served:%Y-%m-%d}",
            "f_lodged_at": "吉林省通化市东昌区龙泉路66号 当事人经营场所收银台",
            "sig_0_role": "witness",
            "sig_0_name": "张淑华（龙泉社区工作人员）",
            "sig_1_role": "server",
            "sig_1_signer": "person:market.handler",
            "sig_1_method": "handwritten",
            "sig_2_role": "server",
            "sig_2_signer": "person:market.officer",
            "sig_2_method": "handwritten",
            "refusal_0_role": "recipient",
            "refusal_0_party": "p1",
            "refusal_0_reason": "以“罚款过重”为由拒绝签收；决定书留置于经营场所收银台并录像",
            "media": [lodging_video],
        },
        signatures=[0],
        name="13-lodging-service",
    )
    refusals = handler.locator("section.card", has=handler.locator("h3", has_text="拒绝签名"))
    expect(refusals).to_contain_text("罚款过重")
    expect(
        handler.locator("section.card", has_text="签名").locator("tr", has_text="见证人")
    ).to_contain_text("张淑华")
    view = walk.grown(handler, pk, view)
    assert "违规" not in view.row_of(service).text, view.row_of(service).text

    # ---------------------------------------------------------------- 6. enforcement
    walk.record(
        handler,
        pk,
        "performance",
        {
            "at": typed(beijing_now()),
            "f_status": "not_performed",
            "f_details": "履行期限届满，当事人未缴纳罚款",
        },
    )
    urge = walk.record(
        handler,
        pk,
        "urge_notice",
        {
            "at": typed(beijing_now()),
            "f_document_number": f"通市监催〔2026〕{number[-5:-1]}号",
            "f_content": "催告当事人于收到本催告书之日起十日内缴纳罚款50,000元",
        },
    )
    walk.record(
        handler,
        pk,
        "service",
        {
            "at": typed(beijing_now()),
            "f_method": "direct",
            "f_document": urge,
            "f_document_kind": "urge_notice",
            "f_recipient": f"{PARTY}（经营者韩立军）",
            "f_receipt_number": f"通市监送〔2026〕{number[-5:-1]}-2号",
            "sig_0_role": "server",
            "sig_0_signer": "person:market.handler",
            "sig_0_method": "handwritten",
            "sig_1_role": "recipient",
            "sig_1_signer": "party:p1",
            "sig_1_method": "handwritten",
        },
    )
    walk.record(
        handler,
        pk,
        "enforcement",
        {
            "at": typed(beijing_now()),
            "f_method": "surcharge",
            "f_decision_number": f"通市监强执〔2026〕{number[-5:-1]}号",
            "f_site_record": "依法加处罚款",
            "f_details": "当事人逾期不缴纳罚款，每日按罚款数额的百分之三加处罚款",
            "officer_0": "market.handler",
            "officer_0_shown": "true",
            "officer_1": "market.officer",
            "officer_1_shown": "true",
        },
        name="14-enforcement",
    )

    # ---------------------------------------------------------------- 7. closure and archive
    walk.record(
        handler,
        pk,
        "closure",
        {"at": typed(beijing_now()), "f_reason": "当事人已缴纳罚款及加处罚款，行政执法行为终结"},
    )
    view = walk.grown(handler, pk, view)
    required = "\n".join(view.required)
    assert "案卷归档" in required and "第三十二条" in required and "期限：" in required, (
        view.required
    )
    shot(handler, "15-case-closed")

    archivist = page_for("market.archivist")
    task = walk.take_task(archivist, number, "案卷归档")
    assert task["role"] == "档案管理员" and task["article"] == "第三十二条", task
    archivist.wait_for_url(f"**/cases/{pk}/records/new/case_file/")
    case_file = walk.save(
        archivist,
        pk,
        {
            "at": typed(beijing_now()),
            "f_volume_number": f"通市监档〔2026〕罚字第{number[-5:-1]}号",
            "f_documents": "立案审批表\n现场检查笔录及录像\n行政处罚告知书\n法制审核意见书\n"
            "案件审批表\n行政处罚决定书\n送达回证（留置送达）及录像\n催告书及送达回证\n强制执行决定书",
            "f_retention": "定期30年",
            "sig_0_role": "archivist",
            "sig_0_signer": "person:market.archivist",
            "sig_0_method": "handwritten",
        },
        name="16-case-file",
    )
    walk.visit(archivist, "/inbox/")
    expect(archivist.locator("tr.inbox-item", has_text=number)).to_have_count(0)

    final = walk.grown(handler, pk, view)
    assert "无违规" in final.badges and "提示" not in final.badges, final.badges
    assert final.required == [], final.required
    kinds = [r.text.split("\n")[0].split(" ")[0] for r in final.rows]
    for label in ("程序启动审批表", "现场检查(勘验)笔录", "内部审批", "法制审核", "负责人审批",
                  "行政执法决定书", "送达", "强制执行", "执法行为终结", "案卷归档"):  # fmt: skip
        assert any(k.startswith(label) for k in kinds), (label, kinds)
    # who recorded what (录入人): each role's own user
    recorded_by = {
        inspection: "刘建国",
        approval: "刘建国",
        review: "王志刚",
        approve: "赵国栋",
        draft: "刘建国",
        legal_review: "孙丽",
        head_approval: "赵国栋",
        decision: "刘建国",
        service: "刘建国",
        case_file: "周敏",
    }
    for record_id, name in recorded_by.items():
        assert final.row_of(record_id).by == name, (record_id, final.row_of(record_id))
    assert "已被更正" in final.row_of(approval).text and "已被更正" in final.row_of(review).text
    shot(handler, "17-case-archived")
    walk.visit(handler, "/inbox/")  # nothing of this case waits for anyone any more
    expect(handler.locator("tr.inbox-item", has_text=number)).to_have_count(0)

    # ---------------------------------------------------------------- 8. isolation and supervision
    outsider = page_for("hrss.handler")
    response = outsider.goto(f"/cases/{pk}/")
    assert response is not None and response.status == 403
    expect(outsider.locator("h1")).to_have_text("无权访问")
    expect(outsider.locator("p.error")).to_have_text("您无权查看其他机关的案件，本次尝试已记录")
    assert number not in outsider.content() and PARTY not in outsider.content()
    assert outsider.external_requests == []
    # the only console error is the browser's report of the 403 status itself
    assert all("403" in e for e in outsider.console_errors), outsider.console_errors
    outsider.console_errors.clear()
    shot(outsider, "18-other-agency-refused")

    supervisor = page_for("supervisor")
    seen = walk.case_view(supervisor, pk)
    assert [r.seq for r in seen.rows] == [r.seq for r in final.rows]
    expect(supervisor.locator("h1")).to_contain_text(number)
    expect(supervisor.locator(".kind-menu")).to_have_count(0)  # reads, does not record
    walk.visit(supervisor, "/supervision/access/")
    supervisor.locator("input[name=case]").fill(number)
    supervisor.locator("select[name=outcome]").select_option("denied")
    with supervisor.expect_navigation():
        supervisor.locator("form.access-filter button[type=submit]").click()
    walk.clean(supervisor)
    denied = supervisor.locator("table.access-log tbody tr.access-denied")
    expect(denied).to_have_count(1)
    row = denied.inner_text()
    for shown in ("hrss.handler", "本溪市人力资源和社会保障局", "查看案件", number, "拒绝"):
        assert shown in row, (shown, row)
    # the reason the outsider was shown, under the entry (issue #13: refusals logged truthfully)
    expect(supervisor.locator("table.access-log tbody tr.access-reason")).to_contain_text(
        "拒绝原因：您无权查看其他机关的案件"
    )
    shot(supervisor, "19-access-log-denied")
    supervisor.locator("select[name=outcome]").select_option("allowed")
    supervisor.locator("input[name=user]").fill("market.handler")
    with supervisor.expect_navigation():
        supervisor.locator("form.access-filter button[type=submit]").click()
    walk.clean(supervisor)
    expect(
        supervisor.locator("table.access-log tbody tr", has_text="播放音像资料").first
    ).to_be_visible()

    # ---------------------------------------------------------------- 9. the ledger verifies
    report = server.verify(AGENCY, number)
    assert_verified(report)
    assert report["logs"][0]["scope"] == "case"
