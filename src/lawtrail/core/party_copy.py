"""What a party's copy contains (issue #16 item 4) — pure: from the case, its active secrecy
labels and the head's approved selection, decide what is given, what is withheld (and why) and
which values are redacted, and produce the redacted text of each record given.

Redaction is substitution *before* rendering: the copy's PDF is laid out from these redacted
texts, so a redacted value is not in the file at all (``pdftotext`` cannot find it) — nothing is
drawn over text that is still there.

What is removed (000 art. 33, 001 art. 28, 002 art. 34, 003 art. 26: "依法应保密的除外"; 000 art. 34
…: 商业秘密、个人隐私 under the secrecy rules):

- a record or media file carrying a label, unless the label is the requester's own 商业秘密 or
  个人隐私 (its own secret is not kept from it): withheld as a whole, with the reason;
- a field carrying such a label: its value replaced by 〔已删除：<label>〕;
- third parties' personal data — the 身份证号, contact and address of every natural person
  of the case other than the requester, and any 身份证号 or phone number in a text that is not
  the requester's: replaced by 〔已删除：他人个人信息〕;
- a video or audio file with secrets is **withheld**, never cut: cutting would need someone to
  judge every frame and sound, which the system cannot do; the head can give a cut copy made
  outside the system as a separate act.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lawtrail.core import timeutil
from lawtrail.core.model import Case, Media, Party, Record
from lawtrail.core.record_kinds import RECORD_KINDS, FieldType
from lawtrail.core.secrecy import (
    HOLDER_KINDS,
    LABEL_KINDS,
    CopyRequest,
    Item,
    Label,
    Withheld,
    personal_values,
    redact,
)

THIRD_PARTY = "〔已删除：他人个人信息〕"


def removed(kind: str) -> str:
    return f"〔已删除：{LABEL_KINDS.get(kind, kind)}〕"


@dataclass(frozen=True)
class CopyField:
    label: str
    text: str


@dataclass(frozen=True)
class CopyRecord:
    id: str
    kind: str
    at: str
    fields: tuple[CopyField, ...]
    via_document: str = ""  # the document's sha256, when it was asked for as a 文书


@dataclass(frozen=True)
class Plan:
    given: tuple[Item, ...]
    withheld: tuple[Withheld, ...]
    records: tuple[CopyRecord, ...]
    media: tuple[Media, ...]
    redactions: tuple[Mapping[str, str], ...]  # {record, field, why} — never the value
    redacted_values: tuple[str, ...]  # for the tests and the check after rendering


def _requester_party(case: Case, request: CopyRequest) -> Party | None:
    party_id = request.requester.get("party") or ""
    return case.party(party_id) if party_id else None


def _is_own(label: Label, requester: Party | None) -> bool:
    if requester is None or label.kind not in HOLDER_KINDS:
        return False
    return label.holder in (requester.id, requester.name)


def _third_party_values(case: Case, requester: Party | None) -> list[str]:
    values: list[str] = []
    for party in case.parties:
        if requester is not None and party.id == requester.id:
            continue
        if party.kind != "person":
            continue  # an organisation's 统一社会信用代码 and address are public registry data
        values += [party.id_number, party.contact, party.address]
    return [v.strip() for v in values if v and len(v.strip()) >= 4]


def _own_values(requester: Party | None) -> set[str]:
    if requester is None:
        return set()
    return {v.strip() for v in (requester.id_number, requester.contact, requester.address) if v}


def _text(value: object, spec_type: FieldType | None, case: Case) -> str:
    if isinstance(value, tuple):
        if spec_type is FieldType.PERSONS:
            return "、".join((p.name if (p := case.person(str(v))) else str(v)) for v in value)
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return timeutil.format_local(value)
    if spec_type is FieldType.PERSON:
        person = case.person(str(value))
        return person.name if person else str(value)
    if spec_type is FieldType.PARTY:
        party = case.party(str(value))
        return party.name if party else str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def plan(
    case: Case,
    labels: Iterable[Label],
    request: CopyRequest,
    *,
    documents: Mapping[str, str],
    article: str,
) -> Plan:
    """The copy of ``request``'s approved items. ``documents``: a generated document's sha256 →
    the record it renders (a 文书 is given as its record's redacted content, rendered anew).
    ``article``: the agency's article that excludes what must be kept confidential, for the
    reasons (e.g. "第三十三条")."""
    labels = [label for label in labels if label.active]
    requester = _requester_party(case, request)
    third = _third_party_values(case, requester)
    own = _own_values(requester)
    given: list[Item] = []
    withheld: list[Withheld] = list(request.withheld)
    records: list[CopyRecord] = []
    media: list[Media] = []
    redactions: list[dict[str, str]] = []
    values: set[str] = set()
    media_of: dict[str, tuple[Media, Record]] = {}
    for record in case.records:
        for m in record.media:
            media_of.setdefault(m.sha256, (m, record))

    def record_labels(record_id: str) -> list[Label]:
        return [
            label
            for label in labels
            if label.covers_record(record_id) and not _is_own(label, requester)
        ]

    def secret_reason(found: Sequence[Label]) -> str:
        kinds = "、".join(dict.fromkeys(label.kind_label for label in found))
        return f"含有{kinds}，依法应保密（{article}：依法应保密的除外）"

    for item in request.approved:
        record_id = item.ref if item.type == "record" else documents.get(item.ref, "")
        if item.type in ("record", "document"):
            given_record = case.record(record_id) if record_id else None
            if given_record is None:
                withheld.append(Withheld(item, "文书所依据的记录不存在"))
                continue
            found = record_labels(given_record.id)
            if found:
                withheld.append(Withheld(item, secret_reason(found)))
                continue
            fields, rec_redactions, rec_values = _record_fields(
                case, given_record, labels, requester, third, own
            )
            kind = RECORD_KINDS.get(given_record.kind)
            records.append(
                CopyRecord(
                    id=given_record.id,
                    kind=kind.label if kind else "",
                    at=timeutil.format_local(given_record.at),
                    fields=fields,
                    via_document=item.ref if item.type == "document" else "",
                )
            )
            redactions += rec_redactions
            values |= rec_values
            given.append(item)
        elif item.type == "media":
            pair = media_of.get(item.ref)
            found = [
                label
                for label in labels
                if label.covers_media(item.ref, [pair[1].id] if pair else [])
                and not _is_own(label, requester)
            ]
            if found:
                # Withheld, not cut: see the module's docstring.
                withheld.append(Withheld(item, secret_reason(found)))
                continue
            if pair is None:
                withheld.append(Withheld(item, "该音像资料未附于任何记录"))
                continue
            media.append(pair[0])
            given.append(item)
    return Plan(
        given=tuple(given),
        withheld=tuple(withheld),
        records=tuple(records),
        media=tuple(media),
        redactions=tuple(redactions),
        redacted_values=tuple(sorted(values)),
    )


def _record_fields(
    case: Case,
    record: Record,
    labels: Sequence[Label],
    requester: Party | None,
    third: Sequence[str],
    own: set[str],
) -> tuple[tuple[CopyField, ...], list[dict[str, str]], set[str]]:
    kind = RECORD_KINDS.get(record.kind)
    specs = {s.name: s for s in kind.fields} if kind else {}
    out: list[CopyField] = []
    redactions: list[dict[str, str]] = []
    values: set[str] = set()
    for name, value in record.fields.items():
        spec = specs.get(name)
        label_text = spec.label if spec else name
        text = _text(value, spec.type if spec else None, case)
        field_labels = [
            label
            for label in labels
            if label.target.kind == "field"
            and label.target.record == record.id
            and label.target.field == name
            and not _is_own(label, requester)
        ]
        if field_labels:
            values.add(text)
            out.append(CopyField(label_text, removed(field_labels[0].kind)))
            redactions.append(
                {
                    "record": record.id,
                    "field": name,
                    "label": label_text,
                    "why": field_labels[0].kind_label,
                }
            )
            continue
        found = [v for v in third if v in text]
        found += [v for v in personal_values(text) if v not in own and v not in found]
        if found:
            values.update(found)
            text = redact(text, found, THIRD_PARTY)
            redactions.append(
                {"record": record.id, "field": name, "label": label_text, "why": "他人个人信息"}
            )
        out.append(CopyField(label_text, text))
    return tuple(out), redactions, values
