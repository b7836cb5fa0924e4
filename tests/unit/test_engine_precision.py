"""The engine's generic means of reading the text precisely (issue #11), on a test pack.

Approvals are read by their decision, origins by one shared definition, decisions by what they
do to the party, the hearing right by the intended penalty; items that may come later are due
by closure, periods may run from a date the record sets, signers of two roles must differ, the
archivist must be the designated one, and a duty from outside the cited article only warns.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from lawtrail.core.caseio import CaseFormatError, case_to_json, parse_case
from lawtrail.core.engine import evaluate
from lawtrail.core.model import AvExemption, Party, Person
from lawtrail.core.record_kinds import opinion_decision
from lawtrail.core.rules import LargeAmount, PackError, parse_pack
from tests.builders import PEOPLE, CaseBuilder, fired, required, sig, t

HEADER = """
[agency]
id = "test-agency"
name = "测试机关"
regulation = "002_414a546ea0455888.txt"
acts_covered = ["penalty", "license"]
"""

PACK = parse_pack(
    HEADER
    + """
[[rule]]
id = "t.approval"
title = "依职权启动须先经批准"
article = 8
quote = "报本机关负责人批准"
kinds = ["inquiry_record", "site_inspection"]
case = { own_authority = true, procedure = "general" }
check.type = "preceded_by"
check.kinds = ["initiation_approval"]
check.latest_where = { granted = true }
check.except_after = ["emergency_start"]

[[rule]]
id = "t.rights"
title = "决定前告知权利"
article = 11
quote = "陈述、申辩"
kinds = ["decision"]
where = { imposes_obligation = true }
check = { type = "preceded_by", kinds = ["rights_notice"] }

[[rule]]
id = "t.hearing"
title = "应告知听证的，告知听证"
article = 11
quote = "听证"
kinds = ["rights_notice"]
check = { type = "hearing_right", field = "rights" }

[[rule]]
id = "t.court_result"
title = "记录法院强制执行结果"
article = 31
quote = "强制执行结果"
kinds = ["court_enforcement"]
check = { type = "fields", fields = ["result"], by_closure = true }

[[rule]]
id = "t.rectification"
title = "按期核查改正情况"
article = 28
quote = "按期"
kinds = ["decision"]
where = { rectification_ordered = true }
check.type = "followed_by"
check.kinds = ["rectification_check"]
check.from_field = "rectification_deadline"
check.within = "1wd"

[[rule]]
id = "t.lodging"
title = "留置送达由送达人、见证人签名"
article = 25
quote = "见证人"
kinds = ["service"]
where = { method = "lodging" }
check.type = "signatures"
check.distinct = true
check.groups = [
  { roles = ["server"], refusal_allowed = false },
  { roles = ["witness"], refusal_allowed = false },
]

[[rule]]
id = "t.archivist"
title = "由指定的档案管理员归档"
article = 33
quote = "专门人员"
kinds = ["case_file"]
check = { type = "person_role", field = "archivist", role = "archivist" }

[[rule]]
id = "t.av"
title = "现场检查音像记录"
article = 13
quote = "音像记录"
kinds = ["site_inspection"]
check = { type = "av" }

[[rule]]
id = "t.legal_review"
title = "重大执法决定前经法制审核"
severity = "warning"
duty_source = "国办发〔2018〕118号"
article = 17
quote = "法制机构审查"
kinds = ["decision"]
case = { major = true }
check = { type = "preceded_by", kinds = ["legal_review"], latest_where = { granted = true } }
"""
)

INVESTIGATE = {"location": "门店", "findings": "检查情况"}


def run(b: CaseBuilder, at: str = "2026-11-23 12:00", pack=PACK):  # type: ignore[no-untyped-def]
    return evaluate(b.build(), at=t(at), pack=pack)


# ---------------------------------------------------------------- origins (item 2)


@pytest.mark.parametrize("origin", ["ex_officio", "complaint", "emergency"])
def test_every_start_on_the_agencys_own_authority_needs_the_approval(origin: str) -> None:
    b = CaseBuilder("tonghua-market", origin=origin)
    r = b.add("site_inspection", "2026-09-02 10:00", INVESTIGATE)
    [finding] = fired(run(b), "t.approval")
    assert finding.record == r


def test_a_case_on_application_needs_no_start_approval() -> None:
    b = CaseBuilder("tonghua-market", origin="application")
    b.add("site_inspection", "2026-09-02 10:00", INVESTIGATE)
    assert not fired(run(b), "t.approval")


# ---------------------------------------------------------------- approvals (item 3)


def test_acting_after_a_refused_start_approval_is_acting_without_one() -> None:
    b = CaseBuilder("tonghua-market", origin="complaint")
    b.add("initiation_approval", "2026-09-01 10:00", {"approved": False, "head_opinion": "不同意"})
    r = b.add("site_inspection", "2026-09-02 10:00", INVESTIGATE)
    [finding] = fired(run(b), "t.approval")
    assert finding.record == r and "负责人批准：否" in finding.message


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"approved": True}, True),
        ({"head_opinion": "同意立案。"}, True),
        ({"head_opinion": "批准"}, True),
        ({"head_opinion": "不同意立案"}, False),
        ({"head_opinion": "不予批准，证据不足"}, False),
        ({"head_opinion": "请补充材料后再议"}, False),  # undecided
        ({}, False),  # undecided: a blank form approves nothing
        ({"approved": False, "head_opinion": "同意"}, False),  # the stated decision wins
    ],
)
def test_an_approval_is_read_by_its_decision_not_its_presence(
    fields: dict[str, object], ok: bool
) -> None:
    b = CaseBuilder("tonghua-market")
    b.add("initiation_approval", "2026-09-01 10:00", fields)  # type: ignore[arg-type]
    b.add("site_inspection", "2026-09-02 10:00", INVESTIGATE)
    assert bool(fired(run(b), "t.approval")) is not ok


def test_a_later_refusal_withdraws_an_earlier_approval_for_the_acts_after_it() -> None:
    b = CaseBuilder("tonghua-market")
    b.add("initiation_approval", "2026-09-01 10:00", {"approved": True})
    b.add("site_inspection", "2026-09-02 10:00", INVESTIGATE)
    b.add("initiation_approval", "2026-09-03 10:00", {"approved": False})
    late = b.add("inquiry_record", "2026-09-04 10:00")
    assert [f.record for f in fired(run(b), "t.approval")] == [late]


def test_emergency_acts_before_the_late_approval_are_excused_but_not_after_a_refusal() -> None:
    b = CaseBuilder("tonghua-market", origin="emergency")
    b.add("emergency_start", "2026-09-01 08:00", {"reason": "紧急"})
    b.add("site_inspection", "2026-09-01 09:00", INVESTIGATE)
    assert not fired(run(b), "t.approval")
    b.add("initiation_approval", "2026-09-01 20:00", {"approved": False})
    after = b.add("inquiry_record", "2026-09-02 10:00")
    assert [f.record for f in fired(run(b), "t.approval")] == [after]


def test_a_refused_av_exemption_is_no_exemption() -> None:
    b = CaseBuilder("tonghua-market")
    stated = b.add("site_inspection", "2026-09-02 10:00", INVESTIGATE, av_exemption="涉密")
    named = b.add(
        "site_inspection", "2026-09-02 11:00", INVESTIGATE, av_exemption=AvExemption("涉密", "h1")
    )
    approved = b.add(
        "site_inspection",
        "2026-09-02 12:00",
        INVESTIGATE,
        av_exemption=AvExemption("涉密", "h1", True),
    )
    refused = b.add(
        "site_inspection",
        "2026-09-02 13:00",
        INVESTIGATE,
        av_exemption=AvExemption("涉密", "h1", False),
    )
    found = {f.record: f.message for f in fired(run(b), "t.av")}
    assert set(found) == {refused}
    assert {stated, named, approved}.isdisjoint(found)
    assert "未获批准" in found[refused]


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("同意", True),
        ("同意：拟处罚款", True),
        ("准予", True),
        ("不同意", False),
        ("不同意：理由不足", False),
        ("驳回", False),
        ("", None),
        ("已阅", None),
        (None, None),
    ],
)
def test_opinion_wording(text: object, decision: bool | None) -> None:
    assert opinion_decision(text) is decision


# ---------------------------------------------------------------- decisions (item 5)


@pytest.mark.parametrize(
    ("fields", "acts", "burdensome"),
    [
        ({"category": "penalty"}, ("penalty",), True),
        ({"category": "license_granted"}, ("license",), False),
        ({"category": "license_refused"}, ("license",), False),
        ({"category": "rectification"}, ("inspection",), True),
        ({"decision_type": "行政处罚决定"}, ("penalty",), True),
        ({"decision_type": "准予行政许可决定"}, ("license",), False),
        ({"decision_type": "不予行政许可决定"}, ("license",), False),
        ({"decision_type": "不予行政处罚决定"}, ("penalty",), False),
        ({"decision_type": "撤销行政许可决定"}, ("license",), True),
        ({}, ("license",), False),
        ({}, ("penalty",), True),
        ({}, ("license", "penalty"), True),
    ],
)
def test_only_a_burdensome_decision_needs_a_rights_notice_first(
    fields: dict[str, str], acts: tuple[str, ...], burdensome: bool
) -> None:
    b = CaseBuilder("tonghua-market", acts=acts)
    b.add("decision", "2026-09-10 10:00", fields)
    assert bool(fired(run(b), "t.rights")) is burdensome


def test_hearing_right_follows_the_intended_penalty() -> None:
    pack = replace(PACK, large_amount=LargeAmount(Decimal(10000), Decimal(100000), "测试标准"))

    def hearing(fields: dict[str, object], party_kind: str = "organization", **kw: str):  # type: ignore[no-untyped-def]
        b = CaseBuilder("tonghua-market", **kw)
        b.add("rights_notice", "2026-09-05 10:00", {"rights": ("statement", "defense"), **fields})  # type: ignore[arg-type]
        case = b.build()
        case = replace(case, parties=(Party("p1", "某某", party_kind),))
        return [
            f
            for f in evaluate(case, at=t("2026-11-23 12:00"), pack=pack).findings
            if f.rule == "t.hearing"
        ]

    # 警告: no hearing right, so none to notify.
    assert hearing({"penalty_kinds": ("warning",)}) == []
    # 吊销许可证件: always (行政处罚法 第六十三条 (三)).
    [f] = hearing({"penalty_kinds": ("revoke_license",)})
    assert f.severity == "violation" and "吊销许可证件" in f.message
    # 罚款 below / at the 较大数额 of an organisation; of a natural person.
    assert hearing({"penalty_kinds": ("fine",), "penalty_amount": Decimal("99999")}) == []
    [f] = hearing({"penalty_kinds": ("fine",), "penalty_amount": Decimal("100000")})
    assert f.severity == "violation" and "100000" in f.message
    [f] = hearing({"penalty_kinds": ("fine",), "penalty_amount": Decimal("10000")}, "person")
    assert f.severity == "violation" and "自然人" in f.message
    # Unknown amount or unknown penalty: a warning, never a guess.
    [f] = hearing({"penalty_kinds": ("fine",)})
    assert f.severity == "warning"
    [f] = hearing({})
    assert f.severity == "warning"
    # Simplified procedure never carries a hearing.
    assert hearing({"penalty_kinds": ("revoke_license",)}, procedure="simplified") == []
    # Notified: nothing to say.
    assert (
        hearing({"rights": ("statement", "defense", "hearing"), "penalty_kinds": ("close",)}) == []
    )


def test_without_a_threshold_a_large_fine_only_warns() -> None:
    b = CaseBuilder("tonghua-market")
    b.add(
        "rights_notice",
        "2026-09-05 10:00",
        {"rights": ("statement",), "penalty_kinds": ("fine",), "penalty_amount": Decimal(500000)},
    )
    [f] = fired(run(b), "t.hearing")
    assert f.severity == "warning" and "较大数额" in f.message


@pytest.mark.parametrize(
    ("amount", "party_kind", "warns"),
    [
        ("200", "person", False),
        ("201", "person", True),
        ("3000", "organization", False),
        ("3000.01", "organization", True),
    ],
)
def test_a_fine_small_enough_to_impose_on_the_spot_never_carries_a_hearing(
    amount: str, party_kind: str, warns: bool
) -> None:
    # 行政处罚法 第五十一条: no department's 较大数额 is within the on-the-spot limits.
    b = CaseBuilder("tonghua-market")
    b.add(
        "rights_notice",
        "2026-09-05 10:00",
        {"rights": ("statement",), "penalty_kinds": ("fine",), "penalty_amount": Decimal(amount)},
    )
    case = replace(b.build(), parties=(Party("p1", "某某", party_kind),))
    found = [
        f
        for f in evaluate(case, at=t("2026-11-23 12:00"), pack=PACK).findings
        if f.rule == "t.hearing"
    ]
    assert [f.severity for f in found] == (["warning"] if warns else [])


def test_the_intended_penalty_may_come_from_the_draft_or_the_decisions_wording() -> None:
    pack = replace(PACK, large_amount=LargeAmount(Decimal(10000), Decimal(100000), "测试标准"))
    b = CaseBuilder("tonghua-market")
    b.add("decision_draft", "2026-09-04 10:00", {"penalty_kinds": ("warning",)})
    b.add("rights_notice", "2026-09-05 10:00", {"rights": ("statement", "defense")})
    assert not fired(run(b, pack=pack), "t.hearing")
    b = CaseBuilder("tonghua-market")
    r = b.add("rights_notice", "2026-09-05 10:00", {"rights": ("statement", "defense")})
    b.add(
        "decision",
        "2026-09-20 10:00",
        {"decision_type": "行政处罚决定（罚款）", "amount": Decimal(200000)},
    )
    [f] = fired(run(b, pack=pack), "t.hearing")
    assert f.record == r and f.severity == "violation"


# ---------------------------------------------------------------- item 8


def test_court_result_is_pending_until_closure_then_missing() -> None:
    b = CaseBuilder("tonghua-market")
    c = b.add("court_enforcement", "2026-10-01 10:00", {"court": "东昌区人民法院"})
    ev = run(b, "2026-10-05 10:00")
    assert not fired(ev, "t.court_result") and required(ev, "t.court_result")
    b.add("closure", "2026-10-10 10:00")
    [f] = fired(run(b, "2026-10-11 10:00"), "t.court_result")
    assert f.record == c
    # Recorded by a correction before closure: nothing to find.
    b = CaseBuilder("tonghua-market")
    c = b.add("court_enforcement", "2026-10-01 10:00", {"court": "东昌区人民法院"})
    b.add(
        "court_enforcement",
        "2026-10-01 10:00",
        {"court": "东昌区人民法院", "result": "已执行"},
        corrects=(c, "补记执行结果"),
        recorded_at="2026-10-08 10:00",
    )
    b.add("closure", "2026-10-10 10:00")
    assert not fired(run(b, "2026-10-11 10:00"), "t.court_result")


def test_rectification_check_is_due_from_the_rectification_deadline() -> None:
    fields = {"rectification_ordered": True, "rectification_deadline": t("2026-09-25 00:00").date()}
    b = CaseBuilder("tonghua-market")
    d = b.add("decision", "2026-09-10 10:00", fields)  # type: ignore[arg-type]
    [todo] = required(run(b, "2026-09-20 10:00"), "t.rectification")
    # 2026-09-25 is a Friday: due by the end of Monday 2026-09-28.
    assert todo.due == t("2026-09-28 23:59:59.999999")
    [f] = fired(run(b, "2026-09-29 10:00"), "t.rectification")
    assert f.record == d and "改正期限" in f.message
    b.add("rectification_check", "2026-09-28 15:00", {"result": "rectified"})
    assert not fired(run(b, "2026-09-29 10:00"), "t.rectification")


def test_the_lodging_witness_must_not_be_the_server() -> None:
    b = CaseBuilder("tonghua-market")
    ok = b.add(
        "service",
        "2026-09-12 10:00",
        {"method": "lodging"},
        signatures=[sig("server", "张明", person="o1"), sig("witness", "王五")],
    )
    same = b.add(
        "service",
        "2026-09-12 11:00",
        {"method": "lodging"},
        signatures=[sig("server", "张明", person="o1"), sig("witness", "张明", person="o1")],
    )
    assert [f.record for f in fired(run(b), "t.lodging")] == [same]
    assert ok != same


def test_the_archivist_must_be_the_designated_one() -> None:
    b = CaseBuilder("tonghua-market")
    b.add("case_file", "2026-10-20 10:00", {"archivist": "o1"})  # an officer
    [f] = fired(run(b), "t.archivist")
    assert "不是本机关指定的档案管理员" in f.message
    # Roles recorded but not the archivist's: the title does not designate.
    b = CaseBuilder("tonghua-market")
    b.add("case_file", "2026-10-20 10:00", {"archivist": "a1"})
    case = b.build()
    officer = tuple(replace(p, roles=("officer",)) if p.id == "a1" else p for p in PEOPLE)
    assert [
        f.rule
        for f in evaluate(
            replace(case, people=officer), at=t("2026-11-23 12:00"), pack=PACK
        ).findings
        if f.rule == "t.archivist"
    ] == ["t.archivist"]
    # No roles recorded at all (an older case file): the title 档案管理员 names the designation.
    assert not fired(run(b), "t.archivist")
    people = tuple(replace(p, roles=("archivist",)) if p.id == "a1" else p for p in PEOPLE)
    assert not [
        f
        for f in evaluate(
            replace(case, people=people), at=t("2026-11-23 12:00"), pack=PACK
        ).findings
        if f.rule == "t.archivist"
    ]


def test_roles_round_trip_through_the_case_file() -> None:
    case = replace(
        CaseBuilder("tonghua-market").build(),
        people=(Person("a1", "周档", roles=("archivist",)),),
    )
    assert parse_case(case_to_json(case)).people[0].roles == ("archivist",)


# ---------------------------------------------------------------- item 4


def test_a_duty_from_another_source_only_warns_and_names_the_source() -> None:
    b = CaseBuilder("tonghua-market", major=True)
    b.add("decision", "2026-09-10 10:00")
    [f] = fired(run(b), "t.legal_review")
    assert f.severity == "warning"
    assert (
        "国办发〔2018〕118号" in f.message and f.to_json()["duty_source"] == "国办发〔2018〕118号"
    )


def test_the_loader_refuses_a_violation_whose_duty_comes_from_elsewhere() -> None:
    with pytest.raises(PackError, match="duty_source"):
        parse_pack(
            HEADER
            + """
[[rule]]
id = "t.bad"
title = "x"
duty_source = "国办发〔2018〕118号"
article = 17
quote = "法制机构审查"
kinds = ["decision"]
check = { type = "fields", fields = ["reasons"] }
"""
        )


# ---------------------------------------------------------------- the reader


def test_a_service_must_name_the_kind_of_the_record_it_serves() -> None:
    b = CaseBuilder("tonghua-market")
    d = b.add("decision", "2026-09-10 10:00")
    b.add(
        "service",
        "2026-09-11 10:00",
        {"method": "direct", "document": d, "document_kind": "urge_notice"},
    )
    with pytest.raises(CaseFormatError, match="文书种类「催告书」与所送达的记录"):
        parse_case(case_to_json(b.build()))


def test_a_void_cannot_be_corrected_nor_void_itself() -> None:
    b = CaseBuilder("tonghua-market")
    d = b.add("decision", "2026-09-10 10:00")
    v = b.add("void", "2026-09-11 10:00", {"target": d, "reason": "误"})
    b.add("void", "2026-09-12 10:00", {"target": d, "reason": "再"}, corrects=(v, "改"))
    b.add("void", "2026-09-13 10:00", {"target": "r4", "reason": "自身"}, rid="r4")
    with pytest.raises(CaseFormatError) as exc:
        parse_case(case_to_json(b.build()))
    assert "作废声明不能被更正" in str(exc.value) and "作废声明不能作废自身" in str(exc.value)
