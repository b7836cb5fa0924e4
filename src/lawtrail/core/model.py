"""The case and its records: plain, immutable domain objects.

A case is the whole history of one enforcement matter: who acted, on whom, and every act
recorded as a :class:`Record`. Records are never changed; a correction is a new record whose
``corrects`` names the record it replaces, and a ``void`` record withdraws one. Both stay in the
history; :meth:`Case.effective_records` is the view the rules judge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

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
    title: str = ""
    parties: Sequence[Party] = ()
    people: Sequence[Person] = ()
    records: Sequence[Record] = ()

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def party(self, party_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == party_id), None)

    def record(self, record_id: str) -> Record | None:
        return next((r for r in self.records if r.id == record_id), None)

    def effective_records(self, as_of: datetime | None = None) -> list[Record]:
        """The records the rules judge, in order of the act's time.

        Only what the system knew at `as_of` counts. A corrected record gives way to the
        record that corrects it (when two corrections name the same record, the later one
        wins); a voided record drops out. Both stay in `records`: nothing is ever removed.
        """
        known = [r for r in self.records if as_of is None or r.known_at <= as_of]
        voided = {str(r.fields["target"]) for r in known if r.kind == "void"}
        superseded = {r.corrects.record for r in known if r.corrects is not None}
        latest_correction: dict[str, Record] = {}
        for r in sorted(known, key=lambda r: (r.known_at, r.id)):
            if r.corrects is not None:
                latest_correction[r.corrects.record] = r
        result = [
            r
            for r in known
            if r.kind != "void"
            and r.id not in voided
            and r.id not in superseded
            and (r.corrects is None or latest_correction[r.corrects.record] is r)
        ]
        return sorted(result, key=lambda r: (r.at, r.id))
