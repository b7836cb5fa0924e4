"""Only the role that acts may record the act, and only in its own name: nobody records a
legal review, a head's approval, the archiving or another person's approval step for them."""

from __future__ import annotations

import pytest

from lawtrail.web import actions, wiring
from lawtrail.web.models import CaseIndex, User

pytestmark = pytest.mark.django_db

AT = "2026-11-20T10:00:00+08:00"


@pytest.fixture
def case(demo_users: list) -> CaseIndex:  # type: ignore[type-arg]
    handler = User.objects.get(username="market.handler")
    header = {
        "case_number": "通市监罚〔2026〕902号",
        "acts": ["penalty"],
        "procedure": "general",
        "origin": "emergency",
        "major": True,
        "opened_at": "2026-11-20T09:00:00+08:00",
        "parties": [{"id": "p1", "name": "某商店"}],
    }
    first = {"id": "r1", "kind": "emergency_start", "at": "2026-11-20T09:00:00+08:00"}
    return actions.do_open_case(handler, header, first)


def _size() -> int:
    return wiring.ledger().size("tonghua-market")


@pytest.mark.parametrize(
    ("kind", "allowed", "refused", "person_field"),
    [
        ("legal_review", "market.legal", "market.handler", "reviewer"),
        ("head_approval", "market.head", "market.reviewer", "head"),
        ("case_file", "market.archivist", "market.handler", "archivist"),
    ],
)
def test_a_role_act_is_recorded_by_that_role_in_its_own_name(
    case: CaseIndex, kind: str, allowed: str, refused: str, person_field: str
) -> None:
    before = _size()
    record = {"id": "r2", "kind": kind, "at": AT}
    with pytest.raises(actions.PermissionDenied, match="只有"):
        actions.do_append_record(User.objects.get(username=refused), case, record)
    other = {**record, "fields": {person_field: "market.officer"}}
    with pytest.raises(actions.PermissionDenied, match="本人名义"):
        actions.do_append_record(User.objects.get(username=allowed), case, other)
    assert _size() == before
    actions.do_append_record(User.objects.get(username=allowed), case, record)
    stored = actions.case_of(case).record("r2")
    assert stored is not None
    assert stored.fields[person_field] == allowed


def test_the_generic_form_cannot_record_review_or_approval_steps(case: CaseIndex) -> None:
    handler = User.objects.get(username="market.handler")
    before = _size()
    forged = {
        "id": "r2",
        "kind": "internal_approval",
        "at": AT,
        "fields": {
            "subject": "先行登记保存",
            "handler_opinion": "建议先行登记保存",
            "reviewer": "market.reviewer",
            "reviewer_opinion": "同意",
            "approver": "market.head",
            "approver_opinion": "同意",
        },
    }
    with pytest.raises(actions.PermissionDenied, match="审批页面"):
        actions.do_append_record(handler, case, forged)
    in_another_name = {
        "id": "r2",
        "kind": "internal_approval",
        "at": AT,
        "fields": {"handler": "market.officer", "handler_opinion": "建议"},
    }
    with pytest.raises(actions.PermissionDenied, match="承办人本人"):
        actions.do_append_record(handler, case, in_another_name)
    assert _size() == before
    submitted = {
        "id": "r2",
        "kind": "internal_approval",
        "at": AT,
        "fields": {"subject": "先行登记保存", "handler_opinion": "建议先行登记保存"},
    }
    actions.do_append_record(handler, case, submitted)
    stored = actions.case_of(case).record("r2")
    assert stored is not None
    assert stored.fields["handler"] == "market.handler"
