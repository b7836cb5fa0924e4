"""Ledger entries: canonical bytes that change with any part of a record, and only then."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from lawtrail.core.canonical import canonical_bytes, record_entry
from lawtrail.core.caseio import case_to_json, parse_case
from tests.builders import CaseBuilder, sig, t, video


def one_record():  # type: ignore[no-untyped-def]
    b = CaseBuilder("tonghua-market")
    b.add(
        "site_inspection",
        "2026-09-02 10:00",
        {"location": "仓库", "findings": "发现假冒商品"},
        signatures=[sig("officer", "张明"), sig("party", "王经理")],
        media=[video("2026-09-02 10:05")],
    )
    return b.build().records[0]


def entry_bytes(record, recorded_at="2026-09-02 11:00") -> bytes:  # type: ignore[no-untyped-def]
    return canonical_bytes(
        record_entry(
            origin="lawtrail.local/tonghua-market",
            index=0,
            agency="tonghua-market",
            case_number="测〔2026〕1号",
            record=record,
            recorded_at=t(recorded_at),
        )
    )


def test_canonical_json_sorts_keys_and_has_no_whitespace() -> None:
    assert canonical_bytes({"b": 1, "a": "中文"}) == '{"a":"中文","b":1}'.encode()


def test_same_record_gives_same_bytes() -> None:
    assert entry_bytes(one_record()) == entry_bytes(one_record())


def test_any_change_to_the_record_changes_the_bytes() -> None:
    record = one_record()
    base = entry_bytes(record)
    media = record.media[0]
    variants = [
        replace(record, fields={**record.fields, "findings": "未发现问题"}),
        replace(record, at=record.at + timedelta(minutes=1)),
        replace(record, signatures=record.signatures[:1]),
        replace(record, media=(replace(media, sha256="0" * 64),)),
        replace(record, media=()),
    ]
    for variant in variants:
        assert entry_bytes(variant) != base
    assert entry_bytes(record, "2026-09-02 11:01") != base


def test_the_same_instant_written_with_another_offset_hashes_identically() -> None:
    b = CaseBuilder("tonghua-market")
    b.add("closure", "2026-09-02 10:00", {"reason": "结案"})
    data = case_to_json(b.build())
    utc = case_to_json(b.build())
    utc["records"][0]["at"] = "2026-09-02T02:00:00+00:00"
    a = parse_case(data).records[0]
    c = parse_case(utc).records[0]
    assert entry_bytes(a) == entry_bytes(c)


def test_the_entry_names_its_position_so_a_moved_entry_hashes_differently() -> None:
    record = one_record()
    at = record_entry(
        origin="lawtrail.local/tonghua-market",
        index=0,
        agency="tonghua-market",
        case_number="测〔2026〕1号",
        record=record,
        recorded_at=t("2026-09-02 11:00"),
    )
    moved = {**at, "index": 1}
    other_log = {**at, "log": "lawtrail.local/benxi-hrss"}
    assert canonical_bytes(moved) != canonical_bytes(at)
    assert canonical_bytes(other_log) != canonical_bytes(at)
    assert at["recorded_at"] == "2026-09-02T11:00:00+08:00"
