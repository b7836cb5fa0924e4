"""Header changes (issue #15), the pure part: what a change makes of a header, what it refuses,
how it reads in the history, and how the rules judge the changed case."""

from __future__ import annotations

from typing import Any

import pytest

from lawtrail.core.caseio import parse_case
from lawtrail.core.engine import evaluate
from lawtrail.core.header import (
    HeaderChange,
    HeaderChangeError,
    apply_change,
    case_team,
    describe,
    diff,
    may_change,
    removed_parties,
    split_header,
)
from lawtrail.core.role_acts import Actor
from tests.builders import fired, t

AT = t("2026-09-10 10:00")  # when the changes are made
HEADER: dict[str, Any] = {
    "title": "涉嫌无照经营案",
    "acts": ["penalty"],
    "procedure": "general",
    "origin": "ex_officio",
    "major": False,
    "opened_at": "2026-09-01T09:00:00+08:00",
    "parties": [{"id": "p1", "name": "通化市某商贸有限公司", "kind": "organization"}],
    "people": [{"id": "zhang", "name": "张三"}],
}


def change(**kw: Any) -> HeaderChange:
    return HeaderChange(reason=kw.pop("reason", "调查中发现"), **kw)


def test_adding_a_party_keeps_the_others_and_says_so() -> None:
    new, block = apply_change(
        HEADER, change(parties=[{"id": "p2", "name": "李四", "kind": "person"}]), AT
    )
    assert [p["id"] for p in new["parties"]] == ["p1", "p2"]
    assert new["parties"][1] == {"id": "p2", "name": "李四", "kind": "person"}
    assert block == {
        "reason": "调查中发现",
        "changes": [
            {"field": "party_added", "party": {"id": "p2", "name": "李四", "kind": "person"}}
        ],
    }
    assert describe(block) == ["增加当事人 李四（个人）"]
    assert HEADER["parties"] == [  # the input is not touched
        {"id": "p1", "name": "通化市某商贸有限公司", "kind": "organization"}
    ]


def test_title_acts_and_major_with_old_and_new_values() -> None:
    new, block = apply_change(
        HEADER, change(title="涉嫌销售不合格产品案", acts=["inspection", "penalty"], major=True), AT
    )
    assert new["title"] == "涉嫌销售不合格产品案"
    assert new["acts"] == ["penalty", "inspection"]  # the case format's order
    assert new["major"] is True
    assert block["changes"] == [
        {"field": "title", "old": "涉嫌无照经营案", "new": "涉嫌销售不合格产品案"},
        {"field": "acts", "old": ["penalty"], "new": ["penalty", "inspection"]},
        {"field": "major", "old": False, "new": True},
    ]
    assert describe(block) == [
        "案由「涉嫌无照经营案」→「涉嫌销售不合格产品案」",
        "行政执法行为「行政处罚」→「行政处罚、行政检查」",
        "重大行政执法决定：否→是",
    ]


def test_correcting_and_marking_a_party_misjoined() -> None:
    new, block = apply_change(
        HEADER, change(parties=[{"id": "p1", "address": "通化市东昌区新华大街1号"}]), AT
    )
    assert new["parties"][0]["address"] == "通化市东昌区新华大街1号"
    assert describe(block) == [
        "当事人 通化市某商贸有限公司：住所或地址「（无）」→「通化市东昌区新华大街1号」"
    ]
    new, block = apply_change(
        HEADER, change(parties=[{"id": "p1", "misjoined": "名称相近，误列"}]), AT
    )
    assert new["parties"][0]["misjoined"] == "名称相近，误列"  # kept, marked
    assert describe(block) == ["当事人 通化市某商贸有限公司：标为误列（名称相近，误列）"]
    case = parse_case({"format": "lawtrail-case/1", "agency": "tonghua-market",
                       "case_number": "x", **new, "records": []})  # fmt: skip
    assert case.party("p1") is not None and case.listed_parties == []


def test_the_default_kind_spelled_out_is_no_change() -> None:
    header = {**HEADER, "parties": [{"id": "p1", "name": "某公司"}]}
    with pytest.raises(HeaderChangeError) as exc:
        apply_change(
            header, change(parties=[{"id": "p1", "name": "某公司", "kind": "organization"}]), AT
        )
    assert exc.value.issues[0].message == "案件信息没有变化，无需变更"


@pytest.mark.parametrize(
    ("request_", "path", "message"),
    [
        (change(title="涉嫌无照经营案"), "$", "案件信息没有变化，无需变更"),
        (change(acts=["penalty"]), "$", "案件信息没有变化，无需变更"),
        (change(reason="  ", major=True), "$.reason", "请填写变更理由"),
        (change(title="案" * 301), "$.title", "案由不能超过 300 个字符"),
        (change(acts=["fine"]), "$.acts[0]", "未知的行政执法行为 'fine'"),
        (change(acts=[]), "$.acts", "请至少选择一种行政执法行为"),
        (change(parties=[{"id": "p2"}]), "$.parties[0].name", "请填写新增当事人的名称或姓名"),
        (
            change(parties=[{"id": "p1", "name": ""}]),
            "$.parties[0].name",
            "当事人的名称或姓名不能为空",
        ),
        (
            change(parties=[{"id": "p1", "role": "x"}]),
            "$.parties[0].role",
            "未知的当事人字段 'role'",
        ),
        (
            change(parties=[{"id": "p3", "name": "王五", "misjoined": "x"}]),
            "$.parties[0].misjoined",
            "新增的当事人不能同时标为误列",
        ),
    ],
)
def test_refused(request_: HeaderChange, path: str, message: str) -> None:
    with pytest.raises(HeaderChangeError) as exc:
        apply_change(HEADER, request_, AT)
    assert (exc.value.issues[0].path, exc.value.issues[0].message) == (path, message)


def test_no_way_to_remove_a_party() -> None:
    new, _ = apply_change(HEADER, change(parties=[{"id": "p2", "name": "李四"}]), AT)
    assert removed_parties(HEADER, new) == []
    assert removed_parties(new, HEADER) == ["p2"]
    assert diff(HEADER, HEADER) == []


def test_the_offline_verifier_knows_the_change_key() -> None:
    from lawtrail import verify
    from lawtrail.core.header import CHANGE_KEY

    assert verify.HEADER_CHANGE_KEY == CHANGE_KEY


def test_split_header() -> None:
    body = {**HEADER, "change": {"reason": "r", "changes": []}}
    header, block = split_header(body)
    assert header == HEADER and block == {"reason": "r", "changes": []}
    assert split_header(HEADER) == (HEADER, None)


def _case(extra: list[dict[str, Any]] | None = None, **header: Any) -> Any:
    data = {
        "format": "lawtrail-case/1",
        "agency": "tonghua-market",
        "case_number": "通市监罚〔2026〕30号",
        **HEADER,
        **header,
        "records": [
            {
                "id": "r1",
                "kind": "site_inspection",
                "at": "2026-09-02T10:00:00+08:00",
                "officers": [{"person": "li", "certificate_shown": True}],
            },
            {"id": "r2", "kind": "decision", "at": "2026-09-20T10:00:00+08:00"},
            *(extra or []),
        ],
        "people": [{"id": "zhang", "name": "张三"}, {"id": "li", "name": "李四"}],
    }
    return parse_case(data)


def test_who_may_change() -> None:
    case = _case()
    assert case_team(case, "zhang") == {"zhang", "li"}
    assert may_change(case, "zhang", Actor("zhang", frozenset({"handler"})))
    assert may_change(case, "zhang", Actor("li", frozenset({"officer"})))  # officer present
    assert may_change(case, "zhang", Actor("head", frozenset({"approver"})))  # the head
    assert not may_change(case, "zhang", Actor("wang", frozenset({"officer", "legal"})))


def test_turning_major_requires_the_legal_review_before_a_decision_made_after() -> None:
    """002 (market) warns of a 重大 decision without 法制审核 (国办发〔2018〕118号). A case marked
    重大 before its decision: the decision needs the review. Marked after: the decision made
    before is not found lacking (nobody knew the case as 重大 then), a new version of it is."""
    rule = "market.legal_review.before_major_decision"
    assert not fired(evaluate(_case()), rule)
    before, _ = apply_change(HEADER, change(major=True), AT)  # the decision is on 09-20
    assert before["major_since"] == "2026-09-10T10:00:00+08:00"
    found = fired(evaluate(_case(**before)), rule)
    assert [f.record for f in found] == ["r2"] and found[0].severity.value == "warning"

    after, _ = apply_change(HEADER, change(major=True), t("2026-09-25 10:00"))
    assert not fired(evaluate(_case(**after)), rule)
    redone = {
        "id": "r3",
        "kind": "decision",
        "at": "2026-09-30T10:00:00+08:00",
        "corrects": {"record": "r2", "reason": "按重大案件重新作出"},
    }
    assert [f.record for f in fired(evaluate(_case(**after, extra=[redone])), rule)] == ["r3"]

    # No longer 重大: the mark goes with the flag; opened 重大: judged from the opening.
    undone, _ = apply_change(before, change(major=False), AT)
    assert "major_since" not in undone and undone["major"] is False
    opened_major = {**HEADER, "major": True}
    assert fired(evaluate(_case(**opened_major)), rule)


def test_the_start_approval_made_before_the_case_turned_major_is_not_found_lacking() -> None:
    """002 art. 8: a 重大 case's 程序启动审批表 carries the 法制机构合法性审查意见 — a form made
    before the case was known as 重大 is not found lacking it."""
    rule = "market.start.major_legality_review"
    # decided by the head: the legality review it lacks is missing, no longer awaited
    start = {
        "id": "r0",
        "kind": "initiation_approval",
        "at": "2026-09-01T09:00:00+08:00",
        "fields": {"head_opinion": "同意立案", "approved": True},
    }
    opened_major = {**HEADER, "major": True}
    assert fired(evaluate(_case(**opened_major, extra=[start])), rule)
    later, _ = apply_change(HEADER, change(major=True), AT)
    judged = evaluate(_case(**later, extra=[start]))
    assert not fired(judged, rule) and not [r for r in judged.required if r.rule == rule]


def test_changing_acts_changes_the_scope_warning() -> None:
    """An act the agency's regulation does not cover (002 art. 2) is reported: a change of the
    acts is judged like acts recorded at the opening."""
    covered = evaluate(_case())
    assert not [f for f in covered.findings if "适用范围" in f.message or f.rule.endswith("scope")]
    new, _ = apply_change(HEADER, change(acts=["penalty", "confirmation"]), AT)
    changed = evaluate(_case(**new))
    assert len(changed.findings) > len(covered.findings)
    assert any("确认" in f.message for f in changed.findings)
