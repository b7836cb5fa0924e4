"""The data a document template sees: the case and record, already in printable Chinese.

Templates (HTML for WeasyPrint, DOCX for docxtpl) get the same context, made only of plain
dicts, lists and strings, so that an agency writing its own template needs no Python and never
sees an English id: every choice value is replaced by its label from RECORD_KINDS, every
person/party id by a name, every date by 2026年10月9日, every time by Shanghai wall-clock time.

Variables (all strings unless said):

``agency``   name, id
``case``     number 案号, title, acts, procedure, origin, opened, major (是/否)
``parties``  list of party dicts (name, kind 单位/个人, id_label, id_number, address, contact);
             ``party`` the first of them (empty strings when the case has none)
``document`` template, label, title, number 文号, date, datetime, issued (bool: carries the
             agency's seal), created (ISO time written as the PDF creation date)
``record``   id, kind, kind_label, at, date, period (时间 line: start至end), note, correction,
             av_exemption, transcript (the 笔录 text with each 问：/答： on its own line),
             field_list (every non-empty field: name, label, value), other_fields (those the
             default template does not place itself) — None for the case-level documents
``f``        every field of the record's kind by name, printable ("" when not stated)
``officers`` name, title, certificate_number 执法证件编号, certificate_shown
``signatures`` role, name, method, at, image ("" or the picture), has_image (bool)
``refusals`` role, name, reason, at
``media``    type 照片/录音/录像, filename, sha256, sm3, captured, size
``rights``   (权利告知书) the rights notified, each with its explanation
``service``  (送达回证) document, place, time, recipients, servers, witnesses, others
``volume``   (案卷封面, 卷内目录, 备考表) number, archivist, checker, retention, archived,
             documents, pages, start, end, entries, media, corrections, complete (bool)

Filters besides Jinja's own: ``sentence`` (ends a text with 。 unless it ends with
punctuation), ``clauses`` (puts 一、…；二、… on separate lines), ``lines`` (the non-blank
lines of a text, to print each as a paragraph).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lawtrail.core.model import Case, FieldValue, Media, Party, Record
from lawtrail.core.record_kinds import (
    ACTS,
    MEDIA_TYPES,
    ORIGINS,
    PROCEDURES,
    RECORD_KINDS,
    RIGHTS,
    SIGNATURE_METHODS,
    SIGNATURE_ROLES,
    FieldSpec,
    FieldType,
)
from lawtrail.core.timeutil import local_date
from lawtrail.documents.formatting import (
    amount_in_words,
    chinese_date,
    chinese_datetime,
    chinese_ordinal,
    chinese_period,
    decision_title,
    document_number,
    file_size,
    format_amount,
    record_title,
    transcript_lines,
    w3c_datetime,
)
from lawtrail.documents.registry import (
    GENERIC,
    DocumentError,
    DocumentTemplate,
    template_for,
)
from lawtrail.documents.results import CatalogEntry

Embed = Callable[[bytes], object]

# Record kinds that are not documents of the case file: the supervisors' access log and the
# withdrawal of a record (the withdrawn record itself drops out of effective_records()).
NOT_IN_VOLUME: frozenset[str] = frozenset({"access", "void"})

# Documents the agency issues under its seal (印章): the seal area is printed on them.
ISSUED = frozenset({"rights_notice", "legal_review", "decision", "urge_notice"})

# The fields each default template places itself; every other stated field is listed under
# 其他记载事项 so that no recorded fact is left out of a document.
PLACED: Mapping[str, frozenset[str]] = {
    "initiation_approval": frozenset(
        {
            "reason",
            "case_source",
            "party_info",
            "case_summary",
            "handler_opinion",
            "unit_opinion",
            "head_opinion",
            "head",
            "legality_review_opinion",
            "approved",
        }
    ),
    "inquiry_record": frozenset(
        {
            "interviewee",
            "interviewee_role",
            "location",
            "content",
            "rights_notified",
            "rights_notice_method",
        }
    ),
    "site_inspection": frozenset({"location", "findings", "present_persons"}),
    "rights_notice": frozenset({"rights", "method", "document_number"}),
    "statement_defense": frozenset(
        {
            "concerns",
            "waived",
            "waiver_form",
            "content",
            "review_opinion",
            "adopted",
            "adoption_reason",
        }
    ),
    "hearing": frozenset({"notice_number", "notice_served_at", "presiding_officer", "transcript"}),
    "legal_review": frozenset({"reviewer", "opinion", "suggestions", "form"}),
    "decision": frozenset(
        {
            "document_number",
            "decision_type",
            "facts",
            "reasons",
            "legal_basis",
            "content",
            "amount",
            "rectification_ordered",
            "rectification_deadline",
            "performance_deadline",
        }
    ),
    "service": frozenset(
        {"method", "document", "document_kind", "recipient", "receipt_number", "lodged_at"}
    ),
    "urge_notice": frozenset({"document_number", "content", "performance_deadline"}),
}

# 权利告知书: what each right means, in the words of the general laws (行政处罚法 art. 7, 44,
# 45, 63; 行政复议法; 行政诉讼法). Time limits differ by act and agency: an agency that wants them
# printed puts them in its own template.
RIGHT_STATEMENTS: Mapping[str, str] = {
    "statement": "你（单位）有权就本机关认定的事实、理由和依据进行陈述。",
    "defense": "你（单位）有权进行申辩，提出事实、理由和证据，本机关将进行复核。",
    "recusal": (
        "你（单位）认为执法人员与本案有直接利害关系或者有其他关系可能影响公正执法的，有权申请回避。"
    ),
    "hearing": "你（单位）有权依法要求举行听证。",
    "reconsideration": "你（单位）对本机关作出的决定不服的，有权依法申请行政复议。",
    "litigation": "你（单位）对本机关作出的决定不服的，有权依法提起行政诉讼。",
}

# What the case-level documents are headed (GB/T 9705-2008).
CASE_TITLES: Mapping[str, str] = {
    "case_cover": "行政执法案卷",
    "case_catalog": "卷内目录",
    "case_remarks": "卷内备考表",
}

_TRANSCRIPT_FIELDS = {"inquiry_record": "content", "hearing": "transcript"}

_PARTY_KINDS = {"organization": "单位", "person": "个人"}
_PARTY_ID_LABELS = {"organization": "统一社会信用代码", "person": "身份证号码"}


def volume_records(case: Case) -> list[Record]:
    """The records that become documents of the 案卷, in the order of the act's time."""
    return [r for r in case.effective_records() if r.kind not in NOT_IN_VOLUME]


def document_title(case: Case, record: Record, template: DocumentTemplate | None = None) -> str:
    """The title printed on a record's document (and listed in the 卷内目录).

    `template` is the one it is rendered with, by default :func:`template_for` its kind."""
    template = template or template_for(record.kind)
    if template.id == "decision":
        value = record.fields.get("decision_type")
        return decision_title(value) if isinstance(value, str) else template.label
    if template.id == GENERIC:
        return record_title(record.kind)
    return template.label


class Fields:
    """A record's fields for templates: ``f.items`` is the field named ``items``.

    (A dict would not do: Jinja looks attributes up first, and ``dict.items`` is a method.)
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> str:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


class ContextBuilder:
    """Turns a case (and one of its records) into the context of one document."""

    def __init__(
        self,
        case: Case,
        agency_name: str,
        *,
        image: Callable[[str], bytes | None] | None,
        embed: Embed,
    ) -> None:
        self.case = case
        self.agency_name = agency_name
        self._image = image
        self._embed = embed

    # ---------------------------------------------------------------- shared parts

    def base(
        self, template: DocumentTemplate, title: str, number: str, at: datetime
    ) -> dict[str, Any]:
        case = self.case
        # The parties as the case's latest header lists them, without those marked 误列: a
        # document generated after a header change shows the change; one generated before
        # keeps what it showed (its bytes are in the store, its digest in the ledger).
        parties = [self.party(p) for p in case.listed_parties]
        empty_party = dict.fromkeys(
            ("name", "kind", "id_label", "id_number", "address", "contact"), ""
        )
        return {
            "agency": {"id": case.agency, "name": self.agency_name},
            "case": {
                "number": case.case_number,
                "title": case.title,
                "acts": "、".join(ACTS.get(a, a) for a in case.acts),
                "procedure": PROCEDURES.get(case.procedure, case.procedure),
                "origin": ORIGINS.get(case.origin, case.origin),
                "opened": chinese_date(case.opened_at),
                "major": _yes_no(case.major),
            },
            "parties": parties,
            "party": parties[0] if parties else empty_party,
            "document": {
                "template": template.id,
                "label": template.label,
                "title": title,
                "number": number,
                "date": chinese_date(at),
                "datetime": chinese_datetime(at),
                "created": w3c_datetime(at),
                "issued": False,
            },
            "record": None,
            "f": {},
            "officers": [],
            "signatures": [],
            "refusals": [],
            "media": [],
            "rights": [],
            "service": None,
            "volume": None,
        }

    @staticmethod
    def party(party: Party) -> dict[str, str]:
        return {
            "name": party.name,
            "kind": _PARTY_KINDS.get(party.kind, party.kind),
            "id_label": _PARTY_ID_LABELS.get(party.kind, "证件号码"),
            "id_number": party.id_number,
            "address": party.address,
            "contact": party.contact,
        }

    def person_name(self, person_id: str) -> str:
        person = self.case.person(person_id)
        return person.name if person else person_id

    def media(self, media: Iterable[Media]) -> list[dict[str, str]]:
        return [
            {
                "type": MEDIA_TYPES.get(m.type, m.type),
                "filename": m.filename,
                "sha256": m.sha256,
                "sm3": m.sm3,
                "captured": chinese_datetime(m.captured_at),
                "size": file_size(m.size) if m.size is not None else "",
            }
            for m in media
        ]

    # ---------------------------------------------------------------- a record's document

    def for_record(self, template: DocumentTemplate, record: Record) -> dict[str, Any]:
        kind = RECORD_KINDS.get(record.kind)
        if kind is None:
            raise DocumentError(f"记录 {record.id} 的类型“{record.kind}”未定义，无法生成文书")
        title = document_title(self.case, record, template)
        ctx = self.base(template, title, document_number(self.case, record), record.at)
        ctx["document"]["issued"] = template.id in ISSUED or (
            template.id == GENERIC and title.endswith("书")
        )
        values = {spec.name: self.value(spec, record.fields.get(spec.name)) for spec in kind.fields}
        items = [
            {"name": spec.name, "label": spec.label, "value": values[spec.name]}
            for spec in kind.fields
            if record.has_value(spec.name)
        ]
        placed = PLACED.get(template.id, frozenset())
        transcript_field = _TRANSCRIPT_FIELDS.get(template.id)
        transcript = ""
        if transcript_field is not None:
            raw = record.fields.get(transcript_field)
            transcript = transcript_lines(raw) if isinstance(raw, str) else ""
        ctx["record"] = {
            "id": record.id,
            "kind": record.kind,
            "kind_label": kind.label,
            "at": chinese_datetime(record.at),
            "date": chinese_date(record.at),
            "period": chinese_period(record.at, self._last_signature(record)),
            "note": record.note,
            "correction": self._correction(record),
            "av_exemption": self._av_exemption(record),
            "transcript": transcript,
            "field_list": items,
            "other_fields": [i for i in items if i["name"] not in placed],
        }
        ctx["f"] = Fields(values)
        ctx["officers"] = self._officers(record)
        ctx["signatures"] = self._signatures(record)
        ctx["refusals"] = self._refusals(record)
        ctx["media"] = self.media(record.media)
        if template.id == "rights_notice":
            ctx["rights"] = self._rights(record)
        if template.id == "service":
            ctx["service"] = self._service(record, ctx)
        return ctx

    def value(self, spec: FieldSpec, value: FieldValue | None) -> str:
        """A field's value as printed: labels for choices, names for ids, Chinese dates."""
        if value is None:
            return ""
        match spec.type:
            case FieldType.BOOL:
                return _yes_no(bool(value))
            case FieldType.AMOUNT:
                amount = Decimal(str(value))
                return f"人民币{format_amount(amount)}（大写：{amount_in_words(amount)}）"
            case FieldType.CHOICE:
                return spec.choices.get(str(value), str(value))
            case FieldType.CHOICES:
                return "、".join(spec.choices.get(v, v) for v in _strings(value))
            case FieldType.PERSON:
                return self.person_name(str(value))
            case FieldType.PERSONS:
                return "、".join(self.person_name(v) for v in _strings(value))
            case FieldType.PARTY:
                party = self.case.party(str(value))
                return party.name if party else str(value)
            case FieldType.RECORD:
                return self._record_reference(str(value))
            case FieldType.TEXT_LIST:
                lines = [line for line in _strings(value) if line.strip()]
                return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))
        if isinstance(value, datetime):
            return chinese_datetime(value)
        if isinstance(value, date):
            return chinese_date(value)
        if isinstance(value, tuple):
            return "、".join(value)
        return str(value)

    def _record_reference(self, record_id: str) -> str:
        target = self.case.record(record_id)
        if target is None:
            return record_id
        return f"{document_title(self.case, target)}（{document_number(self.case, target)}）"

    @staticmethod
    def _last_signature(record: Record) -> datetime | None:
        times = [s.at for s in record.signatures if s.at is not None]
        return max(times) if times else None

    def _describe(self, record_id: str) -> str:
        target = self.case.record(record_id)
        if target is None:
            return f"记录 {record_id}"
        title = document_title(self.case, target)
        return f"{title}（记录 {target.id}，{chinese_date(target.at)}）"

    def _correction(self, record: Record) -> str:
        if record.corrects is None:
            return ""
        what = self._describe(record.corrects.record)
        return f"本文书更正{what}，更正理由：{record.corrects.reason}"

    @staticmethod
    def _av_exemption(record: Record) -> str:
        exemption = record.av_exemption
        if exemption is None:
            return ""
        approved = f"（批准人：{exemption.approved_by}）" if exemption.approved_by else ""
        return f"未进行音像记录的理由：{exemption.reason}{approved}"

    def _officers(self, record: Record) -> list[dict[str, str]]:
        result = []
        for presence in record.officers:
            person = self.case.person(presence.person)
            shown = {True: "已出示", False: "未出示", None: "未记载"}[presence.certificate_shown]
            result.append(
                {
                    "name": person.name if person else presence.person,
                    "title": person.title if person else "",
                    "certificate_number": person.certificate_number if person else "",
                    "certificate_shown": shown,
                }
            )
        return result

    def _signer_name(self, name: str, person: str, party: str) -> str:
        if name:
            return name
        if person and (p := self.case.person(person)):
            return p.name
        if party and (q := self.case.party(party)):
            return q.name
        return ""

    def _signatures(self, record: Record) -> list[dict[str, Any]]:
        result = []
        for s in record.signatures:
            picture: object = ""
            if s.image_sha256 and self._image is not None:
                data = self._image(s.image_sha256)
                if data:
                    picture = self._embed(data)
            result.append(
                {
                    "role": SIGNATURE_ROLES.get(s.role, s.role),
                    "name": self._signer_name(s.name, s.person, s.party),
                    "method": SIGNATURE_METHODS.get(s.method, s.method),
                    "at": chinese_datetime(s.at) if s.at else "",
                    "image": picture,
                    "has_image": picture != "",
                }
            )
        return result

    def _refusals(self, record: Record) -> list[dict[str, str]]:
        return [
            {
                "role": SIGNATURE_ROLES.get(r.role, r.role),
                "name": self._signer_name(r.name, "", r.party),
                "reason": r.reason,
                "at": chinese_datetime(r.at) if r.at else "",
            }
            for r in record.refusals
        ]

    @staticmethod
    def _rights(record: Record) -> list[dict[str, str]]:
        return [
            {
                "ordinal": chinese_ordinal(n),
                "name": RIGHTS.get(right, right),
                "text": RIGHT_STATEMENTS.get(right, ""),
            }
            for n, right in enumerate(_strings(record.fields.get("rights", ())), 1)
        ]

    def _service(self, record: Record, ctx: Mapping[str, Any]) -> dict[str, Any]:
        """The columns of a 送达回证."""
        f = ctx["f"]
        signed = list(zip(record.signatures, ctx["signatures"], strict=True))

        def by_role(*roles: str, exclude: bool = False) -> list[Any]:
            return [shown for raw, shown in signed if (raw.role in roles) != exclude]

        received = by_role("recipient", "signatory")
        return {
            "document": f["document"] or f["document_kind"],
            "place": f["lodged_at"],
            "time": received[0]["at"] if received else chinese_datetime(record.at),
            "receivers": received,
            "refusals": ctx["refusals"],
            "servers": by_role("server"),
            "others": by_role("recipient", "signatory", "server", exclude=True),
        }

    # ---------------------------------------------------------------- case-level documents

    def for_case(
        self,
        template: DocumentTemplate,
        *,
        entries: Sequence[CatalogEntry],
        volume_number: str,
        archivist: str,
        retention: str,
        archived_at: datetime | None,
        total_pages: int | None,
    ) -> dict[str, Any]:
        records = volume_records(self.case)
        at = archived_at or (records[-1].at if records else self.case.opened_at)
        title = CASE_TITLES.get(template.id, template.label)
        ctx = self.base(template, title, self.case.case_number, at)
        complete = bool(entries) and all(e.first_page for e in entries)
        media = [m for r in records for m in r.media]
        corrections = [
            f"{self._describe(r.id)}更正了{self._describe(r.corrects.record)}，"
            f"更正理由：{r.corrects.reason}"
            for r in records
            if r.corrects is not None
        ] + self._voided()
        ctx["volume"] = {
            "number": volume_number,
            "archivist": archivist,
            "checker": "",
            "retention": retention,
            "archived": chinese_date(archived_at) if archived_at else "",
            "documents": str(len(entries)),
            "pages": str(total_pages) if total_pages else "",
            "start": chinese_date(records[0].at) if records else "",
            "end": chinese_date(records[-1].at) if records else "",
            "complete": complete,
            "entries": [
                {
                    "number": str(e.number),
                    "document_number": e.document_number,
                    "responsible": e.responsible,
                    "title": e.title,
                    # GB/T 9705-2008: the date of a catalog entry in eight digits.
                    "date": e.date.strftime("%Y%m%d"),
                    "pages": _page_range(e),
                    "remark": self._entry_remark(e),
                }
                for e in entries
            ],
            "media": self.media(media),
            "corrections": corrections,
        }
        ctx["media"] = ctx["volume"]["media"]
        return ctx

    def _entry_remark(self, entry: CatalogEntry) -> str:
        record = self.case.record(entry.record_id) if entry.record_id else None
        if record is None:
            return ""
        notes = []
        if record.media:
            notes.append(f"音像资料{len(record.media)}件")
        if record.corrects is not None:
            notes.append("更正文书")
        return "；".join(notes)

    def _voided(self) -> list[str]:
        return [
            f"{self._describe(str(void.fields.get('target', '')))}已于{chinese_date(void.at)}"
            f"作废，理由：{void.fields.get('reason', '')}"
            for void in self.case.records
            if void.kind == "void"
        ]


def catalog_entries(
    case: Case, agency_name: str, pages: Sequence[tuple[int, int]] | None = None
) -> tuple[CatalogEntry, ...]:
    """The 卷内目录 of a case: one entry per document, with page ranges when known."""
    records = volume_records(case)
    spans = list(pages) if pages is not None else [(0, 0)] * len(records)
    return tuple(
        CatalogEntry(
            number=n,
            document_number=document_number(case, record),
            responsible=agency_name,
            title=document_title(case, record),
            date=local_date(record.at),
            first_page=first,
            last_page=last,
            record_id=record.id,
            template=template_for(record.kind).id,
        )
        for n, (record, (first, last)) in enumerate(zip(records, spans, strict=True), 1)
    )


def _page_range(entry: CatalogEntry) -> str:
    if not entry.first_page:
        return ""
    if entry.last_page <= entry.first_page:
        return str(entry.first_page)
    return f"{entry.first_page}-{entry.last_page}"


def _strings(value: FieldValue | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return (str(value),)
