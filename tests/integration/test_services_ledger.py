"""The services on a real ledger (SQLite and PostgreSQL): what they store, what they refuse,
and how a late upload becomes a finding of the rule engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lawtrail.core import notes
from lawtrail.core.engine import evaluate
from lawtrail.core.model import Case
from lawtrail.evidence.store import LocalMediaStore
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, LedgerIntegrityError
from lawtrail.ledger.verify import verify
from lawtrail.ledger.witness import Witness, WitnessError, read_state
from lawtrail.services import (
    ServiceError,
    do_append_record,
    do_ingest_media,
    do_open_case,
    load_case,
)
from tests.builders import PEOPLE, fired, t
from tests.dbfixtures import RawSQL

CASE = "测〔2026〕7号"
CLOSURE = {
    "id": "r1",
    "kind": "closure",
    "at": "2026-09-02T10:00:00+08:00",
    "fields": {"reason": "x"},
}


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(Database(database_url), KeyDirectory(tmp_path / "keys"), "lawtrail.local")
    yield led
    led.db.close()


@pytest.fixture
def store(tmp_path: Path) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "media")


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


def ingest(ledger: Ledger, store: LocalMediaStore, agency: str, now: str, data: bytes = b"v"):  # type: ignore[no-untyped-def]
    return do_ingest_media(
        ledger,
        store,
        agency,
        CASE,
        [data * 1000],
        type="video",
        captured_at=t("2026-09-30 09:00"),  # Wed, before the National Day holiday
        completed_at=t("2026-09-30 09:30"),
        uploader="张明",
        device="body_camera",
        labels={"case_number": CASE, "party": "某公司", "handler": "张明"},
        now=t(now),
    )


def inspection(sha256: str, rid: str = "r1") -> dict:  # type: ignore[type-arg]
    return {
        "id": rid,
        "kind": "site_inspection",
        "at": "2026-09-30T09:00:00+08:00",
        "fields": {"location": "仓库", "findings": "发现假冒商品"},
        "media": [{"sha256": sha256}],
    }


def test_a_video_ingested_after_24_hours_is_a_finding_for_the_market_agency(
    ledger: Ledger, store: LocalMediaStore
) -> None:
    open_case(ledger, "tonghua-market")
    late = ingest(ledger, store, "tonghua-market", "2026-10-01 10:00")  # 24.5 h after the end
    do_append_record(
        ledger, "tonghua-market", CASE, inspection(late.media.sha256), now=t("2026-10-01 11:00")
    )
    case = load_case(ledger, "tonghua-market", CASE)
    media = case.records[0].media[0]
    assert media.ingested_at == t("2026-10-01 10:00")  # the server clock, from the ledger
    assert (media.sha256, media.uploader, media.labels["handler"]) == (
        late.media.sha256,
        "张明",
        "张明",
    )
    findings = fired(evaluate(case, at=t("2026-10-02 12:00")), "market.av.ingest_24h")
    assert [f.article for f in findings] == [32]


def test_the_same_delay_is_on_time_under_two_working_days_for_the_statistics_agency(
    ledger: Ledger, store: LocalMediaStore
) -> None:
    # 004 art. 14: 2 working days. Captured Wed 30 Sep; Oct 1–7 are holidays, so an upload
    # on Oct 8 is still within the period although more than a week has passed.
    open_case(ledger, "luanchuan-stats")
    media = ingest(ledger, store, "luanchuan-stats", "2026-10-08 10:00")
    do_append_record(
        ledger, "luanchuan-stats", CASE, inspection(media.media.sha256), now=t("2026-10-08 11:00")
    )
    case = load_case(ledger, "luanchuan-stats", CASE)
    assert fired(evaluate(case, at=t("2026-10-09 12:00")), "stats.av.ingest_2wd") == []


def test_a_record_citing_media_that_was_never_uploaded_is_refused_and_nothing_stored(
    ledger: Ledger,
) -> None:
    open_case(ledger, "tonghua-market")
    size = ledger.size("tonghua-market")
    with pytest.raises(ServiceError, match="尚未入库") as caught:
        do_append_record(ledger, "tonghua-market", CASE, inspection("ab" * 32))
    assert caught.value.issues[0].path == "$.media[0].sha256"
    assert ledger.size("tonghua-market") == size


@pytest.mark.parametrize(
    ("record", "path", "message"),
    [
        ({"id": "r1", "kind": "no_such_kind", "at": "2026-09-02T10:00:00+08:00"}, "kind", ""),
        ({"id": "r1", "kind": "closure", "at": "2026-09-02T10:00:00"}, "at", "时区"),
        (
            {
                "id": "r1",
                "kind": "site_inspection",
                "at": "2026-09-02T10:00:00+08:00",
                "fields": {"location": "仓库", "colour": "红"},
            },
            "fields.colour",
            "未知",
        ),
    ],
)
def test_bad_records_are_refused_with_a_chinese_message_and_nothing_stored(
    ledger: Ledger,
    record: dict,
    path: str,
    message: str,  # type: ignore[type-arg]
) -> None:
    open_case(ledger, "tonghua-market")
    size = ledger.size("tonghua-market")
    with pytest.raises(ServiceError) as caught:
        do_append_record(ledger, "tonghua-market", CASE, record)
    assert any(path in i.path and message in i.message for i in caught.value.issues)
    assert ledger.size("tonghua-market") == size
    assert verify(ledger, ledger.keys, agency="tonghua-market").problems == []


def test_a_case_number_cannot_be_opened_twice(ledger: Ledger) -> None:
    open_case(ledger, "tonghua-market")
    with pytest.raises(ServiceError, match="已存在"):
        open_case(ledger, "tonghua-market")


def test_the_same_bytes_uploaded_twice_are_stored_once(
    ledger: Ledger, store: LocalMediaStore
) -> None:
    open_case(ledger, "tonghua-market")
    first = ingest(ledger, store, "tonghua-market", "2026-09-30 10:00")
    again = ingest(ledger, store, "tonghua-market", "2026-09-30 11:00")
    assert first.created and not again.created
    assert first.media.sha256 == again.media.sha256


def test_the_recorded_time_is_the_servers_not_the_clients(ledger: Ledger) -> None:
    open_case(ledger, "tonghua-market")
    record = {
        "id": "r1",
        "kind": "closure",
        "at": "2026-09-02T10:00:00+08:00",
        "recorded_at": "2020-01-01T00:00:00+08:00",  # a client trying to back-date
        "fields": {"reason": "结案"},
    }
    receipt = do_append_record(ledger, "tonghua-market", CASE, record, now=t("2026-09-03 08:00"))
    case = load_case(ledger, "tonghua-market", CASE)
    assert case.records[0].recorded_at == t("2026-09-03 08:00") == receipt.recorded_at


# ---------------------------------------------------------------------------- witness


def test_the_witness_cosigns_a_grown_log_and_refuses_a_rolled_back_one(
    ledger: Ledger, tmp_path: Path
) -> None:
    open_case(ledger, "tonghua-market")
    signer = notes.CosignatureSigner.generate("yifazhishi.example")
    witness = Witness(signer, tmp_path / "witness")
    first = witness.cosign(ledger, "tonghua-market")
    do_append_record(
        ledger,
        "tonghua-market",
        CASE,
        {
            "id": "r1",
            "kind": "closure",
            "at": "2026-09-02T10:00:00+08:00",
            "fields": {"reason": "x"},
        },
    )
    second = witness.cosign(ledger, "tonghua-market")
    assert (first.size, second.size) == (1, 2)
    assert [s for s, _, _ in ledger.cosignatures("tonghua-market")] == [1, 2]
    state = read_state(tmp_path / "witness", ledger.origin("tonghua-market"))
    assert state is not None and state.size == 2

    # The same witness state against a different (older) copy of the log: refused.
    other = Ledger(
        Database(f"sqlite:///{tmp_path / 'other.sqlite3'}"), ledger.keys, "lawtrail.local"
    )
    open_case(other, "tonghua-market")
    with pytest.raises(WitnessError, match="回退"):
        witness.cosign(other, "tonghua-market")
    other.db.close()


def test_the_witness_refuses_a_checkpoint_not_signed_by_the_pinned_log_key(
    ledger: Ledger, tmp_path: Path
) -> None:
    open_case(ledger, "tonghua-market")
    witness = Witness(notes.CosignatureSigner.generate("w.example"), tmp_path / "witness")
    witness.cosign(ledger, "tonghua-market")
    # Another database and key directory claiming the same origin: a different log key.
    impostor = Ledger(
        Database(f"sqlite:///{tmp_path / 'impostor.sqlite3'}"),
        KeyDirectory(tmp_path / "other-keys"),
        "lawtrail.local",
    )
    open_case(impostor, "tonghua-market")
    do_append_record(
        impostor,
        "tonghua-market",
        CASE,
        {
            "id": "r1",
            "kind": "closure",
            "at": "2026-09-02T10:00:00+08:00",
            "fields": {"reason": "x"},
        },
    )
    with pytest.raises(WitnessError, match="公钥"):
        witness.cosign(impostor, "tonghua-market")
    impostor.db.close()


def test_the_ledger_refuses_to_sign_when_its_stored_tree_no_longer_matches(
    ledger: Ledger, database_url: str
) -> None:
    open_case(ledger, "tonghua-market")
    closure = {
        "id": "r1",
        "kind": "closure",
        "at": "2026-09-02T10:00:00+08:00",
        "fields": {"reason": "x"},
    }
    attacker = RawSQL(database_url)
    attacker(
        "UPDATE ledger_entry SET leaf_hash = ? WHERE agency = ? AND seq = 0",
        (bytes(32), "tonghua-market"),
    )
    attacker.close()
    fresh = Ledger(Database(database_url), ledger.keys, "lawtrail.local")
    with pytest.raises(LedgerIntegrityError, match="拒绝继续签名"):
        do_append_record(fresh, "tonghua-market", CASE, closure)
    assert fresh.size("tonghua-market") == 1
    assert fresh.latest_checkpoint("tonghua-market").size == 1  # type: ignore[union-attr]
    fresh.db.close()


@pytest.mark.parametrize(
    ("value", "message"),
    [("\ud800", "无法存入账本"), ("含\x00空字符", "空字符")],
)
def test_values_the_ledger_cannot_commit_to_are_refused_with_their_path(
    ledger: Ledger, value: object, message: str
) -> None:
    open_case(ledger, "tonghua-market")
    size = ledger.size("tonghua-market")
    record = {**CLOSURE, "fields": {"reason": value}}
    with pytest.raises(ServiceError, match=message) as caught:
        do_append_record(ledger, "tonghua-market", CASE, record)
    assert caught.value.issues[0].path.endswith("fields.reason")
    assert ledger.size("tonghua-market") == size


def test_two_writers_cannot_both_append_the_same_record_id(
    database_url: str, tmp_path: Path
) -> None:
    """The service reads the case only after taking the log's lock, so what it checked (the
    record id is free) still holds when it appends: one writer wins, the other is refused, and
    the case stays readable."""
    import threading

    keys = KeyDirectory(tmp_path / "keys")
    with Database(database_url) as db:
        open_case(Ledger(db, keys, "lawtrail.local"), "tonghua-market")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write() -> None:
        with Database(database_url) as db:  # one connection per thread, as in production
            ledger = Ledger(db, keys, "lawtrail.local")
            barrier.wait()
            try:
                do_append_record(ledger, "tonghua-market", CASE, CLOSURE)
                outcomes.append("appended")
            except ServiceError as exc:
                outcomes.append(str(exc))

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("appended") == 1, outcomes
    with Database(database_url) as db:
        case = load_case(Ledger(db, keys, "lawtrail.local"), "tonghua-market", CASE)
    assert [r.id for r in case.records] == ["r1"]
