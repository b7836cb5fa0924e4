"""The fast path of `lawtrail verify` for a whole log (ledger/verify_fast.py) gives exactly the
detailed pass's report — on SQLite and PostgreSQL, in one process and split across processes.

On an untouched log the fast path proves everything consistent in bulk (and is used: the
tests check it answered). On every tampered log the tamper suite builds — an altered body, with
and without a recomputed leaf hash, each header column edited, swapped refs, deleted and moved
entries, a forged checkpoint signature, stored subtree rows edited, deleted or added, a
back-dated entry (pending, or signed in with the agency key), a media entry whose
``ingested_at`` is not its recorded time, bodies the decoder must not read differently from
``json.loads`` — it declines, and the report is identical with it on and off.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from lawtrail.core import merkle, notes
from lawtrail.core.canonical import canonical_bytes
from lawtrail.ledger import log, verify_fast
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, NewEntry
from lawtrail.ledger.verify import verify
from tests.builders import t
from tests.dbfixtures import RawSQL
from tests.integration.test_ledger_tamper import AGENCY, AV_CASE, World, body_of, build_world
from tests.integration.test_tamper_reported_not_crashed import BackDatingInsider


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


def report_json(world: World, *, fast_path: bool) -> dict[str, Any]:
    fresh = Ledger(Database(world.url), world.keys, "lawtrail.local")
    try:
        report = verify(
            fresh,
            world.keys,
            agency=AGENCY,
            witness_state=world.witness_dir,
            pinned_keys=[world.agency_key()],
            witness_keys=[world.witness.signer.verifier()],
            fast_path=fast_path,
        )
        return report.to_json()
    finally:
        fresh.db.close()


def fast_answer(url: str, keys: KeyDirectory, workers: int = 1) -> verify_fast.FastResult | None:
    ledger = Ledger(Database(url), keys, "lawtrail.local")
    try:
        (info,) = [log for log in ledger.logs() if log.agency == AGENCY]
        with ledger.db.snapshot():
            return verify_fast.check_log(ledger, info, [keys.verifier(AGENCY)], workers=workers)
    finally:
        ledger.db.close()


@pytest.fixture
def split_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split even a small log across processes, in chunks of 4 entries."""
    monkeypatch.setattr(verify_fast, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(verify_fast, "CHUNK_LEVEL", 2)


def set_body(raw: RawSQL, seq: int, data: dict[str, Any], *, leaf: bool) -> None:
    body = canonical_bytes(data)
    if leaf:
        raw(
            "UPDATE ledger_entry SET body = ?, leaf_hash = ? WHERE agency = ? AND seq = ?",
            (body, merkle.leaf_hash(body), AGENCY, seq),
        )
    else:
        raw("UPDATE ledger_entry SET body = ? WHERE agency = ? AND seq = ?", (body, AGENCY, seq))


def insert_raw(world: World, raw: RawSQL, body: bytes, *, recorded_at: str, ref: str) -> int:
    """An entry added behind the ledger's back at the end of the log."""
    seq = world.size()
    raw(
        "INSERT INTO ledger_entry VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (AGENCY, seq, recorded_at, AV_CASE, "record", ref, body, merkle.leaf_hash(body)),
    )
    return seq


def next_body(world: World, **changes: Any) -> dict[str, Any]:
    """The body the next entry would have: the last one's, moved to the next position."""
    size = world.size()
    data = body_of(world, size - 1)
    data["index"] = size
    data["record"] = {**data["record"], "id": f"raw{size}"}
    data.update(changes)
    return data


# ---------------------------------------------------------------------------- the attacks


def altered_body(world: World, raw: RawSQL) -> None:
    seq = world.entry_seq("av2")
    data = body_of(world, seq)
    data["record"]["fields"]["findings"] = "未发现问题"
    set_body(raw, seq, data, leaf=False)


def altered_body_new_leaf(world: World, raw: RawSQL) -> None:
    seq = world.entry_seq("av2")
    data = body_of(world, seq)
    data["record"]["fields"]["findings"] = "未发现问题"
    set_body(raw, seq, data, leaf=True)


def column(name: str, value: str) -> Callable[[World, RawSQL], None]:
    def edit(world: World, raw: RawSQL) -> None:
        raw(
            f"UPDATE ledger_entry SET {name} = ? WHERE agency = ? AND seq = ?",
            (value, AGENCY, world.entry_seq("av3")),
        )

    return edit


def swapped_refs(world: World, raw: RawSQL) -> None:
    a, b = world.entry_seq("av1"), world.entry_seq("av4")
    raw("UPDATE ledger_entry SET ref = ? WHERE agency = ? AND seq = ?", ("av4", AGENCY, a))
    raw("UPDATE ledger_entry SET ref = ? WHERE agency = ? AND seq = ?", ("av1", AGENCY, b))


def deleted_entry(world: World, raw: RawSQL) -> None:
    raw("DELETE FROM ledger_entry WHERE agency = ? AND seq = ?", (AGENCY, world.entry_seq("av2")))


def deleted_latest(world: World, raw: RawSQL) -> None:
    raw("DELETE FROM ledger_entry WHERE agency = ? AND seq >= ?", (AGENCY, world.size() - 2))


def moved_entries(world: World, raw: RawSQL) -> None:
    a, b = world.entry_seq("av1"), world.entry_seq("av4")
    rows = {
        seq: world.ledger.db.one(
            "SELECT body, leaf_hash, ref, recorded_at FROM ledger_entry "
            "WHERE agency = ? AND seq = ?",
            (AGENCY, seq),
        )
        for seq in (a, b)
    }
    for seq, other in ((a, b), (b, a)):
        raw(
            "UPDATE ledger_entry SET body = ?, leaf_hash = ?, ref = ?, recorded_at = ? "
            "WHERE agency = ? AND seq = ?",
            (*rows[other], AGENCY, seq),  # type: ignore[misc]
        )


def swapped_positions(world: World, raw: RawSQL) -> None:
    """Two neighbouring rows' positions exchanged, nothing else: on SQLite the rows then lie in
    the table (rowid) order av2, av1 — the fast path reads a chunk in that order."""
    a, b = world.entry_seq("av1"), world.entry_seq("av2")
    assert b == a + 1
    parked = 10**9
    raw("UPDATE ledger_entry SET seq = ? WHERE agency = ? AND seq = ?", (parked, AGENCY, a))
    raw("UPDATE ledger_entry SET seq = ? WHERE agency = ? AND seq = ?", (a, AGENCY, b))
    raw("UPDATE ledger_entry SET seq = ? WHERE agency = ? AND seq = ?", (b, AGENCY, parked))


def forged_checkpoint(world: World, raw: RawSQL) -> None:
    latest = world.ledger.latest_checkpoint(AGENCY)
    assert latest is not None
    forger = notes.Ed25519Signer.generate(world.ledger.origin(AGENCY))
    text = notes.Checkpoint(world.ledger.origin(AGENCY), latest.size, latest.root).to_text()
    raw(
        "UPDATE ledger_checkpoint SET note = ? WHERE agency = ? AND size = ?",
        (notes.format_note(notes.sign_note(text, forger)), AGENCY, latest.size),
    )


def altered_node(world: World, raw: RawSQL) -> None:
    raw(
        "UPDATE ledger_node SET hash = ? WHERE agency = ? AND size = ? AND level = ?",
        (b"\x00" * 32, AGENCY, 8, 3),
    )


def deleted_node(world: World, raw: RawSQL) -> None:
    raw("DELETE FROM ledger_node WHERE agency = ? AND size = ? AND level = ?", (AGENCY, 4, 1))


def extra_node(world: World, raw: RawSQL) -> None:
    raw(
        "INSERT INTO ledger_node (agency, size, level, hash) VALUES (?, ?, ?, ?)",
        (AGENCY, 5, 1, b"\x01" * 32),
    )


def node_beyond_the_log(world: World, raw: RawSQL) -> None:
    raw(
        "INSERT INTO ledger_node (agency, size, level, hash) VALUES (?, ?, ?, ?)",
        (AGENCY, world.size() + 3, 1, b"\x01" * 32),
    )


def back_dated_pending(world: World, raw: RawSQL) -> None:
    data = next_body(world, recorded_at="2026-09-01T08:00:00+08:00")
    ref = data["record"]["id"]
    insert_raw(world, raw, canonical_bytes(data), recorded_at=data["recorded_at"], ref=ref)


def sign_in(world: World) -> None:
    """Sign every entry into a checkpoint with the agency key, as the insider holding it would:
    through the ledger's own code, without its refusal of an entry earlier than its predecessor
    or of one whose time cannot be read."""
    insider = BackDatingInsider(Database(world.url), world.keys, "lawtrail.local")
    try:
        with mock.patch.object(log, "_body_time", return_value=t("2026-09-02 12:00")):
            insider.integrate(AGENCY)
    finally:
        insider.db.close()


def back_dated_signed(world: World, raw: RawSQL) -> None:
    """Inserted and then signed into the log with the agency key: only its time gives it away."""
    data = next_body(world, recorded_at="2026-09-01T08:00:00+08:00")
    ref = data["record"]["id"]
    insert_raw(world, raw, canonical_bytes(data), recorded_at=data["recorded_at"], ref=ref)
    sign_in(world)


def signed_ingested_at(world: World, raw: RawSQL) -> None:
    media = body_of(world, world.entry_seq(world.video_sha))["media"]
    forged = {**media, "sha256": "ab" * 32, "ingested_at": "2026-09-02T09:30:00+08:00"}
    world.ledger.append(
        AGENCY,
        [NewEntry(AV_CASE, "media", forged["sha256"], forged)],
        recorded_at=t("2026-09-04 09:30"),
    )


def edited_ingested_at(world: World, raw: RawSQL) -> None:
    seq = world.entry_seq(world.video_sha)
    data = body_of(world, seq)
    data["media"]["ingested_at"] = "2026-09-02T09:25:00+08:00"
    set_body(raw, seq, data, leaf=True)


def signed_body(make: Callable[[dict[str, Any]], bytes]) -> Callable[[World, RawSQL], None]:
    """A body of odd bytes appended and signed with the agency key."""

    def attack(world: World, raw: RawSQL) -> None:
        data = next_body(world)
        body = make(data)  # (it may change the time the row is given)
        ref = data["record"]["id"]
        insert_raw(world, raw, body, recorded_at=data["recorded_at"], ref=ref)
        sign_in(world)

    return attack


def invalid_utf8(data: dict[str, Any]) -> bytes:
    # Invalid UTF-8 inside a string the checks do not read: json.loads refuses the body.
    return canonical_bytes(data).replace("仓库".encode(), b"\xff\xfe", 1)


def duplicate_index(data: dict[str, Any]) -> bytes:
    # The last of two "index" keys is the one json.loads keeps.
    return canonical_bytes(data).replace(b'"index":', b'"index":0,"index":', 1)


def duplicate_index_wrong(data: dict[str, Any]) -> bytes:
    # … and here the last one is wrong.
    index = b'"index":%d' % data["index"]
    return canonical_bytes(data).replace(index, index + b',"index":0', 1)


def nan_value(data: dict[str, Any]) -> bytes:
    return canonical_bytes(data).replace(b'"kind":', b'"nan":NaN,"kind":', 1)


def byte_order_mark(data: dict[str, Any]) -> bytes:
    return b"\xef\xbb\xbf" + canonical_bytes(data)


def float_index(data: dict[str, Any]) -> bytes:
    return canonical_bytes(data).replace(
        b'"index":%d' % data["index"], b'"index":%d.0' % data["index"]
    )


def other_time_format(data: dict[str, Any]) -> bytes:
    # A later instant written in UTC: readable, consistent, not the format the ledger writes.
    data["recorded_at"] = "2026-09-02T04:30:00+00:00"
    return canonical_bytes(data)


ATTACKS: dict[str, Callable[[World, RawSQL], None]] = {
    "altered body": altered_body,
    "altered body, leaf hash recomputed": altered_body_new_leaf,
    "case_number column": column("case_number", AV_CASE + "x"),
    "type column": column("type", "media"),
    "recorded_at column": column("recorded_at", "2026-09-02T12:03:30+08:00"),
    "ref column": column("ref", "av0"),
    "swapped refs": swapped_refs,
    "deleted entry": deleted_entry,
    "deleted latest entries": deleted_latest,
    "moved entries": moved_entries,
    "swapped positions": swapped_positions,
    "forged checkpoint signature": forged_checkpoint,
    "altered subtree hash": altered_node,
    "deleted subtree row": deleted_node,
    "extra subtree row": extra_node,
    "subtree row beyond the log": node_beyond_the_log,
    "back-dated entry, pending": back_dated_pending,
    "back-dated entry, signed": back_dated_signed,
    "signed media ingested_at": signed_ingested_at,
    "edited media ingested_at": edited_ingested_at,
    "signed invalid UTF-8": signed_body(invalid_utf8),
    "signed duplicate index key": signed_body(duplicate_index),
    "signed duplicate index key, wrong last": signed_body(duplicate_index_wrong),
    "signed NaN": signed_body(nan_value),
    "signed byte order mark": signed_body(byte_order_mark),
    "signed float index": signed_body(float_index),
    "signed UTC time": signed_body(other_time_format),
}

# What the detailed pass reports for each (so that every attack is a real one); the bodies it
# reads as json.loads does without a problem, the fast path still declines (it cannot judge
# them cheaply), and the detailed pass gives the same report.
EXPECTED: dict[str, set[str]] = {
    "altered body": {"checkpoint_mismatch", "entry_altered"},
    "altered body, leaf hash recomputed": {"checkpoint_mismatch", "node_altered"},
    "case_number column": {"entry_header_mismatch"},
    "type column": {"entry_header_mismatch"},
    "recorded_at column": {"entry_header_mismatch"},
    "ref column": {"entry_header_mismatch"},
    "swapped refs": {"entry_header_mismatch"},
    "deleted entry": {
        "checkpoint_mismatch",
        "entries_missing_at_end",
        "entry_missing",
        "node_altered",
    },
    "deleted latest entries": {"checkpoint_mismatch", "entries_missing_at_end", "node_unexpected"},
    "moved entries": {"checkpoint_mismatch", "entry_moved", "node_altered", "time_regression"},
    "swapped positions": {"checkpoint_mismatch", "entry_moved", "node_altered", "time_regression"},
    "forged checkpoint signature": {"checkpoint_signature_invalid"},
    "altered subtree hash": {"node_altered"},
    "deleted subtree row": {"node_missing"},
    "extra subtree row": {"node_unexpected"},
    "subtree row beyond the log": {"node_unexpected"},
    "back-dated entry, pending": {"time_regression"},
    "back-dated entry, signed": {"time_regression"},
    "signed media ingested_at": {"media_ingested_at_mismatch"},
    "edited media ingested_at": {
        "checkpoint_mismatch",
        "media_ingested_at_mismatch",
        "node_altered",
    },
    "signed invalid UTF-8": {"entry_unreadable"},
    "signed duplicate index key": set(),
    "signed duplicate index key, wrong last": {"entry_moved"},
    "signed NaN": set(),
    "signed byte order mark": set(),
    "signed float index": set(),
    "signed UTC time": set(),
}


def test_an_untouched_log_is_proven_by_the_fast_path_with_the_same_report(
    world: World, split_small: None
) -> None:
    assert fast_answer(world.url, world.keys) is not None
    assert fast_answer(world.url, world.keys, workers=2) == fast_answer(world.url, world.keys)
    assert report_json(world, fast_path=True) == report_json(world, fast_path=False)


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_every_tampered_log_gets_the_detailed_report_with_the_fast_path_on(
    world: World, raw: RawSQL, attack: str
) -> None:
    ATTACKS[attack](world, raw)
    detailed = report_json(world, fast_path=False)
    assert {p["code"] for p in detailed["problems"]} == EXPECTED[attack]
    assert report_json(world, fast_path=True) == detailed


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_every_tampered_log_is_declined_by_the_split_fast_path_too(
    world: World, raw: RawSQL, attack: str, split_small: None
) -> None:
    ATTACKS[attack](world, raw)
    single, split = fast_answer(world.url, world.keys), fast_answer(world.url, world.keys, 2)
    assert single == split
    detailed = report_json(world, fast_path=False)
    if detailed["problems"]:
        assert single is None  # a problem is always left to the detailed pass
    assert report_json(world, fast_path=True) == detailed


# ---------------------------------------------------------------------------- the split


def test_a_log_split_across_processes_gives_what_one_process_gives(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkpoints at uneven sizes (appends of 1–40 entries), subtrees spanning chunks, and
    entries the integrator has not signed yet at the end."""
    keys = KeyDirectory(tmp_path / "keys")
    rng = random.Random(12)
    with Database(database_url) as db:
        ledger = Ledger(db, keys, "lawtrail.local")
        pending = Ledger(db, keys, "lawtrail.local", integrate_on_append=False)
        seq = 0
        while seq < 700:
            count = rng.randint(1, 40)
            news = [
                NewEntry(AV_CASE, "record", f"r{seq + i}", {"id": f"r{seq + i}", "n": seq + i})
                for i in range(count)
            ]
            (pending if seq > 650 else ledger).append(
                AGENCY, news, recorded_at=t("2026-09-02 10:00")
            )
            seq += count
    monkeypatch.setattr(verify_fast, "PARALLEL_MIN_WORK", 0)
    one = fast_answer(database_url, keys, workers=1)
    assert one is not None and one.entries == seq
    for level in (2, 3, 5, 8):  # 8: more chunks made, down to 2^6, for the processes
        monkeypatch.setattr(verify_fast, "CHUNK_LEVEL", level)
        assert fast_answer(database_url, keys, workers=2) == one
        assert fast_answer(database_url, keys, workers=3) == one
    ledger = Ledger(Database(database_url), keys, "lawtrail.local")
    try:
        reports = [
            json.dumps(verify(ledger, keys, agency=AGENCY, fast_path=on).to_json(), sort_keys=True)
            for on in (True, False)
        ]
    finally:
        ledger.db.close()
    assert reports[0] == reports[1]


def small_log(database_url: str, tmp_path: Path) -> KeyDirectory:
    """A log of 120 entries in 6 appends, split across processes in chunks of 4."""
    keys = KeyDirectory(tmp_path / "keys")
    with Database(database_url) as db:
        ledger = Ledger(db, keys, "lawtrail.local")
        for start in range(0, 120, 20):
            news = [
                NewEntry(AV_CASE, "record", f"r{n}", {"id": f"r{n}", "n": n})
                for n in range(start, start + 20)
            ]
            ledger.append(AGENCY, news, recorded_at=t("2026-09-02 10:00"))
    return keys


def test_a_process_that_dies_leaves_the_answer_to_the_detailed_pass(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forked process that dies (killed for memory, say) with a chunk it took: the parent
    neither waits for it forever nor answers for chunks nobody proved — unsure."""
    keys = small_log(database_url, tmp_path)
    monkeypatch.setattr(verify_fast, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(verify_fast, "CHUNK_LEVEL", 2)
    # Threads that earlier tests of this test process left behind (idle ones) would make the
    # fast path keep to one process, and there would be no child to die.
    monkeypatch.setattr(verify_fast.threading, "active_count", lambda: 1)
    assert fast_answer(database_url, keys, workers=2) is not None
    parent = os.getpid()
    run_here = verify_fast._run_here

    def dies_in_a_child(job: Any, db: Database, bounds: Any) -> Any:
        if os.getpid() != parent:
            os._exit(9)
        time.sleep(0.01)  # the parent slower: the child surely takes a chunk
        return run_here(job, db, bounds)

    monkeypatch.setattr(verify_fast, "_run_here", dies_in_a_child)
    assert fast_answer(database_url, keys, workers=2) is None
    assert fast_answer(database_url, keys, workers=1) is not None


def test_no_process_to_be_had_leaves_the_work_to_fewer(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = small_log(database_url, tmp_path)
    monkeypatch.setattr(verify_fast, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(verify_fast, "CHUNK_LEVEL", 2)
    one = fast_answer(database_url, keys, workers=1)
    assert one is not None

    def no_fork() -> int:
        raise OSError("fork: Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert fast_answer(database_url, keys, workers=3) == one


# ---------------------------------------------------------------------------- SQLite's reads


def test_a_row_stored_out_of_table_order_is_read_by_position_and_proven(
    world: World, raw: RawSQL, split_small: None
) -> None:
    """An entry deleted and inserted again unchanged (a restore by hand, say) sits at the end
    of the table: its chunk's rows are not consecutive in the table, so on SQLite that chunk is
    read through the position index instead — nothing is wrong, and the fast path says so."""
    seq = world.entry_seq("av1")
    row = world.ledger.db.one(
        "SELECT * FROM ledger_entry WHERE agency = ? AND seq = ?", (AGENCY, seq)
    )
    assert row is not None
    raw("DELETE FROM ledger_entry WHERE agency = ? AND seq = ?", (AGENCY, seq))
    raw("INSERT INTO ledger_entry VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tuple(row))
    assert report_json(world, fast_path=False)["problems"] == []
    assert fast_answer(world.url, world.keys) is not None
    assert fast_answer(world.url, world.keys, workers=2) == fast_answer(world.url, world.keys)
    assert report_json(world, fast_path=True) == report_json(world, fast_path=False)


def test_on_sqlite_only_forked_processes_read_chunks_through_apsw(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """APSW brings its own copy of SQLite; two copies in one process drop each other's POSIX
    locks when one closes the file. So the verifying process (which holds the caller's
    connection) never opens one: it forks, the forked processes read every chunk, and it only
    combines what they send."""
    keys = small_log(sqlite_url, tmp_path)
    monkeypatch.setattr(verify_fast, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(verify_fast, "CHUNK_LEVEL", 2)
    monkeypatch.setattr(verify_fast.threading, "active_count", lambda: 1)
    one = fast_answer(sqlite_url, keys, workers=1)
    assert one is not None and one.entries == 120
    seen = tmp_path / "pids"
    reader, check_chunk = verify_fast._sqlite_reader, verify_fast._check_chunk

    def note(what: str) -> None:
        with seen.open("a") as out:
            out.write(f"{what} {os.getpid()}\n")

    def noted_reader(url: str) -> Any:
        note("apsw")
        return reader(url)

    def noted_chunk(job: Any, db: Any, lo: int, hi: int) -> Any:
        note("chunk")
        return check_chunk(job, db, lo, hi)

    monkeypatch.setattr(verify_fast, "_sqlite_reader", noted_reader)
    monkeypatch.setattr(verify_fast, "_check_chunk", noted_chunk)
    assert fast_answer(sqlite_url, keys, workers=2) == one
    lines = [line.split() for line in seen.read_text().splitlines()]
    readers = {int(pid) for what, pid in lines if what == "apsw"}
    chunks = [int(pid) for what, pid in lines if what == "chunk"]
    assert len(readers) == 2 and os.getpid() not in readers
    assert len(chunks) == 120 // 4 and set(chunks) <= readers
