"""The case interchange format (``lawtrail-case/1``): JSON in, :class:`Case` out, and back.

Reading is strict: unknown keys, unknown record kinds, times without an offset, dangling
references and missing required fields are all errors, each naming the JSON path
(``$.records[3].fields.method``) and what is wrong, in Chinese. All errors of a file are
collected, so one run shows everything to fix. docs/case-format.md describes the format; the
JSON Schema in ``lawtrail/schemas/case.schema.json`` is generated from the same definitions.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from lawtrail.core.model import (
    AvExemption,
    Case,
    Correction,
    FieldValue,
    Media,
    OfficerPresence,
    Party,
    Person,
    Record,
    Refusal,
    Signature,
)
from lawtrail.core.record_kinds import (
    ACTS,
    DOCUMENT_KIND_OF_RECORD,
    DOCUMENT_KINDS,
    MEDIA_LABELS,
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
from lawtrail.core.timeutil import SHANGHAI

FORMAT = "lawtrail-case/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Written forms are matched whole (fullmatch: no trailing newline) and in ASCII digits only;
# the JSON Schema (core/schema.py) states the same forms. A time is RFC 3339 with "T" or a
# space (as Python's str(datetime) writes it) between day and time.
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
_DAY_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_FORM = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
)
MEDIA_SOURCES = ("body_camera", "cctv", "phone", "camera", "recorder", "screen", "other")
LABEL_KEYS = tuple(MEDIA_LABELS)

T = TypeVar("T")


@dataclass(frozen=True)
class FormatIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class CaseFormatError(ValueError):
    """The input is not a valid case file; `issues` says where and why."""

    def __init__(self, issues: Sequence[FormatIssue]):
        self.issues = list(issues)
        super().__init__("; ".join(str(i) for i in self.issues))


class _Reader:
    def __init__(self) -> None:
        self.issues: list[FormatIssue] = []

    def error(self, path: str, message: str) -> None:
        self.issues.append(FormatIssue(path, message))

    # -- primitive readers; each returns None after recording an error
    def obj(self, value: Any, path: str, allowed: Collection[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, f"应为 JSON 对象，实际为 {_json_type(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.error(f"{path}.{key}", "未知的键（拼写错误？）")
        return value

    def required(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in data or data[key] is None:
            self.error(f"{path}.{key}", "缺少必填项")
            return None
        return data[key]

    def string(self, value: Any, path: str, *, non_empty: bool = True) -> str | None:
        if not isinstance(value, str):
            self.error(path, f"应为字符串，实际为 {_json_type(value)}")
            return None
        if non_empty and not value.strip():
            self.error(path, "不能为空")
            return None
        return value

    def ident(self, value: Any, path: str) -> str | None:
        text = self.string(value, path)
        if text is not None and not _ID.fullmatch(text):
            self.error(path, f"标识 {text!r} 只能由字母、数字和 _ . : - 组成（1–64个字符）")
            return None
        return text

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.error(path, f"应为 true 或 false，实际为 {_json_type(value)}")
            return None
        return value

    def aware(self, value: Any, path: str) -> datetime | None:
        text = self.string(value, path)
        if text is None:
            return None
        try:
            if not _TIME_FORM.fullmatch(text):
                raise ValueError(text)
            parsed = datetime.fromisoformat(text)
        except ValueError:
            self.error(
                path, f"无法解析的时间 {text!r}（应为 ISO 8601，如 2026-10-09T14:30:00+08:00）"
            )
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.error(path, f"时间 {text!r} 缺少时区偏移（如 +08:00）：无法确定其法律时点")
            return None
        # One representation per instant: the same act written with another offset must
        # serialise (and hash, in the ledger) identically.
        try:
            return parsed.astimezone(SHANGHAI)
        except OverflowError:
            self.error(path, f"时间 {text!r} 超出可表示的范围")
            return None

    def day(self, value: Any, path: str) -> date | None:
        text = self.string(value, path)
        if text is None:
            return None
        try:
            if not _DAY_FORM.fullmatch(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            self.error(path, f"无法解析的日期 {text!r}（应为 YYYY-MM-DD）")
            return None

    def choice(self, value: Any, path: str, choices: Collection[str], what: str) -> str | None:
        text = self.string(value, path)
        if text is None:
            return None
        if text not in choices:
            self.error(path, f"未知的{what} {text!r}；可选：{', '.join(sorted(choices))}")
            return None
        return text

    def array(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, f"应为数组，实际为 {_json_type(value)}")
            return []
        return value

    def need(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        reader: Callable[[Any, str], T | None],
    ) -> T | None:
        """A required key read with `reader`; a missing one is reported and gives None."""
        value = self.required(data, key, path)
        return None if value is None else reader(value, f"{path}.{key}")

    def opt(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        reader: Callable[[Any, str], T | None],
    ) -> T | None:
        if key not in data or data[key] is None:
            return None
        return reader(data[key], f"{path}.{key}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int | float):
        return "数字"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, dict):
        return "对象"
    return type(value).__name__


_CASE_KEYS = (
    "format",
    "agency",
    "case_number",
    "title",
    "acts",
    "procedure",
    "origin",
    "major",
    "major_since",
    "opened_at",
    "parties",
    "people",
    "records",
)
_PERSON_KEYS = (
    "id",
    "name",
    "title",
    "certificate_number",
    "certificate_valid_from",
    "certificate_valid_until",
    "roles",
)
_PARTY_KEYS = (
    "id",
    "name",
    "kind",
    "id_number",
    "address",
    "contact",
    "legal_representative",
    "misjoined",
)
_RECORD_KEYS = (
    "id",
    "kind",
    "at",
    "recorded_at",
    "fields",
    "officers",
    "signatures",
    "refusals",
    "media",
    "av_exemption",
    "corrects",
    "note",
)
_SIGNATURE_KEYS = ("role", "name", "person", "party", "at", "method", "image_sha256")
_REFUSAL_KEYS = ("role", "reason", "name", "party", "at")
_MEDIA_KEYS = (
    "id",
    "type",
    "sha256",
    "sm3",
    "size",
    "captured_at",
    "completed_at",
    "ingested_at",
    "filename",
    "source",
    "uploader",
    "labels",
)


def parse_case(data: Any, known_agencies: Collection[str] | None = None) -> Case:
    """Build a :class:`Case` from decoded JSON, or raise :class:`CaseFormatError`."""
    if known_agencies is None:
        from lawtrail.core.rules import agency_ids

        known_agencies = agency_ids()
    r = _Reader()
    root = r.obj(data, "$", _CASE_KEYS)
    if root is None:
        raise CaseFormatError(r.issues)

    fmt = r.required(root, "format", "$")
    if fmt is not None and fmt != FORMAT:
        r.error("$.format", f"不支持的格式 {fmt!r}（应为 {FORMAT!r}）")
    agency = r.need(root, "agency", "$", lambda v, p: r.choice(v, p, known_agencies, "执法机关"))
    case_number = r.need(root, "case_number", "$", r.string)
    acts: list[str] = []
    raw_acts = r.required(root, "acts", "$")
    if raw_acts is not None:
        items = r.array(raw_acts, "$.acts")
        if not items and isinstance(raw_acts, list):
            r.error("$.acts", "至少应有一种行政执法行为")
        for i, act in enumerate(items):
            value = r.choice(act, f"$.acts[{i}]", ACTS, "行政执法行为")
            if value is not None:
                acts.append(value)
    procedure = r.need(root, "procedure", "$", lambda v, p: r.choice(v, p, PROCEDURES, "程序"))
    origin = r.need(root, "origin", "$", lambda v, p: r.choice(v, p, ORIGINS, "启动方式"))
    opened_at = r.need(root, "opened_at", "$", r.aware)
    major = r.opt(root, "major", "$", r.boolean)
    major_since = r.opt(root, "major_since", "$", r.aware)
    title = r.opt(root, "title", "$", lambda v, p: r.string(v, p, non_empty=False))

    people = _parse_list(r, root.get("people"), "$.people", _parse_person)
    parties = _parse_list(r, root.get("parties"), "$.parties", _parse_party)
    _check_unique(r, [p.id for p in people], "$.people", "人员")
    _check_unique(r, [p.id for p in parties], "$.parties", "当事人")
    person_ids = {p.id for p in people}
    party_ids = {p.id for p in parties}

    raw_records = r.array(root.get("records"), "$.records")
    record_ids = {
        rec["id"] for rec in raw_records if isinstance(rec, dict) and isinstance(rec.get("id"), str)
    }
    refs = _Refs(person_ids, party_ids, record_ids)
    records: list[Record] = []
    for i, raw in enumerate(raw_records):
        record = _parse_record(r, raw, f"$.records[{i}]", refs)
        if record is not None:
            records.append(record)
    _check_unique(r, [rec.id for rec in records], "$.records", "记录")
    _check_unique(r, [m.id for rec in records for m in rec.media], "$.records[*].media", "音像文件")
    by_id = {rec.id: rec for rec in records}
    for i, rec in enumerate(records):
        _check_links(r, rec, f"$.records[{i}]", by_id)
    if r.issues:
        raise CaseFormatError(r.issues)
    if agency is None or case_number is None or procedure is None:
        raise AssertionError("unreachable: missing items were reported above")
    if origin is None or opened_at is None:
        raise AssertionError("unreachable: missing items were reported above")
    return Case(
        agency=agency,
        case_number=case_number,
        acts=tuple(acts),
        procedure=procedure,
        origin=origin,
        opened_at=opened_at,
        major=bool(major),
        major_since=major_since if major else None,
        title=title or "",
        parties=tuple(parties),
        people=tuple(people),
        records=tuple(records),
    )


def parse_next_record(case: Case, raw: Any) -> Record:
    """``raw`` read as the record appended after ``case``'s records: the issues, with the same
    messages and JSON paths, that :func:`parse_case` finds in the case with ``raw`` appended,
    found without reading the other records again. ``case`` must be a valid case (as
    :func:`parse_case` returned it, or this function extended it): its records were checked
    when they were read, and a record appended later changes nothing of their checks (it can
    only be named by them, and no check of a record depends on a record named *after* it but
    the reference check, whose ids include the new one in both)."""
    r = _Reader()
    path = f"$.records[{len(case.records)}]"
    by_id = case.records_by_id
    new_id = raw.get("id") if isinstance(raw, dict) else None
    ids: Collection[str] = by_id
    if isinstance(new_id, str) and new_id not in by_id:
        ids = {*by_id, new_id}
    refs = _Refs({p.id for p in case.people}, {p.id for p in case.parties}, ids)
    record = _parse_record(r, raw, path, refs)
    if record is not None:
        if record.id in by_id:  # parse_case's _check_unique, for the one new id
            r.error("$.records", f"记录标识 {record.id!r} 重复")
        if record.media:
            known = [m.id for rec in case.records for m in rec.media]
            _check_unique(
                r, [*known, *(m.id for m in record.media)], "$.records[*].media", "音像文件"
            )
        _check_links(r, record, path, ChainMap({record.id: record}, by_id))
    if r.issues or record is None:
        raise CaseFormatError(r.issues)
    return record


def _check_links(r: _Reader, rec: Record, path: str, by_id: Mapping[str, Record]) -> None:
    """What a record must agree with in the records it names (a correction's target, a void's,
    the record a service served): one record's part of :func:`parse_case`'s checks."""
    if rec.corrects is not None:
        target = by_id.get(rec.corrects.record)
        if target is not None and target.kind != rec.kind:
            r.error(
                f"{path}.corrects.record",
                f"更正记录的类型 {rec.kind} 与被更正记录 {target.id} 的类型 {target.kind} 不同",
            )
        if rec.corrects.record == rec.id:
            r.error(f"{path}.corrects.record", "记录不能更正自身")
        if rec.kind == "void":
            # A void is withdrawn by another void, never corrected (docs/case-format.md).
            r.error(f"{path}.corrects", "作废声明不能被更正；撤回作废请再作废该声明")
    if rec.kind == "void" and rec.fields.get("target") == rec.id:
        r.error(f"{path}.fields.target", "作废声明不能作废自身")
    served = by_id.get(str(rec.fields.get("document", ""))) if rec.kind == "service" else None
    stated = rec.fields.get("document_kind")
    if served is not None and stated is not None:
        # The rules read document_kind (e.g. "催告书已送达", 000 art. 28): it must be the kind
        # of the record actually served, or serving a decision could pass for serving a 催告书.
        actual = DOCUMENT_KIND_OF_RECORD.get(served.kind, "other")
        if stated != actual:
            r.error(
                f"{path}.fields.document_kind",
                f"文书种类「{DOCUMENT_KINDS[str(stated)]}」与所送达的记录 {served.id}"
                f"（{RECORD_KINDS[served.kind].label}）不符，应为「{DOCUMENT_KINDS[actual]}」",
            )


@dataclass(frozen=True)
class _Refs:
    people: Collection[str]
    parties: Collection[str]
    records: Collection[str]


def _parse_list(
    r: _Reader, value: Any, path: str, parse: Callable[[_Reader, Any, str], T | None]
) -> list[T]:
    out: list[T] = []
    for i, item in enumerate(r.array(value, path)):
        parsed = parse(r, item, f"{path}[{i}]")
        if parsed is not None:
            out.append(parsed)
    return out


def _check_unique(r: _Reader, ids: Sequence[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            r.error(path, f"{what}标识 {ident!r} 重复")
        seen.add(ident)


def _text(r: _Reader, data: Mapping[str, Any], key: str, path: str) -> str:
    value = r.opt(data, key, path, lambda v, p: r.string(v, p, non_empty=False))
    return value or ""


def _parse_person(r: _Reader, raw: Any, path: str) -> Person | None:
    data = r.obj(raw, path, _PERSON_KEYS)
    if data is None:
        return None
    pid = r.need(data, "id", path, r.ident)
    name = r.need(data, "name", path, r.string)
    if pid is None or name is None:
        return None
    return Person(
        id=pid,
        name=name,
        title=_text(r, data, "title", path),
        certificate_number=_text(r, data, "certificate_number", path),
        certificate_valid_from=r.opt(data, "certificate_valid_from", path, r.day),
        certificate_valid_until=r.opt(data, "certificate_valid_until", path, r.day),
        roles=tuple(
            role
            for i, item in enumerate(r.array(data.get("roles"), f"{path}.roles"))
            if (role := r.choice(item, f"{path}.roles[{i}]", STAFF_ROLES, "人员角色")) is not None
        ),
    )


def _parse_party(r: _Reader, raw: Any, path: str) -> Party | None:
    data = r.obj(raw, path, _PARTY_KEYS)
    if data is None:
        return None
    pid = r.need(data, "id", path, r.ident)
    name = r.need(data, "name", path, r.string)
    kind = (
        r.opt(
            data,
            "kind",
            path,
            lambda v, p: r.choice(v, p, ("organization", "person"), "当事人类型"),
        )
        or "organization"
    )
    if pid is None or name is None:
        return None
    return Party(
        id=pid,
        name=name,
        kind=kind,
        id_number=_text(r, data, "id_number", path),
        address=_text(r, data, "address", path),
        contact=_text(r, data, "contact", path),
        legal_representative=_text(r, data, "legal_representative", path),
        misjoined=_text(r, data, "misjoined", path),
    )


def _ref(r: _Reader, value: Any, path: str, known: Collection[str], what: str) -> str | None:
    text = r.string(value, path)
    if text is not None and text not in known:
        r.error(path, f"引用了不存在的{what} {text!r}")
        return None
    return text


def _parse_record(r: _Reader, raw: Any, path: str, refs: _Refs) -> Record | None:
    data = r.obj(raw, path, _RECORD_KEYS)
    if data is None:
        return None
    rid = r.need(data, "id", path, r.ident)
    kind_id = r.need(data, "kind", path, lambda v, p: r.choice(v, p, RECORD_KINDS, "记录类型"))
    kind = RECORD_KINDS.get(kind_id) if kind_id else None
    at = r.need(data, "at", path, r.aware)
    recorded_at = r.opt(data, "recorded_at", path, r.aware)
    if at is not None and recorded_at is not None and recorded_at < at:
        r.error(f"{path}.recorded_at", "录入时间早于行为发生时间")

    fields: dict[str, FieldValue] = {}
    raw_fields = data.get("fields", {})
    if kind is not None:
        fmap = r.obj(raw_fields, f"{path}.fields", [f.name for f in kind.fields])
        if fmap is not None:
            for spec in kind.fields:
                fpath = f"{path}.fields.{spec.name}"
                if spec.name not in fmap or fmap[spec.name] is None:
                    if spec.required:
                        r.error(fpath, f"缺少必填字段「{spec.label}」")
                    continue
                value = _parse_field(r, spec, fmap[spec.name], fpath, refs)
                if value is not None:
                    fields[spec.name] = value

    officers: list[OfficerPresence] = []
    for i, item in enumerate(r.array(data.get("officers"), f"{path}.officers")):
        opath = f"{path}.officers[{i}]"
        odata = r.obj(item, opath, ("person", "certificate_shown"))
        if odata is None:
            continue
        person = r.need(odata, "person", opath, lambda v, p: _ref(r, v, p, refs.people, "人员"))
        shown = r.opt(odata, "certificate_shown", opath, r.boolean)
        if person is not None:
            officers.append(OfficerPresence(person, shown))
    if officers and kind is not None and not kind.has_officers:
        r.error(f"{path}.officers", f"{kind.label}不记录执法人员出示证件情况")

    signatures = _parse_list(
        r, data.get("signatures"), f"{path}.signatures", lambda r_, v, p: _sig(r_, v, p, refs)
    )
    refusals = _parse_list(
        r, data.get("refusals"), f"{path}.refusals", lambda r_, v, p: _refusal(r_, v, p, refs)
    )
    media = _parse_list(r, data.get("media"), f"{path}.media", _media)

    exemption = None
    if data.get("av_exemption") is not None:
        epath = f"{path}.av_exemption"
        edata = r.obj(data["av_exemption"], epath, ("reason", "approved_by", "approved"))
        if edata is not None:
            reason = r.need(edata, "reason", epath, r.string)
            if reason is not None:
                exemption = AvExemption(
                    reason,
                    _text(r, edata, "approved_by", epath),
                    r.opt(edata, "approved", epath, r.boolean),
                )

    corrects = None
    if data.get("corrects") is not None:
        cpath = f"{path}.corrects"
        cdata = r.obj(data["corrects"], cpath, ("record", "reason"))
        if cdata is not None:
            target = r.need(
                cdata, "record", cpath, lambda v, p: _ref(r, v, p, refs.records, "记录")
            )
            reason = r.need(cdata, "reason", cpath, r.string)
            if target is not None and reason is not None:
                corrects = Correction(target, reason)

    if rid is None or kind is None or at is None:
        return None
    return Record(
        id=rid,
        kind=kind.id,
        at=at,
        recorded_at=recorded_at,
        fields=fields,
        officers=tuple(officers),
        signatures=tuple(signatures),
        refusals=tuple(refusals),
        media=tuple(media),
        av_exemption=exemption,
        corrects=corrects,
        note=_text(r, data, "note", path),
    )


def _parse_field(
    r: _Reader, spec: FieldSpec, value: Any, path: str, refs: _Refs
) -> FieldValue | None:
    t = spec.type
    if t is FieldType.TEXT:
        return r.string(value, path, non_empty=False)
    if t is FieldType.TEXT_LIST:
        items = [
            r.string(v, f"{path}[{i}]", non_empty=False) for i, v in enumerate(r.array(value, path))
        ]
        return tuple(i for i in items if i is not None)
    if t is FieldType.BOOL:
        return r.boolean(value, path)
    if t is FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            r.error(path, f"应为整数，实际为 {_json_type(value)}")
            return None
        return value
    if t is FieldType.AMOUNT:
        text = r.string(value, path)
        if text is None:
            return None
        if not _AMOUNT.fullmatch(text):
            r.error(path, f'金额 {text!r} 应为元，最多两位小数的十进制字符串，如 "5000.00"')
            return None
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex already guards this
            r.error(path, f"无法解析的金额 {text!r}")
            return None
    if t is FieldType.DATE:
        return r.day(value, path)
    if t is FieldType.DATETIME:
        return r.aware(value, path)
    if t is FieldType.CHOICE:
        return r.choice(value, path, spec.choices, f"「{spec.label}」取值")
    if t is FieldType.CHOICES:
        chosen = [
            r.choice(v, f"{path}[{i}]", spec.choices, f"「{spec.label}」取值")
            for i, v in enumerate(r.array(value, path))
        ]
        return tuple(c for c in chosen if c is not None)
    if t is FieldType.PERSON:
        return _ref(r, value, path, refs.people, "人员")
    if t is FieldType.PERSONS:
        people = [
            _ref(r, v, f"{path}[{i}]", refs.people, "人员")
            for i, v in enumerate(r.array(value, path))
        ]
        return tuple(p for p in people if p is not None)
    if t is FieldType.PARTY:
        return _ref(r, value, path, refs.parties, "当事人")
    if t is FieldType.RECORD:
        return _ref(r, value, path, refs.records, "记录")
    raise AssertionError(f"unhandled field type {t}")  # pragma: no cover


def _sig(r: _Reader, raw: Any, path: str, refs: _Refs) -> Signature | None:
    data = r.obj(raw, path, _SIGNATURE_KEYS)
    if data is None:
        return None
    role = r.need(data, "role", path, lambda v, p: r.choice(v, p, SIGNATURE_ROLES, "签名角色"))
    person = r.opt(data, "person", path, lambda v, p: _ref(r, v, p, refs.people, "人员"))
    party = r.opt(data, "party", path, lambda v, p: _ref(r, v, p, refs.parties, "当事人"))
    name = _text(r, data, "name", path)
    if not (name or person or party) and "person" not in data and "party" not in data:
        r.error(path, "签名应写明签名人：name、person 或 party 至少其一")
    method = (
        r.opt(data, "method", path, lambda v, p: r.choice(v, p, SIGNATURE_METHODS, "签名方式"))
        or "handwritten"
    )
    image = _text(r, data, "image_sha256", path)
    if image and not _HEX64.fullmatch(image):
        r.error(f"{path}.image_sha256", "应为64位小写十六进制 SHA-256 摘要")
    if role is None:
        return None
    return Signature(
        role=role,
        name=name,
        person=person or "",
        party=party or "",
        at=r.opt(data, "at", path, r.aware),
        method=method,
        image_sha256=image,
    )


def _refusal(r: _Reader, raw: Any, path: str, refs: _Refs) -> Refusal | None:
    data = r.obj(raw, path, _REFUSAL_KEYS)
    if data is None:
        return None
    role = r.need(data, "role", path, lambda v, p: r.choice(v, p, SIGNATURE_ROLES, "签名角色"))
    reason = r.need(data, "reason", path, r.string)
    party = r.opt(data, "party", path, lambda v, p: _ref(r, v, p, refs.parties, "当事人"))
    if role is None or reason is None:
        return None
    return Refusal(
        role=role,
        reason=reason,
        name=_text(r, data, "name", path),
        party=party or "",
        at=r.opt(data, "at", path, r.aware),
    )


def _media(r: _Reader, raw: Any, path: str) -> Media | None:
    data = r.obj(raw, path, _MEDIA_KEYS)
    if data is None:
        return None
    mid = r.need(data, "id", path, r.ident)
    mtype = r.need(data, "type", path, lambda v, p: r.choice(v, p, MEDIA_TYPES, "音像类型"))
    sha = r.required(data, "sha256", path)
    if sha is not None:
        sha = r.string(sha, f"{path}.sha256")
        if sha is not None and not _HEX64.fullmatch(sha):
            r.error(f"{path}.sha256", "应为64位小写十六进制 SHA-256 摘要")
            sha = None
    sm3 = _text(r, data, "sm3", path)
    if sm3 and not _HEX64.fullmatch(sm3):
        r.error(f"{path}.sm3", "应为64位小写十六进制 SM3 摘要")
    captured = r.need(data, "captured_at", path, r.aware)
    ingested = r.need(data, "ingested_at", path, r.aware)
    completed = r.opt(data, "completed_at", path, r.aware)
    if captured and completed and completed < captured:
        r.error(f"{path}.completed_at", "录制结束时间早于开始时间")
    if completed and ingested and ingested < completed:
        r.error(f"{path}.ingested_at", "入库时间早于录制结束时间（请核对设备时钟）")
    if captured and ingested and ingested < captured:
        r.error(f"{path}.ingested_at", "入库时间早于拍摄时间（请核对设备时钟）")
    size = data.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        r.error(f"{path}.size", "应为非负整数（字节数）")
        size = None
    source = r.opt(data, "source", path, lambda v, p: r.choice(v, p, MEDIA_SOURCES, "来源")) or ""
    labels: dict[str, str] = {}
    if data.get("labels") is not None:
        lmap = r.obj(data["labels"], f"{path}.labels", LABEL_KEYS)
        for key, value in (lmap or {}).items():
            if key in LABEL_KEYS:
                text = r.string(value, f"{path}.labels.{key}", non_empty=False)
                if text is not None:
                    labels[key] = text
    if mid is None or mtype is None or sha is None or captured is None or ingested is None:
        return None
    return Media(
        id=mid,
        type=mtype,
        sha256=sha,
        sm3=sm3,
        completed_at=completed,
        size=size,
        captured_at=captured,
        ingested_at=ingested,
        filename=_text(r, data, "filename", path),
        source=source,
        uploader=_text(r, data, "uploader", path),
        labels=labels,
    )


def parse_media(data: Any, path: str = "$") -> Media:
    """One media item of the case format (e.g. a ledger's media ingestion entry)."""
    r = _Reader()
    media = _media(r, data, path)
    if r.issues or media is None:
        raise CaseFormatError(r.issues or [FormatIssue(path, "无效的音像文件信息")])
    return media


# ---------------------------------------------------------------- writing


def media_to_json(media: Media) -> dict[str, Any]:
    return _drop_empty(vars(media))


def person_to_json(person: Person) -> dict[str, Any]:
    return _drop_empty(vars(person))


def case_to_json(case: Case) -> dict[str, Any]:
    """The inverse of :func:`parse_case`: a dict that `json.dumps` writes as a case file."""
    out: dict[str, Any] = {
        "format": FORMAT,
        "agency": case.agency,
        "case_number": case.case_number,
    }
    if case.title:
        out["title"] = case.title
    out |= {
        "acts": list(case.acts),
        "procedure": case.procedure,
        "origin": case.origin,
        "major": case.major,
        **({"major_since": case.major_since.isoformat()} if case.major_since else {}),
        "opened_at": case.opened_at.isoformat(),
        "parties": [_drop_empty(vars(p)) for p in case.parties],
        "people": [person_to_json(p) for p in case.people],
        "records": [record_to_json(rec) for rec in case.records],
    }
    return out


def record_to_json(rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rec.id, "kind": rec.kind, "at": rec.at.isoformat()}
    if rec.recorded_at:
        out["recorded_at"] = rec.recorded_at.isoformat()
    if rec.fields:
        out["fields"] = {k: _value_json(v) for k, v in rec.fields.items()}
    if rec.officers:
        out["officers"] = [_drop_empty(vars(o)) for o in rec.officers]
    if rec.signatures:
        out["signatures"] = [_drop_empty(vars(s)) for s in rec.signatures]
    if rec.refusals:
        out["refusals"] = [_drop_empty(vars(s)) for s in rec.refusals]
    if rec.media:
        out["media"] = [media_to_json(m) for m in rec.media]
    if rec.av_exemption:
        out["av_exemption"] = _drop_empty(vars(rec.av_exemption))
    if rec.corrects:
        out["corrects"] = vars(rec.corrects).copy()
    if rec.note:
        out["note"] = rec.note
    return out


def _value_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [_value_json(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _value_json(v) for k, v in value.items()}
    return value


def _drop_empty(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: _value_json(v)
        for k, v in data.items()
        if v is not None and v != "" and v != {} and v != () and v != []
    }
