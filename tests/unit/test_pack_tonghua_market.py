"""The 通化市市场监督管理局 pack (regulation 002) judged rule by rule, and its example cases.

Every rule of ``tonghua-market.toml`` has a violating and a compliant scenario built from the
wording of its article (the table ``SCENARIOS``); the named tests after it prove the places
where 002 differs from the other four regulations (DOMAIN.md §3) and the deadline behaviour.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import pytest

from lawtrail.core.caseio import parse_case
from lawtrail.core.engine import Evaluation, evaluate
from lawtrail.core.model import AvExemption, Case, FieldValue, OfficerPresence
from lawtrail.core.rules import Severity, load_pack
from tests.builders import PEOPLE, CaseBuilder, fired, refusal, required, sig, t, video

AGENCY = "tonghua-market"
REGULATION = "002_414a546ea0455888.txt"
CASE_NO = "通市监罚〔2026〕12号"
AT = "2026-11-23 12:00"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / AGENCY


def case(**kw: object) -> CaseBuilder:
    return CaseBuilder(AGENCY, case_number=CASE_NO, **kw)  # type: ignore[arg-type]


# The agency's designations (Person.roles): a title such as "档案管理员" designates nothing.
STAFF_ROLES = {
    "o1": ("officer", "handler"),
    "o2": ("officer",),
    "rv1": ("officer", "reviewer"),
    "h1": ("approver",),
    "l1": ("legal",),
    "a1": ("archivist",),
}


class StaffCaseBuilder(CaseBuilder):
    """A case whose people carry the roles the agency designated them for."""

    def __init__(self, roles: dict[str, tuple[str, ...]], **kw: object) -> None:
        super().__init__(AGENCY, case_number=CASE_NO, **kw)  # type: ignore[arg-type]
        self.roles = roles

    def build(self) -> Case:
        people = tuple(replace(p, roles=self.roles.get(p.id, ())) for p in PEOPLE)
        return replace(super().build(), people=people)


OFFICER_AND_PARTY = (sig("officer", "张明"), sig("party", "王经理"))
APPROVAL: dict[str, FieldValue] = {
    "reason": "日常检查发现当事人涉嫌销售假冒注册商标的商品",
    "party_info": "通化市某某商贸有限公司，统一社会信用代码91220500MA0000000X",
    "handler_opinion": "建议立案调查",
    "unit_opinion": "同意立案",
    "head_opinion": "同意",
    "head": "h1",
    "approved": True,
}
DECISION: dict[str, FieldValue] = {
    "document_number": CASE_NO,
    "category": "penalty",
    "reasons": "当事人销售假冒注册商标的商品，违法事实清楚，证据确凿",
    "legal_basis": "《中华人民共和国商标法》第六十条第二款",
}
CHAIN: dict[str, FieldValue] = {
    "subject": "行政处罚决定",
    "handler": "o1",
    "handler_opinion": "拟罚款",
    "handler_reason": "违法事实清楚",
    "reviewer": "rv1",
    "reviewer_opinion": "同意",
    "reviewed_at": t("2026-09-20 10:00"),
    "approver": "h1",
    "approver_opinion": "批准",
    "approved_at": t("2026-09-20 15:00"),
}


@dataclass(frozen=True)
class Scenario:
    """One rule: ``build(False)`` breaks the article, ``build(True)`` meets it."""

    rule: str
    article: int
    build: Callable[[bool], tuple[CaseBuilder, str | None]]  # builder, record of the finding
    at: str = AT

    def __str__(self) -> str:
        return self.rule


# ------------------------------------------------------------------ art. 2 scope


def scope_acts(ok: bool) -> tuple[CaseBuilder, str | None]:
    # 第二条 covers 许可 处罚 强制 征收 收费 检查; 行政确认 is not among them.
    return case(acts=("penalty",) if ok else ("confirmation",)), None


# ------------------------------------------------------------------ arts. 7–9 initiation


def application_registered(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(origin="application", acts=("license",))
    if ok:
        b.add("application_registration", "2026-09-01 09:00", {"outcome": "accepted"})
    b.add("closure", "2026-09-10 09:00", {"reason": "许可办结"})
    return b, None


def application_contents(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(origin="application", acts=("license",))
    fields = {"outcome": "accepted", "receipt_number": "受理回执001"}
    if ok:
        fields |= {"matter": "食品经营许可", "application_mode": "oral"}
    return b, b.add("application_registration", "2026-09-01 09:00", fields)


def application_receipt(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(origin="application", acts=("license",))
    fields = {"outcome": "accepted", "matter": "食品经营许可", "application_mode": "written"}
    if ok:
        fields["receipt_number"] = "受理回执001"
    return b, b.add("application_registration", "2026-09-01 09:00", fields)


def application_one_time_notice(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(origin="application", acts=("license",))
    fields = {"outcome": "supplement_required", "matter": "食品经营许可"}
    if ok:
        fields["missing_materials"] = "经营场所使用证明；食品安全管理制度文本"
    return b, b.add("application_registration", "2026-09-01 09:00", fields)


def start_approval_before_investigation(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(origin="ex_officio", procedure="general")
    b.add("initiation_approval", "2026-09-01 09:00" if ok else "2026-09-01 16:00", APPROVAL)
    rid = b.add("inquiry_record", "2026-09-01 10:00", {"interviewee": "王经理"})
    return b, rid


def start_emergency_recorded(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(origin="emergency")
    if ok:
        b.add("emergency_start", "2026-09-01 21:00", {"reason": "证据可能灭失"})
    b.add("initiation_approval", "2026-09-02 09:00", APPROVAL)
    b.add("closure", "2026-10-10 09:00", {"reason": "结案"})
    return b, None


def start_emergency_report_24h(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(origin="emergency")
    rid = b.add("emergency_start", "2026-09-01 21:00", {"reason": "证据可能灭失"})
    # 30 hours later is late; 12 hours later is on time.
    b.add("initiation_approval", "2026-09-02 09:00" if ok else "2026-09-03 03:00", APPROVAL)
    return b, rid


def start_approval_form_contents(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = dict(APPROVAL) if ok else {k: v for k, v in APPROVAL.items() if k != "unit_opinion"}
    return b, b.add("initiation_approval", "2026-09-01 09:00", fields)


def start_major_legality_review(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(major=True)
    fields = dict(APPROVAL)
    if ok:
        fields["legality_review_opinion"] = "法制科审查：立案程序合法，同意"
    return b, b.add("initiation_approval", "2026-09-01 09:00", fields)


def complaint_recorded(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(origin="complaint")
    if ok:
        b.add("complaint", "2026-09-01 09:00", {"complainant": "刘某", "taken_up": True})
    b.add("closure", "2026-10-10 09:00", {"reason": "结案"})
    return b, None


def complaint_real_name_reply(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(origin="complaint")
    rid = b.add(
        "complaint",
        "2026-09-01 09:00",
        {"complainant": "刘某", "real_name": True, "taken_up": False, "review_opinion": "不予立案"},
    )
    if ok:
        b.add(
            "complaint_reply",
            "2026-09-05 09:00",
            {"complaint": rid, "reply_content": "经核查不予立案", "method": "电话"},
        )
    b.add("closure", "2026-09-06 09:00", {"reason": "不予立案，告知举报人"})
    return b, rid


# ------------------------------------------------------------------ arts. 10–15 investigation


def investigation_officers(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    officers = None if ok else (OfficerPresence("o1", None), OfficerPresence("h1", True))
    return b, b.add("inquiry_record", "2026-09-02 10:00", officers=officers)


def rights_notified_before_decision(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(procedure="general")
    if ok:
        b.add(
            "rights_notice",
            "2026-09-10 09:00",
            {"rights": ("statement", "defense", "recusal", "hearing"), "method": "written_notice"},
        )
    return b, b.add("decision", "2026-09-20 10:00", DECISION)


def rights_method(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields: dict[str, object] = {"rights": ("statement", "defense", "recusal", "hearing")}
    if ok:
        fields["method"] = "in_record"
    return b, b.add("rights_notice", "2026-09-10 09:00", fields)  # type: ignore[arg-type]


def rights_content(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    # 听证 is not among the rights every notice must name (market.rights.hearing decides it).
    rights = ("statement", "defense", "recusal") if ok else ("statement", "defense")
    return b, b.add("rights_notice", "2026-09-10 09:00", {"rights": rights, "method": "oral"})


def rights_hearing(ok: bool) -> tuple[CaseBuilder, str | None]:
    # 责令停产停业 carries a hearing right whatever the amount (行政处罚法 第六十三条).
    b = case()
    rights = ("statement", "defense", "recusal") + (("hearing",) if ok else ())
    fields = {"rights": rights, "method": "written_notice", "penalty_kinds": ("suspend_business",)}
    return b, b.add("rights_notice", "2026-09-10 09:00", fields)  # type: ignore[arg-type]


def inquiry_content(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"interviewee": "王经理"}
    if ok:
        fields["content"] = "问：涉案商品从何处购进？答：……"
    return b, b.add("inquiry_record", "2026-09-02 10:00", fields)


def evidence_request(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields: dict[str, object] = {"evidence_items": ("进货单据",)}
    if ok:
        fields["document_number"] = "通市监调〔2026〕12号"
    return b, b.add("evidence_request", "2026-09-02 10:00", fields)  # type: ignore[arg-type]


def evidence_register(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    rid = b.add("evidence_request", "2026-09-02 10:00", {"document_number": "通市监调〔2026〕12号"})
    if ok:
        b.add("evidence_register", "2026-09-02 11:00", {"items": ("进货单据3张",)})
    b.add("closure", "2026-10-10 09:00", {"reason": "结案"})
    return b, rid


def site_inspection_record(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"location": "通化市东昌区新华大街1号"}
    if ok:
        fields["findings"] = "货架上摆放标有某注册商标的运动鞋42双"
    return b, b.add("site_inspection", "2026-09-02 10:00", fields)


def sampling_documents(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields: dict[str, object] = {"items": ("运动鞋2双",)}
    if ok:
        fields["notice_number"] = "通市监抽〔2026〕5号"
    return b, b.add("sampling", "2026-09-02 10:00", fields)  # type: ignore[arg-type]


def statement_record(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields: dict[str, object] = {"concerns": "decision"}
    if ok:
        fields["waived"] = True
    return b, b.add("statement_defense", "2026-09-12 10:00", fields)  # type: ignore[arg-type]


def statement_rights_notice(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    if ok:
        b.add(
            "rights_notice",
            "2026-09-10 09:00",
            {"rights": ("statement", "defense", "recusal"), "method": "written_notice"},
        )
    fields = {"concerns": "decision", "content": "初次违法，请求从轻"}
    return b, b.add("statement_defense", "2026-09-12 10:00", fields)


def hearing_record(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"notice_number": "通市监听〔2026〕2号"}
    if ok:
        fields["transcript"] = "听证笔录（全过程）"
    return b, b.add("hearing", "2026-09-15 09:00", fields)


def appraisal_opinion(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"institution": "某商标权利人", "subject": "涉案运动鞋真伪"}
    if ok:
        fields["opinion"] = "涉案商品系假冒注册商标的商品"
    return b, b.add("appraisal", "2026-09-05 09:00", fields)


def investigation_signatures(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    refusals = (refusal("party", "当事人拒绝在笔录上签字"),) if ok else ()
    rid = b.add(
        "inquiry_record",
        "2026-09-02 10:00",
        {"interviewee": "王经理"},
        signatures=(sig("officer", "张明"),),
        refusals=refusals,
    )
    return b, rid


def investigation_refusal_recorded(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"refusing_person": "王经理", "refused_act": "evidence"}
    if ok:
        fields["circumstances"] = "当事人拒绝提供进货单据"
    return b, b.add("refusal", "2026-09-02 10:00", fields)


def av_investigation(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    media = (video("2026-09-02 10:00"),) if ok else ()
    rid = b.add("site_inspection", "2026-09-02 10:00", {"location": "店内"}, media=media)
    return b, rid


def preservation_contents(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields: dict[str, object] = {"reason": "证据可能灭失", "object": "涉案运动鞋42双"}
    if ok:
        fields["form"] = ("register_preservation", "av")
    return b, b.add("evidence_preservation", "2026-09-02 11:00", fields)  # type: ignore[arg-type]


def compulsory_document(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(acts=("penalty", "compulsory"))
    fields = {"measure": "seize"}
    if ok:
        fields["decision_number"] = "通市监强〔2026〕3号"
    rid = b.add(
        "compulsory_measure", "2026-09-02 11:00", fields, media=(video("2026-09-02 11:00"),)
    )
    return b, rid


def compulsory_av(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(acts=("penalty", "compulsory"))
    rid = b.add(
        "compulsory_measure",
        "2026-09-02 11:00",
        {"measure": "seize", "decision_number": "通市监强〔2026〕3号"},
        media=(video("2026-09-02 11:00"),) if ok else (),
        av_exemption=None if ok else "现场光线不足",  # 第十五条 allows no exemption
    )
    return b, rid


# ------------------------------------------------------------------ arts. 16–22 decision


def decision_draft_contents(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {
        "drafter": "o1",
        "unit_reviewer": "rv1",
        "legal_basis": "《商标法》第六十条",
        "evidence": "现场检查笔录、询问笔录、鉴定意见",
    }
    if ok:
        fields["factors"] = "初次违法，主动配合调查"
    return b, b.add("decision_draft", "2026-09-15 09:00", fields)


def legal_review_contents(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"reviewer": "l1", "opinion": "事实清楚，适用法律正确"}
    if ok:
        fields["suggestions"] = "建议在决定书中补充裁量理由"
    return b, b.add("legal_review", "2026-09-16 09:00", fields)


def legal_review_before_major_decision(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(major=True)
    if ok:
        b.add("legal_review", "2026-09-16 09:00", {"reviewer": "l1", "opinion": "同意"})
    return b, b.add("decision", "2026-09-20 10:00", DECISION)


def expert_argument_record(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"form": "minutes", "experts": "李教授、陈工程师"}
    if ok:
        fields["content"] = "专家一致认为涉案产品不符合国家标准"
    return b, b.add("expert_argument", "2026-09-14 09:00", fields)


def collective_discussion_record(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"form": "discussion_record", "participants": "赵局长、王强、孙律"}
    if ok:
        fields["minutes"] = "与会人员一致同意给予罚款处罚"
    return b, b.add("collective_discussion", "2026-09-18 09:00", fields)


def head_approval_opinion(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"head": "h1"}
    if ok:
        fields["opinion"] = "同意"
    return b, b.add(
        "head_approval", "2026-09-19 09:00", fields, signatures=(sig("head", "赵局长"),)
    )


def head_approval_not_refused(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    b.add("head_approval", "2026-09-19 09:00", {"head": "h1", "approved": ok, "opinion": "意见"})
    return b, b.add("decision", "2026-09-20 10:00", dict(DECISION))


def head_approval_signature(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    signatures = (sig("head", "赵局长"),) if ok else (sig("reviewer", "王强"),)
    return b, b.add(
        "head_approval",
        "2026-09-19 09:00",
        {"head": "h1", "opinion": "同意"},
        signatures=signatures,
    )


def decision_reasons(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = dict(DECISION) if ok else {k: v for k, v in DECISION.items() if k != "reasons"}
    return b, b.add("decision", "2026-09-20 10:00", fields)


def simplified_contents(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(procedure="simplified")
    fields = {
        "factual_basis": "违法事实确凿",
        "legal_conditions": "对法人处以三千元以下罚款",
        "steps_documents": "出示证件、告知、听取陈述申辩、当场处罚决定书",
        "statement_record": "当事人陈述：初次违法",
    }
    if ok:
        fields["statement_review"] = "经复核，陈述不影响处罚，不予采纳"
    return b, b.add("simplified_procedure", "2026-09-02 10:00", fields)


def simplified_filing(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(procedure="simplified")
    # 002 第二十二条: 向所属法制机构备案 — filing only with the agency itself does not do.
    b.add("filing", "2026-09-03 09:00", {"filed_with": "legal_office" if ok else "agency"})
    b.add("closure", "2026-09-03 10:00", {"reason": "罚款已缴纳"})
    return b, None


def simplified_filing_content(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(procedure="simplified")
    fields = {"filed_with": "legal_office"}
    if ok:
        fields["content"] = "当场行政处罚决定书复印件"
    return b, b.add("filing", "2026-09-03 09:00", fields)


SIMPLIFIED = {
    "factual_basis": "违法事实确凿",
    "legal_conditions": "对公民处以二百元以下罚款",
    "steps_documents": "出示证件、告知、听取陈述申辩、当场处罚决定书",
    "statement_record": "无异议",
    "statement_review": "无需复核",
}


def simplified_collection_stated(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(procedure="simplified")
    fields: dict[str, object] = dict(SIMPLIFIED)
    if ok:
        fields["on_the_spot_collection"] = False
    return b, b.add("simplified_procedure", "2026-09-02 10:00", fields)  # type: ignore[arg-type]


def simplified_collection_record(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(procedure="simplified")
    fields: dict[str, object] = dict(SIMPLIFIED) | {
        "on_the_spot_collection": True,
        "on_the_spot_fine": "当事人当场缴纳罚款五十元",
        "collected_amount": Decimal("50.00"),
    }
    if ok:
        fields["collection_receipt"] = "吉财罚票No.0012345"
    return b, b.add("simplified_procedure", "2026-09-02 10:00", fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------ arts. 23–27 service


def service_direct(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    signatures = (sig("server", "张明"), sig("recipient", "王经理")) if ok else (sig("server"),)
    return b, b.add("service", "2026-09-21 10:00", {"method": "direct"}, signatures=signatures)


def service_mail_type(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {
        "method": "mail",
        "mail_type": "express" if ok else "ordinary",
        "mail_registration": "邮寄登记第88号",
        "postage_receipt": "EMS1234567890",
        "return_receipt": "回执已签收",
    }
    return b, b.add("service", "2026-09-21 10:00", fields)


def service_mail_proofs(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {
        "method": "mail",
        "mail_type": "registered",
        "mail_registration": "邮寄登记第88号",
        "postage_receipt": "挂号信XA123456789CN",
    }
    if ok:
        fields["return_receipt"] = "回执已签收"
    return b, b.add("service", "2026-09-21 10:00", fields)


def _lodging(
    ok_fields: bool = True, witness: bool = True, av: bool = True
) -> tuple[CaseBuilder, str]:
    b = case()
    fields = {"method": "lodging", "refusal_reason": "受送达人拒绝签收"}
    if ok_fields:
        fields["refusal_date"] = "2026-09-21"
    signatures = [sig("server", "张明")]
    if witness:
        signatures.append(sig("witness", "社区网格员刘某"))
    rid = b.add(
        "service",
        "2026-09-21 10:00",
        fields,
        signatures=signatures,
        media=(video("2026-09-21 10:00"),) if av else (),
    )
    return b, rid


def service_lodging_contents(ok: bool) -> tuple[CaseBuilder, str | None]:
    return _lodging(ok_fields=ok)


def service_lodging_signatures(ok: bool) -> tuple[CaseBuilder, str | None]:
    return _lodging(witness=ok)


def service_lodging_av(ok: bool) -> tuple[CaseBuilder, str | None]:
    return _lodging(av=ok)


def service_entrusted_reason(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"method": "entrusted"}
    if ok:
        fields["reason"] = "受送达人住所地在外地，委托当地市场监管所送达"
    signatures = (sig("server"), sig("recipient"))
    return b, b.add("service", "2026-09-21 10:00", fields, signatures=signatures)


def service_entrusted_signatures(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    signatures = (sig("server"), sig("recipient")) if ok else (sig("server"),)
    return b, b.add(
        "service",
        "2026-09-21 10:00",
        {"method": "forwarded", "reason": "受送达人正在服刑，经监所转交"},
        signatures=signatures,
    )


def _announcement(note: bool = True, kept: bool = True, av: bool = True) -> tuple[CaseBuilder, str]:
    b = case()
    fields: dict[str, object] = {
        "method": "announcement",
        "other_methods_failed": "直接送达、邮寄送达均因下落不明未能送达",
        "announcement_medium": "《通化日报》及本局门户网站",
        "announcement_kept": kept,
    }
    if note:
        fields["case_file_note"] = "公告送达的原因和经过已在案卷中记明"
    rid = b.add(
        "service",
        "2026-09-21 10:00",
        fields,  # type: ignore[arg-type]
        media=(video("2026-09-21 10:00", type="photo"),) if av else (),
    )
    return b, rid


def service_announcement_contents(ok: bool) -> tuple[CaseBuilder, str | None]:
    return _announcement(note=ok)


def service_announcement_kept(ok: bool) -> tuple[CaseBuilder, str | None]:
    return _announcement(kept=ok)


def service_announcement_av(ok: bool) -> tuple[CaseBuilder, str | None]:
    return _announcement(av=ok)


# ------------------------------------------------------------------ arts. 28–31 enforcement


def performance_recorded(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    rid = b.add("decision", "2026-09-20 10:00", DECISION)
    if ok:
        b.add("performance", "2026-10-08 09:00", {"status": "performed"})
    b.add("closure", "2026-10-09 09:00", {"reason": "履行完毕"})
    return b, rid


def rectification_checked(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    rid = b.add("decision", "2026-09-20 10:00", DECISION | {"rectification_ordered": True})
    if ok:
        b.add("rectification_check", "2026-10-08 09:00", {"result": "rectified"})
    b.add("closure", "2026-10-09 09:00", {"reason": "履行完毕"})
    return b, rid


def enforcement_urge_first(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    if ok:
        b.add("urge_notice", "2026-10-10 09:00", {"document_number": "通市监催〔2026〕12号"})
    b.add("service", "2026-10-10 10:00", {"method": "direct", "document_kind": "urge_notice"})
    rid = b.add("court_enforcement", "2026-10-25 09:00", {"court": "东昌区人民法院"})
    return b, rid


def enforcement_urge_served(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    b.add("urge_notice", "2026-10-10 09:00", {"document_number": "通市监催〔2026〕12号"})
    b.add(
        "service",
        "2026-10-10 10:00",
        {"method": "direct", "document_kind": "urge_notice" if ok else "decision"},
    )
    rid = b.add("court_enforcement", "2026-10-25 09:00", {"court": "东昌区人民法院"})
    return b, rid


def enforcement_urge_statement_review(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"concerns": "urge_notice", "content": "当事人称经营困难，申请分期缴纳"}
    if ok:
        fields["review_opinion"] = "经复核，理由不成立，不予采纳"
    return b, b.add("statement_defense", "2026-10-12 09:00", fields)


def enforcement_document(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"method": "surcharge"}
    if ok:
        fields["decision_number"] = "通市监强执〔2026〕1号"
    return b, b.add("enforcement", "2026-10-25 09:00", fields)


def enforcement_av_remove_obstruction(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    rid = b.add(
        "enforcement",
        "2026-10-25 09:00",
        {"method": "remove_obstruction", "decision_number": "通市监强执〔2026〕1号"},
        media=(video("2026-10-25 09:00"),) if ok else (),
        av_exemption=None if ok else "现场不便录像",  # 第三十条 allows no exemption
    )
    return b, rid


def enforcement_court_application(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"application_document": "强制执行申请书"}
    if ok:
        fields["court"] = "通化市东昌区人民法院"
    return b, b.add("court_enforcement", "2026-10-25 09:00", fields)


def enforcement_court_result(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"application_document": "强制执行申请书", "court": "通化市东昌区人民法院"}
    if ok:
        fields["result"] = "法院裁定准予强制执行"
    rid = b.add("court_enforcement", "2026-10-25 09:00", fields)
    b.add("closure", "2026-11-10 09:00", {"reason": "法院已受理强制执行"})
    return b, rid


# ------------------------------------------------------------------ arts. 32–34 records


def archive_within_30_days(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    rid = b.add("closure", "2026-10-01 10:00", {"reason": "履行完毕"})
    # The 30th day after 2026-10-01 is Sat 2026-10-31, a rest day: the period ends on Mon
    # 2026-11-02, the next working day (民法典 第二百零三条; pack policy extend_over_holidays).
    b.add("case_file", "2026-10-31 17:00" if ok else "2026-11-03 09:00", {"archivist": "a1"})
    return b, rid


def av_ingest_24h(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    ingested = "2026-09-03 09:59" if ok else "2026-09-03 10:01"
    rid = b.add(
        "site_inspection",
        "2026-09-02 10:00",
        {"location": "店内", "findings": "发现涉案商品"},
        media=(video("2026-09-02 10:00", ingested),),
    )
    return b, rid


def archive_archivist(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = {"volume_number": "2026-罚-12"}
    if ok:
        fields["archivist"] = "a1"
    return b, b.add("case_file", "2026-10-10 09:00", fields)


def archive_designated_archivist(ok: bool) -> tuple[CaseBuilder, str | None]:
    # a1 is titled 档案管理员 in every case; only the designation (role) makes the archivist.
    roles = STAFF_ROLES if ok else {k: v for k, v in STAFF_ROLES.items() if k != "a1"}
    b = StaffCaseBuilder(roles)
    return b, b.add("case_file", "2026-10-10 09:00", {"archivist": "a1", "volume_number": "12"})


def copy_head_consent(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields: dict[str, object] = {"scope": "现场检查笔录", "head": "h1"}
    if ok:
        fields["approved"] = False  # a refusal is recorded as the head's decision too
    rid = b.add("copy_request", "2026-10-20 09:00", fields)  # type: ignore[arg-type]
    b.add("closure", "2026-10-25 09:00", {"reason": "结案"})
    return b, rid


def copy_provided_with_consent(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields: dict[str, object] = {
        "scope": "现场检查笔录",
        "head": "h1",
        "approved": ok,
        "secrets_excluded": True,
        "provided": True,
    }
    return b, b.add("copy_request", "2026-10-20 09:00", fields)  # type: ignore[arg-type]


def copy_secrets_excluded(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields: dict[str, object] = {
        "scope": "现场检查笔录及音像资料",
        "head": "h1",
        "approved": True,
        "secrets_excluded": ok,
        "provided": True,
    }
    return b, b.add("copy_request", "2026-10-20 09:00", fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------ art. 38 internal approval


def internal_approval_before_decision(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case(procedure="general")
    if ok:
        b.add("internal_approval", "2026-09-19 09:00", CHAIN)
    return b, b.add("decision", "2026-09-20 16:00", DECISION)


def internal_chain(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = dict(CHAIN)
    if not ok:  # the approver signs before the reviewer has reviewed
        fields["approved_at"] = t("2026-09-20 09:30")
    return b, b.add("internal_approval", "2026-09-19 09:00", fields)


def internal_handler_reason(ok: bool) -> tuple[CaseBuilder, str | None]:
    b = case()
    fields = dict(CHAIN) if ok else {k: v for k, v in CHAIN.items() if k != "handler_reason"}
    return b, b.add("internal_approval", "2026-09-19 09:00", fields)


SCENARIOS = (
    Scenario("market.scope.acts", 2, scope_acts),
    Scenario("market.application.registered", 7, application_registered),
    Scenario("market.application.contents", 7, application_contents),
    Scenario("market.application.receipt", 7, application_receipt),
    Scenario("market.application.one_time_notice", 7, application_one_time_notice),
    Scenario("market.start.approval_before_investigation", 8, start_approval_before_investigation),
    Scenario("market.start.emergency_recorded", 8, start_emergency_recorded),
    Scenario("market.start.emergency_report_24h", 8, start_emergency_report_24h),
    Scenario("market.start.approval_form_contents", 8, start_approval_form_contents),
    Scenario("market.start.major_legality_review", 8, start_major_legality_review),
    Scenario("market.complaint.recorded", 9, complaint_recorded),
    Scenario("market.complaint.real_name_reply", 9, complaint_real_name_reply),
    Scenario("market.investigation.officers", 10, investigation_officers),
    Scenario("market.rights.notified_before_decision", 11, rights_notified_before_decision),
    Scenario("market.rights.method", 11, rights_method),
    Scenario("market.rights.content", 11, rights_content),
    Scenario("market.rights.hearing", 11, rights_hearing),
    Scenario("market.investigation.inquiry_content", 12, inquiry_content),
    Scenario("market.investigation.evidence_request", 12, evidence_request),
    Scenario("market.investigation.evidence_register", 12, evidence_register),
    Scenario("market.investigation.site_inspection_record", 12, site_inspection_record),
    Scenario("market.investigation.sampling_documents", 12, sampling_documents),
    Scenario("market.investigation.statement_record", 12, statement_record),
    Scenario("market.investigation.statement_rights_notice", 12, statement_rights_notice),
    Scenario("market.investigation.hearing_record", 12, hearing_record),
    Scenario("market.investigation.appraisal_opinion", 12, appraisal_opinion),
    Scenario("market.investigation.signatures", 12, investigation_signatures),
    Scenario("market.investigation.refusal_recorded", 12, investigation_refusal_recorded),
    Scenario("market.av.investigation", 13, av_investigation),
    Scenario("market.preservation.contents", 14, preservation_contents),
    Scenario("market.compulsory.document", 15, compulsory_document),
    Scenario("market.compulsory.av", 15, compulsory_av),
    Scenario("market.decision.draft_contents", 16, decision_draft_contents),
    Scenario("market.legal_review.contents", 17, legal_review_contents),
    Scenario("market.legal_review.before_major_decision", 17, legal_review_before_major_decision),
    Scenario("market.expert_argument.record", 18, expert_argument_record),
    Scenario("market.collective_discussion.record", 19, collective_discussion_record),
    Scenario("market.head_approval.opinion", 20, head_approval_opinion),
    Scenario("market.head_approval.not_refused", 20, head_approval_not_refused),
    Scenario("market.head_approval.signature", 20, head_approval_signature),
    Scenario("market.decision.reasons", 21, decision_reasons),
    Scenario("market.simplified.contents", 22, simplified_contents),
    Scenario("market.simplified.filing", 22, simplified_filing),
    Scenario("market.simplified.filing_content", 22, simplified_filing_content),
    Scenario("market.simplified.collection_stated", 22, simplified_collection_stated),
    Scenario("market.simplified.collection_record", 22, simplified_collection_record),
    Scenario("market.service.direct", 23, service_direct),
    Scenario("market.service.mail_type", 24, service_mail_type),
    Scenario("market.service.mail_proofs", 24, service_mail_proofs),
    Scenario("market.service.lodging_contents", 25, service_lodging_contents),
    Scenario("market.service.lodging_signatures", 25, service_lodging_signatures),
    Scenario("market.service.lodging_av", 25, service_lodging_av),
    Scenario("market.service.entrusted_reason", 26, service_entrusted_reason),
    Scenario("market.service.entrusted_signatures", 26, service_entrusted_signatures),
    Scenario("market.service.announcement_contents", 27, service_announcement_contents),
    Scenario("market.service.announcement_kept", 27, service_announcement_kept),
    Scenario("market.service.announcement_av", 27, service_announcement_av),
    Scenario("market.performance.recorded", 28, performance_recorded),
    Scenario("market.rectification.checked", 28, rectification_checked),
    Scenario("market.enforcement.urge_first", 29, enforcement_urge_first),
    Scenario("market.enforcement.urge_served", 29, enforcement_urge_served),
    Scenario("market.enforcement.urge_statement_review", 29, enforcement_urge_statement_review),
    Scenario("market.enforcement.document", 30, enforcement_document),
    Scenario("market.enforcement.av_remove_obstruction", 30, enforcement_av_remove_obstruction),
    Scenario("market.enforcement.court_application", 31, enforcement_court_application),
    Scenario("market.enforcement.court_result", 31, enforcement_court_result),
    Scenario("market.archive.within_30_days", 32, archive_within_30_days),
    Scenario("market.av.ingest_24h", 32, av_ingest_24h),
    Scenario("market.archive.archivist", 33, archive_archivist),
    Scenario("market.archive.designated_archivist", 33, archive_designated_archivist),
    Scenario("market.copy.head_consent", 34, copy_head_consent),
    Scenario("market.copy.provided_with_consent", 34, copy_provided_with_consent),
    Scenario("market.copy.secrets_excluded", 34, copy_secrets_excluded),
    Scenario("market.internal.approval_before_decision", 38, internal_approval_before_decision),
    Scenario("market.internal.chain", 38, internal_chain),
    Scenario("market.internal.handler_reason", 38, internal_handler_reason),
)


def test_every_rule_of_the_pack_has_exactly_one_scenario_with_its_article() -> None:
    pack = load_pack(AGENCY)
    assert pack.regulation == REGULATION
    assert [s.rule for s in SCENARIOS] == [r.id for r in pack.rules]
    assert len(SCENARIOS) == 76
    for s in SCENARIOS:
        assert pack.rule(s.rule).citation.article == s.article, s.rule


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_violating_scenario_fires_the_rule_citing_its_article_and_record(
    scenario: Scenario,
) -> None:
    builder, record = scenario.build(False)
    findings = fired(builder.evaluate(scenario.at), scenario.rule)
    assert findings, f"{scenario.rule} did not fire"
    assert {f.article for f in findings} == {scenario.article}
    assert {f.regulation for f in findings} == {REGULATION}
    assert {f.record for f in findings} == {record}
    expected = load_pack(AGENCY).rule(scenario.rule).severity
    assert {f.severity for f in findings} == {expected}
    assert all(f.message for f in findings)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_compliant_scenario_does_not_fire_the_rule(scenario: Scenario) -> None:
    builder, _ = scenario.build(True)
    evaluation = builder.evaluate(scenario.at)
    assert evaluation.pack.agency == AGENCY
    assert fired(evaluation, scenario.rule) == []


# ------------------------------------------------------------------ deadlines and pending acts


def test_emergency_start_reported_after_30_hours_violates_art_8_24_hour_limit() -> None:
    b = case(origin="emergency")
    start = b.add("emergency_start", "2026-09-01 21:00", {"reason": "证据可能灭失"})
    b.add("initiation_approval", "2026-09-03 03:00", APPROVAL)
    [finding] = fired(b.evaluate(), "market.start.emergency_report_24h")
    assert (finding.article, finding.record) == (8, start)
    assert "24小时" in finding.message
    assert "2026-09-02 21:00" in finding.message


def test_emergency_report_at_exactly_24_hours_is_on_time() -> None:
    b = case(origin="emergency")
    b.add("emergency_start", "2026-09-01 21:00", {"reason": "证据可能灭失"})
    b.add("initiation_approval", "2026-09-02 21:00", APPROVAL)
    assert fired(b.evaluate(), "market.start.emergency_report_24h") == []


def test_emergency_report_within_two_days_but_after_24_hours_still_violates() -> None:
    """004 allows 2日; 002 第八条 says 24小时."""
    b = case(origin="emergency")
    b.add("emergency_start", "2026-09-01 21:00", {"reason": "证据可能灭失"})
    b.add("initiation_approval", "2026-09-02 21:01", APPROVAL)
    assert [f.article for f in fired(b.evaluate(), "market.start.emergency_report_24h")] == [8]


def test_emergency_report_not_yet_due_is_pending_with_the_24_hour_deadline() -> None:
    b = case(origin="emergency")
    start = b.add("emergency_start", "2026-09-01 21:00", {"reason": "证据可能灭失"})
    evaluation = b.evaluate("2026-09-02 08:00")
    assert fired(evaluation, "market.start.emergency_report_24h") == []
    [pending] = required(evaluation, "market.start.emergency_report_24h")
    assert (pending.after, pending.due, pending.article) == (start, t("2026-09-02 21:00"), 8)


def test_missing_emergency_report_violates_once_24_hours_have_passed() -> None:
    b = case(origin="emergency")
    start = b.add("emergency_start", "2026-09-01 21:00", {"reason": "证据可能灭失"})
    [finding] = fired(b.evaluate("2026-09-02 21:01"), "market.start.emergency_report_24h")
    assert (finding.article, finding.record) == (8, start)
    assert "至今未见" in finding.message


def test_case_file_due_30_calendar_days_after_closure_is_pending_until_then() -> None:
    b = case()
    closure = b.add("closure", "2026-10-01 10:00", {"reason": "履行完毕"})
    # The 30th day, Sat 2026-10-31, is a rest day: the period ends on Mon 2026-11-02, the
    # next working day (民法典 第二百零三条; pack policy extend_over_holidays).
    pending = required(b.evaluate("2026-11-02 23:00"), "market.archive.within_30_days")
    assert [(p.after, p.due) for p in pending] == [(closure, t("2026-11-02 23:59:59.999999"))]
    [finding] = fired(b.evaluate("2026-11-03 00:00"), "market.archive.within_30_days")
    assert (finding.article, finding.record) == (32, closure)


def test_case_file_archived_45_days_after_closure_violates_art_32() -> None:
    b = case()
    closure = b.add("closure", "2026-07-25 10:00", {"reason": "履行完毕"})
    b.add("case_file", "2026-09-08 10:00", {"archivist": "a1"})
    [finding] = fired(b.evaluate(), "market.archive.within_30_days")
    assert (finding.article, finding.record) == (32, closure)
    assert "30日" in finding.message


def test_video_ingested_three_days_after_capture_violates_art_32_24_hour_rule() -> None:
    b = case()
    rid = b.add(
        "inquiry_record",
        "2026-06-10 23:00",
        media=(video("2026-06-10 23:00", "2026-06-13 23:30", filename="询问录像.mp4"),),
    )
    [finding] = fired(b.evaluate(), "market.av.ingest_24h")
    assert (finding.article, finding.record) == (32, rid)
    assert "询问录像.mp4" in finding.message


def test_video_ingested_within_two_working_days_but_after_24_hours_still_violates() -> None:
    """004 第十四条 allows 2个工作日; 002 第三十二条 says 24小时."""
    b = case()
    # Friday 2026-09-04 16:00 → Monday 09:00: one working day, but 65 hours.
    rid = b.add(
        "site_inspection",
        "2026-09-04 16:00",
        {"location": "店内", "findings": "发现涉案商品"},
        media=(video("2026-09-04 16:00", "2026-09-07 09:00"),),
    )
    assert [(f.article, f.record) for f in fired(b.evaluate(), "market.av.ingest_24h")] == [
        (32, rid)
    ]


def test_every_media_file_of_every_record_kind_is_checked_for_ingest() -> None:
    b = case()
    rid = b.add(
        "service",
        "2026-09-21 10:00",
        {"method": "lodging", "refusal_reason": "拒收", "refusal_date": "2026-09-21"},
        signatures=(sig("server"), sig("witness")),
        media=(
            video("2026-09-21 10:00", "2026-09-21 12:00", id="m-ok"),
            video("2026-09-21 10:05", "2026-09-23 10:00", id="m-late"),
        ),
    )
    [finding] = fired(b.evaluate(), "market.av.ingest_24h")
    assert finding.record == rid
    assert "m-late" in finding.message
    assert fired(b.evaluate(), "market.service.lodging_av") == []


def test_real_name_complaint_not_taken_up_awaits_reply_until_closure() -> None:
    b = case(origin="complaint")
    rid = b.add("complaint", "2026-09-01 09:00", {"real_name": True, "taken_up": False})
    evaluation = b.evaluate("2026-09-03 09:00")
    assert fired(evaluation, "market.complaint.real_name_reply") == []
    assert [p.after for p in required(evaluation, "market.complaint.real_name_reply")] == [rid]


def test_anonymous_complaint_not_taken_up_needs_no_reply() -> None:
    b = case(origin="complaint")
    b.add("complaint", "2026-09-01 09:00", {"real_name": False, "taken_up": False})
    b.add("closure", "2026-09-06 09:00", {"reason": "不予立案"})
    assert fired(b.evaluate(), "market.complaint.real_name_reply") == []


def test_performance_is_pending_while_the_case_is_open() -> None:
    b = case()
    rid = b.add("decision", "2026-09-20 10:00", DECISION)
    evaluation = b.evaluate("2026-09-25 10:00")
    assert fired(evaluation, "market.performance.recorded") == []
    assert [p.after for p in required(evaluation, "market.performance.recorded")] == [rid]


# ------------------------------------------------------------------ initiation (art. 8)


def test_every_investigation_act_before_start_approval_violates_art_8() -> None:
    # Formerly judged only the first act (scope "first"). Each act done without approval is
    # unapproved, and only a per-act judgement catches acts after a refused approval (item 3).
    b = case()
    first = b.add("site_inspection", "2026-09-01 08:00", {"location": "店内"})
    second = b.add("inquiry_record", "2026-09-01 08:30", {"interviewee": "王经理"})
    b.add("initiation_approval", "2026-09-01 09:00", APPROVAL)
    after = b.add("sampling", "2026-09-01 10:00", {"notice_number": "通市监抽〔2026〕5号"})
    findings = fired(b.evaluate(), "market.start.approval_before_investigation")
    assert [(f.article, f.record) for f in findings] == [(8, first), (8, second)]
    assert after not in {f.record for f in findings}


def test_start_approval_is_not_required_before_investigation_in_a_simplified_case() -> None:
    b = case(procedure="simplified")
    b.add("site_inspection", "2026-09-01 08:00", {"location": "店内"})
    assert fired(b.evaluate(), "market.start.approval_before_investigation") == []


def test_legality_review_opinion_is_not_required_on_the_approval_of_a_non_major_case() -> None:
    b = case(major=False)
    b.add("initiation_approval", "2026-09-01 09:00", APPROVAL)
    assert fired(b.evaluate(), "market.start.major_legality_review") == []


# ------------------------------------------------------------------ investigation


def test_officer_without_certificate_number_violates_art_10() -> None:
    b = case()
    rid = b.add(
        "site_inspection",
        "2026-09-02 10:00",
        officers=(OfficerPresence("o1", True), OfficerPresence("h1", True)),
    )
    [finding] = fired(b.evaluate(), "market.investigation.officers")
    assert (finding.article, finding.record) == (10, rid)
    assert "赵局长未记载执法证件编号" in finding.message


def test_investigation_record_without_any_officer_violates_art_10() -> None:
    b = case()
    rid = b.add("inquiry_record", "2026-09-02 10:00", officers=())
    [finding] = fired(b.evaluate(), "market.investigation.officers")
    assert (finding.article, finding.record) == (10, rid)


def test_party_refusal_to_sign_replaces_the_party_signature_but_officers_must_sign() -> None:
    b = case()
    refused = b.add(
        "site_inspection",
        "2026-09-02 10:00",
        signatures=(sig("officer", "张明"),),
        refusals=(refusal("party"),),
    )
    unsigned = b.add(
        "inquiry_record",
        "2026-09-02 11:00",
        signatures=(sig("party", "王经理"),),
        refusals=(refusal("officer", "执法人员拒签"),),
    )
    findings = fired(b.evaluate(), "market.investigation.signatures")
    assert [(f.article, f.record) for f in findings] == [(12, unsigned)]
    assert refused not in {f.record for f in findings}
    assert "执法人员的签名" in findings[0].message


def test_present_person_signature_satisfies_the_party_group_of_art_12() -> None:
    b = case()
    b.add(
        "sampling",
        "2026-09-02 10:00",
        signatures=(sig("officer"), sig("present_person", "店员")),
    )
    assert fired(b.evaluate(), "market.investigation.signatures") == []


@pytest.mark.parametrize("kind", ["site_inspection", "sampling", "hearing"])
def test_site_inspection_sampling_and_hearing_without_av_violate_art_13(kind: str) -> None:
    b = case()
    rid = b.add(kind, "2026-09-02 10:00")
    [finding] = fired(b.evaluate(), "market.av.investigation")
    assert (finding.article, finding.record) == (13, rid)
    assert "不适宜音像记录的理由" in finding.message


def test_av_exemption_with_a_reason_satisfies_art_13_but_a_blank_reason_does_not() -> None:
    b = case()
    b.add("site_inspection", "2026-09-02 10:00", av_exemption="涉及国家秘密，不适宜音像记录")
    blank = b.add("sampling", "2026-09-02 11:00", av_exemption="   ")
    findings = fired(b.evaluate(), "market.av.investigation")
    assert [(f.article, f.record) for f in findings] == [(13, blank)]


@pytest.mark.parametrize("kind", ["inquiry_record", "evidence_request", "evidence_register"])
def test_other_investigation_methods_need_no_av_under_art_13(kind: str) -> None:
    """第十三条: 采取其他调查取证方式的，可根据执法需要进行音像记录 — optional."""
    b = case()
    b.add(kind, "2026-09-02 10:00")
    assert fired(b.evaluate(), "market.av.investigation") == []


@pytest.mark.parametrize("measure", ["seal", "seize", "restrict_liberty"])
def test_seal_seize_and_restriction_of_liberty_without_video_violate_art_15(measure: str) -> None:
    b = case(acts=("compulsory",))
    rid = b.add(
        "compulsory_measure",
        "2026-09-02 10:00",
        {"measure": measure, "decision_number": "通市监强〔2026〕3号"},
        av_exemption="当事人不同意录像",
    )
    [finding] = fired(b.evaluate(), "market.compulsory.av")
    assert (finding.article, finding.record) == (15, rid)


def test_freezing_deposits_needs_a_document_but_no_av_under_art_15() -> None:
    b = case(acts=("compulsory",))
    b.add(
        "compulsory_measure",
        "2026-09-02 10:00",
        {"measure": "freeze", "decision_number": "通市监强〔2026〕4号"},
    )
    evaluation = b.evaluate()
    assert fired(evaluation, "market.compulsory.av") == []
    assert fired(evaluation, "market.compulsory.document") == []


# ------------------------------------------------------------- differences from 000/001/003/004


def test_rights_notice_need_not_name_reconsideration_or_litigation_unlike_003() -> None:
    b = case()
    b.add(
        "rights_notice",
        "2026-09-10 09:00",
        {"rights": ("statement", "defense", "recusal"), "method": "written_notice"},
    )
    assert fired(b.evaluate(), "market.rights.content") == []


def test_rights_notice_without_recusal_violates_art_11_unlike_004() -> None:
    """004 第八条 names only 陈述、申辩; 002 第十一条 adds 申请回避 (and 听证, where it exists).

    This test used to demand 听证 in every notice: legally wrong, since the hearing right exists
    only under 行政处罚法 第六十三条 (market.rights.hearing judges it).
    """
    b = case()
    rid = b.add(
        "rights_notice", "2026-09-10 09:00", {"rights": ("statement", "defense"), "method": "oral"}
    )
    [finding] = fired(b.evaluate(), "market.rights.content")
    assert (finding.article, finding.record) == (11, rid)
    assert "申请回避" in finding.message
    assert "听证" not in finding.message


def test_simplified_filing_with_the_agency_instead_of_the_legal_office_violates_art_22() -> None:
    """000 第二十一条 files with the agency; 002 第二十二条 with 所属法制机构."""
    b = case(procedure="simplified")
    b.add("filing", "2026-09-03 09:00", {"filed_with": "agency"})
    b.add("closure", "2026-09-03 10:00", {"reason": "罚款已缴纳"})
    [finding] = fired(b.evaluate(), "market.simplified.filing")
    assert (finding.article, finding.record) == (22, None)


def test_simplified_filing_is_pending_while_the_case_is_open() -> None:
    b = case(procedure="simplified")
    b.add("simplified_procedure", "2026-09-02 10:00")
    evaluation = b.evaluate("2026-09-02 12:00")
    assert fired(evaluation, "market.simplified.filing") == []
    assert [p.article for p in required(evaluation, "market.simplified.filing")] == [22]


def test_dispute_prone_simplified_procedure_needs_no_av_unlike_000() -> None:
    """002 第二十二条 has no AV clause for the simplified procedure."""
    b = case(procedure="simplified")
    b.add(
        "simplified_procedure",
        "2026-09-02 10:00",
        {
            "factual_basis": "违法事实确凿",
            "legal_conditions": "对法人处以三千元以下罚款",
            "steps_documents": "当场处罚决定书",
            "statement_record": "无异议",
            "statement_review": "无需复核",
            "dispute_prone": True,
            # 第二十二条 (六): whether a fine was collected on the spot is now recorded too.
            "on_the_spot_collection": False,
        },
    )
    b.add("filing", "2026-09-03 09:00", {"filed_with": "legal_office", "content": "决定书复印件"})
    evaluation = b.evaluate("2026-09-03 12:00")
    assert evaluation.violations == ()


def test_media_without_labels_is_no_finding_since_labelling_is_004_only() -> None:
    b = case()
    b.add(
        "site_inspection",
        "2026-09-02 10:00",
        {"location": "店内", "findings": "发现涉案商品"},
        signatures=OFFICER_AND_PARTY,
        media=(video("2026-09-02 10:00"),),
    )
    b.add("initiation_approval", "2026-09-01 09:00", APPROVAL)
    assert b.evaluate().violations == ()


@pytest.mark.parametrize("acts", [("levy",), ("fee",), ("inspection",), ("license", "compulsory")])
def test_levy_fee_inspection_licence_and_compulsion_are_covered_by_art_2(
    acts: tuple[str, ...],
) -> None:
    assert fired(case(acts=acts).evaluate(), "market.scope.acts") == []


def test_administrative_confirmation_is_outside_art_2_and_only_warns() -> None:
    [finding] = fired(case(acts=("confirmation",)).evaluate(), "market.scope.acts")
    assert (finding.article, finding.severity, finding.record) == (2, Severity.WARNING, None)
    assert "行政确认" in finding.message


def test_evidence_preservation_is_recorded_in_002_unlike_003_and_004() -> None:
    b = case()
    rid = b.add("evidence_preservation", "2026-09-02 11:00", {"reason": "证据可能灭失"})
    [finding] = fired(b.evaluate(), "market.preservation.contents")
    assert (finding.article, finding.record) == (14, rid)
    assert "证据保全的具体标的" in finding.message


# ------------------------------------------------------------------ service


def test_lodging_service_without_witness_signature_violates_art_25() -> None:
    b, rid = _lodging(witness=False)
    [finding] = fired(b.evaluate(), "market.service.lodging_signatures")
    assert (finding.article, finding.record) == (25, rid)
    assert "见证人" in finding.message


def test_witness_refusal_does_not_replace_the_witness_signature_in_lodging_service() -> None:
    b = case()
    rid = b.add(
        "service",
        "2026-09-21 10:00",
        {"method": "lodging", "refusal_reason": "拒收", "refusal_date": "2026-09-21"},
        signatures=(sig("server"),),
        refusals=(refusal("witness", "见证人不愿签字"),),
        media=(video("2026-09-21 10:00"),),
    )
    [finding] = fired(b.evaluate(), "market.service.lodging_signatures")
    assert (finding.article, finding.record) == (25, rid)


def test_lodging_service_av_may_be_replaced_by_a_recorded_reason() -> None:
    b = case()
    b.add(
        "service",
        "2026-09-21 10:00",
        {"method": "lodging", "refusal_reason": "拒收", "refusal_date": "2026-09-21"},
        signatures=(sig("server"), sig("witness")),
        av_exemption="执法记录仪故障，已由两名见证人在场见证",
    )
    assert fired(b.evaluate(), "market.service.lodging_av") == []


def test_direct_service_refused_by_the_recipient_is_not_completed_under_art_23() -> None:
    b = case()
    rid = b.add(
        "service",
        "2026-09-21 10:00",
        {"method": "direct"},
        signatures=(sig("server"),),
        refusals=(refusal("recipient", "拒收"),),
    )
    [finding] = fired(b.evaluate(), "market.service.direct")
    assert (finding.article, finding.record) == (23, rid)


def test_direct_service_signed_by_a_qualified_signatory_satisfies_art_23() -> None:
    b = case()
    b.add(
        "service",
        "2026-09-21 10:00",
        {"method": "direct"},
        signatures=(sig("server"), sig("signatory", "同住成年家属")),
    )
    assert fired(b.evaluate(), "market.service.direct") == []


def test_electronic_service_has_no_rule_in_002() -> None:
    """Fax/e-mail service is regulated by 004 only; 002 sets no requirement for it."""
    b = case()
    b.add("service", "2026-09-21 10:00", {"method": "electronic"})
    assert [f for f in b.evaluate().findings if f.rule.startswith("market.service.")] == []


# ------------------------------------------------------------------ decision and enforcement


def test_legal_review_after_the_major_decision_does_not_count() -> None:
    b = case(major=True)
    rid = b.add("decision", "2026-09-20 10:00", DECISION)
    b.add("legal_review", "2026-09-21 09:00", {"reviewer": "l1", "opinion": "同意"})
    [finding] = fired(b.evaluate(), "market.legal_review.before_major_decision")
    assert (finding.article, finding.record) == (17, rid)


def test_non_major_decision_needs_no_prior_legal_review() -> None:
    b = case(major=False)
    b.add("decision", "2026-09-20 10:00", DECISION)
    assert fired(b.evaluate(), "market.legal_review.before_major_decision") == []


def test_simplified_decision_needs_neither_rights_notice_nor_internal_approval() -> None:
    b = case(procedure="simplified")
    b.add("decision", "2026-09-02 10:20", DECISION)
    evaluation = b.evaluate()
    assert fired(evaluation, "market.rights.notified_before_decision") == []
    assert fired(evaluation, "market.internal.approval_before_decision") == []


def test_internal_approval_with_the_same_person_reviewing_and_approving_violates_art_38() -> None:
    b = case()
    rid = b.add("internal_approval", "2026-09-19 09:00", CHAIN | {"approver": "rv1"})
    [finding] = fired(b.evaluate(), "market.internal.chain")
    assert (finding.article, finding.record) == (38, rid)
    assert "同一人" in finding.message


def test_enforcement_without_urge_notice_violates_art_29_twice() -> None:
    """Neither the 催告书 nor its service precedes the enforcement decision."""
    b = case()
    rid = b.add(
        "enforcement",
        "2026-10-25 09:00",
        {"method": "surcharge", "decision_number": "通市监强执〔2026〕1号"},
    )
    evaluation = b.evaluate()
    assert [(f.article, f.record) for f in fired(evaluation, "market.enforcement.urge_first")] == [
        (29, rid)
    ]
    assert [(f.article, f.record) for f in fired(evaluation, "market.enforcement.urge_served")] == [
        (29, rid)
    ]


def test_urge_notice_made_after_the_court_application_does_not_count() -> None:
    b = case()
    rid = b.add("court_enforcement", "2026-10-25 09:00", {"court": "东昌区人民法院"})
    b.add("urge_notice", "2026-10-26 09:00", {"document_number": "通市监催〔2026〕12号"})
    [finding] = fired(b.evaluate(), "market.enforcement.urge_first")
    assert (finding.article, finding.record) == (29, rid)


def test_statement_on_the_decision_needs_no_urge_review_opinion() -> None:
    b = case()
    b.add("statement_defense", "2026-09-12 10:00", {"concerns": "decision", "content": "无异议"})
    assert fired(b.evaluate(), "market.enforcement.urge_statement_review") == []


@pytest.mark.parametrize("method", ["surcharge", "transfer", "auction", "substitute", "other"])
def test_only_removal_of_obstruction_needs_av_among_enforcement_methods(method: str) -> None:
    b = case()
    b.add("enforcement", "2026-10-25 09:00", {"method": method, "decision_number": "X"})
    assert fired(b.evaluate(), "market.enforcement.av_remove_obstruction") == []


def test_court_enforcement_result_added_by_correction_keeps_the_application() -> None:
    b = case()
    b.add("urge_notice", "2026-10-10 09:00", {"document_number": "通市监催〔2026〕12号"})
    b.add("service", "2026-10-10 10:00", {"method": "direct", "document_kind": "urge_notice"})
    first = b.add("court_enforcement", "2026-10-25 09:00", {"application_document": "申请书"})
    b.add(
        "court_enforcement",
        "2026-10-25 09:00",
        {"application_document": "申请书", "court": "通化市东昌区人民法院", "result": "准予执行"},
        corrects=(first, "补记受理法院及执行结果"),
        recorded_at="2026-11-05 10:00",
    )
    assert [
        f.record
        for f in fired(b.evaluate("2026-11-01 09:00"), "market.enforcement.court_application")
    ] == [first]
    assert fired(b.evaluate(), "market.enforcement.court_application") == []
    assert fired(b.evaluate(), "market.enforcement.urge_first") == []


# ------------------------------------------------------------------ the example case files


def _evaluate_example(name: str) -> Evaluation:
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    parsed = parse_case(data)
    assert parsed.agency == AGENCY
    return evaluate(parsed, at=t(AT))


@pytest.mark.parametrize("name", ["compliant-ex-officio-penalty.json", "compliant-simplified.json"])
def test_compliant_example_has_no_violation_and_no_warning(name: str) -> None:
    evaluation = _evaluate_example(name)
    assert evaluation.case.records
    assert evaluation.violations == ()
    assert evaluation.warnings == ()
    assert [r.rule for r in evaluation.required] == []


def test_compliant_ex_officio_example_walks_every_stage_of_a_major_case() -> None:
    evaluation = _evaluate_example("compliant-ex-officio-penalty.json")
    case_ = evaluation.case
    kinds = [r.kind for r in case_.effective_records()]
    assert case_.major
    assert (case_.origin, case_.procedure) == ("ex_officio", "general")
    for kind in (
        "initiation_approval",
        "site_inspection",
        "inquiry_record",
        "evidence_register",
        "rights_notice",
        "statement_defense",
        "decision_draft",
        "legal_review",
        "collective_discussion",
        "internal_approval",
        "head_approval",
        "decision",
        "service",
        "performance",
        "urge_notice",
        "court_enforcement",
        "closure",
        "case_file",
    ):
        assert kind in kinds, kind
    assert kinds.index("legal_review") < kinds.index("decision")
    assert kinds[-2:] == ["closure", "case_file"]


def test_violations_example_has_exactly_the_typical_failures() -> None:
    evaluation = _evaluate_example("violations-typical.json")
    articles = {f.rule: f.article for f in evaluation.violations}
    assert articles == {
        "market.start.emergency_report_24h": 8,
        "market.av.investigation": 13,
        "market.service.lodging_signatures": 25,
        "market.service.lodging_av": 25,
        "market.av.ingest_24h": 32,
        "market.archive.within_30_days": 32,
    }
    # The major decision made without 法制审核 was a violation of art. 17; art. 17 only says
    # what the review record contains, the duty is 国办发〔2018〕118号's: now a warning naming it.
    [warning] = evaluation.warnings
    assert (warning.rule, warning.article, warning.record) == (
        "market.legal_review.before_major_decision",
        17,
        "v11",
    )
    assert "国办发〔2018〕118号" in warning.duty_source
    assert "国办发〔2018〕118号" in warning.message


# ------------------------------------------------ issue #11: start approval on own authority


@pytest.mark.parametrize("origin", ["ex_officio", "complaint"])
def test_investigation_without_start_approval_violates_art_8_for_ex_officio_and_complaints(
    origin: str,
) -> None:
    """第九条: a complaint that needs 查处 makes the agency 启动执法程序 itself — 第八条 applies."""
    b = case(origin=origin)
    b.add("complaint", "2026-08-31 09:00", {"complainant": "刘某", "taken_up": True})
    rid = b.add("site_inspection", "2026-09-01 08:00", {"location": "店内"})
    [finding] = fired(b.evaluate(), "market.start.approval_before_investigation")
    assert (finding.rule, finding.article, finding.record) == (
        "market.start.approval_before_investigation",
        8,
        rid,
    )


def test_case_on_application_needs_no_start_approval_under_art_8() -> None:
    """第八条 governs 依职权 starts only; an application is governed by 第七条."""
    b = case(origin="application", acts=("license",))
    b.add("application_registration", "2026-09-01 08:00", {"outcome": "accepted"})
    b.add("site_inspection", "2026-09-02 10:00", {"location": "申请人经营场所"})
    assert fired(b.evaluate(), "market.start.approval_before_investigation") == []


@pytest.mark.parametrize("origin", ["emergency", "complaint"])
def test_acts_after_an_emergency_start_await_the_24_hour_report(origin: str) -> None:
    """第八条: 情况紧急的，可先启动 — until the 补报, investigating is not unapproved."""
    b = case(origin=origin)
    b.add("emergency_start", "2026-09-01 21:00", {"reason": "证据可能灭失"})
    b.add("site_inspection", "2026-09-01 21:20", {"location": "后厨"})
    b.add("inquiry_record", "2026-09-01 23:00", {"interviewee": "经营者"})
    evaluation = b.evaluate("2026-09-02 08:00")
    assert fired(evaluation, "market.start.approval_before_investigation") == []
    assert [p.rule for p in required(evaluation, "market.start.emergency_report_24h")] == [
        "market.start.emergency_report_24h"
    ]


def test_acts_after_a_refused_emergency_report_violate_art_8() -> None:
    b = case(origin="emergency")
    b.add("emergency_start", "2026-09-01 21:00", {"reason": "证据可能灭失"})
    before = b.add("site_inspection", "2026-09-01 21:20", {"location": "后厨"})
    refused = APPROVAL | {"head_opinion": "不同意立案", "approved": False}
    b.add("initiation_approval", "2026-09-02 09:00", refused)
    after = b.add("inquiry_record", "2026-09-02 10:00", {"interviewee": "经营者"})
    evaluation = b.evaluate()
    findings = fired(evaluation, "market.start.approval_before_investigation")
    assert [(f.article, f.record) for f in findings] == [(8, after)]
    assert before not in {f.record for f in findings}
    assert "未获批准" in findings[0].message
    # The 补报 itself was made in time: refusing it is the head's decision, not a late report.
    assert fired(evaluation, "market.start.emergency_report_24h") == []


@pytest.mark.parametrize(
    "decision",
    [
        {"approved": False},
        {"head_opinion": "不同意立案"},  # no yes/no field: the opinion's wording decides
        {"head_opinion": "请分管领导阅示"},  # undecided is not approved either
    ],
    ids=["approved-false", "opinion-refuses", "opinion-undecided"],
)
def test_investigating_on_a_refused_or_undecided_start_approval_violates_art_8(
    decision: dict[str, object],
) -> None:
    b = case()
    fields = {k: v for k, v in APPROVAL.items() if k not in ("approved", "head_opinion")}
    b.add("initiation_approval", "2026-09-01 09:00", fields | decision)  # type: ignore[arg-type]
    rid = b.add("site_inspection", "2026-09-01 10:00", {"location": "店内"})
    [finding] = fired(b.evaluate(), "market.start.approval_before_investigation")
    assert (finding.article, finding.record) == (8, rid)


def test_a_later_refusal_outweighs_an_earlier_start_approval() -> None:
    """The latest approval form before the act decides: acting after a refusal is unapproved."""
    b = case()
    b.add("initiation_approval", "2026-09-01 09:00", APPROVAL)
    ok = b.add("site_inspection", "2026-09-01 10:00", {"location": "店内"})
    b.add("initiation_approval", "2026-09-02 09:00", APPROVAL | {"approved": False})
    late = b.add("inquiry_record", "2026-09-02 10:00", {"interviewee": "王经理"})
    findings = fired(b.evaluate(), "market.start.approval_before_investigation")
    assert [(f.article, f.record) for f in findings] == [(8, late)]
    assert ok not in {f.record for f in findings}


# ------------------------------------------------ issue #11: decisions read, not just present


@pytest.mark.parametrize(
    "decision",
    [{"approved": False}, {"approver_opinion": "不同意，退回补充调查"}],
    ids=["approved-false", "opinion-refuses"],
)
def test_decision_after_a_refused_internal_approval_violates_art_38(
    decision: dict[str, object],
) -> None:
    b = case()
    b.add("internal_approval", "2026-09-19 09:00", CHAIN | decision)  # type: ignore[arg-type]
    rid = b.add("decision", "2026-09-20 16:00", DECISION)
    [finding] = fired(b.evaluate(), "market.internal.approval_before_decision")
    assert (finding.article, finding.record) == (38, rid)


def test_major_decision_after_a_failed_legal_review_warns_naming_its_source() -> None:
    b = case(major=True)
    b.add(
        "legal_review",
        "2026-09-16 09:00",
        {"reviewer": "l1", "opinion": "事实不清", "passed": False},
    )
    rid = b.add("decision", "2026-09-20 10:00", DECISION)
    [finding] = fired(b.evaluate(), "market.legal_review.before_major_decision")
    assert (finding.article, finding.record, finding.severity) == (17, rid, Severity.WARNING)
    assert "国办发〔2018〕118号" in finding.duty_source
    assert "本办法第17条只规定相关记录，未规定该义务" in finding.message


def test_the_legal_review_duty_is_not_cited_as_a_violation_of_art_17() -> None:
    """Art. 17 only says what the review record contains: the duty to review first is 118号's."""
    rule = load_pack(AGENCY).rule("market.legal_review.before_major_decision")
    assert rule.severity is Severity.WARNING
    assert "118号" in rule.duty_source
    assert not rule.explicit
    contents = load_pack(AGENCY).rule("market.legal_review.contents")
    assert (contents.severity, contents.explicit) == (Severity.VIOLATION, True)


def test_copy_provided_after_the_head_refused_violates_art_34_but_a_refusal_alone_does_not() -> (
    None
):
    b = case()
    base = {"scope": "现场检查笔录", "head": "h1", "approved": False, "secrets_excluded": True}
    refused_only = b.add("copy_request", "2026-10-20 09:00", base)  # type: ignore[arg-type]
    provided = b.add(
        "copy_request",
        "2026-10-21 09:00",
        base | {"provided": True},  # type: ignore[arg-type]
    )
    findings = fired(b.evaluate(), "market.copy.provided_with_consent")
    assert [(f.article, f.record) for f in findings] == [(34, provided)]
    assert refused_only not in {f.record for f in b.evaluate().findings}


def test_refused_av_exemption_does_not_excuse_missing_av_under_art_13() -> None:
    b = case()
    refused = b.add(
        "site_inspection",
        "2026-09-02 10:00",
        av_exemption=AvExemption("涉及商业秘密", approved_by="h1", approved=False),
    )
    b.add(
        "sampling",
        "2026-09-02 11:00",
        av_exemption=AvExemption("涉及商业秘密", approved_by="h1", approved=True),
    )
    findings = fired(b.evaluate(), "market.av.investigation")
    assert [(f.article, f.record) for f in findings] == [(13, refused)]
    assert "未获批准" in findings[0].message


# ------------------------------------------------ issue #11: burdensome decisions only


@pytest.mark.parametrize(
    "fields",
    [
        {"category": "license_granted"},
        {"decision_type": "准予行政许可决定"},  # no category: the wording says it grants
    ],
    ids=["category", "wording"],
)
def test_licence_granted_needs_no_rights_notice_and_no_performance_record(
    fields: dict[str, object],
) -> None:
    """Art. 28 履行 and the rights of art. 11 exist only where the decision imposes something."""
    b = case(origin="application", acts=("license",))
    decision = {k: v for k, v in DECISION.items() if k != "category"} | fields
    b.add("decision", "2026-09-20 10:00", decision)  # type: ignore[arg-type]
    b.add("closure", "2026-09-21 09:00", {"reason": "许可办结"})
    evaluation = b.evaluate()
    assert fired(evaluation, "market.rights.notified_before_decision") == []
    assert fired(evaluation, "market.performance.recorded") == []


def test_penalty_decision_without_rights_notice_or_performance_violates_arts_11_and_28() -> None:
    b = case()
    rid = b.add("decision", "2026-09-20 10:00", DECISION)
    b.add("closure", "2026-10-09 09:00", {"reason": "结案"})
    evaluation = b.evaluate()
    assert [
        (f.article, f.record) for f in fired(evaluation, "market.rights.notified_before_decision")
    ] == [(11, rid)]
    assert [(f.article, f.record) for f in fired(evaluation, "market.performance.recorded")] == [
        (28, rid)
    ]


def _notice(procedure: str = "general", **fields: object) -> tuple[CaseBuilder, str]:
    b = case(procedure=procedure)
    base: dict[str, object] = {"rights": ("statement", "defense", "recusal"), "method": "oral"}
    return b, b.add("rights_notice", "2026-09-10 09:00", base | fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("kinds", [("warning",), ("criticism",), ("suspend_license",)])
def test_penalty_without_a_hearing_right_needs_no_hearing_in_the_notice(
    kinds: tuple[str, ...],
) -> None:
    """行政处罚法 第六十三条 gives no hearing for a 警告, 通报批评 or 暂扣许可证件."""
    b, _ = _notice(penalty_kinds=kinds)
    assert fired(b.evaluate(), "market.rights.hearing") == []


@pytest.mark.parametrize(
    "kinds", [("revoke_license",), ("suspend_business",), ("close",), ("downgrade",)]
)
def test_penalty_carrying_a_hearing_right_without_hearing_in_the_notice_violates_art_11(
    kinds: tuple[str, ...],
) -> None:
    b, rid = _notice(penalty_kinds=("fine", *kinds), penalty_amount=Decimal("500"))
    [finding] = fired(b.evaluate(), "market.rights.hearing")
    assert (finding.article, finding.record, finding.severity) == (11, rid, Severity.VIOLATION)
    assert "听证" in finding.message


def test_fine_without_a_verified_large_amount_threshold_only_warns() -> None:
    """The pack states no 较大数额 (unverified): a fine's hearing right is for a person to judge."""
    assert load_pack(AGENCY).large_amount is None
    b, rid = _notice(penalty_kinds=("fine",), penalty_amount=Decimal("200000"))
    [finding] = fired(b.evaluate(), "market.rights.hearing")
    assert (finding.article, finding.record, finding.severity) == (11, rid, Severity.WARNING)
    assert "较大数额" in finding.message


def test_notice_without_the_intended_penalty_warns_instead_of_demanding_a_hearing() -> None:
    b, rid = _notice()
    [finding] = fired(b.evaluate(), "market.rights.hearing")
    assert (finding.record, finding.severity) == (rid, Severity.WARNING)


def test_simplified_procedure_never_demands_a_hearing() -> None:
    b, _ = _notice(procedure="simplified", penalty_kinds=("fine",), penalty_amount=Decimal("200"))
    evaluation = b.evaluate()
    assert fired(evaluation, "market.rights.hearing") == []
    assert fired(evaluation, "market.rights.content") == []


# ------------------------------------------------ issue #11: 当场收缴罚款 (art. 22)


def test_fine_not_collected_on_the_spot_needs_no_receipt() -> None:
    b = case(procedure="simplified")
    b.add(
        "simplified_procedure", "2026-09-02 10:00", SIMPLIFIED | {"on_the_spot_collection": False}
    )
    evaluation = b.evaluate()
    assert fired(evaluation, "market.simplified.collection_record") == []
    assert fired(evaluation, "market.simplified.collection_stated") == []


def test_fine_collected_on_the_spot_without_receipt_and_amount_violates_art_22() -> None:
    b = case(procedure="simplified")
    rid = b.add(
        "simplified_procedure",
        "2026-09-02 10:00",
        SIMPLIFIED | {"on_the_spot_collection": True, "on_the_spot_fine": "当场收缴"},
    )
    [finding] = fired(b.evaluate(), "market.simplified.collection_record")
    assert (finding.article, finding.record) == (22, rid)
    assert "收据" in finding.message and "数额" in finding.message


# ------------------------------------------------ issue #11: gaps of the closing note (item 8)


def test_court_enforcement_result_is_pending_until_closure_then_violates_art_31() -> None:
    b = case()
    rid = b.add(
        "court_enforcement",
        "2026-10-25 09:00",
        {"application_document": "强制执行申请书", "court": "通化市东昌区人民法院"},
    )
    open_case = b.evaluate("2026-11-01 09:00")
    assert fired(open_case, "market.enforcement.court_result") == []
    assert [p.after for p in required(open_case, "market.enforcement.court_result")] == [rid]
    b.add("closure", "2026-11-10 09:00", {"reason": "结案"})
    [finding] = fired(b.evaluate(), "market.enforcement.court_result")
    assert (finding.article, finding.record) == (31, rid)
    assert "执法行为终结" in finding.message


def test_voiding_the_correction_that_added_the_court_result_brings_the_original_back() -> None:
    b = case()
    application = {"application_document": "强制执行申请书", "court": "通化市东昌区人民法院"}
    first = b.add("court_enforcement", "2026-10-25 09:00", application)
    fix = b.add(
        "court_enforcement",
        "2026-10-25 09:00",
        application | {"result": "准予执行"},
        corrects=(first, "补记执行结果"),
        recorded_at="2026-11-05 10:00",
    )
    b.add("closure", "2026-11-10 09:00", {"reason": "结案"})
    assert fired(b.evaluate(), "market.enforcement.court_result") == []
    b.add(
        "void",
        "2026-11-12 09:00",
        {"target": fix, "reason": "误录：该裁定属另案"},
        recorded_at="2026-11-12 09:00",
    )
    [finding] = fired(b.evaluate(), "market.enforcement.court_result")
    assert (finding.article, finding.record) == (31, first)


def test_voiding_the_correction_that_added_lodging_video_brings_the_violation_back() -> None:
    b, original = _lodging(av=False)
    fix = b.add(
        "service",
        "2026-09-21 10:00",
        {"method": "lodging", "refusal_reason": "受送达人拒绝签收", "refusal_date": "2026-09-21"},
        signatures=(sig("server", "张明"), sig("witness", "社区网格员刘某")),
        media=(video("2026-09-21 10:00"),),
        corrects=(original, "补传留置送达录像"),
        recorded_at="2026-09-22 09:00",
    )
    assert fired(b.evaluate(), "market.service.lodging_av") == []
    b.add("void", "2026-09-23 09:00", {"target": fix, "reason": "录像属另案"})
    [finding] = fired(b.evaluate(), "market.service.lodging_av")
    assert (finding.article, finding.record) == (25, original)


@pytest.mark.parametrize(
    ("checked", "late"),
    [
        # Deadline Fri 2026-11-06: due by the end of Mon 11-09, the next working day.
        ("2026-11-09 17:00", False),
        ("2026-11-10 09:00", True),
    ],
)
def test_rectification_check_is_due_on_the_first_working_day_after_the_deadline(
    checked: str, late: bool
) -> None:
    b = case()
    rid = b.add(
        "decision",
        "2026-10-30 10:00",
        DECISION
        | {"rectification_ordered": True, "rectification_deadline": t("2026-11-06").date()},
    )
    b.add("rectification_check", checked, {"result": "rectified"})
    findings = fired(b.evaluate(), "market.rectification.checked")
    assert [(f.article, f.record) for f in findings] == ([(28, rid)] if late else [])


def test_rectification_check_deadline_across_national_day_falls_after_the_holiday() -> None:
    """A 2026-09-30 deadline: 10-01…10-07 are holidays, so the check is due by the end of 10-08."""
    b = case()
    rid = b.add(
        "decision",
        "2026-09-20 10:00",
        DECISION
        | {"rectification_ordered": True, "rectification_deadline": t("2026-09-30").date()},
    )
    [pending] = required(b.evaluate("2026-10-05 12:00"), "market.rectification.checked")
    assert (pending.after, pending.due) == (rid, t("2026-10-08 23:59:59.999999"))
    [finding] = fired(b.evaluate("2026-10-09 00:00"), "market.rectification.checked")
    assert (finding.article, finding.record) == (28, rid)
    assert "改正期限" in finding.message


def test_rectification_without_a_deadline_is_pending_until_closure() -> None:
    b = case()
    rid = b.add("decision", "2026-09-20 10:00", DECISION | {"rectification_ordered": True})
    evaluation = b.evaluate("2026-11-01 09:00")
    assert fired(evaluation, "market.rectification.checked") == []
    [pending] = required(evaluation, "market.rectification.checked")
    assert (pending.after, pending.due) == (rid, None)


def test_decision_not_ordering_rectification_needs_no_rectification_check() -> None:
    b = case()
    b.add("decision", "2026-09-20 10:00", DECISION)
    b.add("closure", "2026-10-09 09:00", {"reason": "结案"})
    assert fired(b.evaluate(), "market.rectification.checked") == []


@pytest.mark.parametrize("archivist", ["o1", "nobody"])
def test_case_file_archived_by_someone_not_designated_violates_art_33(archivist: str) -> None:
    b = StaffCaseBuilder(STAFF_ROLES)
    rid = b.add("case_file", "2026-10-10 09:00", {"archivist": archivist})
    [finding] = fired(b.evaluate(), "market.archive.designated_archivist")
    assert (finding.article, finding.record) == (33, rid)
    assert "档案管理员" in finding.message


def test_case_file_archived_by_the_designated_archivist_satisfies_art_33() -> None:
    b = StaffCaseBuilder(STAFF_ROLES)
    b.add("case_file", "2026-10-10 09:00", {"archivist": "a1"})
    evaluation = b.evaluate()
    assert fired(evaluation, "market.archive.designated_archivist") == []
    assert fired(evaluation, "market.archive.archivist") == []


def test_server_signing_as_the_lodging_witness_violates_art_25() -> None:
    b = case()
    rid = b.add(
        "service",
        "2026-09-21 10:00",
        {"method": "lodging", "refusal_reason": "拒收", "refusal_date": "2026-09-21"},
        signatures=(sig("server", "张明", person="o1"), sig("witness", "张明", person="o1")),
        media=(video("2026-09-21 10:00"),),
    )
    [finding] = fired(b.evaluate(), "market.service.lodging_signatures")
    assert (finding.article, finding.record) == (25, rid)
    assert "同一人" in finding.message


def test_statement_on_an_urge_notice_needs_no_prior_rights_notice() -> None:
    """第二十九条 governs statements on the 催告; 第十二条 (五)'s 权利告知书 is for decisions."""
    b = case()
    b.add(
        "statement_defense", "2026-10-12 09:00", {"concerns": "urge_notice", "content": "无力缴纳"}
    )
    assert fired(b.evaluate(), "market.investigation.statement_rights_notice") == []


# ------------------------------------------------ issue #11: every inferred duty says so


def test_rules_reading_a_duty_into_the_text_say_how() -> None:
    pack = load_pack(AGENCY)
    for rule_id in (
        "market.start.approval_before_investigation",
        "market.rights.notified_before_decision",
        "market.rights.hearing",
        "market.performance.recorded",
        "market.rectification.checked",
        "market.archive.designated_archivist",
        "market.service.lodging_signatures",
        "market.internal.approval_before_decision",
        "market.simplified.collection_record",
    ):
        assert pack.rule(rule_id).inferred, rule_id
    assert "按期" in pack.rule("market.rectification.checked").inferred
    assert "第六十三条" in pack.rule("market.rights.hearing").inferred
    # A duty stated in so many words stays explicit.
    for rule_id in ("market.start.emergency_report_24h", "market.av.investigation"):
        assert pack.rule(rule_id).explicit, rule_id


def test_copy_request_awaiting_the_heads_decision_is_pending_until_closure() -> None:
    b = case()
    rid = b.add("copy_request", "2026-10-20 09:00", {"scope": "现场检查笔录", "head": "h1"})
    evaluation = b.evaluate("2026-10-21 09:00")
    assert fired(evaluation, "market.copy.head_consent") == []
    assert [p.after for p in required(evaluation, "market.copy.head_consent")] == [rid]


def test_no_hearing_is_demanded_in_a_case_without_an_administrative_penalty() -> None:
    """行政处罚法 第六十三条 is about penalties: a compulsory-measure case carries no hearing."""
    b = case(acts=("compulsory",))
    b.add(
        "rights_notice",
        "2026-09-10 09:00",
        {"rights": ("statement", "defense", "recusal"), "method": "written_notice"},
    )
    assert fired(b.evaluate(), "market.rights.hearing") == []
