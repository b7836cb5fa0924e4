"""Dates out of range in the web forms (issue #13, item 5): every date and time field of every
record form (and of the form that opens a case) answers a year 1, a 9999-12-31 late in the day,
a day that does not exist or a five-digit year with a Chinese form error — never a server error
(a year-1 time shifted to UTC, or 9999-12-31 with a western offset, overflows Python's datetime).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.test import Client

from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.web import actions, casepage
from lawtrail.web.forms import ShanghaiDateTimeField, record_form
from lawtrail.web.models import CaseIndex

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
BAD = [
    "0001-01-01",
    "0001-01-01T00:00",
    "0001-01-01T00:00+14:00",  # Beijing time is in year 0
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-10:00",  # Beijing time is in year 10000
    "9999-12-31",
    "2026-02-30",
    "2026-02-30T10:00",
    "99999-01-01",
    "1949-12-31",
    "2100-01-01T00:00",
]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _date_fields(form: forms.Form) -> list[str]:
    return [
        name
        for name, field in form.fields.items()
        if isinstance(field, forms.DateField | ShanghaiDateTimeField)
    ]


def _check(response: Any, what: str, value: str) -> None:
    assert response.status_code < 500, (what, value, response.status_code)
    assert response.status_code == 200, (what, value, response.status_code)  # the form again
    form = response.context["form"]
    fields = _date_fields(form)
    assert fields, what
    for name in fields:
        errors = form.errors.get(name)
        assert errors, (what, name, value)
        assert all(CHINESE.search(str(e)) for e in errors), (what, name, value, errors)


# The four values of issue #13 go through the web (every record form, each date field one of
# them in turn); every value goes through every record form's fields directly (no HTTP: the
# same fields, a hundred times faster).
POSTED = ["0001-01-01", "9999-12-31T23:59:59", "2026-02-30", "99999-01-01"]
# Who may open a kind's form: the handler drafts; some kinds are another role's own.
AUTHORS = ["market.handler", "market.legal", "market.head", "market.reviewer", "market.archivist"]


def _market_case() -> CaseIndex:
    index = CaseIndex.objects.filter(agency_id="tonghua-market").order_by("records").first()
    assert index is not None
    return index


def test_every_date_field_of_every_record_form_answers_posted_bad_dates_in_chinese(
    demo_cases: None, login: Login
) -> None:
    index = _market_case()
    clients = {username: login(username) for username in AUTHORS}
    checked = 0
    for k, kind in enumerate(RECORD_KINDS):
        url = f"/cases/{index.pk}/records/new/{kind}/"
        if not casepage.offers_kind(index.agency_id, kind):
            continue  # another agency's own form: not offered here (404)
        for client in clients.values():
            page = client.get(url)
            assert page.status_code in (200, 403), (kind, page.status_code)
            if page.status_code == 200:
                break
        else:
            continue  # no one of the agency records this kind through its form
        fields = _date_fields(page.context["form"])
        if not fields:
            continue
        data = {name: POSTED[(k + j) % len(POSTED)] for j, name in enumerate(fields)}
        response = client.post(url, data)
        _check(response, kind, str(data))
        checked += 1
    assert checked >= 10


def test_every_date_field_of_every_record_form_refuses_every_bad_value_in_chinese(
    demo_cases: None,
) -> None:
    index = _market_case()
    case = actions.case_of(index)
    users = list(casepage.agency_users(index.agency_id))
    for kind in RECORD_KINDS.values():
        fields = _date_fields(record_form(kind, case, users))
        for value in BAD:
            form = record_form(kind, case, users, data=dict.fromkeys(fields, value))
            assert not form.is_valid()
            for name in fields:
                errors = form.errors.get(name)
                assert errors and all(CHINESE.search(str(e)) for e in errors), (
                    kind.id,
                    name,
                    value,
                    errors,
                )


@pytest.mark.parametrize("value", BAD)
def test_the_opening_time_of_a_new_case_refuses_out_of_range_values_in_chinese(
    demo_users: Any, login: Login, value: str
) -> None:
    client = login("market.handler")
    response = client.post("/cases/new/", {"opened_at": value})
    _check(response, "case_new", value)
