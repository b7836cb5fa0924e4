"""The insider's attacks on the ledger (issue #12, "Done when"), on SQLite and PostgreSQL, with the
supervisor's witness running as its own process (`lawtrail witness serve`, production poll
interval of 1 s) following the log over HTTP: each attack is caught by default — the witness
raises a named alert within seconds, and `lawtrail verify` with the pinned keys reports a
problem or at least never "intact". The time from the attack to the alert is measured: it is
the window docs/architecture.md ("Trust model") states.

The other attacks of the list are proven where their machinery lives: a swapped log key
(test_witness_service: a witness configured with the real key refuses), a package forged under
another key and a backup tampered and re-signed (test_verifiers_demand_witness), an entry
omitted from a package (test_case_completeness), an edited case index and a swapped ``ref``
(test_cli_verify_projections, test_ledger_tamper_columns), a rewrite refused by the signing
process (test_signer_process).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lawtrail.core import notes
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.verify import Report, verify
from tests.dbfixtures import RawSQL
from tests.integration.test_witness_service import World, make_world, rewrite
from tests.integration.test_witness_state import AGENCY, grow, open_case
from tests.integration.witnessing import WitnessProcess, wait_for

ORIGIN = f"lawtrail.local/{AGENCY}"
LEDGER_TABLES = ("ledger_cosignature", "ledger_checkpoint", "ledger_node", "ledger_entry")
# The production poll interval of the witness; the alert must come within a few polls.
POLL_SECONDS = 1.0
DETECTION_LIMIT_SECONDS = 10.0


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from make_world(database_url, tmp_path)


def cosigned_witness(world: World) -> tuple[WitnessProcess, int]:
    grow(world.ledger, 4)
    witness = world.witness(poll_interval=POLL_SECONDS)
    size = world.ledger.size(AGENCY)
    wait_for(lambda: size in world.mine(), "the witness's cosignature", timeout=15)
    return witness, size


def alert_after(
    witness: WitnessProcess, kind: str, attacked: float
) -> tuple[dict[str, str], float]:
    alert = wait_for(
        lambda: [a for a in witness.alerts() if a["kind"] == kind],
        f"a {kind} alert",
        timeout=DETECTION_LIMIT_SECONDS,
    )[0]
    seconds = time.monotonic() - attacked
    print(f"window: {kind} alert {seconds:.2f} s after the attack")  # shown with pytest -s
    return alert, seconds


def pinned_verify(world: World, witness: WitnessProcess) -> Report:
    """`lawtrail verify` as an auditor runs it: the agency and witness keys pinned (copies
    taken before the attack), the witness's state given."""
    ledger = Ledger(Database(world.url), world.keys, "lawtrail.local", install_schema=False)
    try:
        return verify(
            ledger,
            world.keys,
            agency=AGENCY,
            pinned_keys=[notes.Ed25519Verifier.from_verifier_key_string(world.log_key)],
            witness_keys=[notes.CosignatureVerifier.from_verifier_key_string(witness.verifier_key)],
            witness_state=witness.folder / "state",
        )
    finally:
        ledger.db.close()


def test_history_rewritten_in_place_and_re_signed_with_the_agency_key_is_caught(
    world: World,
) -> None:
    witness, cosigned = cosigned_witness(world)
    # The insider: triggers off, the agency's log emptied, rebuilt with one record changed and
    # every checkpoint signed again with the agency's own key (which sits beside the data).
    raw = RawSQL(world.url)
    try:
        for table in LEDGER_TABLES:
            raw(f"DELETE FROM {table} WHERE agency = ?", (AGENCY,))
    finally:
        raw.close()
    attacked = time.monotonic()
    forger = Ledger(Database(world.url), KeyDirectory(world.keys.root), "lawtrail.local")
    open_case(forger, AGENCY)
    rewrite(forger)
    grow(forger, cosigned)
    forger.db.close()

    alert, seconds = alert_after(witness, "fork", attacked)
    assert ORIGIN in alert["message"] or alert["origin"] == ORIGIN
    assert "不一致" in alert["message"]
    assert seconds < DETECTION_LIMIT_SECONDS
    assert world.mine() == {}  # nothing of the rewritten log is cosigned
    report = pinned_verify(world, witness)
    assert report.problems, "a rewritten log must never verify"
    assert not report.intact


def test_the_latest_entries_deleted_are_caught_as_a_rollback(world: World) -> None:
    witness, cosigned = cosigned_witness(world)
    keep = cosigned - 2
    raw = RawSQL(world.url)
    try:
        raw("DELETE FROM ledger_cosignature WHERE agency = ? AND size > ?", (AGENCY, keep))
        raw("DELETE FROM ledger_checkpoint WHERE agency = ? AND size > ?", (AGENCY, keep))
        raw("DELETE FROM ledger_node WHERE agency = ? AND size > ?", (AGENCY, keep))
        raw("DELETE FROM ledger_entry WHERE agency = ? AND seq >= ?", (AGENCY, keep))
    finally:
        raw.close()
    attacked = time.monotonic()
    alert, seconds = alert_after(witness, "rollback", attacked)
    assert f"见证方已联署大小 {cosigned} 的检查点" in alert["message"]
    assert seconds < DETECTION_LIMIT_SECONDS
    report = pinned_verify(world, witness)
    assert report.problems and not report.intact
    messages = " ".join(p.message for p in report.problems)
    assert str(cosigned) in messages


def test_a_lost_wal_after_a_crash_is_caught_as_a_rollback(sqlite_url: str, tmp_path: Path) -> None:
    """SQLite only: the last commits live in the -wal until a checkpoint copies them into the
    database file; a crash that loses the -wal loses them — acknowledged records gone."""
    for world in make_world(sqlite_url, tmp_path):
        db_path = Path(sqlite_url.removeprefix("sqlite:///"))
        world.ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = world.ledger.size(AGENCY)
        lost = tmp_path / "after-crash.sqlite3"
        shutil.copy(db_path, lost)  # the database file as it is on disk: nothing of what follows
        witness, cosigned = cosigned_witness(world)  # these commits are only in the -wal
        assert cosigned > before
        attacked = time.monotonic()
        world.server.db_url = f"sqlite:///{lost}"  # the server restarts on the file without -wal
        alert, seconds = alert_after(witness, "rollback", attacked)
        assert "回退" in alert["message"]
        assert seconds < DETECTION_LIMIT_SECONDS
