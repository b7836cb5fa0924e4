"""Services: the only writers. Each ``do_*`` validates, appends to the agency's ledger and
returns — one transaction per call, so a call either lands completely or not at all.

The ledger *is* the store of record: a case is its entries, read back by :func:`load_case`.
(The Django shell of issue #4 keeps query tables beside it, written in the same transaction.)
Validation is the case format's strict reader (:func:`lawtrail.core.caseio.parse_case`) run on
the case as it would be after the write, so the same Chinese messages with JSON paths reach the
CLI, the forms and the API, and nothing half-valid is stored.
"""

from __future__ import annotations

import copy
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from lawtrail.core import completeness, header, merkle, role_acts, secrecy, timeutil
from lawtrail.core import header as header_module
from lawtrail.core.canonical import canonical_bytes, case_header
from lawtrail.core.caseio import (
    FORMAT,
    CaseFormatError,
    FormatIssue,
    media_to_json,
    parse_case,
    parse_media,
    parse_next_record,
    person_to_json,
    record_to_json,
)
from lawtrail.core.model import Case, Media, Person, Record
from lawtrail.core.record_kinds import ACTS, MEDIA_TYPES
from lawtrail.core.role_acts import Actor
from lawtrail.core.rules import load_pack
from lawtrail.evidence.store import MediaStore, StoredMedia
from lawtrail.ledger.log import Ledger, NewEntry, Receipt, StoredEntry

if TYPE_CHECKING:  # rendering pulls in WeasyPrint; the services only need its types
    from lawtrail.documents import DocumentRenderer, RenderedDocument


class ServiceError(Exception):
    """The request is refused; ``issues`` say what is wrong, in Chinese, with JSON paths."""

    def __init__(self, message: str, issues: Iterable[FormatIssue] = ()) -> None:
        self.issues = list(issues)
        detail = "；".join(f"{i.path}：{i.message}" for i in self.issues)
        super().__init__(f"{message}：{detail}" if detail else message)


class ActRefused(ServiceError):
    """The acting user may not make this act (a role's decision made by someone else, another
    person's name): a refusal of *who*, not of the data. The web answers 403 and logs it in the
    access log as refused, with this message as the reason."""


class StateSecretRefused(ServiceError):
    """Content of something registered as 涉及国家秘密: refused, nothing stored (issue #16)."""


@dataclass(frozen=True)
class IngestedMedia:
    media: Media
    receipt: Receipt
    created: bool  # False when the same bytes were already in the store


@dataclass(frozen=True)
class RecordedDocument:
    """A generated document (文书 or 案卷) as the ledger holds it."""

    body: Mapping[str, Any]  # the "document" entry's body: template, record, digests, pages …
    seq: int
    created: bool  # False when the same bytes were already recorded for the case
    data: bytes = b""  # the bytes, when this call rendered them

    @property
    def sha256(self) -> str:
        return str(self.body["sha256"])


# ---------------------------------------------------------------------------- reading


def case_json(ledger: Ledger, agency: str, case_number: str) -> dict[str, Any] | None:
    """The case in the lawtrail-case/1 format, as the ledger holds it (None if not opened)."""
    state = case_state(ledger, agency, case_number)
    return None if state is None else state.json()


@dataclass(frozen=True)
class CaseState:
    """A case as the ledger holds it up to one of its entries: the current header (the latest
    header entry's, its change block left out), the records as stored, and the case read from
    them (None when the stored case does not read: :func:`load_case` then raises what the
    reader says).

    It is what :func:`case_json` returns, kept per ledger and case (:func:`case_state`) and
    advanced by reading only the entries after ``seq``: an append to a case of 2,000 records
    reads its new entries, not the case (issue #18). It is a pure function of the log's
    entries up to ``seq`` and is dropped whenever the log no longer holds that entry with
    that leaf hash (a rolled-back transaction, another database)."""

    agency: str
    case_number: str
    seq: int
    leaf_hash: bytes
    header: Mapping[str, Any]
    records: tuple[Mapping[str, Any], ...]
    case: Case | None

    def json(self) -> dict[str, Any]:
        """The case in the case format: a copy the caller may change."""
        return copy.deepcopy(self.shared_json())

    def shared_json(self) -> dict[str, Any]:
        """The same without the copy: its header and records are the kept state's, and must
        not be changed (the lists may be)."""
        return {
            "format": FORMAT,
            "agency": self.agency,
            "case_number": self.case_number,
            **self.header,
            "records": list(self.records),
        }


_STATES_KEPT = 256  # cases per ledger object (one per process in the server), least recent out
_states: weakref.WeakKeyDictionary[Ledger, OrderedDict[tuple[str, str], CaseState]] = (
    weakref.WeakKeyDictionary()
)
_states_lock = threading.Lock()


def case_state(ledger: Ledger, agency: str, case_number: str) -> CaseState | None:
    """The case as the ledger holds it now (None if not opened), from the state kept for it
    advanced by the entries appended since — two bounded reads: the kept state's last entry
    (still there, same leaf hash: else the state is dropped and the case read whole) and the
    case's entries after it (the ``(agency, case_number, seq)`` index).

    Every reader sees its own transaction's view: a state kept from another connection's
    uncommitted entries fails the first read there (the entry is not visible) and is read
    again from the log."""
    key = (agency, case_number)
    with _states_lock:
        kept = _states.setdefault(ledger, OrderedDict()).get(key)
    if kept is not None:
        last = ledger.entry(agency, kept.seq)
        if last is None or last.leaf_hash != kept.leaf_hash or last.case_number != case_number:
            kept = None
    new = list(
        ledger.entries(
            agency,
            case_number=case_number,
            types=("case", "record"),
            after=kept.seq if kept is not None else None,
        )
    )
    state = _advanced(kept, new, agency, case_number) if new else kept
    if state is not None and state is not kept:
        with _states_lock:
            states = _states.setdefault(ledger, OrderedDict())
            states[key] = state
            states.move_to_end(key)
            while len(states) > _STATES_KEPT:
                states.popitem(last=False)
    return state


def _advanced(
    kept: CaseState | None, new: list[StoredEntry], agency: str, case_number: str
) -> CaseState | None:
    """``kept`` (None: nothing yet) with the entries ``new`` applied, as :func:`case_json`
    defines the case: the latest header is the case's (a change appends a whole new one, issue
    #15; its change block is the history's, not the case format's), the records in log
    order. Records are read one by one (:func:`caseio.parse_next_record`, the reader's checks
    of a record appended to a valid case); a new header, or a case not yet read, is read whole."""
    header = kept.header if kept is not None else None
    records = list(kept.records) if kept is not None else []
    case = kept.case if kept is not None else None
    whole = kept is None or case is None
    for entry in new:
        data = entry.data()
        if entry.type == "case":
            header = header_module.split_header(data["case"])[0]
            whole = True
        else:
            records.append(data["record"])
            if not whole and case is not None:
                try:
                    record = parse_next_record(case, data["record"])
                except CaseFormatError:
                    whole = True
                else:
                    case = case.appended(record)
    if header is None:
        return None
    state = CaseState(
        agency, case_number, new[-1].seq, new[-1].leaf_hash, header, tuple(records), None
    )
    if whole:
        try:
            case = parse_case(state.shared_json())
        except CaseFormatError:
            case = None
    return replace(state, case=case)


def forget_case_states(ledger: Ledger | None = None) -> None:
    """Drop the kept case states (of one ledger, or all): the next read reads each case whole."""
    with _states_lock:
        if ledger is None:
            _states.clear()
        else:
            _states.pop(ledger, None)


@dataclass(frozen=True)
class HeaderVersion:
    """One header entry of a case: the header as of then, and the change that made it (None
    for the opening and for a refresh of the case's people)."""

    seq: int
    recorded_at: datetime
    actor: str
    header: Mapping[str, Any]
    change: Mapping[str, Any] | None


def header_versions(ledger: Ledger, agency: str, case_number: str) -> list[HeaderVersion]:
    """Every header of the case in ledger order (the first is the opening)."""
    versions = []
    for entry in ledger.entries(agency, case_number=case_number, types=("case",)):
        data = entry.data()
        if data.get("case_number") != case_number:
            continue
        current, change = header.split_header(data["case"])
        versions.append(
            HeaderVersion(
                seq=entry.seq,
                recorded_at=timeutil.parse_aware(data["recorded_at"]),
                actor=str(data.get("actor") or ""),
                header=current,
                change=change,
            )
        )
    return versions


def case_entries_by_body(ledger: Ledger, agency: str, case_number: str) -> list[StoredEntry]:
    """The entries of a case an archive package carries (:data:`completeness.ENTRY_TYPES`), in
    log order, found by the case number their *hashed body* names — not the ``case_number``
    column, which an edit of the database can change. Reads the whole log's entries of those
    types (archiving is rare); the body's canonical bytes are searched before being parsed."""
    needle = b'"case_number":' + json.dumps(case_number, ensure_ascii=False).encode("utf-8")
    found = []
    for entry in ledger.entries(agency, types=completeness.ENTRY_TYPES):  # read to the end
        if needle not in entry.body:
            continue
        try:
            data = entry.data()
        except ValueError:
            continue
        if data.get("case_number") == case_number and data.get("type") in completeness.ENTRY_TYPES:
            found.append(entry)
    return found


def load_case(ledger: Ledger, agency: str, case_number: str) -> Case:
    state = case_state(ledger, agency, case_number)
    if state is None:
        raise ServiceError(f"案件 {case_number} 不存在于机关 {agency} 的账本中")
    return state.case if state.case is not None else parse_case(state.shared_json())


def next_record_id(case: Case) -> str:
    """A new record id: r<n>, the first free one counting from the number of records (the
    append still refuses a taken id, should another writer have used it first)."""
    taken = {r.id for r in case.records}
    n = len(case.records) + 1
    while f"r{n}" in taken:
        n += 1
    return f"r{n}"


def secrecy_events(
    ledger: Ledger, agency: str, case_number: str | None = None
) -> list[secrecy.Event]:
    """The secrecy entries (labels, access and copy requests, issue #16) of the agency or of one
    case, read from their hashed bodies; :func:`lawtrail.core.secrecy.fold` makes the state."""
    if ledger.log_info(agency) is None:
        return []
    out = []
    found = ledger.entries(agency, case_number=case_number, types=(secrecy.ENTRY_TYPE,))
    for entry in list(found):
        try:
            data = entry.data()
        except ValueError:
            continue
        body = data.get(secrecy.ENTRY_TYPE)
        if data.get("type") != secrecy.ENTRY_TYPE or not isinstance(body, Mapping):
            continue
        if case_number is not None and data.get("case_number") != case_number:
            continue
        out.append(
            secrecy.Event(
                seq=entry.seq,
                at=timeutil.local(timeutil.parse_aware(entry.recorded_at)),
                actor=str(data.get("actor") or ""),
                case_number=str(data.get("case_number") or ""),
                body=body,
            )
        )
    return out


def ingested_media(ledger: Ledger, agency: str, sha256: str) -> Media | None:
    """The media ingestion entry of these bytes for this agency (the first, if several) — the
    entry whose hashed body names them, not one whose ``ref`` column was made to."""
    for entry in ledger.entries_named(agency, "media", sha256):
        data = entry.data()["media"]
        return parse_media({k: v for k, v in data.items() if k != "location"})
    return None


# ---------------------------------------------------------------------------- writing


@contextmanager
def _serialised(ledger: Ledger, agency: str) -> Iterator[None]:
    """One write transaction holding the agency log's lock *before* the case is read: what is
    checked (the case number is free, record ids are unique, the case as it would be is valid)
    is still true when the entry is appended, even with two writers on PostgreSQL (SQLite's
    BEGIN IMMEDIATE already serialises them)."""
    ledger.ensure_log(agency)
    with ledger.db.write():
        ledger.lock(agency)
        yield


def _validated(data: Mapping[str, Any], what: str) -> Case:
    try:
        case = parse_case(data)
    except CaseFormatError as exc:
        raise ServiceError(f"{what}未通过校验", exc.issues) from exc
    _check_storable(data, what)
    return case


def _unstorable_at(data: Mapping[str, Any], prefix: str) -> tuple[str, str]:
    """The first value of ``data`` the ledger cannot store, its path under ``prefix`` ("" if
    none) — :func:`_check_storable`'s test of one part of a case."""
    try:
        if b"\\u0000" not in canonical_bytes(data):
            return "", ""
    except ValueError:
        pass
    return _unstorable(data, prefix)


def _check_storable(data: Mapping[str, Any], what: str) -> None:
    """What the ledger cannot commit to, refused with its path instead of failing later: values
    RFC 8785 cannot canonicalise (integers beyond ±2^53, NaN, unpaired surrogates) and NUL
    characters (which PostgreSQL cannot store in text). One canonical pass; the walk that names
    the path runs only when something is wrong."""
    try:
        if b"\\u0000" not in canonical_bytes(data):
            return
    except ValueError:
        pass
    path, message = _unstorable(data, "$")
    if path:  # else the bytes only spelled a backslash followed by "u0000"
        raise ServiceError(f"{what}未通过校验", [FormatIssue(path, message)])


def _unstorable(value: Any, path: str) -> tuple[str, str]:
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, Any]] = ((f"{path}.{k}", v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    elif isinstance(value, str) and "\x00" in value:
        return path, "不能包含空字符（NUL）"
    else:
        try:
            canonical_bytes(value)
        except ValueError as exc:
            return path, f"该值无法存入账本（{exc}）"
        return "", ""
    for item_path, item in items:
        found = _unstorable(item, item_path)
        if found[0]:
            return found
    return "", ""


def do_open_case(
    ledger: Ledger, case: Case, *, now: datetime | None = None, actor: str = ""
) -> Receipt:
    """Open a case: its header (acts, procedure, origin, parties, people) as the first entry."""
    now = timeutil.require_aware(now or ledger.clock())
    if case.records:
        raise ServiceError("立案时不应附带记录：请逐条追加")
    with _serialised(ledger, case.agency):
        if case_state(ledger, case.agency, case.case_number) is not None:
            raise ServiceError(f"案号 {case.case_number} 已存在，不能重复立案")
        header = {"format": FORMAT, "agency": case.agency, "case_number": case.case_number}
        _validated({**header, **case_header(case), "records": []}, "案件信息")
        entry = NewEntry(case.case_number, "case", case.case_number, case_header(case), actor)
        return ledger.append_in_transaction(case.agency, [entry], recorded_at=now)[0]


def do_append_record(
    ledger: Ledger,
    agency: str,
    case_number: str,
    record: Mapping[str, Any],
    *,
    now: datetime | None = None,
    actor: str = "",
    by: Actor | None = None,
) -> Receipt:
    """Append one record (in the case format's JSON shape) to an open case.

    ``by`` is the user making it (their name is then the entry's ``actor``): every role act in
    the record — a head's decision, a reviewer's opinion, an approval step, a role's signature —
    is accepted only from a user holding that role, in their own name, and completed with their
    name and the server's time (:mod:`lawtrail.core.role_acts`); otherwise :class:`ActRefused`.
    Without ``by`` (a trusted tool transcribing a record) each act must name a person of the case
    holding the role.

    The record's ``recorded_at`` is the server clock, whatever the client sent. Each media
    item names an ingested file by ``sha256``; its metadata (both clocks, uploader, labels)
    comes from the ingestion entry, never from the client, so it cannot be back-dated.
    """
    now = timeutil.require_aware(now or ledger.clock())
    with _serialised(ledger, agency):
        _case, new = _prepared(ledger, agency, case_number, record, now, by)
        entry = NewEntry(
            case_number, "record", new.id, record_to_json(new), by.username if by else actor
        )
        return ledger.append_in_transaction(agency, [entry], recorded_at=now)[0]


@dataclass(frozen=True)
class Preview:
    """What appending a record would make of the case (:func:`preview_record`): the case as it
    is and as it would be, and the record as it would be stored (role acts completed)."""

    before: Case
    after: Case
    record: Record


def preview_record(
    ledger: Ledger,
    agency: str,
    case_number: str,
    record: Mapping[str, Any],
    *,
    now: datetime | None = None,
    by: Actor | None = None,
    people: Iterable[Person] = (),
) -> Preview:
    """Every check :func:`do_append_record` makes, without appending: a draft's verdict before
    it becomes permanent. ``people`` are merged into the case's people first, as
    :func:`do_update_people` would before the append (in memory only). Raises what the append
    would raise (:class:`ServiceError`, :class:`ActRefused`). Reads the case without the log's
    lock — a preview, not a promise: the submit checks again."""
    now = timeutil.require_aware(now or ledger.clock())
    before = load_case(ledger, agency, case_number)
    after, new = _prepared(ledger, agency, case_number, record, now, by, people)
    return Preview(before, after, new)


def _prepared(
    ledger: Ledger,
    agency: str,
    case_number: str,
    record: Mapping[str, Any],
    now: datetime,
    by: Actor | None,
    people: Iterable[Person] = (),
) -> tuple[Case, Record]:
    """The case with the record appended, validated, and the record as it will be stored.

    The record is validated against what it needs, not with the whole case read again (issue
    #18: the cost of an append must not grow with the case): the case as kept
    (:func:`case_state`) and the new record read as its next one
    (:func:`caseio.parse_next_record` — the reader's messages and paths for the case with the
    record appended), and only the new record (with any people merged into the header)
    checked storable."""
    state = case_state(ledger, agency, case_number)
    if state is None:
        raise ServiceError(f"案件 {case_number} 不存在于机关 {agency} 的账本中")
    base = state.case if state.case is not None else _validated(state.shared_json(), "记录")
    people = tuple(people)
    if people:
        merged = {p["id"]: p for p in state.header.get("people", [])}
        merged.update((person.id, person_to_json(person)) for person in people)
        header_json = {**state.header, "people": list(merged.values())}
        head = _validated(
            {
                "format": FORMAT,
                "agency": agency,
                "case_number": case_number,
                **header_json,
                "records": [],
            },
            "记录",
        )
        base = replace(head, records=base.records)
    raw = dict(record)
    given = raw.get("fields") if raw.get("kind") == "case_file" else None
    if isinstance(given, Mapping) and any(
        given.get(name) not in (None, "") for name in completeness.FIELDS
    ):
        raise ServiceError(
            "归档记录的完整性承诺（账本日志、条目序号、条目数、摘要）由系统在组卷归档时"
            "根据账本计算，不能手工填写"
        )
    raw["recorded_at"] = timeutil.local(now).isoformat()
    media = []
    for index, item in enumerate(raw.get("media") or []):
        sha = item.get("sha256") if isinstance(item, Mapping) else None
        stored = ingested_media(ledger, agency, sha) if isinstance(sha, str) else None
        if stored is None:
            issue = FormatIssue(f"$.media[{index}].sha256", "该媒体文件尚未入库，请先上传")
            raise ServiceError("记录未通过校验", [issue])
        media.append(media_to_json(stored))
    if media:
        raw["media"] = media
    new = _next_validated(base, raw)
    case = base.appended(new)
    checked = _role_acts_checked(case, new, by, now)
    if checked is not new:
        new = _next_validated(base, record_to_json(checked))
        case = base.appended(new)
    _check_certificates(case, new.id)
    return case, new


def _next_validated(case: Case, raw: Mapping[str, Any]) -> Record:
    """``raw`` read as the next record of the (valid) ``case`` and checked storable; the
    refusal names the path in the case with the record appended."""
    try:
        record = parse_next_record(case, raw)
    except CaseFormatError as exc:
        raise ServiceError("记录未通过校验", exc.issues) from exc
    path, message = _unstorable_at(raw, f"$.records[{len(case.records)}]")
    if path:
        raise ServiceError("记录未通过校验", [FormatIssue(path, message)])
    return record


def _role_acts_checked(case: Case, record: Record, by: Actor | None, now: datetime) -> Record:
    """The record with its role acts completed, or the refusal (see :func:`do_append_record`)."""
    previous = case.record(record.corrects.record) if record.corrects is not None else None
    checked, issues = role_acts.check(record, previous, actor=by, people=case.people, now=now)
    if issues:
        if by is not None:
            raise ActRefused("您不能办理该记录中他人职责内的事项", issues)
        raise ServiceError("记录未通过校验", issues)
    return checked


def _check_certificates(case: Case, record_id: str) -> None:
    """An officer may be recorded as acting only with a certificate valid on the act's day
    (000 art. 9, 001 art. 9, 002 art. 10, 003 art. 8: 出示执法证件). Imports of historical
    case files are judged by the rule packs instead; a live recording is refused."""
    record = case.record(record_id)
    assert record is not None
    day = timeutil.local(record.at).date()
    issues = []
    for index, presence in enumerate(record.officers):
        person = case.person(presence.person)
        if person is None or person.certificate_valid_on(day):
            continue
        if not person.certificate_number:
            why = "没有执法证件"
        else:
            until = person.certificate_valid_until
            why = f"执法证件（{person.certificate_number}）" + (
                f"有效期至 {until.isoformat()}，已过期" if until and day > until else "在当日无效"
            )
        issues.append(
            FormatIssue(
                f"$.officers[{index}].person",
                f"{person.name}{why}，不能作为执法人员记录（{day.isoformat()}）",
            )
        )
    if issues:
        raise ServiceError("记录未通过校验", issues)


def do_update_people(
    ledger: Ledger,
    agency: str,
    case_number: str,
    people: Iterable[Person],
    *,
    now: datetime | None = None,
    actor: str = "",
) -> Receipt | None:
    """Add people to a case, or refresh their details (title, certificate), as a new header
    entry; the earlier header stays in the ledger. None when nothing changed.

    The header is validated on its own: people are only added or refreshed, so every record
    naming one still names one (the records need not be read again, issue #18)."""
    now = timeutil.require_aware(now or ledger.clock())
    with _serialised(ledger, agency):
        state = case_state(ledger, agency, case_number)
        if state is None:
            raise ServiceError(f"案件 {case_number} 不存在于机关 {agency} 的账本中")
        known = list(state.header.get("people", []))
        merged = {p["id"]: p for p in known}
        for person in people:
            merged[person.id] = person_to_json(person)
        if list(merged.values()) == known:
            return None
        head = {"format": FORMAT, "agency": agency, "case_number": case_number}
        case = _validated(
            {**head, **state.header, "people": list(merged.values()), "records": []}, "案件人员"
        )
        entry = NewEntry(case_number, "case", case_number, case_header(case), actor)
        return ledger.append_in_transaction(agency, [entry], recorded_at=now)[0]


def do_change_header(
    ledger: Ledger,
    agency: str,
    case_number: str,
    change: header.HeaderChange,
    *,
    by: Actor,
    now: datetime | None = None,
) -> Receipt:
    """Change the case's header (issue #15): title, acts, 重大, parties added, corrected or
    marked 误列 — as a new header entry carrying the change block (reason, each change with its
    old and new value); every earlier header stays in the ledger and in the history.

    Refused with :class:`ActRefused` when ``by`` is neither of the case team nor the agency's
    head (:func:`lawtrail.core.header.may_change`); with :class:`ServiceError` when the change
    is no change, lacks a reason, names an act the agency's rules do not cover, would remove a
    party, or the case is archived: the 案卷 is formed and archived per the 档案法 (000 art. 31,
    001 art. 26, 002 art. 32, 003 art. 24, 004 art. 14) and its cover and documents print the
    header — a header changed afterwards would make the archived file and the case disagree.
    The whole header is validated by the case format's reader before it is appended."""
    now = timeutil.require_aware(now or ledger.clock())
    with _serialised(ledger, agency):
        current = case_json(ledger, agency, case_number)
        versions = header_versions(ledger, agency, case_number)
        if current is None or not versions:
            raise ServiceError(f"案件 {case_number} 不存在于机关 {agency} 的账本中")
        case = _validated(current, "案件")
        if not header.may_change(case, versions[0].actor, by):
            raise ActRefused("只有本案承办人、在本案记录中的执法人员或本机关负责人可以变更案件信息")
        if any(r.kind == "case_file" for r in case.effective_records()):
            raise ServiceError(
                "案件已归档，案卷已按档案法规定归档保存，不能再变更案件信息"
                "（如确需变更，应先撤销归档记录）"
            )
        old = {
            k: v
            for k, v in current.items()
            if k not in ("format", "agency", "case_number", "records")
        }
        try:
            new, block = header.apply_change(old, change, now)
        except header.HeaderChangeError as exc:
            raise ServiceError("案件信息变更未通过校验", exc.issues) from exc
        covered = set(load_pack(agency).acts_covered)
        stray = [
            a for a in new.get("acts", []) if a not in covered and a not in old.get("acts", [])
        ]
        if stray:
            issues = [
                FormatIssue("$.acts", f"本机关制度文件不适用于“{ACTS.get(a, a)}”") for a in stray
            ]
            raise ServiceError("案件信息变更未通过校验", issues)
        if header.removed_parties(old, new):  # never: apply_change only adds and corrects
            raise ServiceError("当事人一经记录不能删除；误列的当事人请标为误列并说明理由")
        candidate = {**current, **new}
        for key in header.CHANGEABLE:
            if key not in new:
                candidate.pop(key, None)
        changed = _validated(candidate, "案件信息变更")
        body = {**case_header(changed), header.CHANGE_KEY: block}
        _check_storable(body, "案件信息变更")
        entry = NewEntry(case_number, "case", case_number, body, by.username)
        return ledger.append_in_transaction(agency, [entry], recorded_at=now)[0]


def do_import_case(ledger: Ledger, case: Case, *, now: datetime | None = None) -> list[Receipt]:
    """Take over a whole case from a case file (migration from another system, examples):
    header and records in one transaction. The records keep their own times; the entries
    carry the import time."""
    now = timeutil.require_aware(now or ledger.clock())
    with _serialised(ledger, case.agency):
        if case_state(ledger, case.agency, case.case_number) is not None:
            raise ServiceError(f"案号 {case.case_number} 已存在，不能重复导入")
        # A case file transcribes acts made on paper: each role act must name its person, one of
        # the case's people holding the role (the same check as a live record's, without actor).
        issues = []
        for rec in case.records:
            previous = case.record(rec.corrects.record) if rec.corrects is not None else None
            _, found = role_acts.check(rec, previous, actor=None, people=case.people)
            issues += [FormatIssue(f"$.records[{rec.id}]{i.path[1:]}", i.message) for i in found]
        if issues:
            raise ServiceError("案卷未通过校验", issues)
        entries = [NewEntry(case.case_number, "case", case.case_number, case_header(case))]
        entries += [
            NewEntry(case.case_number, "record", rec.id, record_to_json(rec))
            for rec in case.records
        ]
        return ledger.append_in_transaction(case.agency, entries, recorded_at=now)


def do_ingest_media(
    ledger: Ledger,
    store: MediaStore,
    agency: str,
    case_number: str,
    source: BinaryIO | Iterable[bytes],
    *,
    type: str,
    captured_at: datetime,
    uploader: str,
    completed_at: datetime | None = None,
    filename: str = "",
    device: str = "",
    labels: Mapping[str, str] | None = None,
    max_size: int | None = None,
    now: datetime | None = None,
) -> IngestedMedia:
    """Store a photo, audio or video file (content-addressed, write-once) and append its
    ingestion — digests, device clock, server clock, uploader, case, labels — to the ledger.

    The server clock at the end of the upload is the ingestion time the storage deadline is
    judged by (24 hours, or 2 working days for 004 art. 13). It *is* the ingestion entry's
    recorded time: taken under the log's lock as the time the ledger records (the clock, or
    the log's last time if the clock is behind), and the append is refused unless the two are
    equal — ``lawtrail verify`` reports a media entry where they differ.
    """
    if type not in MEDIA_TYPES:
        raise ServiceError(f"不支持的音像类型 {type!r}")
    timeutil.require_aware(captured_at)
    if completed_at is not None:
        timeutil.require_aware(completed_at)
    if case_state(ledger, agency, case_number) is None:
        raise ServiceError(f"案件 {case_number} 不存在于机关 {agency} 的账本中")
    # 涉及国家秘密 (保守国家秘密法 第三十条): a case registered as such takes no file at all —
    # refused before a byte is read, so nothing is stored (issue #16).
    active = secrecy.fold(secrecy_events(ledger, agency, case_number)).active_labels()
    refusal = secrecy.upload_refusal(active)
    if refusal is not None:
        raise StateSecretRefused(refusal)
    # The bytes first, outside the transaction: an upload of several GB must not hold the lock.
    stored = store.put(source, max_size=max_size)
    with _serialised(ledger, agency):
        ingested_at = ledger.recording_time(agency, now)
        return _append_ingestion(
            ledger,
            stored,
            agency,
            case_number,
            ingested_at,
            Media(
                id=f"m-{stored.sha256[:16]}",
                type=type,
                sha256=stored.sha256,
                sm3=stored.sm3,
                size=stored.size,
                captured_at=captured_at,
                completed_at=completed_at,
                ingested_at=ingested_at,
                filename=filename,
                source=device,
                uploader=uploader,
                labels=dict(labels or {}),
            ),
        )


def _append_ingestion(
    ledger: Ledger,
    stored: StoredMedia,
    agency: str,
    case_number: str,
    ingested_at: datetime,
    media: Media,
) -> IngestedMedia:
    body = media_to_json(media)
    try:
        parse_media(body)  # the case format's checks: clocks in order, labels known …
    except CaseFormatError as exc:
        raise ServiceError("媒体信息未通过校验", exc.issues) from exc
    body["location"] = stored.location
    entry = NewEntry(case_number, "media", stored.sha256, body, media.uploader)
    receipt = ledger.append_in_transaction(agency, [entry], recorded_at=ingested_at)[0]
    if receipt.recorded_at != ingested_at:  # never: the time was read under the same lock
        raise ServiceError(
            f"入库时间 {ingested_at.isoformat()} 与账本记录时间 "
            f"{receipt.recorded_at.isoformat()} 不一致，未入账"
        )
    return IngestedMedia(media=media, receipt=receipt, created=stored.created)


# ---------------------------------------------------------------------------- documents


def recorded_documents(
    ledger: Ledger, agency: str, case_number: str
) -> list[tuple[int, dict[str, Any]]]:
    """Every document generated from the case, as (seq, entry body), oldest first."""
    return [
        (entry.seq, entry.data()["document"])
        for entry in ledger.entries(agency, case_number=case_number, types=("document",))
    ]


def do_record_document(
    ledger: Ledger,
    store: MediaStore,
    agency: str,
    case_number: str,
    rendered: RenderedDocument,
    *,
    record_id: str = "",
    extra: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    actor: str = "",
) -> RecordedDocument:
    """Keep a generated document: its bytes in the content-addressed store, its template,
    record and digests in the ledger (issue #5: "a generated document is itself recorded").

    Rendering is deterministic, so the same document of the same record gives the same bytes:
    a second generation is not a second entry (the earlier one is returned)."""
    now = timeutil.require_aware(now or ledger.clock())
    stored = store.put(iter((rendered.data,)))
    body: dict[str, Any] = {
        "template": rendered.template,
        "record": record_id,
        "format": rendered.format,
        "filename": rendered.filename,
        "media_type": rendered.media_type,
        "sha256": stored.sha256,
        "sm3": stored.sm3,
        "size": stored.size,
        **({"pages": rendered.pages} if rendered.pages is not None else {}),
        **dict(extra or {}),
        "location": stored.location,
    }
    with _serialised(ledger, agency):
        if case_state(ledger, agency, case_number) is None:
            raise ServiceError(f"案件 {case_number} 不存在于机关 {agency} 的账本中")
        for seq, known in recorded_documents(ledger, agency, case_number):
            if known["sha256"] == stored.sha256 and known.get("record", "") == record_id:
                return RecordedDocument(known, seq, created=False, data=rendered.data)
        _check_storable(body, "文书信息")
        entry = NewEntry(case_number, "document", stored.sha256, body, actor)
        receipt = ledger.append_in_transaction(agency, [entry], recorded_at=now)[0]
    return RecordedDocument(body, receipt.seq, created=True, data=rendered.data)


def do_generate_document(
    ledger: Ledger,
    store: MediaStore,
    renderer: DocumentRenderer,
    agency: str,
    case_number: str,
    template: str,
    *,
    record_id: str = "",
    format: str = "pdf",
    now: datetime | None = None,
    actor: str = "",
) -> RecordedDocument:
    """Render one document of a case (a record's 文书, or the case-level ones) and record it.

    The case is read before rendering and not locked meanwhile: records are only ever
    appended, so what was rendered stays true of the record it names."""
    from lawtrail.documents import DocumentError

    case = load_case(ledger, agency, case_number)
    record = None
    if record_id:
        record = case.record(record_id)
        if record is None:
            raise ServiceError(f"案件 {case_number} 中没有记录 {record_id}")
    try:
        rendered = renderer.render(template, case, record, format=format)
    except DocumentError as exc:
        raise ServiceError(str(exc)) from exc
    return do_record_document(
        ledger, store, agency, case_number, rendered, record_id=record_id, now=now, actor=actor
    )


def do_archive_case(
    ledger: Ledger,
    store: MediaStore,
    renderer: DocumentRenderer,
    agency: str,
    case_number: str,
    *,
    archivist: str,
    volume_number: str,
    retention: str,
    now: datetime | None = None,
    actor: str = "",
    reason: str = "",
) -> tuple[RecordedDocument, Receipt]:
    """形成案卷并归档: assemble the volume (cover, catalog with page numbers, every document,
    remarks sheet), keep it, and append the ``case_file`` record naming it — in one
    transaction, after the act's end (000 art. 31, 001 art. 26, 002 art. 32, 003 art. 24:
    within 30 days of it, judged by the rule packs, so late archiving is a finding).

    ``archivist`` is the id of the designated person in the case's people (000 art. 32 …).
    A case archived before and recorded further since (a court's enforcement result, say) is
    archived again: the new ``case_file`` record corrects the earlier one, which stays."""
    from lawtrail.documents import DocumentError

    now = timeutil.require_aware(now or ledger.clock())
    case = load_case(ledger, agency, case_number)
    person = case.person(archivist)
    if person is None:
        raise ServiceError(f"档案管理员 {archivist} 不是本案人员，请先将其加入案件人员")
    if not volume_number.strip():
        raise ServiceError("请填写案卷号")
    effective = case.effective_records(now)
    if not any(r.kind == "closure" for r in effective):
        raise ServiceError("案件尚未终结（没有“执法行为终结”记录），不能归档")
    previous = next((r for r in reversed(effective) if r.kind == "case_file"), None)
    if previous is not None and not any(r.known_at > previous.known_at for r in case.records):
        raise ServiceError(f"案件已于记录 {previous.id} 归档，此后没有新的记录，无需重新归档")
    try:
        volume = renderer.volume(
            case,
            volume_number=volume_number,
            archivist=person.name,
            retention=retention,
            archived_at=now,
        )
    except DocumentError as exc:
        raise ServiceError(str(exc)) from exc
    catalog = [
        {
            "number": item.number,
            "document_number": item.document_number,
            "title": item.title,
            "date": item.date.isoformat(),
            "first_page": item.first_page,
            "last_page": item.last_page,
            "record": item.record_id or "",
        }
        for item in volume.catalog
    ]
    stored = store.put(iter((volume.pdf,)))
    record_id = next_record_id(case)
    document = {
        "template": "case_volume",
        "record": record_id,
        "format": "pdf",
        "filename": f"{case_number}-案卷.pdf",
        "media_type": "application/pdf",
        "sha256": stored.sha256,
        "sm3": stored.sm3,
        "size": stored.size,
        "pages": volume.pages,
        "volume_number": volume_number,
        "catalog": catalog,
        "location": stored.location,
    }
    # The 副卷 of internal deliberation, where the agency's archive profile keeps one
    # (documents/form.py): stored and recorded beside the volume, in the same transaction.
    secondary: dict[str, Any] | None = None
    if volume.secondary is not None:
        kept = store.put(iter((volume.secondary.pdf,)))
        secondary = {
            **{k: document[k] for k in ("format", "media_type", "volume_number")},
            "template": "case_volume_secondary",
            "record": record_id,
            "filename": f"{case_number}-案卷（副卷）.pdf",
            "sha256": kept.sha256,
            "sm3": kept.sm3,
            "size": kept.size,
            "pages": volume.secondary.pages,
            "catalog": [
                {
                    "number": item.number,
                    "title": item.title,
                    "first_page": item.first_page,
                    "last_page": item.last_page,
                    "record": item.record_id or "",
                }
                for item in volume.secondary.catalog
            ],
            "location": kept.location,
        }
    record: dict[str, Any] = {
        "id": record_id,
        "kind": "case_file",
        "at": timeutil.local(now).isoformat(),
        "fields": {
            "archivist": archivist,
            "volume_number": volume_number,
            "documents": [
                f"{c['number']}. {c['title']}（{c['document_number']}，第{c['first_page']}"
                + (f"-{c['last_page']}" if c["last_page"] != c["first_page"] else "")
                + "页）"
                for c in catalog
            ],
            "retention": retention,
            "volume": stored.sha256,
        },
    }
    if previous is not None:
        record["corrects"] = {
            "record": previous.id,
            "reason": reason or "归档后有新的记录，重新组卷归档",
        }
    with _serialised(ledger, agency):
        current = case_json(ledger, agency, case_number)
        assert current is not None
        if len(current["records"]) != len(case.records):
            raise ServiceError("组卷期间案件有新的记录，请重新组卷")
        candidate = {
            **current,
            "records": [
                *current["records"],
                {**record, "recorded_at": timeutil.local(now).isoformat()},
            ],
        }
        _validated(candidate, "案卷归档记录")
        volume_entry = NewEntry(case_number, "document", stored.sha256, document, actor)
        entries = [volume_entry]
        if secondary is not None:
            entries.append(NewEntry(case_number, "document", secondary["sha256"], secondary, actor))
        receipt = ledger.append_in_transaction(agency, entries, recorded_at=now)[0]
        # The completeness commitment (issue #12): every entry of the case so far, the volume
        # just appended included, found by the case its hashed body names.
        info = ledger.log_info(agency)
        assert info is not None
        committed = [
            (e.seq, merkle.leaf_hash(e.body))
            for e in case_entries_by_body(ledger, agency, case_number)
        ]
        record["fields"].update(completeness.fields(info.origin, committed))
        candidate["records"][-1] = {**record, "recorded_at": timeutil.local(now).isoformat()}
        archived = _validated(candidate, "案卷归档记录")
        entry = NewEntry(
            case_number, "record", record_id, record_to_json(archived.records[-1]), actor
        )
        filed = ledger.append_in_transaction(agency, [entry], recorded_at=now)[0]
    return RecordedDocument(document, receipt.seq, True, volume.pdf), filed
