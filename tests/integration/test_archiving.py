"""Generated documents are recorded, and the case file (案卷) is assembled and archived after the
act's end — late archiving is a finding of the engine (001 art. 26 for benxi-hrss: 30 days)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lawtrail import archive, bootstrap, services
from lawtrail import verify as offline
from lawtrail.core.caseio import parse_case
from lawtrail.core.engine import evaluate
from lawtrail.evidence.store import LocalMediaStore
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.verify import verify

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "benxi-hrss" / "compliant-wage-arrears.json"
TZ = ZoneInfo("Asia/Shanghai")
AGENCY = "benxi-hrss"


@dataclasses.dataclass
class World:
    ledger: Ledger
    store: LocalMediaStore
    case_number: str
    closed_at: datetime
    tmp: Path

    @property
    def renderer(self):  # type: ignore[no-untyped-def]
        return bootstrap.document_renderer(self.store)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    example = parse_case(json.loads(EXAMPLE.read_text("utf-8")))
    # The example is archived already; take it over as it stood at the act's end.
    case = dataclasses.replace(
        example,
        records=tuple(
            dataclasses.replace(r, media=()) for r in example.records if r.kind != "case_file"
        ),
    )
    closure = next(r for r in case.records if r.kind == "closure")
    ledger = Ledger(Database(database_url), KeyDirectory(tmp_path / "keys"), "lawtrail.local")
    services.do_import_case(ledger, case, now=closure.at + timedelta(hours=1))
    yield World(ledger, LocalMediaStore(tmp_path / "media"), case.case_number, closure.at, tmp_path)
    ledger.db.close()


def archive_case(
    world: World, at: datetime, **kwargs: str
) -> tuple[services.RecordedDocument, int]:
    volume, receipt = services.do_archive_case(
        world.ledger, world.store, world.renderer, AGENCY, world.case_number,
        archivist=kwargs.get("archivist", "a1"),
        volume_number=kwargs.get("volume", "本人社档〔2026〕15-1"),
        retention="永久", now=at, actor="archivist.wang",
    )  # fmt: skip
    return volume, receipt.seq


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_archiving_assembles_the_volume_and_records_it_with_the_case_file_record(
    world: World,
) -> None:
    at = world.closed_at + timedelta(days=10)
    volume, seq = archive_case(world, at)
    case = services.load_case(world.ledger, AGENCY, world.case_number)
    record = case.records[-1]
    assert record.kind == "case_file"
    assert record.fields["volume"] == volume.sha256
    assert record.fields["archivist"] == "a1"
    assert record.fields["volume_number"] == "本人社档〔2026〕15-1"
    catalog = volume.body["catalog"]
    assert [c["number"] for c in catalog] == list(range(1, len(catalog) + 1))
    # Every effective record is in the volume or (internal deliberation, this agency keeps a
    # 副卷) in the 副卷 recorded beside it, each starting after the previous one.
    side = world.ledger.entry(AGENCY, seq - 1)
    assert side is not None and side.type == "document"
    secondary = side.data()["document"]
    assert secondary["template"] == "case_volume_secondary"
    assert secondary["record"] == record.id
    listed = {c["record"] for c in catalog} | {c["record"] for c in secondary["catalog"]}
    assert listed == {r.id for r in case.records if r.kind != "case_file"}
    assert {c["title"] for c in secondary["catalog"]} >= {"法制审核意见书"}
    assert all(a["last_page"] < b["first_page"] for a, b in itertools.pairwise(catalog))
    assert record.fields["documents"][0].startswith("1. ")
    path = world.tmp / "volume.pdf"
    with world.store.open(volume.sha256) as fh:
        path.write_bytes(fh.read())
    text = pdf_text(path)
    for needle in (
        "案卷封面",
        "卷内目录",
        "备考表",
        world.case_number,
        "本溪市人力资源和社会保障局",
    ):
        assert needle.replace(" ", "") in text.replace(" ", ""), needle
    # The document entries precede the record, in the same transaction.
    entry = world.ledger.entry(AGENCY, seq - 2)
    assert entry is not None and entry.type == "document"
    assert entry.data()["document"]["template"] == "case_volume"
    assert entry.data()["actor"] == "archivist.wang"
    findings = evaluate(case, at=at + timedelta(days=60)).findings
    assert not [f for f in findings if f.rule == "hrss.archive.within_30_days"]


def test_archiving_more_than_30_days_after_the_end_is_a_finding(world: World) -> None:
    archive_case(world, world.closed_at + timedelta(days=31))
    case = services.load_case(world.ledger, AGENCY, world.case_number)
    late = [f for f in evaluate(case).findings if f.rule == "hrss.archive.within_30_days"]
    assert late and late[0].severity == "violation" and late[0].article == 24


def test_archiving_is_refused_before_the_end_and_for_an_unknown_archivist(
    world: World, database_url: str, tmp_path: Path
) -> None:
    with pytest.raises(services.ServiceError, match="不是本案人员"):
        archive_case(world, world.closed_at + timedelta(days=1), archivist="nobody")
    with pytest.raises(services.ServiceError, match="尚未终结"):
        archive_case(world, world.closed_at - timedelta(days=1))
    assert services.recorded_documents(world.ledger, AGENCY, world.case_number) == []


def test_a_case_archived_again_after_new_records_corrects_the_earlier_case_file(
    world: World,
) -> None:
    first, _ = archive_case(world, world.closed_at + timedelta(days=5))
    with pytest.raises(services.ServiceError, match="无需重新归档"):
        archive_case(world, world.closed_at + timedelta(days=6))
    services.do_append_record(
        world.ledger, AGENCY, world.case_number,
        {"id": "ce1", "kind": "court_enforcement",
         "at": (world.closed_at + timedelta(days=7)).isoformat(),
         "fields": {"application_document": "强制执行申请书", "court": "本溪市平山区人民法院",
                    "result": "已执行完毕"}},
        now=world.closed_at + timedelta(days=7),
    )  # fmt: skip
    second, _ = archive_case(
        world, world.closed_at + timedelta(days=8), volume="本人社档〔2026〕15-2"
    )
    assert second.sha256 != first.sha256
    case = services.load_case(world.ledger, AGENCY, world.case_number)
    files = [r for r in case.records if r.kind == "case_file"]
    assert len(files) == 2 and files[1].corrects is not None
    assert files[1].corrects.record == files[0].id
    assert [r.id for r in case.effective_records() if r.kind == "case_file"] == [files[1].id]


def test_a_generated_document_is_recorded_once_and_verified_with_the_media(world: World) -> None:
    generate = lambda fmt: services.do_generate_document(  # noqa: E731
        world.ledger, world.store, world.renderer, AGENCY, world.case_number, "decision",
        record_id="dc1", format=fmt, now=world.closed_at + timedelta(hours=2), actor="officer.li",
    )  # fmt: skip
    pdf = generate("pdf")
    again = generate("pdf")
    assert pdf.created and not again.created and again.seq == pdf.seq
    assert pdf.data.startswith(b"%PDF-") and pdf.body["pages"] >= 1
    docx = generate("docx")
    assert docx.created and docx.data.startswith(b"PK")
    documents = services.recorded_documents(world.ledger, AGENCY, world.case_number)
    assert [d["format"] for _, d in documents] == ["pdf", "docx"]
    keys = world.ledger.keys
    assert verify(world.ledger, keys, agency=AGENCY, media_store=world.store).problems == []
    # A generated document changed in the store is found like a changed video.
    path = world.store.path(pdf.sha256)
    path.chmod(0o600)
    path.write_bytes(pdf.data[:-10] + b"0000000000")
    report = verify(world.ledger, keys, agency=AGENCY, media_store=world.store)
    assert [p.media for p in report.problems] == [pdf.sha256]
    assert "文书" in report.problems[0].message
    with pytest.raises(services.ServiceError, match="没有记录"):
        services.do_generate_document(
            world.ledger, world.store, world.renderer, AGENCY, world.case_number, "decision",
            record_id="zz",
        )  # fmt: skip


def test_the_archive_package_of_an_archived_case_carries_its_volume(world: World) -> None:
    volume, _ = archive_case(world, world.closed_at + timedelta(days=3))
    bag = world.tmp / "bag"
    archive.export_case(
        world.ledger, world.store, world.ledger.keys, AGENCY, world.case_number, bag,
        now=world.closed_at + timedelta(days=4),
    )  # fmt: skip
    assert (bag / f"data/documents/{world.case_number}-案卷.pdf").read_bytes().startswith(b"%PDF-")
    report = json.loads((bag / "data/report/four-properties.json").read_text("utf-8"))
    volume_check = next(c for c in report["checks"] if c["item"] == "案卷")
    assert volume_check["result"] == "通过"
    result = offline.verify_package(bag)
    assert result.problems == []
    # The volume and, beside it, the 副卷 of internal deliberation (this agency keeps one).
    assert result.documents == 2
    assert (bag / f"data/documents/{world.case_number}-案卷（副卷）.pdf").is_file()
    assert volume.sha256 in (bag / "data/ledger/proofs.json").read_text("utf-8")
