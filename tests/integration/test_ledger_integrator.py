"""Sequencing apart from signing (issue #12, item 0), on SQLite and PostgreSQL.

An append is durable when its transaction commits, without a signature; the integrator signs
one checkpoint per batch, within its bounded delay, over exactly what is stored — it recomputes
each leaf from the stored bytes and refuses a body changed since it was sequenced — and several
integrators (two app servers) never sign twice or conflict.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lawtrail.cli import main
from lawtrail.core import merkle, notes
from lawtrail.core.timeutil import SHANGHAI
from lawtrail.ledger.db import Database
from lawtrail.ledger.integrator import MAX_DELAY_SECONDS, Integrator
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, LedgerIntegrityError, NewEntry
from lawtrail.ledger.receipts import build_receipt
from tests.dbfixtures import RawSQL

AGENCY = "tonghua-market"
ORIGIN_BASE = "lawtrail.local"


def make(url: str, keys: Path, *, integrate_on_append: bool = False) -> Ledger:
    return Ledger(
        Database(url),
        KeyDirectory(keys),
        ORIGIN_BASE,
        integrate_on_append=integrate_on_append,
    )


def entry(n: int) -> NewEntry:
    return NewEntry("通市监立〔2026〕1号", "access", f"r{n}", {"user": "u", "n": n})


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    led = make(database_url, tmp_path / "keys")
    led.ensure_log(AGENCY)
    yield led
    led.db.close()


def test_an_append_is_durable_without_a_signature_and_one_checkpoint_covers_the_batch(
    ledger: Ledger, database_url: str, tmp_path: Path
) -> None:
    receipts = [ledger.append(AGENCY, [entry(n)])[0] for n in range(7)]
    assert [r.seq for r in receipts] == list(range(7))
    assert all(r.checkpoint_size is None for r in receipts)
    assert ledger.latest_checkpoint(AGENCY) is None
    # Durable: another connection sees them before any signature.
    other = make(database_url, tmp_path / "keys")
    assert other.size(AGENCY) == 7 and other.pending(AGENCY) == 7

    checkpoint = ledger.integrate(AGENCY)
    assert checkpoint is not None and checkpoint.size == 7
    assert [c.size for c in ledger.checkpoints(AGENCY)] == [7]
    leaves = [e.leaf_hash for e in ledger.entries(AGENCY)]
    assert checkpoint.root == merkle.root_from_leaf_hashes(leaves)
    note, _ = checkpoint.parsed()
    assert notes.verify_note(note, [KeyDirectory(tmp_path / "keys").verifier(AGENCY)])
    assert ledger.pending(AGENCY) == 0
    # Nothing waiting: integrating again signs nothing new.
    assert ledger.integrate(AGENCY) == checkpoint

    ledger.append(AGENCY, [entry(7), entry(8)])
    second = ledger.integrate(AGENCY)
    assert second is not None and second.size == 9
    proof = ledger.consistency_proof(AGENCY, 7, 9)
    merkle.verify_consistency(7, 9, checkpoint.root, second.root, proof)
    for stored in ledger.entries(AGENCY):
        proof = ledger.inclusion_proof(AGENCY, stored.seq, 9)
        merkle.verify_inclusion(stored.leaf_hash, stored.seq, 9, proof, second.root)
    other.db.close()


def test_the_integrator_refuses_to_sign_a_waiting_entry_changed_behind_its_back(
    ledger: Ledger, database_url: str
) -> None:
    ledger.append(AGENCY, [entry(0)])
    ledger.integrate(AGENCY)
    ledger.append(AGENCY, [entry(1), entry(2)])
    raw = RawSQL(database_url)
    try:
        raw(
            "UPDATE ledger_entry SET body = ? WHERE agency = ? AND seq = 2",
            (b'{"forged":true}', AGENCY),
        )
    finally:
        raw.close()
    with pytest.raises(LedgerIntegrityError, match="第 2 条记录的内容与其叶哈希不符"):
        ledger.integrate(AGENCY)
    assert [c.size for c in ledger.checkpoints(AGENCY)] == [1]


def test_a_deleted_tail_is_refused_not_signed_over(ledger: Ledger, database_url: str) -> None:
    ledger.append(AGENCY, [entry(n) for n in range(4)])
    ledger.integrate(AGENCY)
    raw = RawSQL(database_url)
    try:
        raw("DELETE FROM ledger_entry WHERE agency = ? AND seq >= 2", (AGENCY,))
    finally:
        raw.close()
    ledger.append(AGENCY, [entry(9)])  # sequencing goes on at the next position it sees
    with pytest.raises(LedgerIntegrityError):
        ledger.integrate(AGENCY)
    assert [c.size for c in ledger.checkpoints(AGENCY)] == [4]


def test_the_integrator_thread_covers_every_acknowledged_entry_within_its_delay(
    database_url: str, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    setup = make(database_url, keys)
    setup.ensure_log(AGENCY)
    setup.db.close()
    signed: list[int] = []
    integrator = Integrator(
        lambda: make(database_url, keys),
        interval=0.1,
        on_checkpoint=lambda c: signed.append(c.size),
    )
    integrator.start()
    writers = []
    waits: list[float] = []
    lock = threading.Lock()

    def write(offset: int) -> None:
        led = make(database_url, keys)
        try:
            for n in range(10):
                [receipt] = led.append(AGENCY, [entry(offset + n)])
                acknowledged = time.monotonic()
                while True:
                    latest = led.latest_checkpoint(AGENCY)
                    if latest is not None and latest.size > receipt.seq:
                        break
                    time.sleep(0.01)
                with lock:
                    waits.append(time.monotonic() - acknowledged)
        finally:
            led.db.close()

    try:
        for w in range(4):
            writers.append(threading.Thread(target=write, args=(100 * w,)))
            writers[-1].start()
        for thread in writers:
            thread.join(60)
    finally:
        integrator.stop()
    check = make(database_url, keys)
    assert check.size(AGENCY) == 40 and check.pending(AGENCY) == 0
    assert len(waits) == 40 and max(waits) < MAX_DELAY_SECONDS
    # Batches: far fewer signatures than entries is the point, but at least one per round.
    sizes = [c.size for c in check.checkpoints(AGENCY)]
    assert sizes == sorted(set(sizes)) and sizes[-1] == 40 and signed[-1] == 40
    check.db.close()


def test_two_integrators_at_once_never_sign_twice(database_url: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    appender = make(database_url, keys)
    appender.ensure_log(AGENCY)
    errors: list[BaseException] = []

    def integrate_often() -> None:  # one server's integrator: its own connection
        led = make(database_url, keys)
        try:
            for _ in range(30):
                led.integrate(AGENCY)
        except BaseException as exc:
            errors.append(exc)
        finally:
            led.db.close()

    threads = [threading.Thread(target=integrate_often) for _ in range(2)]
    for thread in threads:
        thread.start()
    for n in range(30):
        appender.append(AGENCY, [entry(n)])
    for thread in threads:
        thread.join(60)
    assert errors == []
    final = appender.integrate(AGENCY)
    assert final is not None and final.size == 30
    sizes = [c.size for c in appender.checkpoints(AGENCY)]
    assert sizes == sorted(set(sizes))
    appender.db.close()


def test_a_receipt_asked_for_before_the_integrator_ran_is_signed_on_the_spot(
    ledger: Ledger,
) -> None:
    ledger.append(AGENCY, [entry(0), entry(1)])
    assert ledger.latest_checkpoint(AGENCY) is None
    stored = ledger.entry(AGENCY, 1)
    assert stored is not None
    receipt = build_receipt(ledger, stored)
    assert receipt["checkpoint"].startswith(f"{ORIGIN_BASE}/{AGENCY}\n2\n")
    assert receipt["max_integration_delay_seconds"] == MAX_DELAY_SECONDS


def test_integrating_on_append_signs_in_the_same_transaction(
    database_url: str, tmp_path: Path
) -> None:
    led = make(database_url, tmp_path / "keys", integrate_on_append=True)
    led.ensure_log(AGENCY)
    receipts = led.append(AGENCY, [entry(0), entry(1)])
    assert [r.checkpoint_size for r in receipts] == [2, 2]
    assert led.pending(AGENCY) == 0
    led.db.close()


def test_lawtrail_ledger_integrate_signs_what_waits(
    ledger: Ledger,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With no server running (its integrator stopped mid-batch), an operator signs by hand."""
    monkeypatch.setenv("LAWTRAIL_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("LAWTRAIL_LOG_ORIGIN_BASE", ORIGIN_BASE)
    ledger.append(AGENCY, [entry(n) for n in range(3)])
    code = main(["ledger", "integrate", "--database", database_url])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == f"{AGENCY}：签入 3 条，最新检查点大小 3\n"
    assert ledger.pending(AGENCY) == 0


def test_a_standby_integrator_signs_only_what_the_usual_one_left_waiting(
    database_url: str, tmp_path: Path
) -> None:
    """A worker's integrator stands by while the server's access writer signs: it leaves a log
    whose entries have waited less than ``min_age`` and signs one left waiting longer."""
    now = [datetime(2026, 12, 3, 10, 0, 0, tzinfo=SHANGHAI)]
    ledger = Ledger(
        Database(database_url),
        KeyDirectory(tmp_path / "keys"),
        ORIGIN_BASE,
        clock=lambda: now[0],
        integrate_on_append=False,
    )
    try:
        ledger.ensure_log(AGENCY)
        ledger.append(AGENCY, [entry(n) for n in range(3)])
        standby = Integrator(lambda: ledger, min_age=MAX_DELAY_SECONDS)
        assert standby.run_once(ledger) == []  # just appended: the usual integrator's
        assert ledger.pending(AGENCY) == 3
        now[0] += timedelta(seconds=MAX_DELAY_SECONDS + 0.5)  # it did not come
        (checkpoint,) = standby.run_once(ledger)
        assert checkpoint.size == 3 and ledger.pending(AGENCY) == 0
        # What waits since a moment ago (behind a signed checkpoint) is left again.
        ledger.append(AGENCY, [entry(3)])
        assert standby.run_once(ledger) == [] and ledger.waiting_since(AGENCY) == now[0]
        assert Integrator(lambda: ledger).run_once(ledger)[0].size == 4  # not a standby
        assert ledger.waiting_since(AGENCY) is None
    finally:
        ledger.db.close()
