"""Group commit of access entries (issue #18), on SQLite and PostgreSQL: the appends of many
threads commit together in fewer transactions, each caller returns only once its own entry is
durable (with its receipt), a failed transaction fails every caller in it and stores none of
it, and two committers (two app servers) interleave into one log that verifies."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from lawtrail.core import merkle
from lawtrail.ledger.db import Database
from lawtrail.ledger.groupcommit import GroupCommitter
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, NewEntry, Receipt, StoredEntry
from lawtrail.ledger.verify import verify

AGENCY = "tonghua-market"
CASE = "通市监罚〔2026〕12号"
THREADS, EACH = 8, 25


_opened: list[Ledger] = []  # on the test's thread (a committer closes its own)


def make(url: str, keys: Path) -> Ledger:
    ledger = Ledger(Database(url), KeyDirectory(keys), "lawtrail.local", integrate_on_append=False)
    if threading.current_thread() is threading.main_thread():
        _opened.append(ledger)
    return ledger


@pytest.fixture(autouse=True)
def close_connections() -> Iterator[None]:
    """Every connection the test opened on this thread is closed (the committers close their
    own), before the test's PostgreSQL schema is dropped."""
    yield
    while _opened:
        _opened.pop().db.close()


def access(thread: int, n: int) -> NewEntry:
    return NewEntry(CASE, "access", CASE, {"user": f"u{thread}", "n": n})


class Batches:
    """Counts the transactions (the ``also`` hook runs once per agency per batch)."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.sizes: list[int] = []
        self.fail_on = fail_on

    def __call__(
        self,
        ledger: Ledger,
        agency: str,
        entries: Sequence[NewEntry],
        receipts: Sequence[Receipt],
        stored: Sequence[StoredEntry],
    ) -> None:
        assert len(entries) == len(receipts) and agency == AGENCY
        # The entries as written, for rows kept beside them: what a read would give back.
        assert [(e.seq, e.leaf_hash) for e in stored] == [(r.seq, r.leaf_hash) for r in receipts]
        assert list(ledger.entries_at(agency, [r.seq for r in receipts]).values()) == list(stored)
        if self.fail_on is not None and any(e.body.get("n") == self.fail_on for e in entries):
            raise RuntimeError("the disk is full")
        self.sizes.append(len(entries))


def hammer(committer: GroupCommitter, threads: int, each: int, first: int = 0) -> dict[int, list]:
    """``threads`` threads appending ``each`` entries; what each got back, in order."""
    got: dict[int, list] = {}
    start = threading.Barrier(threads)

    def run(t: int) -> None:
        start.wait()
        got[t] = [committer.append(AGENCY, access(first + t, n)) for n in range(each)]

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    return got


def test_concurrent_appends_commit_together_each_durable_in_its_own_order(
    database_url: str, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    make(database_url, keys).ensure_log(AGENCY)
    batches = Batches()
    committer = GroupCommitter(lambda: make(database_url, keys), also=batches).start()
    try:
        got = hammer(committer, THREADS, EACH)
    finally:
        committer.stop()
    receipts = [r for t in range(THREADS) for r in got[t]]
    assert len(receipts) == THREADS * EACH
    assert sorted(r.seq for r in receipts) == list(range(THREADS * EACH))  # each once
    # Fewer transactions than entries: concurrent entries shared a commit.
    assert sum(batches.sizes) == THREADS * EACH and len(batches.sizes) < THREADS * EACH
    other = make(database_url, keys)  # another connection: every acknowledged entry is there
    stored = {e.seq: e for e in other.entries(AGENCY)}
    for t in range(THREADS):
        seqs = [r.seq for r in got[t]]
        assert seqs == sorted(seqs)  # a thread's entries in the order it appended them
        for n, receipt in enumerate(got[t]):
            entry = stored[receipt.seq]
            assert entry.leaf_hash == receipt.leaf_hash == merkle.leaf_hash(entry.body)
            assert entry.data()["access"] == {"user": f"u{t}", "n": n}


def test_an_acknowledged_entry_is_durable_when_append_returns(
    database_url: str, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    make(database_url, keys).ensure_log(AGENCY)
    committer = GroupCommitter(lambda: make(database_url, keys)).start()
    try:
        for n in range(5):
            receipt = committer.append(AGENCY, access(0, n))
            # Seen at once from another connection: committed before the caller was answered.
            seen = make(database_url, keys).entry(AGENCY, receipt.seq)
            assert seen is not None and seen.leaf_hash == receipt.leaf_hash
    finally:
        committer.stop()


def test_a_failed_batch_fails_its_callers_stores_none_of_it_and_the_next_succeeds(
    database_url: str, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    make(database_url, keys).ensure_log(AGENCY)
    committer = GroupCommitter(lambda: make(database_url, keys), also=Batches(fail_on=-1)).start()
    try:
        with pytest.raises(RuntimeError, match="the disk is full"):
            committer.append(AGENCY, access(0, -1))
        assert make(database_url, keys).size(AGENCY) == 0  # nothing of the failed batch
        receipt = committer.append(AGENCY, access(0, 1))  # the committer goes on
        assert receipt.seq == 0
    finally:
        committer.stop()
    assert make(database_url, keys).size(AGENCY) == 1


def test_two_committers_interleave_into_one_log_that_verifies(
    database_url: str, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    ledger = make(database_url, keys)
    ledger.ensure_log(AGENCY)
    first = GroupCommitter(lambda: make(database_url, keys)).start()
    second = GroupCommitter(lambda: make(database_url, keys)).start()
    try:
        runs = [
            threading.Thread(target=hammer, args=(first, 4, 20)),
            threading.Thread(target=hammer, args=(second, 4, 20, 4)),
        ]
        for run in runs:
            run.start()
        for run in runs:
            run.join(60)
    finally:
        first.stop()
        second.stop()
    assert ledger.size(AGENCY) == 160
    ledger.integrate(AGENCY)
    report = verify(ledger, KeyDirectory(keys), agency=AGENCY, allow_unpinned=True)
    assert report.problems == [] and report.logs[0].entries == 160


def test_append_refuses_when_the_committer_is_not_running(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    committer = GroupCommitter(lambda: make(url, tmp_path / "keys"))
    with pytest.raises(RuntimeError, match="not running"):
        committer.append(AGENCY, access(0, 0))
