"""The shell's wiring: pages answer, the ledger is shared with Django's transaction, the demo
data is complete and verifiable."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client

from lawtrail.ledger.verify import verify
from lawtrail.web import wiring
from lawtrail.web.models import CaseIndex

pytestmark = pytest.mark.django_db


def test_demo_cases_are_indexed_and_the_ledger_verifies(demo_cases: None) -> None:
    assert CaseIndex.objects.count() == 11
    report = verify(wiring.ledger(), wiring.keys())
    assert report.problems == []


def test_a_rolled_back_transaction_leaves_no_ledger_entry(demo_cases: None) -> None:
    ledger = wiring.ledger()
    before = ledger.size("tonghua-market")
    from lawtrail.ledger.log import NewEntry

    def failing_request() -> None:
        with transaction.atomic():
            ledger.append("tonghua-market", [NewEntry("X", "access", "X", {"user": "t"})])
            raise RuntimeError("the request failed after the append")

    with pytest.raises(RuntimeError):
        failing_request()
    assert ledger.size("tonghua-market") == before
    # and the next append still finds a consistent, signed head
    ledger.append("tonghua-market", [NewEntry("X", "access", "X", {"user": "t"})])
    assert verify(ledger, wiring.keys(), agency="tonghua-market").problems == []


def test_case_list_shows_only_the_users_agency(
    demo_cases: None, login: Callable[[str], Client]
) -> None:
    page = login("market.handler").get("/cases/").content.decode()
    assert "通市监罚〔2026〕12号" in page
    assert "本人社监罚" not in page


def test_every_entry_names_the_account_that_made_it(demo_users: list) -> None:  # type: ignore[type-arg]
    from lawtrail.web import actions
    from lawtrail.web.models import User

    handler = User.objects.get(username="market.handler")
    header = {
        "case_number": "通市监罚〔2026〕901号",
        "title": "录入人测试",
        "acts": ["penalty"],
        "procedure": "general",
        "origin": "emergency",
        "opened_at": "2026-11-20T09:00:00+08:00",
        "parties": [{"id": "p1", "name": "某商店"}],
    }
    first = {"id": "r1", "kind": "emergency_start", "at": "2026-11-20T09:00:00+08:00"}
    index = actions.do_open_case(handler, header, first)
    reviewer = User.objects.get(username="market.reviewer")
    note = {
        "id": "r2",
        "kind": "emergency_start",
        "at": "2026-11-20T09:05:00+08:00",
        "corrects": {"record": "r1", "reason": "补充紧急情况说明"},
        "fields": {"reason": "现场发现大量疑似假冒商品正在装车转移"},
    }
    actions.do_append_record(reviewer, index, note)
    entries = list(wiring.ledger().entries("tonghua-market", case_number=index.case_number))
    actors = [(e.type, e.ref, e.data().get("actor")) for e in entries]
    assert ("case", index.case_number, "market.handler") in actors
    assert ("record", "r1", "market.handler") in actors
    assert ("record", "r2", "market.reviewer") in actors
    assert verify(wiring.ledger(), wiring.keys(), agency="tonghua-market").problems == []
