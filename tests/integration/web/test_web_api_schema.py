"""Schema-driven test of the REST API: schemathesis generates requests for every operation of
the OpenAPI document the application serves, sends them to the WSGI application in-process with
a demo handler's bearer token, and checks that no response is a server error and that every
response — status code, content type and body — is the one the document declares.

Mutating operations run too (they open cases, append records, upload files in the test
database). The case and record identifiers hypothesis draws are mostly mapped onto real ones of
the demo data, so the operations get past "not found" to the permission checks and the readers.
The verification of a case reads every entry of the case, so it is aimed at a case with a
generated 文书 (an entry type of its own, which its response schema once lacked: a 500).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lawtrail.documents import template_for
from lawtrail.web import actions, wiring
from lawtrail.web.models import ApiToken, CaseIndex, User

pytestmark = pytest.mark.django_db

APP = get_wsgi_application()
# Every phase: the explicit examples of the document, coverage (each schema's boundaries, valid
# and invalid: every parameter's edge values, wrong types, missing and extra ones) and fuzzing
# (valid and invalid requests alike). The two operations whose body is a case-format record (37
# kinds of record, one schema each) skip the coverage phase, which would send some 2,800
# requests each (and tens of thousands with its invalid half); they get the examples and
# fuzzing, and the case reader's own tests walk the format.
CONFIG = schemathesis.Config.from_dict(
    {
        "phases": {"coverage": {"generation": {"mode": "positive"}}},
        "operations": [
            {
                "include-operation-id": ["open_case", "append_record"],
                "phases": {"coverage": {"enabled": False}},
            },
            {
                "exclude-operation-id": ["open_case", "append_record"],
                "phases": {"coverage": {"enabled": True, "generation": {"mode": "all"}}},
            },
        ],
    }
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    """Requests through the WSGI handler inside the test's transaction: Django's handler would
    close the connection at each request's start and end (``close_old_connections``), which
    ends the test transaction; Django's own test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(demo_cases: None, in_process_requests: None) -> dict[str, str]:
    _, key = ApiToken.issue(User.objects.get(username="market.handler"), "schemathesis")
    return {"Authorization": f"Bearer {key}"}


def _with_document(pk: int) -> None:
    """A 文书 generated for the case (once): a ledger entry of type "document"."""
    index = CaseIndex.objects.get(pk=pk)
    if list(
        wiring.ledger().entries(index.agency_id, case_number=index.case_number, types=("document",))
    ):
        return
    record = actions.case_of(index).records[-1]
    user = User.objects.get(username="market.handler")
    actions.do_generate_document(user, index, template_for(record.kind).id, record.id, "pdf")


def _aim(case: Any) -> None:
    """Map the drawn identifiers onto the demo data (deterministically): a market case (the
    token's own agency), another agency's case (403), or the drawn value (mostly 404). The
    verification's market case has a generated 文书."""
    params = case.path_parameters
    drawn = params.get("case_id") if params else None
    if isinstance(drawn, str) and drawn.isdigit():
        drawn = int(drawn)
    if not isinstance(drawn, int):
        return
    own = list(
        CaseIndex.objects.filter(agency_id="tonghua-market")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if case.operation.label.endswith("/verification"):
        _with_document(own[0])
        own = own[:1]
    other = list(
        CaseIndex.objects.exclude(agency_id="tonghua-market")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    choice = drawn % 4
    if choice in (0, 1):
        params["case_id"] = own[drawn % len(own)]
    elif choice == 2:
        params["case_id"] = other[drawn % len(other)]
    if "record_id" in params and len(str(params["record_id"])) % 2 == 0:
        params["record_id"] = ("r01", "r02", "r03")[drawn % 3]


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    # The fixtures (a fresh demo database per operation) are meant to be shared by its examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_its_openapi_document_declares(
    case: Any, bearer: dict[str, str]
) -> None:
    _aim(case)
    case.call_and_validate(headers=bearer, checks=CHECKS)


def test_the_verification_of_a_case_with_a_generated_document_answers_as_declared(
    bearer: dict[str, str],
) -> None:
    pk = CaseIndex.objects.filter(agency_id="tonghua-market").order_by("pk")[0].pk
    _with_document(pk)
    operation = schema["/api/cases/{case_id}/verification"]["GET"]
    response = operation.Case(path_parameters={"case_id": pk}).call_and_validate(
        headers=bearer, checks=CHECKS
    )
    assert "document" in {e["type"] for e in response.json()["entries"]}
