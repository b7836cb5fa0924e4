"""Verifiers that demand the witness (issue #12 item 2), on SQLite and PostgreSQL.

`lawtrail verify`, `lawtrail-verify` and `lawtrail restore --check` give one three-way verdict:
完好 (exit 0) only with the agency key and a witness key *pinned* and every entry covered by a
checkpoint a pinned witness cosigned; 未验证 (exit 3) when nothing is wrong but a key was not
pinned, or entries are not (yet) cosigned or not yet signed into a checkpoint — the range named;
有问题 (exit 1) when something was changed or re-signed under another key. The relax flags
turn 未验证 into 完好 and the report says so.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lawtrail import archive
from lawtrail import verify as offline
from lawtrail.backup.destination import LocalDestination
from lawtrail.backup.take import take_backup
from lawtrail.core import merkle, notes
from lawtrail.core.canonical import canonical_bytes
from lawtrail.ledger.db import Database
from lawtrail.ledger.log import Ledger
from lawtrail.services import do_append_record
from tests.dbfixtures import RawSQL
from tests.integration.test_backup import (
    HRSS,
    MARKET,
    Systems,
    add_video,
    run_cli,
    source_system,
    state,
)
from tests.integration.test_ledger_tamper import AGENCY, AV_CASE, World, _cli, build_world


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    built = build_world(database_url, tmp_path)
    yield built
    built.ledger.db.close()


def pinned(world: World) -> list[str]:
    return [
        "--key", str(world.pinned / f"{AGENCY}.vkey"),
        "--witness-key", str(world.pinned / "witness.vkey"),
    ]  # fmt: skip


def record(i: int) -> dict[str, object]:
    return {
        "id": f"later{i}",
        "kind": "site_inspection",
        "at": f"2026-09-03T09:0{i}:00+08:00",
        "fields": {"location": "仓库", "findings": f"补充检查{i}"},
    }


# ---------------------------------------------------------------------------- lawtrail verify


def test_verify_without_pinned_keys_is_not_verified_and_with_them_intact(world: World) -> None:
    unpinned = _cli(world)
    assert unpinned.returncode == 3, unpinned.stdout + unpinned.stderr
    assert "结论：未验证" in unpinned.stdout and "完好" not in unpinned.stdout
    assert "未固定机关 tonghua-market 的公钥" in unpinned.stdout
    assert "未固定见证方公钥" in unpinned.stdout

    intact = _cli(world, *pinned(world), "--format", "json")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    data = json.loads(intact.stdout)
    assert (data["status"], data["not_verified"], data["relaxed"]) == ("intact", [], [])
    assert data["logs"][0]["key"] == "固定的公钥（--key）"
    assert data["logs"][0]["witnessed"] == world.size()

    # One case: its entries proven in the latest checkpoint, which the witness cosigned.
    case = _cli(world, *pinned(world), "--case", AV_CASE)
    assert case.returncode == 0 and "结论：完好" in case.stdout, case.stdout


def test_verify_names_entries_beyond_the_witnessed_checkpoint_and_relaxes_only_on_request(
    world: World,
) -> None:
    before = world.size()
    for i in range(3):
        do_append_record(world.ledger, AGENCY, AV_CASE, record(i))
    data = json.loads(_cli(world, *pinned(world), "--format", "json").stdout)
    assert (data["status"], data["problems"]) == ("not_verified", [])
    [reason] = data["not_verified"]
    assert reason["code"] == "unwitnessed" and (reason["first"], reason["last"]) == (
        before,
        before + 2,
    )
    text = _cli(world, *pinned(world))
    assert text.returncode == 3
    assert f"第 {before}–{before + 2} 条尚无见证联署" in text.stdout
    case = _cli(world, *pinned(world), "--case", AV_CASE)
    assert case.returncode == 3 and f"本案第 {before}–{before + 2} 条尚无见证联署" in case.stdout

    relaxed = _cli(world, *pinned(world), "--allow-unwitnessed")
    assert relaxed.returncode == 0, relaxed.stdout
    assert "结论：完好（已按要求放宽" in relaxed.stdout
    assert f"未要求见证联署（机关 {AGENCY} 第 {before}–{before + 2} 条尚无见证联署）" in (
        relaxed.stdout
    )
    both = _cli(world, "--allow-unpinned", "--allow-unwitnessed", "--format", "json")
    assert both.returncode == 0
    notes_ = json.loads(both.stdout)["relaxed"]
    assert any(n.startswith("未固定公钥：以被核验系统自带的公钥核验") for n in notes_)
    assert any(n.startswith("未要求见证联署") for n in notes_)

    world.witness.cosign(world.ledger, AGENCY)
    assert _cli(world, *pinned(world)).returncode == 0


def test_entries_not_yet_integrated_are_not_a_problem_but_not_verified(world: World) -> None:
    sequencer = Ledger(Database(world.url), world.keys, "lawtrail.local", integrate_on_append=False)
    try:
        before = world.size()
        for i in range(2):
            do_append_record(sequencer, AGENCY, AV_CASE, record(i))
        report = world.verify()
        assert report.problems == []
        assert report.status == "not_verified"
        unsigned = [r for r in report.verdict.reasons if r.code == "unsigned"]
        assert [(r.first, r.last) for r in unsigned] == [(before, before + 1)]
        assert f"第 {before}–{before + 1} 条尚未签入检查点" in unsigned[0].message
        case = world.verify(case=AV_CASE)
        assert case.problems == [] and any(r.code == "unsigned" for r in case.verdict.reasons)
        # Even an explicit relaxation does not call unsigned entries intact.
        cli = _cli(world, *pinned(world), "--allow-unwitnessed")
        assert cli.returncode == 3 and "尚未签入检查点" in cli.stdout

        # Their bodies are still checked: an edit beyond the checkpoint is a problem.
        attacker = RawSQL(world.url)
        entry = world.ledger.entry(AGENCY, before)
        assert entry is not None
        attacker(
            "UPDATE ledger_entry SET body = ? WHERE agency = ? AND seq = ?",
            (entry.body.replace(b"\xe8\xa1\xa5", b"\xe5\x86\x8d"), AGENCY, before),
        )
        attacker.close()
        assert "entry_altered" in {p.code for p in world.verify().problems}
        attacker = RawSQL(world.url)  # (opening the ledger above re-armed the triggers)
        attacker(
            "UPDATE ledger_entry SET body = ? WHERE agency = ? AND seq = ?",
            (entry.body, AGENCY, before),
        )
        attacker.close()

        sequencer.integrate(AGENCY)
        report = world.verify()
        assert report.problems == []
        assert [(r.code, r.first, r.last) for r in report.verdict.reasons] == [
            ("unwitnessed", before, before + 1)
        ]
        world.witness.cosign(world.ledger, AGENCY)
        assert world.verify().status == "intact"
    finally:
        sequencer.db.close()


def test_a_log_re_signed_under_another_key_is_a_problem_against_the_pinned_key(
    world: World, raw: RawSQL
) -> None:
    origin = world.ledger.origin(AGENCY)
    forger = notes.Ed25519Signer.generate(origin)
    raw("UPDATE ledger_log SET public_key = ? WHERE agency = ?", (forger.verifier_key(), AGENCY))
    for cp in list(world.ledger.checkpoints(AGENCY)):
        note = notes.parse_note(cp.note)
        resigned = notes.format_note(notes.sign_note(note.text, forger))
        raw(
            "UPDATE ledger_checkpoint SET note = ? WHERE agency = ? AND size = ?",
            (resigned, AGENCY, cp.size),
        )
    # The insider also swaps the key files of the data directory.
    (world.keys.root / f"{AGENCY}.vkey").write_text(forger.verifier_key() + "\n")
    # Judged by the system's own (swapped) key nothing looks wrong — which is why it is not 完好.
    own = _cli(world, "--format", "json")
    assert own.returncode == 3 and json.loads(own.stdout)["problems"] == []
    checked = _cli(world, *pinned(world), "--format", "json")
    assert checked.returncode == 1
    codes = {p["code"] for p in json.loads(checked.stdout)["problems"]}
    assert {"key_mismatch", "checkpoint_signature_invalid"} <= codes
    assert "结论：有问题" in _cli(world, *pinned(world)).stdout


def test_verify_refuses_an_unreadable_pinned_key(world: World) -> None:
    bad = world.tmp / "bad.vkey"
    bad.write_text("not a key\n")
    result = _cli(world, "--key", str(bad))
    assert result.returncode == 2 and "bad.vkey" in result.stderr
    missing = _cli(world, "--witness-key", str(world.tmp / "none.vkey"))
    assert missing.returncode == 2 and "none.vkey" in missing.stderr


@pytest.fixture
def raw(world: World) -> Iterator[RawSQL]:
    attacker = RawSQL(world.url)
    yield attacker
    attacker.close()


# ---------------------------------------------------------------------------- lawtrail-verify


def test_package_verdicts_under_pinned_and_unpinned_keys(world: World) -> None:
    bag = world.tmp / "bag"
    archive.export_case(world.ledger, world.store, world.keys, AGENCY, AV_CASE, bag)
    key = (world.pinned / f"{AGENCY}.vkey").read_text()
    witness = (world.pinned / "witness.vkey").read_text()
    intact = offline.verify_package(bag, key=key, witness_keys=[witness])
    assert intact.status == "intact", (intact.problems, intact.verdict.reasons)
    out: list[str] = []

    class Out:
        def write(self, text: str) -> None:
            out.append(text)

    assert offline.main([str(bag), *pinned(world)], Out()) == 0  # type: ignore[arg-type]
    assert "结果：完好" in "".join(out)
    out.clear()
    assert offline.main([str(bag), "--json"], Out()) == 3  # type: ignore[arg-type]
    data = json.loads("".join(out))
    assert data["status"] == "not_verified"
    assert {r["code"] for r in data["not_verified"]} == {"unpinned_key", "unpinned_witness"}
    relaxed = offline.verify_package(bag, allow_unpinned=True)
    assert relaxed.status == "intact"
    assert any(
        n.startswith("未固定公钥：以被核验系统自带的公钥核验")
        for n in relaxed.verdict.relaxed_notes()
    )
    out.clear()
    assert offline.main([str(bag), "--allow-unpinned"], Out()) == 0  # type: ignore[arg-type]
    assert "已放宽：未固定公钥：以被核验系统自带的公钥核验" in "".join(out)

    # A package forged under another key (entries, checkpoint and bag re-signed, its own key
    # replaced) is a problem against the pinned key.
    forged = world.tmp / "forged"
    shutil.copytree(bag, forged)
    forger = notes.Ed25519Signer.generate(world.ledger.origin(AGENCY))
    for rel in ["data/ledger/checkpoint.txt", "bag-signature.txt"]:
        note = notes.parse_note((forged / rel).read_text("utf-8"))
        (forged / rel).write_text(notes.format_note(notes.sign_note(note.text, forger)))
    (forged / f"data/keys/{AGENCY}.vkey").write_text(forger.verifier_key() + "\n")
    assert offline.verify_package(forged, key=key, witness_keys=[witness]).status == "problems"
    out.clear()
    assert offline.main([str(forged), *pinned(world)], Out()) == 1  # type: ignore[arg-type]
    assert "结果：有问题" in "".join(out)


def test_package_entries_beyond_the_cosigned_checkpoint_are_named(world: World) -> None:
    before = world.size()
    for i in range(2):
        do_append_record(world.ledger, AGENCY, AV_CASE, record(i))
    bag = world.tmp / "bag"
    archive.export_case(world.ledger, world.store, world.keys, AGENCY, AV_CASE, bag)
    key = (world.pinned / f"{AGENCY}.vkey").read_text()
    witness = (world.pinned / "witness.vkey").read_text()
    result = offline.verify_package(bag, key=key, witness_keys=[witness])
    assert result.problems == [] and result.status == "not_verified"
    [reason] = result.verdict.reasons
    assert reason.message == f"第 {before}–{before + 1} 条尚无见证联署"
    assert result.witnessed == before
    # A package whose cosigned checkpoints were removed (manifests recomputed by the exporter
    # would list them; here the witness never cosigned) covers nothing.
    lonely = offline.verify_package(bag, key=key, witness_keys=[])
    assert lonely.status == "not_verified"
    assert any(r.code == "unpinned_witness" for r in lonely.verdict.reasons)


# ---------------------------------------------------------------------------- restore --check


@pytest.fixture
def systems(tmp_path: Path) -> Iterator[Systems]:
    made = Systems(tmp_path)
    yield made
    for system in made.opened:
        system.close()


def test_restore_check_demands_pinned_keys_and_restore_never_installs_the_backups_key(
    systems: Systems,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = systems.source()
    offsite = str(tmp_path / "offsite")
    take_backup(source.ledger, source.store, LocalDestination(Path(offsite), create=True))
    target = systems.target()
    env = target.env()

    code, out, _ = run_cli(monkeypatch, capsys, env, "restore", "--from", offsite, "--check")
    assert code == 3, out
    assert "结论：未验证" in out and "未用 --key 固定机关" in out and "未用 --witness-key" in out

    code, out, _ = run_cli(
        monkeypatch, capsys, env, "restore", "--from", offsite, "--check", *source.pinned_args()
    )
    assert code == 0 and "结论：完好——备份完整，可以恢复。" in out, out
    assert "签名以固定的公钥（--key）核验" in out

    # A restore without a pinned key refuses before writing anything.
    code, _, err = run_cli(monkeypatch, capsys, env, "restore", "--from", offsite)
    assert code == 2 and "--allow-unpinned" in err and "--key" in err
    assert not list(target.keys.root.glob("*.vkey"))  # the backup's key was not installed

    # …and with the explicit relaxation it restores, saying so.
    code, out, _ = run_cli(
        monkeypatch, capsys, env, "restore", "--from", offsite, "--allow-unpinned"
    )
    assert code == 0, out
    assert "结论：完好（已按要求放宽" in out
    assert "已放宽：未固定公钥：以被核验系统自带的公钥核验" in out
    assert "见证联署以备份自带的见证方公钥核验（未固定）" in out
    assert state(target.ledger, MARKET) == state(source.ledger, MARKET)


def test_restore_check_names_entries_beyond_the_cosigned_checkpoint(
    systems: Systems,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = systems.source()
    before = state(source.ledger, MARKET)[0]
    add_video(source, b"after the cosignature" * 500, "2026-09-09 10:00", "r5")
    after = state(source.ledger, MARKET)[0]
    offsite = str(tmp_path / "offsite")
    take_backup(source.ledger, source.store, LocalDestination(Path(offsite), create=True))
    target = systems.target()
    args = ["restore", "--from", offsite, "--check", *source.pinned_args()]
    code, out, _ = run_cli(monkeypatch, capsys, target.env(), *args)
    assert code == 3, out
    assert f"机关 {MARKET} 第 {before}–{after - 1} 条尚无见证联署" in out
    code, out, _ = run_cli(monkeypatch, capsys, target.env(), *args, "--allow-unwitnessed")
    assert code == 0 and "已放宽：未要求见证联署" in out, out


def test_a_backup_of_a_log_rewritten_and_re_signed_with_the_agency_key_is_caught(
    systems: Systems,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The insider holds the agency key: rewrites an entry, rebuilds the tree, re-signs the
    checkpoint — and then backs it up. The witness's cosignature over the original checkpoint
    no longer verifies; with the cosignature dropped too, nothing is witnessed."""
    source = systems.source(database_url)
    size, _ = state(source.ledger, HRSS)
    entries = list(source.ledger.entries(HRSS))
    data = json.loads(entries[3].body)
    data["record"]["at"] = "2026-01-01T09:00:00+08:00"
    forged = canonical_bytes(data)
    leaves = [e.leaf_hash for e in entries]
    leaves[3] = merkle.leaf_hash(forged)
    root = merkle.root_from_leaf_hashes(leaves)
    info = source.ledger.log_info(HRSS)
    assert info is not None
    signer = source.keys.signer(HRSS, info.origin)
    note = notes.format_note(
        notes.sign_note(notes.Checkpoint(info.origin, size, root).to_text(), signer)
    )
    attacker = RawSQL(database_url)
    attacker(
        "UPDATE ledger_entry SET body = ?, leaf_hash = ? WHERE agency = ? AND seq = 3",
        (forged, leaves[3], HRSS),
    )
    attacker("DELETE FROM ledger_node WHERE agency = ?", (HRSS,))
    for (level, index), digest in merkle.perfect_subtree_hashes(leaves).items():
        if level:
            attacker(
                "INSERT INTO ledger_node (agency, size, level, hash) VALUES (?, ?, ?, ?)",
                (HRSS, (index + 1) << level, level, digest),
            )
    attacker("DELETE FROM ledger_checkpoint WHERE agency = ?", (HRSS,))
    attacker(
        "INSERT INTO ledger_checkpoint (agency, size, root, note, signed_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (HRSS, size, root, note, "2026-09-02T07:30:00+08:00"),
    )
    offsite = tmp_path / "offsite"
    take_backup(source.ledger, source.store, LocalDestination(offsite, create=True))
    target = systems.target()
    args = ["restore", "--from", str(offsite), "--check", *source.pinned_args()]
    code, _, err = run_cli(monkeypatch, capsys, target.env(), *args)
    assert code == 1, err
    assert "联署无法验证" in err

    # Dropping the witness's cosignature as well: nothing of HRSS is witnessed any more.
    attacker("DELETE FROM ledger_cosignature WHERE agency = ?", (HRSS,))
    attacker.close()
    again = tmp_path / "offsite2"
    take_backup(source.ledger, source.store, LocalDestination(again, create=True))
    args = ["restore", "--from", str(again), "--check", *source.pinned_args()]
    code, out, _ = run_cli(monkeypatch, capsys, target.env(), *args)
    assert code == 3, out
    assert f"机关 {HRSS} 第 0–{size - 1} 条尚无见证联署" in out


def test_a_backup_made_under_another_agency_key_is_a_problem_against_the_pinned_key(
    systems: Systems,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = systems.source()
    # The forger's system: the same agencies and history, its own keys.
    forger = source_system(f"sqlite:///{tmp_path / 'forger.sqlite3'}", tmp_path / "forger")
    systems.opened.append(forger)
    assert forger.keys.root != real.keys.root
    offsite = tmp_path / "offsite"
    take_backup(forger.ledger, forger.store, LocalDestination(offsite, create=True))
    target = systems.target()
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        target.env(),
        "restore",
        "--from",
        str(offsite),
        "--check",
        *real.pinned_args(),
    )
    assert code == 1, err
    assert "与固定的公钥" in err and "换用其他密钥签名" in err
