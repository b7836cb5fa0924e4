"""The data a document template sees: the case and record, already in printable Chinese.

Templates (HTML for WeasyPrint, DOCX for docxtpl) get the same context, made only of plain
dicts, lists and strings, so that an agency writing its own template needs no Python and never
sees an English id: every choice value is replaced by its label from RECORD_KINDS, every
person/party id by a name, every date by 2026年10月9日, every time by Shanghai wall-clock time.

Variables (all strings unless said):

``agency``   name, id, self_name (本局/本办), reconsideration_body 复议机关, court 人民法院
             (the pack's [documents]; see lawtrail.core.rules.DocumentSettings)
``wording``  self (本局 …), you (你单位 for an organisation, 你 for a person)
``case``     number 案号, title, acts, procedure, origin, opened, major (是/否)
``parties``  list of party dicts (name, kind 单位/个人, id_label, id_number, address,
             address_label 住所/住址, contact, legal_representative);
             ``party`` the first of them (empty strings when the case has none)
``document`` template, label, title, number 文号, date, datetime, issued (bool: carries the
             agency's seal), created (ISO time written as the PDF creation date)
``record``   id, kind, kind_label, at, date, period (时间 line: start至end), note, correction,
             av_exemption, transcript (the 笔录 text with each 问：/答： on its own line),
             field_list (every non-empty field: name, label, value), other_fields (those the
             default template does not place itself) — None for the case-level documents
``f``        every field of the record's kind by name, printable ("" when not stated)
``officers`` name, title, certificate_number 执法证件编号, certificate_shown
``penalty``  (告知书, 决定书) kinds, content (the amount once, in figures and 大写), figures,
             words, facts, reasons, legal_basis, fine (bool), hearing (bool)
``decision`` (决定书) penalty, simplified (bool), evidence, notice_account (告知 and 陈述申辩),
             payment (第六十七条), late_penalty (第七十二条), remedies, not_suspended, place,
             simplified_account (the officers of a 当场处罚)
``form``     (notice template) addressee, paragraphs, lists (title, entries), approval
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

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lawtrail.core.model import Case, FieldValue, Media, Party, Record
from lawtrail.core.record_kinds import (
    ACTS,
    MEDIA_TYPES,
    ORIGINS,
    PENALTY_KINDS,
    PROCEDURES,
    RECORD_KINDS,
    RIGHTS,
    SIGNATURE_METHODS,
    SIGNATURE_ROLES,
    FieldSpec,
    FieldType,
)
from lawtrail.core.rules import DocumentSettings, PackError, load_pack
from lawtrail.core.timeutil import local_date
from lawtrail.documents import forms
from lawtrail.documents.formatting import (
    amount_in_words,
    chinese_date,
    chinese_datetime,
    chinese_ordinal,
    chinese_period,
    file_size,
    format_amount,
    record_title,
    transcript_lines,
    w3c_datetime,
)
from lawtrail.documents.registry import (
    GENERIC,
    NOTICE,
    DocumentError,
    DocumentTemplate,
    template_for,
)
from lawtrail.documents.results import CatalogEntry

Embed = Callable[[bytes], object]

# Record kinds that are not documents of the case file: the supervisors' access log and the
# withdrawal of a record (the withdrawn record itself drops out of effective_records()).
NOT_IN_VOLUME: frozenset[str] = frozenset({"access", "void"})

# Documents the agency issues under its seal (印章): the seal area is printed on them, and
# they carry a 文号 (internal records — 审批表, 笔录, 报告 — carry none).
ISSUED = frozenset({"rights_notice", "legal_review", "decision", "urge_notice", NOTICE})

# The fields that carry an issued document's own number, in the order they are preferred;
# a 送达回证 carries the number of the 回证 itself.
NUMBER_FIELDS: tuple[str, ...] = ("document_number", "decision_number")
RECEIPT_FIELDS: tuple[str, ...] = ("receipt_number",)

# The year and sequence number of a case number such as 通市监罚〔2026〕12号 (GB/T 9704 发文字号).
_CASE_NUMBER = re.compile(r"〔(\d{4})〕第?(\d+)号")

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
    "rights_notice": frozenset(
        {
            "rights",
            "method",
            "document_number",
            "penalty_kinds",
            "penalty_amount",
            "proposed_penalty",
            "facts",
            "reasons",
            "legal_basis",
        }
    ),
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
            "category",
            "evidence",
            "place",
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
# {you} is 你单位 or 你 by the party's kind, {self} the agency's own name (本局, 本办 …).
RIGHT_STATEMENTS: Mapping[str, str] = {
    "statement": "{you}有权就{self}认定的事实、理由和依据进行陈述。",
    "defense": "{you}有权进行申辩，提出事实、理由和证据，{self}将进行复核。",
    "recusal": (
        "{you}认为执法人员与本案有直接利害关系或者有其他关系可能影响公正执法的，有权申请回避。"
    ),
    "hearing": "{you}有权依法要求举行听证。",
    "reconsideration": "{you}对{self}作出的决定不服的，有权依法申请行政复议。",
    "litigation": "{you}对{self}作出的决定不服的，有权依法提起行政诉讼。",
}

# Titles fixed by the national 文书格式范本 where the record kind's label is not the title.
KIND_TITLES: Mapping[str, str] = {
    "sampling": "抽样记录",
    "compulsory_measure": "实施行政强制措施决定书",
    "court_enforcement": "强制执行申请书",
}

# The decision's title by its category (行政处罚法 2021 第五十九条, 第五十二条 for 当场处罚;
# 劳动保障监察条例 第十八条 for 行政处理决定书).
CATEGORY_TITLES: Mapping[str, str] = {
    "penalty": "行政处罚决定书",
    "no_penalty": "不予行政处罚决定书",
    "handling": "行政处理决定书",
    "rectification": "责令改正决定书",
    "compulsory": "行政强制决定书",
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
    fields = record.fields
    if template.id == "decision":
        return decision_title(case, record)
    if template.id == "rights_notice":
        # 行政处罚法 (2021) 第四十四条: a notice of the intended penalty is a 行政处罚告知书; one
        # that only lists rights stays a 权利告知书.
        proposed = any(
            record.has_value(n) for n in ("penalty_kinds", "proposed_penalty", "penalty_amount")
        )
        return "行政处罚告知书" if proposed else template.label
    if record.kind == "case_transfer":
        return "涉嫌犯罪案件移送书" if fields.get("transfer_type") == "crime" else "案件移送函"
    if record.kind == "appraisal":
        if fields.get("form") == "appraisal_opinion":
            return "鉴定意见书"
        return "检验（检测、鉴定）委托书"
    if record.kind == "payment_deferral":
        return "分期缴纳罚款决定书" if fields.get("mode") == "instalments" else "延期缴纳罚款决定书"
    if record.kind in KIND_TITLES:
        return KIND_TITLES[record.kind]
    if template.id in (GENERIC, NOTICE):
        label = RECORD_KINDS[record.kind].label
        # 案件调查终结报告, 听证报告: a report is titled as it is, not as a 记录.
        return label if label.endswith("报告") else record_title(record.kind)
    return template.label


def decision_title(case: Case, record: Record) -> str:
    """行政处罚决定书, 当场行政处罚决定书, 不予行政处罚决定书, 行政处理决定书 …

    The category decides; a 决定类型 that names a decision (…决定, …决定书) is taken as
    written; a decision of a penalty case in the simplified procedure is a 当场行政处罚决定书
    (行政处罚法 2021 第五十二条)."""
    category = str(record.fields.get("category") or "")
    text = str(record.fields.get("decision_type") or "").strip()
    if category == "penalty" or (not category and "处罚" in text and "不予" not in text):
        if case.procedure == "simplified":
            return "当场行政处罚决定书"
        return "行政处罚决定书"
    if category in CATEGORY_TITLES:
        return CATEGORY_TITLES[category]
    if text.endswith("决定书"):
        return text
    if text.endswith("决定") and len(text) <= 20:
        return text + "书"
    if "不予" in text and "处罚" in text:
        return "不予行政处罚决定书"
    return "行政执法决定书"


def document_settings(case: Case) -> DocumentSettings:
    """The agency's [documents] settings (the defaults for an agency without a pack)."""
    try:
        return load_pack(case.agency).documents
    except PackError:
        return DocumentSettings()


# Documents a party or an institution makes, not the agency: no seal of the agency, no 文号.
NOT_AGENCY_DOCUMENTS = frozenset({"address_confirmation", "power_of_attorney"})


def is_issued(case: Case, record: Record) -> bool:
    """Whether the record's document is one the agency issues (seal and 文号)."""
    if record.kind in NOT_AGENCY_DOCUMENTS:
        return False
    if record.kind == "appraisal" and record.fields.get("form") == "appraisal_opinion":
        return False
    template = template_for(record.kind)
    return template.id in ISSUED or (
        template.id == GENERIC and document_title(case, record, template).endswith("书")
    )


def document_number(case: Case, record: Record) -> str:
    """The record's 文号; "" for an internal record (审批表, 笔录, 报告 …), which has none.

    An issued document's number is the one the record states; else the agency's pattern for
    the kind (its pack's [documents] number_patterns) filled with the case number's year and
    sequence number; a decision without one is numbered with the case number itself. A 送达回证
    carries the number of the 回证 when the record states one."""
    if template_for(record.kind).id == "service":
        return _stated(record, RECEIPT_FIELDS)
    if not is_issued(case, record):
        return ""
    stated = _stated(record, NUMBER_FIELDS)
    if stated:
        return stated
    pattern = document_settings(case).number_patterns.get(record.kind)
    found = _CASE_NUMBER.search(case.case_number)
    if pattern is not None and found:
        return pattern.format(int(found[1]), int(found[2]))
    if record.kind == "decision":
        return case.case_number
    return ""


def _stated(record: Record, names: Iterable[str]) -> str:
    for name in names:
        value = record.fields.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


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
        self.settings = document_settings(case)

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
            ("name", "kind", "id_label", "id_number", "address", "contact", "legal_representative"),
            "",
        )
        first = case.listed_parties[0] if case.listed_parties else None
        settings = self.settings
        return {
            "agency": {
                "id": case.agency,
                "name": self.agency_name,
                "self_name": settings.self_name,
                "reconsideration_body": settings.reconsideration_body,
                "court": settings.court,
            },
            # How the documents name the agency and the party: 本局/本委/本办 from the pack,
            # 你单位 for an organisation and 你 for a person (issue #17).
            "wording": {
                "self": settings.self_name,
                "you": "你" if first is not None and first.kind == "person" else "你单位",
            },
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
            "penalty": None,
            "decision": None,
            "form": None,
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
            "legal_representative": party.legal_representative,
            # 住所 of an organisation, 住址 of a person (the 文书格式范本's words).
            "address_label": "住址" if party.kind == "person" else "住所",
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
        ctx["document"]["issued"] = is_issued(self.case, record)
        values = {spec.name: self.value(spec, record.fields.get(spec.name)) for spec in kind.fields}
        items = [
            {"name": spec.name, "label": spec.label, "value": values[spec.name]}
            for spec in kind.fields
            if record.has_value(spec.name)
        ]
        placed = PLACED.get(template.id, frozenset())
        if template.id == NOTICE:
            # The form's statutory text places its fields (lawtrail.documents.forms).
            placed = frozenset(spec.name for spec in kind.fields)
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
            ctx["rights"] = self._rights(record, ctx["wording"])
        if template.id in ("rights_notice", "decision") or record.kind == "hearing_right_notice":
            ctx["penalty"] = self._penalty(record, ctx)
        if template.id == "decision":
            ctx["decision"] = self._decision(record, ctx)
        if template.id == NOTICE:
            ctx["form"] = forms.form_text(self, record, ctx)
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
        number = document_number(self.case, target)
        title = document_title(self.case, target)
        return f"《{title}》（{number}）" if number else f"{chinese_date(target.at)}的{title}"

    @staticmethod
    def _last_signature(record: Record) -> datetime | None:
        times = [s.at for s in record.signatures if s.at is not None]
        return max(times) if times else None

    def _describe(self, record_id: str) -> str:
        target = self.case.record(record_id)
        if target is None:
            return "所指的记录"
        title = document_title(self.case, target)
        number = document_number(self.case, target)
        return f"{chinese_date(target.at)}的{title}" + (f"（{number}）" if number else "")

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
    def _rights(record: Record, wording: Mapping[str, str]) -> list[dict[str, str]]:
        return [
            {
                "ordinal": chinese_ordinal(n),
                "name": RIGHTS.get(right, right),
                "text": RIGHT_STATEMENTS.get(right, "").format(**wording),
            }
            for n, right in enumerate(_strings(record.fields.get("rights", ())), 1)
        ]

    def _penalty(self, record: Record, ctx: Mapping[str, Any]) -> dict[str, Any]:
        """The intended (告知书) or imposed (决定书) penalty: its kinds, content, facts,
        reasons and basis, the amount once in figures and in 大写 (行政处罚法 2021 第四十四条,
        第五十九条)."""
        fields = record.fields
        kinds = "、".join(PENALTY_KINDS.get(k, k) for k in _strings(fields.get("penalty_kinds")))
        raw_amount = fields.get("penalty_amount", fields.get("amount"))
        figures = words = ""
        if raw_amount is not None and str(raw_amount).strip():
            amount = Decimal(str(raw_amount))
            figures, words = format_amount(amount), amount_in_words(amount)
        content = str(fields.get("proposed_penalty") or fields.get("content") or "").strip()
        content = with_amount_words(content, figures, words)
        if words and content.endswith(f"{words}）"):
            content += "。"  # the item ends with the 大写 we added: end the sentence
        if not content and kinds:
            content = kinds + (f"，数额人民币{figures}（大写：{words}）" if figures else "")
        elif content and figures and words not in content:
            content = content.rstrip("。；;") + f"（罚没数额：人民币{figures}，大写：{words}）"
        return {
            "kinds": kinds,
            "content": content,
            "figures": figures,
            "words": words,
            "facts": str(fields.get("facts") or "").strip(),
            "reasons": str(fields.get("reasons") or "").strip(),
            "legal_basis": str(fields.get("legal_basis") or "").strip(),
            "fine": "fine" in _strings(fields.get("penalty_kinds")) or "罚款" in content,
            "hearing": "hearing" in _strings(fields.get("rights")),
        }

    def _decision(self, record: Record, ctx: Mapping[str, Any]) -> dict[str, Any]:
        """What a 决定书 states besides its fields (行政处罚法 2021 第五十九条): the evidence,
        the account of 告知 and 陈述申辩, where and by when to pay (第六十七条), the late
        penalty (第七十二条), the remedies with the named 复议机关 and court, 不停止执行
        (第七十三条); for a 当场处罚 (第五十二条) the officers, time and place."""
        fields = record.fields
        wording = ctx["wording"]
        category = str(fields.get("category") or "")
        title = ctx["document"]["title"]
        penalty = title in ("行政处罚决定书", "当场行政处罚决定书")
        simplified = title == "当场行政处罚决定书"
        evidence = [line for line in _strings(fields.get("evidence")) if line.strip()]
        settings = self.settings
        payment = ""
        late = ""
        pen = ctx["penalty"] or {}
        if penalty and pen.get("figures"):
            where = settings.payment_bank or "指定的银行"
            account = "；".join(
                part
                for part in (
                    f"户名：{settings.payment_account_name}"
                    if settings.payment_account_name
                    else "",
                    f"账号：{settings.payment_account}" if settings.payment_account else "",
                )
                if part
            )
            payment = (
                f"{wording['you']}应当自收到本决定书之日起十五日内，到{where}"
                + (f"（{account}）" if account else "")
                + "缴纳罚没款，或者通过电子支付系统缴纳。"
            )
            if pen.get("fine"):
                late = (
                    f"到期不缴纳罚款的，{wording['self']}可以每日按罚款数额的百分之三加处罚款，"
                    "加处罚款的数额不超过罚款的数额。"
                )
        burdensome = category not in ("no_penalty",) and "不予" not in title
        remedy_body = settings.reconsideration_body
        court = settings.court
        remedies = (
            f"{wording['you']}如不服本决定，可以在收到本决定书之日起六十日内向"
            f"{remedy_body or '有管辖权的行政复议机关'}申请行政复议，也可以在六个月内依法向"
            f"{court or '有管辖权的人民法院'}提起行政诉讼。"
        )
        suspend = (
            "申请行政复议或者提起行政诉讼期间，本决定不停止执行，法律另有规定的除外。"
            if burdensome
            else ""
        )
        return {
            "penalty": penalty,
            "simplified": simplified,
            "evidence": evidence,
            "notice_account": [] if simplified else self._notice_account(record, wording),
            "payment": payment,
            "late_penalty": late,
            "remedies": remedies,
            "not_suspended": suspend,
            "place": str(fields.get("place") or ""),
            "simplified_account": self._simplified_account(record, wording) if simplified else "",
        }

    def _notice_account(self, decision: Record, wording: Mapping[str, str]) -> list[str]:
        """How the party was told and heard before the decision, from the case's records."""
        lines: list[str] = []
        you, me = wording["you"], wording["self"]
        for r in self.case.effective_records():
            if r.at > decision.at:
                continue
            if r.kind in ("rights_notice", "hearing_right_notice"):
                title = document_title(self.case, r)
                number = document_number(self.case, r)
                rights = "、".join(RIGHTS.get(x, x) for x in _strings(r.fields.get("rights")))
                lines.append(
                    f"{me}于{chinese_date(r.at)}向{you}送达了《{title}》"
                    + (f"（{number}）" if number else "")
                    + (
                        f"，告知{you}拟作出行政处罚的内容及事实、理由、依据"
                        if title != "权利告知书"
                        else ""
                    )
                    + (f"，并告知{you}依法享有{rights}的权利" if rights else "")
                    + "。"
                )
            elif r.kind == "statement_defense" and r.fields.get("concerns") != "urge_notice":
                if r.fields.get("waived") is True:
                    lines.append(f"{you}于{chinese_date(r.at)}明确放弃陈述、申辩的权利。")
                    continue
                content = str(r.fields.get("content") or "").strip()
                text = f"{you}于{chinese_date(r.at)}提出了陈述、申辩" + (
                    f"：{content.rstrip('。')}。" if content else "。"
                )
                review = str(r.fields.get("review_opinion") or "").strip()
                reason = str(r.fields.get("adoption_reason") or "").strip()
                adopted = r.fields.get("adopted")
                verdict = (
                    {True: "予以采纳", False: "不予采纳"}.get(adopted, "")
                    if isinstance(adopted, bool)
                    else ""
                )
                if review or verdict:
                    said = "，".join(
                        x.rstrip("。") for x in (review.removeprefix("经复核，"), reason) if x
                    )
                    text += f"经复核，{me}认为：{said}" if said else "经复核"
                    if verdict and verdict not in said:
                        text += f"，{verdict}"
                    text += "。"
                lines.append(text)
            elif r.kind == "hearing":
                lines.append(f"{me}于{chinese_date(r.at)}依法举行了听证。")
        return lines

    def _simplified_account(self, decision: Record, wording: Mapping[str, str]) -> str:
        """当场处罚: the officers who made it, with their certificates (第五十二条)."""
        officers = self._officers(decision)
        if not officers:
            for r in self.case.effective_records():
                if r.kind == "simplified_procedure" and r.officers:
                    officers = self._officers(r)
                    break
        names = "、".join(
            f"{o['name']}（执法证件编号：{o['certificate_number'] or '无'}）" for o in officers
        )
        return names

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


_FIGURES = re.compile(r"(人民币)?([0-9][0-9,]*(?:\.[0-9]+)?)(万?)元")


def with_amount_words(text: str, figures: str, words: str) -> str:
    """The amount once, in figures and in 大写: the first mention of the amount in `text`
    (110,000元, 人民币10000元, 人民币贰万元整) becomes 人民币110,000.00元（大写：壹拾壹万元整）."""
    if not text or not figures:
        return text
    both = f"人民币{figures}（大写：{words}）"
    if words in text:
        return re.sub(f"(人民币)?{re.escape(words)}", lambda m: both, text, count=1)
    target = Decimal(figures.removesuffix("元").replace(",", ""))
    for match in _FIGURES.finditer(text):
        try:
            value = Decimal(match[2].replace(",", ""))
        except ArithmeticError:
            continue
        if match[3]:
            value *= 10000
        if value == target:
            return text[: match.start()] + both + text[match.end() :]
    return text


def _strings(value: FieldValue | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return (str(value),)
