"""Off-site backup and restore (004 art. 14: 定期进行异地备份), on SQLite and PostgreSQL, to a
directory and to a real S3 server (SeaweedFS): an incremental backup copies only what is new,
a restore brings an empty system back to the same signed roots, `--at` goes back to an earlier
run, and every kind of tampering — a rewritten source log, a changed byte in the backup, a
damaged media file — is refused and named instead of being copied or loaded."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lawtrail import cli
from lawtrail.backup.destination import LocalDestination, destination_from_url
from lawtrail.backup.errors import BackupError
from lawtrail.backup.restore import Trust, restore
from lawtrail.backup.take import take_backup
from lawtrail.core import merkle, notes
from lawtrail.core.canonical import canonical_bytes
from lawtrail.core.caseio import parse_case
from lawtrail.core.model import Case
from lawtrail.evidence.hashing import digest_bytes
from lawtrail.evidence.store import LocalMediaStore
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, NewEntry
from lawtrail.ledger.tsa import request_timestamp
from lawtrail.ledger.verify import verify
from lawtrail.ledger.witness import Witness
from lawtrail.services import do_append_record, do_import_case, do_ingest_media, do_open_case
from tests.builders import PEOPLE, t
from tests.dbfixtures import RawSQL, fresh_postgres_schema

ROOT = Path(__file__).resolve().parents[2]
MARKET = "tonghua-market"
HRSS = "benxi-hrss"
NEW_CASE = "通市监罚〔2026〕501号"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 2048  # ~512 KiB, not a real MP4


def _example(agency: str, name: str) -> Case:
    """An example case without its media: their digests are illustrative, no files exist."""
    data = json.loads((ROOT / "examples" / agency / name).read_text("utf-8"))
    for record in data["records"]:
        record.pop("media", None)
    return parse_case(data)


@dataclass
class System:
    """One LawTrail installation: database, key directory, media store."""

    url: str
    base: Path
    ledger: Ledger
    store: LocalMediaStore
    witness: Witness | None = None

    @property
    def keys(self) -> KeyDirectory:
        return self.ledger.keys

    @property
    def pinned(self) -> Path:
        """The supervisor's copies of the agencies' keys and the witness key (see
        :func:`source_system`): what a restore and a verification pin."""
        return self.base / "pinned"

    def pinned_args(self) -> list[str]:
        return ["--key", str(self.pinned), "--witness-key", str(self.pinned / "witnesses")]

    def trust(self) -> Trust:
        return Trust(
            keys=[
                notes.Ed25519Verifier.from_verifier_key_string(p.read_text().strip())
                for p in sorted(self.pinned.glob("*.vkey"))
            ],
            witness_keys=[
                notes.CosignatureVerifier.from_verifier_key_string(p.read_text().strip())
                for p in sorted((self.pinned / "witnesses").glob("*.vkey"))
            ],
        )

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.url,
            "LAWTRAIL_DATA_DIR": str(self.base),
            "LAWTRAIL_KEYS_DIR": str(self.keys.root),
            "LAWTRAIL_MEDIA_STORE": self.store.url,
        }

    def close(self) -> None:
        self.ledger.db.close()


def open_system(url: str, base: Path) -> System:
    ledger = Ledger(Database(url), KeyDirectory(base / "keys"), "lawtrail.local")
    return System(url, base, ledger, LocalMediaStore(base / "media"))


def source_system(url: str, base: Path) -> System:
    """Two agencies' imported cases, a video ingested and cited, a witness's cosignature."""
    system = open_system(url, base)
    do_import_case(
        system.ledger,
        _example(MARKET, "compliant-ex-officio-penalty.json"),
        now=t("2026-09-02 07:00"),
    )
    do_import_case(
        system.ledger, _example(HRSS, "compliant-wage-arrears.json"), now=t("2026-09-02 07:30")
    )
    header = Case(
        agency=MARKET,
        case_number=NEW_CASE,
        acts=("penalty",),
        procedure="general",
        origin="ex_officio",
        opened_at=t("2026-09-02 08:00"),
        people=PEOPLE,
    )
    do_open_case(system.ledger, header, now=t("2026-09-02 08:00"))
    add_video(system, VIDEO, "2026-09-02 09:00", "r1")
    witness = notes.CosignatureSigner.generate("witness.tonghua.example")
    system.keys.add_witness(witness.verifier_key())
    system.witness = Witness(witness, base / "witness-state")
    system.witness.cosign(system.ledger, MARKET)
    system.witness.cosign(system.ledger, HRSS)
    (system.pinned / "witnesses").mkdir(parents=True)
    for agency in (MARKET, HRSS):
        vkey = (system.keys.root / f"{agency}.vkey").read_text()
        (system.pinned / f"{agency}.vkey").write_text(vkey)
    (system.pinned / "witnesses" / "w.vkey").write_text(witness.verifier_key() + "\n")
    return system


def add_video(system: System, data: bytes, at: str, record_id: str) -> str:
    """More evidence: a video ingested and a site inspection record citing it."""
    ingested = do_ingest_media(
        system.ledger,
        system.store,
        MARKET,
        NEW_CASE,
        [data],
        type="video",
        captured_at=t(at),
        uploader="张明",
        labels={"case_number": NEW_CASE, "party": "某公司", "handler": "张明"},
        now=t(at) + timedelta(hours=1),
    )
    record = {
        "id": record_id,
        "kind": "site_inspection",
        "at": t(at).isoformat(),
        "fields": {"location": "仓库", "findings": "发现假冒商品"},
        "media": [{"sha256": ingested.media.sha256}],
    }
    do_append_record(system.ledger, MARKET, NEW_CASE, record, now=t(at) + timedelta(hours=2))
    return ingested.media.sha256


def backed_up_files(root: Path) -> dict[str, int]:
    """Every file of a directory backup (name → size), without the staging area."""
    return {
        p.relative_to(root).as_posix(): p.stat().st_size
        for p in root.rglob("*")
        if p.is_file() and ".incoming" not in p.parts
    }


def state(ledger: Ledger, agency: str) -> tuple[int, bytes]:
    latest = ledger.latest_checkpoint(agency)
    assert latest is not None
    return latest.size, latest.root


def rows(db: Database, table: str, agency: str) -> list[tuple[Any, ...]]:
    order = {
        "ledger_log": "agency",
        "ledger_entry": "seq",
        "ledger_node": "size, level",
        "ledger_cosignature": "size, witness",
    }.get(table, "size")
    return [
        tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
        for row in db.all(f"SELECT * FROM {table} WHERE agency = ? ORDER BY {order}", (agency,))
    ]


class Systems:
    """The installations a test opens (a source, a restored site …), closed at teardown."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.opened: list[System] = []

    def _url(self, url: str | None, name: str) -> str:
        return url or f"sqlite:///{self.tmp / (name + '.sqlite3')}"

    def source(self, url: str | None = None) -> System:
        system = source_system(self._url(url, "source"), self.tmp / "source")
        self.opened.append(system)
        return system

    def target(self, url: str | None = None) -> System:
        system = open_system(self._url(url, "target"), self.tmp / "target")
        self.opened.append(system)
        return system


@pytest.fixture
def systems(tmp_path: Path) -> Iterator[Systems]:
    made = Systems(tmp_path)
    yield made
    for system in made.opened:
        system.close()


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind as `database_url`: the new site."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    with fresh_postgres_schema() as url:
        yield url


def run_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    *args: str,
) -> tuple[int, str, str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------------------- the round trip


def test_backup_more_records_incremental_backup_then_restore_gives_the_same_roots(
    systems: Systems,
    database_url: str,
    empty_database_url: str,
    tmp_path: Path,
    tsa_authority: Any,
) -> None:
    source = systems.source(database_url)
    latest = source.ledger.latest_checkpoint(HRSS)
    assert latest is not None
    token = request_timestamp(latest.note.encode(), tsa_authority.url)
    source.ledger.add_timestamp(
        HRSS, latest.size, token.token, token.gen_time.isoformat(), token.tsa
    )
    offsite = tmp_path / "offsite"
    dest = LocalDestination(offsite, create=True)

    first = take_backup(source.ledger, source.store, dest)
    assert first.ok, first.problems
    after_first = backed_up_files(offsite)
    assert first.files_written == len(after_first)
    assert first.bytes_written == sum(after_first.values())
    first_state = {a: state(source.ledger, a) for a in (MARKET, HRSS)}

    market_before = first_state[MARKET][0]
    second_sha = add_video(source, VIDEO[::-1] + b"second", "2026-09-03 10:00", "r2")
    assert source.witness is not None
    source.witness.cosign(source.ledger, MARKET)
    second = take_backup(source.ledger, source.store, dest)
    assert second.ok, second.problems

    # Only the new entries and the new video were copied: one segment, one media file, the run.
    after_second = backed_up_files(offsite)
    new_files = sorted(set(after_second) - set(after_first))
    [segment] = [n for n in new_files if n.startswith(f"ledger/{MARKET}/")]
    assert new_files == sorted(
        [segment, f"media/sha256/{second_sha[:2]}/{second_sha}", "runs/000002.json"]
    )
    assert second.files_written == 3
    assert second.bytes_written == sum(after_second[n] for n in new_files)
    assert (second.media_copied, second.media_in_backup) == (1, 1)
    market_after = state(source.ledger, MARKET)[0]
    lines = [json.loads(line) for line in (offsite / segment).read_text("utf-8").splitlines()]
    assert [line["seq"] for line in lines if line["kind"] == "entry"] == list(
        range(market_before, market_after)
    )
    [market_run] = [log for log in second.logs if log.agency == MARKET]
    assert (market_run.from_size, market_run.to_size, market_run.entries) == (
        market_before,
        market_after,
        market_after - market_before,
    )
    assert (market_run.checkpoints, market_run.cosignatures) == (2, 1)  # two appends, one cosign
    manifest = json.loads((offsite / "runs/000002.json").read_text("utf-8"))
    proof = [bytes.fromhex(h) for h in manifest["logs"][MARKET]["consistency_proof"]]
    merkle.verify_consistency(
        market_before, market_after, first_state[MARKET][1], state(source.ledger, MARKET)[1], proof
    )
    assert manifest["logs"][HRSS]["status"] == "unchanged"
    first_bytes = (offsite / "runs/000001.json").read_bytes()
    assert manifest["previous"]["sha256"] == hashlib.sha256(first_bytes).hexdigest()

    # Restore on a new site: an empty database, an empty media store, an empty key directory.
    target = systems.target(empty_database_url)
    trust = source.trust()
    result = restore(target.ledger.db, target.store, target.keys, dest, trust=trust)
    assert result.ok and result.media == 2
    assert result.status == "intact", result.verdict.reasons
    report = verify(
        target.ledger,
        target.keys,
        media_store=target.store,
        tsa_roots=[tsa_authority.ca_cert_pem],
        pinned_keys=trust.keys,
        witness_keys=trust.witness_keys,
    )
    assert report.intact, (report.problems, report.verdict.reasons)
    assert {s.agency: s.media_checked for s in report.logs}[MARKET] == 2
    for agency in (MARKET, HRSS):
        assert state(target.ledger, agency) == state(source.ledger, agency)
        for table in (
            "ledger_log",
            "ledger_entry",
            "ledger_node",
            "ledger_checkpoint",
            "ledger_cosignature",
            "ledger_timestamp",
        ):
            assert rows(target.ledger.db, table, agency) == rows(source.ledger.db, table, agency)
    assert rows(target.ledger.db, "ledger_timestamp", HRSS)  # the RFC 3161 token came along
    assert len(rows(target.ledger.db, "ledger_cosignature", MARKET)) == 2
    for sha in (hashlib.sha256(VIDEO).hexdigest(), second_sha):
        assert target.store.check(sha) is None


def test_a_run_with_nothing_new_copies_nothing_and_its_manifest_says_so(
    systems: Systems, tmp_path: Path
) -> None:
    source = systems.source()
    dest = LocalDestination(tmp_path / "offsite", create=True)
    take_backup(source.ledger, source.store, dest)
    before = backed_up_files(tmp_path / "offsite")
    again = take_backup(source.ledger, source.store, dest)
    after = backed_up_files(tmp_path / "offsite")
    assert sorted(set(after) - set(before)) == ["runs/000002.json"]
    assert again.nothing_new and again.ok
    assert (again.files_written, again.media_copied) == (1, 0)
    manifest = json.loads((tmp_path / "offsite/runs/000002.json").read_text("utf-8"))
    assert manifest["nothing_new"] is True
    assert manifest["totals"] == {"entries": 0, "files_written": 0, "bytes_written": 0}
    assert {log["status"] for log in manifest["logs"].values()} == {"unchanged"}


# ---------------------------------------------------------------------------- the CLI, --at, keys


def test_cli_backup_and_restore_at_the_first_run_gives_the_first_state(
    systems: Systems,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = systems.source()
    offsite = str(tmp_path / "offsite")
    code, out, _ = run_cli(monkeypatch, capsys, source.env(), "backup", "--to", offsite)
    assert code == 0
    assert "备份第 1 次运行" in out and "一致性：一致" in out and "结论：备份完成" in out
    first = {a: state(source.ledger, a) for a in (MARKET, HRSS)}
    later_sha = add_video(source, b"later video" * 5000, "2026-09-04 10:00", "r2")
    code, out, _ = run_cli(monkeypatch, capsys, source.env(), "backup", "--to", offsite)
    assert code == 0
    assert f"机关 {MARKET}：复制第 {first[MARKET][0]}–" in out and "复制 1 个" in out

    target = systems.target()
    code, out, _ = run_cli(
        monkeypatch,
        capsys,
        target.env(),
        "restore",
        "--from",
        offsite,
        "--at",
        "1",
        *source.pinned_args(),
    )
    assert code == 0, out
    assert "已恢复第 1 次备份（runs/000001.json" in out
    first_manifest = (Path(offsite) / "runs/000001.json").read_bytes()
    assert f"运行清单 SHA-256：{hashlib.sha256(first_manifest).hexdigest()}" in out
    assert "lawtrail manage reindex" in out and "签名私钥" in out
    for agency in (MARKET, HRSS):
        assert state(target.ledger, agency) == first[agency]
    assert not target.store.exists(later_sha)  # added by run 2, after the chosen state
    code, out, _ = run_cli(
        monkeypatch, capsys, target.env(), "verify", "--media", *source.pinned_args()
    )
    assert code == 0 and "结论：完好" in out, out

    # Restoring again into the now non-empty system cannot run, and changes nothing.
    code, _, err = run_cli(
        monkeypatch, capsys, target.env(), "restore", "--from", offsite, *source.pinned_args()
    )
    assert code == 2
    assert "已有账本数据" in err and "空系统" in err
    assert state(target.ledger, MARKET) == first[MARKET]


def test_signing_keys_are_backed_up_only_on_request_and_then_the_restored_system_records_on(
    systems: Systems,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = systems.source()
    plain, signed = tmp_path / "plain", tmp_path / "signed"
    assert run_cli(monkeypatch, capsys, source.env(), "backup", "--to", str(plain))[0] == 0
    assert not list(plain.glob("keys/*.key"))
    assert sorted(p.name for p in plain.glob("keys/*.vkey")) == [f"{HRSS}.vkey", f"{MARKET}.vkey"]
    assert [p.name for p in plain.glob("keys/witnesses/*.vkey")] == ["witness.tonghua.example.vkey"]
    code, _, _ = run_cli(
        monkeypatch, capsys, source.env(), "backup", "--to", str(signed), "--include-signing-keys"
    )
    assert code == 0
    assert (signed / f"keys/{MARKET}.key").read_bytes() == (
        source.keys.root / f"{MARKET}.key"
    ).read_bytes()

    target = systems.target()
    code, out, _ = run_cli(
        monkeypatch, capsys, target.env(), "restore", "--from", str(signed), *source.pinned_args()
    )
    assert code == 0
    assert "签名私钥" not in out  # nothing missing to continue recording
    assert oct((target.keys.root / f"{MARKET}.key").stat().st_mode & 0o777) == "0o600"
    size, _ = state(target.ledger, MARKET)
    add_video(target, b"recorded after the restore" * 100, "2026-09-05 10:00", "r9")
    assert state(target.ledger, MARKET)[0] == size + 2
    report = verify(target.ledger, target.keys, media_store=target.store)
    assert report.problems == []


def test_backup_help_says_why_signing_keys_stay_out_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["backup", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--include-signing-keys" in text
    assert "安全策略" in text and "伪造" in text and "异地备份" in text


# ---------------------------------------------------------------------------- S3


def test_round_trip_through_an_s3_bucket(
    systems: Systems,
    s3_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bucket = s3_server.new_bucket_name("offsite")
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/lawtrail?endpoint={s3_server.endpoint_url}&region={s3_server.region}"
    credentials = {
        "LAWTRAIL_S3_ACCESS_KEY": s3_server.access_key,
        "LAWTRAIL_S3_SECRET_KEY": s3_server.secret_key,
    }
    source = systems.source()
    env = {**source.env(), **credentials}
    assert run_cli(monkeypatch, capsys, env, "backup", "--to", url)[0] == 0

    def objects() -> dict[str, int]:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}

    before = objects()
    big = os.urandom(9 * 1024 * 1024)  # more than one 8 MiB part: a multipart upload
    big_sha = add_video(source, big, "2026-09-06 10:00", "r2")
    assert source.witness is not None
    source.witness.cosign(source.ledger, MARKET)
    code, out, _ = run_cli(monkeypatch, capsys, env, "backup", "--to", url)
    assert code == 0, out
    new = sorted(set(objects()) - set(before))
    assert len(new) == 3
    assert f"lawtrail/media/sha256/{big_sha[:2]}/{big_sha}" in new
    assert "lawtrail/runs/000002.json" in new
    assert objects()[f"lawtrail/media/sha256/{big_sha[:2]}/{big_sha}"] == len(big)
    assert not [key for key in objects() if "incoming" in key]  # nothing staged, nothing deleted

    target = systems.target()
    target_env = {**target.env(), **credentials}
    pinned = source.pinned_args()
    code, out, _ = run_cli(monkeypatch, capsys, target_env, "restore", "--from", url, *pinned)
    assert code == 0, out
    code, out, _ = run_cli(monkeypatch, capsys, target_env, "verify", "--media", *pinned)
    assert code == 0 and "结论：完好" in out, out
    for agency in (MARKET, HRSS):
        assert state(target.ledger, agency) == state(source.ledger, agency)
    assert target.store.check(big_sha) is None


@pytest.mark.parametrize("kind", ["directory", "s3"])
def test_the_backup_never_overwrites_a_file(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind == "s3":
        server = request.getfixturevalue("s3_server")
        bucket = server.new_bucket_name("worm")
        server.client().create_bucket(Bucket=bucket)
        monkeypatch.setenv("LAWTRAIL_S3_ACCESS_KEY", server.access_key)
        monkeypatch.setenv("LAWTRAIL_S3_SECRET_KEY", server.secret_key)
        dest = destination_from_url(f"s3://{bucket}?endpoint={server.endpoint_url}")
    else:
        dest = destination_from_url(str(tmp_path / "offsite"), create=True)
    first = dest.create("runs/000001.json", [b"first"])
    assert first.created and first.digests == digest_bytes(b"first")
    assert not dest.create("runs/000001.json", [b"first"]).created  # a rerun: same bytes
    with pytest.raises(BackupError, match="拒绝覆盖"):
        dest.create("runs/000001.json", [b"other"])

    def refuse(_: object) -> None:
        raise BackupError("摘要不符")

    with pytest.raises(BackupError, match="不符"):  # refused before anything is published
        dest.create("media/x", [b"bad"], expect=refuse)
    assert not dest.exists("media/x")
    with dest.open("runs/000001.json") as fh:
        assert fh.read() == b"first"
    assert dest.names("runs") == ["runs/000001.json"]


# ---------------------------------------------------------------------------- tampering


def test_an_entry_altered_after_its_backup_makes_the_next_backup_refuse_naming_the_agency(
    systems: Systems,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = systems.source(database_url)
    offsite = str(tmp_path / "offsite")
    assert run_cli(monkeypatch, capsys, source.env(), "backup", "--to", offsite)[0] == 0
    size, _ = state(source.ledger, MARKET)
    attacker = RawSQL(database_url)
    body = source.ledger.entry(MARKET, 3)
    assert body is not None
    data = json.loads(body.body)
    data["record"]["at"] = "2026-08-01T09:00:00+08:00"  # back-date an act; re-sign nothing
    attacker(
        "UPDATE ledger_entry SET body = ? WHERE agency = ? AND seq = 3",
        (canonical_bytes(data), MARKET),
    )
    attacker.close()
    add_video(source, b"new evidence" * 1000, "2026-09-07 10:00", "r2")  # the log still grows

    code, out, err = run_cli(monkeypatch, capsys, source.env(), "backup", "--to", offsite)
    assert code == 1
    assert f"机关 {MARKET}：拒绝备份" in out
    assert f"机关 {MARKET}" in err and "第 3 条记录" in err and "被改动" in err
    assert f"备份中已有 {size} 条，源日志现有 {size + 2} 条" in err
    manifest = json.loads((Path(offsite) / "runs/000002.json").read_text("utf-8"))
    refused = manifest["logs"][MARKET]
    assert (refused["status"], refused["from_size"], refused["to_size"]) == ("refused", size, size)
    assert refused["segment"] is None
    assert manifest["logs"][HRSS]["status"] == "unchanged"  # the others are still kept
    assert not list((Path(offsite) / "ledger" / MARKET).glob(f"{size:012d}-*"))


def test_a_log_rewritten_and_re_signed_is_not_consistent_with_the_backup(
    systems: Systems, database_url: str, tmp_path: Path
) -> None:
    source = systems.source(database_url)
    dest = LocalDestination(tmp_path / "offsite", create=True)
    assert take_backup(source.ledger, source.store, dest).ok
    size, _ = state(source.ledger, HRSS)
    # The attacker holds the signing key: rewrites entry 5, rebuilds the tree, re-signs.
    entries = list(source.ledger.entries(HRSS))
    data = json.loads(entries[5].body)
    data["record"]["at"] = "2026-01-01T09:00:00+08:00"
    forged = canonical_bytes(data)
    leaves = [e.leaf_hash for e in entries]
    leaves[5] = merkle.leaf_hash(forged)
    root = merkle.root_from_leaf_hashes(leaves)
    info = source.ledger.log_info(HRSS)
    assert info is not None
    signer = source.keys.signer(HRSS, info.origin)
    note = notes.format_note(
        notes.sign_note(notes.Checkpoint(info.origin, size, root).to_text(), signer)
    )
    attacker = RawSQL(database_url)
    attacker(
        "UPDATE ledger_entry SET body = ?, leaf_hash = ? WHERE agency = ? AND seq = 5",
        (forged, leaves[5], HRSS),
    )
    attacker("DELETE FROM ledger_node WHERE agency = ?", (HRSS,))
    for (level, index), digest in merkle.perfect_subtree_hashes(leaves).items():
        if level:
            attacker(
                "INSERT INTO ledger_node (agency, size, level, hash) VALUES (?, ?, ?, ?)",
                (HRSS, (index + 1) << level, level, digest),
            )
    attacker("DELETE FROM ledger_timestamp WHERE agency = ?", (HRSS,))
    attacker("DELETE FROM ledger_checkpoint WHERE agency = ?", (HRSS,))
    attacker(
        "INSERT INTO ledger_checkpoint (agency, size, root, note, signed_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (HRSS, size, root, note, "2026-09-02T07:30:00+08:00"),
    )
    attacker.close()
    # The forgery is self-consistent under the agency key — only the witness's cosignature
    # over the old checkpoint no longer verifies …
    problems = verify(source.ledger, source.keys, agency=HRSS).problems
    assert {p.code for p in problems} == {"cosignature_invalid"}

    again = take_backup(source.ledger, source.store, dest)  # … but not with the backup
    assert not again.ok
    [problem] = again.problems
    assert problem.startswith(f"机关 {HRSS}：") and f"备份中已有 {size} 条" in problem
    assert "改写" in problem


def test_a_media_file_damaged_in_the_source_store_is_not_backed_up(
    systems: Systems, tmp_path: Path
) -> None:
    source = systems.source()
    sha = hashlib.sha256(VIDEO).hexdigest()
    path = source.store.path(sha)
    path.chmod(0o644)
    path.write_bytes(VIDEO[:-1] + b"\x00")
    dest = LocalDestination(tmp_path / "offsite", create=True)
    result = take_backup(source.ledger, source.store, dest)
    [problem] = result.problems
    assert sha in problem and "不符" in problem and "未备份" in problem
    assert not dest.exists(f"media/sha256/{sha[:2]}/{sha}")
    assert all(log.status == "copied" for log in result.logs)  # the ledger itself is kept


@pytest.mark.parametrize("what", ["segment", "media", "manifest"])
def test_a_changed_byte_in_the_backup_makes_restore_refuse_naming_the_file(
    systems: Systems,
    what: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = systems.source()
    offsite = tmp_path / "offsite"
    take_backup(source.ledger, source.store, LocalDestination(offsite, create=True))
    add_video(source, b"second" * 3000, "2026-09-08 10:00", "r2")
    take_backup(source.ledger, source.store, LocalDestination(offsite))
    if what == "segment":
        [victim] = sorted(offsite.glob(f"ledger/{MARKET}/000000000000-*.jsonl"))
    elif what == "media":
        sha = hashlib.sha256(VIDEO).hexdigest()
        victim = offsite / f"media/sha256/{sha[:2]}/{sha}"
    else:
        victim = offsite / "runs/000001.json"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.chmod(0o644)
    victim.write_bytes(bytes(data))

    target = systems.target()
    code, _, err = run_cli(
        monkeypatch, capsys, target.env(), "restore", "--from", str(offsite), *source.pinned_args()
    )
    assert code == 1
    name = victim.relative_to(offsite).as_posix()
    assert name in err, err
    # Nothing was loaded: the check comes before any write.
    assert target.ledger.db.one("SELECT COUNT(*) FROM ledger_entry") == (0,)
    assert not list((tmp_path / "target" / "media" / "sha256").rglob("*"))
    assert not list((tmp_path / "target" / "keys").glob("*.vkey"))


def test_restore_check_verifies_the_backup_without_writing(
    systems: Systems,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = systems.source()
    offsite = tmp_path / "offsite"
    take_backup(source.ledger, source.store, LocalDestination(offsite, create=True))
    target = systems.target()
    code, out, _ = run_cli(
        monkeypatch,
        capsys,
        target.env(),
        "restore",
        "--from",
        str(offsite),
        "--check",
        *source.pinned_args(),
    )
    assert code == 0, out
    size, root = state(source.ledger, MARKET)
    assert f"机关 {MARKET}：{size} 条记录" in out and root.hex() in out
    assert "结论：完好——备份完整，可以恢复。" in out
    assert target.ledger.db.one("SELECT COUNT(*) FROM ledger_log") == (0,)
    code, _, err = run_cli(
        monkeypatch, capsys, target.env(), "restore", "--from", str(tmp_path / "nowhere")
    )
    assert code == 2 and "备份目录不存在" in err


def test_a_generated_document_is_backed_up_like_media(systems: Systems, tmp_path: Path) -> None:
    """Any entry whose body names stored bytes by sha256 (here a "document") is backed up."""
    source = systems.source()
    pdf = b"%PDF-1.7\n" + b"document bytes" * 100
    stored = source.store.put([pdf])
    body = {
        "template": "penalty-decision",
        "format": "pdf",
        "sha256": stored.sha256,
        "sm3": stored.sm3,
        "size": stored.size,
    }
    source.ledger.append(MARKET, [NewEntry(NEW_CASE, "document", stored.sha256, body)])
    dest = LocalDestination(tmp_path / "offsite", create=True)
    result = take_backup(source.ledger, source.store, dest)
    assert result.ok and result.media_copied == 2
    with dest.open(f"media/sha256/{stored.sha256[:2]}/{stored.sha256}") as fh:
        assert fh.read() == pdf
    target = systems.target()
    restore(target.ledger.db, target.store, target.keys, dest, trust=source.trust())
    assert target.store.check(stored.sha256, stored.sm3, stored.size) is None
