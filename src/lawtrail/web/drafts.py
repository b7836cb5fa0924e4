"""Drafts of records (草稿) and their verdict before submitting (issue #15).

A record in the ledger is permanent: a wrong one can only be corrected or voided by another
record. So a record is composed as a draft first — the form's input kept on the server
(:class:`~lawtrail.web.models.RecordDraft`), not in the ledger — and checked before it is
submitted: every check the append makes (:func:`lawtrail.services.preview_record`) and the rule
engine's verdict on the case as it would be, reduced to what the record would *add*
("提交后将违反第十二条：未附音像记录"). Submitting a record that would add a violation needs
the user's explicit confirmation; a refused or unconfirmed submit keeps the input as a draft.

Who sees a draft: its author, and the case team — the case's handler and the agency staff
the case names (its people). Only the author changes or discards it; a team member who saves
it makes their own copy. A draft holds what was typed, including on-screen signatures (as the
form posts them); uploaded files are not kept (they are chosen again at submit).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict

from lawtrail import services
from lawtrail.core.engine import Finding, evaluate
from lawtrail.core.model import Case
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.core.regulations import article_label, load_regulation
from lawtrail.web import actions, wiring
from lawtrail.web.models import CaseIndex, RecordDraft, User

# What a draft does not keep: the form's machinery, not the user's input.
NOT_KEPT = frozenset({"csrfmiddlewaretoken", "_action", "draft", "confirm_violations"})
# On-screen signatures are data URLs of PNGs (a few hundred KB at most each); beyond this a
# posted form is not a draft but an abuse of one.
MAX_DRAFT_BYTES = 4 * 1024 * 1024
# Placeholder digest of a signature image chosen but not yet stored: the preview does not
# store files (it stores nothing); the append stores them and writes their real digests.
_PENDING_IMAGE = "0" * 64


class DraftTooLarge(ValueError):
    pass


def posted_data(post: QueryDict) -> dict[str, list[str]]:
    """The user's input of a posted record form (files excepted), as a draft keeps it."""
    data = {key: post.getlist(key) for key in post if key not in NOT_KEPT}
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_DRAFT_BYTES:
        raise DraftTooLarge(f"草稿过大（超过 {MAX_DRAFT_BYTES // (1024 * 1024)} MB），未保存")
    return data


def as_post(draft: RecordDraft) -> QueryDict:
    """A draft's input as the form's POST data again."""
    data = QueryDict(mutable=True)
    for key, values in (draft.data or {}).items():
        data.setlist(key, [str(v) for v in values])
    return data


def team(index: CaseIndex, case: Case) -> set[str]:
    """The case team's usernames: the handler and the agency staff the case names."""
    names = {person.id for person in case.people}
    if index.handler_id is not None and index.handler is not None:
        names.add(index.handler.username)
    return names


def can_see(user: User, index: CaseIndex, case: Case, draft: RecordDraft) -> bool:
    if draft.author_id == user.pk:
        return True
    return user.agency_id == index.agency_id and user.username in team(index, case)


def open_drafts(user: User, index: CaseIndex, case: Case) -> list[RecordDraft]:
    """The case's drafts not yet submitted or discarded that this user may see, newest first."""
    rows = RecordDraft.objects.filter(
        case=index, submitted_at__isnull=True, discarded_at__isnull=True
    ).select_related("author")
    return [d for d in rows if can_see(user, index, case, d)]


def my_drafts(user: User) -> list[RecordDraft]:
    """This user's open drafts in every case (the inbox's list), newest first."""
    return list(
        RecordDraft.objects.filter(
            author=user, submitted_at__isnull=True, discarded_at__isnull=True
        ).select_related("case")
    )


def labelled(rows: Iterable[RecordDraft]) -> list[RecordDraft]:
    """The drafts with their kind's Chinese name as ``label`` (for the pages)."""
    out = []
    for draft in rows:
        kind = RECORD_KINDS.get(draft.kind)
        draft.label = f"{'更正：' if draft.corrects else ''}{kind.label if kind else draft.kind}"
        out.append(draft)
    return out


def get(user: User, index: CaseIndex, case: Case, draft_id: Any) -> RecordDraft:
    """The draft of this case the user may see (404: none such; 403: not theirs to see)."""
    try:
        draft = RecordDraft.objects.select_related("author").get(pk=int(draft_id), case=index)
    except (ValueError, TypeError, RecordDraft.DoesNotExist):
        raise Http404("草稿不存在") from None
    if not can_see(user, index, case, draft):
        raise PermissionDenied("该草稿仅起草人和本案承办人员可以查看")
    return draft


def save(
    user: User,
    index: CaseIndex,
    kind: str,
    corrects: str,
    data: Mapping[str, list[str]],
    draft: RecordDraft | None,
    now: datetime,
) -> RecordDraft:
    """Keep the input: the user's own open draft updated, else a new draft of theirs."""
    if draft is not None and draft.author_id == user.pk and draft.open and draft.kind == kind:
        draft.data = dict(data)
        draft.updated_at = now
        draft.save(update_fields=["data", "updated_at"])
        return draft
    return RecordDraft.objects.create(
        case=index,
        kind=kind,
        corrects=corrects,
        author=user,
        data=dict(data),
        created_at=now,
        updated_at=now,
    )


def mark_submitted(draft: RecordDraft | None, user: User, record_id: str, now: datetime) -> None:
    if draft is not None and draft.author_id == user.pk and draft.open:
        draft.submitted_record = record_id
        draft.submitted_at = now
        draft.save(update_fields=["submitted_record", "submitted_at"])


def discard(user: User, draft: RecordDraft, now: datetime) -> None:
    if draft.author_id != user.pk:
        raise PermissionDenied("只有起草人可以放弃草稿")
    if draft.open:
        draft.discarded_at = now
        draft.save(update_fields=["discarded_at"])


# ---------------------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class Issue:
    """A finding the record would add, for the page."""

    article: str  # 第十二条
    regulation: str  # the regulation's title
    title: str  # the rule's requirement
    message: str

    @property
    def text(self) -> str:
        return f"{self.article}（{self.regulation}）：{self.message}"


@dataclass(frozen=True)
class Verdict:
    violations: tuple[Issue, ...]  # violations the record would add
    warnings: tuple[Issue, ...]  # warnings it would add
    resolved: int  # findings of the case it would settle

    @property
    def clean(self) -> bool:
        return not self.violations


def _regulation_title(file_name: str) -> str:
    try:
        return load_regulation(file_name).title
    except (FileNotFoundError, ValueError):
        return file_name


def _issue(finding: Finding) -> Issue:
    return Issue(
        article_label(finding.article),
        _regulation_title(finding.regulation),
        finding.title,
        finding.message,
    )


def _key(finding: Finding) -> tuple[Any, ...]:
    return (finding.rule, finding.record, finding.message)


def verdict(
    user: User,
    index: CaseIndex,
    record: Mapping[str, Any],
    now: datetime,
    *,
    signature_images: Iterable[int] = (),
) -> Verdict:
    """What submitting ``record`` would do, now: the findings it would add to the case and
    how many it would settle. Raises what the append would (:class:`services.ServiceError`,
    :class:`services.ActRefused`) when it would be refused. Stores nothing."""
    data = dict(record)
    if signature_images:
        signatures = [dict(s) for s in data.get("signatures") or []]
        for slot in signature_images:
            signatures[slot]["image_sha256"] = _PENDING_IMAGE
        data["signatures"] = signatures
    people = [
        member.as_person()
        for member in User.objects.filter(
            agency_id=index.agency_id,
            username__in={user.username, *actions.staff_named(data)},
        )
    ]
    preview = services.preview_record(
        wiring.ledger(),
        index.agency_id,
        index.case_number,
        data,
        now=now,
        by=actions.actor_of(user),
        people=people,
    )
    before = {_key(f) for f in evaluate(preview.before, at=now).findings}
    after = evaluate(preview.after, at=now)
    added = [f for f in after.findings if _key(f) not in before]
    kept = {_key(f) for f in after.findings}
    return Verdict(
        tuple(_issue(f) for f in added if f in after.violations),
        tuple(_issue(f) for f in added if f in after.warnings),
        sum(1 for k in before if k not in kept),
    )
