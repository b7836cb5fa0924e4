"""The rule pack of 通化市地方志编纂委员会办公室 (regulation 001) judges cases as its text says.

Every rule fires on a case that breaks its article and stays silent on one that keeps it; the
places where 001 differs from the other agencies (acts covered, no start approval form, no
emergency start, no appraisal, no compulsory measures, no decision draft, no enforcement) are
proved by cases that would be findings elsewhere and are not here.

Issue #11 (legal precision) as it applies to 001: a refusal is not an approval (internal approval,
legal review, the 行政科室负责人's consent to a copy); duties that exist only for burdensome
decisions (rights notice, performance record) are not demanded of a licence granted; the hearing
right only where 行政处罚法 第六十三条 gives it; 法制审核 before a 重大执法决定 is
国办发〔2018〕118号's duty, not art. 14's (a warning naming it); "按期" rectification checks;
the designated archivist; the lodging witness is not the server; a void of a correction brings
the original back.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lawtrail.core.caseio import parse_case
from lawtrail.core.engine import Evaluation, Finding, evaluate
from lawtrail.core.model import Case, FieldValue, OfficerPresence, Refusal, Signature
from lawtrail.core.regulations import load_regulation, quote_in_article
from lawtrail.core.rules import (
    ExistsCheck,
    FollowedByCheck,
    PrecededByCheck,
    Severity,
    load_pack,
)
from tests.builders import PEOPLE, CaseBuilder, fired, refusal, required, sig, t, video

AGENCY = "tonghua-gazetteer"
PACK = load_pack(AGENCY)
REGULATION = load_regulation(PACK.regulation)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / AGENCY
AT = "2026-11-23 12:00"

OFFICER_AND_PARTY = (sig("officer"), sig("party"))
INTERNAL_APPROVAL: dict[str, FieldValue] = {
    "subject": "拟作出行政处罚决定",
    "handler": "o1",
    "handler_opinion": "建议给予警告，没收违法所得",
    "handler_reason": "未经审查验收出版地方志书，事实清楚，证据确凿",
    "reviewer": "rv1",
    "reviewer_opinion": "同意承办人意见",
    "reviewed_at": t("2026-09-22 10:00"),
    "approver": "h1",
    "approver_opinion": "同意",
    "approved_at": t("2026-09-22 15:00"),
}


# The builder's people have titles but no designated roles; art. 27 needs the archivist to be
# designated (people[].roles), so cases about other rules that form a case file use these.
ROLES = {"o1": ("officer", "handler"), "o2": ("officer",), "rv1": ("reviewer",)}
ROLES |= {"h1": ("approver",), "l1": ("legal",), "a1": ("archivist",)}
DESIGNATED = tuple(replace(p, roles=ROLES.get(p.id, ())) for p in PEOPLE)


def designated(case: Case) -> Case:
    return replace(case, people=DESIGNATED)


def evaluate_designated(b: CaseBuilder, at: str = AT) -> Evaluation:
    return evaluate(designated(b.build()), at=t(at))


def builder(**kw: object) -> CaseBuilder:
    kw.setdefault("case_number", "通志办罚〔2026〕2号")
    return CaseBuilder(AGENCY, **kw)  # type: ignore[arg-type]


def one(evaluation: Evaluation, rule: str) -> Finding:
    findings: list[Finding] = fired(evaluation, rule)
    assert len(findings) == 1, [f.message for f in evaluation.findings]
    return findings[0]


def assert_fires(evaluation: Evaluation, rule: str, article: int, record: str | None) -> Finding:
    finding = one(evaluation, rule)
    assert finding.article == article
    assert finding.record == record
    assert finding.regulation == "001_626117448e5747a6.txt"
    assert finding.message
    return finding


def assert_silent(evaluation: Evaluation, rule: str) -> None:
    assert rule in {r.id for r in PACK.rules}
    assert fired(evaluation, rule) == []


# ============================================================== the pack itself


def test_pack_cites_regulation_001_and_covers_only_license_and_penalty() -> None:
    assert PACK.agency == AGENCY
    assert PACK.name == "通化市地方志编纂委员会办公室"
    assert PACK.regulation == "001_626117448e5747a6.txt"
    assert PACK.acts_covered == ("license", "penalty")


def test_every_quote_is_in_its_article_and_every_article_is_covered() -> None:
    bad = [
        r.id
        for r in PACK.rules
        if not quote_in_article(REGULATION, r.citation.article, r.citation.quote)
    ]
    covered = {r.citation.article for r in PACK.rules} | {
        a for n in PACK.no_rules for a in n.articles
    }
    assert bad == []
    assert sorted(set(REGULATION.articles) - covered) == []
    assert len(REGULATION.articles) == 31


def test_every_rule_id_has_the_gazetteer_prefix() -> None:
    # That each is exercised by a test: tests/unit/test_rule_packs.py, for every pack.
    assert all(rule.id.startswith("gazetteer.") for rule in PACK.rules)


def test_duties_not_stated_in_so_many_words_say_how_they_are_read() -> None:
    # Issue #11 item 4: the only duty that is not 001's own is 法制审核 before a 重大执法决定
    # (国办发〔2018〕118号), a warning; the readings of the text are declared as inferred.
    sourced = [r for r in PACK.rules if r.duty_source]
    assert [r.id for r in sourced] == ["gazetteer.legal_review.before_major_decision"]
    assert sourced[0].severity is Severity.WARNING and "118号" in sourced[0].duty_source
    for rule_id, words in {
        "gazetteer.rectification.checked": "按期",
        "gazetteer.performance.recorded": "履行",
        "gazetteer.rights.notified_before_decision": "行政处罚法第四十四条",
        "gazetteer.rights.hearing": "第六十三条",
        "gazetteer.archive.within_30_days": "OCR",
        "gazetteer.archive.designated_archivist": "指定",
        "gazetteer.internal.approval_before_decision": "不予批准",
        "gazetteer.service.lodging_signatures": "见证人",
    }.items():
        assert words in PACK.rule(rule_id).inferred, rule_id
    for rule_id in ("gazetteer.av.investigation", "gazetteer.service.mail_type"):
        assert PACK.rule(rule_id).explicit


def test_pack_has_no_rule_about_acts_the_regulation_does_not_mention() -> None:
    absent = {
        "initiation_approval",
        "emergency_start",
        "appraisal",
        "compulsory_measure",
        "decision_draft",
        "simplified_procedure",
        "filing",
        "urge_notice",
        "enforcement",
        "court_enforcement",
    }
    mentioned: set[str] = set()
    for rule in PACK.rules:
        mentioned |= set(rule.kinds)
        if isinstance(rule.check, PrecededByCheck | FollowedByCheck | ExistsCheck):
            mentioned |= set(rule.check.kinds)
    assert mentioned & absent == set()


# ============================================================== scope (art. 2)


@pytest.mark.parametrize(
    "acts", [("inspection",), ("compulsory",), ("penalty", "inspection"), ("levy",)]
)
def test_case_with_acts_outside_license_and_penalty_gets_scope_warning_art_2(
    acts: tuple[str, ...],
) -> None:
    ev = builder(acts=acts).evaluate(AT)
    finding = assert_fires(ev, "gazetteer.scope.acts", 2, None)
    assert finding.severity is Severity.WARNING
    assert ev.violations == ()


@pytest.mark.parametrize("acts", [("license",), ("penalty",), ("license", "penalty")])
def test_license_and_penalty_cases_are_within_scope_art_2(acts: tuple[str, ...]) -> None:
    assert_silent(builder(acts=acts).evaluate(AT), "gazetteer.scope.acts")


def test_inspection_case_is_in_scope_for_market_but_not_for_gazetteer() -> None:
    case = builder(acts=("inspection",)).build()
    market = evaluate(case, at=t(AT), pack=load_pack("tonghua-market"))
    assert fired(market, "market.scope.acts") == []
    assert fired(evaluate(case, at=t(AT)), "gazetteer.scope.acts")


# ============================================================== initiation (arts. 7–8)


def test_application_case_closed_without_registration_violates_art_7() -> None:
    b = builder(origin="application", acts=("license",))
    b.add("closure", "2026-09-20 10:00", {"reason": "准予许可"})
    assert_fires(b.evaluate(AT), "gazetteer.application.registered", 7, None)


def test_open_application_case_without_registration_is_pending_art_7() -> None:
    ev = builder(origin="application", acts=("license",)).evaluate(AT)
    assert_silent(ev, "gazetteer.application.registered")
    assert required(ev, "gazetteer.application.registered")


def test_registered_application_satisfies_art_7() -> None:
    b = builder(origin="application", acts=("license",))
    b.add(
        "application_registration",
        "2026-09-01 09:00",
        {"outcome": "accepted", "matter": "地方志书出版审查", "application_mode": "written"},
    )
    b.add("closure", "2026-09-20 10:00")
    assert_silent(b.evaluate(AT), "gazetteer.application.registered")


def test_registration_without_matter_and_mode_violates_art_7() -> None:
    b = builder(origin="application", acts=("license",))
    rid = b.add("application_registration", "2026-09-01 09:00", {"outcome": "rejected"})
    ev = b.evaluate(AT)
    assert "申请方式" in assert_fires(ev, "gazetteer.application.contents", 7, rid).message


def test_registration_with_matter_and_oral_mode_satisfies_art_7() -> None:
    b = builder(origin="application", acts=("license",))
    b.add(
        "application_registration",
        "2026-09-01 09:00",
        {"outcome": "rejected", "matter": "年鉴编纂备案", "application_mode": "oral"},
    )
    assert_silent(b.evaluate(AT), "gazetteer.application.contents")


def test_accepted_application_without_receipt_violates_art_7() -> None:
    b = builder(origin="application", acts=("license",))
    rid = b.add("application_registration", "2026-09-01 09:00", {"outcome": "accepted"})
    assert_fires(b.evaluate(AT), "gazetteer.application.receipt", 7, rid)


@pytest.mark.parametrize(
    "fields",
    [
        {"outcome": "accepted", "receipt_number": "通志办受〔2026〕7号"},
        {"outcome": "rejected"},
    ],
)
def test_receipt_recorded_or_not_needed_satisfies_art_7(fields: dict[str, str]) -> None:
    b = builder(origin="application", acts=("license",))
    b.add("application_registration", "2026-09-01 09:00", fields)
    assert_silent(b.evaluate(AT), "gazetteer.application.receipt")


def test_supplement_required_without_listing_missing_materials_violates_art_7() -> None:
    b = builder(origin="application", acts=("license",))
    rid = b.add("application_registration", "2026-09-01 09:00", {"outcome": "supplement_required"})
    assert_fires(b.evaluate(AT), "gazetteer.application.one_time_notice", 7, rid)


def test_one_time_notice_of_all_missing_materials_satisfies_art_7() -> None:
    b = builder(origin="application", acts=("license",))
    b.add(
        "application_registration",
        "2026-09-01 09:00",
        {"outcome": "supplement_required", "missing_materials": "志稿评审意见；编纂委员会名单"},
    )
    assert_silent(b.evaluate(AT), "gazetteer.application.one_time_notice")


def test_complaint_case_closed_without_complaint_record_violates_art_8() -> None:
    b = builder(origin="complaint")
    b.add("closure", "2026-10-01 10:00")
    assert_fires(b.evaluate(AT), "gazetteer.complaint.recorded", 8, None)


def test_complaint_case_with_complaint_record_satisfies_art_8() -> None:
    b = builder(origin="complaint")
    b.add("complaint", "2026-09-01 09:00", {"real_name": True, "taken_up": True})
    b.add("closure", "2026-10-01 10:00")
    assert_silent(b.evaluate(AT), "gazetteer.complaint.recorded")


def test_real_name_complaint_not_taken_up_without_reply_violates_art_8() -> None:
    b = builder(origin="complaint")
    rid = b.add("complaint", "2026-09-01 09:00", {"real_name": True, "taken_up": False})
    b.add("closure", "2026-09-10 10:00")
    assert_fires(b.evaluate(AT), "gazetteer.complaint.real_name_reply", 8, rid)


def test_real_name_complaint_not_taken_up_with_reply_satisfies_art_8() -> None:
    b = builder(origin="complaint")
    rid = b.add("complaint", "2026-09-01 09:00", {"real_name": True, "taken_up": False})
    b.add("complaint_reply", "2026-09-05 09:00", {"complaint": rid, "method": "电话告知"})
    b.add("closure", "2026-09-10 10:00")
    assert_silent(b.evaluate(AT), "gazetteer.complaint.real_name_reply")


def test_anonymous_complaint_not_taken_up_needs_no_reply_art_8() -> None:
    b = builder(origin="complaint")
    b.add("complaint", "2026-09-01 09:00", {"real_name": False, "taken_up": False})
    b.add("closure", "2026-09-10 10:00")
    assert_silent(b.evaluate(AT), "gazetteer.complaint.real_name_reply")


# ============================================================== investigation (arts. 9–13)


@pytest.mark.parametrize(
    "officers",
    [(), (OfficerPresence("o1", None),), (OfficerPresence("nobody", True),)],
    ids=["none", "certificate-shown-unrecorded", "unknown-officer"],
)
def test_inquiry_record_without_officer_identity_violates_art_9(
    officers: tuple[OfficerPresence, ...],
) -> None:
    b = builder()
    rid = b.add("inquiry_record", "2026-09-03 14:00", officers=officers)
    assert_fires(b.evaluate(AT), "gazetteer.investigation.officers", 9, rid)


def test_inquiry_record_naming_officers_with_certificates_shown_satisfies_art_9() -> None:
    b = builder()
    b.add("inquiry_record", "2026-09-03 14:00")
    assert_silent(b.evaluate(AT), "gazetteer.investigation.officers")


def test_decision_without_prior_rights_notice_violates_art_10() -> None:
    b = builder()
    rid = b.add("decision", "2026-09-24 09:00")
    assert_fires(b.evaluate(AT), "gazetteer.rights.notified_before_decision", 10, rid)


def test_decision_after_rights_notice_satisfies_art_10() -> None:
    b = builder()
    b.add("rights_notice", "2026-09-15 09:00")
    b.add("decision", "2026-09-24 09:00")
    assert_silent(b.evaluate(AT), "gazetteer.rights.notified_before_decision")


def test_rights_notice_without_method_violates_art_10() -> None:
    b = builder()
    rid = b.add("rights_notice", "2026-09-15 09:00", {"rights": ("statement", "defense")})
    assert_fires(b.evaluate(AT), "gazetteer.rights.method", 10, rid)


def test_rights_notice_recording_method_satisfies_art_10() -> None:
    b = builder()
    b.add("rights_notice", "2026-09-15 09:00", {"method": "in_record"})
    assert_silent(b.evaluate(AT), "gazetteer.rights.method")


def test_rights_notice_omitting_recusal_violates_art_10() -> None:
    b = builder()
    rid = b.add(
        "rights_notice",
        "2026-09-15 09:00",
        {"rights": ("statement", "defense"), "method": "written_notice"},
    )
    finding = assert_fires(b.evaluate(AT), "gazetteer.rights.content", 10, rid)
    # Changed (issue #11): the hearing right is no longer demanded of every notice — it exists
    # only where 行政处罚法 第六十三条 gives it (gazetteer.rights.hearing below).
    assert "申请回避" in finding.message and "听证" not in finding.message


def test_rights_notice_with_the_four_rights_of_art_10_is_enough() -> None:
    b = builder()
    b.add(
        "rights_notice",
        "2026-09-15 09:00",
        {"rights": ("statement", "defense", "recusal", "hearing"), "method": "written_notice"},
    )
    # 001 art. 10 (like 000) does not name 行政复议 or 诉讼 (003 art. 9 does).
    assert_silent(b.evaluate(AT), "gazetteer.rights.content")


BENEFICIAL_DECISIONS: list[dict[str, FieldValue]] = [
    {"category": "license_granted"},
    {"decision_type": "准予行政许可决定书"},
    {"category": "license_refused"},
    {"decision_type": "不予行政许可决定书"},
    {},  # a licence case whose decision says nothing of its kind: judged by the case's acts
]
BENEFICIAL_IDS = ["granted", "granted-by-wording", "refused", "refused-by-wording", "unstated"]


@pytest.mark.parametrize("fields", BENEFICIAL_DECISIONS, ids=BENEFICIAL_IDS)
def test_licence_decision_needs_no_rights_notice_art_10(fields: dict[str, FieldValue]) -> None:
    # A licence granted imposes nothing to be heard against (行政许可法 第三十八条 asks reasons
    # and remedies only of a refusal, in the decision itself); art. 10 records the notice of
    # rights where rights are notified, it does not create them.
    b = builder(origin="application", acts=("license",))
    b.add("decision", "2026-09-24 09:00", fields)
    assert_silent(b.evaluate(AT), "gazetteer.rights.notified_before_decision")


@pytest.mark.parametrize(
    ("acts", "fields"),
    [
        (("penalty",), {"category": "penalty"}),
        (("penalty",), {"decision_type": "行政处罚决定书"}),
        (("license", "penalty"), {"category": "penalty"}),
        (("license",), {"decision_type": "责令改正通知书"}),
    ],
    ids=["penalty", "penalty-by-wording", "penalty-in-mixed-case", "order-in-licence-case"],
)
def test_burdensome_decision_without_rights_notice_violates_art_10(
    acts: tuple[str, ...], fields: dict[str, FieldValue]
) -> None:
    b = builder(acts=acts)
    rid = b.add("decision", "2026-09-24 09:00", fields)
    assert_fires(b.evaluate(AT), "gazetteer.rights.notified_before_decision", 10, rid)


def rights_notice_case(fields: dict[str, FieldValue], **kw: object) -> tuple[CaseBuilder, str]:
    b = builder(**kw)
    rid = b.add(
        "rights_notice",
        "2026-09-15 09:00",
        {"rights": ("statement", "defense", "recusal"), "method": "written_notice", **fields},
        signatures=OFFICER_AND_PARTY,
    )
    return b, rid


def test_pack_states_no_large_amount_so_fines_are_not_guessed() -> None:
    # No authoritative 较大数额 could be verified for this agency's field (see the pack header).
    assert PACK.large_amount is None


@pytest.mark.parametrize(
    "penalty",
    [("revoke_license",), ("suspend_business",), ("warning", "restrict_employment")],
    ids=["revoke", "suspend-business", "warning-and-restrict-employment"],
)
def test_penalty_carrying_a_hearing_right_without_hearing_notified_violates_art_10(
    penalty: tuple[str, ...],
) -> None:
    b, rid = rights_notice_case({"penalty_kinds": penalty})
    finding = assert_fires(b.evaluate(AT), "gazetteer.rights.hearing", 10, rid)
    assert finding.severity is Severity.VIOLATION
    assert "听证" in finding.message


def test_hearing_right_read_from_the_decision_when_the_notice_states_no_penalty_art_10() -> None:
    b, rid = rights_notice_case({})
    b.add("decision", "2026-09-24 09:00", {"content": "吊销出版许可证件"})
    finding = assert_fires(b.evaluate(AT), "gazetteer.rights.hearing", 10, rid)
    assert finding.severity is Severity.VIOLATION


@pytest.mark.parametrize(
    ("fields", "kw"),
    [
        ({"penalty_kinds": ("warning",)}, {}),
        ({"penalty_kinds": ("criticism",)}, {}),
        ({"penalty_kinds": ("revoke_license",)}, {"procedure": "simplified"}),
        ({}, {"acts": ("license",), "origin": "application"}),
        (
            {"penalty_kinds": ("revoke_license",), "rights": ("statement", "defense", "hearing")},
            {},
        ),
    ],
    ids=["warning", "criticism", "simplified", "licence-case", "hearing-notified"],
)
def test_no_hearing_demanded_where_the_law_gives_none_or_it_was_notified_art_10(
    fields: dict[str, FieldValue], kw: dict[str, object]
) -> None:
    b, _ = rights_notice_case(fields, **kw)
    ev = b.evaluate(AT)
    assert_silent(ev, "gazetteer.rights.hearing")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"penalty_kinds": ("fine",), "penalty_amount": Decimal("50000")}, "较大数额"),
        # Above what 行政处罚法 第五十一条 allows on the spot (3000 for an organisation), so
        # possibly 较大数额: only a person can tell.
        ({"penalty_kinds": ("confiscate_income",), "penalty_amount": Decimal("5000")}, "较大数额"),
        ({}, "未载明拟作出的行政处罚种类"),
    ],
    ids=["large-fine", "small-confiscation", "penalty-unknown"],
)
def test_fine_or_unknown_penalty_without_hearing_only_warns_art_10(
    fields: dict[str, FieldValue], expected: str
) -> None:
    # Whether a fine or confiscation is "较大数额" depends on a threshold this pack does not know:
    # a person must look, the engine does not guess.
    b, rid = rights_notice_case(fields)
    ev = b.evaluate(AT)
    finding = assert_fires(ev, "gazetteer.rights.hearing", 10, rid)
    assert finding.severity is Severity.WARNING
    assert expected in finding.message
    assert ev.violations == ()


@pytest.mark.parametrize(
    ("rule", "kind", "incomplete", "complete"),
    [
        (
            "gazetteer.investigation.inquiry_content",
            "inquiry_record",
            {"interviewee": "刘某"},
            {"interviewee": "刘某", "content": "承认未经审查验收印制志书"},
        ),
        (
            "gazetteer.investigation.evidence_request",
            "evidence_request",
            {"document_number": "通志办调〔2026〕1号"},
            {"document_number": "通志办调〔2026〕1号", "evidence_items": ("印刷委托书",)},
        ),
        (
            "gazetteer.investigation.site_inspection_record",
            "site_inspection",
            {"location": "东昌区库房"},
            {"location": "东昌区库房", "findings": "存放志书1200册"},
        ),
        (
            "gazetteer.investigation.sampling_documents",
            "sampling",
            {"notice_number": "通志办样〔2026〕1号"},
            {"notice_number": "通志办样〔2026〕1号", "items": ("志书样本3册",)},
        ),
        (
            "gazetteer.investigation.statement_record",
            "statement_defense",
            {"concerns": "decision"},
            {"concerns": "decision", "waived": True, "waiver_form": "written"},
        ),
        (
            "gazetteer.investigation.hearing_record",
            "hearing",
            {"notice_number": "通志办听〔2026〕1号"},
            {"notice_number": "通志办听〔2026〕1号", "transcript": "听证笔录全文"},
        ),
        (
            "gazetteer.investigation.refusal_recorded",
            "refusal",
            {"refusing_person": "刘某"},
            {
                "refusing_person": "刘某",
                "refused_act": "evidence",
                "circumstances": "拒绝提供印刷合同",
            },
        ),
        (
            "gazetteer.preservation.contents",
            "evidence_preservation",
            {"reason": "志书可能被转移"},
            {
                "reason": "志书可能被转移",
                "object": "《某县志》1200册",
                "form": ("register_preservation",),
            },
        ),
    ],
)
def test_investigation_documents_must_record_their_contents_arts_11_13(
    rule: str, kind: str, incomplete: dict[str, FieldValue], complete: dict[str, FieldValue]
) -> None:
    article = PACK.rule(rule).citation.article
    assert article in (11, 13)
    bad = builder()
    rid = bad.add(kind, "2026-09-03 10:00", incomplete, media=[video("2026-09-03 10:00")])
    assert_fires(bad.evaluate(AT), rule, article, rid)
    good = builder()
    good.add(kind, "2026-09-03 10:00", complete, media=[video("2026-09-03 10:00")])
    assert_silent(good.evaluate(AT), rule)


def test_evidence_request_closed_without_register_violates_art_11() -> None:
    b = builder()
    rid = b.add("evidence_request", "2026-09-04 09:00")
    b.add("closure", "2026-10-01 09:00")
    assert_fires(b.evaluate(AT), "gazetteer.investigation.evidence_register", 11, rid)


def test_evidence_request_followed_by_register_satisfies_art_11() -> None:
    b = builder()
    b.add("evidence_request", "2026-09-04 09:00")
    b.add("evidence_register", "2026-09-04 10:00")
    b.add("closure", "2026-10-01 09:00")
    assert_silent(b.evaluate(AT), "gazetteer.investigation.evidence_register")


def test_open_case_evidence_register_is_still_pending_art_11() -> None:
    b = builder()
    b.add("evidence_request", "2026-09-04 09:00")
    ev = b.evaluate(AT)
    assert_silent(ev, "gazetteer.investigation.evidence_register")
    assert required(ev, "gazetteer.investigation.evidence_register")


@pytest.mark.parametrize(
    ("signatures", "refusals"),
    [((), ()), ((sig("party"),), ()), ((sig("officer"),), ())],
    ids=["unsigned", "party-only", "officer-only"],
)
def test_inquiry_record_missing_officer_or_party_signature_violates_art_11(
    signatures: tuple[Signature, ...], refusals: tuple[Refusal, ...]
) -> None:
    b = builder()
    rid = b.add("inquiry_record", "2026-09-03 14:00", signatures=signatures, refusals=refusals)
    assert_fires(b.evaluate(AT), "gazetteer.investigation.signatures", 11, rid)


def test_officer_may_not_replace_own_signature_by_refusal_art_11() -> None:
    b = builder()
    rid = b.add(
        "rights_notice",
        "2026-09-15 09:00",
        signatures=[sig("party")],
        refusals=[refusal("officer", "执法人员未签")],
    )
    assert_fires(b.evaluate(AT), "gazetteer.investigation.signatures", 11, rid)


@pytest.mark.parametrize(
    ("signatures", "refusals"),
    [
        (OFFICER_AND_PARTY, ()),
        ((sig("officer"), sig("present_person")), ()),
        ((sig("officer"),), (refusal("party", "当事人拒绝签字，已录像"),)),
    ],
    ids=["party-signed", "present-person-signed", "party-refused"],
)
def test_signed_or_recorded_refusal_satisfies_art_11(
    signatures: tuple[Signature, ...], refusals: tuple[Refusal, ...]
) -> None:
    b = builder()
    b.add(
        "site_inspection",
        "2026-09-03 10:00",
        signatures=signatures,
        refusals=refusals,
        media=[video("2026-09-03 10:00")],
    )
    assert_silent(b.evaluate(AT), "gazetteer.investigation.signatures")


@pytest.mark.parametrize("kind", ["site_inspection", "sampling", "hearing"])
def test_site_inspection_sampling_and_hearing_without_av_violate_art_12(kind: str) -> None:
    b = builder()
    rid = b.add(kind, "2026-09-03 10:00")
    assert_fires(b.evaluate(AT), "gazetteer.av.investigation", 12, rid)


@pytest.mark.parametrize("kind", ["site_inspection", "sampling", "hearing"])
def test_av_or_recorded_unsuitability_satisfies_art_12(kind: str) -> None:
    with_av = builder()
    with_av.add(kind, "2026-09-03 10:00", media=[video("2026-09-03 10:00", type="photo")])
    assert_silent(with_av.evaluate(AT), "gazetteer.av.investigation")
    exempt = builder()
    exempt.add(kind, "2026-09-03 10:00", av_exemption="涉及国家秘密的档案资料，不适宜音像记录")
    assert_silent(exempt.evaluate(AT), "gazetteer.av.investigation")


@pytest.mark.parametrize("kind", ["inquiry_record", "evidence_request", "statement_defense"])
def test_other_investigation_acts_need_no_av_art_12(kind: str) -> None:
    b = builder()
    b.add(kind, "2026-09-03 10:00")
    assert_silent(b.evaluate(AT), "gazetteer.av.investigation")


# ============================================================== decision (arts. 14–18)


def test_legal_review_without_suggestions_violates_art_14() -> None:
    b = builder()
    rid = b.add("legal_review", "2026-09-21 10:00", {"reviewer": "l1", "opinion": "合法"})
    assert_fires(b.evaluate(AT), "gazetteer.legal_review.contents", 14, rid)


def test_legal_review_with_reviewer_opinion_and_suggestions_satisfies_art_14() -> None:
    b = builder()
    b.add(
        "legal_review",
        "2026-09-21 10:00",
        {
            "reviewer": "l1",
            "opinion": "事实清楚，程序合法",
            "suggestions": "同意按拟定意见作出决定",
        },
    )
    assert_silent(b.evaluate(AT), "gazetteer.legal_review.contents")


def test_major_decision_without_prior_legal_review_warns_naming_guobanfa_118() -> None:
    # Changed (issue #11): art. 14 only says what the review record contains; the duty to
    # review a 重大执法决定 first is 国办发〔2018〕118号's, so a warning that names it, never a
    # violation of art. 14.
    b = builder(major=True)
    review: dict[str, FieldValue] = {
        "reviewer": "l1",
        "opinion": "同意",
        "suggestions": "无",
        "passed": True,
    }
    b.add("legal_review", "2026-09-25 10:00", review)  # too late: after the decision
    rid = b.add("decision", "2026-09-24 09:00")
    ev = b.evaluate(AT)
    finding = assert_fires(ev, "gazetteer.legal_review.before_major_decision", 14, rid)
    assert finding.severity is Severity.WARNING
    assert "国办发〔2018〕118号" in finding.duty_source
    assert "国办发〔2018〕118号" in finding.message and "法制审核" in finding.message
    assert finding.to_json()["duty_source"] == finding.duty_source
    assert [f for f in ev.violations if f.article == 14] == []  # the review record is complete


@pytest.mark.parametrize(
    "review",
    [{"passed": True}, {"opinion": "同意作出处罚决定"}],
    ids=["passed", "opinion-agrees"],
)
def test_major_decision_after_passed_legal_review_satisfies_art_14(
    review: dict[str, FieldValue],
) -> None:
    b = builder(major=True)
    b.add("legal_review", "2026-09-21 10:00", review)
    b.add("decision", "2026-09-24 09:00")
    assert_silent(b.evaluate(AT), "gazetteer.legal_review.before_major_decision")


@pytest.mark.parametrize(
    "review",
    [
        {"passed": False, "opinion": "证据不足"},
        {"opinion": "不同意，建议补充证据"},
        {"opinion": "事实部分需进一步核实"},
    ],
    ids=["failed", "opinion-refuses", "undecided"],
)
def test_major_decision_after_failed_or_undecided_legal_review_warns_art_14(
    review: dict[str, FieldValue],
) -> None:
    # A refusal is not an approval: a review that did not pass is no review (118号: 未经法制审核
    # 或者审核未通过的，不得作出决定).
    b = builder(major=True)
    b.add("legal_review", "2026-09-21 10:00", review)
    rid = b.add("decision", "2026-09-24 09:00")
    finding = assert_fires(b.evaluate(AT), "gazetteer.legal_review.before_major_decision", 14, rid)
    assert finding.severity is Severity.WARNING
    assert "未获批准" in finding.message


def test_ordinary_decision_needs_no_legal_review_art_14() -> None:
    b = builder(major=False)
    b.add("decision", "2026-09-24 09:00")
    assert_silent(b.evaluate(AT), "gazetteer.legal_review.before_major_decision")


@pytest.mark.parametrize(
    ("rule", "kind", "incomplete", "complete"),
    [
        (
            "gazetteer.expert_argument.record",
            "expert_argument",
            {"experts": "史志专家三名"},
            {"form": "minutes", "content": "志稿内容存在史实错误"},
        ),
        (
            "gazetteer.collective_discussion.record",
            "collective_discussion",
            {"participants": "主任、副主任、法制员"},
            {"participants": "主任、副主任、法制员", "minutes": "一致同意给予警告"},
        ),
        (
            "gazetteer.head_approval.opinion",
            "head_approval",
            {"head": "h1"},
            {"head": "h1", "opinion": "同意"},
        ),
        (
            "gazetteer.decision.reasons",
            "decision",
            {"document_number": "通志办罚〔2026〕2号", "reasons": "未经审查验收出版"},
            {
                "document_number": "通志办罚〔2026〕2号",
                "reasons": "未经审查验收出版",
                "legal_basis": "《地方志工作条例》",
            },
        ),
    ],
)
def test_decision_stage_records_must_have_their_contents_arts_15_18(
    rule: str, kind: str, incomplete: dict[str, FieldValue], complete: dict[str, FieldValue]
) -> None:
    article = PACK.rule(rule).citation.article
    assert article in (15, 16, 17, 18)
    bad = builder()
    rid = bad.add(kind, "2026-09-22 10:00", incomplete)
    assert_fires(bad.evaluate(AT), rule, article, rid)
    good = builder()
    good.add(kind, "2026-09-22 10:00", complete)
    assert_silent(good.evaluate(AT), rule)


def test_head_approval_without_head_signature_violates_art_17() -> None:
    b = builder()
    rid = b.add("head_approval", "2026-09-23 16:00", {"head": "h1", "opinion": "同意"})
    assert_fires(b.evaluate(AT), "gazetteer.head_approval.signature", 17, rid)


def test_head_approval_signed_by_head_satisfies_art_17() -> None:
    b = builder()
    b.add(
        "head_approval",
        "2026-09-23 16:00",
        {"head": "h1", "opinion": "同意"},
        signatures=[sig("head", "赵局长", person="h1")],
    )
    assert_silent(b.evaluate(AT), "gazetteer.head_approval.signature")


# ============================================================== service (arts. 19–23)


def service_case(fields: dict[str, FieldValue], **kw: object) -> tuple[CaseBuilder, str]:
    b = builder()
    rid = b.add("service", "2026-09-24 10:00", fields, **kw)  # type: ignore[arg-type]
    return b, rid


@pytest.mark.parametrize(
    "signatures",
    [(sig("server"),), (sig("recipient"),), ()],
    ids=["no-recipient", "no-server", "unsigned"],
)
def test_direct_service_without_both_signatures_violates_art_19(
    signatures: tuple[Signature, ...],
) -> None:
    b, rid = service_case({"method": "direct"}, signatures=signatures)
    assert_fires(b.evaluate(AT), "gazetteer.service.direct", 19, rid)


def test_direct_service_refused_by_recipient_is_not_a_direct_service_art_19() -> None:
    b, rid = service_case(
        {"method": "direct"}, signatures=[sig("server")], refusals=[refusal("recipient")]
    )
    assert_fires(b.evaluate(AT), "gazetteer.service.direct", 19, rid)


@pytest.mark.parametrize("receiver", ["recipient", "signatory"])
def test_direct_service_signed_by_server_and_recipient_or_signatory_satisfies_art_19(
    receiver: str,
) -> None:
    b, _ = service_case({"method": "direct"}, signatures=[sig("server"), sig(receiver)])
    assert_silent(b.evaluate(AT), "gazetteer.service.direct")


@pytest.mark.parametrize("mail_type", ["ordinary", None])
def test_mail_service_by_ordinary_or_unstated_post_violates_art_20(mail_type: str | None) -> None:
    fields: dict[str, FieldValue] = {"method": "mail"}
    if mail_type:
        fields["mail_type"] = mail_type
    b, rid = service_case(fields)
    assert_fires(b.evaluate(AT), "gazetteer.service.mail_type", 20, rid)


@pytest.mark.parametrize("mail_type", ["registered", "express"])
def test_mail_service_by_registered_or_express_post_satisfies_art_20(mail_type: str) -> None:
    b, _ = service_case({"method": "mail", "mail_type": mail_type})
    assert_silent(b.evaluate(AT), "gazetteer.service.mail_type")


def test_mail_service_without_return_receipt_violates_art_20() -> None:
    b, rid = service_case(
        {"method": "mail", "mail_registration": "登记第12号", "postage_receipt": "EMS1234"}
    )
    finding = assert_fires(b.evaluate(AT), "gazetteer.service.mail_proofs", 20, rid)
    assert "回执" in finding.message


def test_mail_service_keeping_registration_postage_and_receipt_satisfies_art_20() -> None:
    b, _ = service_case(
        {
            "method": "mail",
            "mail_registration": "登记第12号",
            "postage_receipt": "EMS1234",
            "return_receipt": "已签收回执",
        }
    )
    assert_silent(b.evaluate(AT), "gazetteer.service.mail_proofs")


LODGING_OK: dict[str, FieldValue] = {
    "method": "lodging",
    "refusal_reason": "当事人称不服处罚，拒绝签收",
    "refusal_date": t("2026-09-24 10:00").date(),
    "lodged_at": "通化市东昌区新华大街1号当事人经营场所",
}


def test_lodging_service_without_refusal_reason_and_date_violates_art_21() -> None:
    b, rid = service_case(
        {"method": "lodging", "lodged_at": "住所"},
        signatures=[sig("server"), sig("witness")],
        media=[video("2026-09-24 10:00")],
    )
    assert_fires(b.evaluate(AT), "gazetteer.service.lodging_contents", 21, rid)


def test_lodging_service_without_place_violates_art_21() -> None:
    fields = {k: v for k, v in LODGING_OK.items() if k != "lodged_at"}
    b, rid = service_case(fields)
    assert_fires(b.evaluate(AT), "gazetteer.service.lodging_place", 21, rid)


def test_lodging_service_without_witness_signature_violates_art_21() -> None:
    b, rid = service_case(LODGING_OK, signatures=[sig("server")], media=[video("2026-09-24 10:00")])
    finding = assert_fires(b.evaluate(AT), "gazetteer.service.lodging_signatures", 21, rid)
    assert "见证人" in finding.message


def test_lodging_service_without_av_violates_art_21() -> None:
    b, rid = service_case(LODGING_OK, signatures=[sig("server"), sig("witness")])
    assert_fires(b.evaluate(AT), "gazetteer.service.lodging_av", 21, rid)


def test_complete_lodging_service_satisfies_art_21() -> None:
    b, _ = service_case(
        LODGING_OK,
        signatures=[sig("server"), sig("witness")],
        media=[video("2026-09-24 10:00")],
    )
    ev = b.evaluate(AT)
    for rule in (
        "gazetteer.service.lodging_contents",
        "gazetteer.service.lodging_place",
        "gazetteer.service.lodging_signatures",
        "gazetteer.service.lodging_av",
    ):
        assert_silent(ev, rule)


def test_lodging_witnessed_by_the_server_himself_violates_art_21() -> None:
    b, rid = service_case(
        LODGING_OK,
        signatures=[sig("server", "张明", person="o1"), sig("witness", "张明", person="o1")],
        media=[video("2026-09-24 10:00")],
    )
    finding = assert_fires(b.evaluate(AT), "gazetteer.service.lodging_signatures", 21, rid)
    assert "同一人" in finding.message


def test_lodging_witnessed_by_another_person_satisfies_art_21() -> None:
    b, _ = service_case(
        LODGING_OK,
        signatures=[sig("server", "张明", person="o1"), sig("witness", "钱某（社区工作人员）")],
        media=[video("2026-09-24 10:00")],
    )
    assert_silent(b.evaluate(AT), "gazetteer.service.lodging_signatures")


@pytest.mark.parametrize("method", ["entrusted", "forwarded"])
def test_entrusted_or_forwarded_service_without_reason_violates_art_22(method: str) -> None:
    b, rid = service_case({"method": method}, signatures=[sig("server"), sig("recipient")])
    assert_fires(b.evaluate(AT), "gazetteer.service.entrusted_reason", 22, rid)


@pytest.mark.parametrize("method", ["entrusted", "forwarded"])
def test_entrusted_or_forwarded_service_without_recipient_signature_violates_art_22(
    method: str,
) -> None:
    b, rid = service_case(
        {"method": method, "reason": "受送达人在外地"}, signatures=[sig("server")]
    )
    assert_fires(b.evaluate(AT), "gazetteer.service.entrusted_signatures", 22, rid)


@pytest.mark.parametrize("method", ["entrusted", "forwarded"])
def test_entrusted_service_with_reason_and_both_signatures_satisfies_art_22(method: str) -> None:
    b, _ = service_case(
        {"method": method, "reason": "受送达人在外地"},
        signatures=[sig("server"), sig("recipient")],
    )
    ev = b.evaluate(AT)
    assert_silent(ev, "gazetteer.service.entrusted_reason")
    assert_silent(ev, "gazetteer.service.entrusted_signatures")


ANNOUNCEMENT_OK: dict[str, FieldValue] = {
    "method": "announcement",
    "other_methods_failed": "直接送达、邮寄送达均因下落不明未果",
    "announcement_medium": "《通化日报》及本办门户网站",
    "announcement_kept": True,
    "case_file_note": "已在案卷中记明公告原因和经过",
}


def test_announcement_without_failed_methods_violates_art_23() -> None:
    fields = {k: v for k, v in ANNOUNCEMENT_OK.items() if k != "other_methods_failed"}
    b, rid = service_case(fields, media=[video("2026-09-24 10:00", type="photo")])
    assert_fires(b.evaluate(AT), "gazetteer.service.announcement_contents", 23, rid)


@pytest.mark.parametrize("kept", [False, None])
def test_announcement_not_kept_violates_art_23(kept: bool | None) -> None:
    fields = dict(ANNOUNCEMENT_OK)
    if kept is None:
        del fields["announcement_kept"]
    else:
        fields["announcement_kept"] = kept
    b, rid = service_case(fields, media=[video("2026-09-24 10:00", type="photo")])
    assert_fires(b.evaluate(AT), "gazetteer.service.announcement_kept", 23, rid)


def test_announcement_without_av_violates_art_23() -> None:
    b, rid = service_case(ANNOUNCEMENT_OK)
    assert_fires(b.evaluate(AT), "gazetteer.service.announcement_av", 23, rid)


def test_complete_announcement_satisfies_art_23() -> None:
    b, _ = service_case(ANNOUNCEMENT_OK, media=[video("2026-09-24 10:00", type="photo")])
    ev = b.evaluate(AT)
    for rule in (
        "gazetteer.service.announcement_contents",
        "gazetteer.service.announcement_kept",
        "gazetteer.service.announcement_av",
    ):
        assert_silent(ev, rule)


# ============================================================== performance (arts. 24–25)


def test_closed_case_without_performance_record_violates_art_24() -> None:
    b = builder()
    rid = b.add("decision", "2026-09-24 09:00")
    b.add("closure", "2026-10-20 09:00")
    assert_fires(b.evaluate(AT), "gazetteer.performance.recorded", 24, rid)


def test_performance_recorded_after_decision_satisfies_art_24() -> None:
    b = builder()
    b.add("decision", "2026-09-24 09:00")
    b.add("performance", "2026-10-08 09:00", {"status": "performed"})
    b.add("closure", "2026-10-20 09:00")
    assert_silent(b.evaluate(AT), "gazetteer.performance.recorded")


def test_rectification_ordered_but_never_checked_violates_art_25() -> None:
    b = builder()
    rid = b.add("decision", "2026-09-24 09:00", {"rectification_ordered": True})
    b.add("closure", "2026-10-20 09:00")
    assert_fires(b.evaluate(AT), "gazetteer.rectification.checked", 25, rid)


def test_rectification_checked_in_writing_without_av_satisfies_art_25() -> None:
    b = builder()
    b.add("decision", "2026-09-24 09:00", {"rectification_ordered": True})
    check = b.add("rectification_check", "2026-10-19 09:00", {"result": "rectified"})
    b.add("closure", "2026-10-20 09:00")
    ev = b.evaluate(AT)
    assert_silent(ev, "gazetteer.rectification.checked")
    # AV on the check is optional (可根据执法需要): nothing is found on the check itself.
    assert [f for f in ev.findings if f.record == check] == []


def test_decision_without_rectification_order_needs_no_check_art_25() -> None:
    b = builder()
    b.add("decision", "2026-09-24 09:00", {"rectification_ordered": False})
    b.add("closure", "2026-10-20 09:00")
    assert_silent(b.evaluate(AT), "gazetteer.rectification.checked")


@pytest.mark.parametrize("fields", BENEFICIAL_DECISIONS, ids=BENEFICIAL_IDS)
def test_licence_decision_needs_no_performance_record_art_24(
    fields: dict[str, FieldValue],
) -> None:
    # Nothing to 履行 in a licence granted (or refused): no performance record is due.
    b = builder(origin="application", acts=("license",))
    b.add("decision", "2026-09-24 09:00", fields)
    b.add("closure", "2026-10-20 09:00")
    ev = b.evaluate(AT)
    assert_silent(ev, "gazetteer.performance.recorded")
    assert required(ev, "gazetteer.performance.recorded") == []


def test_licence_granted_is_cited_neither_for_rights_notice_nor_performance() -> None:
    b = builder(origin="application", acts=("license",))
    b.add(
        "application_registration",
        "2026-09-01 09:00",
        {
            "outcome": "accepted",
            "matter": "地方志书出版审查验收",
            "application_mode": "written",
            "receipt_number": "通志办受〔2026〕7号",
        },
    )
    b.add("internal_approval", "2026-09-22 09:00", INTERNAL_APPROVAL)
    b.add(
        "decision",
        "2026-09-24 09:00",
        {
            "category": "license_granted",
            "decision_type": "准予行政许可决定书",
            "document_number": "通志办许〔2026〕7号",
            "reasons": "志稿经审查验收合格",
            "legal_basis": "《地方志工作条例》第十六条",
        },
    )
    b.add("closure", "2026-09-25 09:00")
    b.add("case_file", "2026-09-28 09:00", {"archivist": "a1"})
    ev = evaluate_designated(b)
    assert ev.findings == ()
    assert ev.required == ()


def test_penalty_decision_closed_without_performance_record_violates_art_24() -> None:
    b = builder()
    rid = b.add("decision", "2026-09-24 09:00", {"category": "penalty"})
    b.add("closure", "2026-10-20 09:00")
    assert_fires(b.evaluate(AT), "gazetteer.performance.recorded", 24, rid)


# Deadline Wed 2026-09-30; 10.1–10.7 is the National Day holiday: the first working day after
# the deadline is Thu 2026-10-08.
RECTIFY: dict[str, FieldValue] = {
    "category": "penalty",
    "rectification_ordered": True,
    "rectification_deadline": date(2026, 9, 30),
}


def test_rectification_checked_after_the_first_working_day_past_the_deadline_violates_art_25() -> (
    None
):
    # A check on Fri 2026-10-09, the second working day after the deadline, is not "按期".
    b = builder()
    rid = b.add(
        "decision",
        "2026-09-24 09:00",
        RECTIFY,
    )
    b.add("rectification_check", "2026-10-09 09:00", {"result": "rectified"})
    finding = assert_fires(b.evaluate(AT), "gazetteer.rectification.checked", 25, rid)
    assert "改正期限" in finding.message and "2026-10-08 23:59" in finding.message


@pytest.mark.parametrize("checked", ["2026-09-29 15:00", "2026-10-08 16:00"])
def test_rectification_checked_by_the_first_working_day_after_the_deadline_satisfies_art_25(
    checked: str,
) -> None:
    b = builder()
    b.add(
        "decision",
        "2026-09-24 09:00",
        RECTIFY,
    )
    b.add("rectification_check", checked, {"result": "rectified"})
    assert_silent(b.evaluate(AT), "gazetteer.rectification.checked")


def test_rectification_check_is_due_then_missed_even_before_closure_art_25() -> None:
    b = builder()
    rid = b.add(
        "decision",
        "2026-09-24 09:00",
        RECTIFY,
    )
    before = b.evaluate("2026-10-08 12:00")
    assert_silent(before, "gazetteer.rectification.checked")
    (pending,) = required(before, "gazetteer.rectification.checked")
    assert pending.due == t("2026-10-08 23:59:59.999999")
    assert_fires(b.evaluate("2026-10-09 09:00"), "gazetteer.rectification.checked", 25, rid)


# ============================================================== records management (arts. 26–28)


def test_case_file_archived_on_the_30th_day_satisfies_art_26() -> None:
    b = builder()
    b.add("closure", "2026-10-10 10:00")
    b.add("case_file", "2026-11-09 23:00", {"archivist": "a1"})
    assert_silent(b.evaluate(AT), "gazetteer.archive.within_30_days")


def test_case_file_archived_on_the_31st_day_violates_art_26() -> None:
    b = builder()
    rid = b.add("closure", "2026-10-10 10:00")
    b.add("case_file", "2026-11-10 09:00", {"archivist": "a1"})
    finding = assert_fires(b.evaluate(AT), "gazetteer.archive.within_30_days", 26, rid)
    assert "30日" in finding.message


def test_case_file_not_yet_formed_is_due_then_late_art_26() -> None:
    b = builder()
    rid = b.add("closure", "2026-10-10 10:00")
    before = b.evaluate("2026-11-01 12:00")
    assert_silent(before, "gazetteer.archive.within_30_days")
    (pending,) = required(before, "gazetteer.archive.within_30_days")
    assert pending.due == t("2026-11-09 23:59:59.999999")
    assert_fires(b.evaluate(AT), "gazetteer.archive.within_30_days", 26, rid)


def test_av_ingested_exactly_24_hours_after_capture_satisfies_art_26() -> None:
    b = builder()
    b.add(
        "inquiry_record", "2026-09-03 10:00", media=[video("2026-09-03 10:00", "2026-09-04 10:00")]
    )
    assert_silent(b.evaluate(AT), "gazetteer.av.ingest_24h")


def test_av_ingested_after_24_hours_violates_art_26_on_any_record() -> None:
    b = builder()
    rid = b.add(
        "service",
        "2026-09-24 10:00",
        {"method": "lodging"},
        media=[video("2026-09-24 10:00", "2026-09-25 10:01", filename="lz.mp4")],
    )
    finding = assert_fires(b.evaluate(AT), "gazetteer.av.ingest_24h", 26, rid)
    assert "lz.mp4" in finding.message


def test_case_file_without_archivist_violates_art_27() -> None:
    b = builder()
    b.add("closure", "2026-10-10 10:00")
    rid = b.add("case_file", "2026-10-20 10:00", {"volume_number": "通志办档2026-2"})
    assert_fires(b.evaluate(AT), "gazetteer.archive.archivist", 27, rid)


def test_case_file_naming_designated_archivist_satisfies_art_27() -> None:
    b = builder()
    b.add("closure", "2026-10-10 10:00")
    b.add("case_file", "2026-10-20 10:00", {"archivist": "a1"})
    assert_silent(b.evaluate(AT), "gazetteer.archive.archivist")


COPY_OK: dict[str, FieldValue] = {
    "requester": "p1",
    "request_type": ("copy",),
    "head": "h1",
    "approved": True,
    "secrets_excluded": True,
    "provided": True,
}
COPY_RULES: tuple[str, ...] = ("gazetteer.copy.head_consent", "gazetteer.copy.head_named")
COPY_RULES += ("gazetteer.copy.secrets_excluded",)


def test_case_file_by_a_person_not_designated_archivist_violates_art_27() -> None:
    # Where the case records roles, a1's title 档案管理员 without the role designates nobody;
    # nor does an officer or a person unknown to the case. (A case file recording no one's roles
    # can only name the designation in the title: see the legacy test below.)
    for archivist in ("a1", "o1", "nobody"):
        b = builder()
        b.add("closure", "2026-10-10 10:00")
        rid = b.add("case_file", "2026-10-20 10:00", {"archivist": archivist})
        case = designated(b.build())
        if archivist == "a1":
            case = replace(
                case,
                people=tuple(
                    replace(p, roles=("officer",)) if p.id == "a1" else p for p in case.people
                ),
            )
        ev = evaluate(case, at=t(AT))
        finding = assert_fires(ev, "gazetteer.archive.designated_archivist", 27, rid)
        assert "指定" in finding.message
        assert_silent(ev, "gazetteer.archive.archivist")


def test_case_file_by_the_designated_archivist_satisfies_art_27() -> None:
    b = builder()
    b.add("closure", "2026-10-10 10:00")
    b.add("case_file", "2026-10-20 10:00", {"archivist": "a1"})
    ev = evaluate_designated(b)
    assert_silent(ev, "gazetteer.archive.designated_archivist")
    assert_silent(ev, "gazetteer.archive.archivist")


def test_case_file_without_archivist_is_the_fields_rules_finding_only_art_27() -> None:
    b = builder()
    b.add("closure", "2026-10-10 10:00")
    b.add("case_file", "2026-10-20 10:00", {"volume_number": "通志办档2026-2"})
    assert_silent(evaluate_designated(b), "gazetteer.archive.designated_archivist")


def test_void_of_the_correction_naming_the_archivist_brings_the_original_back_art_27() -> None:
    b = builder()
    b.add("closure", "2026-10-10 10:00")
    original = b.add("case_file", "2026-10-20 10:00", {"volume_number": "通志办档2026-2"})
    fix = b.add(
        "case_file",
        "2026-10-20 10:00",
        {"volume_number": "通志办档2026-2", "archivist": "a1"},
        corrects=(original, "补记档案管理员"),
        recorded_at="2026-10-21 09:00",
    )
    assert_silent(evaluate_designated(b, "2026-10-22 09:00"), "gazetteer.archive.archivist")
    b.add("void", "2026-10-23 09:00", {"target": fix, "reason": "补记有误"})
    ev = evaluate_designated(b)
    assert_fires(ev, "gazetteer.archive.archivist", 27, original)


@pytest.mark.parametrize("approved", [False, None], ids=["refused", "undecided"])
def test_copy_provided_without_section_head_consent_violates_art_28(approved: bool | None) -> None:
    # Changed (issue #11): the old rule only asked that a consent field be filled in, so a
    # refusal counted as consent; now a copy provided needs the consent itself.
    fields = {k: v for k, v in COPY_OK.items() if k != "approved"}
    if approved is not None:
        fields["approved"] = approved
    b = builder()
    rid = b.add("copy_request", "2026-11-02 10:00", fields)
    finding = assert_fires(b.evaluate(AT), "gazetteer.copy.head_consent", 28, rid)
    assert "负责人是否同意" in finding.message


def test_copy_rules_name_the_section_head_not_the_agency_head_art_28() -> None:
    # 001 art. 28: "经行政科室负责人同意" — not 行政机关负责人 as in 002. The consent rules' titles
    # say so (the findings' messages use the record's field labels).
    for rule_id in COPY_RULES:
        rule = PACK.rule(rule_id)
        assert "行政科室负责人" in rule.title, rule_id
        assert "行政机关负责人" not in rule.title, rule_id
        assert rule.citation.article == 28
    assert "行政科室負責人" in PACK.rule("gazetteer.copy.head_consent").citation.quote


def test_copy_provided_with_named_section_heads_consent_and_secrets_excluded_satisfies_art_28() -> (
    None
):
    b = builder()
    b.add("copy_request", "2026-11-02 10:00", COPY_OK)
    ev = b.evaluate(AT)
    for rule in COPY_RULES:
        assert_silent(ev, rule)


@pytest.mark.parametrize(
    "fields",
    [
        {"requester": "p1", "request_type": ("copy",), "head": "h1", "approved": False},
        {"requester": "p1", "request_type": ("copy",)},
        {"requester": "p1", "request_type": ("inspect",), "provided": True},
    ],
    ids=["refused-not-provided", "pending", "inspection-only"],
)
def test_copy_request_refused_pending_or_for_inspection_only_is_no_violation_art_28(
    fields: dict[str, FieldValue],
) -> None:
    # A refusal followed by no copy breaks nothing; art. 28 speaks of 复制 only, not of 查阅.
    b = builder()
    b.add("copy_request", "2026-11-02 10:00", fields)
    ev = b.evaluate(AT)
    for rule in COPY_RULES:
        assert_silent(ev, rule)


def test_consent_without_naming_the_section_head_violates_art_28() -> None:
    b = builder()
    rid = b.add("copy_request", "2026-11-02 10:00", {**COPY_OK, "head": ""})
    ev = b.evaluate(AT)
    assert_fires(ev, "gazetteer.copy.head_named", 28, rid)
    assert_silent(ev, "gazetteer.copy.head_consent")


@pytest.mark.parametrize("excluded", [False, None])
def test_copy_provided_without_excluding_secrets_violates_art_28(excluded: bool | None) -> None:
    fields = {k: v for k, v in COPY_OK.items() if k != "secrets_excluded"}
    if excluded is not None:
        fields["secrets_excluded"] = excluded
    b = builder()
    rid = b.add("copy_request", "2026-11-02 10:00", fields)
    assert_fires(b.evaluate(AT), "gazetteer.copy.secrets_excluded", 28, rid)


# ============================================================== internal approval (art. 31)


def test_general_decision_without_internal_approval_violates_art_31() -> None:
    b = builder()
    rid = b.add("decision", "2026-09-24 09:00")
    assert_fires(b.evaluate(AT), "gazetteer.internal.approval_before_decision", 31, rid)


def test_general_decision_after_internal_approval_satisfies_art_31() -> None:
    b = builder()
    b.add("internal_approval", "2026-09-22 09:00", INTERNAL_APPROVAL)
    b.add("decision", "2026-09-24 09:00")
    assert_silent(b.evaluate(AT), "gazetteer.internal.approval_before_decision")


@pytest.mark.parametrize(
    "change",
    [
        {"approved": False},
        {"approver_opinion": "不同意，退回补充证据"},
        {"approver_opinion": "请补充销售数量的证据后再报"},
    ],
    ids=["refused", "refused-by-opinion", "undecided"],
)
def test_decision_after_refused_or_undecided_internal_approval_violates_art_31(
    change: dict[str, FieldValue],
) -> None:
    # A refusal is not an approval: "由批准人批准" needs the approver's yes.
    b = builder()
    b.add("internal_approval", "2026-09-22 09:00", {**INTERNAL_APPROVAL, **change})
    rid = b.add("decision", "2026-09-24 09:00")
    finding = assert_fires(b.evaluate(AT), "gazetteer.internal.approval_before_decision", 31, rid)
    assert "未获批准" in finding.message


def test_decision_after_approval_then_a_later_refusal_violates_art_31() -> None:
    b = builder()
    b.add("internal_approval", "2026-09-20 09:00", {**INTERNAL_APPROVAL, "approved": True})
    b.add("internal_approval", "2026-09-22 09:00", {**INTERNAL_APPROVAL, "approved": False})
    rid = b.add("decision", "2026-09-24 09:00")
    assert_fires(b.evaluate(AT), "gazetteer.internal.approval_before_decision", 31, rid)


def test_refusal_then_approval_then_decision_satisfies_art_31() -> None:
    b = builder()
    b.add("internal_approval", "2026-09-20 09:00", {**INTERNAL_APPROVAL, "approved": False})
    b.add("internal_approval", "2026-09-22 09:00", {**INTERNAL_APPROVAL, "approved": True})
    b.add("decision", "2026-09-24 09:00")
    assert_silent(b.evaluate(AT), "gazetteer.internal.approval_before_decision")


def test_each_decision_is_judged_by_the_approval_latest_before_it_art_31() -> None:
    b = builder()
    b.add("internal_approval", "2026-09-20 09:00", {**INTERNAL_APPROVAL, "approved": True})
    b.add("decision", "2026-09-21 09:00")
    b.add("internal_approval", "2026-09-22 09:00", {**INTERNAL_APPROVAL, "approved": False})
    second = b.add("decision", "2026-09-24 09:00")
    assert_fires(b.evaluate(AT), "gazetteer.internal.approval_before_decision", 31, second)


def test_void_of_the_correction_approving_brings_the_refusal_back_art_31() -> None:
    b = builder()
    refused = b.add(
        "internal_approval", "2026-09-22 09:00", {**INTERNAL_APPROVAL, "approved": False}
    )
    fix = b.add(
        "internal_approval",
        "2026-09-22 09:00",
        {**INTERNAL_APPROVAL, "approved": True},
        corrects=(refused, "批准结论误填"),
        recorded_at="2026-09-23 09:00",
    )
    b.add("decision", "2026-09-24 09:00")
    assert_silent(b.evaluate("2026-09-25 09:00"), "gazetteer.internal.approval_before_decision")
    b.add("void", "2026-09-26 09:00", {"target": fix, "reason": "更正不实"})
    ev = b.evaluate(AT)
    finding = one(ev, "gazetteer.internal.approval_before_decision")
    assert refused in finding.message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"reviewer_opinion": ""}, "审核意见"),
        ({"approver": "rv1"}, "同一人"),
        ({"approved_at": t("2026-09-22 09:30")}, "早于前一环节"),
    ],
)
def test_internal_approval_chain_incomplete_or_out_of_order_violates_art_31(
    change: dict[str, FieldValue], expected: str
) -> None:
    b = builder()
    rid = b.add("internal_approval", "2026-09-22 09:00", {**INTERNAL_APPROVAL, **change})
    finding = assert_fires(b.evaluate(AT), "gazetteer.internal.chain", 31, rid)
    assert expected in finding.message


def test_internal_approval_chain_in_order_satisfies_art_31() -> None:
    b = builder()
    b.add("internal_approval", "2026-09-22 09:00", INTERNAL_APPROVAL)
    assert_silent(b.evaluate(AT), "gazetteer.internal.chain")


def test_internal_approval_without_handler_reason_violates_art_31() -> None:
    b = builder()
    fields = {k: v for k, v in INTERNAL_APPROVAL.items() if k != "handler_reason"}
    rid = b.add("internal_approval", "2026-09-22 09:00", fields)
    assert_fires(b.evaluate(AT), "gazetteer.internal.handler_reason", 31, rid)


def test_internal_approval_with_handler_reason_satisfies_art_31() -> None:
    b = builder()
    b.add("internal_approval", "2026-09-22 09:00", INTERNAL_APPROVAL)
    assert_silent(b.evaluate(AT), "gazetteer.internal.handler_reason")


# ============================================================== where 001 differs from 002


def test_ex_officio_investigation_without_start_approval_form_is_fine_here_not_in_market() -> None:
    b = builder(origin="ex_officio")
    b.add(
        "site_inspection",
        "2026-09-03 10:00",
        {"location": "东昌区库房", "findings": "存放志书1200册"},
        signatures=OFFICER_AND_PARTY,
        media=[video("2026-09-03 10:00")],
    )
    case = b.build()
    here = evaluate(case, at=t(AT))
    market = evaluate(case, at=t(AT), pack=load_pack("tonghua-market"))
    assert fired(market, "market.start.approval_before_investigation")
    assert here.violations == ()
    assert here.required == ()


@pytest.mark.parametrize("origin", ["ex_officio", "complaint", "emergency"])
def test_no_start_approval_is_demanded_whatever_started_the_case_on_own_authority(
    origin: str,
) -> None:
    # Issue #11 item 2: complaint cases are started on the agency's own authority — but 001 has
    # no start-approval article for any such case, so none is demanded; for complaints art. 8
    # asks only that the complaint be recorded.
    b = builder(origin=origin)
    if origin == "complaint":
        b.add("complaint", "2026-09-01 09:00", {"real_name": True, "taken_up": True})
    b.add(
        "site_inspection",
        "2026-09-03 10:00",
        {"location": "东昌区库房", "findings": "存放志书1200册"},
        signatures=OFFICER_AND_PARTY,
        media=[video("2026-09-03 10:00")],
    )
    ev = b.evaluate(AT)
    assert ev.findings == ()
    assert ev.required == ()
    assert not any(rule.case.get("own_authority") for rule in PACK.rules)
    assert not any(
        isinstance(rule.check, PrecededByCheck) and rule.check.except_after for rule in PACK.rules
    )


def test_emergency_start_without_late_approval_is_no_violation_here_but_is_in_market() -> None:
    b = builder(origin="emergency")
    b.add("emergency_start", "2026-09-01 09:00", {"reason": "志书正在发行"})
    case = b.build()
    here = evaluate(case, at=t(AT))
    market = evaluate(case, at=t(AT), pack=load_pack("tonghua-market"))
    assert fired(market, "market.start.emergency_report_24h")
    assert here.findings == ()
    assert here.required == ()


def test_appraisal_without_opinion_is_no_violation_since_art_11_lists_no_appraisal() -> None:
    b = builder()
    b.add("appraisal", "2026-09-10 10:00", {"form": "commission"})
    case = b.build()
    market = evaluate(case, at=t(AT), pack=load_pack("tonghua-market"))
    assert fired(market, "market.investigation.appraisal_opinion")
    assert evaluate(case, at=t(AT)).findings == ()


def test_compulsory_measure_without_av_only_gets_the_scope_warning() -> None:
    b = builder(acts=("penalty", "compulsory"))
    b.add("compulsory_measure", "2026-09-05 10:00", {"measure": "seize"}, officers=())
    ev = b.evaluate(AT)
    assert {f.rule for f in ev.findings} == {"gazetteer.scope.acts"}
    assert ev.violations == ()


def test_decision_draft_simplified_procedure_and_enforcement_are_not_checked() -> None:
    b = builder(procedure="simplified")
    b.add("decision_draft", "2026-09-20 10:00")
    b.add("simplified_procedure", "2026-09-20 11:00", officers=())
    b.add("enforcement", "2026-10-20 10:00", {"method": "remove_obstruction"}, officers=())
    b.add("court_enforcement", "2026-10-21 10:00")
    b.add("closure", "2026-10-22 10:00")
    b.add("case_file", "2026-10-23 10:00", {"archivist": "a1"})
    case = designated(b.build())
    market = evaluate(case, at=t(AT), pack=load_pack("tonghua-market"))
    assert {
        "market.decision.draft_contents",
        "market.simplified.filing",
        "market.enforcement.urge_first",
        "market.enforcement.av_remove_obstruction",
    } <= {f.rule for f in market.findings}
    assert evaluate(case, at=t(AT)).findings == ()


# ============================================================== example case files


def load_example(name: str) -> Evaluation:
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    case = parse_case(data)
    assert case.agency == AGENCY
    return evaluate(case, at=t(AT))


def test_compliant_example_has_no_violation() -> None:
    ev = load_example("compliant-chronicle-publication.json")
    assert ev.violations == ()
    assert ev.findings == ()
    kinds = {r.kind for r in ev.case.records}
    assert {"decision", "service", "performance", "closure", "case_file"} <= kinds


def test_violations_example_has_exactly_the_intended_findings() -> None:
    ev = load_example("violations-chronicle-publication.json")
    assert {f.rule for f in ev.findings} == {
        "gazetteer.av.investigation",
        "gazetteer.investigation.signatures",
        "gazetteer.av.ingest_24h",
        "gazetteer.legal_review.before_major_decision",
        "gazetteer.service.lodging_signatures",
        "gazetteer.service.lodging_av",
        "gazetteer.archive.within_30_days",
        # New (issue #11, "按期"): the rectification deadline is Fri 2026-10-09; the next working
        # day is Sat 2026-10-10 (a 调休 working day after National Day), the check came on
        # Mon 2026-10-12. The old pack only asked for a check before closure.
        "gazetteer.rectification.checked",
    }
    # Changed (issue #11): the missing legal review of this major case is 国办发〔2018〕118号's
    # duty, not art. 14's, so it is a warning naming that source; the rest are violations.
    warnings = {f.rule for f in ev.findings if f.severity is Severity.WARNING}
    assert warnings == {"gazetteer.legal_review.before_major_decision"}
    late = one(ev, "gazetteer.rectification.checked")
    assert (late.article, late.record) == (25, "r13")
    assert "2026-10-10 23:59" in late.message


def test_a_case_file_recording_no_roles_takes_the_title_as_the_designation_art_27() -> None:
    # Older case files have no roles at all: the archivist's title is all that names the post.
    b = builder()
    b.add("closure", "2026-10-10 10:00")
    b.add("case_file", "2026-10-20 10:00", {"archivist": "a1"})  # 周档, 档案管理员
    assert_silent(evaluate(b.build(), at=t(AT)), "gazetteer.archive.designated_archivist")
    b = builder()
    b.add("closure", "2026-10-10 10:00")
    rid = b.add("case_file", "2026-10-20 10:00", {"archivist": "o1"})  # an officer
    assert_fires(evaluate(b.build(), at=t(AT)), "gazetteer.archive.designated_archivist", 27, rid)
