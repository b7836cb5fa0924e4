"""The same act judged by the five regulations: DOMAIN.md §3 as executable expectations.

Each scenario is built twice, differing only in the fact at issue (e.g. the video of a site
inspection). The findings that the faulty twin has and the sound twin lacks must cite exactly the
article expected for that agency — or nothing, where that agency's regulation is silent or makes
the act optional.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import CaseBuilder, sig, video

AGENCIES = (
    "tonghua-postal",
    "tonghua-gazetteer",
    "tonghua-market",
    "benxi-hrss",
    "luanchuan-stats",
)
AT = "2026-11-23 12:00"

Scenario = Callable[[CaseBuilder, bool], None]


def extra_findings(agency: str, scenario: Scenario, **case: object) -> set[tuple[str, int]]:
    """(regulation, article) of the findings the faulty twin adds over the sound one."""
    runs = []
    for faulty in (True, False):
        b = CaseBuilder(agency, **case)  # type: ignore[arg-type]
        scenario(b, faulty)
        runs.append({(f.rule, f.regulation, f.article) for f in b.evaluate(AT).findings})
    return {(reg, art) for (_rule, reg, art) in runs[0] - runs[1]}


def articles(agency: str, scenario: Scenario, **case: object) -> set[int]:
    return {art for _reg, art in extra_findings(agency, scenario, **case)}


def site_inspection_av(b: CaseBuilder, faulty: bool) -> None:
    b.add(
        "site_inspection",
        "2026-09-02 10:00",
        {"location": "经营场所", "findings": "检查情况"},
        signatures=[sig("officer"), sig("party")],
        media=[] if faulty else [video("2026-09-02 10:05")],
    )


def emergency_approval_after_30_hours(b: CaseBuilder, faulty: bool) -> None:
    b.add("emergency_start", "2026-09-01 08:00", {"reason": "证据可能灭失"})
    # The 补报 is an approval form with its decision (a blank form approves nothing).
    b.add(
        "initiation_approval",
        "2026-09-02 14:00" if faulty else "2026-09-01 20:00",
        {"approved": True},
    )


def emergency_approval_after_3_days(b: CaseBuilder, faulty: bool) -> None:
    b.add("emergency_start", "2026-09-01 08:00", {"reason": "证据可能灭失"})
    b.add(
        "initiation_approval",
        "2026-09-04 10:00" if faulty else "2026-09-01 20:00",
        {"approved": True},
    )


def lodging_service_av(b: CaseBuilder, faulty: bool) -> None:
    b.add(
        "service",
        "2026-09-20 10:00",
        {
            "method": "lodging",
            "document_kind": "decision",
            "refusal_reason": "拒收",
            "refusal_date": "2026-09-20",
        },
        signatures=[sig("server"), sig("witness")],
        media=[] if faulty else [video("2026-09-20 10:01")],
    )


def video_ingested_after_30_hours(b: CaseBuilder, faulty: bool) -> None:
    # Tuesday capture: 30 hours is late against 24 hours, on time against 2 working days.
    b.add(
        "inquiry_record",
        "2026-09-15 10:00",
        {"interviewee": "王某", "content": "询问内容"},
        signatures=[sig("officer"), sig("party")],
        media=[video("2026-09-15 10:00", "2026-09-16 16:00" if faulty else "2026-09-15 18:00")],
    )


def case_file_after_45_days(b: CaseBuilder, faulty: bool) -> None:
    b.add("closure", "2026-09-30 10:00", {"reason": "执行完毕"})
    b.add("case_file", "2026-11-14 10:00" if faulty else "2026-10-20 10:00", {"archivist": "a1"})


def seal_without_av(b: CaseBuilder, faulty: bool) -> None:
    b.add(
        "compulsory_measure",
        "2026-09-03 10:00",
        {"measure": "seal", "decision_number": "查封〔2026〕1号", "items": ("仓库",)},
        signatures=[sig("officer"), sig("party")],
        media=[] if faulty else [video("2026-09-03 10:01")],
    )


def rights_without_review_and_litigation(b: CaseBuilder, faulty: bool) -> None:
    rights = ("statement", "defense", "recusal", "hearing")
    if not faulty:
        rights += ("reconsideration", "litigation")
    b.add(
        "rights_notice",
        "2026-09-05 10:00",
        {"rights": rights, "method": "written_notice", "document_number": "告〔2026〕1号"},
        signatures=[sig("officer"), sig("party")],
    )


def decision_served_by_email(b: CaseBuilder, faulty: bool) -> None:
    b.add("decision", "2026-09-10 10:00", {"document_number": "罚〔2026〕1号"}, rid="d1")
    b.add(
        "service",
        "2026-09-11 10:00",
        {
            "method": "electronic",
            "electronic_channel": "email",
            "electronic_evidence": ("screenshot",),
            "document": "d1",
            "document_kind": "decision" if faulty else "hearing_notice",
        },
    )


def decision_after_refused_head_approval(b: CaseBuilder, faulty: bool) -> None:
    # A refusal is not an approval: the decision after the head said 不同意 is unapproved.
    opinion = "不同意作出处罚决定，补充调查" if faulty else "同意按拟定意见作出处罚决定"
    b.add("head_approval", "2026-09-09 10:00", {"head": "h1", "opinion": opinion})
    b.add("decision", "2026-09-10 10:00", {"document_number": "罚〔2026〕1号"})


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        pytest.param(
            decision_after_refused_head_approval,
            {
                "tonghua-postal": 19,
                "tonghua-gazetteer": 17,
                "tonghua-market": 20,
                "benxi-hrss": 13,
                "luanchuan-stats": 10,
            },
            id="decision after the head refused: unapproved in all five",
        ),
        pytest.param(
            site_inspection_av,
            {"tonghua-postal": 12, "tonghua-gazetteer": 12, "tonghua-market": 13, "benxi-hrss": 11},
            id="site inspection AV: mandatory for 000-003, optional for 004",
        ),
        pytest.param(
            emergency_approval_after_30_hours,
            {"tonghua-postal": 7, "tonghua-market": 8},
            id="emergency approval after 30 h: late under 24 h (000, 002), fine under 2 days (004)",
        ),
        pytest.param(
            emergency_approval_after_3_days,
            {"tonghua-postal": 7, "tonghua-market": 8, "luanchuan-stats": 6},
            id="emergency approval after 3 days: late everywhere it is regulated",
        ),
        pytest.param(
            lodging_service_av,
            {"tonghua-postal": 24, "tonghua-gazetteer": 21, "tonghua-market": 25, "benxi-hrss": 17},
            id="lodging service AV: mandatory for 000-003, optional for 004",
        ),
        pytest.param(
            video_ingested_after_30_hours,
            {"tonghua-postal": 31, "tonghua-gazetteer": 26, "tonghua-market": 32, "benxi-hrss": 24},
            id="AV ingested after 30 h: late under 24 h, on time under 2 working days (004)",
        ),
        pytest.param(
            case_file_after_45_days,
            {"tonghua-postal": 31, "tonghua-gazetteer": 26, "tonghua-market": 32, "benxi-hrss": 24},
            id="case file 45 days after closure: 30-day limit in 000-003, none in 004",
        ),
        pytest.param(
            seal_without_av,
            {"tonghua-postal": 14, "tonghua-market": 15},
            id="sealing without AV: mandatory in 000 and 002 only",
        ),
        pytest.param(
            rights_without_review_and_litigation,
            {"benxi-hrss": 9},
            id="rights to reconsideration and litigation: only 003 requires them",
        ),
        pytest.param(
            decision_served_by_email,
            {"luanchuan-stats": 11},
            id="electronic service of the decision: forbidden by 004, not regulated elsewhere",
        ),
    ],
)
def test_the_same_fault_cites_each_agencys_own_article(
    scenario: Scenario, expected: dict[str, int]
) -> None:
    for agency in AGENCIES:
        want = {expected[agency]} if agency in expected else set()
        assert articles(agency, scenario) == want, agency


def test_findings_cite_the_agencys_own_regulation_file() -> None:
    regs = {
        agency: {reg for reg, _ in extra_findings(agency, site_inspection_av)}
        for agency in ("tonghua-postal", "tonghua-market", "benxi-hrss")
    }
    assert regs == {
        "tonghua-postal": {"000_3b66c95b76a62577.txt"},
        "tonghua-market": {"002_414a546ea0455888.txt"},
        "benxi-hrss": {"003_89d6afb94859888e.txt"},
    }


# The rule each pack reads a head approval's decision by (rule ids named here are exercised by
# this file; test_rule_packs accepts them).
HEAD_REFUSAL_RULES = {
    "tonghua-postal": "postal.head_approval.not_refused",
    "tonghua-gazetteer": "gazetteer.head_approval.not_refused",
    "tonghua-market": "market.head_approval.not_refused",
    "benxi-hrss": "hrss.head_approval.not_refused",
    "luanchuan-stats": "stats.decision.head_approval",
}


@pytest.mark.parametrize("agency", AGENCIES)
@pytest.mark.parametrize(
    ("fields", "fires"),
    [
        ({"approved": False, "opinion": "同意"}, True),  # the stated decision wins
        ({"opinion": "已阅"}, True),  # undecided: approves nothing
        ({"approved": True}, False),
        ({"opinion": "同意"}, False),
    ],
)
def test_each_agency_reads_the_head_approval_by_its_decision(
    agency: str, fields: dict[str, object], fires: bool
) -> None:
    b = CaseBuilder(agency)
    b.add("head_approval", "2026-09-09 10:00", {"head": "h1", **fields})  # type: ignore[arg-type]
    d = b.add("decision", "2026-09-10 10:00")
    found = [f.record for f in b.evaluate(AT).findings if f.rule == HEAD_REFUSAL_RULES[agency]]
    assert found == ([d] if fires else [])
