"""Header changes (issue #15) in the services on a real ledger (SQLite and PostgreSQL): the new
header entry with its change block, the case read back as changed, every version kept, and the
refusals — who, no change, an archived case — storing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lawtrail.core.header import HeaderChange
from lawtrail.core.model import Case
from lawtrail.core.role_acts import Actor
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.services import (
    ActRefused,
    ServiceError,
    case_json,
    do_append_record,
    do_change_header,
    do_open_case,
    header_versions,
    load_case,
)
from tests.builders import PARTY, PEOPLE, t

AGENCY = "tonghua-market"
CASE = "通市监罚〔2026〕70号"
HANDLER = Actor("o1", frozenset({"handler", "officer"}))
HEAD = Actor("h1", frozenset({"approver"}))


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(Database(database_url), KeyDirectory(tmp_path / "keys"), "lawtrail.local")
    header = Case(
        agency=AGENCY,
        case_number=CASE,
        acts=("penalty",),
        procedure="general",
        origin="ex_officio",
        opened_at=t("2026-09-01 09:00"),
        title="涉嫌销售假冒商品案",
        parties=(PARTY,),
        people=PEOPLE,
    )
    do_open_case(led, header, now=t("2026-09-01 09:05"), actor="o1")
    yield led
    led.db.close()


def entries(ledger: Ledger) -> int:
    return len(list(ledger.entries(AGENCY, case_number=CASE)))


def test_a_change_is_a_new_header_entry_and_the_case_reads_as_changed(ledger: Ledger) -> None:
    change = HeaderChange(
        reason="调查中发现供货商",
        major=True,
        parties=[{"id": "p2", "name": "吉林某贸易公司"}],
    )
    receipt = do_change_header(ledger, AGENCY, CASE, change, by=HANDLER, now=t("2026-09-05 10:00"))
    case = load_case(ledger, AGENCY, CASE)
    assert case.major and case.major_since == t("2026-09-05 10:00")
    assert [p.name for p in case.parties] == [PARTY.name, "吉林某贸易公司"]
    [opening, changed] = header_versions(ledger, AGENCY, CASE)
    assert opening.change is None and opening.header["major"] is False  # kept as it was
    assert changed.seq == receipt.seq and changed.actor == "o1"
    assert changed.recorded_at == t("2026-09-05 10:00")
    assert changed.change is not None and changed.change["reason"] == "调查中发现供货商"
    assert "change" not in (case_json(ledger, AGENCY, CASE) or {})


def test_refusals_store_nothing(ledger: Ledger) -> None:
    before = entries(ledger)
    with pytest.raises(ActRefused):
        do_change_header(
            ledger,
            AGENCY,
            CASE,
            HeaderChange(reason="x", title="别的案由"),
            by=Actor("l1", frozenset({"legal"})),
        )
    with pytest.raises(ServiceError, match="没有变化"):
        do_change_header(
            ledger, AGENCY, CASE, HeaderChange(reason="x", title="涉嫌销售假冒商品案"), by=HEAD
        )
    with pytest.raises(ServiceError, match="不适用于"):
        do_change_header(
            ledger, AGENCY, CASE, HeaderChange(reason="x", acts=["confirmation"]), by=HEAD
        )
    assert entries(ledger) == before


def test_an_archived_case_is_final(ledger: Ledger) -> None:
    for rid, kind, at in (("r1", "closure", "2026-09-10T10:00:00+08:00"),
                          ("r2", "case_file", "2026-09-12T10:00:00+08:00")):  # fmt: skip
        do_append_record(
            ledger,
            AGENCY,
            CASE,
            {"id": rid, "kind": kind, "at": at, "fields": {}},
            now=t("2026-09-12 11:00"),
        )
    before = entries(ledger)
    with pytest.raises(ServiceError, match="案件已归档"):
        do_change_header(ledger, AGENCY, CASE, HeaderChange(reason="x", major=True), by=HEAD)
    assert entries(ledger) == before
