"""The JSON Schema of the case interchange format, generated from the record-kind definitions.

The reader in :mod:`lawtrail.core.caseio` is the authority (it also checks references and
gives Chinese messages); this schema lets other systems validate files before sending them.
Generated into ``lawtrail/schemas/case.schema.json`` by ``python -m lawtrail.tools.generate``.
"""

from __future__ import annotations

from typing import Any

from lawtrail.core.caseio import FORMAT, LABEL_KEYS, MEDIA_SOURCES
from lawtrail.core.record_kinds import (
    ACTS,
    MEDIA_TYPES,
    ORIGINS,
    PROCEDURES,
    RECORD_KINDS,
    SIGNATURE_METHODS,
    SIGNATURE_ROLES,
    FieldSpec,
    FieldType,
)

# An RFC 3339 timestamp *with* an offset: naive times are refused.
DATETIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$",
    "description": "ISO 8601 时间，必须带时区偏移，如 2026-10-09T14:30:00+08:00",
}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "日期 YYYY-MM-DD"}
ID = {"type": "string", "pattern": r"^[A-Za-z0-9_.:-]{1,64}$"}
HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
TEXT = {"type": "string"}


def _enum(values: Any, description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"enum": sorted(values)}
    if description:
        out["description"] = description
    return out


def _obj(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": required,
    }


def _field(spec: FieldSpec) -> dict[str, Any]:
    t = spec.type
    schema: dict[str, Any]
    if t in (FieldType.TEXT, FieldType.PERSON, FieldType.PARTY, FieldType.RECORD):
        schema = dict(TEXT)
    elif t in (FieldType.TEXT_LIST, FieldType.PERSONS):
        schema = {"type": "array", "items": TEXT}
    elif t is FieldType.BOOL:
        schema = {"type": "boolean"}
    elif t is FieldType.INTEGER:
        schema = {"type": "integer"}
    elif t is FieldType.AMOUNT:
        schema = {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$"}
    elif t is FieldType.DATE:
        schema = dict(DATE)
    elif t is FieldType.DATETIME:
        schema = dict(DATETIME)
    elif t is FieldType.CHOICE:
        schema = _enum(spec.choices)
    else:  # CHOICES
        schema = {"type": "array", "items": _enum(spec.choices), "uniqueItems": True}
    schema["title"] = spec.label
    return schema


def case_schema() -> dict[str, Any]:
    signature = _obj(
        {
            "role": _enum(SIGNATURE_ROLES),
            "name": TEXT,
            "person": TEXT,
            "party": TEXT,
            "at": DATETIME,
            "method": _enum(SIGNATURE_METHODS),
            "image_sha256": HEX64,
        },
        ["role"],
    )
    refusal = _obj(
        {
            "role": _enum(SIGNATURE_ROLES),
            "reason": TEXT,
            "name": TEXT,
            "party": TEXT,
            "at": DATETIME,
        },
        ["role", "reason"],
    )
    media = _obj(
        {
            "id": ID,
            "type": _enum(MEDIA_TYPES),
            "sha256": HEX64,
            "sm3": HEX64,
            "size": {"type": "integer", "minimum": 0},
            "captured_at": DATETIME,
            "completed_at": DATETIME,
            "ingested_at": DATETIME,
            "filename": TEXT,
            "source": _enum(MEDIA_SOURCES),
            "uploader": TEXT,
            "labels": _obj(dict.fromkeys(LABEL_KEYS, TEXT), []),
        },
        ["id", "type", "sha256", "captured_at", "ingested_at"],
    )
    record = _obj(
        {
            "id": ID,
            "kind": _enum(RECORD_KINDS, "记录类型"),
            "at": DATETIME,
            "recorded_at": DATETIME,
            "fields": {"type": "object"},
            "officers": {
                "type": "array",
                "items": _obj(
                    {"person": TEXT, "certificate_shown": {"type": "boolean"}}, ["person"]
                ),
            },
            "signatures": {"type": "array", "items": signature},
            "refusals": {"type": "array", "items": refusal},
            "media": {"type": "array", "items": media},
            "av_exemption": _obj({"reason": TEXT, "approved_by": TEXT}, ["reason"]),
            "corrects": _obj({"record": TEXT, "reason": TEXT}, ["record", "reason"]),
            "note": TEXT,
        },
        ["id", "kind", "at"],
    )
    record["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": kind.id}}, "required": ["kind"]},
            "then": {
                "properties": {
                    "fields": _obj(
                        {spec.name: _field(spec) for spec in kind.fields},
                        [spec.name for spec in kind.fields if spec.required],
                    )
                }
            },
        }
        for kind in RECORD_KINDS.values()
    ]
    person = _obj(
        {
            "id": ID,
            "name": TEXT,
            "title": TEXT,
            "certificate_number": TEXT,
            "certificate_valid_from": DATE,
            "certificate_valid_until": DATE,
        },
        ["id", "name"],
    )
    party = _obj(
        {
            "id": ID,
            "name": TEXT,
            "kind": _enum(("organization", "person")),
            "id_number": TEXT,
            "address": TEXT,
            "contact": TEXT,
        },
        ["id", "name"],
    )
    schema = _obj(
        {
            "format": {"const": FORMAT},
            "agency": {"type": "string", "description": "执法机关标识（规则包名）"},
            "case_number": {"type": "string", "minLength": 1},
            "title": TEXT,
            "acts": {"type": "array", "items": _enum(ACTS), "minItems": 1},
            "procedure": _enum(PROCEDURES),
            "origin": _enum(ORIGINS),
            "major": {"type": "boolean"},
            "opened_at": DATETIME,
            "parties": {"type": "array", "items": party},
            "people": {"type": "array", "items": person},
            "records": {"type": "array", "items": record},
        },
        ["format", "agency", "case_number", "acts", "procedure", "origin", "opened_at"],
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:lawtrail:case:1",
        "title": "LawTrail 案件交换格式 lawtrail-case/1",
        **schema,
    }
