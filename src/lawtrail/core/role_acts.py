"""Who may make each part of a record: a role's act only by that role, in its own name.

Record kinds declare their role acts (:class:`~lawtrail.core.record_kinds.RoleAct`): the head's
opinion and decision on a start approval form, the legal reviewer's review, an approval step,
the archiving … and the signatures that are such an act (``SIGNATURE_ACT_ROLES``). This module
is the one check of them, which the services run on every record before it is appended — so
the web form, the API and an import obey the same rule:

- **live** (an :class:`Actor`: the signed-in user): an act made or changed in this record needs
  the act's role; its person is the actor (set here; another name is refused); its time is the
  server's; acts it requires come first and, where ``distinct``, by someone else. An act carried
  unchanged from the record it corrects stays the earlier person's — as long as the content it
  was made on is unchanged too (a head's approval covers the text the head saw: whoever changes
  that text must leave the approval to be given again).
- **transcribed** (no actor: the import of a paper case file, or a trusted tool): no one acts
  now, so each act must name its person, who must be one of the case's people holding the role.

Pure: no I/O, no framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from lawtrail.core.caseio import FormatIssue
from lawtrail.core.model import AvExemption, Person, Record, Signature
from lawtrail.core.record_kinds import (
    AV_EXEMPTION_ACT,
    RECORD_KINDS,
    SIGNATURE_ACT_ROLES,
    SIGNATURE_ROLES,
    STAFF_ROLES,
    RecordKind,
    RoleAct,
)


@dataclass(frozen=True)
class Actor:
    """The user making the record now: their account name (their person id in the case) and
    the roles the agency gave them."""

    username: str
    roles: frozenset[str]

    def holds(self, role: str) -> bool:
        return not role or role in self.roles


def role_label(role: str) -> str:
    return STAFF_ROLES.get(role, role) if role else "本机关工作人员"


def acts_of(kind: RecordKind) -> tuple[RoleAct, ...]:
    """Every role act a record of ``kind`` can carry (its own and the AV exemption's)."""
    return (*kind.role_acts, AV_EXEMPTION_ACT)


def _source(record: Record, act: RoleAct) -> Mapping[str, Any]:
    if act.where == "av_exemption":
        return vars(record.av_exemption) if record.av_exemption is not None else {}
    return record.fields


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, tuple | list):
        return not any(str(v).strip() for v in value)
    return False


def values(record: Record, act: RoleAct) -> tuple[Any, ...]:
    """What the record holds for the act's fields, person and time, blanks as None."""
    source = _source(record, act)
    return tuple(None if _blank(source.get(n)) else source.get(n) for n in act.names)


def made(record: Record, act: RoleAct) -> bool:
    """Whether the record carries the act: any of its fields, its person or its time filled in
    (a time typed alone is still a claim that the act took place)."""
    return any(v is not None for v in values(record, act))


def person_of(record: Record, act: RoleAct) -> str:
    value = _source(record, act).get(act.person) if act.person else None
    return value if isinstance(value, str) else ""


def outstanding(record: Record, kind: RecordKind, *, major: bool) -> list[RoleAct]:
    """The acts of ``record`` still to come: those (asked for, ``task``) after the last one
    made. The kind lists its acts in the order they are made (承办机构意见 → 法制审查 → 负责人
    审批), so once a later act is made — the head has decided — an earlier one not made is
    missing from the record, no longer awaited (the rules then find it lacking)."""
    acts = [a for a in kind.role_acts if a.task and not (a.major_only and not major)]
    made_at = [i for i, act in enumerate(acts) if made(record, act)]
    return acts[max(made_at, default=-1) + 1 :]


def pending(record: Record, kind: RecordKind, *, major: bool) -> list[RoleAct]:
    """The acts of ``record`` that wait for their role: not made yet, their required acts made,
    and asked for (``task``; ``major_only`` acts only in a major case). The exemption from AV
    waits for the head when its reason is given and no one approved it."""
    out = []
    for act in kind.role_acts:
        if not act.task or made(record, act) or (act.major_only and not major):
            continue
        if all(made(record, kind.role_act(r)) for r in act.requires):
            out.append(act)
    exemption = record.av_exemption
    if exemption is not None and exemption.reason.strip() and not made(record, AV_EXEMPTION_ACT):
        out.append(AV_EXEMPTION_ACT)
    return out


def _act_paths(act: RoleAct) -> dict[str, str]:
    base = "$.av_exemption" if act.where == "av_exemption" else "$.fields"
    return {n: f"{base}.{n}" for n in act.names}


def _content(record: Record, kind: RecordKind) -> tuple[Any, ...]:
    """What the record says apart from its role acts and the acts' signatures: what an act
    carried from an earlier version was made on."""
    act_names = {n for act in kind.role_acts for n in act.names}
    fields = tuple(sorted((k, repr(v)) for k, v in record.fields.items() if k not in act_names))
    exemption = record.av_exemption.reason if record.av_exemption is not None else ""
    plain_signatures = tuple(s for s in record.signatures if s.role not in SIGNATURE_ACT_ROLES)
    return (
        record.at,
        fields,
        tuple(record.officers),
        plain_signatures,
        tuple(record.refusals),
        tuple(m.sha256 for m in record.media),
        exemption,
    )


def check(
    record: Record,
    previous: Record | None,
    *,
    actor: Actor | None,
    people: Sequence[Person] = (),
    now: datetime | None = None,
) -> tuple[Record, list[FormatIssue]]:
    """Check every role act of ``record`` (which corrects ``previous``, if given).

    Returns the record with each act the actor makes completed (its person the actor, its time
    ``now``) and the issues (JSON paths, Chinese): an empty list means the record may be
    appended. ``actor`` None: a transcription, whose acts must name people of the case holding
    the role (``people``)."""
    kind = RECORD_KINDS[record.kind]
    issues: list[FormatIssue] = []
    content_kept = previous is not None and _content(previous, kind) == _content(record, kind)
    if kind.recorded_by and actor is not None and not actor.holds(kind.recorded_by):
        issues.append(
            FormatIssue(
                "$.kind",
                f"“{kind.label}”是{role_label(kind.recorded_by)}的职责，"
                f"只有{role_label(kind.recorded_by)}可以记录",
            )
        )
        return record, issues
    for act in acts_of(kind):
        # A kind that is wholly one role's act is that act even when its fields are empty.
        whole = actor is not None and act.role == kind.recorded_by != "" and act in kind.role_acts
        if not (whole or made(record, act)):
            continue
        carried = previous is not None and values(previous, act) == values(record, act)
        if carried:
            assert previous is not None
            issue = _check_carried(record, previous, act, kind, actor, content_kept)
            if issue is not None:
                issues.append(issue)
            continue
        if actor is None:
            issues.extend(_check_transcribed(record, act, kind, people))
            continue
        refusal = _refusal(record, act, kind, actor)
        if refusal is not None:
            issues.append(refusal)
            continue
        record = _complete(record, act, actor, now)
    record, signature_issues = _check_signatures(record, previous, actor, people, content_kept)
    issues.extend(signature_issues)
    return record, issues


def _check_carried(
    record: Record,
    previous: Record,
    act: RoleAct,
    kind: RecordKind,
    actor: Actor | None,
    content_kept: bool,
) -> FormatIssue | None:
    """An act carried unchanged from the corrected record: still the earlier person's act, if
    the content it was made on is unchanged (or its own person re-submits it)."""
    if content_kept:
        return None
    if actor is not None and actor.holds(act.role) and person_of(record, act) == actor.username:
        return None
    path = next(iter(_act_paths(act).values()))
    return FormatIssue(
        path,
        f"更正改动了记录内容，原记录中的“{act.label}”不再适用：请清空该部分后提交，"
        f"由{role_label(act.role)}在待办中重新办理",
    )


def _refusal(record: Record, act: RoleAct, kind: RecordKind, actor: Actor) -> FormatIssue | None:
    paths = _act_paths(act)
    source = _source(record, act)
    filled = next((n for n in act.names if not _blank(source.get(n))), act.names[0])
    if not actor.holds(act.role):
        return FormatIssue(
            paths[filled],
            f"“{_label(kind, act, filled)}”是{role_label(act.role)}的{act.label}，"
            f"只能由{role_label(act.role)}本人办理：请由承办人起草记录，"
            f"再由{role_label(act.role)}在待办中办理",
        )
    named = person_of(record, act)
    if act.person and named and named != actor.username:
        return FormatIssue(
            paths[act.person],
            f"“{act.label}”只能以本人名义办理：{_label(kind, act, act.person)}应为您本人",
        )
    for required in act.requires:
        before = kind.role_act(required)
        if not made(record, before):
            return FormatIssue(paths[filled], f"应先有“{before.label}”，才能办理“{act.label}”")
        if act.distinct and before.person and person_of(record, before) == actor.username:
            return FormatIssue(
                paths[filled],
                f"同一人不能既办理“{before.label}”又办理“{act.label}”（一人一环节）",
            )
    return None


def _complete(record: Record, act: RoleAct, actor: Actor, now: datetime | None) -> Record:
    """The act made by ``actor``: its person is the actor, its time the server's."""
    updates: dict[str, Any] = {}
    if act.person:
        updates[act.person] = actor.username
    if act.time and now is not None:
        updates[act.time] = now
    if not updates:
        return record
    if act.where == "av_exemption":
        assert record.av_exemption is not None
        exemption: AvExemption = replace(record.av_exemption, **updates)
        return replace(record, av_exemption=exemption)
    return replace(record, fields={**record.fields, **updates})


def _check_transcribed(
    record: Record, act: RoleAct, kind: RecordKind, people: Sequence[Person]
) -> list[FormatIssue]:
    """A transcribed act names its person, a person of the case holding the act's role."""
    if not act.person:
        return []  # the act names no one (a unit's opinion on paper): nothing to check it by
    named = person_of(record, act)
    path = _act_paths(act)[act.person]
    holder = next((p for p in people if p.id == named), None)
    if holder is None:
        return [
            FormatIssue(
                path,
                f"“{act.label}”应载明办理人（{_label(kind, act, act.person)}），且其为本案人员",
            )
        ]
    if act.role and act.role not in holder.roles:
        return [
            FormatIssue(
                path, f"{holder.name}不是本案的{role_label(act.role)}，不能办理“{act.label}”"
            )
        ]
    return []


def _check_signatures(
    record: Record,
    previous: Record | None,
    actor: Actor | None,
    people: Sequence[Person],
    content_kept: bool,
) -> tuple[Record, list[FormatIssue]]:
    issues: list[FormatIssue] = []
    earlier = set(previous.signatures) if previous is not None else set()
    signatures = list(record.signatures)
    for index, signature in enumerate(signatures):
        role = SIGNATURE_ACT_ROLES.get(signature.role)
        if role is None:
            continue
        path = f"$.signatures[{index}]"
        what = SIGNATURE_ROLES[signature.role]
        if signature in earlier:
            if content_kept or (actor is not None and signature.person == actor.username):
                continue
            issues.append(
                FormatIssue(
                    path,
                    f"更正改动了记录内容，原记录中{what}的签名不再适用：请删除该签名，"
                    f"由{what}重新签署",
                )
            )
            continue
        if actor is None:
            holder = next((p for p in people if p.id == signature.person), None)
            if holder is None or role not in holder.roles:
                issues.append(
                    FormatIssue(path, f"{what}的签名应载明签名人，且其在本案人员中为{what}")
                )
            continue
        if not actor.holds(role):
            issues.append(
                FormatIssue(path, f"{what}的签名只能由{role_label(role)}本人签署，不能代为记录")
            )
        elif signature.person not in ("", actor.username):
            issues.append(FormatIssue(path, f"{what}的签名只能以本人名义签署"))
        else:
            signatures[index] = _own(signature, actor)
    if signatures != list(record.signatures):
        record = replace(record, signatures=tuple(signatures))
    return record, issues


def _own(signature: Signature, actor: Actor) -> Signature:
    return replace(signature, person=actor.username)


def _label(kind: RecordKind, act: RoleAct, name: str) -> str:
    if act.where == "av_exemption":
        return {"approved": "是否批准不进行音像记录", "approved_by": "批准的负责人"}.get(name, name)
    return kind.field(name).label


def role_fields(kind: RecordKind) -> Iterable[tuple[RoleAct, str]]:
    """Every (act, field) of the kind a person could type — for forms and tests."""
    for act in acts_of(kind):
        for name in act.names:
            yield act, name
