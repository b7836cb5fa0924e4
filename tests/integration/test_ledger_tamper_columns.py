"""The tamper suite, continued (issue #12, item 6): the columns beside an entry's hashed body
that readers look entries up by, and a media entry's two clocks — on SQLite and PostgreSQL.

- the ``ref`` column (a record's id, a media file's sha256) is not hashed: a swap makes a reader
  that trusts it show another entry's sequence number and proof. `lawtrail verify` names each
  entry whose column disagrees with its body, and the ledger's readers go by the body;
- a media entry's ``ingested_at`` (which the rules judge the storage deadline by) is the
  entry's own recorded time: one that is not — signed with the agency key, or edited — is
  reported, and the ingestion writes them equal even when the server clock is behind the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from lawtrail.core import timeutil
from lawtrail.core.canonical import canonical_bytes
from lawtrail.ledger.log import NewEntry
from lawtrail.services import do_ingest_media, ingested_media
from tests.builders import run_lawtrail, t
from tests.dbfixtures import RawSQL
from tests.integration.test_ledger_tamper import (
    AGENCY,
    AV_CASE,
    VIDEO,
    World,
    body_of,
    build_world,
    codes,
)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    built = build_world(database_url, tmp_path)
    yield built
    built.ledger.db.close()


@pytest.fixture
def raw(world: World) -> Iterator[RawSQL]:
    attacker = RawSQL(world.url)
    yield attacker
    attacker.close()


def record_seq(world: World, record_id: str) -> int:
    """The seq of the entry whose hashed body is this record."""
    (entry,) = world.ledger.entries_named(AGENCY, "record", record_id, case_number=AV_CASE)
    return entry.seq


def swap_refs(world: World, raw: RawSQL, a: int, b: int) -> None:
    refs = {
        seq: world.ledger.db.one(
            "SELECT ref FROM ledger_entry WHERE agency = ? AND seq = ?", (AGENCY, seq)
        )[0]  # type: ignore[index]
        for seq in (a, b)
    }
    for seq, other in ((a, b), (b, a)):
        raw(
            "UPDATE ledger_entry SET ref = ? WHERE agency = ? AND seq = ?",
            (refs[other], AGENCY, seq),
        )


def mismatches(world: World, **scope: str) -> list[tuple[int | None, str, str, str]]:
    report = world.verify(**scope)  # type: ignore[arg-type]
    return sorted(
        (p.seq, p.case_number, p.record, p.column)
        for p in report.problems
        if p.code == "entry_header_mismatch"
    )


# ---------------------------------------------------------------------------- ref


def test_two_swapped_ref_columns_are_caught_and_both_entries_named(
    world: World, raw: RawSQL
) -> None:
    a, b = record_seq(world, "av1"), record_seq(world, "av4")
    swap_refs(world, raw, a, b)
    expected = [(a, AV_CASE, "av1", "ref"), (b, AV_CASE, "av4", "ref")]
    assert mismatches(world) == expected
    report = world.verify()
    assert codes(report) == {"entry_header_mismatch"}  # the bodies, tree and signatures hold
    by_seq = {p.seq: p.message for p in report.problems}
    assert "'av4'" in by_seq[a] and "'av1'" in by_seq[a]  # the column's value and the body's
    assert mismatches(world, case=AV_CASE) == expected
    # a reader of the case goes by the hashed bodies: each record at its own entry …
    assert world.ledger.entries_named(AGENCY, "record", "av1", case_number=AV_CASE)[0].seq == a
    assert world.ledger.entries_named(AGENCY, "record", "av4", case_number=AV_CASE)[0].seq == b
    # … and a look-up across the log never returns the other one (it finds none)
    assert world.ledger.entries_named(AGENCY, "record", "av4") == []


def test_a_media_entry_given_another_files_ref_is_caught_and_not_found_by_it(
    world: World, raw: RawSQL
) -> None:
    (entry,) = world.ledger.entries_named(AGENCY, "media", world.video_sha)
    other = "0" * 64
    raw("UPDATE ledger_entry SET ref = ? WHERE agency = ? AND seq = ?", (other, AGENCY, entry.seq))
    assert mismatches(world) == [(entry.seq, AV_CASE, world.video_sha, "ref")]
    # not another file's ingestion under the wrong name, nor this one's by a column it lost
    assert ingested_media(world.ledger, AGENCY, other) is None
    assert world.ledger.entries_named(AGENCY, "media", world.video_sha, case_number=AV_CASE)


def test_the_verify_command_reports_a_swapped_ref_with_exit_status_1(
    world: World, raw: RawSQL
) -> None:
    a, b = record_seq(world, "av2"), record_seq(world, "av3")
    swap_refs(world, raw, a, b)
    done = run_lawtrail(
        {"DATABASE_URL": world.url, "LAWTRAIL_KEYS_DIR": str(world.tmp / "keys")},
        "verify",
        "--format",
        "json",
    )
    assert done.returncode == 1, done.stderr
    problems = json.loads(done.stdout)["problems"]
    assert sorted((p["seq"], p["record"], p["column"]) for p in problems) == [
        (a, "av2", "ref"),
        (b, "av3", "ref"),
    ]


# ---------------------------------------------------------------------------- ingested_at


def test_a_signed_media_entry_whose_ingested_at_is_not_its_recorded_time_is_caught(
    world: World,
) -> None:
    """The insider's way: the agency key appends an ingestion that claims to have been stored
    two days before it was — within the 24 hours the rules allow."""
    media = body_of(world, world.entry_seq(world.video_sha))["media"]
    forged = {**media, "sha256": "ab" * 32, "ingested_at": "2026-09-02T09:30:00+08:00"}
    (receipt,) = world.ledger.append(
        AGENCY,
        [NewEntry(AV_CASE, "media", forged["sha256"], forged)],
        recorded_at=t("2026-09-04 09:30"),
    )
    report = world.verify()
    assert [(p.code, p.seq, p.case_number, p.record, p.column) for p in report.problems] == [
        ("media_ingested_at_mismatch", receipt.seq, AV_CASE, "ab" * 32, "ingested_at")
    ]
    assert "2026-09-02T09:30:00+08:00" in report.problems[0].message
    assert "2026-09-04T09:30:00+08:00" in report.problems[0].message
    case_report = world.verify(case=AV_CASE)
    assert codes(case_report) == {"media_ingested_at_mismatch"}


def test_an_edited_ingested_at_is_caught_as_an_altered_entry_and_named(
    world: World, raw: RawSQL
) -> None:
    seq = world.entry_seq(world.video_sha)
    data = body_of(world, seq)
    data["media"]["ingested_at"] = "2026-09-02T09:25:00+08:00"  # 5 minutes after capture
    raw(
        "UPDATE ledger_entry SET body = ? WHERE agency = ? AND seq = ?",
        (canonical_bytes(data), AGENCY, seq),
    )
    report = world.verify()
    assert {"entry_altered", "media_ingested_at_mismatch"} <= codes(report)
    (found,) = [p for p in report.problems if p.code == "media_ingested_at_mismatch"]
    assert (found.seq, found.record) == (seq, world.video_sha)


def test_an_ingestion_while_the_clock_is_behind_the_log_keeps_both_times_equal(
    world: World,
) -> None:
    last = timeutil.parse_aware(world.ledger.entry(AGENCY, world.size() - 1).recorded_at)  # type: ignore[union-attr]
    result = do_ingest_media(
        world.ledger,
        world.store,
        AGENCY,
        AV_CASE,
        [VIDEO + b"second"],
        type="video",
        captured_at=t("2026-09-02 09:00"),
        uploader="刘建国",
        now=last - timedelta(hours=1),  # an NTP step back: the ledger keeps its time monotonic
    )
    assert result.media.ingested_at == result.receipt.recorded_at == last
    data = body_of(world, result.receipt.seq)
    assert timeutil.parse_aware(data["media"]["ingested_at"]) == last
    assert timeutil.parse_aware(data["recorded_at"]) == last
    assert world.verify().problems == []
