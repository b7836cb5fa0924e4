"""Every role's act made by that role (issue #13 item 1), through the web form, the API and the
inbox: the handler is refused every role field of every kind (and nothing is stored); the role
completes its part of the handler's draft from its inbox, in its own name."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lawtrail import services
from lawtrail.core.record_kinds import AV_EXEMPTION_ACT, RECORD_KINDS, FieldType
from lawtrail.web import actions, wiring
from lawtrail.web.models import ApiToken, CaseIndex, User

pytestmark = pytest.mark.django_db

AT = "2026-11-20T10:00:00+08:00"
AGENCY = "tonghua-market"
HANDLER = "market.handler"


@pytest.fixture
def case(demo_users: list) -> CaseIndex:  # type: ignore[type-arg]
    handler = User.objects.get(username=HANDLER)
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
    return wiring.ledger().size(AGENCY)


def _json_value(kind_id: str, name: str) -> Any:
    spec = RECORD_KINDS[kind_id].field(name)
    return {
        FieldType.TEXT: "同意",
        FieldType.TEXT_LIST: ["一"],
        FieldType.BOOL: True,
        FieldType.INTEGER: 1,
        FieldType.DATE: "2026-11-20",
        FieldType.DATETIME: AT,
        FieldType.CHOICE: next(iter(spec.choices), ""),
        FieldType.CHOICES: list(spec.choices)[:1],
        FieldType.PERSON: HANDLER,  # even in the handler's own name
        FieldType.PARTY: "p1",
        FieldType.RECORD: "r1",
    }.get(spec.type, "1.00")


def _form_value(kind_id: str, name: str) -> str:
    value = _json_value(kind_id, name)
    if value is True:
        return "true"
    if isinstance(value, list):
        return value[0]
    return str(value)


def not_the_handlers() -> list[Any]:
    """(kind, act, field) of every role field the handler (roles handler, officer) may not fill."""
    roles = set(User(roles=["handler", "officer"]).roles)
    out = []
    for kind in RECORD_KINDS.values():
        for act in kind.role_acts:
            if act.role in ("", *roles) and kind.recorded_by in ("", *roles):
                continue
            for name in act.names:
                out.append(pytest.param(kind.id, act.name, name, id=f"{kind.id}.{name}"))
    return out


# ---------------------------------------------------------------------------- the API


def _api(username: str) -> Client:
    _, key = ApiToken.issue(User.objects.get(username=username), "tests")
    return Client(headers={"authorization": f"Bearer {key}"})


def _post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize(("kind_id", "act_name", "field"), not_the_handlers())
def test_the_api_refuses_the_handler_every_role_field_of_every_kind(
    case: CaseIndex, kind_id: str, act_name: str, field: str
) -> None:
    before = _size()
    record = {"id": "r2", "kind": kind_id, "at": AT, "fields": {field: _json_value(kind_id, field)}}
    response = _post(_api(HANDLER), f"/api/cases/{case.pk}/records", record)
    assert response.status_code == 403, response.content
    assert "职责" in response.json()["detail"] or "只能由" in json.dumps(
        response.json(), ensure_ascii=False
    )
    assert _size() == before + 1  # only the refusal, in the access log


def test_the_api_refuses_the_handler_the_heads_approval_of_an_exemption_from_av(
    case: CaseIndex,
) -> None:
    for exemption in (
        {"reason": "涉密", "approved_by": HANDLER},
        {"reason": "涉密", "approved": True},
    ):
        record = {
            "id": "r2",
            "kind": "evidence_register",
            "at": AT,
            "fields": {"items": ["账册"]},
            "av_exemption": exemption,
        }
        before = _size()
        response = _post(_api(HANDLER), f"/api/cases/{case.pk}/records", record)
        assert response.status_code == 403, response.content
        assert _size() == before + 1
    assert AV_EXEMPTION_ACT.role == "approver"


# ---------------------------------------------------------------------------- the web form


@pytest.mark.parametrize(("kind_id", "act_name", "field"), not_the_handlers())
def test_the_web_form_offers_the_handler_no_role_field_and_refuses_a_forged_one(
    case: CaseIndex, login: Callable[[str], Client], kind_id: str, act_name: str, field: str
) -> None:
    client = login(HANDLER)
    url = reverse("record_new", args=[case.pk, kind_id])
    page = client.get(url)
    kind = RECORD_KINDS[kind_id]
    if kind.recorded_by:  # the whole kind is another role's: the form itself is refused
        assert page.status_code == 403
    else:
        assert page.status_code == 200
        assert f'name="f_{field}"' not in page.content.decode()
    before = _size()
    response = client.post(
        url, {"at": "2026-11-20 10:00", f"f_{field}": _form_value(kind_id, field)}
    )
    assert response.status_code == 403
    assert _size() == before + 1  # only the refusal, in the access log


def test_the_web_form_offers_no_one_elses_signature_role(
    case: CaseIndex, login: Callable[[str], Client]
) -> None:
    def signer_roles(username: str) -> str:
        page = login(username).get(reverse("record_new", args=[case.pk, "site_inspection"]))
        html = page.content.decode()
        start = html.index('name="sig_0_role"')
        return html[start : html.index("</select>", start)]

    assert '<option value="party">' in signer_roles(HANDLER)
    assert '<option value="head">' not in signer_roles(HANDLER)
    assert '<option value="head">' in signer_roles("market.head")


# ---------------------------------------------------------------------------- the services


@pytest.mark.parametrize(
    ("kind", "allowed", "refused", "person_field"),
    [
        ("legal_review", "market.legal", HANDLER, "reviewer"),
        ("head_approval", "market.head", "market.reviewer", "head"),
        ("case_file", "market.archivist", HANDLER, "archivist"),
    ],
)
def test_a_role_act_is_recorded_by_that_role_in_its_own_name(
    case: CaseIndex, kind: str, allowed: str, refused: str, person_field: str
) -> None:
    before = _size()
    record = {"id": "r2", "kind": kind, "at": AT}
    with pytest.raises(services.ActRefused, match="职责"):
        actions.do_append_record(User.objects.get(username=refused), case, record)
    other = {**record, "fields": {person_field: "market.officer"}}
    with pytest.raises(services.ActRefused, match="本人名义"):
        actions.do_append_record(User.objects.get(username=allowed), case, other)
    assert _size() == before
    actions.do_append_record(User.objects.get(username=allowed), case, record)
    stored = actions.case_of(case).record("r2")
    assert stored is not None
    assert stored.fields[person_field] == allowed


def test_review_and_approval_steps_cannot_be_forged_into_a_submission(case: CaseIndex) -> None:
    handler = User.objects.get(username=HANDLER)
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
    with pytest.raises(services.ActRefused, match="审核人"):
        actions.do_append_record(handler, case, forged)
    in_another_name = {
        "id": "r2",
        "kind": "internal_approval",
        "at": AT,
        "fields": {"handler": "market.officer", "handler_opinion": "建议"},
    }
    with pytest.raises(services.ActRefused, match="本人名义"):
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
    assert stored.fields["handler"] == HANDLER


# ---------------------------------------------------------------------------- the inbox


def _draft_start_approval(case: CaseIndex) -> None:
    draft = {
        "id": "r2",
        "kind": "initiation_approval",
        "at": AT,
        "fields": {
            "reason": "投诉举报",
            "case_summary": "某商店销售假冒运动鞋",
            "handler_opinion": "建议立案调查",
        },
    }
    actions.do_append_record(User.objects.get(username=HANDLER), case, draft)


def _inbox_urls(client: Client) -> list[str]:
    page = client.get(reverse("inbox")).content.decode()
    return [
        line.split('"')[1] for line in page.split("href=")[1:] if "/acts/" in line.split('"')[1]
    ]


def test_the_head_completes_the_handlers_start_approval_from_the_inbox(
    case: CaseIndex, login: Callable[[str], Client]
) -> None:
    _draft_start_approval(case)
    head = login("market.head")
    act_url = reverse("role_act", args=[case.pk, "r2", "head"])
    assert act_url in _inbox_urls(head)
    # the task is the head's, not the handler's …
    assert act_url not in _inbox_urls(login(HANDLER))
    before = _size()
    refused = login(HANDLER).post(act_url, {"head_opinion": "同意", "approved": "true"})
    assert refused.status_code == 403
    assert _size() == before + 1  # the refusal, logged
    page = head.get(act_url)
    assert page.status_code == 200
    assert "建议立案调查" in page.content.decode()
    done = head.post(act_url, {"head_opinion": "同意立案调查", "approved": "true"})
    assert done.status_code == 302, done.content.decode()
    stored = actions.case_of(case)
    approved = stored.records[-1]
    assert approved.kind == "initiation_approval"
    assert approved.corrects is not None
    assert approved.corrects.record == "r2"
    assert approved.fields["head"] == "market.head"
    assert approved.fields["approved"] is True
    assert approved.fields["handler_opinion"] == "建议立案调查"  # the draft, unchanged
    entry = wiring.ledger().entries_named(AGENCY, "record", approved.id)[0]
    assert entry.data().get("actor") == "market.head"
    # done: no longer in the head's inbox
    assert act_url not in _inbox_urls(head)
    assert reverse("role_act", args=[case.pk, approved.id, "head"]) not in _inbox_urls(head)


def test_the_legal_reviewers_legality_opinion_waits_only_in_a_major_case(
    case: CaseIndex, login: Callable[[str], Client]
) -> None:
    _draft_start_approval(case)
    legal_url = reverse("role_act", args=[case.pk, "r2", "legality"])
    assert legal_url in _inbox_urls(login("market.legal"))
    unit_url = reverse("role_act", args=[case.pk, "r2", "unit"])
    assert unit_url in _inbox_urls(login("market.reviewer"))
    pending = [t["step"] for t in CaseIndex.objects.get(pk=case.pk).pending if t["record"] == "r2"]
    assert sorted(pending) == ["act:head", "act:legality", "act:unit"]


def test_a_corrected_draft_loses_the_approval_given_to_the_old_text(case: CaseIndex) -> None:
    _draft_start_approval(case)
    head = User.objects.get(username="market.head")
    actions.do_role_act(head, case, "r2", "head", {"head_opinion": "同意", "approved": True})
    approved = actions.case_of(case).records[-1]
    changed = services_record(approved)
    changed["fields"]["case_summary"] = "另有一家商店"
    changed["corrects"] = {"record": approved.id, "reason": "补充案情"}
    handler = User.objects.get(username=HANDLER)
    with pytest.raises(services.ActRefused, match="不再适用"):
        actions.do_append_record(handler, case, changed)
    for name in ("head_opinion", "approved", "head"):
        changed["fields"].pop(name)
    actions.do_append_record(handler, case, changed)
    pending = CaseIndex.objects.get(pk=case.pk).pending
    assert any(t["step"] == "act:head" for t in pending)  # the head decides again


def services_record(record: Any) -> dict[str, Any]:
    from lawtrail.core.caseio import record_to_json

    data = record_to_json(record)
    data.pop("recorded_at", None)
    data["id"] = "r9"
    return data


def test_the_head_completes_the_start_approval_through_the_api(case: CaseIndex) -> None:
    _draft_start_approval(case)
    url = f"/api/cases/{case.pk}/records/r2/acts/head"
    body = {"fields": {"head_opinion": "同意立案调查", "approved": True}}
    before = _size()
    refused = _post(_api(HANDLER), url, body)
    assert refused.status_code == 403, refused.content
    assert _size() == before + 1  # only the refusal, logged
    done = _post(_api("market.head"), url, body)
    assert done.status_code == 201, done.content
    record = done.json()["record"]
    assert record["corrects"] == {"record": "r2", "reason": "行政机关负责人审批"}
    assert record["fields"]["head"] == "market.head"
    assert record["fields"]["handler_opinion"] == "建议立案调查"
    again = _post(
        _api("market.head"), f"/api/cases/{case.pk}/records/{record['id']}/acts/head", body
    )
    assert again.status_code == 403  # already made: not twice
    kinds = {k["id"]: k for k in _api(HANDLER).get("/api/record-kinds").json()}
    acts = {a["name"]: a for a in kinds["initiation_approval"]["role_acts"]}
    assert acts["head"]["role"] == "approver"
    assert acts["head"]["fields"] == ["head_opinion", "approved"]
    assert kinds["head_approval"]["recorded_by"] == "approver"
