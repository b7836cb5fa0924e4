"""The rule pack of 栾川县统计局 (004 《栾川县统计局行政执法全过程记录制度》).

Each rule is shown firing on a case built from the regulation's text and staying silent on a
compliant one; the places where 004 differs from the other agencies (DOMAIN.md §3) are proven
explicitly: 2-day emergency approval, 2-working-day AV ingest, optional AV, no archive day
count, no officer signatures, no mandatory legal review, filing with the bureau itself,
electronic service.

Issue #11 (legal precision), as far as 004's text reaches: the start approval applies to every
case the bureau starts on its own authority (complaints and emergency starts included, with the
2-day exception); approvals are read by their decision (a refusal or an undecided form is no
approval, a void of a correction revives the original); the hearing right is not demanded
(art. 8 names 陈述、申辩 only); no rule depends on a decision being burdensome, since 004 demands
no rights notice, performance record, 催告 or enforcement after a decision; the legal review of
major decisions is a warning naming 国办发〔2018〕118号; and the classes the text does not reach
(当场收缴罚款, court result, designated archivist) give no finding.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lawtrail.core.calendar import WorkdayCalendar
from lawtrail.core.caseio import CaseFormatError, parse_case
from lawtrail.core.engine import Evaluation, evaluate
from lawtrail.core.record_kinds import ACTS
from lawtrail.core.rules import (
    AvCheck,
    FollowedByCheck,
    HearingRightCheck,
    IncludesCheck,
    PersonRoleCheck,
    PrecededByCheck,
    Severity,
    load_pack,
)
from lawtrail.core.timeutil import SHANGHAI
from tests.builders import CaseBuilder, fired, refusal, required, sig, t, video

AGENCY = "luanchuan-stats"
REGULATION = "004_52116c536b576369.txt"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / AGENCY
VIOLATIONS = "violations-refused-statistics-penalty.json"
LABELS = {"case_number": "栾统罚〔2026〕3号", "party": "栾川县某某钼业有限公司", "handler": "张明"}


def builder(**kw: Any) -> CaseBuilder:
    return CaseBuilder(AGENCY, case_number="栾统罚〔2026〕3号", **kw)


def av(captured: str, ingested: str | None = None, **kw: Any) -> Any:
    """A labelled video (art. 14 labels present unless the test overrides them)."""
    kw.setdefault("labels", dict(LABELS))
    return video(captured, ingested, **kw)


def one(ev: Evaluation, rule: str, article: int, record: str | None) -> Any:
    """Exactly one finding of `rule`, citing 004 `article`, on `record`."""
    found = fired(ev, rule)
    assert len(found) == 1, [f.message for f in ev.findings]
    finding = found[0]
    assert finding.regulation == REGULATION
    assert finding.article == article
    assert finding.record == record
    return finding


def none_of(ev: Evaluation, rule: str) -> None:
    assert fired(ev, rule) == [], [f.message for f in fired(ev, rule)]


# ---------------------------------------------------------------- the pack itself


def test_pack_covers_every_act_so_no_scope_warning_is_possible() -> None:
    pack = load_pack(AGENCY)
    assert pack.regulation == REGULATION
    assert set(pack.acts_covered) == set(ACTS)
    b = builder(acts=("confirmation", "other", "levy"))
    b.add("closure", "2026-09-10 10:00", {"reason": "检查结束"})
    b.add("case_file", "2026-09-11 10:00", {"archivist": "a1"})
    assert b.evaluate().findings == ()


def test_every_rule_id_of_the_pack_appears_in_this_test_file() -> None:
    text = Path(__file__).read_text(encoding="utf-8")
    missing = [r.id for r in load_pack(AGENCY).rules if f'"{r.id}"' not in text]
    assert missing == []


def test_the_only_av_rule_is_announcement_service_since_art_13_says_may() -> None:
    av_rules = [r.id for r in load_pack(AGENCY).rules if isinstance(r.check, AvCheck)]
    assert av_rules == ["stats.service.announcement_av"]


def test_no_rule_checks_officers_or_an_internal_approval_chain() -> None:
    types = {type(r.check).__name__ for r in load_pack(AGENCY).rules}
    assert "OfficersCheck" not in types
    assert "ApprovalChainCheck" not in types
    assert "ActsCoveredCheck" not in types


def test_every_rule_that_is_not_explicit_says_how_it_reads_the_article() -> None:
    for rule in load_pack(AGENCY).rules:
        assert not (rule.inferred and rule.duty_source), rule.id
        if rule.duty_source:
            assert rule.severity is Severity.WARNING, rule.id
    inferred = {r.id for r in load_pack(AGENCY).rules if r.inferred}
    assert {
        "stats.start.approval_before_decision",
        "stats.start.emergency_approval_2d",
        "stats.decision.head_approval",
        "stats.enforcement.site_record",
        "stats.service.electronic_not_decision",
    } <= inferred
    sourced = [r.id for r in load_pack(AGENCY).rules if r.duty_source]
    assert sourced == ["stats.legal_review.before_major_decision"]


def test_every_approval_rule_reads_the_decision_not_the_presence_of_the_form() -> None:
    approvals = {"initiation_approval", "head_approval", "internal_approval", "legal_review"}
    for rule in load_pack(AGENCY).rules:
        if isinstance(rule.check, PrecededByCheck) and approvals & set(rule.check.kinds):
            assert rule.check.latest_where == {"granted": True}, rule.id
            assert rule.scope == "each", rule.id
    start = load_pack(AGENCY).rule("stats.start.approval_before_decision")
    assert isinstance(start.check, PrecededByCheck)
    assert start.check.except_after == ("emergency_start",)
    assert start.case["own_authority"] is True
    assert "origin" not in start.case


def test_no_rule_demands_notice_performance_urge_or_enforcement_after_a_decision() -> None:
    # 004 has no such duty (art. 8 "依法告知…的", art. 12 "依法予以催告的" / "需要依法强制执行的"
    # are conditions, not demands), so no rule turns on whether a decision is burdensome.
    consequences = {
        "rights_notice",
        "statement_defense",
        "performance",
        "rectification_check",
        "urge_notice",
        "enforcement",
        "court_enforcement",
    }
    for rule in load_pack(AGENCY).rules:
        if isinstance(rule.check, PrecededByCheck | FollowedByCheck):
            assert not consequences & set(rule.check.kinds), rule.id


@pytest.mark.parametrize(
    ("acts", "origin", "decision"),
    [
        (("license",), "application", {"category": "license_granted", "decision_type": "准予许可"}),
        (("inspection", "penalty"), "ex_officio", {"category": "penalty", "amount": Decimal(5000)}),
    ],
)
def test_no_decision_is_held_to_a_rights_notice_or_a_performance_record(
    acts: tuple[str, ...], origin: str, decision: dict[str, Any]
) -> None:
    b = builder(acts=acts, origin=origin)
    if origin == "application":
        b.add("application_registration", "2026-09-01 09:00", {"outcome": "accepted"})
    else:
        b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    b.add(
        "head_approval",
        "2026-09-19 10:00",
        {"head": "h1", "opinion": "同意"},
        signatures=[sig("head")],
    )
    dec = b.add("decision", "2026-09-20 10:00", decision)
    b.add(
        "service",
        "2026-09-21 10:00",
        {
            "method": "direct",
            "document": dec,
            "document_kind": "decision",
            "receipt_number": "回证",
        },
        signatures=[sig("recipient")],
    )
    b.add("closure", "2026-10-30 10:00")
    b.add("case_file", "2026-11-02 10:00", {"archivist": "a1"})
    ev = b.evaluate()
    assert ev.findings == ()
    assert ev.required == ()


def test_on_the_spot_collection_without_receipt_is_no_finding_since_004_has_no_such_item() -> None:
    b = builder(procedure="simplified")
    b.add(
        "simplified_procedure",
        "2026-09-20 10:00",
        {"on_the_spot_collection": True, "factual_basis": "迟报统计资料，情节轻微"},
    )
    b.add("decision", "2026-09-20 10:10", {"category": "penalty", "amount": Decimal(50)})
    b.add("filing", "2026-09-21 10:00", {"filed_with": "agency"})
    assert b.evaluate().findings == ()


def test_no_archivist_role_is_checked_since_004_designates_no_archivist() -> None:
    assert not [r for r in load_pack(AGENCY).rules if isinstance(r.check, PersonRoleCheck)]
    b = builder(acts=("inspection",))
    b.add("closure", "2026-09-10 10:00")
    b.add("case_file", "2026-09-11 10:00", {"archivist": "o1"})  # an officer, not an archivist
    assert b.evaluate().findings == ()


# ---------------------------------------------------------------- art. 5 application


def test_application_without_registration_violates_art_5_after_closure() -> None:
    b = builder(origin="application", acts=("license",))
    b.add("closure", "2026-09-10 10:00")
    one(b.evaluate(), "stats.application.registered", 5, None)


def test_application_registration_is_pending_before_closure() -> None:
    b = builder(origin="application", acts=("license",))
    ev = b.evaluate("2026-09-02 10:00")
    none_of(ev, "stats.application.registered")
    assert required(ev, "stats.application.registered")


def test_bare_application_registration_satisfies_art_5_without_receipt_or_contents() -> None:
    b = builder(origin="application", acts=("license",))
    b.add("application_registration", "2026-09-01 09:00", {"outcome": "accepted"})
    b.add("closure", "2026-09-10 10:00")
    ev = b.evaluate()
    none_of(ev, "stats.application.registered")
    assert ev.violations == ()


# ---------------------------------------------------------------- art. 6 initiation


# A complaint or report only brings the matter to the bureau's notice, and an emergency start is
# an ex-officio start whose approval comes late: all three are started "依职权" (art. 6).
@pytest.mark.parametrize("origin", ["ex_officio", "complaint", "emergency"])
def test_general_penalty_decision_without_filing_approval_violates_art_6(origin: str) -> None:
    b = builder(origin=origin)
    dec = b.add("decision", "2026-09-20 10:00", {"document_number": "栾统罚〔2026〕3号"})
    f = one(b.evaluate(), "stats.start.approval_before_decision", 6, dec)
    assert f.severity is Severity.VIOLATION


def test_filing_approval_is_not_demanded_of_a_case_started_on_application() -> None:
    b = builder(origin="application")
    b.add("decision", "2026-09-20 10:00")
    none_of(b.evaluate(), "stats.start.approval_before_decision")


@pytest.mark.parametrize(
    "fields",
    [
        {"head": "h1", "approved": False, "head_opinion": "同意立案"},  # the yes/no decides
        {"head": "h1", "head_opinion": "不予立案，证据不足"},
        {"head": "h1", "head_opinion": "请法制员先行审核"},  # undecided
        {"head": "h1"},  # nothing decided
    ],
)
def test_decision_after_a_refused_or_undecided_filing_approval_violates_art_6(
    fields: dict[str, Any],
) -> None:
    b = builder(origin="complaint")
    b.add("initiation_approval", "2026-09-03 10:00", fields)
    b.add("inquiry_record", "2026-09-08 10:00", {"interviewee": "李某", "content": "询问"})
    dec = b.add("decision", "2026-09-20 10:00")
    f = one(b.evaluate(), "stats.start.approval_before_decision", 6, dec)
    assert "未获批准" in f.message


@pytest.mark.parametrize(
    "fields",
    [{"approved": True}, {"head_opinion": "同意立案"}, {"head_opinion": "批准立案调查"}],
)
def test_decision_after_a_granted_filing_approval_satisfies_art_6(
    fields: dict[str, Any],
) -> None:
    b = builder(origin="complaint")
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", **fields})
    b.add("decision", "2026-09-20 10:00")
    none_of(b.evaluate(), "stats.start.approval_before_decision")


def test_a_refusal_after_an_approval_is_what_counts_and_each_decision_is_judged() -> None:
    b = builder()
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    b.add("decision", "2026-09-10 10:00", {"decision_type": "责令改正"})
    b.add("initiation_approval", "2026-09-12 10:00", {"head": "h1", "approved": False})
    second = b.add("decision", "2026-09-20 10:00", {"decision_type": "行政处罚"})
    one(b.evaluate(), "stats.start.approval_before_decision", 6, second)


def test_a_voided_correction_brings_the_refused_approval_back_into_judgement() -> None:
    b = builder()
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": False}, rid="a1")
    b.add(
        "initiation_approval",
        "2026-09-03 10:00",
        {"head": "h1", "approved": True},
        rid="a2",
        corrects=("a1", "误录为不予批准"),
        recorded_at="2026-09-04 10:00",
    )
    dec = b.add("decision", "2026-09-20 10:00")
    none_of(b.evaluate(), "stats.start.approval_before_decision")
    b.add(
        "void", "2026-09-21 10:00", {"target": "a2", "reason": "更正有误，原审批表属实"}, rid="v1"
    )
    f = one(b.evaluate(), "stats.start.approval_before_decision", 6, dec)
    assert "a1" in f.message


def test_filing_approval_may_follow_the_statistical_inspection_but_precede_decision() -> None:
    b = builder(acts=("inspection", "penalty"))
    b.add("site_inspection", "2026-09-02 10:00", {"location": "厂区", "findings": "台账缺失"})
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    b.add("decision", "2026-09-20 10:00")
    none_of(b.evaluate(), "stats.start.approval_before_decision")


@pytest.mark.parametrize(
    ("procedure", "acts"),
    [("simplified", ("penalty",)), ("general", ("inspection",)), ("general", ("license",))],
)
def test_filing_approval_is_not_presumed_where_no_law_requires_filing(
    procedure: str, acts: tuple[str, ...]
) -> None:
    b = builder(procedure=procedure, acts=acts)
    b.add("decision", "2026-09-20 10:00")
    none_of(b.evaluate(), "stats.start.approval_before_decision")


def test_approval_form_without_outcome_violates_art_6() -> None:
    # The outcome is now its own rule (stats.start.approval_decided), which also accepts the
    # head's written opinion: the derived decision reads 负责人意见 when no yes/no is recorded.
    b = builder()
    rid = b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1"})
    ev = b.evaluate()
    f = one(ev, "stats.start.approval_decided", 6, rid)
    assert "是否批准" in f.message
    none_of(ev, "stats.start.approval_completed")


def test_approval_form_without_the_approving_head_violates_art_6() -> None:
    b = builder()
    rid = b.add("initiation_approval", "2026-09-03 10:00", {"head_opinion": "同意立案"})
    ev = b.evaluate()
    one(ev, "stats.start.approval_completed", 6, rid)
    none_of(ev, "stats.start.approval_decided")


@pytest.mark.parametrize("outcome", [{"approved": True}, {"head_opinion": "同意立案"}])
def test_approval_form_with_head_and_outcome_needs_no_other_columns(
    outcome: dict[str, Any],
) -> None:
    b = builder()
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", **outcome})
    ev = b.evaluate()
    none_of(ev, "stats.start.approval_completed")
    none_of(ev, "stats.start.approval_decided")


def test_emergency_case_without_recorded_start_violates_art_6_after_closure() -> None:
    b = builder(origin="emergency")
    b.add("closure", "2026-09-10 10:00")
    one(b.evaluate(), "stats.start.emergency_recorded", 6, None)


def test_emergency_case_with_recorded_start_satisfies_art_6() -> None:
    b = builder(origin="emergency")
    b.add("emergency_start", "2026-09-02 10:00", {"reason": "企业正在销毁统计台账"})
    b.add("closure", "2026-09-10 10:00")
    none_of(b.evaluate(), "stats.start.emergency_recorded")


@pytest.mark.parametrize(
    "approved_at",
    [
        "2026-09-03 16:00",  # 30 hours later: late under a 24-hour rule, on time under 2 days
        "2026-09-04 23:30",  # the last evening of the second day
    ],
)
def test_emergency_approval_within_two_calendar_days_is_on_time(approved_at: str) -> None:
    b = builder(origin="emergency")
    b.add("emergency_start", "2026-09-02 10:00")
    b.add("initiation_approval", approved_at, {"head": "h1", "approved": True})
    none_of(b.evaluate(), "stats.start.emergency_approval_2d")


def test_emergency_approval_on_the_third_day_violates_art_6() -> None:
    b = builder(origin="emergency")
    start = b.add("emergency_start", "2026-09-02 10:00")
    b.add("initiation_approval", "2026-09-05 08:00", {"head": "h1", "approved": True})
    f = one(b.evaluate(), "stats.start.emergency_approval_2d", 6, start)
    assert "2日" in f.message
    assert "2026-09-04 23:59" in f.message


def test_decision_after_an_emergency_start_awaits_the_two_day_approval() -> None:
    # The emergency exception: no approval yet, but the start came first — the approval is due
    # within 2 days (stats.start.emergency_approval_2d), not before this decision.
    b = builder(origin="emergency")
    start = b.add("emergency_start", "2026-09-02 10:00")
    b.add("decision", "2026-09-03 10:00")
    ev = b.evaluate("2026-09-03 12:00")
    none_of(ev, "stats.start.approval_before_decision")
    assert required(ev, "stats.start.emergency_approval_2d")
    ev = b.evaluate()
    none_of(ev, "stats.start.approval_before_decision")
    one(ev, "stats.start.emergency_approval_2d", 6, start)


def test_refused_emergency_approval_is_in_time_but_a_decision_after_it_violates_art_6() -> None:
    b = builder(origin="emergency")
    b.add("emergency_start", "2026-09-02 10:00")
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "head_opinion": "不同意"})
    dec = b.add("decision", "2026-09-20 10:00")
    ev = b.evaluate()
    none_of(ev, "stats.start.emergency_approval_2d")
    f = one(ev, "stats.start.approval_before_decision", 6, dec)
    assert "未获批准" in f.message


def test_undecided_emergency_approval_is_no_approval_within_two_days() -> None:
    b = builder(origin="emergency")
    start = b.add("emergency_start", "2026-09-02 10:00")
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "head_opinion": "阅"})
    f = one(b.evaluate(), "stats.start.emergency_approval_2d", 6, start)
    assert "负责人批准" in f.message


@pytest.mark.parametrize(
    ("approved_at", "late"),
    [
        # 2 days from Thu 1 Oct 2026 end on Sat 3 Oct, inside the National Day holiday (1–7
        # Oct): the period ends on Thu 8 Oct, the first working day after it (民法典 第二百零三条).
        ("2026-10-08 20:00", False),
        ("2026-10-09 09:00", True),
    ],
)
def test_two_day_emergency_approval_ending_in_national_day_runs_to_the_next_working_day(
    approved_at: str, late: bool
) -> None:
    b = builder(origin="emergency")
    start = b.add("emergency_start", "2026-10-01 10:00")
    b.add("initiation_approval", approved_at, {"head": "h1", "approved": True})
    ev = b.evaluate()
    if late:
        f = one(ev, "stats.start.emergency_approval_2d", 6, start)
        assert "2026-10-08 23:59" in f.message
    else:
        none_of(ev, "stats.start.emergency_approval_2d")


def test_missing_emergency_approval_is_pending_then_violates_after_two_days() -> None:
    b = builder(origin="emergency")
    start = b.add("emergency_start", "2026-09-02 10:00")
    pending = b.evaluate("2026-09-04 12:00")
    none_of(pending, "stats.start.emergency_approval_2d")
    (due,) = required(pending, "stats.start.emergency_approval_2d")
    assert due.due == t("2026-09-04 23:59:59.999999")
    one(b.evaluate("2026-09-05 00:01"), "stats.start.emergency_approval_2d", 6, start)


# ---------------------------------------------------------------- art. 7 investigation


@pytest.mark.parametrize(
    ("rule", "kind", "bad", "good"),
    [
        (
            "stats.investigation.inquiry_record",
            "inquiry_record",
            {"interviewee": "王某（统计员）"},
            {"interviewee": "王某（统计员）", "content": "2025年产值数据的填报经过"},
        ),
        (
            "stats.investigation.site_inspection_record",
            "site_inspection",
            {"location": "企业财务室"},
            {"location": "企业财务室", "findings": "原始记录与报表数据不符"},
        ),
        (
            "stats.investigation.sampling_list",
            "sampling",
            {"notice_number": "栾统抽〔2026〕1号"},
            {"items": ("2025年产品出库单 12张",)},
        ),
        (
            "stats.investigation.hearing_documents",
            "hearing",
            {"transcript": "听证笔录全文"},
            {"notice_number": "栾统听告〔2026〕1号", "transcript": "听证笔录全文"},
        ),
        (
            "stats.investigation.refusal_recorded",
            "refusal",
            {"refusing_person": "企业负责人李某"},
            {
                "refusing_person": "企业负责人李某",
                "refused_act": "inspection",
                "circumstances": "锁闭财务室，拒绝提供统计台账",
            },
        ),
    ],
)
def test_investigation_documents_of_art_7(
    rule: str, kind: str, bad: dict[str, Any], good: dict[str, Any]
) -> None:
    b = builder()
    rid = b.add(kind, "2026-09-02 10:00", bad)
    one(b.evaluate(), rule, 7, rid)
    b = builder()
    b.add(kind, "2026-09-02 10:00", good)
    none_of(b.evaluate(), rule)


def test_sampling_needs_only_the_item_list_not_a_sampling_notice() -> None:
    b = builder()
    b.add("sampling", "2026-09-02 10:00", {"items": ("出库单 12张",)}, signatures=[sig("party")])
    assert b.evaluate().findings == ()


@pytest.mark.parametrize("measure", ["seal", "seize"])
def test_seizure_without_decision_or_list_violates_art_7(measure: str) -> None:
    b = builder(acts=("compulsory",))
    rid = b.add("compulsory_measure", "2026-09-02 10:00", {"measure": measure})
    f = one(b.evaluate(), "stats.investigation.seizure_documents", 7, rid)
    assert "强制措施决定书编号" in f.message


def test_seizure_with_decision_and_list_satisfies_art_7() -> None:
    b = builder(acts=("compulsory",))
    b.add(
        "compulsory_measure",
        "2026-09-02 10:00",
        {"measure": "seize", "decision_number": "栾统扣〔2026〕1号", "items": ("统计台账 3册",)},
    )
    none_of(b.evaluate(), "stats.investigation.seizure_documents")


def test_other_compulsory_measures_are_not_held_to_the_seizure_documents() -> None:
    b = builder(acts=("compulsory",))
    b.add("compulsory_measure", "2026-09-02 10:00", {"measure": "freeze"})
    none_of(b.evaluate(), "stats.investigation.seizure_documents")


def test_appraisal_opinion_without_commission_violates_art_7() -> None:
    b = builder()
    rid = b.add("appraisal", "2026-09-10 10:00", {"form": "appraisal_opinion", "opinion": "不符"})
    one(b.evaluate(), "stats.investigation.commission_before_opinion", 7, rid)


def test_appraisal_opinion_after_commission_satisfies_art_7() -> None:
    b = builder()
    b.add(
        "appraisal",
        "2026-09-05 10:00",
        {"form": "commission", "institution": "某会计师事务所", "subject": "营业收入审计"},
    )
    b.add("appraisal", "2026-09-10 10:00", {"form": "appraisal_opinion", "opinion": "不符"})
    ev = b.evaluate()
    none_of(ev, "stats.investigation.commission_before_opinion")
    none_of(ev, "stats.investigation.commission_contents")


def test_commission_without_institution_violates_art_7() -> None:
    b = builder()
    rid = b.add("appraisal", "2026-09-05 10:00", {"form": "commission", "subject": "审计"})
    one(b.evaluate(), "stats.investigation.commission_contents", 7, rid)


# ---------------------------------------------------------------- art. 8 rights


def test_rights_notice_without_defense_violates_art_8() -> None:
    b = builder()
    rid = b.add(
        "rights_notice", "2026-09-15 10:00", {"rights": ("statement",), "method": "written_notice"}
    )
    f = one(b.evaluate(), "stats.rights.content", 8, rid)
    assert "申辩" in f.message


def test_statement_and_defense_suffice_without_recusal_or_hearing() -> None:
    b = builder()
    b.add(
        "rights_notice",
        "2026-09-15 10:00",
        {"rights": ("statement", "defense"), "method": "written_notice"},
    )
    assert b.evaluate().findings == ()


def test_no_hearing_right_rule_or_large_amount_since_art_8_names_no_hearing() -> None:
    pack = load_pack(AGENCY)
    assert not [r.id for r in pack.rules if isinstance(r.check, HearingRightCheck)]
    assert pack.large_amount is None
    for rule in pack.rules:
        if isinstance(rule.check, IncludesCheck):
            assert "hearing" not in rule.check.values, rule.id


@pytest.mark.parametrize("procedure", ["general", "simplified"])
@pytest.mark.parametrize(
    ("kinds", "amount"),
    [
        (("warning",), None),
        (("fine",), "500.00"),
        (("fine",), "200000.00"),  # a 较大数额 fine: 行政处罚法 第六十三条, not this regulation
        (("revoke_license",), None),
    ],
)
def test_no_hearing_right_is_demanded_from_art_8_whatever_the_intended_penalty(
    procedure: str, kinds: tuple[str, ...], amount: str | None
) -> None:
    b = builder(procedure=procedure)
    fields: dict[str, Any] = {
        "rights": ("statement", "defense"),
        "method": "written_notice",
        "penalty_kinds": kinds,
    }
    if amount:
        fields["penalty_amount"] = Decimal(amount)
    b.add("rights_notice", "2026-09-15 10:00", fields)
    assert b.evaluate().findings == ()


def test_oral_rights_notice_in_general_procedure_violates_art_8() -> None:
    b = builder()
    rid = b.add("rights_notice", "2026-09-15 10:00", {"rights": ("statement", "defense")})
    one(b.evaluate(), "stats.rights.method", 8, rid)
    b = builder()
    rid = b.add(
        "rights_notice", "2026-09-15 10:00", {"rights": ("statement", "defense"), "method": "oral"}
    )
    one(b.evaluate(), "stats.rights.method", 8, rid)


@pytest.mark.parametrize(
    ("procedure", "method"),
    [("general", "in_record"), ("general", "written_notice"), ("simplified", "oral")],
)
def test_rights_notice_in_the_record_or_orally_in_simplified_procedure_is_allowed(
    procedure: str, method: str
) -> None:
    b = builder(procedure=procedure)
    b.add(
        "rights_notice", "2026-09-15 10:00", {"rights": ("statement", "defense"), "method": method}
    )
    none_of(b.evaluate(), "stats.rights.method")


def test_statement_record_without_content_or_waiver_violates_art_8() -> None:
    b = builder()
    rid = b.add("statement_defense", "2026-09-16 10:00", signatures=[sig("party")])
    one(b.evaluate(), "stats.rights.statement_record", 8, rid)


def test_statement_record_with_content_satisfies_art_8() -> None:
    b = builder()
    b.add(
        "statement_defense",
        "2026-09-16 10:00",
        {"waived": False, "content": "称系统计人员误填"},
        signatures=[sig("party")],
    )
    assert b.evaluate().findings == ()


def test_waiver_without_its_form_violates_art_8() -> None:
    b = builder()
    rid = b.add(
        "statement_defense", "2026-09-16 10:00", {"waived": True}, signatures=[sig("party")]
    )
    one(b.evaluate(), "stats.rights.waiver_recorded", 8, rid)


def test_oral_waiver_recorded_and_signed_satisfies_arts_8_and_9() -> None:
    b = builder()
    b.add(
        "statement_defense",
        "2026-09-16 10:00",
        {"waived": True, "waiver_form": "oral"},
        signatures=[sig("party")],
    )
    assert b.evaluate().findings == ()


# ---------------------------------------------------------------- art. 9 signatures

SIGNED_KINDS = [
    ("inquiry_record", {"interviewee": "王某", "content": "询问内容"}),
    ("site_inspection", {"location": "财务室", "findings": "检查情况"}),
    ("sampling", {"items": ("出库单",)}),
    ("compulsory_measure", {"measure": "seal", "decision_number": "封1", "items": ("账册",)}),
    ("hearing", {"notice_number": "听1", "transcript": "笔录"}),
    ("statement_defense", {"content": "陈述内容"}),
]


@pytest.mark.parametrize(("kind", "fields"), SIGNED_KINDS)
def test_rights_affecting_record_without_signature_or_refusal_violates_art_9(
    kind: str, fields: dict[str, Any]
) -> None:
    b = builder()
    rid = b.add(kind, "2026-09-02 10:00", fields, signatures=[sig("officer")])
    f = one(b.evaluate(), "stats.investigation.signatures", 9, rid)
    assert "拒签" in f.message


@pytest.mark.parametrize(("kind", "fields"), SIGNED_KINDS)
@pytest.mark.parametrize(
    "signing",
    [
        {"signatures": [sig("party")]},
        {"signatures": [sig("present_person", "在场的财务人员")]},
        {"refusals": [refusal("party", "当事人以不认可检查结果为由拒绝签字")]},
    ],
)
def test_signature_by_party_or_recorded_refusal_satisfies_art_9_without_officer_signature(
    kind: str, fields: dict[str, Any], signing: dict[str, Any]
) -> None:
    b = builder()
    b.add(kind, "2026-09-02 10:00", fields, officers=(), **signing)
    assert b.evaluate().findings == ()


def test_refusal_to_sign_without_its_circumstances_violates_art_9() -> None:
    b = builder()
    rid = b.add(
        "inquiry_record",
        "2026-09-02 10:00",
        {"interviewee": "李某", "content": "询问内容"},
        refusals=[refusal("party", "  ")],
    )
    one(b.evaluate(), "stats.investigation.signatures", 9, rid)


# ---------------------------------------------------------------- art. 10 decision


def test_general_decision_without_head_approval_violates_art_10() -> None:
    b = builder()
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    dec = b.add("decision", "2026-09-20 10:00")
    one(b.evaluate(), "stats.decision.head_approval", 10, dec)


@pytest.mark.parametrize(
    "fields",
    [
        {"head": "h1", "opinion": "不同意，退回重新调查"},
        {"head": "h1", "opinion": "同意", "approved": False},  # the yes/no decides
        {"head": "h1", "opinion": "阅"},  # undecided
        {"head": "h1"},
    ],
)
def test_decision_after_a_refused_or_undecided_head_approval_violates_art_10(
    fields: dict[str, Any],
) -> None:
    b = builder()
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    b.add("head_approval", "2026-09-19 10:00", fields, signatures=[sig("head")])
    dec = b.add("decision", "2026-09-20 10:00")
    f = one(b.evaluate(), "stats.decision.head_approval", 10, dec)
    assert "未获批准" in f.message


def test_each_decision_needs_the_heads_approval_in_force_when_it_is_made() -> None:
    b = builder()
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    b.add("head_approval", "2026-09-19 10:00", {"head": "h1", "approved": True})
    b.add("decision", "2026-09-20 10:00")
    b.add("head_approval", "2026-09-25 10:00", {"head": "h1", "opinion": "不同意变更"})
    second = b.add("decision", "2026-09-26 10:00", {"decision_type": "变更决定"})
    one(b.evaluate(), "stats.decision.head_approval", 10, second)


def test_voiding_the_correction_of_a_refused_head_approval_revives_the_refusal() -> None:
    b = builder()
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    b.add("head_approval", "2026-09-19 10:00", {"head": "h1", "opinion": "不同意"}, rid="h-1")
    b.add(
        "head_approval",
        "2026-09-19 10:00",
        {"head": "h1", "opinion": "同意"},
        rid="h-2",
        corrects=("h-1", "录入错误"),
        recorded_at="2026-09-19 11:00",
    )
    dec = b.add("decision", "2026-09-20 10:00")
    none_of(b.evaluate(), "stats.decision.head_approval")
    b.add("void", "2026-09-22 10:00", {"target": "h-2", "reason": "负责人确认原意见为不同意"})
    f = one(b.evaluate(), "stats.decision.head_approval", 10, dec)
    assert "h-1" in f.message


def test_simplified_decision_needs_no_prior_head_approval() -> None:
    b = builder(procedure="simplified")
    b.add("decision", "2026-09-20 10:00")
    b.add("filing", "2026-09-21 10:00", {"filed_with": "agency"})
    ev = b.evaluate()
    none_of(ev, "stats.decision.head_approval")
    none_of(ev, "stats.simplified.filing")


def test_head_approval_without_opinion_or_signature_violates_art_10() -> None:
    b = builder()
    rid = b.add("head_approval", "2026-09-19 10:00", {"head": "h1"})
    ev = b.evaluate()
    one(ev, "stats.head_approval.opinion", 10, rid)
    one(ev, "stats.head_approval.signed", 10, rid)


def test_head_approval_signed_with_opinion_satisfies_art_10() -> None:
    b = builder()
    b.add(
        "head_approval",
        "2026-09-19 10:00",
        {"head": "h1", "opinion": "同意处罚"},
        signatures=[sig("head", "赵局长", person="h1")],
    )
    b.add("decision", "2026-09-20 10:00")
    ev = b.evaluate()
    none_of(ev, "stats.head_approval.opinion")
    none_of(ev, "stats.head_approval.signed")
    none_of(ev, "stats.decision.head_approval")


def test_collective_discussion_without_minutes_violates_art_10() -> None:
    b = builder()
    rid = b.add("collective_discussion", "2026-09-18 10:00", {"participants": "局务会成员"})
    one(b.evaluate(), "stats.collective_discussion.record", 10, rid)
    b = builder()
    b.add(
        "collective_discussion",
        "2026-09-18 10:00",
        {"participants": "局务会成员", "minutes": "一致同意罚款三万元"},
    )
    none_of(b.evaluate(), "stats.collective_discussion.record")


def test_legal_review_not_stated_on_a_document_violates_art_10() -> None:
    b = builder()
    rid = b.add("legal_review", "2026-09-18 10:00", {"reviewer": "l1", "opinion": "合法"})
    f = one(b.evaluate(), "stats.legal_review.record", 10, rid)
    assert "载体" in f.message


@pytest.mark.parametrize("form", ["opinion_document", "on_approval_form"])
def test_legal_review_in_an_opinion_or_on_the_approval_form_satisfies_art_10(form: str) -> None:
    b = builder()
    b.add("legal_review", "2026-09-18 10:00", {"form": form, "opinion": "事实清楚，依据正确"})
    none_of(b.evaluate(), "stats.legal_review.record")


def major_case(*reviews: dict[str, Any]) -> tuple[CaseBuilder, str]:
    b = builder(major=True)
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    for review in reviews:
        b.add("legal_review", "2026-09-18 10:00", {"form": "opinion_document", **review})
    b.add(
        "head_approval",
        "2026-09-19 10:00",
        {"head": "h1", "opinion": "同意"},
        signatures=[sig("head", "赵局长")],
    )
    return b, b.add("decision", "2026-09-20 10:00")


def test_major_decision_without_legal_review_is_no_violation_for_luanchuan_stats() -> None:
    # Art. 10 only says how a review that took place is recorded ("经法制员审核的"): the duty
    # to review a major decision first is 国办发〔2018〕118号's, so it is a warning naming that
    # source (issue #11 item 4) — formerly no finding at all, now a warning, never a violation.
    b, dec = major_case()
    ev = b.evaluate()
    assert ev.violations == ()
    f = one(ev, "stats.legal_review.before_major_decision", 10, dec)
    assert f.severity is Severity.WARNING
    assert "国办发〔2018〕118号" in f.duty_source
    assert "国办发〔2018〕118号" in f.message
    assert "本办法第10条只规定相关记录，未规定该义务" in f.message
    assert [w.rule for w in ev.warnings] == ["stats.legal_review.before_major_decision"]


@pytest.mark.parametrize(
    "review",
    [
        {"opinion": "不同意，事实不清", "passed": False},
        {"opinion": "事实清楚，证据确凿"},  # neither 通过 nor a granting opinion: undecided
    ],
)
def test_major_decision_after_a_failed_or_undecided_review_warns(review: dict[str, Any]) -> None:
    b, dec = major_case(review)
    ev = b.evaluate()
    f = one(ev, "stats.legal_review.before_major_decision", 10, dec)
    assert f.severity is Severity.WARNING
    assert "未获批准" in f.message
    assert ev.violations == ()


@pytest.mark.parametrize("review", [{"opinion": "事实清楚", "passed": True}, {"opinion": "同意"}])
def test_major_decision_after_a_passed_review_satisfies_everything(review: dict[str, Any]) -> None:
    b, _ = major_case(review)
    assert b.evaluate().findings == ()


def test_ordinary_decision_without_legal_review_gives_no_finding() -> None:
    b = builder()
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    b.add(
        "head_approval",
        "2026-09-19 10:00",
        {"head": "h1", "opinion": "同意"},
        signatures=[sig("head")],
    )
    b.add("decision", "2026-09-20 10:00")
    assert b.evaluate().findings == ()


def test_simplified_decision_without_filing_violates_art_10_after_closure() -> None:
    b = builder(procedure="simplified")
    b.add("decision", "2026-09-20 10:00")
    b.add("closure", "2026-09-21 10:00")
    one(b.evaluate(), "stats.simplified.filing", 10, None)


def test_filing_with_the_legal_office_instead_of_the_bureau_violates_art_10() -> None:
    b = builder(procedure="simplified")
    b.add("decision", "2026-09-20 10:00")
    b.add("filing", "2026-09-21 10:00", {"filed_with": "legal_office"})
    b.add("closure", "2026-09-22 10:00")
    one(b.evaluate(), "stats.simplified.filing", 10, None)


# ---------------------------------------------------------------- art. 11 service


def serve(b: CaseBuilder, fields: dict[str, Any], **kw: Any) -> str:
    return b.add("service", "2026-09-21 10:00", fields, **kw)


def test_direct_service_without_receipt_or_recipient_signature_violates_art_11() -> None:
    b = builder()
    rid = serve(b, {"method": "direct"}, signatures=[sig("server")])
    ev = b.evaluate()
    one(ev, "stats.service.direct_receipt", 11, rid)
    one(ev, "stats.service.direct_signed", 11, rid)


def test_recipients_refusal_cannot_replace_the_receipt_signature_in_direct_service() -> None:
    b = builder()
    rid = serve(
        b, {"method": "direct", "receipt_number": "回证1"}, refusals=[refusal("recipient", "拒收")]
    )
    one(b.evaluate(), "stats.service.direct_signed", 11, rid)


@pytest.mark.parametrize("role", ["recipient", "signatory"])
def test_direct_service_signed_by_the_recipient_satisfies_art_11_without_server(
    role: str,
) -> None:
    b = builder()
    serve(b, {"method": "direct", "receipt_number": "栾统送〔2026〕3-1"}, signatures=[sig(role)])
    assert b.evaluate().findings == ()


def test_lodging_without_witness_or_av_is_no_violation_for_luanchuan_stats() -> None:
    b = builder()
    serve(
        b,
        {"method": "lodging", "receipt_number": "回证2", "refusal_reason": "拒绝签收决定书"},
        signatures=[sig("server")],
    )
    assert b.evaluate().findings == ()


def test_lodging_without_a_note_on_the_receipt_violates_art_11() -> None:
    b = builder()
    rid = serve(b, {"method": "lodging", "receipt_number": "回证2"})
    f = one(b.evaluate(), "stats.service.lodging_note", 11, rid)
    assert "拒收事由" in f.message


def test_mail_service_by_ordinary_letter_with_proofs_satisfies_art_11() -> None:
    b = builder()
    serve(
        b,
        {
            "method": "mail",
            "mail_type": "ordinary",
            "postage_receipt": "邮资凭证 0921-01",
            "return_receipt": "回执已签收",
        },
    )
    assert b.evaluate().findings == ()


def test_mail_service_without_postage_receipt_or_return_receipt_violates_art_11() -> None:
    b = builder()
    rid = serve(b, {"method": "mail"})
    ev = b.evaluate()
    one(ev, "stats.service.mail_postage_receipt", 11, rid)
    one(ev, "stats.service.mail_return_receipt", 11, rid)
    none_of(ev, "stats.service.mail_returned_circumstances")


def test_returned_mail_without_circumstances_violates_art_11() -> None:
    b = builder()
    rid = serve(
        b, {"method": "mail", "postage_receipt": "邮资凭证", "return_receipt": "", "returned": True}
    )
    ev = b.evaluate()
    one(ev, "stats.service.mail_returned_circumstances", 11, rid)
    one(ev, "stats.service.mail_return_receipt", 11, rid)


def test_returned_mail_with_circumstances_needs_no_return_receipt() -> None:
    b = builder()
    serve(
        b,
        {
            "method": "mail",
            "postage_receipt": "邮资凭证",
            "returned": True,
            "return_circumstances": "查无此单位，邮件于9月25日被退回",
        },
    )
    assert b.evaluate().findings == ()


@pytest.mark.parametrize("kind", ["decision", None])
def test_electronic_service_of_the_decision_or_an_unnamed_document_violates_art_11(
    kind: str | None,
) -> None:
    b = builder()
    fields = {
        "method": "electronic",
        "electronic_channel": "email",
        "electronic_evidence": ("screenshot",),
    }
    if kind:
        fields["document_kind"] = kind
    rid = serve(b, fields)
    one(b.evaluate(), "stats.service.electronic_not_decision", 11, rid)


def test_an_emailed_decision_cannot_pose_as_another_document_kind() -> None:
    # The reader checks document_kind against the record served (issue #11 item 8), so the
    # art. 11(4) rule can trust it: the decision served by e-mail stays a decision.
    data = json.loads((EXAMPLES / VIOLATIONS).read_text(encoding="utf-8"))
    (served,) = [r for r in data["records"] if r["id"] == "r09"]
    assert served["fields"]["document"] == "r08"
    served["fields"]["document_kind"] = "urge_notice"
    with pytest.raises(CaseFormatError, match="document_kind"):
        parse_case(data)


def test_electronic_service_of_an_urge_notice_by_email_satisfies_art_11() -> None:
    b = builder()
    serve(
        b,
        {
            "method": "electronic",
            "document_kind": "urge_notice",
            "electronic_channel": "email",
            "electronic_evidence": ("screenshot",),
        },
    )
    assert b.evaluate().findings == ()


def test_electronic_service_without_record_of_it_violates_art_11() -> None:
    b = builder()
    rid = serve(
        b, {"method": "electronic", "document_kind": "rights_notice", "electronic_channel": "email"}
    )
    one(b.evaluate(), "stats.service.electronic_recorded", 11, rid)


def test_fax_service_without_time_and_number_violates_art_11() -> None:
    b = builder()
    rid = serve(
        b,
        {
            "method": "electronic",
            "document_kind": "hearing_notice",
            "electronic_channel": "fax",
            "electronic_evidence": ("phone_recording",),
        },
    )
    one(b.evaluate(), "stats.service.fax_details", 11, rid)
    b = builder()
    serve(
        b,
        {
            "method": "electronic",
            "document_kind": "hearing_notice",
            "electronic_channel": "fax",
            "electronic_evidence": ("phone_recording",),
            "fax_time": t("2026-09-21 10:00"),
            "fax_number": "0379-66800000",
        },
    )
    assert b.evaluate().findings == ()


def test_entrusted_service_without_note_violates_art_11() -> None:
    b = builder()
    rid = serve(b, {"method": "entrusted", "receipt_number": "回证3"})
    one(b.evaluate(), "stats.service.entrusted_note", 11, rid)
    b = builder()
    serve(
        b,
        {
            "method": "entrusted",
            "receipt_number": "回证3",
            "reason": "当事人在外县，委托当地统计局送达",
        },
    )
    assert b.evaluate().findings == ()


def test_announcement_without_reason_kept_notice_or_av_violates_art_11() -> None:
    b = builder()
    rid = serve(b, {"method": "announcement", "announcement_medium": "栾川县人民政府网站"})
    ev = b.evaluate()
    one(ev, "stats.service.announcement_contents", 11, rid)
    one(ev, "stats.service.announcement_kept", 11, rid)
    one(ev, "stats.service.announcement_av", 11, rid)


def test_announcement_av_cannot_be_exempted() -> None:
    b = builder()
    rid = serve(b, {"method": "announcement"}, av_exemption="不适宜")
    one(b.evaluate(), "stats.service.announcement_av", 11, rid)


def test_complete_announcement_with_screenshot_satisfies_art_11() -> None:
    b = builder()
    serve(
        b,
        {
            "method": "announcement",
            "other_methods_failed": "直接送达、邮寄送达均未成功",
            "announcement_medium": "栾川县人民政府网站",
            "announcement_kept": True,
            "case_file_note": "9月21日于网站发布公告，公告期60日",
        },
        media=[av("2026-09-21 10:05", type="photo")],
    )
    assert b.evaluate().findings == ()


# ---------------------------------------------------------------- art. 12 enforcement


def test_urge_without_notice_number_or_content_violates_art_12() -> None:
    b = builder()
    rid = b.add("urge_notice", "2026-10-20 10:00")
    one(b.evaluate(), "stats.enforcement.urge_recorded", 12, rid)


@pytest.mark.parametrize(
    "fields",
    [{"document_number": "栾统催〔2026〕1号"}, {"content": "电话催告，当事人承诺一周内缴纳"}],
)
def test_urge_recorded_by_notice_or_by_its_circumstances_satisfies_art_12(
    fields: dict[str, Any],
) -> None:
    b = builder()
    b.add("urge_notice", "2026-10-20 10:00", fields)
    none_of(b.evaluate(), "stats.enforcement.urge_recorded")


@pytest.mark.parametrize("method", ["remove_obstruction", "substitute", "auction", "other"])
def test_enforcement_on_site_without_site_record_violates_art_12(method: str) -> None:
    b = builder()
    rid = b.add("enforcement", "2026-11-02 10:00", {"method": method, "decision_number": "决1"})
    ev = b.evaluate()
    f = one(ev, "stats.enforcement.site_record", 12, rid)
    assert "现场笔录" in f.message
    none_of(ev, "stats.enforcement.decision_documents")


@pytest.mark.parametrize("method", ["surcharge", "transfer"])
def test_surcharge_or_transfer_needs_the_decision_but_has_no_site_to_record(method: str) -> None:
    # Formerly a 加处罚款 without a 现场笔录 was a violation; but a surcharge (行政处罚法
    # 第七十二条) or a transfer from a bank account is carried out nowhere: no 现场 to record.
    b = builder()
    rid = b.add("enforcement", "2026-11-02 10:00", {"method": method})
    ev = b.evaluate()
    f = one(ev, "stats.enforcement.decision_documents", 12, rid)
    assert "强制执行决定书文号" in f.message
    none_of(ev, "stats.enforcement.site_record")
    b = builder()
    b.add("enforcement", "2026-11-02 10:00", {"method": method, "decision_number": "决1"})
    assert b.evaluate().findings == ()


def test_remove_obstruction_without_av_and_without_urge_is_no_violation_here() -> None:
    b = builder()
    b.add(
        "enforcement",
        "2026-11-02 10:00",
        {"method": "remove_obstruction", "decision_number": "决1", "site_record": "现场笔录"},
    )
    assert b.evaluate().findings == ()


def test_court_application_without_document_violates_art_12() -> None:
    b = builder()
    rid = b.add("court_enforcement", "2026-11-02 10:00", {"court": "栾川县人民法院"})
    one(b.evaluate(), "stats.enforcement.court_application", 12, rid)


def test_court_result_is_not_required_by_art_12_even_after_closure() -> None:
    b = builder()
    b.add(
        "court_enforcement",
        "2026-11-02 10:00",
        {"application_document": "强制执行申请书", "court": "栾川县人民法院"},
    )
    b.add("closure", "2026-11-10 10:00", {"reason": "法院已受理强制执行"})
    b.add("case_file", "2026-11-12 10:00", {"archivist": "a1"})
    ev = b.evaluate()
    assert ev.findings == ()
    assert ev.required == ()


def test_court_application_without_prior_urge_is_no_violation_for_luanchuan_stats() -> None:
    b = builder()
    b.add(
        "court_enforcement",
        "2026-11-02 10:00",
        {"application_document": "强制执行申请书", "court": "栾川县人民法院"},
    )
    assert b.evaluate().findings == ()


# ---------------------------------------------------------------- art. 13 AV optional


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("site_inspection", {"location": "企业财务室", "findings": "台账与报表不符"}),
        ("sampling", {"items": ("出库单",)}),
        ("hearing", {"notice_number": "听1", "transcript": "笔录"}),
        ("compulsory_measure", {"measure": "seal", "decision_number": "封1", "items": ("账册",)}),
        ("compulsory_measure", {"measure": "restrict_liberty"}),
    ],
)
def test_investigation_without_av_gives_no_finding_for_luanchuan_stats(
    kind: str, fields: dict[str, Any]
) -> None:
    b = builder()
    b.add(kind, "2026-09-02 10:00", fields, signatures=[sig("party")])
    assert b.evaluate().findings == ()


# ---------------------------------------------------------------- art. 14 archive and AV


def test_case_file_after_closure_is_pending_without_deadline_and_never_a_violation() -> None:
    b = builder(acts=("inspection",))
    closure = b.add("closure", "2026-09-10 10:00")
    rule = load_pack(AGENCY).rule("stats.archive.case_file")
    assert isinstance(rule.check, FollowedByCheck)
    assert rule.check.within is None
    for at in ("2026-09-11 10:00", "2026-11-23 12:00", "2027-09-10 10:00"):
        ev = b.evaluate(at)
        none_of(ev, "stats.archive.case_file")
        (pending,) = required(ev, "stats.archive.case_file")
        assert pending.after == closure
        assert pending.due is None
        assert pending.article == 14
        assert ev.findings == ()


def test_case_file_formed_months_after_closure_is_still_compliant() -> None:
    b = builder(acts=("inspection",))
    b.add("closure", "2026-09-10 10:00")
    b.add("case_file", "2026-11-20 10:00", {"archivist": "a1"})
    ev = b.evaluate()
    assert required(ev, "stats.archive.case_file") == []
    assert ev.findings == ()


def test_av_ingested_on_the_second_working_day_is_on_time_though_past_24_hours() -> None:
    b = builder()
    b.add(
        "site_inspection",
        "2026-11-06 10:00",  # a Friday
        {"location": "财务室", "findings": "检查情况"},
        signatures=[sig("party")],
        media=[av("2026-11-06 10:00", "2026-11-10 18:00")],  # the Tuesday after
    )
    assert b.evaluate().findings == ()


def test_av_ingested_on_the_third_working_day_violates_art_14() -> None:
    b = builder()
    rid = b.add(
        "site_inspection",
        "2026-11-06 10:00",
        {"location": "财务室", "findings": "检查情况"},
        signatures=[sig("party")],
        media=[av("2026-11-06 10:00", "2026-11-11 09:00")],
    )
    f = one(b.evaluate(), "stats.av.ingest_2wd", 14, rid)
    assert "2个工作日" in f.message
    assert f.severity is Severity.VIOLATION


@pytest.mark.parametrize(
    ("ingested", "late"),
    [
        ("2026-10-09 20:00", False),  # 1 Oct–7 Oct off; 8 and 9 Oct are the two working days
        ("2026-10-10 09:00", True),  # a Saturday made a working day (调休): the third one
    ],
)
def test_av_ingest_deadline_counts_working_days_across_national_day_2026(
    ingested: str, late: bool
) -> None:
    b = builder()
    rid = b.add(
        "site_inspection",
        "2026-09-30 10:00",
        {"location": "财务室", "findings": "检查情况"},
        signatures=[sig("party")],
        media=[av("2026-09-30 10:00", ingested)],
    )
    ev = b.evaluate()
    if late:
        f = one(ev, "stats.av.ingest_2wd", 14, rid)
        assert "2026-10-09 23:59" in f.message
    else:
        assert ev.findings == ()


def test_av_deadline_in_an_unknown_year_gives_a_warning_naming_2027() -> None:
    assert not WorkdayCalendar.default().knows_year(2027), "2027 is now known: pick a later year"
    b = builder()
    rid = b.add(
        "site_inspection",
        "2026-12-31 10:00",
        {"location": "财务室", "findings": "检查情况"},
        signatures=[sig("party")],
        media=[av("2026-12-31 10:00", "2027-01-06 10:00")],
    )
    ev = b.evaluate("2027-01-10 12:00")
    f = one(ev, "stats.av.ingest_2wd", 14, rid)
    assert f.severity is Severity.WARNING
    assert "2027" in f.message
    assert ev.violations == ()


def test_av_without_handler_label_violates_art_14() -> None:
    b = builder()
    labels = {"case_number": "栾统罚〔2026〕3号", "party": "栾川县某某钼业有限公司"}
    rid = b.add(
        "site_inspection",
        "2026-09-02 10:00",
        {"location": "财务室", "findings": "检查情况"},
        signatures=[sig("party")],
        media=[av("2026-09-02 10:00", labels=labels)],
    )
    f = one(b.evaluate(), "stats.av.labels", 14, rid)
    assert "承办人" in f.message


def test_av_labels_apply_to_any_record_with_media() -> None:
    b = builder()
    rid = serve(
        b,
        {"method": "direct", "receipt_number": "回证"},
        signatures=[sig("recipient")],
        media=[av("2026-09-21 10:00", labels={})],
    )
    f = one(b.evaluate(), "stats.av.labels", 14, rid)
    assert "案号" in f.message
    assert "当事人" in f.message


# ---------------------------------------------------------------- a whole compliant case


def test_whole_statistics_penalty_case_without_optional_records_has_no_violation() -> None:
    b = builder(acts=("inspection", "penalty"))
    b.add(
        "site_inspection",
        "2026-09-02 10:00",
        {"location": "财务室", "findings": "数据不符"},
        signatures=[sig("party")],
    )
    b.add("initiation_approval", "2026-09-03 10:00", {"head": "h1", "approved": True})
    b.add(
        "inquiry_record",
        "2026-09-08 10:00",
        {"interviewee": "李某", "content": "询问"},
        signatures=[sig("party")],
    )
    b.add(
        "rights_notice",
        "2026-09-15 10:00",
        {"rights": ("statement", "defense"), "method": "written_notice"},
    )
    b.add(
        "statement_defense",
        "2026-09-16 10:00",
        {"waived": True, "waiver_form": "written"},
        signatures=[sig("party")],
    )
    b.add(
        "head_approval",
        "2026-09-19 10:00",
        {"head": "h1", "opinion": "同意"},
        signatures=[sig("head")],
    )
    dec = b.add("decision", "2026-09-20 10:00", {"document_number": "栾统罚〔2026〕3号"})
    b.add(
        "service",
        "2026-09-21 10:00",
        {"method": "direct", "document": dec, "receipt_number": "回证"},
        signatures=[sig("recipient")],
    )
    b.add("performance", "2026-10-05 10:00", {"status": "performed"})
    b.add("closure", "2026-10-06 10:00")
    b.add("case_file", "2026-10-20 10:00", {"archivist": "a1"})
    ev = b.evaluate()
    assert ev.findings == ()
    assert ev.required == ()


# ---------------------------------------------------------------- examples


def load_example(name: str) -> Evaluation:
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    case = parse_case(data)
    assert case.agency == AGENCY
    return evaluate(case, at=datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI))


def example_names() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("*.json"))


def test_examples_include_a_compliant_and_a_violations_case() -> None:
    names = example_names()
    assert any(n.startswith("compliant-") for n in names)
    assert any(n.startswith("violations-") for n in names)
    for name in names:
        assert re.fullmatch(r"(compliant|violations)-[a-z0-9-]+\.json", name)


def test_compliant_example_has_no_violation_and_nothing_pending() -> None:
    (name,) = [n for n in example_names() if n.startswith("compliant-")]
    ev = load_example(name)
    assert ev.violations == (), [f.message for f in ev.violations]
    assert ev.findings == ()
    assert ev.required == ()
    methods = {str(r.value("method")) for r in ev.case.records if r.kind == "service"}
    assert {"direct", "electronic"} <= methods


def test_violations_example_gives_exactly_the_intended_findings() -> None:
    (name,) = [n for n in example_names() if n.startswith("violations-")]
    ev = load_example(name)
    assert {f.rule for f in ev.violations} == {
        "stats.start.emergency_approval_2d",
        "stats.investigation.signatures",
        "stats.rights.method",
        "stats.head_approval.signed",
        "stats.service.electronic_not_decision",
        "stats.av.ingest_2wd",
        "stats.av.labels",
    }
    assert ev.warnings == ()
    assert all(f.regulation == REGULATION for f in ev.findings)
    # the case file after closure is only pending: no day count in art. 14
    assert [r.rule for r in ev.required] == ["stats.archive.case_file"]
