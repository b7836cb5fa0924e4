"""`lawtrail manage reindex` streams (issue #18, item 2): each log's case headers are walked in
batches and the cases they open are projected a batch per transaction, with progress printed —
and what it rebuilds is what it always rebuilt, whatever the batch size: every case's index row,
findings and inbox rows (rows left without their case removed), the order and review indexes,
and the access log's index.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from lawtrail import services, web_cli
from lawtrail.ledger.verify import verify
from lawtrail.web import wiring
from lawtrail.web.management.commands import reindex
from lawtrail.web.models import AccessIndex, CaseFinding, CaseIndex, InboxTask, User

pytestmark = pytest.mark.django_db


def rows(*, handlers: bool = False) -> dict[str, set[tuple[Any, ...]]]:
    """The projections' rows; ``handlers``: with each case's handler (an imported case's is the
    web application's assignment, not the ledger's, and is lost with its row)."""
    return {
        "cases": {
            (r["agency_id"], r["case_number"], r["violations"], r["stage"])
            + ((r["handler_id"],) if handlers else ())
            for r in CaseIndex.objects.values()
        },
        "findings": {(f.case.case_number, f.rule, f.article) for f in CaseFinding.objects.all()},
        "tasks": {(t.case.case_number, t.position, t.title) for t in InboxTask.objects.all()},
        "accesses": {(a.agency_id, a.seq, a.leaf_hash) for a in AccessIndex.objects.all()},
    }


def raw_sql(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("reindex", *args, stdout=out)
    return out.getvalue()


def test_reindex_in_batches_rebuilds_what_it_always_did(
    demo_cases: None, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # accesses to index, and a case with two header entries (the opener, then a refresh)
    client = login("market.handler")
    for index in CaseIndex.objects.filter(agency_id="tonghua-market"):
        assert client.get(f"/cases/{index.pk}/").status_code == 200
    # a later header of a case (its people refreshed): not a new case for the walk
    first = CaseIndex.objects.filter(agency_id="tonghua-market").first()
    assert first is not None
    archivist = User.objects.get(username="market.archivist")
    services.do_update_people(
        wiring.ledger(),
        "tonghua-market",
        first.case_number,
        [archivist.as_person()],
        actor=archivist.username,
    )
    before = rows()
    assert all(before.values())
    headers = [e.case_number for e in wiring.ledger().entries("tonghua-market", types=("case",))]
    assert len(headers) > len(set(headers)) > 1  # later headers of a case are not new cases

    # Everything lost: the case rows (their findings and tasks left orphaned) and the accesses.
    raw_sql("DELETE FROM lawtrail_caseindex")
    raw_sql("DELETE FROM lawtrail_accessindex")
    monkeypatch.setattr(reindex, "PROGRESS_EVERY", 2)
    out = run("--batch-size", "1")
    assert "tonghua-market：案件：…已重建" in out  # progress as it goes
    assert "删除" in out and "行孤立的统计与待办" in out
    assert f"已重建 {len(before['cases'])} 个案件的索引" in out
    assert f"已重建 {len(before['accesses'])} 条查阅记录的索引" in out
    after = rows()
    assert after == before
    report = verify(wiring.ledger(), wiring.keys(), projections=web_cli.projection_checks())
    assert report.problems == []

    # The default batch gives the same rows again, handlers kept, and nothing to remove.
    rebuilt = rows(handlers=True)
    out = run()
    assert "孤立" not in out
    assert rows(handlers=True) == rebuilt
