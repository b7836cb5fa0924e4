"""The 本溪市人社局 pack (regulation 003) judges cases as its own regulation says.

Every rule is shown firing on a case that breaks its article and staying silent on one that
keeps it; the places where 003 differs from the other regulations (DOMAIN.md §3, column 003)
get their own tests.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lawtrail.core.caseio import parse_case
from lawtrail.core.engine import evaluate
from lawtrail.core.model import OfficerPresence
from lawtrail.core.regulations import load_regulation, quote_in_article
from lawtrail.core.rules import (
    AvCheck,
    ExistsCheck,
    FollowedByCheck,
    MediaIngestCheck,
    MediaLabelsCheck,
    PrecededByCheck,
    Severity,
    load_pack,
)
from tests.builders import CaseBuilder, fired, refusal, required, sig, t, video

AGENCY = "benxi-hrss"
AT = "2026-11-23 12:00"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / AGENCY
ALL_RIGHTS = ("statement", "defense", "recusal", "hearing", "reconsideration", "litigation")
OFFICER_AND_PARTY = (sig("officer", "张明"), sig("party", "陈志刚"))


def case(**kw: Any) -> CaseBuilder:
    kw.setdefault("case_number", "本人社监罚〔2026〕15号")
    return CaseBuilder(AGENCY, **kw)


def only(evaluation: Any, rule: str) -> Any:
    """The single finding of `rule`; fails if there is none or more than one."""
    findings = fired(evaluation, rule)
    assert len(findings) == 1, [f.message for f in evaluation.findings]
    return findings[0]


# ================================================================= the pack itself


def test_pack_cites_regulation_003_and_covers_licence_penalty_confirmation_inspection() -> None:
    pack = load_pack(AGENCY)
    assert pack.regulation == "003_89d6afb94859888e.txt"
    assert pack.name == "本溪市人力资源和社会保障局"
    assert set(pack.acts_covered) == {"license", "penalty", "confirmation", "inspection"}


def test_every_rule_quotes_its_article_and_every_article_is_accounted_for() -> None:
    pack = load_pack(AGENCY)
    reg = load_regulation(pack.regulation)
    bad = [
        r.id for r in pack.rules if not quote_in_article(reg, r.citation.article, r.citation.quote)
    ]
    covered = {r.citation.article for r in pack.rules} | {
        a for n in pack.no_rules for a in n.articles
    }
    assert bad == []
    assert sorted(set(reg.articles) - covered) == []
    assert len(reg.articles) == 29


def test_every_rule_id_has_the_hrss_prefix_and_is_named_in_this_file() -> None:
    text = Path(__file__).read_text(encoding="utf-8")
    pack = load_pack(AGENCY)
    assert all(r.id.startswith("hrss.") for r in pack.rules)
    assert [r.id for r in pack.rules if f'"{r.id}"' not in text] == []


# ================================================================= art. 2: scope


def test_case_with_compulsory_measure_is_outside_scope_of_art_2() -> None:
    ev = case(acts=("compulsory", "penalty")).evaluate(AT)
    finding = only(ev, "hrss.scope.acts")
    assert finding.article == 2
    assert finding.severity is Severity.WARNING
    assert finding.record is None
    assert "行政强制" in finding.message


@pytest.mark.parametrize("acts", [("levy",), ("fee",)])
def test_levy_and_fee_are_outside_scope_of_art_2(acts: tuple[str, ...]) -> None:
    assert only(case(acts=acts).evaluate(AT), "hrss.scope.acts").article == 2


@pytest.mark.parametrize(
    "acts", [("inspection", "penalty"), ("confirmation",), ("license",), ("inspection",)]
)
def test_licence_penalty_confirmation_and_inspection_are_in_scope_of_art_2(
    acts: tuple[str, ...],
) -> None:
    assert fired(case(acts=acts).evaluate(AT), "hrss.scope.acts") == []


# ================================================================= fields checks (table)

APPLICATION = {
    "applicant": "p1",
    "matter": "劳务派遣经营许可",
    "application_mode": "written",
    "outcome": "accepted",
    "receipt_number": "本人社许受〔2026〕8号",
}
APPROVAL_FORM = {
    "reason": "涉嫌拖欠农民工工资",
    "case_source": "实名投诉",
    "party_info": "本溪市某建筑劳务有限公司，法定代表人陈志刚",
    "case_summary": "投诉人称被拖欠三个月工资",
    "handler_opinion": "建议立案",
    "unit_opinion": "同意立案",
    "head_opinion": "同意",
    "head": "h1",
    "approved": True,
}

# (rule, article, kind, complete fields, field left out to break the rule)
FIELD_RULES = [
    ("hrss.application.contents", 5, "application_registration", APPLICATION, "matter"),
    ("hrss.application.contents", 5, "application_registration", APPLICATION, "application_mode"),
    ("hrss.application.receipt", 5, "application_registration", APPLICATION, "receipt_number"),
    (
        "hrss.application.one_time_notice",
        5,
        "application_registration",
        {**APPLICATION, "outcome": "supplement_required", "missing_materials": "营业执照副本"},
        "missing_materials",
    ),
    *[
        ("hrss.start.approval_form_contents", 6, "initiation_approval", APPROVAL_FORM, name)
        for name in (
            "reason",
            "case_source",
            "party_info",
            "case_summary",
            "handler_opinion",
            "unit_opinion",
            "head_opinion",
        )
    ],
    (
        "hrss.investigation.inquiry_content",
        10,
        "inquiry_record",
        {"interviewee": "陈志刚", "content": "问：工资是否发放？答：未发放。"},
        "content",
    ),
    (
        "hrss.investigation.evidence_request",
        10,
        "evidence_request",
        {"document_number": "本人社监调〔2026〕15号", "evidence_items": ("工资发放记录",)},
        "document_number",
    ),
    (
        "hrss.investigation.site_inspection_record",
        10,
        "site_inspection",
        {"location": "施工现场项目部", "findings": "未见工资支付台账"},
        "findings",
    ),
    (
        "hrss.investigation.sampling_documents",
        10,
        "sampling",
        {"notice_number": "抽〔2026〕1号", "items": ("考勤表",)},
        "items",
    ),
    (
        "hrss.investigation.hearing_record",
        10,
        "hearing",
        {"transcript": "听证笔录全文"},
        "transcript",
    ),
    (
        "hrss.investigation.appraisal_opinion",
        10,
        "appraisal",
        {"institution": "辽宁某司法鉴定所", "opinion": "签名系本人所签"},
        "opinion",
    ),
    (
        "hrss.investigation.refusal_recorded",
        10,
        "refusal",
        {"refusing_person": "陈志刚", "refused_act": "evidence", "circumstances": "拒绝提供工资表"},
        "circumstances",
    ),
    (
        "hrss.decision.reasons",
        12,
        "decision",
        {"document_number": "本人社监罚〔2026〕15号", "reasons": "理由", "legal_basis": "依据"},
        "reasons",
    ),
    (
        "hrss.decision.draft_contents",
        13,
        "decision_draft",
        {
            "drafter": "o1",
            "unit_reviewer": "rv1",
            "legal_basis": "《保障农民工工资支付条例》第五十四条",
            "evidence": "笔录、考勤表",
            "factors": "初次违法",
        },
        "unit_reviewer",
    ),
    (
        "hrss.legal_review.contents",
        13,
        "legal_review",
        {"reviewer": "l1", "opinion": "事实清楚", "suggestions": "写明履行期限"},
        "suggestions",
    ),
    (
        "hrss.expert_argument.record",
        13,
        "expert_argument",
        {"form": "expert_opinion", "content": "专家意见"},
        "content",
    ),
    (
        "hrss.collective_discussion.record",
        13,
        "collective_discussion",
        {"participants": "局领导班子成员", "minutes": "讨论情况"},
        "minutes",
    ),
    (
        "hrss.head_approval.opinion",
        13,
        "head_approval",
        {"head": "h1", "opinion": "同意"},
        "opinion",
    ),
    (
        "hrss.simplified.contents",
        14,
        "simplified_procedure",
        {
            "factual_basis": "事实清楚",
            "legal_conditions": "罚款数额在法定简易程序范围内",
            "steps_documents": "当场处罚决定书",
            "statement_record": "当事人未提出陈述申辩",
            "statement_review": "无需复核",
        },
        "statement_review",
    ),
    (
        "hrss.simplified.filing_content",
        14,
        "filing",
        {"filed_with": "agency", "content": "当场处罚决定书副本"},
        "content",
    ),
    (
        "hrss.service.mail_proofs",
        16,
        "service",
        {
            "method": "mail",
            "mail_type": "express",
            "mail_registration": "EMS登记",
            "postage_receipt": "付邮凭证",
            "return_receipt": "回执",
        },
        "return_receipt",
    ),
    (
        "hrss.service.lodging_contents",
        17,
        "service",
        {"method": "lodging", "refusal_reason": "拒绝签收", "refusal_date": date(2026, 9, 25)},
        "refusal_date",
    ),
    (
        "hrss.service.entrusted_reason",
        18,
        "service",
        {"method": "entrusted", "reason": "受送达人在外地"},
        "reason",
    ),
    (
        "hrss.service.entrusted_reason",
        18,
        "service",
        {"method": "forwarded", "reason": "受送达人在服刑"},
        "reason",
    ),
    (
        "hrss.service.announcement_contents",
        19,
        "service",
        {
            "method": "announcement",
            "other_methods_failed": "直接、邮寄均无法送达",
            "announcement_medium": "本溪日报",
            "case_file_note": "原因和经过",
        },
        "other_methods_failed",
    ),
    (
        "hrss.enforcement.urge_statement_review",
        21,
        "statement_defense",
        {"concerns": "urge_notice", "content": "无力支付", "review_opinion": "理由不成立"},
        "review_opinion",
    ),
    (
        "hrss.enforcement.document",
        22,
        "enforcement",
        {"method": "surcharge", "decision_number": "本人社执〔2026〕1号"},
        "decision_number",
    ),
    (
        "hrss.enforcement.court_application",
        23,
        "court_enforcement",
        {"application_document": "强制执行申请书", "court": "本溪市明山区人民法院"},
        "court",
    ),
    ("hrss.archive.archivist", 25, "case_file", {"archivist": "a1"}, "archivist"),
    (
        "hrss.copy.head_consent",
        26,
        "copy_request",
        {
            "requester": "p1",
            "request_type": ("inspect", "copy"),
            "head": "h1",
            "approved": True,
            "secrets_excluded": True,
        },
        "request_type",
    ),
    (
        "hrss.internal.handler_reason",
        28,
        "internal_approval",
        {"handler": "o1", "handler_reason": "事实清楚"},
        "handler_reason",
    ),
]


def _field_case(kind: str, fields: dict[str, Any]) -> Any:
    b = case()
    rid = b.add(kind, "2026-09-10 10:00", fields, rid="x1")
    return rid, b.evaluate(AT)


@pytest.mark.parametrize(
    ("rule", "article", "kind", "fields", "missing"),
    FIELD_RULES,
    ids=[f"{r[0]}-{r[4]}" for r in FIELD_RULES],
)
def test_record_missing_a_required_item_violates_its_article(
    rule: str, article: int, kind: str, fields: dict[str, Any], missing: str
) -> None:
    rid, ev = _field_case(kind, {k: v for k, v in fields.items() if k != missing})
    finding = only(ev, rule)
    assert finding.article == article
    assert finding.record == rid
    assert finding.severity is Severity.VIOLATION


@pytest.mark.parametrize(
    ("rule", "article", "kind", "fields", "missing"),
    FIELD_RULES,
    ids=[f"{r[0]}-{r[4]}" for r in FIELD_RULES],
)
def test_record_with_every_required_item_satisfies_its_article(
    rule: str, article: int, kind: str, fields: dict[str, Any], missing: str
) -> None:
    _, ev = _field_case(kind, fields)
    assert fired(ev, rule) == []


def test_statement_record_with_neither_content_nor_waiver_violates_art_10() -> None:
    rid, ev = _field_case("statement_defense", {"concerns": "decision"})
    assert only(ev, "hrss.investigation.statement_record").record == rid
    assert only(ev, "hrss.investigation.statement_record").article == 10


@pytest.mark.parametrize(
    "fields",
    [{"concerns": "decision", "waived": True}, {"concerns": "decision", "content": "陈述内容"}],
)
def test_statement_record_with_content_or_recorded_waiver_satisfies_art_10(
    fields: dict[str, Any],
) -> None:
    _, ev = _field_case("statement_defense", fields)
    assert fired(ev, "hrss.investigation.statement_record") == []


def test_approval_form_of_major_case_needs_no_legality_review_opinion_under_003() -> None:
    b = case(major=True)
    b.add("initiation_approval", "2026-09-01 10:00", APPROVAL_FORM)
    ev = b.evaluate(AT)
    assert ev.findings == ()


def test_application_rejection_needs_no_receipt_number() -> None:
    fields = {**APPLICATION, "outcome": "rejected", "rejection_reason": "不属于本机关职权"}
    del fields["receipt_number"]
    _, ev = _field_case("application_registration", fields)
    assert fired(ev, "hrss.application.receipt") == []


# ================================================================= values and includes


@pytest.mark.parametrize("mail_type", ["ordinary", None])
def test_mail_service_by_ordinary_letter_or_unstated_violates_art_16(mail_type: str | None) -> None:
    fields = {"method": "mail"} | ({"mail_type": mail_type} if mail_type else {})
    rid, ev = _field_case("service", fields)
    finding = only(ev, "hrss.service.mail_type")
    assert (finding.article, finding.record) == (16, rid)


@pytest.mark.parametrize("mail_type", ["registered", "express"])
def test_mail_service_by_registered_letter_or_express_satisfies_art_16(mail_type: str) -> None:
    _, ev = _field_case("service", {"method": "mail", "mail_type": mail_type})
    assert fired(ev, "hrss.service.mail_type") == []


def test_announcement_without_kept_written_notice_violates_art_19() -> None:
    rid, ev = _field_case("service", {"method": "announcement", "announcement_kept": False})
    finding = only(ev, "hrss.service.announcement_kept")
    assert (finding.article, finding.record) == (19, rid)


def test_announcement_with_kept_written_notice_satisfies_art_19() -> None:
    _, ev = _field_case("service", {"method": "announcement", "announcement_kept": True})
    assert fired(ev, "hrss.service.announcement_kept") == []


def test_rights_notice_with_only_the_four_rights_of_other_regulations_violates_art_9() -> None:
    rid, ev = _field_case(
        "rights_notice",
        {"rights": ("statement", "defense", "recusal", "hearing"), "method": "written_notice"},
    )
    finding = only(ev, "hrss.rights.content")
    assert (finding.article, finding.record) == (9, rid)
    assert "申请行政复议" in finding.message and "提起行政诉讼" in finding.message


def test_rights_notice_with_reconsideration_and_litigation_satisfies_art_9() -> None:
    _, ev = _field_case("rights_notice", {"rights": ALL_RIGHTS, "method": "written_notice"})
    assert fired(ev, "hrss.rights.content") == []
    assert fired(ev, "hrss.rights.method") == []


def test_rights_notice_without_its_method_violates_art_9() -> None:
    rid, ev = _field_case("rights_notice", {"rights": ALL_RIGHTS})
    finding = only(ev, "hrss.rights.method")
    assert (finding.article, finding.record) == (9, rid)


# ================================================================= art. 6: start approval


INVESTIGATION_START = ["inquiry_record", "site_inspection", "evidence_request", "sampling"]


@pytest.mark.parametrize("kind", INVESTIGATION_START)
def test_ex_officio_investigation_without_approval_form_violates_art_6(kind: str) -> None:
    b = case(origin="ex_officio")
    first = b.add(kind, "2026-09-02 10:00")
    b.add("inquiry_record", "2026-09-03 10:00")
    finding = only(b.evaluate(AT), "hrss.start.approval_before_investigation")
    assert (finding.article, finding.record) == (6, first)


def test_ex_officio_investigation_after_approved_form_satisfies_art_6() -> None:
    b = case(origin="ex_officio")
    b.add("initiation_approval", "2026-09-01 15:00", APPROVAL_FORM)
    b.add("site_inspection", "2026-09-02 10:00")
    assert fired(b.evaluate(AT), "hrss.start.approval_before_investigation") == []


def test_approval_form_not_approved_by_the_head_does_not_authorise_start_under_art_6() -> None:
    b = case(origin="ex_officio")
    b.add("initiation_approval", "2026-09-01 15:00", {**APPROVAL_FORM, "approved": False})
    rid = b.add("site_inspection", "2026-09-02 10:00")
    assert only(b.evaluate(AT), "hrss.start.approval_before_investigation").record == rid


def test_complaint_case_also_needs_the_approval_form_before_investigation_art_6() -> None:
    b = case(origin="complaint")
    b.add("complaint", "2026-09-01 09:00", {"real_name": True, "taken_up": True})
    rid = b.add("inquiry_record", "2026-09-02 10:00")
    assert only(b.evaluate(AT), "hrss.start.approval_before_investigation").record == rid


@pytest.mark.parametrize(
    ("origin", "procedure"), [("application", "general"), ("ex_officio", "simplified")]
)
def test_application_cases_and_simplified_procedure_need_no_start_approval(
    origin: str, procedure: str
) -> None:
    b = case(origin=origin, procedure=procedure)
    b.add("site_inspection", "2026-09-02 10:00")
    assert fired(b.evaluate(AT), "hrss.start.approval_before_investigation") == []


def test_003_has_no_emergency_start_so_approval_after_investigation_violates_art_6() -> None:
    """Unlike 000/002 (24 h) and 004 (2 days), 003 allows no later approval (补报)."""
    b = case(origin="emergency")
    b.add("emergency_start", "2026-09-01 10:00", {"reason": "工人聚集讨薪"})
    rid = b.add("site_inspection", "2026-09-01 11:00")
    b.add("initiation_approval", "2026-09-01 14:00", APPROVAL_FORM)
    finding = only(b.evaluate(AT), "hrss.start.approval_before_investigation")
    assert (finding.article, finding.record) == (6, rid)


def test_emergency_start_without_any_approval_raises_no_24_hour_or_2_day_deadline() -> None:
    b = case(origin="emergency")
    b.add("emergency_start", "2026-09-01 10:00", {"reason": "工人聚集讨薪"})
    b.add("initiation_approval", "2026-09-05 10:00", APPROVAL_FORM)
    ev = b.evaluate(AT)
    assert ev.findings == ()
    assert ev.required == ()
    pack = load_pack(AGENCY)
    assert not any("emergency_start" in r.kinds for r in pack.rules)
    assert not any(
        isinstance(r.check, FollowedByCheck | ExistsCheck | PrecededByCheck)
        and "emergency_start" in r.check.kinds
        for r in pack.rules
    )


# ================================================================= arts. 5, 7, 14: exists


def test_application_case_closed_without_registration_violates_art_5() -> None:
    b = case(origin="application", acts=("license",))
    b.add("closure", "2026-09-20 10:00")
    finding = only(b.evaluate(AT), "hrss.application.registered")
    assert (finding.article, finding.record) == (5, None)


def test_open_application_case_without_registration_is_pending_under_art_5() -> None:
    ev = case(origin="application", acts=("license",)).evaluate(AT)
    assert fired(ev, "hrss.application.registered") == []
    assert len(required(ev, "hrss.application.registered")) == 1


def test_application_case_with_registration_satisfies_art_5() -> None:
    b = case(origin="application", acts=("license",))
    b.add("application_registration", "2026-09-01 10:00", APPLICATION)
    b.add("closure", "2026-09-20 10:00")
    ev = b.evaluate(AT)
    assert fired(ev, "hrss.application.registered") == []
    assert required(ev, "hrss.application.registered") == []


def test_complaint_case_closed_without_complaint_record_violates_art_7() -> None:
    b = case(origin="complaint")
    b.add("closure", "2026-09-20 10:00")
    finding = only(b.evaluate(AT), "hrss.complaint.recorded")
    assert (finding.article, finding.record) == (7, None)


def test_complaint_case_with_complaint_record_satisfies_art_7() -> None:
    b = case(origin="complaint")
    b.add("complaint", "2026-09-01 09:00", {"real_name": True, "taken_up": True})
    b.add("closure", "2026-09-20 10:00")
    assert fired(b.evaluate(AT), "hrss.complaint.recorded") == []


def test_simplified_case_filed_with_legal_office_instead_of_agency_violates_art_14() -> None:
    """002 files with 法制机构; 003 (like 000) with 所属行政机关."""
    b = case(procedure="simplified")
    b.add("filing", "2026-09-02 10:00", {"filed_with": "legal_office", "content": "决定书副本"})
    b.add("closure", "2026-09-03 10:00")
    finding = only(b.evaluate(AT), "hrss.simplified.filing")
    assert (finding.article, finding.record) == (14, None)


def test_simplified_case_filed_with_its_agency_satisfies_art_14() -> None:
    b = case(procedure="simplified")
    b.add("filing", "2026-09-02 10:00", {"filed_with": "agency", "content": "决定书副本"})
    b.add("closure", "2026-09-03 10:00")
    assert fired(b.evaluate(AT), "hrss.simplified.filing") == []


def test_general_procedure_case_needs_no_filing() -> None:
    b = case(procedure="general")
    b.add("closure", "2026-09-03 10:00")
    assert fired(b.evaluate(AT), "hrss.simplified.filing") == []


# ================================================================= art. 7: real-name complaint


def test_real_name_complaint_not_taken_up_without_reply_violates_art_7() -> None:
    b = case(origin="complaint")
    rid = b.add("complaint", "2026-09-01 09:00", {"real_name": True, "taken_up": False})
    b.add("closure", "2026-09-05 10:00")
    finding = only(b.evaluate(AT), "hrss.complaint.real_name_reply")
    assert (finding.article, finding.record) == (7, rid)


def test_real_name_complaint_not_taken_up_is_pending_reply_until_closure() -> None:
    b = case(origin="complaint")
    b.add("complaint", "2026-09-01 09:00", {"real_name": True, "taken_up": False})
    ev = b.evaluate(AT)
    assert fired(ev, "hrss.complaint.real_name_reply") == []
    assert len(required(ev, "hrss.complaint.real_name_reply")) == 1


@pytest.mark.parametrize("real_name", [True, False])
def test_replied_or_anonymous_complaint_satisfies_art_7(real_name: bool) -> None:
    b = case(origin="complaint")
    b.add("complaint", "2026-09-01 09:00", {"real_name": real_name, "taken_up": False})
    if real_name:
        b.add("complaint_reply", "2026-09-03 09:00", {"reply_content": "不予立案及理由"})
    b.add("closure", "2026-09-05 10:00")
    assert fired(b.evaluate(AT), "hrss.complaint.real_name_reply") == []


# ================================================================= art. 8: officers

OFFICER_KINDS = [
    "inquiry_record",
    "evidence_request",
    "evidence_register",
    "site_inspection",
    "sampling",
    "statement_defense",
    "hearing",
]


@pytest.mark.parametrize("kind", OFFICER_KINDS)
def test_record_not_stating_whether_certificate_was_shown_violates_art_8(kind: str) -> None:
    b = case()
    rid = b.add(kind, "2026-09-02 10:00", officers=(OfficerPresence("o1", None),))
    finding = only(b.evaluate(AT), "hrss.investigation.officers")
    assert (finding.article, finding.record) == (8, rid)


@pytest.mark.parametrize(
    "officers",
    [(), (OfficerPresence("h1", True),)],
    ids=["no-officer-named", "officer-without-certificate-number"],
)
def test_record_without_officer_or_certificate_number_violates_art_8(
    officers: tuple[OfficerPresence, ...],
) -> None:
    b = case()
    rid = b.add("inquiry_record", "2026-09-02 10:00", officers=officers)
    assert only(b.evaluate(AT), "hrss.investigation.officers").record == rid


@pytest.mark.parametrize("kind", OFFICER_KINDS)
def test_record_naming_officers_with_certificates_shown_satisfies_art_8(kind: str) -> None:
    b = case()
    b.add(kind, "2026-09-02 10:00")
    assert fired(b.evaluate(AT), "hrss.investigation.officers") == []


# ================================================================= art. 9: rights before decision


def test_general_decision_without_prior_rights_notice_violates_art_9() -> None:
    b = case()
    rid = b.add("decision", "2026-09-20 10:00")
    finding = only(b.evaluate(AT), "hrss.rights.notified_before_decision")
    assert (finding.article, finding.record) == (9, rid)


def test_general_decision_after_rights_notice_satisfies_art_9() -> None:
    b = case()
    b.add("rights_notice", "2026-09-15 10:00", {"rights": ALL_RIGHTS, "method": "written_notice"})
    b.add("decision", "2026-09-20 10:00")
    assert fired(b.evaluate(AT), "hrss.rights.notified_before_decision") == []


def test_simplified_decision_needs_no_separate_rights_notice_record() -> None:
    b = case(procedure="simplified")
    b.add("decision", "2026-09-20 10:00")
    assert fired(b.evaluate(AT), "hrss.rights.notified_before_decision") == []


# ================================================================= art. 10: investigation


def test_statement_on_proposed_decision_without_rights_notice_violates_art_10() -> None:
    b = case()
    rid = b.add("statement_defense", "2026-09-16 10:00", {"concerns": "decision", "content": "x"})
    finding = only(b.evaluate(AT), "hrss.investigation.statement_rights_recorded")
    assert (finding.article, finding.record) == (10, rid)


def test_statement_after_rights_notice_satisfies_art_10() -> None:
    b = case()
    b.add("rights_notice", "2026-09-15 10:00", {"rights": ALL_RIGHTS, "method": "written_notice"})
    b.add("statement_defense", "2026-09-16 10:00", {"concerns": "decision", "content": "x"})
    assert fired(b.evaluate(AT), "hrss.investigation.statement_rights_recorded") == []


def test_statement_on_urge_notice_is_judged_under_art_21_not_art_10_rights() -> None:
    b = case()
    b.add("statement_defense", "2026-10-16 10:00", {"concerns": "urge_notice", "content": "x"})
    assert fired(b.evaluate(AT), "hrss.investigation.statement_rights_recorded") == []


def test_evidence_request_without_register_list_violates_art_10_once_closed() -> None:
    b = case()
    rid = b.add("evidence_request", "2026-09-03 10:00")
    b.add("closure", "2026-10-01 10:00")
    finding = only(b.evaluate(AT), "hrss.investigation.evidence_register")
    assert (finding.article, finding.record) == (10, rid)


def test_evidence_request_followed_by_register_list_satisfies_art_10() -> None:
    b = case()
    b.add("evidence_request", "2026-09-03 10:00")
    b.add("evidence_register", "2026-09-04 10:00")
    b.add("closure", "2026-10-01 10:00")
    assert fired(b.evaluate(AT), "hrss.investigation.evidence_register") == []


@pytest.mark.parametrize("kind", OFFICER_KINDS)
def test_investigation_document_without_any_signature_violates_art_10(kind: str) -> None:
    b = case()
    rid = b.add(kind, "2026-09-02 10:00")
    finding = only(b.evaluate(AT), "hrss.investigation.signatures")
    assert (finding.article, finding.record) == (10, rid)


def test_investigation_document_signed_by_party_but_no_officer_violates_art_10() -> None:
    b = case()
    rid = b.add("inquiry_record", "2026-09-02 10:00", signatures=(sig("party", "陈志刚"),))
    finding = only(b.evaluate(AT), "hrss.investigation.signatures")
    assert finding.record == rid
    assert "执法人员" in finding.message


def test_officer_refusal_to_sign_does_not_replace_officer_signature_art_10() -> None:
    b = case()
    b.add(
        "inquiry_record",
        "2026-09-02 10:00",
        signatures=(sig("party", "陈志刚"),),
        refusals=(refusal("officer", "不愿签字"),),
    )
    assert len(fired(b.evaluate(AT), "hrss.investigation.signatures")) == 1


@pytest.mark.parametrize(
    ("signatures", "refusals"),
    [
        (OFFICER_AND_PARTY, ()),
        ((sig("officer", "张明"), sig("present_person", "项目经理李某")), ()),
        ((sig("officer", "张明"),), (refusal("party", "当事人拒绝签字"),)),
    ],
    ids=["party-signed", "present-person-signed", "party-refusal-recorded"],
)
def test_investigation_document_signed_by_officer_and_party_or_refusal_satisfies_art_10(
    signatures: tuple[Any, ...], refusals: tuple[Any, ...]
) -> None:
    b = case()
    b.add("inquiry_record", "2026-09-02 10:00", signatures=signatures, refusals=refusals)
    assert fired(b.evaluate(AT), "hrss.investigation.signatures") == []


@pytest.mark.parametrize("kind", ["rights_notice", "appraisal"])
def test_rights_notice_and_appraisal_opinion_are_not_among_the_signed_documents(kind: str) -> None:
    b = case()
    b.add(kind, "2026-09-02 10:00")
    assert fired(b.evaluate(AT), "hrss.investigation.signatures") == []


# ================================================================= art. 11: AV


@pytest.mark.parametrize("kind", ["site_inspection", "sampling", "hearing"])
def test_site_inspection_sampling_or_hearing_without_av_violates_art_11(kind: str) -> None:
    b = case()
    rid = b.add(kind, "2026-09-02 10:00")
    finding = only(b.evaluate(AT), "hrss.av.investigation")
    assert (finding.article, finding.record) == (11, rid)


@pytest.mark.parametrize("kind", ["site_inspection", "sampling", "hearing"])
@pytest.mark.parametrize("with_video", [True, False], ids=["video", "exemption"])
def test_av_or_recorded_unsuitability_satisfies_art_11(kind: str, with_video: bool) -> None:
    b = case()
    if with_video:
        b.add(kind, "2026-09-02 10:00", media=(video("2026-09-02 10:00"),))
    else:
        b.add(kind, "2026-09-02 10:00", av_exemption="涉及国家秘密，不适宜音像记录")
    assert fired(b.evaluate(AT), "hrss.av.investigation") == []


def test_inquiry_without_av_is_allowed_by_art_11() -> None:
    b = case()
    b.add("inquiry_record", "2026-09-02 10:00")
    assert fired(b.evaluate(AT), "hrss.av.investigation") == []


# ================================================================= art. 13: head approval


def test_head_approval_without_head_signature_violates_art_13() -> None:
    b = case()
    rid = b.add("head_approval", "2026-09-20 10:00", {"head": "h1", "opinion": "同意"})
    finding = only(b.evaluate(AT), "hrss.head_approval.signature")
    assert (finding.article, finding.record) == (13, rid)


def test_head_approval_signed_by_head_satisfies_art_13() -> None:
    b = case()
    b.add(
        "head_approval",
        "2026-09-20 10:00",
        {"head": "h1", "opinion": "同意"},
        signatures=(sig("head", "王建国"),),
    )
    assert fired(b.evaluate(AT), "hrss.head_approval.signature") == []


def test_major_decision_without_legal_review_is_not_a_finding_under_003() -> None:
    """002 (art. 17) requires legal review before a major decision; 003 has no such clause."""
    b = case(major=True)
    b.add("rights_notice", "2026-09-15 10:00", {"rights": ALL_RIGHTS, "method": "written_notice"})
    b.add(
        "internal_approval",
        "2026-09-19 10:00",
        {
            "handler": "o1",
            "handler_opinion": "拟处罚",
            "handler_reason": "事实清楚",
            "reviewer": "rv1",
            "reviewer_opinion": "同意",
            "reviewed_at": t("2026-09-19 11:00"),
            "approver": "h1",
            "approver_opinion": "同意",
            "approved_at": t("2026-09-19 15:00"),
        },
    )
    b.add(
        "decision",
        "2026-09-20 10:00",
        {"document_number": "本人社监罚〔2026〕15号", "reasons": "理由", "legal_basis": "依据"},
    )
    ev = b.evaluate(AT)
    assert [f.rule for f in ev.findings] == []
    assert [r.rule for r in ev.required] == ["hrss.performance.recorded"]


# ================================================================= art. 14: simplified AV


def test_dispute_prone_simplified_procedure_without_av_violates_art_14() -> None:
    b = case(procedure="simplified")
    rid = b.add("simplified_procedure", "2026-09-02 10:00", {"dispute_prone": True})
    finding = only(b.evaluate(AT), "hrss.simplified.dispute_av")
    assert (finding.article, finding.record) == (14, rid)


def test_dispute_prone_simplified_procedure_exemption_is_not_accepted_by_art_14() -> None:
    b = case(procedure="simplified")
    b.add(
        "simplified_procedure",
        "2026-09-02 10:00",
        {"dispute_prone": True},
        av_exemption="现场光线不足",
    )
    assert len(fired(b.evaluate(AT), "hrss.simplified.dispute_av")) == 1


def test_dispute_prone_simplified_procedure_with_photo_satisfies_art_14() -> None:
    b = case(procedure="simplified")
    b.add(
        "simplified_procedure",
        "2026-09-02 10:00",
        {"dispute_prone": True},
        media=(video("2026-09-02 10:00", type="photo"),),
    )
    assert fired(b.evaluate(AT), "hrss.simplified.dispute_av") == []


def test_simplified_procedure_not_dispute_prone_needs_no_av() -> None:
    b = case(procedure="simplified")
    b.add("simplified_procedure", "2026-09-02 10:00", {"dispute_prone": False})
    assert fired(b.evaluate(AT), "hrss.simplified.dispute_av") == []


# ================================================================= arts. 15–19: service


@pytest.mark.parametrize(
    ("rule", "article", "method", "signatures"),
    [
        ("hrss.service.direct", 15, "direct", (sig("server"),)),
        ("hrss.service.direct", 15, "direct", (sig("recipient"),)),
        ("hrss.service.lodging_signatures", 17, "lodging", (sig("server"),)),
        ("hrss.service.entrusted_signatures", 18, "entrusted", (sig("server"),)),
        ("hrss.service.entrusted_signatures", 18, "forwarded", (sig("recipient"),)),
    ],
)
def test_service_missing_a_required_signature_violates_its_article(
    rule: str, article: int, method: str, signatures: tuple[Any, ...]
) -> None:
    b = case()
    rid = b.add("service", "2026-09-23 15:00", {"method": method}, signatures=signatures)
    finding = only(b.evaluate(AT), rule)
    assert (finding.article, finding.record) == (article, rid)


@pytest.mark.parametrize(
    ("rule", "method", "signatures"),
    [
        ("hrss.service.direct", "direct", (sig("server"), sig("recipient"))),
        ("hrss.service.direct", "direct", (sig("server"), sig("signatory"))),
        ("hrss.service.lodging_signatures", "lodging", (sig("server"), sig("witness"))),
        ("hrss.service.entrusted_signatures", "entrusted", (sig("server"), sig("recipient"))),
        ("hrss.service.entrusted_signatures", "forwarded", (sig("server"), sig("recipient"))),
    ],
)
def test_service_with_the_required_signatures_satisfies_its_article(
    rule: str, method: str, signatures: tuple[Any, ...]
) -> None:
    b = case()
    b.add("service", "2026-09-23 15:00", {"method": method}, signatures=signatures)
    assert fired(b.evaluate(AT), rule) == []


def test_direct_service_refusal_does_not_replace_recipient_signature_art_15() -> None:
    b = case()
    b.add(
        "service",
        "2026-09-23 15:00",
        {"method": "direct"},
        signatures=(sig("server"),),
        refusals=(refusal("recipient", "拒绝签收"),),
    )
    assert len(fired(b.evaluate(AT), "hrss.service.direct")) == 1


@pytest.mark.parametrize(
    ("rule", "article", "method"),
    [
        ("hrss.service.lodging_av", 17, "lodging"),
        ("hrss.service.announcement_av", 19, "announcement"),
    ],
)
def test_lodging_or_announcement_without_av_violates_its_article(
    rule: str, article: int, method: str
) -> None:
    b = case()
    rid = b.add("service", "2026-09-23 15:00", {"method": method})
    finding = only(b.evaluate(AT), rule)
    assert (finding.article, finding.record) == (article, rid)


@pytest.mark.parametrize(
    "rule_method",
    [("hrss.service.lodging_av", "lodging"), ("hrss.service.announcement_av", "announcement")],
)
def test_lodging_or_announcement_with_video_satisfies_its_article(
    rule_method: tuple[str, str],
) -> None:
    rule, method = rule_method
    b = case()
    b.add("service", "2026-09-23 15:00", {"method": method}, media=(video("2026-09-23 15:00"),))
    assert fired(b.evaluate(AT), rule) == []


def test_direct_service_needs_no_av() -> None:
    b = case()
    b.add("service", "2026-09-23 15:00", {"method": "direct"})
    ev = b.evaluate(AT)
    assert fired(ev, "hrss.service.lodging_av") == []
    assert fired(ev, "hrss.service.announcement_av") == []


# ================================================================= art. 20: performance


def test_decision_without_performance_record_violates_art_20_once_closed() -> None:
    b = case()
    rid = b.add("decision", "2026-09-23 10:00")
    b.add("closure", "2026-10-12 17:00")
    finding = only(b.evaluate(AT), "hrss.performance.recorded")
    assert (finding.article, finding.record) == (20, rid)


def test_decision_without_performance_record_is_pending_while_open() -> None:
    b = case()
    b.add("decision", "2026-09-23 10:00")
    ev = b.evaluate(AT)
    assert fired(ev, "hrss.performance.recorded") == []
    assert len(required(ev, "hrss.performance.recorded")) == 1


def test_decision_followed_by_performance_record_satisfies_art_20() -> None:
    b = case()
    b.add("decision", "2026-09-23 10:00")
    b.add("performance", "2026-10-08 16:00", {"status": "performed"})
    b.add("closure", "2026-10-12 17:00")
    assert fired(b.evaluate(AT), "hrss.performance.recorded") == []


def test_rectification_ordered_but_never_checked_violates_art_20() -> None:
    b = case()
    rid = b.add("decision", "2026-09-23 10:00", {"rectification_ordered": True})
    b.add("performance", "2026-10-08 16:00", {"status": "performed"})
    b.add("closure", "2026-10-12 17:00")
    finding = only(b.evaluate(AT), "hrss.rectification.checked")
    assert (finding.article, finding.record) == (20, rid)


def test_rectification_checked_satisfies_art_20() -> None:
    b = case()
    b.add("decision", "2026-09-23 10:00", {"rectification_ordered": True})
    b.add("rectification_check", "2026-10-11 10:00", {"result": "rectified"})
    b.add("closure", "2026-10-12 17:00")
    assert fired(b.evaluate(AT), "hrss.rectification.checked") == []


def test_decision_without_rectification_order_needs_no_check() -> None:
    b = case()
    b.add("decision", "2026-09-23 10:00", {"rectification_ordered": False})
    b.add("closure", "2026-10-12 17:00")
    assert fired(b.evaluate(AT), "hrss.rectification.checked") == []


# ================================================================= arts. 21–23: enforcement


@pytest.mark.parametrize("kind", ["enforcement", "court_enforcement"])
def test_enforcement_without_urge_notice_violates_art_21(kind: str) -> None:
    b = case()
    fields = {"method": "surcharge"} if kind == "enforcement" else {}
    rid = b.add(kind, "2026-10-20 10:00", fields)
    ev = b.evaluate(AT)
    for rule in ("hrss.enforcement.urge_first", "hrss.enforcement.urge_served"):
        finding = only(ev, rule)
        assert (finding.article, finding.record) == (21, rid)


@pytest.mark.parametrize("kind", ["enforcement", "court_enforcement"])
def test_urge_notice_made_but_not_served_violates_art_21(kind: str) -> None:
    b = case()
    b.add("urge_notice", "2026-10-12 10:00")
    fields = {"method": "surcharge"} if kind == "enforcement" else {}
    rid = b.add(kind, "2026-10-20 10:00", fields)
    ev = b.evaluate(AT)
    assert fired(ev, "hrss.enforcement.urge_first") == []
    assert only(ev, "hrss.enforcement.urge_served").record == rid


@pytest.mark.parametrize("kind", ["enforcement", "court_enforcement"])
def test_enforcement_after_served_urge_notice_satisfies_art_21(kind: str) -> None:
    b = case()
    notice = b.add("urge_notice", "2026-10-12 10:00")
    b.add(
        "service",
        "2026-10-12 15:00",
        {"method": "direct", "document": notice, "document_kind": "urge_notice"},
    )
    fields = {"method": "surcharge"} if kind == "enforcement" else {}
    b.add(kind, "2026-10-20 10:00", fields)
    ev = b.evaluate(AT)
    assert fired(ev, "hrss.enforcement.urge_first") == []
    assert fired(ev, "hrss.enforcement.urge_served") == []


def test_remove_obstruction_without_av_violates_art_22_and_exemption_is_not_accepted() -> None:
    b = case()
    bare = b.add("enforcement", "2026-10-20 10:00", {"method": "remove_obstruction"})
    exempt = b.add(
        "enforcement",
        "2026-10-21 10:00",
        {"method": "remove_obstruction"},
        av_exemption="现场不适宜录像",
    )
    findings = fired(b.evaluate(AT), "hrss.enforcement.av_remove_obstruction")
    assert [(f.article, f.record) for f in findings] == [(22, bare), (22, exempt)]


def test_remove_obstruction_with_video_satisfies_art_22() -> None:
    b = case()
    b.add(
        "enforcement",
        "2026-10-20 10:00",
        {"method": "remove_obstruction"},
        media=(video("2026-10-20 10:00"),),
    )
    assert fired(b.evaluate(AT), "hrss.enforcement.av_remove_obstruction") == []


def test_surcharge_enforcement_needs_no_av() -> None:
    b = case()
    b.add("enforcement", "2026-10-20 10:00", {"method": "surcharge"})
    assert fired(b.evaluate(AT), "hrss.enforcement.av_remove_obstruction") == []


# ================================================================= art. 24: archive and AV ingest


def test_case_file_formed_31_days_after_closure_violates_art_24() -> None:
    b = case()
    rid = b.add("closure", "2026-09-30 10:00")
    b.add("case_file", "2026-10-31 09:00", {"archivist": "a1"})
    finding = only(b.evaluate(AT), "hrss.archive.within_30_days")
    assert (finding.article, finding.record) == (24, rid)


def test_case_file_on_the_30th_day_after_closure_satisfies_art_24() -> None:
    b = case()
    b.add("closure", "2026-09-30 10:00")
    b.add("case_file", "2026-10-30 23:00", {"archivist": "a1"})
    assert fired(b.evaluate(AT), "hrss.archive.within_30_days") == []


def test_no_case_file_30_days_after_closure_violates_art_24_and_is_pending_before() -> None:
    b = case()
    b.add("closure", "2026-10-10 10:00")
    assert len(fired(b.evaluate(AT), "hrss.archive.within_30_days")) == 1
    early = b.evaluate("2026-10-20 10:00")
    assert fired(early, "hrss.archive.within_30_days") == []
    [pending] = required(early, "hrss.archive.within_30_days")
    assert pending.due == t("2026-11-09 23:59:59.999999")


def test_av_ingested_more_than_24_hours_after_capture_violates_art_24() -> None:
    """A Friday video stored on Monday: 004's 2 working days would pass, 003's 24 h do not."""
    b = case()
    rid = b.add(
        "inquiry_record",
        "2026-09-04 18:00",
        media=(video("2026-09-04 18:00", "2026-09-07 09:00"),),
    )
    finding = only(b.evaluate(AT), "hrss.av.ingest_24h")
    assert (finding.article, finding.record) == (24, rid)


def test_av_ingested_within_24_hours_satisfies_art_24() -> None:
    b = case()
    b.add(
        "site_inspection",
        "2026-09-04 18:00",
        media=(video("2026-09-04 18:00", "2026-09-05 17:59"),),
    )
    assert fired(b.evaluate(AT), "hrss.av.ingest_24h") == []


def test_003_requires_no_labels_on_av_files() -> None:
    """004 (art. 14) requires case number, party and handler labels; 003 does not."""
    b = case()
    b.add("site_inspection", "2026-09-04 18:00", media=(video("2026-09-04 18:00"),))
    ev = b.evaluate(AT)
    assert not any(isinstance(r.check, MediaLabelsCheck) for r in load_pack(AGENCY).rules)
    assert not any("标明" in f.message for f in ev.findings)


# ================================================================= art. 28: internal approval


CHAIN = {
    "handler": "o1",
    "handler_opinion": "拟罚款20000元",
    "handler_reason": "事实清楚、证据确凿",
    "reviewer": "rv1",
    "reviewer_opinion": "同意",
    "reviewed_at": t("2026-09-22 16:00"),
    "approver": "h1",
    "approver_opinion": "同意",
    "approved_at": t("2026-09-23 09:00"),
}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"reviewer_opinion": ""}, "审核意见"),
        ({"reviewer": "o1"}, "同一人"),
        ({"approved_at": t("2026-09-22 15:30")}, "早于"),
    ],
    ids=["no-review-opinion", "handler-reviews-own-work", "approved-before-review"],
)
def test_broken_approval_chain_violates_art_28(change: dict[str, Any], words: str) -> None:
    b = case()
    rid = b.add("internal_approval", "2026-09-22 15:00", CHAIN | change)
    finding = only(b.evaluate(AT), "hrss.internal.chain")
    assert (finding.article, finding.record) == (28, rid)
    assert words in finding.message


def test_complete_approval_chain_in_order_satisfies_art_28() -> None:
    b = case()
    b.add("internal_approval", "2026-09-22 15:00", CHAIN)
    ev = b.evaluate(AT)
    assert fired(ev, "hrss.internal.chain") == []
    assert fired(ev, "hrss.internal.handler_reason") == []


def test_general_decision_without_internal_approval_violates_art_28() -> None:
    b = case()
    rid = b.add("decision", "2026-09-23 10:00")
    finding = only(b.evaluate(AT), "hrss.internal.approval_before_decision")
    assert (finding.article, finding.record) == (28, rid)


def test_general_decision_after_internal_approval_satisfies_art_28() -> None:
    b = case()
    b.add("internal_approval", "2026-09-22 15:00", CHAIN)
    b.add("decision", "2026-09-23 10:00")
    assert fired(b.evaluate(AT), "hrss.internal.approval_before_decision") == []


# ================================================================= articles 003 does not have


def test_003_has_no_evidence_preservation_or_compulsory_measure_rules() -> None:
    """000/001/002 regulate evidence preservation and compulsory measures; 003 does not."""
    b = case(acts=("inspection",))
    b.add("initiation_approval", "2026-09-01 10:00", APPROVAL_FORM)
    preserved = b.add("evidence_preservation", "2026-09-02 10:00", officers=())
    sealed = b.add("compulsory_measure", "2026-09-02 11:00", {"measure": "seal"}, officers=())
    ev = b.evaluate(AT)
    assert [f for f in ev.findings if f.record in (preserved, sealed)] == []
    kinds = {k for r in load_pack(AGENCY).rules for k in r.kinds}
    assert not kinds & {"evidence_preservation", "compulsory_measure"}


def test_pack_cites_no_article_without_requirement_and_mandates_av_only_where_003_does() -> None:
    cited = {r.citation.article for r in load_pack(AGENCY).rules}
    assert not cited & {1, 3, 4, 27, 29}
    av_rules = {
        r.id: r.check.exemption_allowed
        for r in load_pack(AGENCY).rules
        if isinstance(r.check, AvCheck)
    }
    assert av_rules == {
        "hrss.av.investigation": True,
        "hrss.simplified.dispute_av": False,
        "hrss.service.lodging_av": True,
        "hrss.service.announcement_av": True,
        "hrss.enforcement.av_remove_obstruction": False,
    }
    assert [r.id for r in load_pack(AGENCY).rules if isinstance(r.check, MediaIngestCheck)] == [
        "hrss.av.ingest_24h"
    ]


# ================================================================= examples


def _load_example(name: str) -> Any:
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return evaluate(parse_case(data), at=t("2026-11-23 12:00"))


def test_compliant_labour_inspection_example_has_no_violation() -> None:
    ev = _load_example("compliant-wage-arrears.json")
    assert ev.case.agency == AGENCY
    assert ev.case.case_number == "本人社监罚〔2026〕15号"
    assert ev.violations == ()
    assert ev.findings == ()
    assert ev.required == ()


def test_violations_example_has_exactly_the_intended_failures() -> None:
    ev = _load_example("violations-wage-arrears.json")
    assert ev.warnings == ()
    assert {(f.rule, f.record) for f in ev.violations} == {
        ("hrss.start.approval_form_contents", "a1"),
        ("hrss.av.investigation", "s1"),
        ("hrss.av.ingest_24h", "i1"),
        ("hrss.investigation.signatures", "i1"),
        ("hrss.rights.content", "n1"),
        ("hrss.service.lodging_signatures", "sv1"),
        ("hrss.service.lodging_av", "sv1"),
        ("hrss.enforcement.urge_first", "ce1"),
        ("hrss.enforcement.urge_served", "ce1"),
        ("hrss.archive.within_30_days", "cl1"),
    }
    assert {f.rule for f in ev.violations} == {
        "hrss.start.approval_form_contents",
        "hrss.av.investigation",
        "hrss.av.ingest_24h",
        "hrss.investigation.signatures",
        "hrss.rights.content",
        "hrss.service.lodging_signatures",
        "hrss.service.lodging_av",
        "hrss.enforcement.urge_first",
        "hrss.enforcement.urge_served",
        "hrss.archive.within_30_days",
    }
