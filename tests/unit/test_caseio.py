"""The case file reader: strict, and every error names its JSON path."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lawtrail.core.caseio import FORMAT, CaseFormatError, case_to_json, parse_case
from tests.builders import CaseBuilder, sig, video

MINIMAL: dict[str, Any] = {
    "format": FORMAT,
    "agency": "tonghua-market",
    "case_number": "通市监罚〔2026〕1号",
    "acts": ["penalty"],
    "procedure": "general",
    "origin": "ex_officio",
    "opened_at": "2026-09-01T09:00:00+08:00",
    "people": [{"id": "o1", "name": "张明", "certificate_number": "JL-1"}],
    "parties": [{"id": "p1", "name": "某公司"}],
    "records": [
        {
            "id": "r1",
            "kind": "service",
            "at": "2026-09-02T10:00:00+08:00",
            "fields": {"method": "lodging", "refusal_date": "2026-09-02"},
        }
    ],
}


def issues_of(data: Any) -> dict[str, str]:
    with pytest.raises(CaseFormatError) as info:
        parse_case(data)
    return {i.path: i.message for i in info.value.issues}


def mutate(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data.update(changes)
    return data


def test_minimal_case_parses_with_typed_fields() -> None:
    case = parse_case(MINIMAL)
    record = case.records[0]
    assert case.agency == "tonghua-market"
    assert record.fields["method"] == "lodging"
    assert str(record.fields["refusal_date"]) == "2026-09-02"
    assert record.at.utcoffset() is not None


def test_naive_timestamp_is_rejected_with_its_path() -> None:
    data = mutate()
    data["records"][0]["at"] = "2026-09-02T10:00:00"
    issues = issues_of(data)
    assert "$.records[0].at" in issues
    assert "时区" in issues["$.records[0].at"]


def test_unknown_agency_is_rejected() -> None:
    issues = issues_of(mutate(agency="beijing-police"))
    assert "未知的执法机关" in issues["$.agency"]


def test_unknown_record_kind_is_rejected() -> None:
    data = mutate()
    data["records"][0]["kind"] = "teleportation"
    assert "未知的记录类型" in issues_of(data)["$.records[0].kind"]


def test_missing_required_field_of_a_kind_is_named() -> None:
    data = mutate()
    del data["records"][0]["fields"]["method"]
    assert "送达方式" in issues_of(data)["$.records[0].fields.method"]


def test_missing_top_level_key_is_named() -> None:
    data = mutate()
    del data["case_number"]
    assert issues_of(data)["$.case_number"] == "缺少必填项"


def test_unknown_key_is_reported_as_probable_typo() -> None:
    data = mutate()
    data["records"][0]["feilds"] = {}
    assert "未知的键" in issues_of(data)["$.records[0].feilds"]


def test_choice_outside_vocabulary_is_rejected() -> None:
    data = mutate()
    data["records"][0]["fields"]["method"] = "pigeon"
    assert "可选" in issues_of(data)["$.records[0].fields.method"]


def test_dangling_references_are_rejected() -> None:
    data = mutate()
    data["records"][0]["officers"] = [{"person": "ghost"}]
    data["records"][0]["kind"] = "site_inspection"
    data["records"][0]["fields"] = {}
    data["records"][0]["corrects"] = {"record": "nope", "reason": "笔误"}
    issues = issues_of(data)
    assert "不存在的人员" in issues["$.records[0].officers[0].person"]
    assert "不存在的记录" in issues["$.records[0].corrects.record"]


def test_correction_must_keep_the_kind_of_the_corrected_record() -> None:
    data = mutate()
    data["records"].append(
        {
            "id": "r2",
            "kind": "closure",
            "at": "2026-09-03T10:00:00+08:00",
            "corrects": {"record": "r1", "reason": "笔误"},
        }
    )
    assert "类型" in issues_of(data)["$.records[1].corrects.record"]


def test_all_errors_are_reported_at_once() -> None:
    data = mutate(agency="x", procedure="fast")
    data["records"][0]["at"] = "yesterday"
    assert len(issues_of(data)) >= 3


def test_media_ingested_before_capture_is_rejected() -> None:
    data = mutate()
    data["records"][0]["media"] = [
        {
            "id": "m1",
            "type": "video",
            "sha256": "a" * 64,
            "captured_at": "2026-09-02T10:00:00+08:00",
            "ingested_at": "2026-09-02T09:00:00+08:00",
        }
    ]
    assert "入库时间早于拍摄时间" in issues_of(data)["$.records[0].media[0].ingested_at"]


def test_bad_digest_is_rejected() -> None:
    data = mutate()
    data["records"][0]["media"] = [
        {
            "id": "m1",
            "type": "video",
            "sha256": "XYZ",
            "captured_at": "2026-09-02T10:00:00+08:00",
            "ingested_at": "2026-09-02T11:00:00+08:00",
        }
    ]
    assert "SHA-256" in issues_of(data)["$.records[0].media[0].sha256"]


def test_not_an_object_is_rejected() -> None:
    assert "对象" in issues_of([1, 2])["$"]


def test_case_round_trips_through_json() -> None:
    b = CaseBuilder("tonghua-market")
    b.add(
        "site_inspection",
        "2026-09-02 10:00",
        {"location": "仓库", "findings": "发现假冒商品"},
        signatures=[sig("officer", "张明"), sig("party", "王经理")],
        media=[video("2026-09-02 10:05", labels={"case_number": "测〔2026〕1号"})],
    )
    b.add("closure", "2026-09-20 10:00", {"reason": "结案"})
    case = b.build()
    text = json.dumps(case_to_json(case), ensure_ascii=False)
    assert parse_case(json.loads(text)) == case
