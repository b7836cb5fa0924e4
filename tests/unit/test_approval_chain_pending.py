"""An internal approval on its way (承办人 → 审核人 → 批准人: 000 art. 37, 001 art. 31, 002 art. 38,
003 art. 28) is pending, not a violation, while the case is open — the inbox's 审核 / 批准 task;
a chain left unfinished at closure, a step half-recorded, out of order or by the same person
is a violation. For every agency whose pack has the chain rule."""

from __future__ import annotations

from typing import Any

import pytest

from lawtrail.core.rules import ApprovalChainCheck, load_pack
from tests.builders import CaseBuilder, fired, required, t

AGENCIES = [
    a
    for a in (
        "tonghua-market",
        "tonghua-postal",
        "tonghua-gazetteer",
        "benxi-hrss",
        "luanchuan-stats",
    )
    if any(isinstance(r.check, ApprovalChainCheck) for r in load_pack(a).rules)
]
SUBMITTED: dict[str, Any] = {
    "subject": "某公司案处罚决定审批",
    "handler": "o1",
    "handler_opinion": "拟罚款五万元",
    "handler_reason": "事实清楚",
}
REVIEWED = {
    **SUBMITTED,
    "reviewer": "rv1",
    "reviewer_opinion": "同意",
    "reviewed_at": t("2026-10-02 09:00"),
}
APPROVED = {
    **REVIEWED,
    "approver": "h1",
    "approver_opinion": "同意",
    "approved_at": t("2026-10-02 15:00"),
}


def chain_rule(agency: str) -> str:
    [rule] = [r.id for r in load_pack(agency).rules if isinstance(r.check, ApprovalChainCheck)]
    return rule


def test_four_packs_have_the_chain_rule() -> None:
    assert len(AGENCIES) == 4


@pytest.mark.parametrize("agency", AGENCIES)
@pytest.mark.parametrize(("fields", "waits_for"), [(SUBMITTED, "审核人"), (REVIEWED, "批准人")])
def test_a_chain_on_its_way_is_pending_not_a_violation(
    agency: str, fields: dict[str, Any], waits_for: str
) -> None:
    b = CaseBuilder(agency)
    rid = b.add("internal_approval", "2026-10-01 10:00", fields)
    ev = b.evaluate("2026-10-03 12:00")
    assert fired(ev, chain_rule(agency)) == []
    [pending] = required(ev, chain_rule(agency))
    assert pending.after == rid and pending.kinds == ("internal_approval",)
    assert f"待{waits_for}办理" in pending.message


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_complete_chain_is_neither(agency: str) -> None:
    b = CaseBuilder(agency)
    b.add("internal_approval", "2026-10-01 10:00", APPROVED)
    ev = b.evaluate("2026-10-03 12:00")
    assert fired(ev, chain_rule(agency)) == [] and required(ev, chain_rule(agency)) == []


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_chain_unfinished_when_the_case_is_closed_is_a_violation(agency: str) -> None:
    b = CaseBuilder(agency)
    rid = b.add("internal_approval", "2026-10-01 10:00", REVIEWED)
    b.add("closure", "2026-10-05 10:00", {"reason": "结案"})
    ev = b.evaluate("2026-10-06 12:00")
    [finding] = fired(ev, chain_rule(agency))
    assert finding.record == rid and "未经批准人" in finding.message
    assert required(ev, chain_rule(agency)) == []


@pytest.mark.parametrize("agency", AGENCIES)
@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({**SUBMITTED, "handler_opinion": ""}, "承办人意见"),
        ({**SUBMITTED, "approver": "h1", "approver_opinion": "同意",
          "approved_at": t("2026-10-02 15:00")}, "先于"),
        ({**REVIEWED, "reviewer": "o1"}, "同一人"),
        ({**REVIEWED, "reviewer_opinion": ""}, "审核意见"),
        ({"subject": "某案审批"}, "未经承办人"),
    ],
    ids=["no-handler-opinion", "approved-without-review", "same-person", "half-review", "empty"],
)  # fmt: skip
def test_a_broken_chain_is_a_violation_at_once(
    agency: str, fields: dict[str, Any], words: str
) -> None:
    b = CaseBuilder(agency)
    b.add("internal_approval", "2026-10-01 10:00", fields)
    [finding] = fired(b.evaluate("2026-10-03 12:00"), chain_rule(agency))
    assert words in finding.message, finding.message


# ------------------------------------------------------------------ a role's part of a record


DRAFT = {"drafter": "o1", "legal_basis": "依据", "evidence": "证据材料", "factors": "考虑因素"}


def draft_rule() -> str:
    [rule] = [
        r.id
        for r in load_pack("tonghua-market").rules
        if "decision_draft" in r.kinds and "unit_reviewer" in getattr(r.check, "fields", ())
    ]
    return rule


def test_a_part_another_role_has_yet_to_make_is_pending_not_missing() -> None:
    """002 art. 16: the draft names its 起草机构审查人 — the reviewer's own act from the 待办
    (lawtrail.core.role_acts), which the handler's draft cannot carry yet."""
    b = CaseBuilder("tonghua-market")
    rid = b.add("decision_draft", "2026-10-01 10:00", DRAFT)
    ev = b.evaluate("2026-10-03 12:00")
    assert fired(ev, draft_rule()) == []
    [pending] = required(ev, draft_rule())
    assert pending.role_act and pending.after == rid and "待审核人办理" in pending.message
    b.add("closure", "2026-10-05 10:00", {"reason": "结案"})
    [finding] = fired(b.evaluate("2026-10-06 12:00"), draft_rule())
    assert finding.record == rid and "起草机构审查人" in finding.message
