"""A witness is only as good as its state (the last checkpoint it cosigned): one that lost it
must not start over by trusting the agency's database, and one whose state lags behind its
stored cosignature must not store it twice (issue #12) — on SQLite and PostgreSQL, through the
installed `lawtrail witness` command: an exit status and a Chinese message, never a traceback.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lawtrail.core import notes
from lawtrail.core.model import Case
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.witness import Witness, WitnessError, read_state
from lawtrail.services import do_append_record, do_open_case
from tests.builders import PEOPLE, run_lawtrail, t

AGENCY = "tonghua-market"
CASE = "通市监罚〔2026〕7号"
WITNESS = "yifazhishi.tonghua.example"


def open_case(ledger: Ledger, agency: str) -> None:
    header = Case(
        agency=agency,
        case_number=CASE,
        acts=("penalty",),
        procedure="general",
        origin="ex_officio",
        opened_at=t("2026-09-01 09:00"),
        people=PEOPLE,
    )
    do_open_case(ledger, header, now=t("2026-09-01 09:05"))


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(Database(database_url), KeyDirectory(tmp_path / "keys"), "lawtrail.local")
    open_case(led, AGENCY)
    yield led
    led.db.close()


def grow(ledger: Ledger, n: int = 1) -> None:
    for _ in range(n):
        size = ledger.size(AGENCY)
        do_append_record(
            ledger,
            AGENCY,
            CASE,
            {
                "id": f"r{size}",
                "kind": "site_inspection",
                "at": "2026-09-02T09:00:00+08:00",
                "fields": {"location": "仓库", "findings": f"第{size}项"},
            },
            now=t("2026-09-02 10:00"),
        )


def mine(ledger: Ledger) -> list[tuple[int, str]]:
    return [(size, line) for size, name, line in ledger.cosignatures(AGENCY) if name == WITNESS]


def cosign_cli(url: str, tmp: Path, key: Path, state: Path) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": url, "LAWTRAIL_KEYS_DIR": str(tmp / "keys")}
    vkey = str(tmp / "keys" / f"{AGENCY}.vkey")  # pinned: never the database's copy
    done = run_lawtrail(
        env,
        *("witness", "cosign", "--agency", AGENCY, "--key", str(key), "--state", str(state)),
        *("--log-key", vkey),
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_a_witness_with_a_fresh_state_refuses_a_log_it_already_cosigned(
    ledger: Ledger, database_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "witness.key"
    made = run_lawtrail({}, "witness", "keygen", "--name", WITNESS, "--out", str(key))
    assert made.returncode == 0, made.stderr
    first = cosign_cli(database_url, tmp_path, key, tmp_path / "state")
    assert first.returncode == 0, first.stderr
    size = ledger.size(AGENCY)
    assert [s for s, _ in mine(ledger)] == [size]

    # The same witness name, its state directory lost (or a wrong one given) — before the
    # log grows (the IntegrityViolation of issue #12) and after (trust on first use again).
    for _ in range(2):
        lost = cosign_cli(database_url, tmp_path, key, tmp_path / "new-state")
        assert lost.returncode == 2
        assert lost.stderr.startswith("lawtrail witness: 错误：")
        assert (
            f"见证方 {WITNESS} 已联署过日志 lawtrail.local/{AGENCY} 大小为 {size} 的检查点"
            in lost.stderr
        )
        assert f"状态目录 {tmp_path / 'new-state'} 中没有该日志的状态" in lost.stderr
        assert "拒绝联署" in lost.stderr
        assert not (tmp_path / "new-state").exists()  # it trusted nothing, recorded nothing
        assert [s for s, _ in mine(ledger)] == [size]
        grow(ledger)

    # With its own state the witness goes on as before.
    again = cosign_cli(database_url, tmp_path, key, tmp_path / "state")
    assert again.returncode == 0, again.stderr
    assert [s for s, _ in mine(ledger)] == [size, ledger.size(AGENCY)]


def test_a_witness_whose_state_lags_its_stored_cosignature_stores_nothing_twice(
    ledger: Ledger, tmp_path: Path
) -> None:
    witness = Witness(notes.CosignatureSigner.generate(WITNESS), tmp_path / "state")
    witness.cosign(ledger, AGENCY)
    lagging = tmp_path / "state-copy"
    shutil.copytree(tmp_path / "state", lagging)
    grow(ledger, 3)
    witness.cosign(ledger, AGENCY)
    stored = mine(ledger)
    assert len(stored) == 2

    # The state as it was before the last cosignature (the process died between storing the
    # cosignature and writing its state, or the state came back from an older copy).
    shutil.rmtree(tmp_path / "state")
    shutil.copytree(lagging, tmp_path / "state")
    state = witness.cosign(ledger, AGENCY)
    assert state.size == ledger.size(AGENCY)
    assert mine(ledger) == stored  # the stored cosignature kept, nothing added
    on_disk = read_state(tmp_path / "state", ledger.origin(AGENCY))
    assert on_disk is not None and on_disk.size == state.size


def test_a_cosignature_stored_under_the_witness_name_by_another_key_is_refused(
    ledger: Ledger, tmp_path: Path
) -> None:
    witness = Witness(notes.CosignatureSigner.generate(WITNESS), tmp_path / "state")
    witness.cosign(ledger, AGENCY)
    grow(ledger)
    latest = ledger.latest_checkpoint(AGENCY)
    assert latest is not None
    note, _ = latest.parsed()
    forger = notes.CosignatureSigner.generate(WITNESS)
    line = notes.Signature(forger.name, forger.key_id, forger.sign(note.text_bytes)).to_line()
    ledger.add_cosignature(AGENCY, latest.size, WITNESS, line)
    with pytest.raises(WitnessError, match="不是本见证方的密钥所签"):
        witness.cosign(ledger, AGENCY)


def test_the_same_witness_name_starts_afresh_only_on_a_log_it_never_cosigned(
    ledger: Ledger, tmp_path: Path
) -> None:
    signer = notes.CosignatureSigner.generate(WITNESS)
    Witness(signer, tmp_path / "state").cosign(ledger, AGENCY)
    open_case(ledger, "benxi-hrss")  # another agency's log in the same database
    state = Witness(signer, tmp_path / "state").cosign(ledger, "benxi-hrss")
    assert state.size == 1
    with pytest.raises(WitnessError, match="已联署过"):
        Witness(signer, tmp_path / "another-state").cosign(ledger, AGENCY)
