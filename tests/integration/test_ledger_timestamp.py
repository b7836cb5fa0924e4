"""RFC 3161 time-stamps on checkpoints, end to end: the ledger CLI asks the local openssl TSA,
`lawtrail verify` checks the token offline, and a damaged token is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from tests.builders import run_lawtrail
from tests.dbfixtures import RawSQL

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "benxi-hrss" / "compliant-wage-arrears.json"


def test_a_checkpoint_time_stamped_by_a_tsa_verifies_and_a_damaged_token_is_caught(
    database_url: str,
    tmp_path: Path,
    tsa_authority,  # type: ignore[no-untyped-def]
) -> None:
    roots = tmp_path / "tsa-roots.pem"
    roots.write_bytes(tsa_authority.ca_cert_pem)
    env = {
        "DATABASE_URL": database_url,
        "LAWTRAIL_KEYS_DIR": str(tmp_path / "keys"),
        "LAWTRAIL_MEDIA_STORE": f"file://{tmp_path / 'media'}",
        "LAWTRAIL_TSA_URL": tsa_authority.url,
        "LAWTRAIL_TSA_ROOTS": str(roots),
    }
    assert run_lawtrail(env, "ledger", "import", str(EXAMPLE)).returncode == 0
    stamped = run_lawtrail(env, "ledger", "timestamp", "--agency", "benxi-hrss")
    assert stamped.returncode == 0, stamped.stderr
    assert "已加盖时间戳" in stamped.stdout

    ok = run_lawtrail(env, "verify", "--format", "json", "--allow-unpinned", "--allow-unwitnessed")
    assert ok.returncode == 0, ok.stdout
    assert json.loads(ok.stdout)["logs"][0]["timestamps"] == 1

    ledger = Ledger(Database(database_url), KeyDirectory(tmp_path / "keys"), "lawtrail.local")
    [(size, token, _, _)] = ledger.timestamps("benxi-hrss")
    ledger.db.close()
    damaged = bytearray(token)
    damaged[len(damaged) // 2] ^= 0xFF
    attacker = RawSQL(database_url)
    attacker("UPDATE ledger_timestamp SET token = ? WHERE size = ?", (bytes(damaged), size))
    attacker.close()
    bad = run_lawtrail(env, "verify", "--format", "json")
    assert bad.returncode == 1
    [problem] = json.loads(bad.stdout)["problems"]
    assert (problem["code"], problem["checkpoint_size"]) == ("timestamp_invalid", size)


def test_time_stamping_without_a_configured_tsa_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LAWTRAIL_KEYS_DIR": str(tmp_path / "keys"),
    }
    monkeypatch.delenv("LAWTRAIL_TSA_URL", raising=False)
    assert run_lawtrail(env, "ledger", "import", str(EXAMPLE)).returncode == 0
    result = run_lawtrail(env, "ledger", "timestamp", "--agency", "benxi-hrss")
    assert result.returncode == 2
    assert "LAWTRAIL_TSA_URL" in result.stderr
