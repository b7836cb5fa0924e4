"""What the case pages show, read from the ledger and judged by the engine: the timeline of a
case with the proof status of every entry, the acts required next, the findings by record, a
record's fields as a reader sees them, the menu of record kinds. Nothing here writes."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lawtrail import services
from lawtrail.core import timeutil, verdict
from lawtrail.core.caseio import CaseFormatError, parse_media
from lawtrail.core.engine import Evaluation, Finding, evaluate
from lawtrail.core.header import describe as describe_change
from lawtrail.core.header import split_header
from lawtrail.core.model import Case, FieldValue, Media, Record
from lawtrail.core.record_kinds import (
    ACTS,
    MEDIA_TYPES,
    ORIGINS,
    PROCEDURES,
    RECORD_KINDS,
    SIGNATURE_METHODS,
    SIGNATURE_ROLES,
    STAGE_LABELS,
    FieldSpec,
    FieldType,
    Stage,
)
from lawtrail.core.record_kinds import record_label as record_label  # the pages name records so
from lawtrail.core.regulations import article_label, load_regulation
from lawtrail.core.rules import SEVERITY_LABELS, all_packs
from lawtrail.ledger.log import LedgerError, StoredEntry, body_ref
from lawtrail.ledger.verify import Problem, verify
from lawtrail.web import inbox, wiring
from lawtrail.web.forms import SIGNATURE_FILE_PREFIX
from lawtrail.web.models import Agency, User

SHOWN_TYPES = ("case", "record", "media")  # access entries are the supervisors' (access log)


def agency_users(agency: str) -> list[User]:
    return list(User.objects.filter(agency_id=agency, is_active=True).order_by("username"))


def names_of(case: Case, users: Iterable[User]) -> dict[str, str]:
    """Display names by person id: the case's people, then the agency's users."""
    names = {u.username: u.display_name for u in users}
    names.update({p.id: p.name for p in case.people})
    return names


def media_of_entry(entry: StoredEntry) -> Media | None:
    data = entry.data().get("media")
    if not isinstance(data, dict):
        return None
    try:
        return parse_media({k: v for k, v in data.items() if k != "location"})
    except CaseFormatError:
        return None


def case_media(agency: str, case_number: str) -> list[Media]:
    """The media ingested for the case (ledger entries of type ``media``), in ledger order."""
    entries = wiring.ledger().entries(agency, case_number=case_number, types=("media",))
    return [m for m in (media_of_entry(e) for e in entries) if m is not None]


# ---------------------------------------------------------------------------- proof status


@dataclass(frozen=True)
class Proof:
    ok: bool
    text: str


@dataclass
class ProofReport:
    """One verification of the case (:func:`lawtrail.ledger.verify.verify`) for the page."""

    checkpoint: int | None = None
    by_seq: dict[int, list[Problem]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    # Why the case is 未验证 though nothing was found: entries not yet cosigned by a configured
    # witness, or not yet signed into a checkpoint (lawtrail.core.verdict).
    unverified: list[str] = field(default_factory=list)
    witnessed: int | None = None  # entries covered by a configured witness's cosignature

    @property
    def intact(self) -> bool:
        """No problem found (the page then says 完好 or 未验证: :attr:`status`)."""
        return not self.by_seq and not self.general

    @property
    def status(self) -> str:
        """完好 | 未验证 | 有问题, as the page shows it."""
        if not self.intact:
            return verdict.LABELS[verdict.PROBLEMS]
        return verdict.LABELS[verdict.NOT_VERIFIED if self.unverified else verdict.INTACT]

    def for_seq(self, seq: int) -> Proof:
        problems = self.by_seq.get(seq)
        if problems:
            return Proof(False, "；".join(p.message for p in problems))
        if self.checkpoint is None or seq >= self.checkpoint:
            return Proof(False, "尚未签入检查点（已入账，等待签名）")
        return Proof(True, f"已验证（检查点 {self.checkpoint}）")

    def elsewhere(self, shown: Iterable[int]) -> list[str]:
        """Problems not on a shown entry (e.g. on an access entry), and the general ones."""
        seqs = set(shown)
        others = [p.message for seq, ps in self.by_seq.items() if seq not in seqs for p in ps]
        return [*self.general, *others]


_CLI_OPTION = re.compile(r"（--[a-z-]+(?: [^）]*)?）")
_AGENCY_CODE = re.compile(r"机关 ([a-z0-9][a-z0-9-]*)")


def _for_the_page(message: str) -> str:
    """A verdict's reason as the page shows it. The reasons are the CLI's too: the page drops
    the command-line options they name ("（--witness-key）"), which its reader cannot use, and
    names an agency by its name rather than its code ("机关 tonghua-market")."""
    names = dict(Agency.objects.values_list("code", "name"))
    message = _CLI_OPTION.sub("", message)
    return _AGENCY_CODE.sub(lambda m: names.get(m[1], m[0]), message)


def proof_report(
    agency: str,
    case_number: str,
    *,
    inclusion: bool = True,
    only_seqs: Collection[int] | None = None,
) -> ProofReport:
    """The case's verification for its page. The keys are the system's configured ones (the
    page cannot pin keys for its reader), so the verdict shown is whether every entry is
    covered by a cosignature of a witness configured here (完好) or not yet (未验证).

    ``inclusion=False`` (the case page, issue #18): every entry's content against its leaf
    hash, the checkpoint's signature and the witnesses' coverage, without each entry's
    inclusion proof (two reads per entry, a third of a 2,000-record case's page); the 核验 page
    proves each entry. ``only_seqs``: the entries whose content is checked (the page shown of
    a long case's timeline; the signing and witness coverage are the whole case's)."""
    try:
        report = verify(
            wiring.ledger(),
            wiring.keys(),
            agency=agency,
            case_number=case_number,
            entry_types=("case", "record", "media"),
            allow_unpinned=True,
            inclusion=inclusion,
            only_seqs=only_seqs,
        )
    except LedgerError as exc:
        return ProofReport(general=[f"无法验证：{exc}"])
    out = ProofReport()
    out.unverified = [_for_the_page(r.message) for r in report.verdict.reasons]
    for summary in report.logs:
        if summary.agency == agency:
            out.checkpoint = summary.latest_checkpoint
            out.witnessed = summary.witnessed
    for problem in report.problems:
        if problem.seq is not None and problem.case_number in ("", case_number):
            out.by_seq.setdefault(problem.seq, []).append(problem)
        else:
            out.general.append(problem.message)
    return out


# ---------------------------------------------------------------------------- judging, kept


_EVALUATIONS_KEPT = 64


@dataclass(frozen=True)
class Judged:
    """The case judged as of a moment, and what waits for whom in it (the same tasks the
    case index row holds, :func:`lawtrail.web.inbox.pending_tasks`, as JSON) — from the
    ledger, so the page never shows the row's lag behind a write just made."""

    evaluation: Evaluation
    pending: list[dict[str, Any]]
    until: datetime


_evaluations: OrderedDict[tuple[str, str, int, bytes], Judged] = OrderedDict()
_evaluations_lock = threading.Lock()


def valid_until(evaluation: Evaluation) -> datetime | None:
    """The last moment the rules judge the case as ``evaluation`` did (None: no end). A
    judgement changes with time only when a required act's deadline passes (``as_of > due``
    makes it a finding) or a record entered with a later time becomes known (``known_at``);
    until the earliest of those, judging the same entries again gives the same findings and
    required acts (:func:`lawtrail.core.engine.evaluate`)."""
    moments = [r.due for r in evaluation.required if r.due is not None]
    moments += [r.known_at for r in evaluation.case.records if r.known_at > evaluation.as_of]
    return min(moments) if moments else None


def case_judged(agency: str, case_number: str, now: datetime) -> Judged:
    """The case judged as of ``now``, reused while nothing it depends on changed: the same
    entries (the case's last entry, by sequence number and leaf hash) and ``now`` within
    [the judgement's time, :func:`valid_until`]. Kept per process (it holds the parsed case;
    pickling it into a shared cache would cost what judging costs)."""

    def judge(case: Case) -> Judged:
        evaluation = evaluate(case, at=now)
        pending = [task.to_json() for task in inbox.pending_tasks(case, evaluation)]
        until = valid_until(evaluation) or datetime.max.replace(tzinfo=timeutil.SHANGHAI)
        return Judged(evaluation, pending, until)

    state = services.case_state(wiring.ledger(), agency, case_number)
    if state is None or state.case is None:
        return judge(services.load_case(wiring.ledger(), agency, case_number))
    key = (agency, case_number, state.seq, state.leaf_hash)
    with _evaluations_lock:
        kept = _evaluations.get(key)
    if (
        kept is not None
        and kept.evaluation.case is state.case
        and kept.evaluation.as_of <= now <= kept.until
    ):
        return kept
    judged = judge(state.case)
    with _evaluations_lock:
        _evaluations[key] = judged
        _evaluations.move_to_end(key)
        while len(_evaluations) > _EVALUATIONS_KEPT:
            _evaluations.popitem(last=False)
    return judged


# ---------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class FindingRow:
    severity: str  # violation | warning
    severity_label: str
    article: str
    regulation: str
    title: str
    message: str
    quote: str
    record: str | None


def regulation_title(file_name: str) -> str:
    try:
        return load_regulation(file_name).title
    except (FileNotFoundError, KeyError):
        return file_name


def finding_rows(findings: Iterable[Finding]) -> dict[str | None, list[FindingRow]]:
    """Findings by the record they concern (None: the case as a whole)."""
    out: dict[str | None, list[FindingRow]] = defaultdict(list)
    for f in findings:
        out[f.record].append(
            FindingRow(
                severity=str(f.severity),
                severity_label=SEVERITY_LABELS[f.severity],
                article=article_label(f.article),
                regulation=regulation_title(f.regulation),
                title=f.title,
                message=f.message,
                quote=f.quote,
                record=f.record,
            )
        )
    return dict(out)


@dataclass(frozen=True)
class RequiredRow:
    kinds: list[tuple[str, str]]  # (kind id, label)
    due: datetime | None
    overdue: bool
    article: str
    regulation: str
    message: str
    after: str | None


def required_rows(evaluation: Evaluation, now: datetime) -> list[RequiredRow]:
    return [
        RequiredRow(
            kinds=[(k, RECORD_KINDS[k].label) for k in req.kinds if k in RECORD_KINDS],
            due=timeutil.local(req.due) if req.due else None,
            overdue=req.due is not None and req.due < now,
            article=article_label(req.article),
            regulation=regulation_title(req.regulation),
            message=req.message,
            after=req.after,
        )
        for req in evaluation.required
    ]


# ---------------------------------------------------------------------------- timeline


@dataclass
class TimelineRow:
    seq: int
    recorded_at: datetime
    type: str  # case | record | media
    title: str
    who: str
    proof: Proof
    entered_by: str = ""  # the account that made the entry (the ledger entry's actor)
    record: Record | None = None
    media: Media | None = None
    corrected_by: list[str] = field(default_factory=list)
    voided_by: list[str] = field(default_factory=list)
    findings: list[FindingRow] = field(default_factory=list)
    effective: bool = True
    # A header change (issue #15): what changed, in Chinese, and why.
    changes: list[str] = field(default_factory=list)
    change_reason: str = ""


def supersessions(case: Case) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Which records correct and which void each record (record id → ids)."""
    corrected: dict[str, list[str]] = defaultdict(list)
    voided: dict[str, list[str]] = defaultdict(list)
    for rec in case.records:
        if rec.corrects is not None:
            corrected[rec.corrects.record].append(rec.id)
        if rec.kind == "void" and rec.fields.get("target"):
            voided[str(rec.fields["target"])].append(rec.id)
    return dict(corrected), dict(voided)


def staff_named(record: Record, names: Mapping[str, str]) -> list[str]:
    """The agency people a record names: officers present, person fields, staff signers."""
    ids = [o.person for o in record.officers]
    kind = RECORD_KINDS[record.kind]
    for spec in kind.fields:
        value = record.fields.get(spec.name)
        if spec.type is FieldType.PERSON and isinstance(value, str):
            ids.append(value)
        elif spec.type is FieldType.PERSONS and isinstance(value, tuple):
            ids.extend(str(v) for v in value)
    ids += [s.person for s in record.signatures if s.person]
    out: list[str] = []
    for ident in ids:
        name = names.get(ident, ident)
        if name not in out:
            out.append(name)
    return out


def timeline(
    case: Case,
    entries: Iterable[StoredEntry],
    names: Mapping[str, str],
    findings: Mapping[str | None, list[FindingRow]],
    proof: ProofReport,
    window: range | None = None,
) -> list[TimelineRow]:
    """Every case, record and media entry of the case in ledger order — or, with ``window``,
    those of the entries at these positions (the header entries before it are read for who
    was added when; the others are not parsed: a page of a long case costs its page)."""
    corrected, voided = supersessions(case)
    effective = {r.id for r in case.effective_records()}
    rows: list[TimelineRow] = []
    people_before: list[str] | None = None
    for position, entry in enumerate(entries):
        shown = window is None or position in window
        if not shown and entry.type != "case":
            continue
        data = entry.data()
        recorded_at = timeutil.local(timeutil.parse_aware(entry.recorded_at))
        base: dict[str, Any] = {
            "seq": entry.seq,
            "recorded_at": recorded_at,
            "type": entry.type,
            "proof": proof.for_seq(entry.seq),
        }
        actor = str(data.get("actor", ""))
        base["entered_by"] = names.get(actor, actor)
        if entry.type == "case":
            header, change = split_header(data.get("case") or {})
            people = [str(p.get("name", "")) for p in header.get("people", [])]
            if change is not None:
                # 案件信息变更: the author is the entry's actor, the time its recorded_at.
                people_before = people
                if shown:
                    rows.append(
                        TimelineRow(
                            title="案件信息变更",
                            who="",
                            changes=describe_change(change),
                            change_reason=str(change.get("reason", "")),
                            **base,
                        )
                    )
                continue
            if people_before is None:
                title = f"立案：{ORIGINS.get(header.get('origin', ''), '')}"
                who = "、".join(people)
            else:
                added = [p for p in people if p not in people_before]
                title = "案件人员更新" + (f"：新增{'、'.join(added)}" if added else "")
                who = "、".join(added)
            people_before = people
            if shown:
                rows.append(TimelineRow(title=title, who=who, **base))
        elif entry.type == "record":
            # by the record id the hashed body gives, not the unhashed ref column
            record = case.record(body_ref(data) or "")
            if record is None:
                continue
            rows.append(
                TimelineRow(
                    title=RECORD_KINDS[record.kind].label,
                    who="、".join(staff_named(record, names)),
                    record=record,
                    corrected_by=corrected.get(record.id, []),
                    voided_by=voided.get(record.id, []),
                    findings=list(findings.get(record.id, [])),
                    effective=record.id in effective,
                    **base,
                )
            )
        elif entry.type == "media":
            media = media_of_entry(entry)
            if media is None:
                continue
            signature = media.filename.startswith(SIGNATURE_FILE_PREFIX)
            what = "签名图像入库" if signature else f"{MEDIA_TYPES.get(media.type, '')}入库"
            rows.append(
                TimelineRow(
                    title=what,
                    who=names.get(media.uploader, media.uploader),
                    media=media,
                    **base,
                )
            )
    return rows


TIMELINE_PAGE = 100  # entries per page of a case's timeline


@dataclass(frozen=True)
class TimelinePage:
    """Which entries of a timeline a page shows: pages of :data:`TIMELINE_PAGE` entries in
    ledger order, the last (the latest entries) unless another is asked for (``?p=``,
    1-based)."""

    window: range
    number: int
    count: int
    total: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None


def timeline_page(total: int, asked: str | None) -> TimelinePage:
    count = max(1, -(-total // TIMELINE_PAGE))
    try:
        number = int(asked) if asked else count
    except ValueError:
        number = count
    number = min(max(number, 1), count)
    start = (number - 1) * TIMELINE_PAGE
    return TimelinePage(range(start, min(start + TIMELINE_PAGE, total)), number, count, total)


# ---------------------------------------------------------------------------- reading a record


@dataclass(frozen=True)
class ShownField:
    label: str
    text: str = ""
    lines: tuple[str, ...] = ()
    record: str = ""  # a referenced record's id (linked)


def shown_value(spec: FieldSpec, value: FieldValue, case: Case) -> ShownField:
    label, t = spec.label, spec.type
    if t is FieldType.TEXT_LIST and isinstance(value, tuple):
        return ShownField(label, lines=tuple(str(v) for v in value))
    if t is FieldType.BOOL:
        return ShownField(label, "是" if value is True else "否")
    if t is FieldType.AMOUNT:
        return ShownField(label, f"{value} 元")
    if t is FieldType.DATETIME and isinstance(value, datetime):
        return ShownField(label, timeutil.format_local(value))
    if t is FieldType.CHOICE:
        return ShownField(label, spec.choices.get(str(value), str(value)))
    if t is FieldType.CHOICES and isinstance(value, tuple):
        return ShownField(label, "、".join(spec.choices.get(v, v) for v in value))
    if t is FieldType.PERSON:
        person = case.person(str(value))
        return ShownField(label, person.name if person else str(value))
    if t is FieldType.PERSONS and isinstance(value, tuple):
        people = [case.person(v) for v in value]
        return ShownField(label, "、".join(p.name if p else "?" for p in people))
    if t is FieldType.PARTY:
        party = case.party(str(value))
        return ShownField(label, party.name if party else str(value))
    if t is FieldType.RECORD:
        target = case.record(str(value))
        kind = RECORD_KINDS[target.kind].label if target else ""
        return ShownField(label, f"{value} {kind}", record=str(value))
    if hasattr(value, "isoformat"):
        return ShownField(label, value.isoformat())
    return ShownField(label, str(value))


def shown_fields(case: Case, record: Record) -> list[ShownField]:
    kind = RECORD_KINDS[record.kind]
    return [
        shown_value(spec, record.fields[spec.name], case)
        for spec in kind.fields
        if spec.name in record.fields
    ]


@dataclass(frozen=True)
class ShownSignature:
    role: str
    name: str
    method: str
    at: datetime | None
    image_sha256: str


def shown_signatures(case: Case, record: Record) -> list[ShownSignature]:
    out = []
    for s in record.signatures:
        person = case.person(s.person) if s.person else None
        party = case.party(s.party) if s.party else None
        name = s.name or (person.name if person else "") or (party.name if party else "")
        out.append(
            ShownSignature(
                role=SIGNATURE_ROLES.get(s.role, s.role),
                name=name,
                method=SIGNATURE_METHODS.get(s.method, s.method),
                at=timeutil.local(s.at) if s.at else None,
                image_sha256=s.image_sha256,
            )
        )
    return out


def record_entry(agency: str, case_number: str, record_id: str) -> StoredEntry | None:
    """The record's ledger entry: the one whose hashed body is that record — its sequence
    number and proof are the record's own even if the unhashed ``ref`` column was changed."""
    found = wiring.ledger().entries_named(agency, "record", record_id, case_number=case_number)
    return found[0] if found else None


# ---------------------------------------------------------------------------- labels


def kind_menu(
    roles: Iterable[str] | None = None, agency: str | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The record kinds grouped by stage (the menu of acts to record): given the user's
    ``roles``, not the kinds that are wholly another role's act (RecordKind.recorded_by); given
    the ``agency``, not the forms that are another agency's own (its pack's [documents]
    own_forms, e.g. 统计检查查询书 of a statistics bureau)."""
    held = None if roles is None else set(roles)
    foreign = set() if agency is None else _foreign_forms(agency)
    return [
        (
            STAGE_LABELS[stage],
            [
                (k.id, k.label)
                for k in RECORD_KINDS.values()
                if k.stage is stage
                and (held is None or k.recorded_by in {"", *held})
                and k.id not in foreign
            ],
        )
        for stage in Stage
    ]


def offers_kind(agency: str, kind: str) -> bool:
    """Whether the agency records this kind (not another agency's own form)."""
    return kind not in _foreign_forms(agency)


def _foreign_forms(agency: str) -> set[str]:
    own: set[str] = set()
    others: set[str] = set()
    for pack in all_packs():
        (own if pack.agency == agency else others).update(pack.documents.own_forms)
    return others - own


def header_labels(case: Case) -> dict[str, Any]:
    return {
        "acts": "、".join(ACTS.get(a, a) for a in case.acts),
        "procedure": PROCEDURES.get(case.procedure, case.procedure),
        "origin": ORIGINS.get(case.origin, case.origin),
    }


def stage_label(stage: str) -> str:
    try:
        return STAGE_LABELS[Stage(stage)]
    except ValueError:
        return stage


def party_kind_label(kind: str) -> str:
    return {"organization": "单位", "person": "个人"}.get(kind, kind)


# ---------------------------------------------------------------------------- documents (#5)

FORMAT_LABELS = {"pdf": "PDF", "docx": "Word"}
# The volume is assembled by the archive service, not rendered from one template; so is its
# 副卷 of internal deliberation where the agency keeps one (documents/form.py).
VOLUME_TEMPLATE = "case_volume"
SECONDARY_VOLUME_TEMPLATE = "case_volume_secondary"


def document_label(template_id: str) -> str:
    from lawtrail.documents import TEMPLATES

    if template_id == VOLUME_TEMPLATE:
        return "案卷（封面、卷内目录、卷内文件、备考表）"
    if template_id == SECONDARY_VOLUME_TEMPLATE:
        return "案卷副卷（内部审批、法制审核、集体讨论等）"
    template = TEMPLATES.get(template_id)
    return template.label if template is not None else template_id


def size_text(size: object) -> str:
    if not isinstance(size, int):
        return ""
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} 字节"


@dataclass(frozen=True)
class DocumentRow:
    seq: int
    recorded_at: datetime
    label: str
    number: str  # the document's 文号, or the volume's 案卷号
    record_id: str
    format: str
    pages: int | None
    size: str
    filename: str
    sha256: str
    entered_by: str


def document_rows(
    agency: str, case_number: str, case: Case, names: Mapping[str, str]
) -> list[DocumentRow]:
    """The documents generated from the case (ledger entries of type ``document``), oldest
    first. The 文号 is the one the entry carries, else the one its record's fields give."""
    rows = []
    for entry in wiring.ledger().entries(agency, case_number=case_number, types=("document",)):
        data = entry.data()
        body = data["document"]
        record_id = str(body.get("record") or "")
        record = case.record(record_id) if record_id else None
        if body.get("template") in (VOLUME_TEMPLATE, SECONDARY_VOLUME_TEMPLATE):
            number = f"案卷号 {body.get('volume_number', '')}"
        else:
            number = str(
                body.get("document_number")
                or (record.fields.get("document_number") if record is not None else "")
                or ""
            )
        pages = body.get("pages")
        actor = str(data.get("actor", ""))
        rows.append(
            DocumentRow(
                seq=entry.seq,
                recorded_at=timeutil.local(timeutil.parse_aware(entry.recorded_at)),
                label=document_label(str(body.get("template", ""))),
                number=number,
                record_id=record_id,
                format=FORMAT_LABELS.get(str(body.get("format")), str(body.get("format", ""))),
                pages=pages if isinstance(pages, int) else None,
                size=size_text(body.get("size")),
                filename=str(body.get("filename", "")),
                sha256=str(body["sha256"]),
                entered_by=names.get(actor, actor),
            )
        )
    return rows


# ---------------------------------------------------------------------------- where the case stands

# The steps of a case as an officer follows them (行政处罚法 2021: 调查 → 告知 (第四十四条) →
# 陈述申辩·听证 (第四十五条、第六十三条) → 法制审核 · 负责人审批 (第五十八条) → 决定 → 送达
# (第六十一条) → 执行 → 终结, then 归档 (the regulations' 归档 articles)): each with the record
# kinds that make it. A case need not pass every step (no hearing unless asked for, no 法制审核
# unless 重大, a 简易程序 case decides on the spot); a step nothing asks for and nothing records
# is shown as not applicable once the case has gone past it.
STEPS: tuple[tuple[str, str, frozenset[str]], ...] = (
    (
        "start",
        "启动",
        frozenset(
            {"application_registration", "initiation_approval", "emergency_start", "complaint"}
        ),
    ),
    (
        "investigation",
        "调查取证",
        frozenset(
            {
                "inquiry_record",
                "evidence_request",
                "evidence_register",
                "site_inspection",
                "sampling",
                "appraisal",
                "evidence_preservation",
                "compulsory_measure",
            }
        ),
    ),
    ("notice", "告知", frozenset({"rights_notice"})),
    ("defense", "陈述申辩·听证", frozenset({"statement_defense", "hearing"})),
    (
        "approval",
        "审核审批",
        frozenset(
            {
                "decision_draft",
                "legal_review",
                "expert_argument",
                "collective_discussion",
                "head_approval",
            }
        ),
    ),
    ("decision", "决定", frozenset({"decision", "simplified_procedure"})),
    ("service", "送达", frozenset({"service"})),
    (
        "enforcement",
        "执行",
        frozenset(
            {
                "performance",
                "rectification_check",
                "urge_notice",
                "enforcement",
                "court_enforcement",
            }
        ),
    ),
    ("closure", "终结", frozenset({"closure"})),
    ("archive", "归档", frozenset({"case_file"})),
)
DONE, CURRENT, WAITING, SKIPPED, AHEAD = "done", "current", "waiting", "skipped", "ahead"
STATE_LABELS = {
    DONE: "已完成",
    CURRENT: "当前",
    WAITING: "待办",
    SKIPPED: "未发生",
    AHEAD: "未开始",
}


@dataclass(frozen=True)
class PendingAct:
    """Something the case waits for: what, by whom, by when, under which article."""

    title: str
    who: str  # the role and the people holding it ("审核人：王志刚")
    due: datetime | None
    overdue: bool
    article: str
    kinds: tuple[tuple[str, str], ...] = ()  # (kind, label) to record it, for the button


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str
    records: int  # effective records of the step
    pending: tuple[PendingAct, ...]

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _step_of(kind: str) -> str | None:
    for key, _label, kinds in STEPS:
        if kind in kinds:
            return key
    return None


def steps(
    case: Case,
    tasks: Iterable[Mapping[str, Any]],
    now: datetime,
    who: Any,
) -> list[Step]:
    """Where the case stands: each step done, waiting (something is owed in it), current
    (the first step after the last one done, when nothing is owed) or not reached; ``tasks``
    are the case's pending tasks (:func:`lawtrail.web.inbox.pending_tasks` as stored in the
    case index), ``who(task)`` names who must act."""
    effective = case.effective_records()
    counts: dict[str, int] = defaultdict(int)
    for record in effective:
        step = _step_of(record.kind)
        if step is not None:
            counts[step] += 1
    owed: dict[str, list[PendingAct]] = defaultdict(list)
    for task in tasks:
        kind = str(task.get("kind") or "")
        step = _step_of(kind) or ("approval" if kind == "internal_approval" else None)
        if step is None:
            continue
        due = task.get("due")
        moment = timeutil.parse_aware(due) if isinstance(due, str) else None
        article = task.get("article")
        owed[step].append(
            PendingAct(
                title=str(task.get("title") or ""),
                who=who(task),
                due=timeutil.local(moment) if moment else None,
                overdue=moment is not None and moment < now,
                article=article_label(article) if isinstance(article, int) else "",
                kinds=((kind, RECORD_KINDS[kind].label),)
                if kind in RECORD_KINDS and not task.get("step")
                else (),
            )
        )
    keys = [key for key, _label, _kinds in STEPS]
    last_done = max((i for i, key in enumerate(keys) if counts[key]), default=-1)
    out: list[Step] = []
    current_set = bool(owed)
    for i, (key, label, _kinds) in enumerate(STEPS):
        if owed[key]:
            state = WAITING
        elif counts[key]:
            state = DONE
        elif i < last_done:
            state = SKIPPED
        elif not current_set and i == last_done + 1:
            state, current_set = CURRENT, True
        else:
            state = AHEAD
        out.append(Step(key, label, state, counts[key], tuple(owed[key])))
    return out
