"""The case pages: starting a case by each origin, recording acts through the generated forms,
signatures, corrections, the case page (timeline, proof, what is required next, findings), the
record page, the list — and that bad input, outsiders and edit attempts store nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import override_settings

from lawtrail import services
from lawtrail.core import timeutil
from lawtrail.core.engine import evaluate
from lawtrail.core.model import Case
from lawtrail.core.record_kinds import RECORD_KINDS, record_label, records_named
from lawtrail.core.regulations import article_label
from lawtrail.web import casepage, wiring
from lawtrail.web.casepage import stage_label
from lawtrail.web.forms import ORIGIN_KINDS, entered_fields, initial_from_record
from lawtrail.web.models import CaseIndex, User

from .signature_images import jpeg_bytes, png_bytes, png_data_url

pytestmark = pytest.mark.django_db

MARKET = "tonghua-market"
EXAMPLE = "通市监罚〔2026〕12号"  # the compliant ex-officio penalty example, 22 records
AT = "2026-11-20T10:00"

Login = Callable[[str], Client]


def example(case_number: str = EXAMPLE, agency: str = MARKET) -> CaseIndex:
    return CaseIndex.objects.get(agency_id=agency, case_number=case_number)


def load(index: CaseIndex) -> Case:
    return services.load_case(wiring.ledger(), index.agency_id, index.case_number)


def size(agency: str = MARKET) -> int:
    return wiring.ledger().size(agency)


def entries(agency: str, case_number: str, kind: str) -> list[dict[str, Any]]:
    found = wiring.ledger().entries(agency, case_number=case_number, types=(kind,))
    return [e.data()[kind] for e in found]


def new_record_url(index: CaseIndex, kind: str) -> str:
    return f"/cases/{index.pk}/records/new/{kind}/"


def page(response: Any) -> str:
    return str(response.content.decode())


def header(number: str, **extra: str) -> dict[str, Any]:
    return {
        "case-case_number": number,
        "case-title": "某商贸有限公司销售过期食品案",
        "case-acts": ["penalty"],
        "case-procedure": "general",
        "case-opened_at": "2026-11-20T09:00",
        "case-party_0_name": "通化市某商贸有限公司",
        "case-party_0_kind": "organization",
        "case-party_0_id_number": "91220502MA17XXXX0K",
        "case-party_0_address": "吉林省通化市东昌区新华大街88号",
        **extra,
    }


FIRST_RECORDS: dict[str, dict[str, Any]] = {
    "application": {"f_applicant": "p1", "f_matter": "食品经营许可", "f_outcome": "accepted"},
    # the head's approval is the head's own act, completed from the inbox (test_web_recording_roles)
    "ex_officio": {"f_reason": "日常检查发现过期食品", "f_handler_opinion": "建议立案调查"},
    "emergency": {"f_reason": "现场发现大量过期食品正在销售", "f_legal_basis": "食品安全法"},
    "complaint": {"f_complainant": "王某", "f_real_name": "true", "f_content": "销售过期食品"},
}


# ---------------------------------------------------------------------------- starting a case


@pytest.mark.parametrize("origin", list(ORIGIN_KINDS))
def test_opening_a_case_by_each_origin_stores_header_and_first_record(
    origin: str, login: Login
) -> None:
    client = login("market.handler")
    form_page = page(client.get(f"/cases/new/?origin={origin}"))
    assert RECORD_KINDS[ORIGIN_KINDS[origin]].label in form_page
    number = f"通市监罚〔2026〕{200 + list(ORIGIN_KINDS).index(origin)}号"
    data = {**header(number), "at": AT, **FIRST_RECORDS[origin]}
    response = client.post(f"/cases/new/?origin={origin}", data)
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=number)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{index.pk}/"
    assert index.handler is not None
    assert index.handler.username == "market.handler"
    assert index.origin == origin
    case = load(index)
    assert case.origin == origin
    assert case.title == "某商贸有限公司销售过期食品案"
    assert case.parties[0].name == "通化市某商贸有限公司"
    assert [r.kind for r in case.records] == [ORIGIN_KINDS[origin]]
    first = case.records[0]
    assert first.id == "r1"
    assert first.at == datetime(2026, 11, 20, 10, 0, tzinfo=timeutil.SHANGHAI)
    assert "market.handler" in {p.id for p in case.people}
    types = [e.type for e in wiring.ledger().entries(MARKET, case_number=number)]
    assert types[0] == "case"
    assert types[-1] == "record"


def test_the_new_case_page_offers_the_acts_of_the_agency_rule_pack(login: Login) -> None:
    form_page = page(login("gazetteer.handler").get("/cases/new/"))
    acts = re.findall(r'name="case-acts" value="(\w+)"', form_page)
    assert acts == ["license", "penalty"]


def test_a_duplicate_case_number_is_refused_in_chinese(demo_cases: None, login: Login) -> None:
    before = size()
    data = {**header(EXAMPLE), "at": AT, **FIRST_RECORDS["ex_officio"]}
    response = login("market.handler").post("/cases/new/", data)
    assert response.status_code == 200
    assert f"案号 {EXAMPLE} 已存在，不能重复立案" in page(response)
    assert size() == before


def test_a_first_record_naming_a_missing_party_gets_the_error_on_that_field(
    login: Login,
) -> None:
    data = {**header("通市监罚〔2026〕301号"), "at": AT, **FIRST_RECORDS["application"]}
    data["f_applicant"] = "p2"  # no second party was entered
    response = login("market.handler").post("/cases/new/?origin=application", data)
    assert response.status_code == 200
    assert response.context["form"].errors["f_applicant"] == ["引用了不存在的当事人 'p2'"]
    assert not CaseIndex.objects.filter(case_number="通市监罚〔2026〕301号").exists()
    assert size() == 0


def test_only_agency_staff_may_open_cases(login: Login) -> None:
    for username in ("supervisor", "admin"):
        response = login(username).get("/cases/new/")
        assert response.status_code == 403
        assert "无权立案" in page(response)
    response = login("supervisor").post("/cases/new/", header("通市监罚〔2026〕302号"))
    assert response.status_code == 403
    assert not CaseIndex.objects.exists()


# ---------------------------------------------------------------------------- recording acts


def test_every_record_kind_has_its_form_page(demo_cases: None, login: Login) -> None:
    client = login("market.handler")
    handler = User.objects.get(username="market.handler")
    index = example()
    for kind in RECORD_KINDS.values():
        response = client.get(new_record_url(index, kind.id))
        if not casepage.offers_kind(index.agency_id, kind.id):
            assert response.status_code == 404, kind.id  # another agency's own form
            continue
        if kind.recorded_by and not handler.has_role(kind.recorded_by):
            assert response.status_code == 403, kind.id  # wholly another role's act
            continue
        assert response.status_code == 200, kind.id
        text = page(response)
        # Not typed in: a field the system sets (the 案卷 volume, the ledger commitment) and
        # another role's act (test_web_recording_roles).
        typed = {spec.name for spec in entered_fields(kind, handler.roles)}
        for spec in kind.fields:
            assert (f'name="f_{spec.name}"' in text) is (spec.name in typed), (kind.id, spec.name)
            if spec.name in typed:
                assert spec.label in text
        assert ('name="officer_0"' in text) == kind.has_officers


def test_an_unknown_record_kind_is_404(demo_cases: None, login: Login) -> None:
    response = login("market.handler").get(new_record_url(example(), "bribe"))
    assert response.status_code == 404


def test_a_record_is_appended_through_the_generated_form(demo_cases: None, login: Login) -> None:
    index = example()
    before = load(index)
    response = login("market.handler").post(
        new_record_url(index, "site_inspection"),
        {
            "at": AT,
            "f_location": "东昌区新华大街88号",
            "f_findings": "复查：过期食品已全部下架",
            "officer_0": "market.handler",
            "officer_0_shown": "true",
            "officer_1": "market.officer",
            "officer_1_shown": "true",
            # the head approves the exemption from the inbox (a role act)
            "av_exemption_reason": "执法记录仪故障，已拍照",
            # no signatures yet (a violation of art. 12 the draft's check names): submitted
            # knowingly
            "confirm_violations": "1",
        },
    )
    assert response.status_code == 302
    after = load(index)
    assert len(after.records) == len(before.records) + 1
    new = after.records[-1]
    assert response["Location"] == f"/cases/{index.pk}/records/{new.id}/"
    assert new.kind == "site_inspection"
    assert new.fields["findings"] == "复查：过期食品已全部下架"
    assert [(o.person, o.certificate_shown) for o in new.officers] == [
        ("market.handler", True),
        ("market.officer", True),
    ]
    assert new.recorded_at is not None
    assert {"market.handler", "market.officer"} <= {p.id for p in after.people}
    assert new.av_exemption is not None
    assert new.av_exemption.approved_by == ""  # the head's to approve, from the inbox
    index.refresh_from_db()
    assert index.records == len(after.records)


def test_a_missing_required_field_gives_a_chinese_error_and_stores_nothing(
    demo_cases: None, login: Login
) -> None:
    index = example()
    before = size()
    response = login("market.handler").post(
        new_record_url(index, "service"), {"at": AT, "f_recipient": "某公司"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["f_method"] == ["请填写「送达方式」"]
    assert "请填写「送达方式」" in page(response)
    assert size() == before


def test_a_time_that_cannot_be_read_gives_a_chinese_error_and_stores_nothing(
    demo_cases: None, login: Login
) -> None:
    index = example()
    before = size()
    response = login("market.handler").post(
        new_record_url(index, "closure"), {"at": "2026-11-31T25:61", "f_reason": "结案"}
    )
    assert response.status_code == 200
    assert "无法识别的时间" in page(response)
    assert size() == before


def test_an_officer_with_an_expired_certificate_cannot_be_the_acting_officer(
    demo_cases: None, login: Login
) -> None:
    index = example()
    before = size()
    records_before = len(load(index).records)
    response = login("market.handler").post(
        new_record_url(index, "site_inspection"),
        {
            "at": AT,
            "f_findings": "现场检查",
            "officer_0": "market.handler",
            "officer_0_shown": "true",
            "officer_1": "market.expired",
            "officer_1_shown": "true",
        },
    )
    assert response.status_code == 200
    (message,) = response.context["form"].errors["officer_1"]
    assert "李旧证" in message
    assert "已过期" in message
    assert "不能作为执法人员记录" in message
    assert size() == before
    assert len(load(index).records) == records_before


def test_xss_in_a_text_field_is_stored_verbatim_and_rendered_escaped(
    demo_cases: None, login: Login
) -> None:
    index = example()
    attack = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
    client = login("market.handler")
    response = client.post(
        new_record_url(index, "closure"), {"at": AT, "f_reason": attack, "note": attack}
    )
    assert response.status_code == 302
    record = load(index).records[-1]
    assert record.fields["reason"] == attack
    assert record.note == attack
    for url in (response["Location"], f"/cases/{index.pk}/"):
        text = page(client.get(url))
        assert "<script>alert" not in text
        assert "<img src=x" not in text
    detail = page(client.get(response["Location"]))
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in detail


def test_a_post_without_csrf_token_is_refused_and_stores_nothing(
    demo_cases: None, demo_users: Any
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="market.handler"))
    index = example()
    before = size()
    response = client.post(new_record_url(index, "closure"), {"at": AT, "f_reason": "结案"})
    assert response.status_code == 403
    assert size() == before
    response = client.post("/cases/new/", {**header("通市监罚〔2026〕303号"), "at": AT})
    assert response.status_code == 403
    assert size() == before
    # with the token from the form page the same post is accepted
    form_page = page(client.get(new_record_url(index, "closure")))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page)
    assert token is not None
    response = client.post(
        new_record_url(index, "closure"),
        {"at": AT, "f_reason": "结案", "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302


def test_users_who_cannot_write_are_refused_the_record_form_and_it_is_logged(
    demo_cases: None, login: Login
) -> None:
    index = example()
    records_before = len(load(index).records)
    client = login("supervisor")
    response = client.get(new_record_url(index, "closure"))
    assert response.status_code == 403
    assert "无权在该案件中记录" in page(response)
    response = client.post(new_record_url(index, "closure"), {"at": AT, "f_reason": "结案"})
    assert response.status_code == 403
    assert len(load(index).records) == records_before
    denied = [
        a
        for a in entries(MARKET, EXAMPLE, "access")
        if a["user"] == "supervisor" and a["outcome"] == "denied"
    ]
    assert [a["action"] for a in denied] == ["record_form", "append_record"]


# ---------------------------------------------------------------------------- signatures


def test_a_signature_drawn_on_screen_is_stored_and_referenced(
    demo_cases: None, login: Login
) -> None:
    index = example()
    client = login("market.handler")
    response = client.post(
        new_record_url(index, "closure"),
        {
            "at": AT,
            "f_reason": "执行完毕",
            "sig_0_role": "officer",
            "sig_0_signer": "person:market.handler",
            "sig_0_drawn": png_data_url(),
        },
    )
    assert response.status_code == 302
    record = load(index).records[-1]
    (signature,) = record.signatures
    digest = hashlib.sha256(png_bytes()).hexdigest()
    assert signature.image_sha256 == digest
    assert signature.person == "market.handler"
    assert signature.name == "刘建国"
    assert signature.method == "screen"
    with wiring.media_store().open(digest) as stored:
        assert stored.read() == png_bytes()
    (ingested,) = [m for m in entries(MARKET, EXAMPLE, "media") if m["sha256"] == digest]
    assert ingested["type"] == "photo"
    assert ingested["source"] == "screen"
    assert ingested["uploader"] == "market.handler"
    detail = page(client.get(response["Location"]))
    assert f'src="/cases/{index.pk}/media/{digest}/"' in detail


def test_an_uploaded_scan_of_the_signed_paper_is_stored_and_referenced(
    demo_cases: None, login: Login
) -> None:
    index = example()
    scan = SimpleUploadedFile("扫描件.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = login("market.handler").post(
        new_record_url(index, "closure"),
        {
            "at": AT,
            "f_reason": "执行完毕",
            "sig_0_role": "party",
            "sig_0_signer": "party:p1",
            "sig_0_method": "seal",
            "sig_0_image": scan,
            "refusal_0_role": "present_person",
            "refusal_0_name": "王某",
            "refusal_0_reason": "在场人员拒绝签名，已录像",
        },
    )
    assert response.status_code == 302
    record = load(index).records[-1]
    (signature,) = record.signatures
    digest = hashlib.sha256(jpeg_bytes()).hexdigest()
    assert (signature.role, signature.party, signature.method) == ("party", "p1", "seal")
    assert signature.image_sha256 == digest
    assert wiring.media_store().exists(digest)
    (ingested,) = [m for m in entries(MARKET, EXAMPLE, "media") if m["sha256"] == digest]
    assert ingested["filename"] == "signature-party-1.jpg"  # never the client's file name
    assert record.refusals[0].reason == "在场人员拒绝签名，已录像"


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("signature.png", b"MZ\x90\x00 this is an executable"),
        ("../../etc/passwd.jpg", b"root:x:0:0:root:/root:/bin/bash\n"),
        ("scan.pdf", b"%PDF-1.7\n"),
    ],
)
def test_a_signature_upload_that_is_not_an_image_is_refused_in_chinese(
    filename: str, content: bytes, demo_cases: None, login: Login
) -> None:
    index = example()
    before = size()
    response = login("market.handler").post(
        new_record_url(index, "closure"),
        {
            "at": AT,
            "f_reason": "执行完毕",
            "sig_0_role": "party",
            "sig_0_signer": "party:p1",
            "sig_0_image": SimpleUploadedFile(filename, content, "image/png"),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["sig_0_image"] == [
        "签名图像只能是 JPEG 或 PNG 图片：所选文件的内容不是图片"
    ]
    assert size() == before
    assert not wiring.media_store().exists(hashlib.sha256(content).hexdigest())


@override_settings(LAWTRAIL_MAX_SIGNATURE_BYTES=1024)
def test_a_signature_upload_over_the_limit_is_refused(demo_cases: None, login: Login) -> None:
    index = example()
    before = size()
    big = jpeg_bytes() + b"\0" * 2048
    response = login("market.handler").post(
        new_record_url(index, "closure"),
        {
            "at": AT,
            "sig_0_role": "party",
            "sig_0_signer": "party:p1",
            "sig_0_image": SimpleUploadedFile("scan.jpg", big, "image/jpeg"),
        },
    )
    assert response.status_code == 200
    assert "签名图像不能超过" in page(response)
    assert size() == before


def test_a_refused_record_leaves_no_signature_media_entry(demo_cases: None, login: Login) -> None:
    index = example()
    before = size()
    response = login("market.handler").post(
        new_record_url(index, "site_inspection"),
        {
            "at": AT,
            "officer_0": "market.expired",
            "sig_0_role": "officer",
            "sig_0_signer": "person:market.expired",
            "sig_0_drawn": png_data_url(),
        },
    )
    assert response.status_code == 200
    assert "已过期" in page(response)
    assert size() == before  # the signature's media entry was rolled back with the record


# ---------------------------------------------------------------------------- corrections


def test_a_correction_is_a_new_record_pointing_at_the_old_one(
    demo_cases: None, login: Login
) -> None:
    index = example()
    case = load(index)
    old = case.record("r13")
    assert old is not None
    client = login("market.handler")
    form_page = page(client.get(new_record_url(index, "decision") + "?corrects=r13"))
    assert "更正理由" in form_page
    assert str(old.fields["facts"]) in form_page  # prefilled with the old values
    # what the prefilled form would post, with the amount corrected and a reason
    initial = initial_from_record(RECORD_KINDS["decision"], old)
    data = {k: v for k, v in initial.items() if v not in (None, "", [])}
    data |= {
        "at": "2026-04-20T15:00",
        "f_amount": "4500.00",
        "correction_reason": "罚款金额计算错误，应为4500元",
    }
    response = client.post(new_record_url(index, "decision") + "?corrects=r13", data)
    assert response.status_code == 302
    after = load(index)
    new = after.records[-1]
    assert new.kind == "decision"
    assert new.corrects is not None
    assert (new.corrects.record, new.corrects.reason) == ("r13", "罚款金额计算错误，应为4500元")
    assert str(new.fields["amount"]) == "4500.00"
    assert new.fields["facts"] == old.fields["facts"]
    assert after.record("r13") == old  # the old record is still in the ledger, unchanged
    effective = {r.id for r in after.effective_records()}
    assert new.id in effective
    assert "r13" not in effective
    case_page = page(client.get(f"/cases/{index.pk}/"))
    named = record_label(new.id)  # 第23份记录: the page names records, never by their id
    assert f'更正记录 <a href="/cases/{index.pk}/records/{new.id}/">{named}</a>' in (case_page)
    assert f">{new.id}<" not in case_page
    old_page = page(client.get(f"/cases/{index.pk}/records/r13/"))
    assert "本记录已不再有效" in old_page
    assert f"/cases/{index.pk}/records/{new.id}/" in old_page
    new_page = page(client.get(response["Location"]))
    assert "本记录更正" in new_page
    assert f"/cases/{index.pk}/records/r13/" in new_page


def test_a_correction_must_be_of_the_same_kind(demo_cases: None, login: Login) -> None:
    response = login("market.handler").get(new_record_url(example(), "closure") + "?corrects=r13")
    assert response.status_code == 404


def test_a_void_is_a_record_that_withdraws_its_target(demo_cases: None, login: Login) -> None:
    index = example()
    client = login("market.handler")
    form_page = page(client.get(new_record_url(index, "void") + "?f_target=r19b"))
    assert '<option value="r19b" selected>' in form_page
    void = {"at": AT, "f_target": "r19b", "f_reason": "重复录入"}
    # Voiding a record the rules need is a violation: said before anything is stored, and
    # appended only when the user confirms it knowingly.
    unconfirmed = client.post(new_record_url(index, "void"), void)
    assert unconfirmed.status_code == 200
    assert "提交后将违反" in page(unconfirmed)
    assert load(index).record("r19b") in load(index).effective_records()
    response = client.post(new_record_url(index, "void"), {**void, "confirm_violations": "1"})
    assert response.status_code == 302
    after = load(index)
    assert after.records[-1].kind == "void"
    assert after.record("r19b") is not None
    assert "r19b" not in {r.id for r in after.effective_records()}
    assert "已作废" in page(client.get(f"/cases/{index.pk}/"))


# ---------------------------------------------------------------------------- nothing edited


def test_nothing_can_be_edited_or_deleted_through_the_case_pages(
    demo_cases: None, login: Login
) -> None:
    index = example()
    client = login("market.handler")
    before_size = size()
    before = load(index)
    urls = [
        f"/cases/{index.pk}/records/r13/",
        f"/cases/{index.pk}/records/r13/edit/",
        f"/cases/{index.pk}/records/r13/delete/",
        f"/cases/{index.pk}/",
        "/cases/",
    ]
    payload = {"at": AT, "f_amount": "1.00", "f_facts": "改写"}
    for url in urls:
        for method in (client.post, client.put, client.patch, client.delete):
            response = method(url, payload)
            assert response.status_code in (404, 405), (method, url)
    for method in (client.put, client.patch, client.delete):
        assert method(new_record_url(index, "decision")).status_code == 405
    assert size() == before_size
    assert load(index) == before


# ---------------------------------------------------------------------------- the case page


def test_the_case_page_shows_the_timeline_and_its_verification_page_each_entrys_proof(
    demo_cases: None, login: Login
) -> None:
    index = example()
    case = load(index)
    client = login("market.handler")
    text = page(client.get(f"/cases/{index.pk}/"))
    shown = [
        e
        for e in wiring.ledger().entries(MARKET, case_number=EXAMPLE)
        if e.type in ("case", "record", "media")
    ]
    for entry in shown:
        assert f'id="seq-{entry.seq}"' in text
    assert text.count('<tr class="entry-') == len(shown)
    assert "entry-access" not in text
    for record in case.records:
        assert f"/cases/{index.pk}/records/{record.id}/" in text
    assert "刘建国" in text  # the people of a record
    # the ledger's details are on the 核验 page: each entry's sequence number and proof
    assert "已验证（检查点" not in text and f"/cases/{index.pk}/verification/" in text
    verification = page(client.get(f"/cases/{index.pk}/verification/"))
    checkpoint = wiring.ledger().latest_checkpoint(MARKET)
    assert checkpoint is not None
    assert verification.count(f"已验证（检查点 {checkpoint.size}）") == len(shown)
    for entry in shown:
        assert f'<tr data-seq="{entry.seq}">' in verification


def open_emergency_case(client: Client, number: str, at: str) -> CaseIndex:
    """An emergency start: the rules then require the start approval form within 24 hours."""
    data = {**header(number), "at": at, **FIRST_RECORDS["emergency"]}
    assert client.post("/cases/new/?origin=emergency", data).status_code == 302
    return CaseIndex.objects.get(agency_id=MARKET, case_number=number)


def test_the_case_page_shows_what_is_required_next_with_article_and_deadline(
    login: Login,
) -> None:
    client = login("market.handler")
    just_now = timeutil.now().strftime("%Y-%m-%dT%H:%M")
    index = open_emergency_case(client, "通市监罚〔2026〕310号", just_now)
    (required,) = evaluate(load(index)).required
    assert required.kinds == ("initiation_approval",)
    assert required.due is not None
    text = page(client.get(f"/cases/{index.pk}/"))
    panel = text.split("规定应当办理的事项", 1)[1].split("</section>", 1)[0]
    assert article_label(required.article) == "第八条"
    assert "第八条" in panel
    # The engine's message, its record ids named as users see them (第1份记录, issue #15).
    assert "记录 r1" in required.message
    assert records_named(required.message) in panel
    assert "r1" not in panel
    assert timeutil.local(required.due).strftime("%Y-%m-%d %H:%M") in panel
    assert "已逾期" not in panel
    assert f'href="{new_record_url(index, "initiation_approval")}"' in panel
    assert "办理人：承办人：刘建国" in panel  # who must act, by name
    # the same act in 办案进度, at its step (启动), waiting, with its deadline
    steps = text.split('<section class="card case-steps">', 1)[1].split("</section>", 1)[0]
    start = steps.split('class="step step-', 2)[1]
    assert start.startswith("waiting") and "启动" in start and "刘建国" in start
    assert timeutil.local(required.due).strftime("%Y-%m-%d %H:%M") in start
    for label in ("程序启动", "调查取证", "审查决定", "送达", "执行", "归档管理", "内部审批"):
        assert f"<h3>{label}</h3>" in text


def test_a_deadline_that_passes_is_overdue_in_the_list_and_a_violation_on_the_case_page(
    login: Login,
) -> None:
    client = login("market.handler")
    number = "通市监罚〔2026〕311号"
    start = datetime(2026, 11, 20, 10, 0, tzinfo=timeutil.SHANGHAI)
    with time_machine.travel(start, tick=False):
        index = open_emergency_case(client, number, "2026-11-20T10:00")
        panel = page(client.get(f"/cases/{index.pk}/")).split("规定应当办理的事项", 1)[1]
        panel = panel.split("</section>", 1)[0]
        assert "期限：2026-11-21 10:00（北京时间）" in panel
        assert "已逾期" not in panel
        assert number not in page(client.get("/cases/", {"status": "overdue"}))
    with time_machine.travel(start + timedelta(hours=30), tick=False):
        client = login("market.handler")  # signed out when idle for 30 minutes
        listing = page(client.get("/cases/", {"status": "overdue"}))
        assert number in listing
        assert "2026-11-21 10:00（已逾期）" in listing
        text = page(client.get(f"/cases/{index.pk}/"))
        (missed,) = evaluate(load(index)).violations
        assert missed.record == "r1"
        assert "至今未见" in missed.message
        row = text.split('<tr class="entry-record', 1)[1].split("</tr>", 1)[0]
        assert "紧急先行启动" in row
        assert records_named(missed.message) in row
        assert "第八条" in row


def test_findings_are_shown_next_to_the_record_they_concern(demo_cases: None, login: Login) -> None:
    index = example("通市监罚〔2026〕27号")
    evaluation = evaluate(load(index))
    assert evaluation.violations
    client = login("market.handler")
    text = page(client.get(f"/cases/{index.pk}/"))
    for finding in evaluation.violations:
        assert records_named(finding.message).replace('"', "&quot;").replace("'", "&#x27;") in text
        assert article_label(finding.article) in text
        if finding.record:
            row = text.split(f"/cases/{index.pk}/records/{finding.record}/", 1)[1]
            row = row.split("</tr>", 1)[0]
            assert article_label(finding.article) in row
    record_id = next(f.record for f in evaluation.violations if f.record)
    record_page = page(client.get(f"/cases/{index.pk}/records/{record_id}/"))
    assert "本记录的发现" in record_page


def test_an_officer_of_another_agency_gets_403_and_the_attempt_is_logged(
    demo_cases: None, login: Login
) -> None:
    index = example()
    client = login("postal.officer")
    for url in (f"/cases/{index.pk}/", f"/cases/{index.pk}/records/r13/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "无权查看其他机关的案件" in page(response)
        assert EXAMPLE not in page(response)
    before = len(load(index).records)
    response = client.post(new_record_url(index, "closure"), {"at": AT, "f_reason": "x"})
    assert response.status_code == 403
    assert len(load(index).records) == before
    denied = [
        (a["action"], a["target"])
        for a in entries(MARKET, EXAMPLE, "access")
        if a["user"] == "postal.officer"
    ]
    assert denied == [("view_case", ""), ("view_record", "r13"), ("append_record", "closure")]
    outcomes = {
        a["outcome"] for a in entries(MARKET, EXAMPLE, "access") if a["user"] == "postal.officer"
    }
    assert outcomes == {"denied"}
    assert not list(wiring.ledger().entries("tonghua-postal", case_number=EXAMPLE))


def test_viewing_the_case_and_a_record_is_logged(demo_cases: None, login: Login) -> None:
    index = example()
    client = login("market.reviewer")
    client.get(f"/cases/{index.pk}/")
    client.get(f"/cases/{index.pk}/records/r02/")
    logged = [
        (a["action"], a["target"], a["outcome"])
        for a in entries(MARKET, EXAMPLE, "access")
        if a["user"] == "market.reviewer"
    ]
    assert logged == [("view_case", "", "allowed"), ("view_record", "r02", "allowed")]


# ---------------------------------------------------------------------------- the record page


def test_the_record_page_shows_fields_officers_media_and_its_ledger_entry(
    demo_cases: None, login: Login
) -> None:
    index = example()
    record = load(index).record("r02")
    assert record is not None
    (entry,) = wiring.ledger().entries(MARKET, case_number=EXAMPLE, types=("record",), ref="r02")
    text = page(login("market.handler").get(f"/cases/{index.pk}/records/r02/"))
    assert "现场检查(勘验)笔录" in text
    for spec in RECORD_KINDS["site_inspection"].fields:
        if spec.name in record.fields:
            assert spec.label in text
    assert f"第 {entry.seq} 条" in text
    assert entry.leaf_hash.hex() in text
    assert "刘建国" in text
    for media in record.media:
        assert media.sha256 in text
    assert "?corrects=r02" in text


def test_a_record_that_does_not_exist_is_404(demo_cases: None, login: Login) -> None:
    response = login("market.handler").get(f"/cases/{example().pk}/records/nope/")
    assert response.status_code == 404


# ---------------------------------------------------------------------------- the list


def test_the_case_list_shows_stage_violations_deadline_and_handler(
    demo_cases: None, login: Login
) -> None:
    text = page(login("market.handler").get("/cases/"))
    indexes = list(CaseIndex.objects.filter(agency_id=MARKET))
    assert len(indexes) == 3
    for index in indexes:
        row = text.split(f">{index.case_number}</a>", 1)[1].split("</tr>", 1)[0]
        assert f"<td>{stage_label(index.stage)}" in row
        assert f">{index.violations}</span>" in row
        assert "<td>刘建国</td>" in row
    assert "本人社监罚" not in text
    assert 'href="/cases/new/"' in text


def test_the_case_list_filters_by_text_and_status(demo_cases: None, login: Login) -> None:
    client = login("market.handler")
    text = page(client.get("/cases/", {"q": "简罚"}))
    assert "通市监简罚〔2026〕35号" in text
    assert EXAMPLE not in text
    text = page(client.get("/cases/", {"status": "violations"}))
    for index in CaseIndex.objects.filter(agency_id=MARKET):
        assert (index.case_number in text) == (index.violations > 0)


def test_a_supervisor_sees_the_cases_of_every_supervised_agency(
    demo_cases: None, login: Login
) -> None:
    text = page(login("supervisor").get("/cases/"))
    for index in CaseIndex.objects.all():
        assert index.case_number in text
    assert 'href="/cases/new/"' not in text
