"""Build cases for tests in a few lines: people, a party and records with sensible defaults.

Records get no fields, signatures or media unless a test gives them: each test states the
facts its rule is about. Investigation kinds get two officers who showed their certificates
(override with ``officers=()``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from lawtrail.core.engine import Evaluation, evaluate
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
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.core.timeutil import SHANGHAI


def t(text: str) -> datetime:
    """'2026-10-09 14:30' as a Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def run_lawtrail(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `lawtrail` command (as `python -m lawtrail`) with extra environment variables."""
    return subprocess.run(
        [sys.executable, "-m", "lawtrail", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )


PEOPLE = (
    Person("o1", "张明", "执法人员", "JL-2201-0001", date(2024, 1, 1), date(2028, 12, 31)),
    Person("o2", "李华", "执法人员", "JL-2201-0002", date(2024, 1, 1), date(2028, 12, 31)),
    Person("rv1", "王强", "科长（审核人）", "JL-2201-0003"),
    Person("h1", "赵局长", "局长（负责人）"),
    Person("l1", "孙律", "法制审核人员"),
    Person("a1", "周档", "档案管理员"),
)
PARTY = Party(
    "p1", "通化市某某商贸有限公司", "organization", "91220500MA0000000X", "通化市东昌区新华大街1号"
)


def sig(role: str, name: str = "", **kw: Any) -> Signature:
    return Signature(role=role, name=name or role, **kw)


def refusal(role: str, reason: str = "当事人拒绝签字") -> Refusal:
    return Refusal(role=role, reason=reason)


def video(captured: str, ingested: str | None = None, **kw: Any) -> Media:
    at = t(captured)
    # Deterministic digest (hash() is salted per process): same inputs, same media id.
    digest = hashlib.sha256(repr((captured, ingested, sorted(kw.items()))).encode()).hexdigest()
    return Media(
        id=kw.pop("id", f"m{digest[:8]}"),
        type=kw.pop("type", "video"),
        sha256=digest,
        captured_at=at,
        ingested_at=t(ingested) if ingested else at + timedelta(hours=2),
        **kw,
    )


class CaseBuilder:
    def __init__(
        self,
        agency: str,
        *,
        procedure: str = "general",
        origin: str = "ex_officio",
        major: bool = False,
        acts: Iterable[str] = ("penalty",),
        opened: str = "2026-09-01 09:00",
        case_number: str = "测〔2026〕1号",
    ) -> None:
        self.agency = agency
        self.procedure = procedure
        self.origin = origin
        self.major = major
        self.acts = tuple(acts)
        self.opened = t(opened)
        self.case_number = case_number
        self.records: list[Record] = []

    def add(
        self,
        kind: str,
        at: str,
        fields: Mapping[str, FieldValue] | None = None,
        *,
        rid: str | None = None,
        officers: Iterable[OfficerPresence] | None = None,
        signatures: Iterable[Signature] = (),
        refusals: Iterable[Refusal] = (),
        media: Iterable[Media] = (),
        av_exemption: str | AvExemption | None = None,
        corrects: tuple[str, str] | None = None,
        recorded_at: str | None = None,
    ) -> str:
        rid = rid or f"r{len(self.records) + 1}"
        if officers is None:
            officers = (
                (OfficerPresence("o1", True), OfficerPresence("o2", True))
                if RECORD_KINDS[kind].has_officers
                else ()
            )
        self.records.append(
            Record(
                id=rid,
                kind=kind,
                at=t(at),
                recorded_at=t(recorded_at) if recorded_at else None,
                fields=dict(fields or {}),
                officers=tuple(officers),
                signatures=tuple(signatures),
                refusals=tuple(refusals),
                media=tuple(media),
                av_exemption=(
                    AvExemption(av_exemption)
                    if isinstance(av_exemption, str) and av_exemption
                    else av_exemption or None
                ),
                corrects=Correction(*corrects) if corrects else None,
            )
        )
        return rid

    def build(self) -> Case:
        return Case(
            agency=self.agency,
            case_number=self.case_number,
            acts=self.acts,
            procedure=self.procedure,
            origin=self.origin,
            opened_at=self.opened,
            major=self.major,
            parties=(PARTY,),
            people=PEOPLE,
            records=tuple(self.records),
        )

    def evaluate(self, at: str = "2026-11-23 12:00") -> Evaluation:
        return evaluate(self.build(), at=t(at))


def fired(evaluation: Evaluation, rule: str) -> list[Any]:
    """The findings of one rule."""
    return [f for f in evaluation.findings if f.rule == rule]


def required(evaluation: Evaluation, rule: str) -> list[Any]:
    """The pending required acts of one rule."""
    return [r for r in evaluation.required if r.rule == rule]
