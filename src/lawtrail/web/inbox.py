"""What waits for whom in a case: the 待办 of each role.

Two sources, both derived from the case as the ledger holds it (nothing is stored that could
drift from the records):
- the internal chain: an approval a handler submitted waits for the reviewer, then the approver
  (承办人 → 审核人 → 批准人, 000 art. 37, 001 art. 31, 002 art. 38, 003 art. 28); a decision
  draft of a major case waits for legal review, then for the head's approval;
- the acts the rule packs still require, with their deadline and article (the engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lawtrail.core import timeutil
from lawtrail.core.engine import Evaluation
from lawtrail.core.model import Case, Record
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.web.roles import APPROVER, ARCHIVIST, HANDLER, LEGAL, REVIEWER

# Who records which kind of act when the rules ask for it; everything else is the handler's.
KIND_ROLE = {
    "legal_review": LEGAL,
    "head_approval": APPROVER,
    "collective_discussion": APPROVER,
    "case_file": ARCHIVIST,
}


@dataclass(frozen=True)
class Task:
    role: str
    kind: str  # the record kind that settles it
    title: str
    due: datetime | None = None
    article: int | None = None
    regulation: str = ""
    record: str = ""  # the record it follows from (an approval to continue, a draft …)

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "kind": self.kind,
            "title": self.title,
            "due": timeutil.local(self.due).isoformat() if self.due else None,
            "article": self.article,
            "regulation": self.regulation,
            "record": self.record,
        }


def _filled(record: Record, name: str) -> bool:
    return record.has_value(name)


def pending_tasks(case: Case, evaluation: Evaluation) -> list[Task]:
    effective = case.effective_records()
    tasks: list[Task] = []
    regulation = evaluation.pack.regulation
    for record in effective:
        if record.kind != "internal_approval":
            continue
        subject = str(record.value("subject") or "内部审批")
        if not _filled(record, "reviewer_opinion"):
            tasks.append(Task(REVIEWER, "internal_approval", f"审核：{subject}", record=record.id))
        elif not _filled(record, "approver_opinion"):
            tasks.append(Task(APPROVER, "internal_approval", f"批准：{subject}", record=record.id))
    kinds = [r.kind for r in effective]
    if "decision_draft" in kinds and "decision" not in kinds:
        draft = max(i for i, k in enumerate(kinds) if k == "decision_draft")
        after = kinds[draft + 1 :]
        draft_id = effective[draft].id
        if case.major and "legal_review" not in after:
            tasks.append(
                Task(LEGAL, "legal_review", "法制审核：重大行政执法决定草案", record=draft_id)
            )
        elif "head_approval" not in after:
            tasks.append(
                Task(APPROVER, "head_approval", "负责人审批：行政执法决定草案", record=draft_id)
            )
    if "closure" in kinds and "case_file" not in kinds:
        tasks.append(Task(ARCHIVIST, "case_file", "案卷归档"))
    seen = {(t.role, t.kind) for t in tasks}
    for required in evaluation.required:
        kind = required.kinds[0]
        role = KIND_ROLE.get(kind, HANDLER)
        if (role, kind) in seen:
            continue
        seen.add((role, kind))
        label = "、".join(RECORD_KINDS[k].label for k in required.kinds)
        tasks.append(
            Task(
                role,
                kind,
                f"{label}：{required.message}",
                due=required.due,
                article=required.article,
                regulation=regulation,
                record=required.after or "",
            )
        )
    return tasks
