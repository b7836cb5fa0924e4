"""Tampered or malformed stored data is *reported* by `lawtrail export` and `lawtrail backup` —
refused with the entry named and exit status 1 — never a traceback (issue #12), on SQLite and
on PostgreSQL.

The tampering goes through raw SQL with the append-only triggers switched off (as in
test_ledger_tamper.py), or through the ledger's own code run by an insider who holds the
agency's key but skips the clock guard that keeps the log's time monotonic.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lawtrail.core import merkle, notes
from lawtrail.core.canonical import canonical_bytes
from lawtrail.core.caseio import parse_case
from lawtrail.evidence.store import LocalMediaStore
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, LedgerIntegrityError, NewEntry
from lawtrail.ledger.witness import Witness
from lawtrail.services import do_append_record, do_import_case, do_ingest_media, do_open_case
from tests.builders import run_lawtrail, t
from tests.dbfixtures import RawSQL

ROOT = Path(__file__).resolve().parents[2]
AGENCY = "tonghua-market"
CASE = "通市监罚〔2026〕12号"
AV_CASE = "通市监罚〔2026〕99号"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64
BACK_DATED = "2026-09-01T08:00:00+08:00"  # a day before the log's last entries


@dataclass
class World:
    url: str
    tmp: Path

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.url,
            "LAWTRAIL_KEYS_DIR": str(self.tmp / "keys"),
            "LAWTRAIL_MEDIA_STORE": f"file://{self.tmp / 'media'}",
            "LAWTRAIL_LOG_ORIGIN_BASE": "lawtrail.local",
            "LAWTRAIL_DATA_DIR": str(self.tmp / "data"),
        }

    def lawtrail(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = run_lawtrail(self.env(), *args)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def export(self, case: str, name: str = "bag") -> subprocess.CompletedProcess[str]:
        return self.lawtrail("export", "--agency", AGENCY, "--case", case, "--to", self.bag(name))

    def bag(self, name: str = "bag") -> str:
        return str(self.tmp / name)

    def backup(self) -> subprocess.CompletedProcess[str]:
        return self.lawtrail("backup", "--to", str(self.tmp / "offsite"))

    def verify(self) -> subprocess.CompletedProcess[str]:
        return self.lawtrail("verify", "--witness-state", str(self.tmp / "witness"))

    def ledger(self) -> Ledger:
        # install_schema=False: re-installing the triggers would undo the attacker's work.
        keys = KeyDirectory(self.tmp / "keys")
        return Ledger(Database(self.url), keys, "lawtrail.local", install_schema=False)

    def last(self) -> int:
        ledger = self.ledger()
        try:
            return ledger.size(AGENCY) - 1
        finally:
            ledger.db.close()

    def body(self, seq: int) -> dict:  # type: ignore[type-arg]
        ledger = self.ledger()
        try:
            entry = ledger.entry(AGENCY, seq)
            assert entry is not None
            return entry.data()
        finally:
            ledger.db.close()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> World:
    """Two cases (one with a video), cosigned by the supervisor's witness."""
    keys = KeyDirectory(tmp_path / "keys")
    ledger = Ledger(Database(database_url), keys, "lawtrail.local")
    store = LocalMediaStore(tmp_path / "media")
    data = json.loads(
        (ROOT / "examples" / AGENCY / "compliant-ex-officio-penalty.json").read_text("utf-8")
    )
    for record in data["records"]:
        record.pop("media", None)  # illustrative digests: no such files
    case = parse_case(data)
    do_import_case(ledger, case, now=t("2026-09-02 07:00"))
    header = replace(case, case_number=AV_CASE, records=())
    do_open_case(ledger, header, now=t("2026-09-02 08:00"))
    video = do_ingest_media(
        ledger, store, AGENCY, AV_CASE, [VIDEO], type="video",
        captured_at=t("2026-09-02 09:00"), uploader="刘建国", now=t("2026-09-02 11:00"),
    )  # fmt: skip
    for i in range(3):
        do_append_record(
            ledger,
            AGENCY,
            AV_CASE,
            {
                "id": f"av{i}",
                "kind": "site_inspection",
                "at": f"2026-09-02T09:0{i}:00+08:00",
                "fields": {"location": "仓库", "findings": f"第{i}项检查发现"},
                "media": [{"sha256": video.media.sha256}] if i == 0 else [],
            },
            now=t(f"2026-09-02 12:0{i}"),
        )
    signer = notes.CosignatureSigner.generate("yifazhishi.tonghua.example")
    keys.add_witness(signer.verifier().verifier_key())
    Witness(signer, tmp_path / "witness").cosign(ledger, AGENCY)
    ledger.db.close()
    return World(database_url, tmp_path)


@pytest.fixture
def raw(world: World) -> Iterator[RawSQL]:
    attacker = RawSQL(world.url)
    yield attacker
    attacker.close()


def insert_back_dated(world: World, raw: RawSQL) -> int:
    """A record inserted behind the ledger, recorded a day before its predecessor."""
    seq = world.last() + 1
    data = world.body(seq - 1)
    data["index"] = seq
    data["recorded_at"] = BACK_DATED
    data["record"] = {**data["record"], "id": "forged", "recorded_at": BACK_DATED}
    body = canonical_bytes(data)
    raw(
        "INSERT INTO ledger_entry VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (AGENCY, seq, BACK_DATED, AV_CASE, "record", "forged", body, merkle.leaf_hash(body)),
    )
    return seq


# ---------------------------------------------------------------------------- the back-dated insert


def test_export_of_a_log_with_a_back_dated_raw_insert_is_refused_naming_the_entry(
    world: World, raw: RawSQL
) -> None:
    seq = insert_back_dated(world, raw)

    for case, name in ((AV_CASE, "bag"), (CASE, "other-case")):
        done = world.export(case, name)
        assert done.returncode == 1, done.stderr
        message = done.stderr
        assert message.startswith("lawtrail export: 拒绝：")
        assert f"第 {seq} 条（案号 {AV_CASE}，记录 forged）" in message
        assert "不在任何已签名的检查点中" in message
        assert f"入账时间 {BACK_DATED} 早于前一条记录" in message and "疑似倒签插入" in message
        assert "拒绝导出" in message and "lawtrail verify" in message
        assert not Path(world.bag(name)).exists()  # no package, not even half of one

    # The same entry is what `lawtrail verify` and `lawtrail backup` name.
    verified = world.verify()
    assert verified.returncode == 1
    assert "time_regression" in verified.stdout and "forged" in verified.stdout
    backup = world.backup()
    assert backup.returncode == 1
    assert f"源日志第 {seq} 条起的记录不在任何已签名的检查点中" in backup.stderr
    assert f"第 {seq} 条记录（案号 {AV_CASE}，record forged）" in backup.stderr


class BackDatingInsider(Ledger):
    """Someone with the database *and* the agency's signing key: appends through the ledger's
    own code — tree, subtrees and a properly signed checkpoint — without the clock guards (the
    append's, and the integrator's refusal of an entry earlier than its predecessor)."""

    @staticmethod
    def _parse_head(row: Sequence[Any] | None) -> tuple[int, datetime | None]:
        size, _ = Ledger._parse_head(row)
        return size, None

    def _time_at(self, agency: str, seq: int) -> datetime | None:
        return None


def test_export_refuses_a_back_dated_entry_even_when_it_was_signed_with_the_agency_key(
    world: World,
) -> None:
    seq = world.last() + 1
    record = {**world.body(seq - 1)["record"], "id": "forged", "recorded_at": BACK_DATED}
    insider = BackDatingInsider(
        Database(world.url), KeyDirectory(world.tmp / "keys"), "lawtrail.local"
    )
    insider.append(
        AGENCY, [NewEntry(AV_CASE, "record", "forged", record)], recorded_at=t("2026-09-01 08:00")
    )
    insider.db.close()

    done = world.export(AV_CASE)
    assert done.returncode == 1
    assert f"第 {seq} 条（案号 {AV_CASE}，记录 forged）的入账时间 {BACK_DATED}" in done.stderr
    assert f"早于前一条记录（第 {seq - 1} 条" in done.stderr and "疑似倒签插入" in done.stderr
    assert not Path(world.bag()).exists()
    # The other case's entries are all in order: its package is made (and its export logged).
    assert world.export(CASE, "other-case").returncode == 0


# ---------------------------------------------------------------------------- malformed values


def test_an_unreadable_recorded_time_is_named_by_export_and_the_ledger_refuses_to_sign(
    world: World, raw: RawSQL
) -> None:
    seq = world.last()
    raw(
        "UPDATE ledger_entry SET recorded_at = 'garbage' WHERE agency = ? AND seq = ?",
        (AGENCY, seq),
    )
    done = world.export(AV_CASE)
    assert done.returncode == 1
    assert f"第 {seq} 条（案号 {AV_CASE}，记录 av2）的入账时间 'garbage' 无法解析" in done.stderr
    # The other case's package would be fine, but its export cannot be logged: no package.
    other = world.export(CASE, "other-case")
    assert other.returncode == 1
    assert f"第 {seq} 条）的入账时间 'garbage' 无法解析" in other.stderr
    assert "拒绝继续签名" in other.stderr
    assert not Path(world.bag("other-case")).exists()
    ledger = world.ledger()
    with pytest.raises(LedgerIntegrityError, match="无法解析"):
        ledger.append(AGENCY, [NewEntry(CASE, "access", CASE, {"user": "x"})])
    ledger.db.close()
    assert world.verify().returncode == 1


def test_an_unreadable_cosignature_line_marks_the_package_and_verify_names_it(
    world: World, raw: RawSQL
) -> None:
    raw("UPDATE ledger_cosignature SET line = 'garbage' WHERE agency = ?", (AGENCY,))
    done = world.export(AV_CASE)
    assert done.returncode == 0, done.stderr
    assert "【真实性】不通过" in done.stdout and "联署无效" in done.stdout
    assert world.backup().returncode == 0
    verified = world.verify()
    assert verified.returncode == 1 and "cosignature_invalid" in verified.stdout


def test_a_time_stamp_token_stored_as_text_is_backed_up_not_crashed_on(
    world: World, raw: RawSQL
) -> None:
    size = world.last() + 1
    raw(
        "INSERT INTO ledger_timestamp VALUES (?, ?, ?, ?, ?)",
        (AGENCY, size, "not a token", "2026-09-02T12:10:00+08:00", "tsa.example"),
    )
    assert world.backup().returncode == 0
    assert world.export(AV_CASE).returncode == 0
