"""The JSON Schema of the case interchange format, generated from the record-kind definitions.

The reader in :mod:`lawtrail.core.caseio` is the authority (it gives Chinese messages with the
JSON path of every error); this schema lets other systems validate files before sending them.
It says what the reader accepts as far as JSON Schema can say it:

* keys, required keys, types, choices, and the written form of identifiers, dates, times and
  amounts are those the reader checks — a file that breaks one of them is refused by both;
* ``null`` for an optional key means the key is absent, as it does for the reader;
* references (a party, a person or a record named by its id) must be written as identifiers;
  whether the named id exists in the case, like every other check that compares two values of
  the file (unique ids, times in order, a correction of the same kind …), JSON Schema cannot
  express: the schema's descriptions and docs/case-format.md say so, and only the reader
  (``lawtrail check``) checks it.

Generated into ``lawtrail/schemas/case.schema.json`` by ``python -m lawtrail.tools.generate``;
``tests/unit/test_schema_reader_agreement.py`` proves the agreement on mutated example files.

Patterns are written for the ECMA-262 dialect JSON Schema prescribes and for Python's ``re``
alike: ``[0-9]`` (not ``\\d``, which matches other scripts' digits in Python), no look-around.
"""

from __future__ import annotations

from collections.abc import Collection
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
    STAFF_ROLES,
    FieldSpec,
    FieldType,
)
from lawtrail.core.rules import agency_ids

# ------------------------------------------------------------------ written forms

# A calendar day 0001-01-01 … 9999-12-31 that exists (29 February only in leap years), as
# Python's date.fromisoformat, which the reader uses, accepts it in the YYYY-MM-DD form.
_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_DAY = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
# hh:mm[:ss[.fraction]] and an offset Z or ±hh:mm below 24 hours.
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]+)?)?"
_OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
ID_PATTERN = "^[A-Za-z0-9_.:-]{1,64}$"  # caseio._ID: the reader's `ident` check

DATETIME: dict[str, Any] = {
    "type": "string",
    # "T" or a space between day and time: Python's str(datetime) writes the space.
    "pattern": f"^{_DAY}[T ]{_TIME}{_OFFSET}$",
    "description": "ISO 8601 时间，必须带时区偏移，如 2026-10-09T14:30:00+08:00（或 Z）",
}
DATE: dict[str, Any] = {
    "type": "string",
    "format": "date",
    "pattern": f"^{_DAY}$",
    "description": "日期 YYYY-MM-DD（须为实有的日期）",
}
ID: dict[str, Any] = {
    "type": "string",
    "pattern": ID_PATTERN,
    "description": "标识：1–64 个字符，只能由字母、数字和 _ . : - 组成；在所在列表中唯一"
    "（唯一性 JSON Schema 无法表达，由读取程序检查）",
}
HEX64: dict[str, Any] = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
# The reader ignores an empty optional digest and checks a non-empty one.
HEX64_OR_EMPTY: dict[str, Any] = {"type": "string", "pattern": "^(?:[0-9a-f]{64})?$"}
AMOUNT: dict[str, Any] = {
    "type": "string",
    "pattern": "^-?[0-9]+(?:\\.[0-9]{1,2})?$",
    "description": '金额：元，最多两位小数的十进制字符串，如 "5000.00"',
}
TEXT: dict[str, Any] = {"type": "string"}
# What the reader calls a non-empty string: something other than white space.
NONEMPTY: dict[str, Any] = {"type": "string", "pattern": "\\S", "description": "不能为空"}
# JSON Schema compares numbers by value, so it cannot refuse 1.0 where the reader wants 1.
_INTEGER_NOTE = "须写作整数（如 3，不能写作 3.0；这一点 JSON Schema 无法表达，由读取程序检查）"

_EXISTENCE = "所引用的标识是否存在于本案，JSON Schema 无法表达，由读取程序（lawtrail check）检查"
REFERENCES: dict[FieldType, tuple[str, str]] = {
    FieldType.PARTY: ("当事人", "$.parties[*].id"),
    FieldType.PERSON: ("本机关人员", "$.people[*].id"),
    FieldType.PERSONS: ("本机关人员", "$.people[*].id"),
    FieldType.RECORD: ("记录", "$.records[*].id"),
}


def reference(target: FieldType) -> dict[str, Any]:
    """An identifier naming a party, person or record of the case (not a name)."""
    what, collection = REFERENCES[target]
    return {
        "type": "string",
        "pattern": ID_PATTERN,
        "description": (
            f"引用本案的{what}：须为 {collection} 之一的标识（不是姓名或名称）；{_EXISTENCE}"
        ),
    }


PARTY_REF = reference(FieldType.PARTY)
PERSON_REF = reference(FieldType.PERSON)
RECORD_REF = reference(FieldType.RECORD)


# ------------------------------------------------------------------ building blocks


def _enum(values: Any, description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"enum": sorted(values)}
    if description:
        out["description"] = description
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional key: the reader takes ``null`` as the key's absence."""
    out = dict(schema)
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    else:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
    return out


def _obj(
    properties: dict[str, Any],
    required: list[str],
    description: str = "",
    *,
    never_null: Collection[str] = (),
) -> dict[str, Any]:
    """An object without unknown keys; a key not in `required` may also be null, as the
    reader reads a null optional key as absent — except the keys in `never_null`."""
    out: dict[str, Any] = {"type": "object"}
    if description:
        out["description"] = description
    out |= {
        "additionalProperties": False,
        "properties": {
            key: value if key in required or key in never_null else _nullable(value)
            for key, value in properties.items()
        },
        "required": required,
    }
    return out


def _array(items: dict[str, Any], **constraints: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **constraints}


def _field(spec: FieldSpec) -> dict[str, Any]:
    t = spec.type
    schema: dict[str, Any]
    if t is FieldType.TEXT:
        schema = dict(TEXT)
    elif t in (FieldType.PERSON, FieldType.PARTY, FieldType.RECORD):
        schema = reference(t)
    elif t is FieldType.TEXT_LIST:
        schema = _array(TEXT)
    elif t is FieldType.PERSONS:
        schema = _array(PERSON_REF, description=reference(t)["description"])
    elif t is FieldType.BOOL:
        schema = {"type": "boolean"}
    elif t is FieldType.INTEGER:
        schema = {"type": "integer", "description": _INTEGER_NOTE}
    elif t is FieldType.AMOUNT:
        schema = dict(AMOUNT)
    elif t is FieldType.DATE:
        schema = dict(DATE)
    elif t is FieldType.DATETIME:
        schema = dict(DATETIME)
    elif t is FieldType.CHOICE:
        schema = _enum(spec.choices)
    else:  # CHOICES; the reader accepts a choice named twice
        schema = _array(_enum(spec.choices))
    if spec.help:
        notes = [spec.help, schema["description"]] if "description" in schema else [spec.help]
        schema["description"] = "。".join(n.rstrip("。") for n in notes)
    return {"title": spec.label, **schema}


def _kind_rules(kind_id: str) -> dict[str, Any]:
    """What a record of one kind must satisfy beyond the common record keys."""
    kind = RECORD_KINDS[kind_id]
    required = [spec.name for spec in kind.fields if spec.required]
    properties: dict[str, Any] = {
        "fields": _obj({spec.name: _field(spec) for spec in kind.fields}, required)
    }
    if not kind.has_officers:
        properties["officers"] = {
            "maxItems": 0,
            "description": f"{kind.label}不记录执法人员出示证件情况",
        }
    if kind.id == "void":
        properties["corrects"] = {
            "type": "null",
            "description": "作废声明不能被更正；撤回作废请再作废该声明",
        }
    then: dict[str, Any] = {"properties": properties}
    if required:
        then["required"] = ["fields"]
    return {
        "if": {"properties": {"kind": {"const": kind.id}}, "required": ["kind"]},
        "then": then,
    }


# ------------------------------------------------------------------ the schema

_NOT_EXPRESSED = (
    "JSON Schema 只能校验单个值的写法；以下检查比较文件中的两个值，只由读取程序（lawtrail check）"
    "进行：引用的当事人、人员、记录是否存在；人员、当事人、记录、音像文件的标识是否唯一；"
    "录入时间不早于行为时间，音像文件的拍摄、结束、入库时间的先后；更正记录与被更正记录类型相同且"
    "不更正自身；作废声明不作废自身；送达的文书种类与所送达记录的类型相符。整数字段须写作整数"
    "（3 而非 3.0）。"
)


def case_schema() -> dict[str, Any]:
    signature = _obj(
        {
            "role": _enum(SIGNATURE_ROLES),
            "name": TEXT,
            "person": PERSON_REF,
            "party": PARTY_REF,
            "at": DATETIME,
            "method": _enum(SIGNATURE_METHODS),
            "image_sha256": HEX64_OR_EMPTY,
        },
        ["role"],
        "签名：name、person、party 至少其一写明签名人",
    )
    signature["anyOf"] = [
        {"required": ["person"]},
        {"required": ["party"]},
        {"required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}},
    ]
    refusal = _obj(
        {
            "role": _enum(SIGNATURE_ROLES),
            "reason": NONEMPTY,
            "name": TEXT,
            "party": PARTY_REF,
            "at": DATETIME,
        },
        ["role", "reason"],
    )
    media = _obj(
        {
            "id": ID,
            "type": _enum(MEDIA_TYPES),
            "sha256": HEX64,
            "sm3": HEX64_OR_EMPTY,
            "size": {"type": "integer", "minimum": 0, "description": _INTEGER_NOTE},
            "captured_at": DATETIME,
            "completed_at": DATETIME,
            "ingested_at": DATETIME,
            "filename": TEXT,
            "source": _enum(MEDIA_SOURCES),
            "uploader": TEXT,
            # The labels may be null as a whole, but not one by one.
            "labels": _obj(dict.fromkeys(LABEL_KEYS, TEXT), [], never_null=LABEL_KEYS),
        },
        ["id", "type", "sha256", "captured_at", "ingested_at"],
    )
    record = _obj(
        {
            "id": ID,
            "kind": _enum(RECORD_KINDS, "记录类型"),
            "at": DATETIME,
            "recorded_at": DATETIME,
            # May be left out (a kind without required fields), but is never null.
            "fields": {"type": "object", "description": "该记录类型的字段（见 allOf）"},
            "officers": _array(
                _obj(
                    {"person": PERSON_REF, "certificate_shown": {"type": "boolean"}},
                    ["person"],
                )
            ),
            "signatures": _array(signature),
            "refusals": _array(refusal),
            "media": _array(media),
            "av_exemption": _obj(
                {"reason": NONEMPTY, "approved_by": TEXT, "approved": {"type": "boolean"}},
                ["reason"],
            ),
            "corrects": _obj({"record": RECORD_REF, "reason": NONEMPTY}, ["record", "reason"]),
            "note": TEXT,
        },
        ["id", "kind", "at"],
        never_null=("fields",),
    )
    record["allOf"] = [_kind_rules(kind_id) for kind_id in RECORD_KINDS]
    person = _obj(
        {
            "id": ID,
            "name": NONEMPTY,
            "title": TEXT,
            "certificate_number": TEXT,
            "certificate_valid_from": DATE,
            "certificate_valid_until": DATE,
            "roles": _array(_enum(STAFF_ROLES)),
        },
        ["id", "name"],
    )
    party = _obj(
        {
            "id": ID,
            "name": NONEMPTY,
            "kind": _enum(("organization", "person")),
            "id_number": TEXT,
            "address": TEXT,
            "contact": TEXT,
            "legal_representative": TEXT,
            "misjoined": TEXT,
        },
        ["id", "name"],
    )
    schema = _obj(
        {
            "format": {"const": FORMAT},
            "agency": _enum(agency_ids(), "执法机关标识（规则包名）"),
            "case_number": NONEMPTY,
            "title": TEXT,
            "acts": _array(_enum(ACTS), minItems=1),
            "procedure": _enum(PROCEDURES),
            "origin": _enum(ORIGINS),
            "major": {"type": "boolean"},
            "major_since": DATETIME,
            "opened_at": DATETIME,
            "parties": _array(party),
            "people": _array(person),
            "records": _array(record),
        },
        ["format", "agency", "case_number", "acts", "procedure", "origin", "opened_at"],
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:lawtrail:case:1",
        "title": "LawTrail 案件交换格式 lawtrail-case/1",
        "description": _NOT_EXPRESSED,
        **schema,
    }
