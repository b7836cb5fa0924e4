"""存证回执 (issue #12, item 3): a receipt checks offline with the agency's key; any changed
byte of its leaf hash or checkpoint fails; checked against a log that was rolled back (an
earlier copy of the SQLite file restored) or rebuilt with other content under the same key, it
is reported as 账本已回退或被改写 — on SQLite and PostgreSQL, through `lawtrail receipt check`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lawtrail.cli import main
from lawtrail.core import notes
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.receipts import build_receipt
from lawtrail.ledger.witness import Witness
from lawtrail.services import do_append_record
from tests.builders import t
from tests.dbfixtures import fresh_postgres_schema
from tests.integration.test_witness_state import AGENCY, CASE, WITNESS, grow, open_case

ORIGIN_BASE = "lawtrail.local"


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LAWTRAIL_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("LAWTRAIL_LOG_ORIGIN_BASE", ORIGIN_BASE)
    return tmp_path


def make_ledger(url: str, tmp: Path) -> Ledger:
    return Ledger(Database(url), KeyDirectory(tmp / "keys"), ORIGIN_BASE)


@pytest.fixture
def ledger(database_url: str, env: Path) -> Iterator[Ledger]:
    led = make_ledger(database_url, env)
    open_case(led, AGENCY)
    grow(led, 3)
    yield led
    led.db.close()


def receipt_of(ledger: Ledger, record_id: str) -> dict[str, Any]:
    [entry] = ledger.entries_named(AGENCY, "record", record_id)
    return build_receipt(ledger, entry)


def write(tmp: Path, receipt: dict[str, Any], name: str = "receipt.json") -> Path:
    path = tmp / name
    path.write_text(json.dumps(receipt, ensure_ascii=False, indent=2), "utf-8")
    return path


def check(
    capsys: pytest.CaptureFixture[str], *args: str | Path, json_out: bool = False
) -> tuple[int, Any]:
    argv = ["receipt", "check", *map(str, args), *(["--json"] if json_out else [])]
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out) if json_out else captured.out


def vkey(tmp: Path) -> Path:
    return tmp / "keys" / f"{AGENCY}.vkey"


def test_a_receipt_names_its_entry_the_checkpoint_of_its_append_and_verifies_offline(
    ledger: Ledger, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt = receipt_of(ledger, "r2")
    [entry] = ledger.entries_named(AGENCY, "record", "r2")
    assert receipt["format"] == "lawtrail-receipt/1"
    assert receipt["origin"] == f"{ORIGIN_BASE}/{AGENCY}"
    assert (receipt["seq"], receipt["leaf_hash"], receipt["ref"]) == (
        entry.seq,
        entry.leaf_hash.hex(),
        "r2",
    )
    assert receipt["recorded_at"] == entry.recorded_at
    # the checkpoint of the append, not the latest
    assert receipt["checkpoint"] == ledger.checkpoint(AGENCY, entry.seq + 1).note  # type: ignore[union-attr]
    assert ledger.latest_checkpoint(AGENCY).size > entry.seq + 1  # type: ignore[union-attr]
    code, out = check(capsys, write(env, receipt), "--key", vkey(env))
    assert code == 0, out
    assert "结果：完好" in out and "r2" in out
    code, data = check(capsys, write(env, receipt), "--key", vkey(env), json_out=True)
    assert code == 0 and data["intact"] is True and data["seq"] == entry.seq


def _flip_hex(value: str, at: int = 5) -> str:
    return value[:at] + ("0" if value[at] != "0" else "1") + value[at + 1 :]


def test_a_changed_byte_of_the_leaf_hash_or_the_checkpoint_fails(
    ledger: Ledger, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt = receipt_of(ledger, "r1")
    bad_leaf = {**receipt, "leaf_hash": _flip_hex(receipt["leaf_hash"])}
    code, data = check(capsys, write(env, bad_leaf), "--key", vkey(env), json_out=True)
    assert code == 1 and [p["code"] for p in data["problems"]] == ["proof_failed"]

    lines = receipt["checkpoint"].split("\n")
    root = bytearray(base64.b64decode(lines[2]))
    root[0] ^= 1
    lines[2] = base64.b64encode(bytes(root)).decode()
    bad_root = {**receipt, "checkpoint": "\n".join(lines)}
    code, data = check(capsys, write(env, bad_root), "--key", vkey(env), json_out=True)
    assert code == 1
    assert "signature_invalid" in [p["code"] for p in data["problems"]]

    lines = receipt["checkpoint"].split("\n")
    lines[1] = str(int(lines[1]) + 1)
    code, out = check(capsys, write(env, {**receipt, "checkpoint": "\n".join(lines)}), "--key",
                      vkey(env))  # fmt: skip
    assert code == 1 and "签名无效" in out

    other = KeyDirectory(env / "other-keys").signer(AGENCY, receipt["origin"], create=True)
    (env / "other.vkey").write_text(other.verifier_key(), "utf-8")
    code, out = check(capsys, write(env, receipt), "--key", env / "other.vkey")
    assert code == 1 and "没有机关公钥" in out

    (env / "garbage.json").write_text("{not json", "utf-8")
    code, data = check(capsys, env / "garbage.json", "--key", vkey(env), json_out=True)
    assert code == 2 and data["intact"] is False
    code, _ = check(capsys, write(env, receipt))  # no key, no ledger: cannot judge
    assert code == 2


def test_witness_cosignatures_held_for_the_checkpoint_are_in_the_receipt(
    ledger: Ledger, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signer = notes.CosignatureSigner.generate(WITNESS)
    (env / "witness.vkey").write_text(signer.verifier_key(), "utf-8")
    Witness(signer, env / "state").cosign(ledger, AGENCY)  # the latest: r3's append
    cosigned = receipt_of(ledger, "r3")
    assert [c["witness"] for c in cosigned["cosignatures"]] == [WITNESS]
    code, data = check(capsys, write(env, cosigned), "--key", vkey(env), "--witness-key",
                       env / "witness.vkey", json_out=True)  # fmt: skip
    assert code == 0 and data["cosigned_by"] == [WITNESS]
    uncosigned = receipt_of(ledger, "r1")
    assert uncosigned["cosignatures"] == []
    code, out = check(capsys, write(env, uncosigned), "--key", vkey(env), "--witness-key",
                      env / "witness.vkey")  # fmt: skip
    assert code == 1 and "缺少见证联署" in out
    line = cosigned["cosignatures"][0]["signature"]
    forged = {
        **cosigned,
        "cosignatures": [{"witness": WITNESS, "signature": line[:-8] + "AAAAAAA="}],
    }
    code, _ = check(capsys, write(env, forged), "--key", vkey(env), "--witness-key",
                    env / "witness.vkey")  # fmt: skip
    assert code == 1


def test_against_the_ledger_a_receipt_of_a_log_that_grew_on_is_intact(
    ledger: Ledger, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(env, receipt_of(ledger, "r1"))
    grow(ledger, 2)
    code, out = check(capsys, path, "--against-ledger")
    assert code == 0, out
    assert "与当前账本的一致性" in out and "数据目录中的机关公钥" in out
    code, data = check(capsys, path, "--against-ledger", "--key", vkey(env), json_out=True)
    assert code == 0 and data["ledger_size"] == ledger.latest_checkpoint(AGENCY).size  # type: ignore[union-attr]


@contextlib.contextmanager
def other_database(database_url: str, tmp: Path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp / 'rebuilt.sqlite3'}"
    else:
        with fresh_postgres_schema() as url:
            yield url


def test_a_log_rebuilt_with_other_content_under_the_same_key_is_reported(
    ledger: Ledger,
    database_url: str,
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    receipt = receipt_of(ledger, "r2")
    path = write(env, receipt)
    with other_database(database_url, env) as url:
        rebuilt = make_ledger(url, env)  # the same key directory: the insider re-signs
        try:
            open_case(rebuilt, AGENCY)
            for n in range(5):  # bigger than the receipt's checkpoint, other entries
                do_append_record(
                    rebuilt,
                    AGENCY,
                    CASE,
                    {
                        "id": f"r{n + 1}",
                        "kind": "site_inspection",
                        "at": "2026-09-02T09:00:00+08:00",
                        "fields": {"location": "另一仓库", "findings": f"改写的第{n}项"},
                    },
                    now=t("2026-09-02 10:00"),
                )
        finally:
            rebuilt.db.close()
        monkeypatch.setenv("DATABASE_URL", url)
        code, out = check(capsys, path, "--against-ledger", "--key", vkey(env))
        assert code == 1, out
        assert "账本已回退或被改写" in out
        size = receipt["seq"] + 1
        assert f"回执的检查点（{receipt['origin']}，大小 {size}" in out
        code, data = check(capsys, path, "--against-ledger", json_out=True)
        assert code == 1 and [p["code"] for p in data["problems"]] == ["rolled_back"]


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def test_a_restored_earlier_copy_of_the_database_is_reported_as_rolled_back(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Restoring a file copy is the SQLite deployment's rollback (and losing its -wal)."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("LAWTRAIL_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("LAWTRAIL_LOG_ORIGIN_BASE", ORIGIN_BASE)
    env = tmp_path
    ledger = make_ledger(sqlite_url, env)
    open_case(ledger, AGENCY)
    grow(ledger, 3)
    db_file = _sqlite_path(sqlite_url)
    snapshot = env / "snapshot.sqlite3"
    with (
        contextlib.closing(sqlite3.connect(db_file)) as src,
        contextlib.closing(sqlite3.connect(snapshot)) as dst,
    ):
        src.backup(dst)
    grow(ledger, 2)
    receipt = receipt_of(ledger, "r5")
    path = write(env, receipt)
    assert check(capsys, path, "--against-ledger", "--key", vkey(env))[0] == 0
    ledger.db.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(snapshot, db_file)
    code, out = check(capsys, path, "--against-ledger", "--key", vkey(env))
    assert code == 1, out
    assert "账本已回退或被改写" in out and f"大小 {receipt['seq'] + 1}" in out
    assert "少于回执" in out
    # offline, the receipt itself is still good: it is what proves the rollback
    assert check(capsys, path, "--key", vkey(env))[0] == 0


BLOCKER = r"""
import importlib.abc, sys
ALLOWED = {"lawtrail", "cryptography", "_cffi_backend", "cffi"}
PURE = {"lawtrail", "lawtrail.receipt_check", "lawtrail.core", "lawtrail.core.merkle",
        "lawtrail.core.notes"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in ALLOWED:
            if top == "lawtrail" and name not in PURE:
                raise ImportError(f"receipt checker imported {name}")
            return None
        raise ImportError(f"receipt checker imported {name}")
sys.meta_path.insert(0, Block())
from pathlib import Path
from lawtrail import receipt_check as rc
result = rc.Result(sys.argv[1])
rc.check_receipt(rc.load_receipt(Path(sys.argv[1]).read_text("utf-8")), result,
                 key=Path(sys.argv[2]).read_text("utf-8"))
print(rc.report_text(result))
sys.exit(0 if result.intact else 1)
"""


def test_the_receipt_checker_needs_only_the_standard_library_and_cryptography(
    ledger: Ledger, env: Path
) -> None:
    import os
    import subprocess
    import sys

    path = write(env, receipt_of(ledger, "r1"))
    run = subprocess.run(
        [sys.executable, "-c", BLOCKER, str(path), str(vkey(env))],
        capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "结果：完好" in run.stdout
