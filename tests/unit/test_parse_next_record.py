"""An appended record is validated against what it needs (issue #18): reading it as the next
record of the (valid) case gives the same record, and for a bad one the same issues with the
same paths, as reading the whole case with it appended."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lawtrail.core.caseio import CaseFormatError, parse_case, parse_next_record

EXAMPLES = Path(__file__).parents[2] / "examples"
TYPICAL = EXAMPLES / "tonghua-market" / "violations-typical.json"


def whole_case_reading(data: dict[str, Any], raw: Any) -> Any:
    """The record as parse_case reads it in the case with ``raw`` appended, or its issues."""
    try:
        return parse_case({**data, "records": [*data["records"], raw]}).records[-1]
    except CaseFormatError as exc:
        return [(i.path, i.message) for i in exc.issues]


def next_record_reading(data: dict[str, Any], raw: Any) -> Any:
    try:
        return parse_next_record(parse_case(data), raw)
    except CaseFormatError as exc:
        return [(i.path, i.message) for i in exc.issues]


def _typical() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TYPICAL.read_text(encoding="utf-8"))
    return data


def _record(record_id: str) -> dict[str, Any]:
    found: dict[str, Any] = copy.deepcopy(
        next(r for r in _typical()["records"] if r["id"] == record_id)
    )
    return found


def _variants() -> dict[str, Any]:
    inquiry = _record("v03")
    service = _record("v12")
    return {
        "a valid inquiry": {**inquiry, "id": "n1", "media": []},
        "a valid service naming the decision": {**service, "id": "n2"},
        "a taken id": {**inquiry},
        "a media id the case holds": {**inquiry, "id": "n3"} | {"media": inquiry["media"]},
        "a correction of another kind": {
            **inquiry,
            "id": "n4",
            "corrects": {"record": "v12", "reason": "更正"},
        },
        "a correction of itself": {
            **inquiry,
            "id": "n5",
            "corrects": {"record": "n5", "reason": "x"},
        },
        "a correction of no record": {
            **inquiry,
            "id": "n6",
            "corrects": {"record": "nothing", "reason": "x"},
        },
        "a void of itself": {
            "id": "n7",
            "kind": "void",
            "at": "2026-07-11T10:00:00+08:00",
            "fields": {"target": "n7", "reason": "误录"},
        },
        "a served document of another kind": {
            **service,
            "id": "n8",
            "fields": {**service["fields"], "document_kind": "urge_notice"},
        },
        "an officer not of the case": {
            **inquiry,
            "id": "n9",
            "officers": [{"person": "nobody", "certificate_shown": True}],
        },
        "a field of the wrong type and a missing time": {
            **{k: v for k, v in inquiry.items() if k != "at"},
            "id": "n10",
            "fields": {**inquiry["fields"], "rights_notified": "statement"},
        },
        "not an object": ["r1"],
    }


@pytest.mark.parametrize("name", list(_variants()))
def test_the_next_record_reads_as_the_whole_case_reads_it(name: str) -> None:
    data = _typical()
    raw = _variants()[name]
    assert next_record_reading(data, raw) == whole_case_reading(data, raw)


def test_the_invalid_variants_are_refused_and_the_valid_ones_read() -> None:
    data = _typical()
    outcomes = {name: next_record_reading(data, raw) for name, raw in _variants().items()}
    assert {name for name, out in outcomes.items() if not isinstance(out, list)} == {
        "a valid inquiry",
        "a valid service naming the decision",
    }


def test_a_case_extended_record_by_record_equals_the_case_read_whole() -> None:
    data = _typical()
    case = parse_case({**data, "records": []})
    for raw in data["records"]:
        case = case.appended(parse_next_record(case, raw))
    whole = parse_case(data)
    assert case == whole
    assert case.records_by_id == whole.records_by_id
    assert case.effective_records() == whole.effective_records()
