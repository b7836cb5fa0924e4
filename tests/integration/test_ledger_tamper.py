"""The tamper suite: change the stored evidence behind the application's back — on SQLite and on
PostgreSQL — and prove that `lawtrail verify` catches each change and names what changed.

Each test builds the same ledger (two imported cases, a video ingested and cited by a record,
the supervisor's witness cosigning), tampers with it through raw SQL with the append-only
triggers switched off (or through the file system), and runs the verifier — the library
function and, for the CLI's contract, the installed `lawtrail verify` command.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from lawtrail.core import merkle, notes
from lawtrail.core.canonical import canonical_bytes
from lawtrail.core.caseio import parse_case
from lawtrail.evidence.store import LocalMediaStore
from lawtrail.ledger.db import Database, IntegrityViolation
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, LedgerIntegrityError
from lawtrail.ledger.verify import Report, verify
from lawtrail.ledger.witness import Witness
from lawtrail.services import do_append_record, do_import_case, do_ingest_media, do_open_case
from tests.builders import run_lawtrail, t
from tests.dbfixtures import RawSQL

ROOT = Path(__file__).resolve().parents[2]
AGENCY = "tonghua-market"
CASE = "通市监罚〔2026〕12号"
AV_CASE = "通市监罚〔2026〕99号"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4096  # ~1 MB, not a real MP4


@dataclass
class World:
    url: str
    tmp: Path
    ledger: Ledger
    keys: KeyDirectory
    store: LocalMediaStore
    witness_dir: Path
    witness: Witness
    video_sha: str
    pinned: Path  # the supervisor's copies of the agency key and the witness key

    def verify(self, *, media: bool = False, case: str | None = None) -> Report:
        fresh = Ledger(Database(self.url), self.keys, "lawtrail.local")
        try:
            return verify(
                fresh,
                self.keys,
                agency=AGENCY,
                case_number=case,
                media_store=self.store if media else None,
                witness_state=self.witness_dir,
                pinned_keys=[self.agency_key()],
                witness_keys=[self.witness.signer.verifier()],
            )
        finally:
            fresh.db.close()

    def entry_seq(self, ref: str) -> int:
        row = self.ledger.db.one(
            "SELECT seq FROM ledger_entry WHERE agency = ? AND ref = ?", (AGENCY, ref)
        )
        assert row is not None, ref
        return int(row[0])

    def size(self) -> int:
        return self.ledger.size(AGENCY)

    def agency_key(self) -> notes.Ed25519Verifier:
        text = (self.pinned / f"{AGENCY}.vkey").read_text("utf-8").strip()
        return notes.Ed25519Verifier.from_verifier_key_string(text)


def _example(name: str) -> dict:  # type: ignore[type-arg]
    """An example case without its media: their digests are illustrative, no files exist."""
    data = json.loads((ROOT / "examples" / AGENCY / name).read_text("utf-8"))
    for record in data["records"]:
        record.pop("media", None)
    return data


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    built = build_world(database_url, tmp_path)
    yield built
    built.ledger.db.close()


def build_world(database_url: str, tmp_path: Path) -> World:
    keys = KeyDirectory(tmp_path / "keys")
    ledger = Ledger(Database(database_url), keys, "lawtrail.local")
    store = LocalMediaStore(tmp_path / "media")
    do_import_case(
        ledger, parse_case(_example("compliant-ex-officio-penalty.json")), now=t("2026-09-02 07:00")
    )
    header = parse_case(_example("violations-typical.json"))
    header = type(header)(**{**vars(header), "case_number": AV_CASE, "records": ()})
    do_open_case(ledger, header, now=t("2026-09-02 08:00"))
    ingested = do_ingest_media(
        ledger,
        store,
        AGENCY,
        AV_CASE,
        [VIDEO],
        type="video",
        captured_at=t("2026-09-02 09:00"),
        completed_at=t("2026-09-02 09:20"),
        uploader="刘建国",
        labels={"case_number": AV_CASE, "party": "某商贸公司", "handler": "刘建国"},
        now=t("2026-09-02 11:00"),
    )
    for i in range(6):
        do_append_record(
            ledger,
            AGENCY,
            AV_CASE,
            {
                "id": f"av{i}",
                "kind": "site_inspection",
                "at": f"2026-09-02T09:0{i}:00+08:00",
                "fields": {"location": "仓库", "findings": f"第{i}项检查发现"},
                "media": [{"sha256": ingested.media.sha256}] if i == 0 else [],
            },
            now=t("2026-09-02 12:00") + timedelta(minutes=i),
        )
    witness_dir = tmp_path / "witness"
    signer = notes.CosignatureSigner.generate("yifazhishi.tonghua.example")
    keys.add_witness(signer.verifier().verifier_key())
    witness = Witness(signer, witness_dir)
    witness.cosign(ledger, AGENCY)
    # What the supervisor holds: the agency's key as published when the log was set up, and its
    # own witness key — pinned by every verification below.
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    shutil.copy(keys.root / f"{AGENCY}.vkey", pinned / f"{AGENCY}.vkey")
    (pinned / "witness.vkey").write_text(signer.verifier().verifier_key() + "\n", "utf-8")
    return World(
        database_url,
        tmp_path,
        ledger,
        keys,
        store,
        witness_dir,
        witness,
        ingested.media.sha256,
        pinned,
    )


@pytest.fixture
def raw(world: World) -> Iterator[RawSQL]:
    attacker = RawSQL(world.url)
    yield attacker
    attacker.close()


def roll_back(raw: RawSQL, size: int) -> None:
    """Cut the log back to `size` entries, as a database restored from a backup would be."""
    raw("DELETE FROM ledger_entry WHERE agency = ? AND seq >= ?", (AGENCY, size))
    for table in ("ledger_node", "ledger_checkpoint", "ledger_cosignature"):
        raw(f"DELETE FROM {table} WHERE agency = ? AND size > ?", (AGENCY, size))


def codes(report: Report) -> set[str]:
    return {p.code for p in report.problems}


def problem(report: Report, code: str):  # type: ignore[no-untyped-def]
    found = [p for p in report.problems if p.code == code]
    assert found, f"expected {code}, got {[(p.code, p.message) for p in report.problems]}"
    return found[0]


def body_of(world: World, seq: int) -> dict:  # type: ignore[type-arg]
    entry = world.ledger.entry(AGENCY, seq)
    assert entry is not None
    return entry.data()


# ---------------------------------------------------------------------------- baseline


def test_an_untouched_ledger_verifies_intact_with_media_and_witness(world: World) -> None:
    report = world.verify(media=True)
    assert report.problems == []
    assert report.status == "intact" and report.verdict.reasons == []
    summary = report.logs[0]
    assert summary.entries == world.size() == summary.latest_checkpoint
    assert summary.cosignatures == 1
    assert summary.media_checked == 1


def test_the_database_itself_refuses_update_and_delete_on_every_ledger_table(
    world: World,
) -> None:
    db = world.ledger.db
    for sql in (
        "UPDATE ledger_entry SET case_number = 'x'",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_node SET hash = hash",
        "DELETE FROM ledger_checkpoint",
        "UPDATE ledger_cosignature SET witness = 'x'",
        "DELETE FROM ledger_log",
    ):
        with pytest.raises(IntegrityViolation, match="append-only"), db.write():
            db.execute(sql)
    with pytest.raises(IntegrityViolation, match="next one"), db.write():
        db.execute(
            "INSERT INTO ledger_entry VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                AGENCY,
                world.size() + 5,
                "2026-09-02T12:00:00+08:00",
                CASE,
                "record",
                "x",
                b"{}",
                b"0",
            ),
        )
    assert world.verify().problems == []


# ---------------------------------------------------------------------------- tampering


def test_a_changed_field_is_caught_and_the_record_named(world: World, raw: RawSQL) -> None:
    seq = world.entry_seq("av3")
    data = body_of(world, seq)
    data["record"]["fields"]["findings"] = "未发现问题"
    raw(
        "UPDATE ledger_entry SET body = ? WHERE agency = ? AND seq = ?",
        (canonical_bytes(data), AGENCY, seq),
    )
    report = world.verify()
    altered = problem(report, "entry_altered")
    assert (altered.seq, altered.case_number, altered.record) == (seq, AV_CASE, "av3")
    assert "av3" in altered.message and "被改动" in altered.message
    assert problem(report, "checkpoint_mismatch").seq == seq
    case_report = world.verify(case=AV_CASE)
    assert {p.record for p in case_report.problems} == {"av3"}
    assert codes(case_report) == {"entry_altered", "inclusion_failed"}


def test_a_changed_field_with_a_recomputed_leaf_hash_is_caught_by_the_signed_tree(
    world: World, raw: RawSQL
) -> None:
    seq = world.entry_seq("av2")
    data = body_of(world, seq)
    data["record"]["fields"]["location"] = "办公室"
    body = canonical_bytes(data)
    raw(
        "UPDATE ledger_entry SET body = ?, leaf_hash = ? WHERE agency = ? AND seq = ?",
        (body, merkle.leaf_hash(body), AGENCY, seq),
    )
    report = world.verify()
    assert "entry_altered" not in codes(report)
    mismatch = problem(report, "checkpoint_mismatch")
    assert (mismatch.seq, mismatch.record) == (seq, "av2")
    assert "node_altered" in codes(report)  # the stored subtrees no longer fit the leaves
    failed = [p.record for p in world.verify(case=AV_CASE).problems]
    assert "av2" in failed


def test_a_deleted_record_is_caught_and_its_position_named(world: World, raw: RawSQL) -> None:
    seq = world.entry_seq("av1")
    raw("DELETE FROM ledger_entry WHERE agency = ? AND seq = ?", (AGENCY, seq))
    report = world.verify()
    missing = problem(report, "entry_missing")
    assert missing.seq == seq
    assert f"第 {seq}–{seq} 条记录缺失" in missing.message
    assert problem(report, "checkpoint_mismatch").seq == seq


def test_two_swapped_records_are_caught_and_both_named(world: World, raw: RawSQL) -> None:
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
        body, leaf, ref, recorded = rows[other]  # type: ignore[misc]
        raw(
            "UPDATE ledger_entry SET body = ?, leaf_hash = ?, ref = ?, recorded_at = ? "
            "WHERE agency = ? AND seq = ?",
            (body, leaf, ref, recorded, AGENCY, seq),
        )
    report = world.verify()
    moved = [p for p in report.problems if p.code == "entry_moved"]
    named = " ".join(p.message for p in moved)
    assert "av1" in named and "av4" in named
    assert {p.seq for p in moved} == {a, b}
    assert problem(report, "checkpoint_mismatch").seq == a
    assert "time_regression" in codes(report)  # av4's later time now precedes av1's


def test_a_back_dated_record_inserted_behind_the_ledger_is_caught(
    world: World, raw: RawSQL
) -> None:
    size = world.size()
    data = body_of(world, size - 1)
    data["index"] = size
    data["recorded_at"] = "2026-09-01T08:00:00+08:00"  # a day before the case's last entries
    data["record"] = {
        **data["record"],
        "id": "forged",
        "at": "2026-09-01T07:30:00+08:00",
        "recorded_at": data["recorded_at"],
    }
    body = canonical_bytes(data)
    raw(
        "INSERT INTO ledger_entry VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            AGENCY,
            size,
            data["recorded_at"],
            AV_CASE,
            "record",
            "forged",
            body,
            merkle.leaf_hash(body),
        ),
    )
    report = world.verify()
    regression = problem(report, "time_regression")
    assert (regression.seq, regression.record) == (size, "forged")
    # Beyond the latest checkpoint it is named as not yet signed (entries wait there for the
    # integrator), while its back-dating is the problem.
    unsigned = [r for r in report.verdict.reasons if r.code == "unsigned"]
    assert [(r.first, r.last) for r in unsigned] == [(size, size)]
    assert f"第 {size} 条尚未签入检查点" in unsigned[0].message
    # Whatever the integrator does with it on the next append (sign over it, or refuse),
    # verification still names it.
    with contextlib.suppress(LedgerIntegrityError):
        do_append_record(
            world.ledger,
            AGENCY,
            AV_CASE,
            {
                "id": "next",
                "kind": "closure",
                "at": "2026-09-03T09:00:00+08:00",
                "fields": {"reason": "结案"},
            },
        )
    regression = problem(world.verify(), "time_regression")
    assert (regression.seq, regression.record) == (size, "forged")


def test_a_flipped_byte_in_a_stored_video_is_caught_and_the_file_named(world: World) -> None:
    path = Path(world.store.path(world.video_sha))
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = world.verify(media=True)
    found = problem(report, "media_digest_mismatch")
    assert found.media == world.video_sha
    assert world.video_sha in found.message
    assert world.verify().problems == []  # the log itself is intact


def test_a_deleted_stored_file_is_caught_and_the_record_citing_it_named(world: World) -> None:
    path = Path(world.store.path(world.video_sha))
    path.chmod(0o644)
    path.unlink()
    found = problem(world.verify(media=True), "media_missing")
    assert found.media == world.video_sha
    assert "av0" in found.message  # the record that cites the video


def test_a_replaced_latest_checkpoint_is_caught(world: World, raw: RawSQL) -> None:
    latest = world.ledger.latest_checkpoint(AGENCY)
    assert latest is not None
    forger = notes.Ed25519Signer.generate(world.ledger.origin(AGENCY))
    fake_root = bytes(32)
    text = notes.Checkpoint(world.ledger.origin(AGENCY), latest.size, fake_root).to_text()
    raw(
        "UPDATE ledger_checkpoint SET note = ?, root = ? WHERE agency = ? AND size = ?",
        (notes.format_note(notes.sign_note(text, forger)), fake_root, AGENCY, latest.size),
    )
    report = world.verify()
    found = problem(report, "checkpoint_signature_invalid")
    assert found.checkpoint_size == latest.size
    assert problem(report, "cosignature_invalid").checkpoint_size == latest.size


def test_a_checkpoint_re_signed_with_the_agency_key_is_caught_by_the_witness(
    world: World, raw: RawSQL
) -> None:
    latest = world.ledger.latest_checkpoint(AGENCY)
    assert latest is not None
    signer = world.keys.signer(AGENCY, world.ledger.origin(AGENCY))
    text = notes.Checkpoint(
        world.ledger.origin(AGENCY), latest.size, latest.root, ("re-signed",)
    ).to_text()
    raw(
        "UPDATE ledger_checkpoint SET note = ? WHERE agency = ? AND size = ?",
        (notes.format_note(notes.sign_note(text, signer)), AGENCY, latest.size),
    )
    report = world.verify()
    assert codes(report) == {"cosignature_invalid"}


def test_a_log_rolled_back_to_an_earlier_state_is_caught_through_the_witness(
    world: World, raw: RawSQL
) -> None:
    cut = world.entry_seq("av3")
    cosigned = world.size()
    roll_back(raw, cut)
    # The rolled-back log is internally consistent: only the witness can tell.
    unwitnessed = Ledger(Database(world.url), world.keys, "lawtrail.local")
    assert verify(unwitnessed, world.keys, agency=AGENCY).problems == []
    unwitnessed.db.close()
    report = world.verify()
    found = problem(report, "log_rolled_back")
    assert found.checkpoint_size == cosigned
    assert str(cosigned) in found.message and str(cut) in found.message


def test_a_log_rolled_back_and_rewritten_is_caught_as_a_fork(world: World, raw: RawSQL) -> None:
    cut = world.entry_seq("av3")
    roll_back(raw, cut)
    fresh = Ledger(Database(world.url), world.keys, "lawtrail.local")
    for i in range(5):  # a different history, as long as the one the witness saw
        do_append_record(
            fresh,
            AGENCY,
            AV_CASE,
            {
                "id": f"alt{i}",
                "kind": "closure",
                "at": "2026-09-03T09:00:00+08:00",
                "fields": {"reason": "改写"},
            },
            now=t("2026-09-03 10:00"),
        )
    fresh.db.close()
    report = world.verify()
    assert problem(report, "log_forked").checkpoint_size == cut + 3
    with pytest.raises(Exception, match="不一致"):
        world.witness.cosign(world.ledger, AGENCY)


def test_sqlite_file_restored_from_an_old_backup_is_caught(sqlite_url: str, tmp_path: Path) -> None:
    # A file-level restore is specific to the embedded database; the PostgreSQL equivalent is
    # the rollback through raw SQL above.
    world = build_world(sqlite_url, tmp_path)
    path = world.url.removeprefix("sqlite:///")
    backup = world.tmp / "backup.sqlite3"
    src, dst = sqlite3.connect(path), sqlite3.connect(backup)
    src.backup(dst)
    src.close()
    dst.close()
    do_append_record(
        world.ledger,
        AGENCY,
        AV_CASE,
        {
            "id": "later",
            "kind": "closure",
            "at": "2026-09-03T09:00:00+08:00",
            "fields": {"reason": "结案"},
        },
    )
    world.witness.cosign(world.ledger, AGENCY)
    world.ledger.db.close()
    for suffix in ("-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    shutil.copy(backup, path)
    assert problem(world.verify(), "log_rolled_back")


# ---------------------------------------------------------------------------- the command


def _cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "DATABASE_URL": world.url,
        "LAWTRAIL_KEYS_DIR": str(world.tmp / "keys"),
        "LAWTRAIL_MEDIA_STORE": f"file://{world.tmp / 'media'}",
        "LAWTRAIL_WITNESS_STATE": str(world.witness_dir),
    }
    return run_lawtrail(env, "verify", *args)


def test_verify_command_exit_codes_and_json_report(world: World, raw: RawSQL) -> None:
    pinned = (
        "--key", str(world.pinned / f"{AGENCY}.vkey"),
        "--witness-key", str(world.pinned / "witness.vkey"),
    )  # fmt: skip
    ok = _cli(world, *pinned, "--media", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert (data["status"], data["intact"], data["not_verified"]) == ("intact", True, [])
    text = _cli(world, *pinned)
    assert text.returncode == 0 and "结论：完好" in text.stdout
    # The data directory's own keys are not pinned: not verified (exit 3), never intact.
    unpinned = _cli(world, "--format", "json")
    assert unpinned.returncode == 3, unpinned.stderr
    data = json.loads(unpinned.stdout)
    assert (data["status"], data["intact"], data["problems"]) == ("not_verified", False, [])
    assert {r["code"] for r in data["not_verified"]} == {"unpinned_key", "unpinned_witness"}

    seq = world.entry_seq("av2")
    raw("DELETE FROM ledger_entry WHERE agency = ? AND seq = ?", (AGENCY, seq))
    bad = _cli(world, "--format", "json")
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["intact"] is False
    assert {
        "code",
        "message",
        "agency",
        "seq",
        "case_number",
        "record",
        "media",
        "checkpoint_size",
    } <= set(report["problems"][0])
    assert any(p["code"] == "entry_missing" and p["seq"] == seq for p in report["problems"])
    assert "发现" in _cli(world).stdout

    unknown = _cli(world, "--agency", "no-such-agency")
    assert unknown.returncode == 2 and "no-such-agency" in unknown.stderr
