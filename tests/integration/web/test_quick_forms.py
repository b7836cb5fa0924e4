"""Quicker forms (issue #15): the case number offered by the agency's pattern, the officer
filling a record in (and the case's other officer) offered as its officers."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from lawtrail.core import timeutil
from lawtrail.web.forms import rule_required_fields
from lawtrail.web.models import Agency, CaseIndex

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]


def input_value(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert found, name
    value = re.search(r'value="([^"]*)"', found[0])
    return value[1] if value else ""


def test_a_new_case_is_offered_the_next_number_of_the_agencys_pattern(
    demo_cases: None, login: Login
) -> None:
    year = timeutil.local_date(timeutil.now()).year
    taken = CaseIndex.objects.filter(agency_id="tonghua-market").values_list(
        "case_number", flat=True
    )
    general = [int(m[1]) for c in taken if (m := re.fullmatch(rf"通市监罚〔{year}〕(\d+)号", c))]
    simple = [int(m[1]) for c in taken if (m := re.fullmatch(rf"通市监简罚〔{year}〕(\d+)号", c))]
    html = login("market.handler").get("/cases/new/").content.decode()
    assert (
        input_value(html, "case-case_number")
        == f"通市监罚〔{year}〕{max(general, default=0) + 1}号"
    )
    assert f'data-suggest-simplified="通市监简罚〔{year}〕{max(simple, default=0) + 1}号"' in html
    assert "已按本机关案号格式自动编号" in html


def test_an_agency_without_a_pattern_types_the_number(demo_users: object, login: Login) -> None:
    Agency.objects.filter(code="tonghua-postal").update(case_number_patterns={})
    html = login("postal.handler").get("/cases/new/").content.decode()
    assert input_value(html, "case-case_number") == ""
    assert "如 通市监罚〔2026〕12号" in html


@pytest.mark.parametrize(
    "patterns",
    [
        {"general": "通市监罚〔2026〕{n}号"},
        {"ordinary": "罚〔{year}〕{n}号"},
        ["罚〔{year}〕{n}号"],
    ],
)
def test_the_admin_refuses_a_pattern_that_cannot_number_cases(
    demo_users: object, patterns: object
) -> None:
    agency = Agency.objects.get(code="tonghua-market")
    agency.case_number_patterns = patterns
    with pytest.raises(ValidationError, match="案号格式"):
        agency.full_clean()


def test_a_record_form_offers_the_user_and_the_cases_other_officer_as_its_officers(
    demo_cases: None, login: Login
) -> None:
    index = CaseIndex.objects.get(agency_id="tonghua-market", case_number="通市监罚〔2026〕12号")
    html = (
        login("market.handler")
        .get(f"/cases/{index.pk}/records/new/site_inspection/")
        .content.decode()
    )
    first = re.search(r'<select name="officer_0".*?</select>', html, re.S)
    second = re.search(r'<select name="officer_1".*?</select>', html, re.S)
    assert first and 'value="market.handler" selected' in first[0]
    assert (
        second and " selected>" in second[0] and 'value="market.handler" selected' not in second[0]
    )


def test_fields_the_agencys_rules_require_are_marked_with_their_article(
    demo_cases: None, login: Login
) -> None:
    index = CaseIndex.objects.get(agency_id="tonghua-market", case_number="通市监罚〔2026〕12号")
    marked = rule_required_fields("tonghua-market", "site_inspection")
    assert {"location", "findings"} <= set(marked)
    html = (
        login("market.handler")
        .get(f"/cases/{index.pk}/records/new/site_inspection/")
        .content.decode()
    )
    checked = 0
    for name, article in marked.items():
        field = re.search(
            rf'<div class="field[^"]*">\s*<label for="id_f_{name}".*?</div>', html, re.S
        )
        if field is None:
            continue  # a field of another role (hidden from the handler's form)
        assert "rule-required" in field[0] and f"依{article}应当载明" in field[0], name
        checked += 1
    assert checked >= 2
