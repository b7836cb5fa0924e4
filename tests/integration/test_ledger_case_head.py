"""What the case page's kept content is keyed by (issue #18), on SQLite and PostgreSQL: a case's
last entry of some types however many entries of other types follow it, the sizes of the latest
signed and cosigned checkpoints — and the index that makes the first a lookup, added to a
database created before it existed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, NewEntry
from lawtrail.ledger.schema import missing_indexes

AGENCY = "tonghua-market"
CASE, OTHER = "通市监罚〔2026〕12号", "通市监罚〔2026〕13号"


def make(url: str, keys: Path) -> Ledger:
    return Ledger(Database(url), KeyDirectory(keys), "lawtrail.local", integrate_on_append=False)


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    led = make(database_url, tmp_path / "keys")
    led.ensure_log(AGENCY)
    yield led
    led.db.close()


def entry(case: str, kind: str, n: int) -> NewEntry:
    return NewEntry(case, kind, f"{kind}{n}", {"n": n})


def test_case_head_is_the_last_entry_of_the_types_asked_for(ledger: Ledger) -> None:
    assert ledger.case_head(AGENCY, CASE, ("record",)) is None
    ledger.append(AGENCY, [entry(CASE, "case", 0), entry(CASE, "record", 1)])
    ledger.append(AGENCY, [entry(OTHER, "record", 2)])  # another case's later record
    ledger.append(AGENCY, [entry(CASE, "access", n) for n in range(50)])  # views of the case
    head = ledger.case_head(AGENCY, CASE, ("case", "record", "media"))
    stored = ledger.entry(AGENCY, 1)
    assert stored is not None and head == (1, stored.leaf_hash)
    ledger.append(AGENCY, [entry(CASE, "media", 3)])
    assert ledger.case_head(AGENCY, CASE, ("case", "record", "media"))[0] == 53  # type: ignore[index]
    assert ledger.case_head(AGENCY, CASE, ("case",))[0] == 0  # type: ignore[index]
    assert ledger.case_head(AGENCY, CASE, ()) is None


def test_signed_and_cosigned_sizes(ledger: Ledger) -> None:
    assert ledger.signed_and_cosigned(AGENCY) == (0, 0)
    ledger.append(AGENCY, [entry(CASE, "case", 0), entry(CASE, "record", 1)])
    ledger.integrate(AGENCY)
    assert ledger.signed_and_cosigned(AGENCY) == (2, 0)


def test_case_state_is_the_head_and_the_signed_sizes_in_one_read(ledger: Ledger) -> None:
    types = ("case", "record")
    assert ledger.case_state(AGENCY, CASE, types) == (None, 0, 0)  # an empty log: one row
    ledger.append(AGENCY, [entry(CASE, "case", 0), entry(OTHER, "record", 1)])
    ledger.integrate(AGENCY)
    ledger.append(AGENCY, [entry(CASE, "record", 2), entry(CASE, "access", 3)])
    for case in (CASE, OTHER, "no such case"):
        assert ledger.case_state(AGENCY, case, types) == (
            ledger.case_head(AGENCY, case, types),
            *ledger.signed_and_cosigned(AGENCY),
        )
    head, signed, cosigned = ledger.case_state(AGENCY, CASE, types)
    assert head is not None and head[0] == 2 and (signed, cosigned) == (2, 0)
    assert ledger.case_state(AGENCY, CASE, ())[0] is None


def test_case_state_reads_the_pages_other_figures_in_the_same_statement(ledger: Ledger) -> None:
    """``also``: one-row SELECTs of the caller's, their values in order, with or without types
    (a page's drafts and counts read with the case's state, issue #18)."""
    ledger.append(AGENCY, [entry(CASE, "case", 0), entry(CASE, "record", 1)])
    ledger.integrate(AGENCY)
    also = [
        ("SELECT COUNT(*), MAX(seq) FROM ledger_entry WHERE agency = ?", [AGENCY]),
        ("SELECT COUNT(*) FROM ledger_entry WHERE agency = ? AND type = ?", [AGENCY, "none"]),
    ]
    alone = tuple(v for sql, params in also for v in (ledger.db.one(sql, params) or ()))
    assert alone == (2, 1, 0)
    for types in (("case", "record"), ()):
        head, signed, cosigned, figures = ledger.case_state_with(AGENCY, CASE, types, also)
        assert (head, signed, cosigned) == ledger.case_state(AGENCY, CASE, types)
        assert figures == alone
        assert ledger.case_state_with(AGENCY, CASE, types)[3] == ()


def test_an_index_added_since_the_database_was_created_is_created_at_start(
    ledger: Ledger, database_url: str, tmp_path: Path
) -> None:
    ledger.db.execute("DROP INDEX ledger_entry_case_type")
    assert missing_indexes(ledger.db) == ["ledger_entry_case_type"]
    again = make(database_url, tmp_path / "keys")  # a start of the new version: installs
    try:
        assert missing_indexes(again.db) == []
    finally:
        again.db.close()
