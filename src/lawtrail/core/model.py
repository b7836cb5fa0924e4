"""The case and its records: plain, immutable domain objects.

A case is the whole history of one enforcement matter: who acted, on whom, and every act
recorded as a :class:`Record`. Records are never changed; a correction is a new record whose
``corrects`` names the record it replaces, and a ``void`` record withdraws one. Both stay in the
history; :meth:`Case.effective_records` is the view the rules judge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

FieldValue = str | bool | int | Decimal | date | datetime | tuple[str, ...]


@dataclass(frozen=True)
class Person:
    """Someone of the agency: officer, reviewer, head, legal reviewer, archivist."""

    id: str
    name: str
    title: str = ""
    certificate_number: str = ""  # 执法证件编号; empty for staff without one
    certificate_valid_from: date | None = None
    certificate_valid_until: date | None = None
    # What the agency designated this person to do (record_kinds.STAFF_ROLES), e.g. the
    # archivist (000 art. 32 "明确专门人员"): a person's title alone designates nothing.
    roles: tuple[str, ...] = ()

    def certificate_valid_on(self, day: date) -> bool:
        if not self.certificate_number:
            return False
        if self.certificate_valid_from and day < self.certificate_valid_from:
            return False
        return not (self.certificate_valid_until and day > self.certificate_valid_until)


@dataclass(frozen=True)
class Party:
    """当事人: the citizen, legal person or organisation the case concerns."""

    id: str
    name: str
    kind: str = "organization"  # organization | person
    id_number: str = ""  # 统一社会信用代码 or 身份证号
    address: str = ""
    contact: str = ""
    # 法定代表人 (or 负责人) of an organisation: 行政处罚法 (2021) 第五十九条 names the party
    # in the decision, and the national 文书格式范本 print this line under an organisation's name.
    legal_representative: str = ""
    # 误列: why this party was listed by mistake (empty: a party of the case). A party once
    # recorded is never removed from the case — its signatures and refusals in earlier records
    # still name it — so a mistaken listing is marked, with its reason, by a header change
    # (lawtrail.core.header) and stays visible in the history.
    misjoined: str = ""

    @property
    def listed(self) -> bool:
        """A party of the case (not marked 误列)."""
        return not self.misjoined.strip()


@dataclass(frozen=True)
class OfficerPresence:
    """An officer present at an investigation act, and whether the certificate was shown."""

    person: str
    certificate_shown: bool | None = None


@dataclass(frozen=True)
class Signature:
    role: str
    name: str = ""
    person: str = ""  # id in case.people, for agency staff
    party: str = ""  # id in case.parties
    at: datetime | None = None
    method: str = "handwritten"
    image_sha256: str = ""  # digest of the scanned paper or the on-screen drawing


@dataclass(frozen=True)
class Refusal:
    """A recorded refusal to sign (000 art. 11, 004 art. 9)."""

    role: str
    reason: str
    name: str = ""
    party: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Media:
    """One photo, audio or video file attached to a record, identified by its digests."""

    id: str
    type: str  # photo | audio | video
    sha256: str
    captured_at: datetime  # the device clock
    ingested_at: datetime  # the server clock, when it reached the information system
    sm3: str = ""
    # When the recording ended (音像记录制作完成): the ingest period runs from here. For a
    # photo, or when not given, the capture instant.
    completed_at: datetime | None = None
    size: int | None = None
    filename: str = ""
    source: str = ""  # body_camera | cctv | phone | camera | other
    uploader: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)  # case_number, party, handler

    @property
    def made_at(self) -> datetime:
        """音像记录制作完成: the moment the storage period starts."""
        return self.completed_at or self.captured_at


@dataclass(frozen=True)
class AvExemption:
    """Why a record that should carry audio/video does not (不适宜音像记录的)."""

    reason: str
    approved_by: str = ""
    # The head's decision, when one was recorded: a refused exemption is no exemption (an
    # approval is read by its decision, not by its presence). `approved_by` alone states who
    # approved it.
    approved: bool | None = None

    @property
    def accepted(self) -> bool:
        return bool(self.reason.strip()) and self.approved is not False


@dataclass(frozen=True)
class Correction:
    record: str
    reason: str


@dataclass(frozen=True)
class Record:
    id: str
    kind: str
    at: datetime  # when the act took place
    recorded_at: datetime | None = None  # when it entered the system (defaults to `at`)
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    officers: Sequence[OfficerPresence] = ()
    signatures: Sequence[Signature] = ()
    refusals: Sequence[Refusal] = ()
    media: Sequence[Media] = ()
    av_exemption: AvExemption | None = None
    corrects: Correction | None = None
    note: str = ""

    @property
    def known_at(self) -> datetime:
        return self.recorded_at or self.at

    def value(self, name: str) -> FieldValue | None:
        return self.fields.get(name)

    def has_value(self, name: str) -> bool:
        """A field counts as present when it holds something other than blank or empty."""
        value = self.fields.get(name)
        if value is None:
            return False
        if isinstance(value, str):
            return bool(value.strip())
        if isinstance(value, tuple):
            return any(str(item).strip() for item in value)
        return True


@dataclass(frozen=True)
class Case:
    agency: str
    case_number: str  # 案号
    acts: tuple[str, ...]
    procedure: str  # general | simplified
    origin: str  # application | ex_officio | complaint | emergency
    opened_at: datetime
    major: bool = False  # 重大行政执法决定
    # When the case was marked 重大 by a change of its header (None: from its opening). An act
    # entered before is not judged by the rules for 重大 cases (lawtrail.core.engine): it was
    # made when nobody had recognised the case as one (issue #15).
    major_since: datetime | None = None
    title: str = ""
    parties: Sequence[Party] = ()
    people: Sequence[Person] = ()
    records: Sequence[Record] = ()

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def party(self, party_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == party_id), None)

    @property
    def listed_parties(self) -> list[Party]:
        """The case's parties without those marked 误列 (what documents and rules address)."""
        return [p for p in self.parties if p.listed]

    def record(self, record_id: str) -> Record | None:
        return self.records_by_id.get(record_id)

    def appended(self, record: Record) -> Case:
        """The case with ``record`` after its records; its index by id carried over rather
        than built again (an append to a case of 2,000 records, issue #18)."""
        case = replace(self, records=(*self.records, record))
        by_id = dict(self.records_by_id)
        by_id.setdefault(record.id, record)
        case.__dict__["records_by_id"] = by_id  # what the cached property would compute
        return case

    @cached_property
    def records_by_id(self) -> dict[str, Record]:
        """The records by id (the first of an id, as :meth:`record` finds it): one dict per
        case, so finding records never searches the list (a page of a case of 2,000 records
        looks up thousands). Computed once; the case is immutable. Do not change it."""
        found: dict[str, Record] = {}
        for r in self.records:
            found.setdefault(r.id, r)
        return found

    def effective_records(self, as_of: datetime | None = None) -> list[Record]:
        """The records the rules judge, in order of the act's time.

        Only what the system knew at `as_of` counts. Nothing is ever removed from `records`;
        this view applies corrections and voids as docs/case-format.md defines them:

        * A record and every correction of it (directly or of a correction of it) are the
          *versions* of one act. The act is judged by its latest version (by the time it
          entered the system, then id) that is not withdrawn.
        * A ``void`` withdraws exactly the version it names, while the void itself stands. A
          void of a void therefore puts its target back; a void of a correction brings back
          the version before it; a correction made after a void is a new version and counts.
        * An act all of whose versions are withdrawn is not judged; voids are never judged.

        A void only acts on a record entered before it, so chains of voids cannot loop.
        """
        if as_of is None or (self.records and as_of >= self._latest_known):
            # Everything recorded is known by then: the same view, worked out once per case
            # (a page and the rule engine ask for it several times; issue #18).
            return list(self._effective_all)
        return self._effective(as_of)

    @cached_property
    def _latest_known(self) -> datetime:
        return max(r.known_at for r in self.records)

    @cached_property
    def _effective_all(self) -> tuple[Record, ...]:
        return tuple(self._effective(None))

    def _effective(self, as_of: datetime | None) -> list[Record]:
        known = [r for r in self.records if as_of is None or r.known_at <= as_of]
        order = {r.id: i for i, r in enumerate(sorted(known, key=lambda r: (r.known_at, r.id)))}
        # A void stands unless a standing void entered after it names it. Walking the voids
        # from the latest back, every void that could withdraw this one is already decided.
        voids_of: dict[str, list[str]] = {}
        for r in known:
            if r.kind == "void":
                target = str(r.fields.get("target", ""))
                if target in order and order[target] < order[r.id]:
                    voids_of.setdefault(target, []).append(r.id)
        standing: dict[str, bool] = {}
        for r in sorted(known, key=lambda r: order[r.id], reverse=True):
            if r.kind == "void":
                standing[r.id] = not any(standing[v] for v in voids_of.get(r.id, ()))

        def withdrawn(record_id: str) -> bool:
            return any(standing[v] for v in voids_of.get(record_id, ()))

        # The versions of one act: records linked by `corrects`, whatever the chain's shape.
        root: dict[str, str] = {r.id: r.id for r in known if r.kind != "void"}

        def find(record_id: str) -> str:
            while root[record_id] != record_id:
                root[record_id] = root[root[record_id]]
                record_id = root[record_id]
            return record_id

        for r in known:
            if r.kind != "void" and r.corrects is not None and r.corrects.record in root:
                root[find(r.id)] = find(r.corrects.record)
        current: dict[str, Record] = {}
        for r in sorted(known, key=lambda r: order[r.id]):
            if r.kind != "void" and not withdrawn(r.id):
                current[find(r.id)] = r  # later versions replace earlier ones
        return sorted(current.values(), key=lambda r: (r.at, r.id))
