"""The archive package of a case (BagIt) and the offline verifier (issue #5).

The export of an example case validates with bagit-python and with `lawtrail-verify`; changing
one byte of any file, removing any file, adding one, or altering a record is each reported by
the verifier with the file named — also when the tamperer recomputes the manifests.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import bagit
import pytest

from lawtrail import archive, services
from lawtrail import verify as offline
from lawtrail.core import notes
from lawtrail.core.caseio import parse_case
from lawtrail.evidence.store import LocalMediaStore
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.witness import Witness

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tonghua-market" / "compliant-ex-officio-penalty.json"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x01\x02\x03" * 3000
PDF = b"%PDF-1.7\n% LawTrail test document\n" + b"0 " * 2000 + b"\n%%EOF\n"


@dataclasses.dataclass
class World:
    ledger: Ledger
    keys: KeyDirectory
    store: LocalMediaStore
    agency: str
    case_number: str
    tmp: Path
    witness: Witness

    def pinned_key(self) -> str:
        """The agency's key as the supervisor holds it (pinned with --key)."""
        return (self.tmp / "keys" / f"{self.agency}.vkey").read_text("utf-8")

    def witness_key(self) -> str:
        return self.witness.signer.verifier().verifier_key() + "\n"

    def pinned_files(self) -> list[str]:
        """--key and --witness-key arguments: the supervisor's copies of the two keys."""
        folder = self.tmp / "pinned"
        folder.mkdir(exist_ok=True)
        (folder / "agency.vkey").write_text(self.pinned_key(), "utf-8")
        (folder / "witness.vkey").write_text(self.witness_key(), "utf-8")
        return ["--key", str(folder / "agency.vkey"), "--witness-key", str(folder / "witness.vkey")]

    def cosign(self) -> None:
        """The witness catches up: every entry is covered by a cosigned checkpoint."""
        self.witness.cosign(self.ledger, self.agency)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    keys = KeyDirectory(tmp_path / "keys")
    ledger = Ledger(Database(database_url), keys, "lawtrail.local", clock=lambda: NOW)
    store = LocalMediaStore(tmp_path / "media")
    example = parse_case(json.loads(EXAMPLE.read_text("utf-8")))
    # The example's media digests name files that exist only on the example's camera; the
    # test ingests real bytes and attaches them to a record of its own.
    case = dataclasses.replace(
        example, records=tuple(dataclasses.replace(r, media=()) for r in example.records)
    )
    services.do_import_case(ledger, case, now=NOW)
    photo = services.do_ingest_media(
        ledger, store, case.agency, case.case_number, [JPEG], type="photo",
        captured_at=NOW, uploader="张明", filename="IMG_0001.JPG", now=NOW,
    )  # fmt: skip
    video = services.do_ingest_media(
        ledger, store, case.agency, case.case_number, [MP4], type="video",
        captured_at=NOW, uploader="张明", filename="执法记录仪.mp4", now=NOW,
    )  # fmt: skip
    officer = case.people[0].id
    services.do_append_record(
        ledger,
        case.agency,
        case.case_number,
        {
            "id": "r-site",
            "kind": "site_inspection",
            "at": "2026-11-23T09:00:00+08:00",
            "fields": {
                "location": "通化市东昌区新华大街88号仓库",
                "findings": "查见涉案商品十二箱",
            },
            "officers": [{"person": officer, "certificate_shown": True}],
            "media": [{"sha256": photo.media.sha256}, {"sha256": video.media.sha256}],
        },
        now=NOW,
    )
    rendered = SimpleNamespace(
        template="decision",
        format="pdf",
        data=PDF,
        pages=1,
        filename="r-site-行政执法决定书.pdf",
        media_type="application/pdf",
    )
    services.do_record_document(
        ledger,
        store,
        case.agency,
        case.case_number,
        rendered,
        record_id="r-site",
        now=NOW,  # type: ignore[arg-type]
    )
    signer = notes.CosignatureSigner.generate("yifazhishi.tonghua.example")
    keys.add_witness(signer.verifier().verifier_key())
    witness = Witness(signer, tmp_path / "witness")
    witness.cosign(ledger, case.agency)
    # One more entry after the cosignature: the package must prove the cosigned checkpoint
    # consistent with the later one its proofs are against.
    services.do_append_record(
        ledger,
        case.agency,
        case.case_number,
        {"id": "r-note", "kind": "performance", "at": "2026-11-23T09:30:00+08:00",
         "fields": {"status": "performed", "details": "当事人已缴纳罚没款"}},
        now=NOW,
    )  # fmt: skip
    yield World(ledger, keys, store, case.agency, case.case_number, tmp_path, witness)
    ledger.db.close()


def export(world: World, name: str = "bag") -> Path:
    dest = world.tmp / name
    archive.export_case(
        world.ledger, world.store, world.keys, world.agency, world.case_number, dest, now=NOW
    )
    return dest


def problems(bag: Path, **kwargs: object) -> list[offline.Problem]:
    return offline.verify_package(bag, **kwargs).problems  # type: ignore[arg-type]


def files_of(bag: Path) -> list[str]:
    return sorted(p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file())


def test_export_holds_every_record_file_proof_and_key_and_validates_with_bagit(
    world: World,
) -> None:
    bag = export(world)
    bagit.Bag(str(bag)).validate()
    names = files_of(bag)
    proofs = json.loads((bag / "data/ledger/proofs.json").read_text("utf-8"))
    case = json.loads((bag / "data/case.json").read_text("utf-8"))
    assert case["case_number"] == world.case_number
    assert len(proofs["entries"]) == sum(1 for n in names if n.startswith("data/ledger/entries/"))
    assert {e["type"] for e in proofs["entries"]} == {"case", "record", "media", "document"}
    sha_jpeg = hashlib.sha256(JPEG).hexdigest()
    sha_mp4 = hashlib.sha256(MP4).hexdigest()
    assert f"data/media/{sha_jpeg}.jpg" in names
    assert f"data/media/{sha_mp4}.mp4" in names
    assert "data/documents/r-site-行政执法决定书.pdf" in names
    assert (bag / "data/documents/r-site-行政执法决定书.pdf").read_bytes() == PDF
    assert f"data/keys/{world.agency}.vkey" in names
    assert any(n.startswith("data/keys/witnesses/") for n in names)
    assert proofs["cosigned"] and proofs["cosigned"][0]["size"] < proofs["tree_size"]
    for manifest in ("manifest-sha256.txt", "manifest-sha512.txt"):
        assert manifest in names
    for tagmanifest in ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt", "tagmanifest-sm3.txt"):
        assert tagmanifest in names
    sm3_lines = (bag / "tagmanifest-sm3.txt").read_text("utf-8").splitlines()
    digest, name = sm3_lines[0].split(maxsplit=1)
    assert digest == hashlib.new("sm3", (bag / name).read_bytes()).hexdigest()
    assert (bag / "bagit.txt").read_text("utf-8").startswith("BagIt-Version: 1.0\n")
    info = (bag / "bag-info.txt").read_text("utf-8")
    assert "Source-Organization: 通化市市场监督管理局" in info
    assert f"External-Identifier: {world.case_number}" in info


def test_four_property_report_is_made_at_export(world: World) -> None:
    bag = export(world)
    report = json.loads((bag / "data/report/four-properties.json").read_text("utf-8"))
    assert list(report["verdicts"]) == ["真实性", "完整性", "可用性", "安全性"]
    assert all(v == "通过" for v in report["verdicts"].values()), report
    items = {(c["property"], c["item"]): c for c in report["checks"]}
    assert items[("真实性", "账本包含证明")]["result"] == "通过"
    assert items[("真实性", "见证方联署")]["result"] == "通过"
    assert "2 个音像文件、1 份文书" in items[("真实性", "音像资料与文书的摘要")]["detail"]
    text = (bag / "data/report/four-properties.txt").read_text("utf-8")
    assert "【可用性】通过" in text and world.case_number in text


def test_offline_verifier_finds_an_exported_package_intact(world: World) -> None:
    world.cosign()
    bag = export(world)
    result = offline.verify_package(bag, key=world.pinned_key(), witness_keys=[world.witness_key()])
    assert result.problems == []
    assert result.verdict.reasons == []
    assert result.intact and result.status == "intact"
    assert result.entries == len(
        json.loads((bag / "data/ledger/proofs.json").read_bytes())["entries"]
    )
    assert (result.media, result.documents) == (2, 1)
    assert result.key_source == "固定的公钥（--key）"
    assert result.witnessed == result.tree_size


def test_changing_one_byte_of_any_file_is_reported_with_that_file(world: World) -> None:
    bag = export(world)
    for name in files_of(bag):
        copy = world.tmp / "tampered"
        shutil.copytree(bag, copy)
        path = copy / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        found = problems(copy)
        assert name in {p.file for p in found}, (name, found)
        shutil.rmtree(copy)


def test_removing_any_file_is_reported_with_that_file(world: World) -> None:
    bag = export(world)
    for name in files_of(bag):
        copy = world.tmp / "removed"
        shutil.copytree(bag, copy)
        (copy / name).unlink()
        found = problems(copy)
        assert name in {p.file for p in found}, (name, found)
        missing_kinds = {p.kind for p in found if p.file == name}
        assert missing_kinds & {"missing", "manifest_invalid", "signature_invalid", "modified"}
        shutil.rmtree(copy)


@pytest.mark.parametrize(
    "name",
    ["data/media/extra.jpg", "data/documents/补充材料.pdf", "data/ledger/entries/9999999999.json",
     "data/notes.txt", "extra-tag.txt"],
)  # fmt: skip
def test_adding_a_file_is_reported_with_that_file(world: World, name: str) -> None:
    bag = export(world)
    (bag / name).write_bytes(b"\xff\xd8\xff added")
    found = problems(bag)
    assert [(p.kind, p.file) for p in found if p.kind == "added"] == [("added", name)]


def _remanifest(bag: Path) -> None:
    """What a careful tamperer does: recompute the Payload-Oxum, every manifest and tag
    manifest."""
    payload = [bag / n for n in files_of(bag) if n.startswith("data/")]
    oxum = f"Payload-Oxum: {sum(p.stat().st_size for p in payload)}.{len(payload)}"
    info = (bag / "bag-info.txt").read_text("utf-8").splitlines()
    info = [oxum if line.startswith("Payload-Oxum:") else line for line in info]
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n", "utf-8")
    for algorithm in ("sha256", "sha512"):
        lines = []
        for name in files_of(bag):
            if name.startswith("data/"):
                digest = hashlib.new(algorithm, (bag / name).read_bytes()).hexdigest()
                lines.append(f"{digest}  {name}\n")
        (bag / f"manifest-{algorithm}.txt").write_text("".join(lines), "utf-8")
    tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
    for algorithm in ("sha256", "sha512", "sm3"):
        lines = [
            f"{hashlib.new(algorithm, (bag / t).read_bytes()).hexdigest()}  {t}\n" for t in tags
        ]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines), "utf-8")


def test_altering_a_record_in_the_case_json_is_reported_even_with_recomputed_manifests(
    world: World,
) -> None:
    bag = export(world)
    case_file = bag / "data/case.json"
    case = json.loads(case_file.read_text("utf-8"))
    target = next(r for r in case["records"] if r["id"] == "r-site")
    target["fields"]["findings"] = "未查见涉案商品"
    case_file.write_text(json.dumps(case, ensure_ascii=False, indent=2), "utf-8")
    _remanifest(bag)
    bagit.Bag(str(bag)).validate()  # the bag alone no longer tells
    found = problems(bag)
    altered = [p for p in found if p.kind == "record_altered"]
    assert [p.file for p in altered] == ["data/case.json"]
    assert "r-site" in altered[0].message and "fields.findings" in altered[0].message
    # The manifests the agency signed no longer match either.
    assert {p.file for p in found if p.kind == "modified"} >= {"manifest-sha256.txt"}


def test_altering_a_ledger_entry_is_reported_with_the_entry_file(world: World) -> None:
    bag = export(world)
    proofs = json.loads((bag / "data/ledger/proofs.json").read_text("utf-8"))
    item = next(e for e in proofs["entries"] if e["ref"] == "r-site")
    path = bag / item["file"]
    path.write_bytes(path.read_bytes().replace("十二箱".encode(), "两箱".encode()))
    _remanifest(bag)
    found = problems(bag)
    assert item["file"] in {p.file for p in found if p.kind == "record_altered"}


def test_a_package_resigned_with_another_key_fails_against_the_pinned_key(
    world: World,
) -> None:
    bag = export(world)
    pinned = (world.tmp / "keys" / f"{world.agency}.vkey").read_text("utf-8")
    origin = world.ledger.origin(world.agency)
    forger = notes.Ed25519Signer.generate(origin)
    # Re-sign everything with the forger's key, replace the key in the package.
    for rel in ["data/ledger/checkpoint.txt", "bag-signature.txt"]:
        note = notes.parse_note((bag / rel).read_text("utf-8"))
        (bag / rel).write_text(notes.format_note(notes.sign_note(note.text, forger)), "utf-8")
    (bag / f"data/keys/{world.agency}.vkey").write_text(forger.verifier_key() + "\n", "utf-8")
    # Judged by the key the forger put in it, the package is never 完好: its key is not pinned.
    unpinned = offline.verify_package(bag)
    assert unpinned.status != "intact"
    assert any("--key" in r.message for r in unpinned.verdict.reasons)
    found = problems(bag, key=pinned)
    assert {"data/ledger/checkpoint.txt", "bag-signature.txt"} <= {
        p.file for p in found if p.kind == "signature_invalid"
    }


def test_export_refuses_an_existing_destination_and_a_missing_case(world: World) -> None:
    bag = export(world)
    with pytest.raises(archive.ExportError, match="已存在"):
        export(world)
    assert bag.is_dir()
    with pytest.raises(archive.ExportError, match="不存在"):
        archive.export_case(
            world.ledger, world.store, world.keys, world.agency, "无此案", world.tmp / "x", now=NOW
        )
    assert not (world.tmp / "x").exists()
    assert [p.name for p in world.tmp.iterdir() if p.name.startswith(".x.")] == []


def test_export_refuses_when_a_media_file_is_missing_from_the_store(world: World) -> None:
    sha = hashlib.sha256(MP4).hexdigest()
    world.store.path(sha).chmod(0o600)
    world.store.path(sha).unlink()
    with pytest.raises(archive.ExportError, match=sha):
        export(world)
    bag = world.tmp / "incomplete"
    archive.export_case(
        world.ledger, world.store, world.keys, world.agency, world.case_number, bag,
        now=NOW, allow_missing_media=True,
    )  # fmt: skip
    report = json.loads((bag / "data/report/four-properties.json").read_text("utf-8"))
    assert report["verdicts"]["完整性"] == "不通过"
    assert any(p.kind == "missing" and sha in p.file for p in problems(bag))


def test_verifier_cli_reports_in_chinese_and_json_with_exit_codes(world: World) -> None:
    bag = export(world)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    unpinned = subprocess.run(
        [sys.executable, "-m", "lawtrail.verify", str(bag)], capture_output=True, text=True, env=env
    )
    assert unpinned.returncode == 3, unpinned.stdout + unpinned.stderr
    assert "结果：未验证" in unpinned.stdout and "--key" in unpinned.stdout
    pinned = world.pinned_files()
    ok = subprocess.run(
        [sys.executable, "-m", "lawtrail.verify", *pinned, str(bag)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    # The world's last record came after the witness's cosignature: named, not verified.
    last = max(e.seq for e in world.ledger.entries(world.agency, case_number=world.case_number))
    assert ok.returncode == 3, ok.stdout + ok.stderr
    assert f"第 {last} 条尚无见证联署" in ok.stdout
    relaxed = subprocess.run(
        [sys.executable, "-m", "lawtrail.verify", *pinned, "--allow-unwitnessed", str(bag)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert "结果：完好" in relaxed.stdout and "未要求见证联署" in relaxed.stdout
    sha = hashlib.sha256(JPEG).hexdigest()
    (bag / f"data/media/{sha}.jpg").write_bytes(b"\xff\xd8\xff changed")
    bad = subprocess.run(
        [sys.executable, "-m", "lawtrail.verify", "--json", str(bag)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert bad.returncode == 1
    data = json.loads(bad.stdout)
    assert (data["status"], data["intact"]) == ("problems", False)
    assert f"data/media/{sha}.jpg" in {p["file"] for p in data["problems"]}
    missing = subprocess.run(
        [sys.executable, "-m", "lawtrail.verify", str(world.tmp / "nothing")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert missing.returncode == 2 and "无法核验" in missing.stdout


BLOCKER = r"""
import importlib.abc, sys
ALLOWED = {"lawtrail", "cryptography", "_cffi_backend", "cffi"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in ALLOWED:
            if top == "lawtrail" and name not in (
                "lawtrail", "lawtrail.verify", "lawtrail.core", "lawtrail.core.merkle",
                "lawtrail.core.notes", "lawtrail.core.completeness", "lawtrail.core.verdict",
                "lawtrail.evidence",
                "lawtrail.evidence.hashing",
            ):
                raise ImportError(f"offline verifier imported {name}")
            return None
        raise ImportError(f"offline verifier imported {name}")
sys.meta_path.insert(0, Block())
from lawtrail import verify
sys.exit(verify.main(sys.argv[1:]))
"""


def test_offline_verifier_needs_only_the_standard_library_and_cryptography(
    world: World,
) -> None:
    world.cosign()
    bag = export(world)
    run = subprocess.run(
        [sys.executable, "-c", BLOCKER, *world.pinned_files(), str(bag)],
        capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "结果：完好" in run.stdout


def test_export_command_writes_the_package_logs_the_export_and_checks_it(
    world: World,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from lawtrail.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LAWTRAIL_KEYS_DIR", str(world.tmp / "keys"))
    monkeypatch.setenv("LAWTRAIL_MEDIA_STORE", f"file://{world.tmp / 'media'}")
    monkeypatch.setenv("LAWTRAIL_LOG_ORIGIN_BASE", "lawtrail.local")
    dest = world.tmp / "cli-bag"
    args = ["export", "--agency", world.agency, "--case", world.case_number, "--to", str(dest)]
    code = main([*args, "--check", "--actor", "档案员王芳"])
    out = capsys.readouterr().out
    assert code == 0, out
    # The self-check uses the system's own keys (said so); the record after the witness's
    # cosignature is named as not yet witnessed — and nothing is a problem.
    assert "bagit 校验：通过" in out and "【真实性】通过" in out
    assert "结果：未验证" in out and "尚无见证联署" in out and "有问题" not in out
    assert "未固定公钥：以被核验系统自带的公钥核验" in out
    access = list(
        world.ledger.entries(world.agency, case_number=world.case_number, types=("access",))
    )
    assert access[-1].data()["access"]["action"] == "export"
    assert access[-1].data()["access"]["user"] == "档案员王芳"
    assert main(args) == 1  # the destination exists now
    assert "已存在" in capsys.readouterr().err
