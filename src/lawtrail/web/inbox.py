"""What waits for whom in a case: the 待办 of each role.

Two sources, both derived from the case as the ledger holds it (nothing is stored that could
drift from the records):

- the internal chain: an approval a handler submitted (an ``internal_approval`` record with the
  handler's opinion) waits for a reviewer, then for an approver — 承办人 → 审核人 → 批准人
  (000 art. 37, 001 art. 31, 002 art. 38, 003 art. 28). Each step is a new record correcting
  the previous one (:func:`lawtrail.web.actions.do_approval_step`), so the effective record
  tells how far the chain has come. The reviewer's opinion — agreeing or not — goes on to the
  approver, who decides (the articles: 经审核人审核后，由批准人批准). A decision draft of a major
  case waits for legal review (法制审核), then for the head's approval (负责人审批);
- the acts the rule packs still require, with their deadline and article (the engine) —
  including those whose deadline has passed: the engine reports a missed deadline as a finding
  and no longer as a required act, but the act is still owed, so it stays in the inbox, overdue.

:func:`pending_tasks` is pure (no database); :mod:`lawtrail.web.actions` stores its result in
the case index in the same transaction as each ledger write, and the inbox reads it there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lawtrail.core import role_acts, timeutil
from lawtrail.core.engine import Evaluation
from lawtrail.core.model import Case, Record
from lawtrail.core.record_kinds import (
    AV_EXEMPTION_ACT,
    RECORD_KINDS,
    opinion_decision,
    record_label,
)
from lawtrail.core.rules import (
    ApprovalChainCheck,
    FollowedByCheck,
    PrecededByCheck,
    RulePack,
)
from lawtrail.web.roles import APPROVER, ARCHIVIST, HANDLER, LEGAL, REVIEWER

# Who records which kind of act when the rules ask for it; everything else is the handler's.
KIND_ROLE = {
    "legal_review": LEGAL,
    "head_approval": APPROVER,
    "collective_discussion": APPROVER,
    "case_file": ARCHIVIST,
}

# The steps of the internal chain after the handler's: (step, role, person, opinion, time field)
REVIEW = "review"
APPROVE = "approve"
CHAIN_STEPS = {
    REVIEW: (REVIEWER, "reviewer", "reviewer_opinion", "reviewed_at"),
    APPROVE: (APPROVER, "approver", "approver_opinion", "approved_at"),
}
STEP_LABELS = {REVIEW: "审核", APPROVE: "批准"}
# The reason a step's correcting record gives (case format: corrects.reason)
STEP_REASONS = {REVIEW: "审核意见", APPROVE: "批准意见"}
AGREE, DISAGREE = "同意", "不同意"


@dataclass(frozen=True)
class Task:
    role: str
    kind: str  # the record kind that settles it
    title: str
    due: datetime | None = None
    article: int | None = None
    regulation: str = ""
    record: str = ""  # the record it follows from (an approval to continue, a draft …)
    step: str = ""  # review | approve: a step of the internal chain (settled on its own page)
    not_by: tuple[str, ...] = ()  # people who may not do it (earlier steps of the same chain)

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "kind": self.kind,
            "title": self.title,
            "due": timeutil.local(self.due).isoformat() if self.due else None,
            "article": self.article,
            "regulation": self.regulation,
            "record": self.record,
            "step": self.step,
            "not_by": list(self.not_by),
        }


def task_values(task: Mapping[str, Any], position: int) -> dict[str, Any]:
    """The columns of one task of a ``pending`` list (``inbox.Task.to_json``). Pure: also used
    by the migration that fills the table from the existing index rows (no model here)."""
    due = task.get("due")
    article = task.get("article")
    not_by = [str(n) for n in task.get("not_by") or () if n]
    return {
        "position": position,
        "role": str(task.get("role") or ""),
        "kind": str(task.get("kind") or ""),
        "title": str(task.get("title") or ""),
        "due": timeutil.parse_aware(due) if isinstance(due, str) else None,
        "article": article if isinstance(article, int) else None,
        "regulation": str(task.get("regulation") or ""),
        "record": str(task.get("record") or ""),
        "step": str(task.get("step") or ""),
        "not_by": f",{','.join(not_by)}," if not_by else "",
    }


# ---------------------------------------------------------------------------- the internal chain


def chain_head(case: Case, record_id: str) -> Record | None:
    """The latest version of an internal approval: follow the corrections from ``record_id``
    (each step corrects the step before it; the last correction of a record wins, as in
    :meth:`Case.effective_records`)."""
    record = case.record(record_id)
    seen = set()
    while record is not None and record.id not in seen:
        seen.add(record.id)
        newer = [
            r for r in case.records if r.corrects is not None and r.corrects.record == record.id
        ]
        if not newer:
            return record
        record = max(newer, key=lambda r: (r.known_at, r.id))
    return record


def chain_versions(case: Case, head: Record) -> list[Record]:
    """Every version of the approval up to ``head``, the handler's submission first."""
    versions = [head]
    current = head
    while current.corrects is not None:
        previous = case.record(current.corrects.record)
        if previous is None or previous in versions:
            break
        versions.append(previous)
        current = previous
    return versions[::-1]


def next_step(record: Record) -> str | None:
    """The step an internal approval waits for: review, approve, or None (done, or not yet
    submitted: the handler's opinion is missing)."""
    if not (record.has_value("handler") and record.has_value("handler_opinion")):
        return None
    if not record.has_value("reviewer_opinion"):
        return REVIEW
    if not record.has_value("approver_opinion"):
        return APPROVE
    return None


def earlier_people(record: Record, step: str) -> tuple[str, ...]:
    """Who acted in the steps before ``step`` (they may not take it: one person per step)."""
    names = [record.value("handler")]
    if step == APPROVE:
        names.append(record.value("reviewer"))
    return tuple(str(n) for n in names if isinstance(n, str) and n)


def step_refusal(username: str, roles: list[str] | tuple[str, ...], record: Record) -> str | None:
    """Why this user may not take the approval's next step (Chinese), or None if it is theirs."""
    if record.kind != "internal_approval":
        return "该记录不是内部审批"
    step = next_step(record)
    if step is None:
        if record.has_value("approver_opinion"):
            return "该审批已经批准人批准，审批流程已结束"
        return "承办人尚未提出意见，不能审核"
    role = CHAIN_STEPS[step][0]
    if role not in roles:
        if step == REVIEW and APPROVER in roles:
            return "该审批尚未经审核人审核，不能批准（应先审核，后批准）"
        if step == REVIEW:
            return "您不是审核人，不能审核内部审批"
        return "您不是批准人（负责人），不能批准内部审批"
    if username == record.value("handler"):
        return "承办人不能审核或批准本人提出的审批"
    if step == APPROVE and username == record.value("reviewer"):
        return "审核人不能批准本人审核过的审批"
    return None


def decision_of(opinion: object) -> bool | None:
    """True / False when an opinion states 同意 / 不同意 first (as the approval page records
    it), None when it does not say — read as the rules read it."""
    return opinion_decision(opinion)


# ---------------------------------------------------------------------------- the tasks


def _article(pack: RulePack, kind: str) -> int | None:
    """The article that asks for ``kind``: the chain rule for an internal approval, else a rule
    requiring it before something, else any rule about it."""
    for rule in pack.rules:
        if isinstance(rule.check, ApprovalChainCheck) and kind in rule.kinds:
            return rule.citation.article
    for rule in pack.rules:
        if isinstance(rule.check, PrecededByCheck) and kind in rule.check.kinds:
            return rule.citation.article
    for rule in pack.rules:
        if kind in rule.kinds:
            return rule.citation.article
    return None


def _chain_tasks(case: Case, effective: list[Record], pack: RulePack) -> list[Task]:
    tasks = []
    article = _article(pack, "internal_approval")
    for record in effective:
        if record.kind != "internal_approval":
            continue
        step = next_step(record)
        if step is None:
            continue
        subject = str(record.value("subject") or "内部审批")
        tasks.append(
            Task(
                CHAIN_STEPS[step][0],
                "internal_approval",
                f"内部审批{STEP_LABELS[step]}：{subject}",
                article=article,
                regulation=pack.regulation if article else "",
                record=record.id,
                step=step,
                not_by=earlier_people(record, step),
            )
        )
    return tasks


ACT_STEP_PREFIX = "act:"  # Task.step of a role act: "act:<RoleAct.name>"


def _role_act_tasks(case: Case, effective: list[Record]) -> list[Task]:
    """The role acts a drafted record waits for (:func:`role_acts.pending`): a start approval
    form's 承办机构 / 法制机构 / 负责人 opinions, a copy request's consent, an exemption from AV,
    a collective discussion's conclusion … — each completed by its role from the inbox."""
    tasks: list[Task] = []
    closed = min((r.at for r in effective if r.kind == "closure"), default=None)
    for record in effective:
        if closed is not None and record.at <= closed:
            continue  # the acts ended: a part still missing is a finding, not a task
        kind = RECORD_KINDS[record.kind]
        to_come = role_acts.outstanding(record, kind, major=case.major)
        for act in role_acts.pending(record, kind, major=case.major):
            if act is not AV_EXEMPTION_ACT and act not in to_come:
                continue  # a later act was made without it: missing, not awaited
            tasks.append(
                Task(
                    act.role,
                    record.kind,
                    f"{act.label}：{kind.label}（{record_label(record.id)}）",
                    record=record.id,
                    step=ACT_STEP_PREFIX + act.name,
                )
            )
    return tasks


def _decision_tasks(case: Case, effective: list[Record], pack: RulePack) -> list[Task]:
    kinds = [r.kind for r in effective]
    if "decision_draft" not in kinds or "decision" in kinds:
        return []
    draft = max(i for i, k in enumerate(kinds) if k == "decision_draft")
    after = kinds[draft + 1 :]
    draft_id = effective[draft].id
    if case.major and "legal_review" not in after:
        kind, role, title = "legal_review", LEGAL, "法制审核：重大行政执法决定草案"
    elif "head_approval" not in after:
        kind, role, title = "head_approval", APPROVER, "负责人审批：行政执法决定草案"
    else:
        return []
    article = _article(pack, kind)
    return [
        Task(
            role,
            kind,
            title,
            article=article,
            regulation=pack.regulation if article else "",
            record=draft_id,
        )
    ]


def _overdue_acts(case: Case, evaluation: Evaluation, effective: list[Record]) -> list[Task]:
    """Acts whose deadline passed without them: the engine reports these as findings only,
    with the deadline they missed."""
    pack = evaluation.pack
    by_id = {r.id: r for r in effective}
    tasks = []
    for finding in evaluation.findings:
        if finding.missed_due is None or finding.record not in by_id:
            continue
        rule = pack.rule(finding.rule)
        check = rule.check
        assert isinstance(check, FollowedByCheck)
        record = by_id[finding.record]
        label = f"{RECORD_KINDS[record.kind].label}（{record_label(record.id)}）"
        kinds_label = "、".join(RECORD_KINDS[k].label for k in check.kinds)
        tasks.append(
            Task(
                KIND_ROLE.get(check.kinds[0], HANDLER),
                check.kinds[0],
                f"{kinds_label}：{rule.title}（{label}之后，"
                f"应不晚于 {timeutil.format_local(finding.missed_due)}，已逾期）",
                due=finding.missed_due,
                article=rule.citation.article,
                regulation=rule.citation.regulation,
                record=record.id,
            )
        )
    return tasks


def pending_tasks(case: Case, evaluation: Evaluation) -> list[Task]:
    """Everything that waits for someone in this case, one task per (role, kind)."""
    effective = case.effective_records(evaluation.as_of)
    pack = evaluation.pack
    tasks = _chain_tasks(case, effective, pack) + _role_act_tasks(case, effective)
    engine_tasks: list[Task] = []
    # An unfinished approval chain is the engine's required act too; its steps are the chain's
    # own tasks above (to the reviewer, then the approver), not a new record for the handler.
    chain_rules = {r.id for r in pack.rules if isinstance(r.check, ApprovalChainCheck)}
    for required in evaluation.required:
        if required.rule in chain_rules or required.role_act:
            continue  # (a role act's task is the role's own: _role_act_tasks above)
        kind = required.kinds[0]
        label = "、".join(RECORD_KINDS[k].label for k in required.kinds)
        engine_tasks.append(
            Task(
                KIND_ROLE.get(kind, HANDLER),
                kind,
                f"{label}：{required.message}",
                due=required.due,
                article=required.article,
                regulation=required.regulation,
                record=required.after or "",
            )
        )
    engine_tasks += _overdue_acts(case, evaluation, effective)
    # The decision chain and archiving come from the records; the engine's required act for the
    # same kind (if any) carries the deadline and the article, so it is the one kept.
    extra = _decision_tasks(case, effective, pack)
    kinds = {r.kind for r in effective}
    if "closure" in kinds and "case_file" not in kinds:
        extra.append(Task(ARCHIVIST, "case_file", "案卷归档：执法行为已终结，形成案卷并归档"))
    seen: set[tuple[str, str]] = set()
    for task in sorted(engine_tasks, key=lambda t: (t.due is None, t.due or evaluation.as_of)):
        if (task.role, task.kind) not in seen:  # the earliest deadline of a kind
            seen.add((task.role, task.kind))
            tasks.append(task)
    for task in extra:
        if (task.role, task.kind) not in seen:
            seen.add((task.role, task.kind))
            tasks.append(task)
    return tasks
