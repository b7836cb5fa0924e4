"""Every role act of every record kind is made only by its role, in its own name
(lawtrail.core.role_acts): walked over every kind × role field × staff role, and every signature
that is a role's act × staff role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from lawtrail.core import role_acts
from lawtrail.core.model import AvExemption, Correction, Person, Record, Signature
from lawtrail.core.record_kinds import (
    AV_EXEMPTION_ACT,
    RECORD_KINDS,
    SIGNATURE_ACT_ROLES,
    STAFF_ROLES,
    FieldSpec,
    FieldType,
    RecordKind,
    RoleAct,
)
from lawtrail.core.role_acts import Actor
from lawtrail.core.timeutil import SHANGHAI

AT = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=SHANGHAI)
OTHER = "someone.else"


def value_for(spec: FieldSpec, username: str) -> Any:
    return {
        FieldType.TEXT: "同意",
        FieldType.TEXT_LIST: ("一",),
        FieldType.BOOL: True,
        FieldType.INTEGER: 1,
        FieldType.DATE: AT.date(),
        FieldType.DATETIME: AT,
        FieldType.CHOICE: next(iter(spec.choices), ""),
        FieldType.CHOICES: tuple(spec.choices)[:1],
        FieldType.PERSON: username,
        FieldType.PERSONS: (username,),
        FieldType.PARTY: "p1",
        FieldType.RECORD: "r1",
    }.get(spec.type, "1.00")


def prerequisites(kind: RecordKind, act: RoleAct) -> dict[str, Any]:
    """The acts ``act`` requires, made by someone else (so only ``act`` is under test)."""
    fields: dict[str, Any] = {}
    for name in act.requires:
        before = kind.role_act(name)
        fields.update(prerequisites(kind, before))
        for field in before.fields:
            fields[field] = value_for(kind.field(field), OTHER)
        if before.person:
            fields[before.person] = OTHER
    return fields


def role_field_cases() -> list[Any]:
    cases = []
    for kind in RECORD_KINDS.values():
        for act in kind.role_acts:
            for name in act.names:
                for role in STAFF_ROLES:
                    cases.append(
                        pytest.param(kind.id, act.name, name, role, id=f"{kind.id}.{name}-{role}")
                    )
    return cases


@pytest.mark.parametrize(("kind_id", "act_name", "field", "role"), role_field_cases())
def test_every_role_field_of_every_kind_is_accepted_only_from_its_role(
    kind_id: str, act_name: str, field: str, role: str
) -> None:
    kind = RECORD_KINDS[kind_id]
    act = kind.role_act(act_name)
    actor = Actor("u1", frozenset({role}))
    # The acts it requires were made earlier, by someone else: this record corrects that one.
    earlier = prerequisites(kind, act)
    previous = Record("r1", kind_id, AT, fields=earlier) if earlier else None
    fields = {**earlier, field: value_for(kind.field(field), "u1")}
    corrects = Correction("r1", act.label) if previous else None
    record = Record("r2", kind_id, AT, fields=fields, corrects=corrects)
    checked, issues = role_acts.check(record, previous, actor=actor, now=NOW)
    may = kind.recorded_by in ("", role) and act.role in ("", role)
    if may:
        assert issues == []
        if act.person:  # made in the actor's own name …
            assert checked.fields[act.person] == "u1"
        if act.time:  # … at the server's time, whatever was typed
            assert checked.fields[act.time] == NOW
    else:
        assert issues, f"{kind_id}.{field} accepted from {role}"
        assert all(i.message for i in issues)


@pytest.mark.parametrize(
    ("kind_id", "act_name"),
    [(k.id, a.name) for k in RECORD_KINDS.values() for a in k.role_acts if a.person],
)
def test_a_role_act_in_another_persons_name_is_refused_even_from_the_role(
    kind_id: str, act_name: str
) -> None:
    kind = RECORD_KINDS[kind_id]
    act = kind.role_act(act_name)
    actor = Actor("u1", frozenset({act.role} if act.role else set()) | {kind.recorded_by} - {""})
    earlier = prerequisites(kind, act)
    previous = Record("r1", kind_id, AT, fields=earlier) if earlier else None
    record = Record(
        "r2",
        kind_id,
        AT,
        fields={**earlier, act.person: "u2"},
        corrects=Correction("r1", act.label) if previous else None,
    )
    _, issues = role_acts.check(record, previous, actor=actor)
    assert [i.path for i in issues] == [f"$.fields.{act.person}"]
    assert "本人名义" in issues[0].message


@pytest.mark.parametrize("signature_role", sorted(SIGNATURE_ACT_ROLES))
@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_a_signature_that_is_a_roles_act_is_made_only_by_that_role(
    signature_role: str, role: str
) -> None:
    record = Record(
        "r2", "site_inspection", AT, signatures=(Signature(signature_role, name="某某"),)
    )
    checked, issues = role_acts.check(record, None, actor=Actor("u1", frozenset({role})))
    if SIGNATURE_ACT_ROLES[signature_role] == role:
        assert issues == []
        assert checked.signatures[0].person == "u1"
    else:
        assert [i.path for i in issues] == ["$.signatures[0]"]


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_the_exemption_from_av_is_approved_only_by_the_head(role: str) -> None:
    record = Record(
        "r2", "site_inspection", AT, av_exemption=AvExemption("涉及国家秘密", approved=True)
    )
    checked, issues = role_acts.check(record, None, actor=Actor("u1", frozenset({role})))
    if role == AV_EXEMPTION_ACT.role:
        assert issues == []
        assert checked.av_exemption is not None
        assert checked.av_exemption.approved_by == "u1"
    else:
        assert [i.path for i in issues] == ["$.av_exemption.approved"]


def test_a_handler_drafts_and_the_head_completes_the_start_approval() -> None:
    handler = Actor("h", frozenset({"handler", "officer"}))
    head = Actor("boss", frozenset({"approver"}))
    draft = Record(
        "r1", "initiation_approval", AT, fields={"reason": "举报", "handler_opinion": "建议立案"}
    )
    _, issues = role_acts.check(draft, None, actor=handler)
    assert issues == []
    pending = role_acts.pending(draft, RECORD_KINDS["initiation_approval"], major=False)
    assert [a.name for a in pending] == ["unit", "head"]  # legality only in a major case
    approved = Record(
        "r2",
        "initiation_approval",
        AT,
        fields={**draft.fields, "head_opinion": "同意", "approved": True},
        corrects=Correction("r1", "行政机关负责人审批"),
    )
    _, refused = role_acts.check(approved, draft, actor=handler)
    assert refused and "只能由负责人（批准人）本人办理" in refused[0].message
    done, issues = role_acts.check(approved, draft, actor=head)
    assert issues == []
    assert done.fields["head"] == "boss"


def test_an_approval_carried_into_a_changed_record_must_be_given_again() -> None:
    handler = Actor("h", frozenset({"handler"}))
    approved = Record(
        "r2",
        "initiation_approval",
        AT,
        fields={"reason": "举报", "head_opinion": "同意", "approved": True, "head": "boss"},
    )
    changed = Record(
        "r3",
        "initiation_approval",
        AT,
        fields={**approved.fields, "reason": "依职权检查发现"},
        corrects=Correction("r2", "更正启动原因"),
    )
    _, issues = role_acts.check(changed, approved, actor=handler)
    assert issues and "不再适用" in issues[0].message
    # unchanged content (say a signature image added by the handler): the approval stands
    unchanged = Record(
        "r3",
        "initiation_approval",
        AT,
        fields=approved.fields,
        note="补充",
        corrects=Correction("r2", "补充备注"),
    )
    assert role_acts.check(unchanged, approved, actor=handler)[1] == []
    # the approval cleared: the handler's correction is accepted and waits for the head again
    cleared = Record(
        "r3",
        "initiation_approval",
        AT,
        fields={"reason": "依职权检查发现"},
        corrects=Correction("r2", "更正启动原因"),
    )
    assert role_acts.check(cleared, approved, actor=handler)[1] == []


def test_one_person_per_step_of_the_internal_chain() -> None:
    kind = RECORD_KINDS["internal_approval"]
    submitted = Record(
        "r1", "internal_approval", AT, fields={"handler": "h", "handler_opinion": "建议"}
    )

    def step(**fields: Any) -> Record:
        return Record(
            "r2",
            "internal_approval",
            AT,
            fields={**submitted.fields, **fields},
            corrects=Correction("r1", "审核意见"),
        )

    reviewer_who_handled = Actor("h", frozenset({"reviewer", "handler"}))
    _, issues = role_acts.check(
        step(reviewer_opinion="同意"), submitted, actor=reviewer_who_handled
    )
    assert issues and "一人一环节" in issues[0].message
    boss = Actor("boss", frozenset({"approver"}))
    _, issues = role_acts.check(step(approver_opinion="同意"), submitted, actor=boss)
    assert issues and "应先有“审核”" in issues[0].message
    assert kind.role_act("approve").requires == ("review",)


def test_a_transcribed_act_names_a_person_of_the_case_in_the_role() -> None:
    people = (Person("h1", "刘建国", roles=("approver",)), Person("o1", "张明", roles=("officer",)))
    by_head = Record("r1", "head_approval", AT, fields={"opinion": "同意", "head": "h1"})
    assert role_acts.check(by_head, None, actor=None, people=people)[1] == []
    by_officer = Record("r1", "head_approval", AT, fields={"opinion": "同意", "head": "o1"})
    _, issues = role_acts.check(by_officer, None, actor=None, people=people)
    assert issues and "不是本案的负责人" in issues[0].message
    nameless = Record("r1", "head_approval", AT, fields={"opinion": "同意"})
    assert role_acts.check(nameless, None, actor=None, people=people)[1]
