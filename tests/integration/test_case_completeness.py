"""Completeness of a case (issue #12 item 4): the 案卷归档 (``case_file``) record commits to
every ledger entry of the case before it, so that an archive package that leaves one out — even
one an insider re-manifested and re-signed with the agency's key — is caught offline, and an
export from a database whose ``case_number`` column was edited is refused."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import bagit
import pytest

from lawtrail import archive, services
from lawtrail import verify as offline
from lawtrail.core import completeness, merkle, notes
from lawtrail.core.caseio import parse_case
from lawtrail.evidence.store import LocalMediaStore
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from tests.dbfixtures import RawSQL
from tests.integration.test_archive_package import _remanifest
from tests.integration.test_archiving import AGENCY, EXAMPLE
from tests.integration.test_archiving import World as _ArchivingWorld
from tests.integration.test_archiving import archive_case as _archive_case


@dataclasses.dataclass
class World(_ArchivingWorld):
    url: str = ""


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    example = parse_case(json.loads(EXAMPLE.read_text("utf-8")))
    case = dataclasses.replace(
        example,
        records=tuple(
            dataclasses.replace(r, media=()) for r in example.records if r.kind != "case_file"
        ),
    )
    closure = next(r for r in case.records if r.kind == "closure")
    ledger = Ledger(Database(database_url), KeyDirectory(tmp_path / "keys"), "lawtrail.local")
    services.do_import_case(ledger, case, now=closure.at + timedelta(hours=1))
    store = LocalMediaStore(tmp_path / "media")
    yield World(ledger, store, case.case_number, closure.at, tmp_path, database_url)
    ledger.db.close()


def archive_case(world: World, days: int, volume: str = "本人社档〔2026〕15-1") -> int:
    return _archive_case(world, world.closed_at + timedelta(days=days), volume=volume)[1]


def add_record(world: World, record_id: str, days: int) -> int:
    at = world.closed_at + timedelta(days=days)
    receipt = services.do_append_record(
        world.ledger, AGENCY, world.case_number,
        {"id": record_id, "kind": "court_enforcement", "at": at.isoformat(),
         "fields": {"application_document": "强制执行申请书", "court": "本溪市平山区人民法院",
                    "result": "已执行完毕"}},
        now=at,
    )  # fmt: skip
    return receipt.seq


def export(world: World, name: str = "bag", days: int = 20) -> Path:
    dest = world.tmp / name
    archive.export_case(
        world.ledger, world.store, world.ledger.keys, AGENCY, world.case_number, dest,
        now=world.closed_at + timedelta(days=days),
    )  # fmt: skip
    return dest


def pinned_key(world: World) -> str:
    return (world.tmp / "keys" / f"{AGENCY}.vkey").read_text("utf-8")


def case_entries(world: World, before: int) -> list[int]:
    return [
        e.seq
        for e in world.ledger.entries(AGENCY, case_number=world.case_number)
        if e.type != "access" and e.seq < before
    ]


def commitment_of(world: World, seq: int) -> completeness.Commitment:
    entry = world.ledger.entry(AGENCY, seq)
    assert entry is not None
    found = completeness.from_record(seq, entry.data()["record"])
    assert found is not None
    return found


def resign(world: World, bag: Path) -> None:
    """The insider: sign the re-made manifests with the agency's own key."""
    head = notes.parse_note((bag / offline.SIGNATURE_FILE).read_text("utf-8")).text
    lines = head.splitlines()[:5]
    names = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
    names += [f"tagmanifest-{a}.txt" for a in ("sha256", "sha512", "sm3")]
    text = "\n".join(lines) + "\n"
    text += "".join(
        f"{n} sha256:{hashlib.sha256((bag / n).read_bytes()).hexdigest()}\n" for n in names
    )
    signer = world.ledger.keys.signer(AGENCY, world.ledger.origin(AGENCY))
    note = notes.sign_note(text, signer)
    (bag / offline.SIGNATURE_FILE).write_text(notes.format_note(note), "utf-8")


def test_archiving_commits_to_every_entry_of_the_case_and_the_package_proves_it(
    world: World,
) -> None:
    filed = archive_case(world, 3)
    commitment = commitment_of(world, filed)
    # Every entry before the case_file record — the case header, the records, the volume just
    # assembled — and no access entry.
    assert list(commitment.seqs) == case_entries(world, filed)
    assert commitment.seqs[-1] == filed - 1  # the archiving's own 案卷 document
    assert commitment.log == world.ledger.origin(AGENCY)
    leaves = [(s, world.ledger.entry(AGENCY, s).leaf_hash) for s in commitment.seqs]  # type: ignore[union-attr]
    assert commitment.digest == completeness.digest(leaves)
    assert all(leaf == merkle.leaf_hash(world.ledger.entry(AGENCY, s).body) for s, leaf in leaves)  # type: ignore[union-attr]
    bag = export(world)
    report = json.loads((bag / "data/report/four-properties.json").read_text("utf-8"))
    check = next(c for c in report["checks"] if c["item"] == "归档时条目齐全")
    assert check["result"] == "通过" and f"第 {filed} 条" in check["detail"]
    result = offline.verify_package(bag, key=pinned_key(world))
    assert result.problems == []
    assert f"{commitment.count} 个账本条目均在包内" in result.completeness
    assert not any("归档之后" in n for n in result.notes)


def test_an_entry_left_out_by_an_insider_who_resigns_the_package_is_named_by_its_seq(
    world: World,
) -> None:
    archive_case(world, 3)
    bag = export(world)
    proofs = json.loads((bag / "data/ledger/proofs.json").read_text("utf-8"))
    item = next(e for e in proofs["entries"] if e["type"] == "record")
    seq = item["seq"]
    # Take the record out of everything that names it, re-make the manifests, re-sign.
    (bag / item["file"]).unlink()
    proofs["entries"].remove(item)
    (bag / "data/ledger/proofs.json").write_text(
        json.dumps(proofs, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    case = json.loads((bag / "data/case.json").read_text("utf-8"))
    case["records"] = [r for r in case["records"] if r["id"] != item["ref"]]
    (bag / "data/case.json").write_text(json.dumps(case, ensure_ascii=False, indent=2), "utf-8")
    _remanifest(bag)
    resign(world, bag)
    bagit.Bag(str(bag)).validate()  # a careful insider: the bag itself is consistent
    found = offline.verify_package(bag, key=pinned_key(world)).problems
    assert [(p.kind, p.file) for p in found] == [("missing", item["file"])], found
    assert f"本案第 {seq} 条账本条目缺失" in found[0].message
    out = io.StringIO()
    assert offline.main([str(bag), "--key", str(world.tmp / "keys" / f"{AGENCY}.vkey")], out) == 1
    assert f"本案第 {seq} 条账本条目缺失" in out.getvalue()


def test_an_entry_the_archiving_did_not_commit_to_is_named_as_added(world: World) -> None:
    filed = archive_case(world, 3)
    commitment = commitment_of(world, filed)
    smaller = dataclasses.replace(commitment, seqs=commitment.seqs[1:], count=commitment.count - 1)
    held = [(s, world.ledger.entry(AGENCY, s).leaf_hash) for s in commitment.seqs]  # type: ignore[union-attr]
    assert completeness.compare(smaller, held) == ([], [commitment.seqs[0]], True)
    assert completeness.compare(commitment, held[1:]) == ([commitment.seqs[0]], [], False)
    assert completeness.compare(commitment, held) == ([], [], True)


def test_export_refuses_when_an_entrys_case_number_column_was_edited(world: World) -> None:
    filed = archive_case(world, 3)
    moved = commitment_of(world, filed).seqs[2]
    raw = RawSQL(world.url)
    try:
        raw(
            "UPDATE ledger_entry SET case_number = ? WHERE agency = ? AND seq = ?",
            ("本人社〔2026〕999号", AGENCY, moved),
        )
    finally:
        raw.close()
    with pytest.raises(archive.ExportError, match=f"第 {moved} 条") as caught:
        export(world)
    assert "案号列被改动" in str(caught.value) and world.case_number in str(caught.value)
    assert not (world.tmp / "bag").exists()


def test_a_case_archived_again_commits_to_the_records_since(world: World) -> None:
    first = archive_case(world, 3)
    later = add_record(world, "ce1", 7)
    second = archive_case(world, 8, volume="本人社档〔2026〕15-2")
    commitment = commitment_of(world, second)
    assert {first, later} <= set(commitment.seqs)
    assert list(commitment.seqs) == case_entries(world, second)
    bag = export(world)
    result = offline.verify_package(bag, key=pinned_key(world))
    assert result.problems == []
    assert f"第 {second} 条" in result.completeness
    assert not any("归档之后" in n for n in result.notes)


def test_entries_after_the_latest_archiving_are_reported_as_not_covered(world: World) -> None:
    filed = archive_case(world, 3)
    later = add_record(world, "ce1", 7)
    bag = export(world)
    result = offline.verify_package(bag, key=pinned_key(world))
    assert result.problems == []  # not an error
    note = next(n for n in result.notes if n.startswith("归档之后的条目未经完整性承诺"))
    assert f"第 {later} 条" in note
    assert f"第 {filed} 条" in result.completeness
    report = json.loads((bag / "data/report/four-properties.json").read_text("utf-8"))
    check = next(c for c in report["checks"] if c["item"] == "归档之后的条目")
    assert check["result"] == "提示" and str(later) in check["detail"]


def test_a_case_never_archived_by_the_system_has_no_commitment_and_says_so(
    world: World,
) -> None:
    bag = export(world)
    result = offline.verify_package(bag, key=pinned_key(world))
    assert result.problems == [] and result.completeness == "无归档承诺"
    assert any("没有带完整性承诺的归档记录" in n for n in result.notes)


def test_a_commitment_cannot_be_entered_by_hand(world: World) -> None:
    at = (world.closed_at + timedelta(days=2)).isoformat()
    record = {
        "id": "cf-hand",
        "kind": "case_file",
        "at": at,
        "fields": {"archivist": "a1", "volume_number": "1", "ledger_count": 0},
    }
    with pytest.raises(services.ServiceError, match="不能手工填写"):
        services.do_append_record(world.ledger, AGENCY, world.case_number, record)


def test_commitment_ranges_round_trip() -> None:
    seqs = [0, 1, 2, 3, 7, 9, 10]
    assert completeness.format_seqs(seqs) == "0-3, 7, 9-10"
    assert completeness.parse_seqs("0-3, 7, 9-10") == seqs
    assert completeness.parse_seqs("") == []
    for bad in ("3-1", "1, 1", "x", "2, 1"):
        with pytest.raises(ValueError, match=r"range|overlap|invalid literal"):
            completeness.parse_seqs(bad)
    assert completeness.digest([]) != completeness.digest([(0, bytes(32))])
    assert completeness.digest([(0, bytes(32))]) != completeness.digest([(1, bytes(32))])
