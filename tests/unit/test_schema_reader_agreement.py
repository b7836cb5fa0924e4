"""The published JSON Schema and the reader agree on what a case file is.

`lawtrail.core.schema` (published as ``case.schema.json``) lets other systems validate a case
file before sending it; `lawtrail.core.caseio` is the reader that decides. The example case
files in ``examples/`` are mutated — into valid variants, and into each syntactic defect the
schema can express, among them a name written where the id of a party, a person or a record
belongs, in every place a reference is written — and the schema must accept exactly the
documents the reader accepts. A probe record kind with one field of every field type covers the
types no shipped record kind uses yet.

What JSON Schema cannot express (whether a referenced id exists, unique ids, two times in order,
an integer written as 3.0 …) is listed too: there the schema accepts and only the reader refuses,
as the schema's description and docs/case-format.md say. Other ISO 8601 spellings than the
documented one (basic format, week dates, a space for ``T``, ``+0800``), digits of other scripts
and trailing newlines are refused by both: one written form per value.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from lawtrail.core import caseio, record_kinds
from lawtrail.core.caseio import CaseFormatError, parse_case
from lawtrail.core.record_kinds import RECORD_KINDS, FieldSpec, FieldType, RecordKind, Stage
from lawtrail.core.schema import ID_PATTERN, case_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*/*.json"))
Doc = dict[str, Any]
REFERENCE_TYPES = (FieldType.PARTY, FieldType.PERSON, FieldType.PERSONS, FieldType.RECORD)
# Each mutation is tried on up to this many examples (in turn, so that all are used): the
# Python validator takes ~20 ms for an example file.
EXAMPLES_PER_MUTATION = 3

# The generator's schema as it is now; that the committed file is this schema is checked by
# tests/unit/test_rule_packs.py::test_generated_files_are_up_to_date.
VALIDATOR = Draft202012Validator(case_schema())


def load(path: Path) -> Doc:
    data: Doc = json.loads(path.read_text(encoding="utf-8"))
    return data


def verdicts(doc: Any, schema: Draft202012Validator) -> tuple[bool, bool, str]:
    """(the schema accepts, the reader accepts, why either refuses).

    When both refuse, they must refuse for the same defect: every JSON path the reader names
    and every path the schema's errors name lie on one line (one contains the other), so that a
    side effect of a mutation cannot hide a defect the schema misses. Only the reader reports
    the references a defect leaves dangling (a party without a valid id is no party to name)."""
    try:
        parse_case(doc)
        issues: list[tuple[str, str]] = []
    except CaseFormatError as exc:
        issues = [(i.path, i.message) for i in exc.issues]
    errors = list(schema.iter_errors(doc))
    why = "；".join(
        [f"读取程序：{p}: {m}" for p, m in issues]
        + [f"JSON Schema：{e.json_path}: {e.message[:160]}" for e in errors]
    )
    schema_paths = [e.json_path for e in errors]
    if issues and schema_paths:
        reader_paths = [p for p, _ in issues]
        for path, message in issues:
            assert message.startswith("引用了不存在的") or any(
                _on_one_line(path, s) for s in schema_paths
            ), f"只有读取程序指出 {path}（{why}）"
        for path in schema_paths:
            assert any(_on_one_line(path, r) for r in reader_paths), (
                f"只有 JSON Schema 指出 {path}（{why}）"
            )
    return not errors, not issues, why


def _on_one_line(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return long == short or long.startswith((f"{short}.", f"{short}["))


def assert_verdicts(
    doc: Any,
    what: str,
    *,
    reader: bool,
    schema: bool,
    validator: Draft202012Validator = VALIDATOR,
) -> None:
    schema_ok, reader_ok, why = verdicts(doc, validator)
    assert reader_ok is reader, f"{what}：读取程序应{'接受' if reader else '拒绝'}（{why}）"
    assert schema_ok is schema, f"{what}：JSON Schema 应{'接受' if schema else '拒绝'}（{why}）"


def assert_agree(
    doc: Any, what: str, accepted: bool, validator: Draft202012Validator = VALIDATOR
) -> None:
    assert_verdicts(doc, what, reader=accepted, schema=accepted, validator=validator)


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(case_schema())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_schema_and_reader_accept_every_example(path: Path) -> None:
    assert_agree(load(path), path.name, True)


@pytest.mark.parametrize("root", [[], "case", 1, None, True])
def test_schema_and_reader_refuse_a_root_that_is_not_an_object(root: Any) -> None:
    assert_agree(root, f"根为 {root!r}", False)


def test_every_object_of_the_schema_lists_the_keys_the_reader_knows() -> None:
    props = case_schema()["properties"]
    record = props["records"]["items"]["properties"]
    media = record["media"]["items"]["properties"]
    assert set(props) == set(caseio._CASE_KEYS)
    assert set(props["people"]["items"]["properties"]) == set(caseio._PERSON_KEYS)
    assert set(props["parties"]["items"]["properties"]) == set(caseio._PARTY_KEYS)
    assert set(record) == set(caseio._RECORD_KEYS)
    assert set(record["signatures"]["items"]["properties"]) == set(caseio._SIGNATURE_KEYS)
    assert set(record["refusals"]["items"]["properties"]) == set(caseio._REFUSAL_KEYS)
    assert set(media) == set(caseio._MEDIA_KEYS)
    assert set(media["labels"]["properties"]) == set(caseio.LABEL_KEYS)


def test_every_reference_says_which_collection_it_names_and_who_checks_existence() -> None:
    text = json.dumps(case_schema(), ensure_ascii=False)
    for collection in ("$.parties[*].id", "$.people[*].id", "$.records[*].id"):
        assert f"须为 {collection} 之一的标识" in text
    assert text.count("所引用的标识是否存在于本案，JSON Schema 无法表达") > 10


# ------------------------------------------------------------------ finding things in a case


def records(doc: Doc) -> list[Doc]:
    return [r for r in doc.get("records") or [] if isinstance(r, dict)]


def kind(rec: Doc) -> RecordKind:
    return RECORD_KINDS[rec["kind"]]


def first(items: Iterable[Doc]) -> Doc | None:
    return next(iter(items), None)


def items_of(doc: Doc, key: str) -> Iterator[Doc]:
    """Every signature, refusal, media item or officer of every record."""
    for rec in records(doc):
        yield from (i for i in rec.get(key) or [] if isinstance(i, dict))


def field_of_type(doc: Doc, *types: FieldType) -> tuple[Doc, FieldSpec] | None:
    """The first record stating a field of one of `types`, and the field."""
    for rec in records(doc):
        for spec in kind(rec).fields:
            if spec.type in types and (rec.get("fields") or {}).get(spec.name) is not None:
                return rec, spec
    return None


def name_for(doc: Doc, target: FieldType, ident: str) -> str:
    """What a careless sender writes instead of the id: the person's or party's name, the
    record's title."""
    if target is FieldType.RECORD:
        name = next(kind(r).label for r in records(doc) if r["id"] == ident)
    else:
        key = "parties" if target is FieldType.PARTY else "people"
        name = next(p["name"] for p in doc[key] if p["id"] == ident)
    assert not re.search(ID_PATTERN, name), f"{name!r} 碰巧也是合法的标识写法"
    return str(name)


def top(doc: Doc) -> Doc:
    return doc


def party(doc: Doc) -> Doc | None:
    return first(doc.get("parties") or [])


def person(doc: Doc) -> Doc | None:
    return first(doc.get("people") or [])


def record(doc: Doc) -> Doc | None:
    return first(records(doc))


def record_without_officers(doc: Doc) -> Doc | None:
    return first(r for r in records(doc) if not kind(r).has_officers)


def record_with_officers(doc: Doc) -> Doc | None:
    return first(r for r in records(doc) if kind(r).has_officers)


def record_with_required_fields(doc: Doc) -> Doc | None:
    return first(r for r in records(doc) if any(s.required for s in kind(r).fields))


def signature(doc: Doc) -> Doc | None:
    return first(items_of(doc, "signatures"))


def refusal(doc: Doc) -> Doc | None:
    return first(items_of(doc, "refusals"))


def media(doc: Doc) -> Doc | None:
    return first(items_of(doc, "media"))


def officer(doc: Doc) -> Doc | None:
    return first(items_of(doc, "officers"))


def labels(doc: Doc) -> Doc | None:
    item = first(m for m in items_of(doc, "media") if m.get("labels"))
    return item["labels"] if item else None


def first_id(doc: Doc, target: FieldType) -> str:
    key = {FieldType.PARTY: "parties", FieldType.RECORD: "records"}.get(target, "people")
    return str(doc[key][0]["id"])


# ------------------------------------------------------------------ mutations of the examples


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[Doc], bool]  # changes the document; False where it does not apply
    accepted: bool


MUTATIONS: list[Mutation] = []


MutationFn = Callable[[Doc], bool]


def mutation(name: str, *, accepted: bool = False) -> Callable[[MutationFn], MutationFn]:
    def register(apply: MutationFn) -> MutationFn:
        MUTATIONS.append(Mutation(name, apply, accepted))
        return apply

    return register


def simple(
    name: str, where: Callable[[Doc], Doc | None], key: str, value: Any, *, ok: bool = False
) -> None:
    """Set `key` of the object `where` finds to `value`."""

    def apply(doc: Doc) -> bool:
        target = where(doc)
        if target is None:
            return False
        target[key] = copy.deepcopy(value)
        return True

    mutation(name, accepted=ok)(apply)


def missing(what: str, where: Callable[[Doc], Doc | None], key: str) -> None:
    """A required key left out, and written as null."""

    def drop(doc: Doc) -> bool:
        target = where(doc)
        if target is None or key not in target:
            return False
        del target[key]
        return True

    def null(doc: Doc) -> bool:
        target = where(doc)
        if target is None or key not in target:
            return False
        target[key] = None
        return True

    mutation(f"{what}缺少 {key}")(drop)
    mutation(f"{what}的 {key} 为 null")(null)


def field_value(
    name: str, types: tuple[FieldType, ...], value: Callable[[FieldSpec], Any], *, ok: bool = False
) -> None:
    """Set the first stated field of one of `types` to `value(its spec)`."""

    def apply(doc: Doc) -> bool:
        found = field_of_type(doc, *types)
        if found is None:
            return False
        rec, spec = found
        rec["fields"][spec.name] = value(spec)
        return True

    mutation(name, accepted=ok)(apply)


def first_choice(spec: FieldSpec) -> str:
    return next(iter(spec.choices))


# -- valid variants: both accept

OPTIONAL_KEYS: dict[str, tuple[str, ...]] = {
    "case": ("title", "major", "parties", "people", "records"),
    "party": ("kind", "id_number", "address", "contact"),
    "person": (
        "title",
        "certificate_number",
        "certificate_valid_from",
        "certificate_valid_until",
        "roles",
    ),
    "record": (
        "recorded_at",
        "officers",
        "signatures",
        "refusals",
        "media",
        "av_exemption",
        "corrects",
        "note",
    ),
    "signatures": ("name", "at", "method", "image_sha256"),
    "refusals": ("name", "party", "at"),
    "media": ("sm3", "size", "completed_at", "filename", "source", "uploader", "labels"),
    "officers": ("certificate_shown",),
}


@mutation("每个未写的可选键写作 null", accepted=True)
def _nulls(doc: Doc) -> bool:
    def fill(obj: Doc, keys: Iterable[str]) -> None:
        for key in keys:
            obj.setdefault(key, None)

    fill(doc, OPTIONAL_KEYS["case"])
    for p in doc.get("parties") or []:
        fill(p, OPTIONAL_KEYS["party"])
    for p in doc.get("people") or []:
        fill(p, OPTIONAL_KEYS["person"])
    for rec in records(doc):
        fill(rec, OPTIONAL_KEYS["record"])
        if "fields" in rec:
            fill(rec["fields"], (s.name for s in kind(rec).fields if not s.required))
        for key in ("signatures", "refusals", "media", "officers"):
            for item in rec.get(key) or []:
                fill(item, OPTIONAL_KEYS[key])
    return True


@mutation("时间写作 UTC（Z）、不写秒、带小数秒", accepted=True)
def _other_time_forms(doc: Doc) -> bool:
    opened = datetime.fromisoformat(doc["opened_at"]).astimezone(UTC)
    rec = record(doc)
    if opened.second or rec is None or rec["at"][19:20] != "+":
        return False
    doc["opened_at"] = opened.strftime("%Y-%m-%dT%H:%MZ")
    rec["at"] = rec["at"][:19] + ".250" + rec["at"][19:]
    return True


@mutation("更正同类记录", accepted=True)
def _correction(doc: Doc) -> bool:
    rec = record(doc)
    if rec is None:
        return False
    fixed = {k: copy.deepcopy(v) for k, v in rec.items() if k != "media"}
    fixed |= {"id": "fixed-1", "corrects": {"record": rec["id"], "reason": "笔误"}}
    doc["records"].append(fixed)
    return True


@mutation("行政执法行为重复一项", accepted=True)
def _acts_twice(doc: Doc) -> bool:
    doc["acts"] = [*doc["acts"], doc["acts"][0]]
    return True


@mutation("签名只写签名人姓名", accepted=True)
def _sign_by_name(doc: Doc) -> bool:
    sig = first(s for s in items_of(doc, "signatures") if s.get("person"))
    if sig is None:
        return False
    sig.pop("person")
    sig.pop("party", None)
    sig["name"] = "张三"
    return True


simple("签名图像摘要为空串", signature, "image_sha256", "", ok=True)
simple("音像文件 SM3 为空串", media, "sm3", "", ok=True)
simple("没有执法人员的记录类型写 officers: []", record_without_officers, "officers", [], ok=True)
simple("闰年 2 月 29 日", person, "certificate_valid_until", "2028-02-29", ok=True)
simple("当事人名称前后有空格", party, "name", " 某某 ", ok=True)
simple("人员的角色", person, "roles", ["officer", "handler"], ok=True)
simple(
    "不适宜音像记录的理由和批准", record, "av_exemption", {"reason": "x", "approved": True}, ok=True
)
field_value("多选字段重复一项", (FieldType.CHOICES,), lambda s: [first_choice(s)] * 2, ok=True)
field_value("文本字段为空串", (FieldType.TEXT,), lambda s: "", ok=True)
field_value("负金额", (FieldType.AMOUNT,), lambda s: "-5", ok=True)

# -- defects JSON Schema expresses: both refuse

simple("顶层未知的键", top, "formatt", "x")
for key in ("format", "agency", "case_number", "acts", "procedure", "origin", "opened_at"):
    missing("案件", top, key)
simple("不支持的格式版本", top, "format", "lawtrail-case/2")
simple("未知的执法机关", top, "agency", "shanghai-police")
simple("案号只有空白", top, "case_number", "   ")
simple("没有行政执法行为", top, "acts", [])
simple("未知的行政执法行为", top, "acts", ["telepathy"])
simple("行政执法行为不是数组", top, "acts", "penalty")
simple("未知的程序", top, "procedure", "summary")
simple("未知的启动方式", top, "origin", "rumour")
simple("重大决定不是布尔值", top, "major", "yes")
simple("立案时间缺少时区偏移", top, "opened_at", "2026-09-01T09:00:00")
simple("立案时间的日期不存在", top, "opened_at", "2026-02-30T09:00:00+08:00")
simple("立案时间 24 时", top, "opened_at", "2026-10-09T24:00:00+08:00")
simple("立案时间 60 分", top, "opened_at", "2026-10-09T14:60:00+08:00")
simple("立案时间 60 秒", top, "opened_at", "2026-10-09T14:30:60+08:00")
simple("立案时间偏移 24 小时", top, "opened_at", "2026-10-09T14:30:00+24:00")
simple("立案时间为公元 0 年", top, "opened_at", "0000-06-01T00:00:00+00:00")
simple("立案时间只有日期", top, "opened_at", "2026-10-09")
simple("立案时间用全角数字", top, "opened_at", "２０２６-10-09T14:30:00+08:00")
simple("立案时间小写 z", top, "opened_at", "2026-10-09T06:30:00z")
simple("立案时间不是字符串", top, "opened_at", 1_791_000_000)
simple("当事人不是数组", top, "parties", {})
simple("记录不是数组", top, "records", "r1")

for key in ("id", "name"):
    missing("当事人", party, key)
simple("当事人标识用中文", party, "id", "当事人甲")
simple("当事人标识为空", party, "id", "")
simple("当事人标识含空格", party, "id", "p 1")
simple("当事人标识超过 64 个字符", party, "id", "p" * 65)
simple("当事人名称为空", party, "name", "")
simple("未知的当事人类型", party, "kind", "company")
simple("当事人未知的键", party, "phone", "110")
for key in ("id", "name"):
    missing("人员", person, key)
simple("人员姓名只有空白", person, "name", " ")
simple("证件有效期的日期不存在", person, "certificate_valid_until", "2026-02-29")
simple("证件有效期 13 月", person, "certificate_valid_until", "2026-13-01")
simple("证件有效期用斜线", person, "certificate_valid_until", "2026/10/09")
simple("证件有效期带时间", person, "certificate_valid_until", "2026-10-09T00:00:00+08:00")
simple("未知的人员角色", person, "roles", ["boss"])
simple("人员未知的键", person, "email", "x@example.org")

for key in ("id", "kind", "at"):
    missing("记录", record, key)
simple("未知的记录类型", record, "kind", "telepathy")
simple("记录标识用中文", record, "id", "记录一")
simple("行为时间缺少时区偏移", record, "at", "2026-09-01T09:00:00")
simple("录入时间无法解析", record, "recorded_at", "garbage")
simple("记录字段为 null", record, "fields", None)
simple("记录字段不是对象", record, "fields", [])
simple("记录未知的键", record, "remark", "x")
simple("备注不是字符串", record, "note", 5)
simple("执法人员不是数组", record_with_officers, "officers", {"person": "x"})


@mutation("没有执法人员的记录类型写了执法人员")
def _officers_where_none(doc: Doc) -> bool:
    rec = record_without_officers(doc)
    if rec is None:
        return False
    rec["officers"] = [{"person": first_id(doc, FieldType.PERSON), "certificate_shown": True}]
    return True


@mutation("记录字段中未知的键")
def _unknown_field(doc: Doc) -> bool:
    rec = record(doc)
    if rec is None:
        return False
    rec.setdefault("fields", {})["no_such_field"] = "x"
    return True


@mutation("缺少必填字段")
def _missing_required_field(doc: Doc) -> bool:
    rec = record_with_required_fields(doc)
    if rec is None:
        return False
    return rec["fields"].pop(next(s.name for s in kind(rec).fields if s.required)) is not None


@mutation("必填字段为 null")
def _null_required_field(doc: Doc) -> bool:
    rec = record_with_required_fields(doc)
    if rec is None:
        return False
    rec["fields"][next(s.name for s in kind(rec).fields if s.required)] = None
    return True


@mutation("有必填字段的记录不写 fields")
def _no_fields(doc: Doc) -> bool:
    rec = record_with_required_fields(doc)
    return rec is not None and rec.pop("fields") is not None


field_value("单选字段取未知值", (FieldType.CHOICE,), lambda s: "no-such-choice")
field_value("单选字段写成数组", (FieldType.CHOICE,), lambda s: [first_choice(s)])
field_value("多选字段取未知值", (FieldType.CHOICES,), lambda s: ["no-such-choice"])
field_value("多选字段写成字符串", (FieldType.CHOICES,), first_choice)
field_value("布尔字段写成字符串", (FieldType.BOOL,), lambda s: "yes")
field_value("布尔字段写成数字", (FieldType.BOOL,), lambda s: 1)
field_value("文本字段写成数字", (FieldType.TEXT,), lambda s: 5)
field_value("文本列表写成字符串", (FieldType.TEXT_LIST,), lambda s: "一项")
field_value("文本列表含 null", (FieldType.TEXT_LIST,), lambda s: [None])
field_value("日期字段的日期不存在", (FieldType.DATE,), lambda s: "2026-04-31")
field_value("时间字段缺少时区偏移", (FieldType.DATETIME,), lambda s: "2026-10-09T14:30:00")
field_value("金额三位小数", (FieldType.AMOUNT,), lambda s: "5000.001")
field_value("金额带千位分隔符", (FieldType.AMOUNT,), lambda s: "5,000.00")
field_value("金额写成数字", (FieldType.AMOUNT,), lambda s: 5000)
field_value("金额用科学计数法", (FieldType.AMOUNT,), lambda s: "5e3")

missing("执法人员", officer, "person")
simple("出示证件不是布尔值", officer, "certificate_shown", "是")
missing("签名", signature, "role")
simple("未知的签名角色", signature, "role", "boss")
simple("未知的签名方式", signature, "method", "telepathy")
simple("签名图像摘要为大写", signature, "image_sha256", "A" * 64)
simple("签名时间缺少时区偏移", signature, "at", "2026-09-01T09:00:00")
simple("签名未知的键", signature, "seal", "x")


@mutation("签名不写签名人")
def _anonymous_signature(doc: Doc) -> bool:
    sig = signature(doc)
    if sig is None:
        return False
    for key in ("name", "person", "party"):
        sig.pop(key, None)
    return True


@mutation("签名人姓名为空串")
def _empty_signer(doc: Doc) -> bool:
    sig = signature(doc)
    if sig is None:
        return False
    for key in ("person", "party"):
        sig.pop(key, None)
    sig["name"] = ""
    return True


missing("拒签", refusal, "reason")
simple("拒签理由为空", refusal, "reason", "")
for key in ("id", "type", "sha256", "captured_at", "ingested_at"):
    missing("音像文件", media, key)
simple("音像文件摘要为大写", media, "sha256", "A" * 64)
simple("音像文件摘要过短", media, "sha256", "abc")
simple("音像文件 SM3 不是十六进制", media, "sm3", "xyz")
simple("音像文件大小为负", media, "size", -1)
simple("音像文件大小写成字符串", media, "size", "12")
simple("音像文件大小写成布尔值", media, "size", True)
simple("未知的音像类型", media, "type", "hologram")
simple("未知的音像来源", media, "source", "drone")
simple("拍摄时间缺少时区偏移", media, "captured_at", "2026-09-01T09:00:00")
simple("音像文件未知的键", media, "codec", "h264")
simple("音像标签为 null", labels, "party", None)
simple("音像标签未知的键", labels, "place", "x")
simple("不适宜音像记录缺少理由", record, "av_exemption", {"approved_by": "x"})
simple("不适宜音像记录理由为空", record, "av_exemption", {"reason": " "})
simple("不适宜音像记录未知的键", record, "av_exemption", {"reason": "x", "why": "y"})
simple("不适宜音像记录的批准不是布尔值", record, "av_exemption", {"reason": "x", "approved": 1})


@mutation("更正缺少理由")
def _correction_without_reason(doc: Doc) -> bool:
    if not _correction(doc):
        return False
    del doc["records"][-1]["corrects"]["reason"]
    return True


@mutation("更正未知的键")
def _correction_unknown_key(doc: Doc) -> bool:
    if not _correction(doc):
        return False
    doc["records"][-1]["corrects"]["by"] = "x"
    return True


@mutation("作废声明被更正")
def _corrected_void(doc: Doc) -> bool:
    target = record(doc)
    if target is None:
        return False
    void = {"kind": "void", "at": target["at"], "fields": {"target": target["id"], "reason": "误"}}
    doc["records"] += [
        {"id": "void-1", **copy.deepcopy(void)},
        {"id": "void-2", **void, "corrects": {"record": "void-1", "reason": "更正理由"}},
    ]
    return True


def examples_for(index: int) -> list[Path]:
    """The examples mutation number `index` is tried on, in turn from a different one."""
    return EXAMPLES[index % len(EXAMPLES) :] + EXAMPLES[: index % len(EXAMPLES)]


@pytest.mark.parametrize(
    ("index", "m"), list(enumerate(MUTATIONS)), ids=[m.name for m in MUTATIONS]
)
def test_schema_and_reader_agree_on_mutated_examples(index: int, m: Mutation) -> None:
    applied = 0
    for path in examples_for(index):
        doc = load(path)
        if not m.apply(doc):
            continue
        assert_agree(doc, f"{path.parent.name}/{path.name}：{m.name}", m.accepted)
        applied += 1
        if applied == EXAMPLES_PER_MUTATION:
            break
    assert applied, f"没有示例文件可以做“{m.name}”的变异"


# ------------------------------------------------------------------ references


@dataclass(frozen=True)
class Site:
    """One place of a case file where a reference is written."""

    label: str
    target: FieldType
    holder: Any  # the dict or list holding the id
    key: str | int


def reference_sites(doc: Doc) -> dict[str, Site]:
    """The first place of each kind where the document writes a reference."""
    sites: dict[str, Site] = {}

    def add(label: str, target: FieldType, holder: Any, key: str | int) -> None:
        sites.setdefault(label, Site(label, target, holder, key))

    for rec in records(doc):
        values = rec.get("fields") or {}
        for spec in kind(rec).fields:
            value = values.get(spec.name)
            if spec.type in REFERENCE_TYPES and value:
                label = f"{rec['kind']}.fields.{spec.name}"
                if spec.type is FieldType.PERSONS:
                    add(label, FieldType.PERSON, value, 0)
                else:
                    add(label, spec.type, values, spec.name)
        for sig in rec.get("signatures") or []:
            for key, target in (("person", FieldType.PERSON), ("party", FieldType.PARTY)):
                if sig.get(key):
                    add(f"signatures[].{key}", target, sig, key)
        for ref in rec.get("refusals") or []:
            if ref.get("party"):
                add("refusals[].party", FieldType.PARTY, ref, "party")
        for off in rec.get("officers") or []:
            add("officers[].person", FieldType.PERSON, off, "person")
        if rec.get("corrects"):
            add("corrects.record", FieldType.RECORD, rec["corrects"], "record")
    return sites


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_name_instead_of_an_id_is_refused_by_both_in_every_reference(path: Path) -> None:
    labels = reference_sites(load(path))
    assert labels, "示例文件中没有引用"
    for label in labels:
        doc = load(path)
        site = reference_sites(doc)[label]
        site.holder[site.key] = name_for(doc, site.target, site.holder[site.key])
        assert_agree(doc, f"{path.name}：{label} 写成名称", False)


def test_the_examples_write_references_of_every_place_and_type() -> None:
    seen = {label for path in EXAMPLES for label in reference_sites(load(path))}
    for place in ("signatures[].person", "signatures[].party", "officers[].person"):
        assert place in seen
    assert {"refusals[].party", "corrects.record"} & seen
    kinds_of_fields = {
        RECORD_KINDS[label.split(".")[0]].field(label.split(".")[-1]).type
        for label in seen
        if ".fields." in label
    }
    # No example names a party in a field (application_registration.applicant,
    # copy_request.requester): test_every_reference_field_takes_an_id_and_refuses_a_name does.
    assert {FieldType.PERSON, FieldType.RECORD} <= kinds_of_fields


REFERENCE_FIELDS = [
    (k, spec) for k in RECORD_KINDS.values() for spec in k.fields if spec.type in REFERENCE_TYPES
]


def valid_value(spec: FieldSpec, doc: Doc) -> Any:
    """A value of a field that the reader accepts in `doc` (for required fields)."""
    if spec.type in (FieldType.CHOICE,):
        return first_choice(spec)
    if spec.type in REFERENCE_TYPES:
        ident = first_id(doc, spec.type)
        return [ident] if spec.type is FieldType.PERSONS else ident
    return "x"


def with_reference(doc: Doc, record_kind: RecordKind, spec: FieldSpec, value: Any) -> Doc:
    """`doc` with a new record of `record_kind` whose field `spec` is `value`."""
    values = {s.name: valid_value(s, doc) for s in record_kind.fields if s.required}
    values[spec.name] = value
    doc["records"].append(
        {"id": "probe-1", "kind": record_kind.id, "at": doc["opened_at"], "fields": values}
    )
    return doc


@pytest.mark.parametrize(
    ("record_kind", "spec"), REFERENCE_FIELDS, ids=[f"{k.id}.{s.name}" for k, s in REFERENCE_FIELDS]
)
def test_every_reference_field_takes_an_id_and_refuses_a_name(
    record_kind: RecordKind, spec: FieldSpec
) -> None:
    path = EXAMPLES[REFERENCE_FIELDS.index((record_kind, spec)) % len(EXAMPLES)]
    base = load(path)
    target = FieldType.PERSON if spec.type is FieldType.PERSONS else spec.type
    ident = first_id(base, target)
    name = name_for(base, target, ident)
    wrap: Callable[[str], Any] = (lambda v: [v]) if spec.type is FieldType.PERSONS else str
    what = f"{path.name} + {record_kind.id}.{spec.name}"
    assert_agree(with_reference(load(path), record_kind, spec, wrap(ident)), f"{what} = 标识", True)
    assert_agree(with_reference(load(path), record_kind, spec, wrap(name)), f"{what} = 名称", False)


# ------------------------------------------------------------------ what JSON Schema cannot say


INEXPRESSIBLE: dict[str, Callable[[Doc], None]] = {}


def inexpressible(name: str) -> Callable[[Callable[[Doc], None]], Callable[[Doc], None]]:
    def register(apply: Callable[[Doc], None]) -> Callable[[Doc], None]:
        INEXPRESSIBLE[name] = apply
        return apply

    return register


def _set_field(doc: Doc, kind_id: str, name: str, value: Any) -> None:
    spec = RECORD_KINDS[kind_id].field(name)
    with_reference(doc, RECORD_KINDS[kind_id], spec, value)


inexpressible("引用不存在的人员")(lambda d: _set_field(d, "copy_request", "head", "nobody"))
inexpressible("引用不存在的当事人")(lambda d: _set_field(d, "copy_request", "requester", "nobody"))
inexpressible("引用不存在的记录")(lambda d: _set_field(d, "access", "target", "r-none"))
inexpressible("当事人字段写了人员的标识")(
    lambda d: _set_field(d, "copy_request", "requester", first_id(d, FieldType.PERSON))
)
inexpressible("人员字段写了当事人的标识")(
    lambda d: _set_field(d, "copy_request", "head", first_id(d, FieldType.PARTY))
)


@inexpressible("签名引用不存在的人员")
def _sig_nobody(doc: Doc) -> None:
    sig = first(s for s in items_of(doc, "signatures") if s.get("person"))
    assert sig is not None
    sig["person"] = "nobody"


@inexpressible("当事人标识重复")
def _dup_party(doc: Doc) -> None:
    doc["parties"].append({**doc["parties"][0], "name": "另一当事人"})


@inexpressible("人员标识重复")
def _dup_person(doc: Doc) -> None:
    doc["people"].append({**doc["people"][0], "name": "另一人员"})


@inexpressible("记录标识重复")
def _dup_record(doc: Doc) -> None:
    doc["records"].append({k: v for k, v in doc["records"][0].items() if k != "media"})


@inexpressible("音像文件标识重复")
def _dup_media(doc: Doc) -> None:
    holder = first(r for r in records(doc) if r.get("media"))
    assert holder is not None
    holder["media"].append({**holder["media"][0], "sha256": "0" * 64})


@inexpressible("录入时间早于行为时间")
def _recorded_before(doc: Doc) -> None:
    rec = records(doc)[0]
    rec["recorded_at"] = "2000-01-01T00:00:00+08:00"


@inexpressible("音像文件入库早于拍摄")
def _ingested_before(doc: Doc) -> None:
    item = media(doc)
    assert item is not None
    item["ingested_at"] = "2000-01-01T00:00:00+08:00"


@inexpressible("更正不同类型的记录")
def _correct_other_kind(doc: Doc) -> None:
    _correction(doc)
    other = next(r for r in records(doc) if r["kind"] != doc["records"][-1]["kind"])
    doc["records"][-1]["corrects"]["record"] = other["id"]


@inexpressible("记录更正自身")
def _correct_self(doc: Doc) -> None:
    _correction(doc)
    doc["records"][-1]["corrects"]["record"] = "fixed-1"


@inexpressible("作废声明作废自身")
def _void_self(doc: Doc) -> None:
    doc["records"].append(
        {
            "id": "v1",
            "kind": "void",
            "at": doc["opened_at"],
            "fields": {"target": "v1", "reason": "x"},
        }
    )


@pytest.mark.parametrize("name", INEXPRESSIBLE)
def test_what_json_schema_cannot_express_only_the_reader_refuses(name: str) -> None:
    """The documented limit: these files are valid by the schema and refused by the reader."""
    path = next(p for p in EXAMPLES if p.name.startswith("compliant-ex-officio"))
    doc = load(path)
    INEXPRESSIBLE[name](doc)
    assert_verdicts(doc, name, reader=False, schema=True)


# ------------------------------------------------------------------ every field type


def _probe_fields(required: bool) -> tuple[FieldSpec, ...]:
    choices = {"a": "甲", "b": "乙"}
    return tuple(
        FieldSpec(
            f"f_{t.value}",
            f"探针 {t.value}",
            t,
            required,
            choices if t in (FieldType.CHOICE, FieldType.CHOICES) else {},
        )
        for t in FieldType
    )


PROBE = RecordKind("schema_probe", "探针", Stage.INTERNAL, _probe_fields(False))
PROBE_REQUIRED = RecordKind(
    "schema_probe_required", "必填探针", Stage.INTERNAL, _probe_fields(True)
)
PROBE_BASE = next(p for p in EXAMPLES if p.name.startswith("compliant-simplified"))


@pytest.fixture(scope="module")
def probe_validator() -> Iterator[Draft202012Validator]:
    """A schema (and reader) that know the two probe record kinds."""
    with pytest.MonkeyPatch.context() as patch:
        for probe in (PROBE, PROBE_REQUIRED):
            patch.setitem(record_kinds.RECORD_KINDS, probe.id, probe)
        yield Draft202012Validator(case_schema())


def probe_doc(values: dict[str, Any], probe: RecordKind = PROBE) -> Doc:
    doc = load(PROBE_BASE)
    doc["records"].append(
        {"id": "probe-1", "kind": probe.id, "at": doc["opened_at"], "fields": values}
    )
    return doc


VALID: dict[FieldType, list[Any]] = {
    FieldType.TEXT: ["x", "", "  "],
    FieldType.TEXT_LIST: [["a", ""], []],
    FieldType.BOOL: [True, False],
    FieldType.INTEGER: [3, 0, -1, 10**20],
    FieldType.AMOUNT: ["5000.00", "-5", "0.5", "007"],
    FieldType.DATE: ["2026-10-09", "2028-02-29", "2000-02-29", "0001-01-01"],
    FieldType.DATETIME: [
        "2026-10-09T14:30:00+08:00",
        "2026-10-09 14:30:00+08:00",  # str(datetime)
        "2026-10-09T06:30Z",
        "2026-10-09T14:30:00.123456789-05:30",
        "2028-02-29T23:59:59+23:59",
    ],
    FieldType.CHOICE: ["a"],
    FieldType.CHOICES: [["a"], ["a", "a"], []],
    FieldType.PERSON: ["o1"],
    FieldType.PERSONS: [["o1", "o2"], []],
    FieldType.PARTY: ["p1"],
    FieldType.RECORD: ["s01"],
}
INVALID: dict[FieldType, list[Any]] = {
    FieldType.TEXT: [5, ["x"], {"x": 1}, True],
    FieldType.TEXT_LIST: ["a", [1], [None], {"a": 1}],
    FieldType.BOOL: ["true", 1, 0, []],
    FieldType.INTEGER: ["3", True, 3.5, []],
    FieldType.AMOUNT: ["5000.001", 5000, "5,000", "", "1e3", "+5", ".5", "5.", " 5"],
    FieldType.DATE: ["2026-02-29", "2100-02-29", "2026-13-01", "2026-1-9", "", "0000-01-01"],
    FieldType.DATETIME: [
        "2026-10-09T14:30:00",
        "2026-10-09",
        "2026-10-09T24:00:00+08:00",
        "2026-02-29T14:30:00+08:00",
        "2026-10-09T14:30:00-24:00",
        "2026-10-09T14:30:00z",
        "",
    ],
    FieldType.CHOICE: ["c", "", ["a"], 1],
    FieldType.CHOICES: ["a", ["c"], [None], [["a"]]],
    FieldType.PERSON: ["张明", "", "o 1", 5, ["o1"], "o" * 65],
    FieldType.PERSONS: ["o1", ["张明"], [5], [None]],
    FieldType.PARTY: ["李桂芝", "", ["p1"]],
    FieldType.RECORD: ["简易程序记录", "", 1],
}
# Not refused by JSON Schema because it cannot express them; refused by the reader.
SCHEMA_CANNOT: dict[FieldType, list[Any]] = {
    FieldType.INTEGER: [3.0],
    FieldType.PERSON: ["nobody", "p1"],
    FieldType.PERSONS: [["nobody"]],
    FieldType.PARTY: ["nobody", "o1"],
    FieldType.RECORD: ["r-none"],
}
# Forms outside docs/case-format.md that Python's fromisoformat or `\d` would take: the reader
# matches the documented written form first, so both refuse them.
OUTSIDE_THE_FORMAT: dict[FieldType, list[Any]] = {
    FieldType.DATE: ["20261009", "2026-W41-5"],
    FieldType.DATETIME: [
        "2026-10-09t14:30:00+08:00",
        "2026-10-09T14:30:00+0800",
        "2026-10-09T14:30:00+08",
        "2026-10-09T14+08:00",
        "20261009T143000+08:00",
        "2026-10-09T14:30:00+08:60",
        "2026-10-09T14:30:00,5+08:00",
        "2026-10-09T14:30:00+08:00:30",
    ],
    FieldType.AMOUNT: ["５０００.００"],
}


def _cases(table: dict[FieldType, list[Any]]) -> list[Any]:
    return [
        pytest.param(t, v, id=f"{t.value}={v!r}") for t, values in table.items() for v in values
    ]


@pytest.mark.parametrize(("field_type", "value"), _cases(VALID))
def test_probe_field_valid_values_are_accepted_by_both(
    probe_validator: Draft202012Validator, field_type: FieldType, value: Any
) -> None:
    name = f"f_{field_type.value}"
    assert_agree(probe_doc({name: value}), f"{name}={value!r}", True, probe_validator)
    required = {f"f_{t.value}": VALID[t][0] for t in FieldType} | {name: value}
    assert_agree(
        probe_doc(required, PROBE_REQUIRED), f"必填 {name}={value!r}", True, probe_validator
    )


@pytest.mark.parametrize(("field_type", "value"), _cases(INVALID))
def test_probe_field_invalid_values_are_refused_by_both(
    probe_validator: Draft202012Validator, field_type: FieldType, value: Any
) -> None:
    name = f"f_{field_type.value}"
    assert_agree(probe_doc({name: value}), f"{name}={value!r}", False, probe_validator)


@pytest.mark.parametrize("field_type", list(FieldType), ids=lambda t: t.value)
def test_probe_field_null_is_absence_optional_or_missing_required(
    probe_validator: Draft202012Validator, field_type: FieldType
) -> None:
    name = f"f_{field_type.value}"
    assert_agree(probe_doc({name: None}), f"可选 {name}=null", True, probe_validator)
    others = {f"f_{t.value}": VALID[t][0] for t in FieldType if t is not field_type}
    doc = probe_doc(others, PROBE_REQUIRED)
    assert_agree(doc, f"缺少必填 {name}", False, probe_validator)
    doc = probe_doc(others | {name: None}, PROBE_REQUIRED)
    assert_agree(doc, f"必填 {name}=null", False, probe_validator)


@pytest.mark.parametrize(("field_type", "value"), _cases(SCHEMA_CANNOT))
def test_probe_field_values_only_the_reader_refuses(
    probe_validator: Draft202012Validator, field_type: FieldType, value: Any
) -> None:
    doc = probe_doc({f"f_{field_type.value}": value})
    assert_verdicts(doc, f"{value!r}", reader=False, schema=True, validator=probe_validator)


@pytest.mark.parametrize(("field_type", "value"), _cases(OUTSIDE_THE_FORMAT))
def test_probe_field_values_outside_the_documented_format(
    probe_validator: Draft202012Validator, field_type: FieldType, value: Any
) -> None:
    doc = probe_doc({f"f_{field_type.value}": value})
    assert_agree(doc, f"{value!r}", False, probe_validator)
