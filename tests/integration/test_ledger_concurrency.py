"""The ledger under real concurrency and real crashes: separate writer processes, SIGKILL.

Each test runs on SQLite and on PostgreSQL (``database_url``). The writers are
``tests/integration/ledger_appender.py`` subprocesses: each appends entries one by one, each in
its own durable transaction, and prints ``ACK <seq> <ref>`` only after ``append`` returned.
An ACK line is therefore the ledger's promise that the entry is stored at that position.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import IO

import pytest

from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, NewEntry
from lawtrail.ledger.verify import Report, verify
from tests.integration.ledger_appender import CASE_NUMBER, ORIGIN_BASE, ref

ROOT = Path(__file__).resolve().parents[2]
AGENCY = "tonghua-market"
# Generous: the whole run takes seconds locally; a loaded 2-core CI machine is slower.
DEADLINE_S = 300.0


class Appender:
    """One ``ledger_appender`` subprocess; a thread collects its stdout as it is printed."""

    def __init__(
        self,
        tmp_path: Path,
        url: str,
        keys: Path,
        writer: str,
        count: int,
        *,
        sleep: float = 0.0,
        start_file: Path | None = None,
    ) -> None:
        self.writer = writer
        self.stderr_path = tmp_path / f"appender-{writer}.stderr"
        self._stderr: IO[bytes] = self.stderr_path.open("wb")
        command = [
            sys.executable,
            "-m",
            "tests.integration.ledger_appender",
            "--url",
            url,
            "--keys",
            str(keys),
            "--agency",
            AGENCY,
            "--writer",
            writer,
            "--count",
            str(count),
            "--sleep",
            str(sleep),
        ]
        if start_file is not None:
            command += ["--start-file", str(start_file)]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if line == "READY\n":
                self.ready.set()

    def acks(self) -> list[tuple[int, str]]:
        """Every (seq, ref) acknowledged so far. Only complete lines count: a line cut short
        by a kill was never fully printed, so it acknowledges nothing."""
        result = []
        for line in list(self.lines):
            if line.startswith("ACK ") and line.endswith("\n"):
                _, seq, entry_ref = line.split()
                result.append((int(seq), entry_ref))
        return result

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text("utf-8", errors="replace")

    def wait_until(self, what: str, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while not condition():
            if self.proc.poll() is not None:
                self._collect()
                if condition():
                    return
                pytest.fail(
                    f"appender {self.writer} exited ({self.proc.returncode}) before {what}:\n"
                    f"{self.stderr()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"appender {self.writer}: timed out waiting for {what}")
            time.sleep(0.005)

    def finish(self) -> int:
        """Wait for a normal exit; returns the exit code."""
        try:
            self.proc.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"appender {self.writer} did not finish within {DEADLINE_S:.0f} s")
        self._collect()
        return self.proc.returncode

    def sigkill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=DEADLINE_S)
        self._collect()

    def _collect(self) -> None:
        # The process has exited: its stdout ends, the reader thread drains the pipe.
        self._reader.join(timeout=DEADLINE_S)
        assert not self._reader.is_alive()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE_S)
        self._reader.join(timeout=DEADLINE_S)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


@contextmanager
def appenders(*started: Appender) -> Iterator[None]:
    """Never leave a writer running (or its pipes open) when a test fails."""
    try:
        yield
    finally:
        for appender in started:
            appender.close()


@contextmanager
def open_ledger(url: str, keys: Path) -> Iterator[Ledger]:
    with Database(url) as db:
        yield Ledger(db, KeyDirectory(keys), ORIGIN_BASE)


def create_log(url: str, keys: Path) -> None:
    """Create the agency's log and its signing key before any writer starts, so that all
    writers sign with the one key in the shared key directory."""
    with open_ledger(url, keys) as ledger:
        ledger.ensure_log(AGENCY)
    assert (keys / f"{AGENCY}.key").exists()


def stored_log(ledger: Ledger) -> list[tuple[int, str]]:
    """(seq, ref) of every stored entry, in seq order, straight from the table."""
    rows = ledger.db.all(
        "SELECT seq, ref FROM ledger_entry WHERE agency = ? ORDER BY seq", (AGENCY,)
    )
    return [(int(seq), entry_ref) for seq, entry_ref in rows]


def checkpoint_sizes(ledger: Ledger) -> list[int]:
    rows = ledger.db.all(
        "SELECT size FROM ledger_checkpoint WHERE agency = ? ORDER BY size", (AGENCY,)
    )
    return [int(size) for (size,) in rows]


def assert_intact(report: Report, size: int) -> None:
    assert report.problems == [], [f"{p.code}: {p.message}" for p in report.problems]
    # Every acknowledged entry was signed into a checkpoint (the CLI integrates on append).
    assert [r for r in report.verdict.reasons if r.code == "unsigned"] == []
    (summary,) = report.logs
    assert summary.entries == size
    assert summary.latest_checkpoint == size


def assert_acks_stored(acks: list[tuple[int, str]], log: list[tuple[int, str]]) -> None:
    at = dict(log)
    wrong = [(seq, entry_ref, at.get(seq)) for seq, entry_ref in acks if at.get(seq) != entry_ref]
    assert not wrong, f"acknowledged entries missing or elsewhere (seq, ref, stored): {wrong[:10]}"


def test_two_processes_appending_1000_each_give_one_log_of_2000_without_gaps(
    database_url: str, tmp_path: Path
) -> None:
    per_writer = 1000
    keys = tmp_path / "keys"
    start = tmp_path / "start"
    create_log(database_url, keys)
    # A few milliseconds between appends: SQLite's busy handler polls with growing sleeps, so
    # without a pause one writer could re-take the write lock every time it commits and the two
    # would run one after the other instead of interleaving.
    a = Appender(tmp_path, database_url, keys, "A", per_writer, sleep=0.002, start_file=start)
    b = Appender(tmp_path, database_url, keys, "B", per_writer, sleep=0.002, start_file=start)
    with appenders(a, b):
        # Start barrier: both have opened the database and wait for the start file.
        a.wait_until("READY", a.ready.is_set)
        b.wait_until("READY", b.ready.is_set)
        began = time.monotonic()
        start.touch()
        assert a.finish() == 0, a.stderr()
        assert b.finish() == 0, b.stderr()
        elapsed = time.monotonic() - began
    print(f"\n{database_url.split(':')[0]}: 2 x {per_writer} appends in {elapsed:.1f} s")

    assert a.lines[-1] == b.lines[-1] == "DONE\n"
    acks = {"A": a.acks(), "B": b.acks()}
    assert [len(acks["A"]), len(acks["B"])] == [per_writer, per_writer]

    with open_ledger(database_url, keys) as ledger:
        log = stored_log(ledger)
        # One log of exactly 2,000 entries: seq 0..1999, no gaps, no duplicates.
        assert [seq for seq, _ in log] == list(range(2 * per_writer))
        assert len({entry_ref for _, entry_ref in log}) == 2 * per_writer
        # Every acknowledged entry is where its receipt said.
        assert_acks_stored(acks["A"] + acks["B"], log)
        # Each writer's entries are in the order it appended them.
        for writer in "AB":
            mine = [entry_ref for _, entry_ref in log if entry_ref.startswith(f"{writer}-")]
            assert mine == [ref(writer, n) for n in range(per_writer)]
            assert [seq for seq, _ in acks[writer]] == sorted(seq for seq, _ in acks[writer])
        # The writers really ran at the same time: the log switches between them both ways.
        writers = [entry_ref[0] for _, entry_ref in log]
        switches = {(x, y) for x, y in pairwise(writers) if x != y}
        assert switches == {("A", "B"), ("B", "A")}, "the two writers did not interleave"
        # Every append signed its own checkpoint in the same transaction.
        assert checkpoint_sizes(ledger) == list(range(1, 2 * per_writer + 1))
        assert_intact(verify(ledger, KeyDirectory(keys), agency=AGENCY), 2 * per_writer)


def test_sigkill_mid_run_loses_no_acknowledged_record_and_leaves_a_verifying_log(
    database_url: str, tmp_path: Path
) -> None:
    planned, kill_after = 5000, 200
    keys = tmp_path / "keys"
    create_log(database_url, keys)
    victim = Appender(tmp_path, database_url, keys, "K", planned)
    with appenders(victim):
        victim.wait_until(f"{kill_after} ACKs", lambda: len(victim.acks()) >= kill_after)
        victim.sigkill()
    # It died of the signal in the middle of its run, not at the end of it.
    assert victim.proc.returncode == -signal.SIGKILL
    assert "DONE\n" not in victim.lines
    acks = victim.acks()
    assert kill_after <= len(acks) < planned

    # A fresh connection, as after a restart.
    with open_ledger(database_url, keys) as ledger:
        log = stored_log(ledger)
        size = len(log)
        print(f"\n{database_url.split(':')[0]}: killed after {len(acks)} ACKs, {size} stored")
        assert [seq for seq, _ in log] == list(range(size)), "the log has gaps"
        assert_acks_stored(acks, log)
        # One writer appending one by one: the log is a prefix of its run. At most the one
        # append in flight at the kill may have committed without being acknowledged.
        assert [entry_ref for _, entry_ref in log] == [ref("K", n) for n in range(size)]
        assert len(acks) <= size <= len(acks) + 1
        # Nothing half-written: every stored entry is covered by a signed checkpoint.
        assert checkpoint_sizes(ledger) == list(range(1, size + 1))
        assert_intact(verify(ledger, KeyDirectory(keys), agency=AGENCY), size)

        # The log is usable after the crash: the next append continues right after it.
        entry = NewEntry(CASE_NUMBER, "record", "after-crash", {"writer": "parent"})
        (receipt,) = ledger.append(AGENCY, [entry])
        assert receipt.seq == size
        assert receipt.checkpoint_size == size + 1
        assert stored_log(ledger)[-1] == (size, "after-crash")
        assert_intact(verify(ledger, KeyDirectory(keys), agency=AGENCY), size + 1)
