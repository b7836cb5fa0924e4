"""What waits for whom in a case (lawtrail.web.inbox.pending_tasks) and who may take an internal
approval's next step — on cases built in memory, no database."""

from __future__ import annotations

from lawtrail.core.engine import evaluate
from lawtrail.core.timeutil import end_of_day
from lawtrail.web.inbox import (
    APPROVE,
    REVIEW,
    Task,
    chain_head,
    chain_versions,
    decision_of,
    next_step,
    pending_tasks,
    step_refusal,
)
from lawtrail.web.roles import APPROVER, ARCHIVIST, HANDLER, LEGAL, OFFICER, REVIEWER
from tests.builders import CaseBuilder, fired, t

MARKET_REGULATION = "002_414a546ea0455888.txt"
SUBMITTED = {
    "subject": "某公司销售侵权商品案处罚决定审批",
    "handler": "o1",
    "handler_opinion": "拟罚款五万元",
    "handler_reason": "违反商标法第五十七条",
}
REVIEWED = {
    **SUBMITTED,
    "reviewer": "rv1",
    "reviewer_opinion": "同意：事实清楚",
    "reviewed_at": t("2026-10-02 09:00"),
}
APPROVED = {
    **REVIEWED,
    "approver": "h1",
    "approver_opinion": "同意：按承办人意见",
    "approved_at": t("2026-10-02 15:00"),
}


def tasks_of(builder: CaseBuilder, at: str = "2026-10-03 12:00") -> list[Task]:
    case = builder.build()
    return pending_tasks(case, evaluate(case, at=t(at)))


def chain_tasks(tasks: list[Task]) -> list[Task]:
    return [task for task in tasks if task.kind == "internal_approval"]


def test_a_submitted_approval_waits_for_a_reviewer_other_than_its_handler() -> None:
    b = CaseBuilder("tonghua-market")
    rid = b.add("internal_approval", "2026-10-01 10:00", SUBMITTED)
    [task] = chain_tasks(tasks_of(b))
    assert task.role == REVIEWER
    assert task.step == REVIEW
    assert task.record == rid
    assert task.not_by == ("o1",)
    assert task.article == 38
    assert task.regulation == MARKET_REGULATION
    assert SUBMITTED["subject"] in task.title
    assert task.to_json()["not_by"] == ["o1"]


def test_each_step_is_a_correction_and_moves_the_task_to_the_next_role() -> None:
    b = CaseBuilder("tonghua-market")
    first = b.add("internal_approval", "2026-10-01 10:00", SUBMITTED)
    second = b.add(
        "internal_approval",
        "2026-10-01 10:00",
        REVIEWED,
        corrects=(first, "审核意见"),
        recorded_at="2026-10-02 09:00",
    )
    [task] = chain_tasks(tasks_of(b))
    assert (task.role, task.step, task.record) == (APPROVER, APPROVE, second)
    assert task.not_by == ("o1", "rv1")

    third = b.add(
        "internal_approval",
        "2026-10-01 10:00",
        APPROVED,
        corrects=(second, "批准意见"),
        recorded_at="2026-10-02 15:00",
    )
    assert chain_tasks(tasks_of(b)) == []
    case = b.build()
    head = chain_head(case, first)
    assert head is not None
    assert head.id == third
    assert [r.id for r in chain_versions(case, head)] == [first, second, third]
    # the complete chain satisfies the agency's rule (002 art. 38)
    assert fired(evaluate(case, at=t("2026-10-03 12:00")), "market.internal.chain") == []


def test_an_approval_without_the_handlers_opinion_waits_for_no_reviewer() -> None:
    b = CaseBuilder("tonghua-market")
    b.add("internal_approval", "2026-10-01 10:00", {"subject": "未提出意见", "handler": "o1"})
    assert chain_tasks(tasks_of(b)) == []


def test_an_agency_without_a_chain_article_still_routes_the_approval_without_citing_one() -> None:
    b = CaseBuilder("luanchuan-stats")
    b.add("internal_approval", "2026-10-01 10:00", SUBMITTED)
    [task] = chain_tasks(tasks_of(b))
    assert task.role == REVIEWER
    assert task.article is None
    assert task.regulation == ""


def test_a_major_draft_waits_for_legal_review_then_for_the_heads_approval() -> None:
    b = CaseBuilder("tonghua-market", major=True)
    draft = b.add("decision_draft", "2026-10-01 10:00", {"drafter": "o1"})
    [legal] = [task for task in tasks_of(b) if task.role == LEGAL]
    assert (legal.kind, legal.record, legal.article) == ("legal_review", draft, 17)

    b.add("legal_review", "2026-10-02 10:00", {"reviewer": "l1", "opinion": "合法"})
    tasks = tasks_of(b)
    assert [task for task in tasks if task.role == LEGAL] == []
    [head] = [task for task in tasks if task.kind == "head_approval"]
    assert (head.role, head.record) == (APPROVER, draft)

    b.add("head_approval", "2026-10-03 09:00", {"head": "h1", "opinion": "同意"})
    assert [task for task in tasks_of(b) if task.kind == "head_approval"] == []


def test_a_draft_of_an_ordinary_case_goes_straight_to_the_head_and_a_decision_ends_it() -> None:
    b = CaseBuilder("tonghua-market")
    b.add("decision_draft", "2026-10-01 10:00", {"drafter": "o1"})
    tasks = tasks_of(b)
    assert [task.kind for task in tasks if task.role == LEGAL] == []
    assert [task.role for task in tasks if task.kind == "head_approval"] == [APPROVER]

    b.add("decision", "2026-10-02 10:00", {})
    assert [task for task in tasks_of(b) if task.kind == "head_approval"] == []


def test_closure_gives_the_archivist_the_thirty_day_deadline_and_its_article() -> None:
    b = CaseBuilder("tonghua-market")
    closure = b.add("closure", "2026-10-01 10:00", {})
    [task] = [task for task in tasks_of(b, "2026-10-05 12:00") if task.role == ARCHIVIST]
    assert task.kind == "case_file"
    # The 30th day, Sat 2026-10-31, is a rest day: due at the end of Mon 2026-11-02, the next
    # working day (民法典 第二百零三条; pack policy extend_over_holidays).
    assert task.due == end_of_day(t("2026-11-02 00:00").date())
    assert (task.article, task.regulation, task.record) == (32, MARKET_REGULATION, closure)

    b.add("case_file", "2026-10-20 10:00", {"archivist": "a1"})
    assert [task for task in tasks_of(b, "2026-10-21 12:00") if task.role == ARCHIVIST] == []


def test_a_missed_deadline_stays_owed_and_overdue_though_the_engine_reports_it_as_a_finding() -> (
    None
):
    b = CaseBuilder("tonghua-market", origin="emergency")
    start = b.add("emergency_start", "2026-10-01 09:00", {})
    in_time = tasks_of(b, "2026-10-01 12:00")
    late = tasks_of(b, "2026-10-03 12:00")
    for tasks in (in_time, late):
        [task] = [task for task in tasks if task.kind == "initiation_approval"]
        assert (task.role, task.record, task.article) == (HANDLER, start, 8)
        assert task.due == t("2026-10-02 09:00")
    # at 10-03 the engine no longer lists it as required: it is a violation now
    evaluation = evaluate(b.build(), at=t("2026-10-03 12:00"))
    assert not [r for r in evaluation.required if r.rule == "market.start.emergency_report_24h"]
    assert fired(evaluation, "market.start.emergency_report_24h")

    # done late: a finding remains, but the handler owes nothing any more — the drafted form
    # now waits for its unit's and its head's opinions (role acts), not for the handler
    b.add("initiation_approval", "2026-10-03 10:00", {})
    owed = [t for t in tasks_of(b, "2026-10-03 12:00") if t.kind == "initiation_approval"]
    assert [(t.role, t.step) for t in owed] == [("reviewer", "act:unit"), ("approver", "act:head")]


def test_a_corrected_record_gives_its_tasks_to_the_correction_only() -> None:
    b = CaseBuilder("tonghua-market")
    first = b.add("internal_approval", "2026-10-01 10:00", {**SUBMITTED, "subject": "旧事项"})
    second = b.add(
        "internal_approval",
        "2026-10-01 11:00",
        {**SUBMITTED, "subject": "新事项"},
        corrects=(first, "承办人更正事项"),
    )
    [task] = chain_tasks(tasks_of(b))
    assert task.record == second
    assert "新事项" in task.title


def test_only_the_user_whose_turn_it_is_may_take_the_next_step() -> None:
    b = CaseBuilder("tonghua-market")
    b.add("internal_approval", "2026-10-01 10:00", SUBMITTED)
    b.add("internal_approval", "2026-10-01 10:00", REVIEWED, rid="reviewed")
    b.add("internal_approval", "2026-10-01 10:00", APPROVED, rid="approved")
    b.add("decision", "2026-10-03 10:00", {}, rid="decision")
    case = b.build()
    submitted, reviewed, approved = (
        case.record("r1"),
        case.record("reviewed"),
        case.record("approved"),
    )
    assert submitted and reviewed and approved
    assert next_step(submitted) == REVIEW
    assert next_step(reviewed) == APPROVE
    assert next_step(approved) is None

    assert step_refusal("rv1", [OFFICER, REVIEWER], submitted) is None
    assert step_refusal("h1", [APPROVER], submitted) == (
        "该审批尚未经审核人审核，不能批准（应先审核，后批准）"
    )
    assert step_refusal("o2", [OFFICER], submitted) == "您不是审核人，不能审核内部审批"
    assert step_refusal("o1", [OFFICER, HANDLER, REVIEWER], submitted) == (
        "承办人不能审核或批准本人提出的审批"
    )
    assert step_refusal("h1", [APPROVER], reviewed) is None
    assert step_refusal("rv1", [OFFICER, REVIEWER], reviewed) == (
        "您不是批准人（负责人），不能批准内部审批"
    )
    assert step_refusal("rv1", [REVIEWER, APPROVER], reviewed) == "审核人不能批准本人审核过的审批"
    assert step_refusal("h1", [APPROVER], approved) == "该审批已经批准人批准，审批流程已结束"
    decision = case.record("decision")
    assert decision is not None
    assert step_refusal("h1", [APPROVER], decision) == "该记录不是内部审批"


def test_an_opinion_says_whether_it_agrees_first() -> None:
    assert decision_of("同意：事实清楚") is True
    assert decision_of("不同意：证据不足") is False
    assert decision_of("事实清楚，同意承办人意见") is None
    assert decision_of(None) is None


def test_an_earlier_role_act_skipped_by_a_later_one_is_no_longer_a_task() -> None:
    """The start approval form: 承办机构审核 (reviewer) → 负责人审批 (head). Drafted: the
    reviewer's part waits in the inbox; once the head has decided without it, it is missing (a
    finding), not a task; and nothing of a record made before the closure waits after it."""
    b = CaseBuilder("tonghua-market")
    b.add(
        "initiation_approval",
        "2026-10-01 10:00",
        {"reason": "涉嫌违法", "handler_opinion": "拟立案"},
    )
    assert [t.step for t in tasks_of(b) if t.record == "r1"] == ["act:unit", "act:head"]
    decided = CaseBuilder("tonghua-market")
    decided.add(
        "initiation_approval",
        "2026-10-01 10:00",
        {
            "reason": "涉嫌违法",
            "handler_opinion": "拟立案",
            "head_opinion": "同意",
            "approved": True,
        },
    )
    assert [t for t in tasks_of(decided) if t.record == "r1"] == []
    closed = CaseBuilder("tonghua-market")
    closed.add("initiation_approval", "2026-10-01 10:00", {"reason": "涉嫌违法"})
    closed.add("closure", "2026-10-02 10:00", {"reason": "不予立案"})
    assert [t for t in tasks_of(closed) if t.record == "r1"] == []
