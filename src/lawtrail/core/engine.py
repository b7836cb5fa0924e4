"""The rule engine: judge a case, as of a moment, against its agency's rule pack.

Generic: it knows the check types of :mod:`lawtrail.core.rules`, never an agency. It returns

* findings — what is wrong (violation) or needs a person's look (warning), each with the
  rule, the regulation file, the article and the record concerned, in Chinese; and
* the acts still required next, with their deadlines, so officers see what is due before it
  becomes a violation.

"As of" means what the system knew then: records entered later are ignored, and a deadline
counts as missed only once it has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lawtrail.core import timeutil
from lawtrail.core.calendar import CalendarUnknownError, WorkdayCalendar
from lawtrail.core.deadlines import Period, PeriodUnit, due_at
from lawtrail.core.model import Case, Record
from lawtrail.core.record_kinds import (
    ACTS,
    MEDIA_LABELS,
    MEDIA_TYPES,
    RECORD_KINDS,
    SIGNATURE_ROLES,
)
from lawtrail.core.rules import (
    ANY_KIND,
    ActsCoveredCheck,
    ApprovalChainCheck,
    AvCheck,
    ExistsCheck,
    FieldsCheck,
    FollowedByCheck,
    IncludesCheck,
    MediaIngestCheck,
    MediaLabelsCheck,
    OfficersCheck,
    PrecededByCheck,
    Rule,
    RulePack,
    Severity,
    SignaturesCheck,
    ValuesCheck,
    load_pack,
)


@dataclass(frozen=True)
class Finding:
    rule: str
    regulation: str
    article: int
    severity: Severity
    record: str | None  # the record concerned; None for the case as a whole
    message: str  # Chinese, for people
    title: str  # the rule's requirement
    quote: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "regulation": self.regulation,
            "article": self.article,
            "severity": str(self.severity),
            "record": self.record,
            "message": self.message,
        }


@dataclass(frozen=True)
class RequiredAct:
    """An act the regulations still require, with its deadline when they set one."""

    rule: str
    regulation: str
    article: int
    kinds: tuple[str, ...]
    after: str | None  # the record that made it necessary
    due: datetime | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "regulation": self.regulation,
            "article": self.article,
            "kinds": list(self.kinds),
            "after": self.after,
            "due": self.due.isoformat() if self.due else None,
            "message": self.message,
        }


@dataclass(frozen=True)
class Evaluation:
    case: Case
    pack: RulePack
    as_of: datetime
    findings: tuple[Finding, ...]
    required: tuple[RequiredAct, ...]

    @property
    def violations(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.VIOLATION)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)


def evaluate(
    case: Case,
    *,
    at: datetime | None = None,
    pack: RulePack | None = None,
    calendar: WorkdayCalendar | None = None,
) -> Evaluation:
    as_of = timeutil.require_aware(at) if at is not None else timeutil.now()
    pack = pack or load_pack(case.agency)
    ctx = _Context(case, pack, as_of, calendar or WorkdayCalendar.default())
    for rule in pack.rules:
        if _case_matches(case, rule.case):
            ctx.apply(rule)
    findings = sorted(ctx.findings, key=lambda f: (ctx.record_order(f.record), f.rule))
    required = sorted(
        ctx.required,
        key=lambda r: (r.due is None, r.due or as_of, r.rule, r.after or ""),
    )
    return Evaluation(case, pack, as_of, tuple(findings), tuple(required))


# ------------------------------------------------------------------ matching


def _matches(actual: Any, expected: Any) -> bool:
    wanted = expected if isinstance(expected, list) else [expected]
    if isinstance(actual, tuple):  # multiple choice: any chosen value matches
        return any(item in wanted for item in actual)
    return actual in wanted


def _case_matches(case: Case, spec: Mapping[str, Any]) -> bool:
    for key, expected in spec.items():
        if key == "acts":
            if not _matches(case.acts, expected):
                return False
        elif not _matches(getattr(case, key), expected):
            return False
    return True


def _record_matches(record: Record, kinds: Sequence[str], where: Mapping[str, Any]) -> bool:
    if ANY_KIND not in kinds and record.kind not in kinds:
        return False
    return all(_matches(record.value(name), expected) for name, expected in where.items())


def _value_label(choices: Mapping[str, str], value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return choices.get(str(value), str(value))


def _kind_labels(kinds: Iterable[str], where: Mapping[str, Any] | None = None) -> str:
    """「送达」（文书种类：催告书）: the kinds, and the field values a match must have."""
    kinds = list(kinds)
    text = "、".join(f"「{RECORD_KINDS[k].label}」" for k in kinds)
    conditions = []
    for name, expected in (where or {}).items():
        spec = RECORD_KINDS[kinds[0]].field(name)
        wanted = expected if isinstance(expected, list) else [expected]
        conditions.append(
            f"{spec.label}：{'或'.join(_value_label(spec.choices, v) for v in wanted)}"
        )
    return text + (f"（{'；'.join(conditions)}）" if conditions else "")


class _Context:
    def __init__(
        self, case: Case, pack: RulePack, as_of: datetime, calendar: WorkdayCalendar
    ) -> None:
        self.case = case
        self.pack = pack
        self.as_of = as_of
        self.calendar = calendar
        self.records = case.effective_records(as_of)
        self.findings: list[Finding] = []
        self.required: list[RequiredAct] = []
        self._order = {r.id: i for i, r in enumerate(self.records)}
        closures = [r for r in self.records if r.kind == "closure"]
        self.closed_at = closures[0].at if closures else None

    def record_order(self, record_id: str | None) -> int:
        return -1 if record_id is None else self._order.get(record_id, len(self._order))

    def find(
        self, rule: Rule, message: str, record: Record | None, severity: Severity | None = None
    ) -> None:
        self.findings.append(
            Finding(
                rule=rule.id,
                regulation=rule.citation.regulation,
                article=rule.citation.article,
                severity=severity or rule.severity,
                record=record.id if record else None,
                message=message,
                title=rule.title,
                quote=rule.citation.quote,
            )
        )

    def require(
        self,
        rule: Rule,
        kinds: tuple[str, ...],
        after: Record | None,
        due: datetime | None,
        message: str,
    ) -> None:
        self.required.append(
            RequiredAct(
                rule=rule.id,
                regulation=rule.citation.regulation,
                article=rule.citation.article,
                kinds=kinds,
                after=after.id if after else None,
                due=due,
                message=message,
            )
        )

    def due(
        self,
        rule: Rule,
        anchor: datetime,
        period: Period,
        record: Record,
        done_at: datetime | None = None,
    ) -> datetime | None:
        """The deadline, or None after reporting that the calendar cannot tell.

        When the calendar lacks a year but the act was done within as many *calendar* days,
        it was certainly in time (N working days never end sooner), so nothing is reported.
        """
        try:
            return due_at(anchor, period, self.calendar)
        except CalendarUnknownError as exc:
            if period.unit is PeriodUnit.WORKING_DAYS and done_at is not None:
                floor = due_at(anchor, Period(period.amount, PeriodUnit.DAYS), self.calendar)
                if done_at <= floor:
                    return floor
            self.find(
                rule,
                f"无法判定期限「{period.label_zh()}」是否遵守：{exc}",
                record,
                Severity.WARNING,
            )
            return None

    # -------------------------------------------------------------- dispatch

    def apply(self, rule: Rule) -> None:
        check = rule.check
        if isinstance(check, ExistsCheck):
            self.check_exists(rule, check)
            return
        if isinstance(check, ActsCoveredCheck):
            self.check_acts(rule)
            return
        selected = [r for r in self.records if _record_matches(r, rule.kinds, rule.where)]
        if rule.scope == "first":
            selected = selected[:1]
        for record in selected:
            self.check_record(rule, record)

    def check_record(self, rule: Rule, record: Record) -> None:
        check = rule.check
        label = f"{RECORD_KINDS[record.kind].label}（记录 {record.id}）"
        if isinstance(check, FieldsCheck):
            missing = [f for f in check.fields if not record.has_value(f)]
            kind = RECORD_KINDS[record.kind]
            names = "、".join(f"「{kind.field(f).label}」" for f in missing)
            if check.any and len(missing) == len(check.fields):
                self.find(rule, f"{label}未载明以下任一项：{names}", record)
            elif not check.any and missing:
                self.find(rule, f"{label}未载明：{names}", record)
        elif isinstance(check, IncludesCheck):
            chosen = record.value(check.field)
            have = set(chosen) if isinstance(chosen, tuple) else set()
            lacking = [v for v in check.values if v not in have]
            if lacking:
                spec = RECORD_KINDS[record.kind].field(check.field)
                names = "、".join(spec.choices[v] for v in lacking)
                self.find(rule, f"{label}的「{spec.label}」未包括：{names}", record)
        elif isinstance(check, ValuesCheck):
            value = record.value(check.field)
            if value not in check.allowed:
                spec = RECORD_KINDS[record.kind].field(check.field)
                allowed = "、".join(_value_label(spec.choices, v) for v in check.allowed)
                actual = "未填写" if value is None else _value_label(spec.choices, value)
                self.find(rule, f"{label}的「{spec.label}」为{actual}，应为：{allowed}", record)
        elif isinstance(check, SignaturesCheck):
            self.check_signatures(rule, check, record, label)
        elif isinstance(check, AvCheck):
            has_av = any(m.type in check.media_types for m in record.media)
            exempt = (
                check.exemption_allowed
                and record.av_exemption is not None
                and bool(record.av_exemption.reason.strip())
            )
            if not (has_av or exempt):
                kinds = "、".join(MEDIA_TYPES[t] for t in check.media_types)
                tail = "，也未记录不适宜音像记录的理由" if check.exemption_allowed else ""
                self.find(rule, f"{label}未附音像记录（{kinds}）{tail}", record)
        elif isinstance(check, OfficersCheck):
            self.check_officers(rule, check, record, label)
        elif isinstance(check, PrecededByCheck):
            before = [
                r
                for r in self.records
                if r.id != record.id
                and r.at <= record.at
                and _record_matches(r, check.kinds, check.where)
            ]
            if not before:
                wanted = _kind_labels(check.kinds, check.where)
                self.find(rule, f"{label}之前没有{wanted}", record)
        elif isinstance(check, FollowedByCheck):
            self.check_followed_by(rule, check, record, label)
        elif isinstance(check, MediaIngestCheck):
            for media in record.media:
                due = self.due(rule, media.made_at, check.within, record, media.ingested_at)
                if due is not None and media.ingested_at > due:
                    self.find(
                        rule,
                        f"{label}的音像文件 {media.filename or media.id} 制作完成于 "
                        f"{timeutil.format_local(media.made_at)}，"
                        f"{timeutil.format_local(media.ingested_at)} 才存入执法信息系统，"
                        f"超过{check.within.label_zh()}（应不晚于 {timeutil.format_local(due)}）",
                        record,
                    )
        elif isinstance(check, MediaLabelsCheck):
            for media in record.media:
                lacking = [k for k in check.labels if not media.labels.get(k, "").strip()]
                if lacking:
                    names = "、".join(MEDIA_LABELS[k] for k in lacking)
                    self.find(
                        rule,
                        f"{label}的音像文件 {media.filename or media.id} 未标明：{names}",
                        record,
                    )
        elif isinstance(check, ApprovalChainCheck):
            self.check_chain(rule, check, record, label)
        else:  # pragma: no cover - the loader only builds the types above
            raise AssertionError(f"unhandled check {check!r}")

    # -------------------------------------------------------------- checks

    def check_signatures(
        self, rule: Rule, check: SignaturesCheck, record: Record, label: str
    ) -> None:
        missing = []
        for group in check.groups:
            signed = any(s.role in group.roles for s in record.signatures)
            refused = group.refusal_allowed and any(
                r.role in group.roles and r.reason.strip() for r in record.refusals
            )
            if not (signed or refused):
                names = "或".join(SIGNATURE_ROLES[role] for role in group.roles)
                missing.append(
                    names + ("的签名（或拒签记录）" if group.refusal_allowed else "的签名")
                )
        if missing:
            self.find(rule, f"{label}缺少" + "；".join(missing), record)

    def check_officers(self, rule: Rule, check: OfficersCheck, record: Record, label: str) -> None:
        problems = []
        if len(record.officers) < check.min_count:
            problems.append(f"记载的执法人员少于{check.min_count}名")
        for presence in record.officers:
            person = self.case.person(presence.person)
            name = person.name if person else presence.person
            if person is None or not person.certificate_number:
                problems.append(f"执法人员{name}未记载执法证件编号")
            elif not person.certificate_valid_on(timeutil.local_date(record.at)):
                # A certificate outside its validity is no enforcement certificate at all.
                problems.append(f"执法人员{name}的执法证件在行为当日不在有效期内")
            if presence.certificate_shown is None:
                problems.append(f"未记录执法人员{name}是否出示执法证件")
        if problems:
            self.find(rule, f"{label}：" + "；".join(problems), record)

    def check_followed_by(
        self, rule: Rule, check: FollowedByCheck, record: Record, label: str
    ) -> None:
        after = [
            r
            for r in self.records
            if r.id != record.id
            and r.at >= record.at
            and _record_matches(r, check.kinds, check.where)
        ]
        wanted = _kind_labels(check.kinds, check.where)
        done_at = after[0].at if after else None
        due = self.due(rule, record.at, check.within, record, done_at) if check.within else None
        if after:
            first = after[0]
            if due is not None and first.at > due:
                self.find(
                    rule,
                    f"{label}后应在{check.within.label_zh() if check.within else ''}内"
                    f"（不晚于 {timeutil.format_local(due)}）形成{wanted}，"
                    f"实际于 {timeutil.format_local(first.at)}（记录 {first.id}）",
                    record,
                )
            return
        if check.within is not None:
            if due is not None and self.as_of > due:
                self.find(
                    rule,
                    f"{label}后应在{check.within.label_zh()}内"
                    f"（不晚于 {timeutil.format_local(due)}）形成{wanted}，至今未见",
                    record,
                )
                return
            self.require(
                rule,
                check.kinds,
                record,
                due,
                f"{rule.title}（{label}之后，期限{check.within.label_zh()}）",
            )
            return
        if self.closed_at is not None and record.kind != "closure" and self.closed_at >= record.at:
            self.find(rule, f"{label}之后应有{wanted}，执法行为已终结仍未见", record)
            return
        self.require(rule, check.kinds, record, None, f"{rule.title}（{label}之后）")

    def check_chain(
        self, rule: Rule, check: ApprovalChainCheck, record: Record, label: str
    ) -> None:
        problems = []
        persons: list[str] = []
        last_time = record.at
        kind = RECORD_KINDS[record.kind]
        for person_field, opinion_field, time_field in check.steps:
            for name in (person_field, opinion_field):
                if not record.has_value(name):
                    problems.append(f"未载明「{kind.field(name).label}」")
            person = record.value(person_field)
            if isinstance(person, str) and person:
                if person in persons:
                    problems.append(f"「{kind.field(person_field).label}」与前一环节为同一人")
                persons.append(person)
            if time_field:
                moment = record.value(time_field)
                if isinstance(moment, datetime):
                    if moment < last_time:
                        problems.append(f"「{kind.field(time_field).label}」早于前一环节")
                    last_time = moment
                else:
                    problems.append(f"未载明「{kind.field(time_field).label}」")
        if problems:
            self.find(rule, f"{label}：" + "；".join(problems), record)

    def check_exists(self, rule: Rule, check: ExistsCheck) -> None:
        if any(_record_matches(r, check.kinds, check.where) for r in self.records):
            return
        wanted = _kind_labels(check.kinds, check.where)
        if self.closed_at is not None:
            self.find(rule, f"本案应有{wanted}，执法行为已终结仍未见", None)
        else:
            self.require(rule, check.kinds, None, None, rule.title)

    def check_acts(self, rule: Rule) -> None:
        outside = [a for a in self.case.acts if a not in self.pack.acts_covered]
        if outside:
            names = "、".join(ACTS[a] for a in outside)
            self.find(
                rule,
                f"本案的{names}不在《{self.pack.name}》规定的适用范围内，请确认适用的记录制度",
                None,
            )
