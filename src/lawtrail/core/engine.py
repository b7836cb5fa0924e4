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

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lawtrail.core import role_acts, timeutil
from lawtrail.core.calendar import CalendarUnknownError, WorkdayCalendar
from lawtrail.core.deadlines import Period, PeriodUnit, due_at
from lawtrail.core.model import Case, Record, Signature
from lawtrail.core.record_kinds import (
    ACTS,
    DERIVED_FIELDS,
    DOCUMENT_KIND_OF_RECORD,
    HEARING_AMOUNT_PENALTIES,
    HEARING_PENALTIES,
    MEDIA_LABELS,
    MEDIA_TYPES,
    OWN_AUTHORITY_ORIGINS,
    PENALTY_KINDS,
    PENALTY_WORDS,
    RECORD_KINDS,
    SIGNATURE_ROLES,
    SMALL_FINE_ORGANIZATION,
    SMALL_FINE_PERSON,
    STAFF_ROLES,
)
from lawtrail.core.rules import (
    ANY_KIND,
    ActsCoveredCheck,
    ApprovalChainCheck,
    AvCheck,
    ExistsCheck,
    FieldsCheck,
    FollowedByCheck,
    HearingRightCheck,
    IncludesCheck,
    MediaIngestCheck,
    MediaLabelsCheck,
    OfficersCheck,
    PersonRoleCheck,
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
    # Where the duty comes from when it is not the cited article (another law or national
    # policy): the article is cited for what it says of the record, the duty for this source.
    duty_source: str = ""
    # For an act still not done after its deadline: that deadline (the inbox shows it overdue).
    missed_due: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "regulation": self.regulation,
            "article": self.article,
            "severity": str(self.severity),
            "record": self.record,
            "message": self.message,
        }
        if self.duty_source:
            out["duty_source"] = self.duty_source
        return out


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
    # The act is another role's part of the record ``after`` (a role act: 起草机构审查, a
    # head's approval …), which that role completes from its 待办 — not a new record.
    role_act: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "regulation": self.regulation,
            "article": self.article,
            "kinds": list(self.kinds),
            "after": self.after,
            "due": self.due.isoformat() if self.due else None,
            "message": self.message,
        }
        if self.role_act:
            out["role_act"] = True
        return out


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


def av_subjects(
    case: Case, *, at: datetime, pack: RulePack | None = None
) -> tuple[tuple[str, str], ...]:
    """The (rule, record) pairs an audio-video rule (check ``av``) applies to as of ``at``: the
    acts that require an audio-video record (e.g. 000 art. 11, 002 art. 11). An act is covered
    when the rule finds nothing on it (it has a recording, or an accepted exemption)."""
    as_of = timeutil.require_aware(at)
    pack = pack or load_pack(case.agency)
    ctx = _Context(case, pack, as_of, WorkdayCalendar.default())
    pairs: list[tuple[str, str]] = []
    for rule in pack.rules:
        if not isinstance(rule.check, AvCheck) or not _case_matches(case, rule.case):
            continue
        selected = ctx.matching(rule, rule.kinds, rule.where)
        if rule.scope == "first":
            selected = selected[:1]
        pairs += [(rule.id, r.id) for r in _in_force(case, rule, selected)]
    return tuple(pairs)


# ------------------------------------------------------------------ matching


def _matches(actual: Any, expected: Any) -> bool:
    wanted = expected if isinstance(expected, list) else [expected]
    if isinstance(actual, tuple):  # multiple choice: any chosen value matches
        return any(item in wanted for item in actual)
    return actual in wanted


def _in_force(case: Case, rule: Rule, records: list[Record]) -> list[Record]:
    """The records a rule for 重大 cases judges: those entered once the case was 重大. A case
    marked 重大 by a change of its header (``major_since``, issue #15) is not found lacking in
    the acts made before — a 程序启动审批表 without the 法制机构合法性审查意见 (000 art. 7, 002
    art. 8), a decision without the 法制审核 — since nobody had recognised it as one then; the
    acts after it (a new decision, a corrected form) are judged as a 重大 case's."""
    if rule.case.get("major") is not True or case.major_since is None:
        return records
    since = case.major_since
    return [r for r in records if r.known_at >= since]


def _case_matches(case: Case, spec: Mapping[str, Any]) -> bool:
    for key, expected in spec.items():
        if key == "acts":
            if not _matches(case.acts, expected):
                return False
        elif key == "own_authority":
            if (case.origin in OWN_AUTHORITY_ORIGINS) is not expected:
                return False
        elif not _matches(getattr(case, key), expected):
            return False
    return True


def _field_value(record: Record, name: str, acts: tuple[str, ...] = ()) -> Any:
    """A field's value as the rules read it: stored, or derived (record_kinds.DERIVED_FIELDS)."""
    derived = DERIVED_FIELDS.get((record.kind, name))
    if derived is not None:
        return derived.compute(record.fields, acts)
    return record.value(name)


def _record_matches(
    record: Record, kinds: Sequence[str], where: Mapping[str, Any], acts: tuple[str, ...] = ()
) -> bool:
    if ANY_KIND not in kinds and record.kind not in kinds:
        return False
    return all(
        _matches(_field_value(record, name, acts), expected) for name, expected in where.items()
    )


def _value_label(choices: Mapping[str, str], value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return choices.get(str(value), str(value))


def _field_label(kind: str, name: str) -> tuple[str, Mapping[str, str]]:
    """A field's Chinese label and choices; a derived field's label."""
    derived = DERIVED_FIELDS.get((kind, name))
    if derived is not None:
        return derived.label, {}
    spec = RECORD_KINDS[kind].field(name)
    return spec.label, spec.choices


def _conditions(kind: str, where: Mapping[str, Any]) -> str:
    """「是否批准：是；文书种类：催告书」: the field values a match must have, in Chinese."""
    conditions = []
    for name, expected in where.items():
        label, choices = _field_label(kind, name)
        wanted = expected if isinstance(expected, list) else [expected]
        conditions.append(f"{label}：{'或'.join(_value_label(choices, v) for v in wanted)}")
    return "；".join(conditions)


def _kind_labels(kinds: Iterable[str], where: Mapping[str, Any] | None = None) -> str:
    """「送达」（文书种类：催告书）: the kinds, and the field values a match must have."""
    kinds = list(kinds)
    text = "、".join(f"「{RECORD_KINDS[k].label}」" for k in kinds)
    conditions = _conditions(kinds[0], where or {})
    return text + (f"（{conditions}）" if conditions else "")


def _with_document_kind(record: Record, case: Case) -> Record:
    """A service that names the record it served but not its kind is judged as serving that
    kind (the reader refuses a stated kind that differs)."""
    if record.kind != "service" or record.has_value("document_kind"):
        return record
    served = case.record(str(record.value("document") or ""))
    if served is None:
        return record
    kind = DOCUMENT_KIND_OF_RECORD.get(served.kind, "other")
    return replace(record, fields={**record.fields, "document_kind": kind})


class _Context:
    def __init__(
        self, case: Case, pack: RulePack, as_of: datetime, calendar: WorkdayCalendar
    ) -> None:
        self.case = case
        self.pack = pack
        self.as_of = as_of
        self.calendar = calendar
        self.records = [_with_document_kind(r, case) for r in case.effective_records(as_of)]
        self.findings: list[Finding] = []
        self.required: list[RequiredAct] = []
        self._order = {r.id: i for i, r in enumerate(self.records)}
        # The records of each kind, in order: a rule reads the records of its kinds, not every
        # record of the case, and what a record must be preceded or followed by is looked up
        # among those once per check (issue #18: a case of 2,000 records is judged in time
        # linear in its size; the findings are the same as the scans over every record gave).
        self._of_kind: dict[str, list[int]] = {}
        for i, r in enumerate(self.records):
            self._of_kind.setdefault(r.kind, []).append(i)
        self._kinds_cache: dict[tuple[str, ...], list[Record]] = {}
        self._matching_cache: dict[int, list[Record]] = {}
        closures = [r for r in self.records if r.kind == "closure"]
        self.closed_at = closures[0].at if closures else None

    def matches(self, record: Record, kinds: Sequence[str], where: Mapping[str, Any]) -> bool:
        return _record_matches(record, kinds, where, self.case.acts)

    def of_kinds(self, kinds: Sequence[str]) -> list[Record]:
        """The records whose kind is one of ``kinds`` (all for ANY_KIND), in order."""
        key = tuple(kinds)
        found = self._kinds_cache.get(key)
        if found is None:
            if ANY_KIND in key:
                found = self.records
            else:
                positions = sorted(i for k in set(key) for i in self._of_kind.get(k, ()))
                found = [self.records[i] for i in positions]
            self._kinds_cache[key] = found
        return found

    def matching(
        self, spec: object, kinds: Sequence[str], where: Mapping[str, Any]
    ) -> list[Record]:
        """The records matching ``kinds`` and ``where``, in order; remembered per ``spec``
        (the rule or check they belong to, alive for the whole evaluation)."""
        found = self._matching_cache.get(id(spec))
        if found is None:
            found = [r for r in self.of_kinds(kinds) if self.matches(r, kinds, where)]
            self._matching_cache[id(spec)] = found
        return found

    def record_order(self, record_id: str | None) -> int:
        return -1 if record_id is None else self._order.get(record_id, len(self._order))

    def find(
        self,
        rule: Rule,
        message: str,
        record: Record | None,
        severity: Severity | None = None,
        *,
        missed_due: datetime | None = None,
    ) -> None:
        self.findings.append(
            Finding(
                rule=rule.id,
                regulation=rule.citation.regulation,
                article=rule.citation.article,
                severity=severity or rule.severity,
                record=record.id if record else None,
                message=(
                    f"{message}（本办法第{rule.citation.article}条只规定相关记录，未规定该义务；"
                    f"该义务出自{rule.duty_source}）"
                    if rule.duty_source
                    else message
                ),
                title=rule.title,
                quote=rule.citation.quote,
                duty_source=rule.duty_source,
                missed_due=missed_due,
            )
        )

    def require(
        self,
        rule: Rule,
        kinds: tuple[str, ...],
        after: Record | None,
        due: datetime | None,
        message: str,
        *,
        role_act: bool = False,
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
                role_act=role_act,
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

        When the calendar lacks a year, the plain count of as many *calendar* days is the
        earliest the deadline can be (N working days never end sooner, and the pack's holiday
        extension only moves a calendar-day deadline later). An act done by then was certainly
        in time; an act not yet done is due by then at the latest (the safe side: shown with
        that date, never overdue before it). Only past it can the calendar not tell.
        """
        try:
            return due_at(
                anchor, period, self.calendar, holiday_extension=self.pack.holiday_extension
            )
        except CalendarUnknownError as exc:
            # hours never raise: the unit is DAYS or WORKING_DAYS
            plain = Period(period.amount, PeriodUnit.DAYS)
            floor = due_at(anchor, plain, self.calendar, holiday_extension=False)
            if (done_at if done_at is not None else self.as_of) <= floor:
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
        selected = self.matching(rule, rule.kinds, rule.where)
        if rule.scope == "first":
            selected = selected[:1]
        for record in _in_force(self.case, rule, selected):
            self.check_record(rule, record)

    def check_record(self, rule: Rule, record: Record) -> None:
        check = rule.check
        label = f"{RECORD_KINDS[record.kind].label}（记录 {record.id}）"
        if isinstance(check, FieldsCheck):
            missing = [f for f in check.fields if not record.has_value(f)]
            kind = RECORD_KINDS[record.kind]
            names = "、".join(f"「{kind.field(f).label}」" for f in missing)
            incomplete = len(missing) == len(check.fields) if check.any else bool(missing)
            if not incomplete:
                return
            what = f"以下任一项：{names}" if check.any else names
            awaited = self.awaited(record)
            if not check.any and self.closed_at is None and set(missing) <= set(awaited):
                # Another role's part of the record, not made yet (000 art. 37 …: 审核、批准):
                # pending in that role's 待办 while the case is open, a failure once it closes.
                roles = "、".join(dict.fromkeys(awaited[f] for f in missing))
                self.require(
                    rule,
                    (record.kind,),
                    record,
                    None,
                    f"{label}待{roles}办理：{names}",
                    role_act=True,
                )
            elif check.by_closure and self.closed_at is None:
                # May still come, by a correction of the record, until the act ends.
                self.require(rule, (record.kind,), record, None, f"{rule.title}（{label}）")
            elif check.by_closure:
                self.find(rule, f"{label}至执法行为终结仍未载明{what}", record)
            else:
                self.find(rule, f"{label}未载明{what}", record)
        elif isinstance(check, IncludesCheck):
            chosen = record.value(check.field)
            have = set(chosen) if isinstance(chosen, tuple) else set()
            lacking = [v for v in check.values if v not in have]
            if lacking:
                spec = RECORD_KINDS[record.kind].field(check.field)
                names = "、".join(spec.choices[v] for v in lacking)
                self.find(rule, f"{label}的「{spec.label}」未包括：{names}", record)
        elif isinstance(check, ValuesCheck):
            value = _field_value(record, check.field, self.case.acts)
            if value not in check.allowed:
                name, choices = _field_label(record.kind, check.field)
                allowed = "、".join(_value_label(choices, v) for v in check.allowed)
                actual = "未填写" if value is None else _value_label(choices, value)
                self.find(rule, f"{label}的「{name}」为{actual}，应为：{allowed}", record)
        elif isinstance(check, SignaturesCheck):
            self.check_signatures(rule, check, record, label)
        elif isinstance(check, AvCheck):
            has_av = any(m.type in check.media_types for m in record.media)
            exemption = record.av_exemption
            exempt = check.exemption_allowed and exemption is not None and exemption.accepted
            if not (has_av or exempt):
                kinds = "、".join(MEDIA_TYPES[t] for t in check.media_types)
                tail = ""
                if check.exemption_allowed and exemption is not None and exemption.reason.strip():
                    tail = "，不进行音像记录未获批准"  # a refused exemption is no exemption
                elif check.exemption_allowed:
                    tail = "，也未记录不适宜音像记录的理由"
                self.find(rule, f"{label}未附音像记录（{kinds}）{tail}", record)
        elif isinstance(check, OfficersCheck):
            self.check_officers(rule, check, record, label)
        elif isinstance(check, PrecededByCheck):
            self.check_preceded_by(rule, check, record, label)
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
        elif isinstance(check, PersonRoleCheck):
            self.check_person_role(rule, check, record, label)
        elif isinstance(check, HearingRightCheck):
            self.check_hearing_right(rule, check, record, label)
        else:  # pragma: no cover - the loader only builds the types above
            raise AssertionError(f"unhandled check {check!r}")

    def awaited(self, record: Record) -> dict[str, str]:
        """The fields of ``record`` that another role's act of it fills, that act not made yet
        and no act after it made either (field → the role's name): the record waits for that
        role (:mod:`lawtrail.core.role_acts`). The kind lists its acts in the order they are
        made (承办机构意见 → 法制审查 → 负责人审批): once a later act is made — the head has
        decided — what is still missing is missing, not awaited."""
        kind = RECORD_KINDS[record.kind]
        out: dict[str, str] = {}
        for act in role_acts.outstanding(record, kind, major=self.case.major):
            for name in act.names:
                out[name] = role_acts.role_label(act.role)
        return out

    # -------------------------------------------------------------- checks

    def check_preceded_by(
        self, rule: Rule, check: PrecededByCheck, record: Record, label: str
    ) -> None:
        # The records are in order of the act's time (effective_records), so those up to this
        # one's time are a prefix of the matching ones: the last of it not this record.
        candidates = self.matching(check, check.kinds, check.where)
        end = bisect_right(candidates, record.at, key=lambda r: r.at)
        before = [r for r in candidates[max(0, end - 2) : end] if r.id != record.id]
        if not before:
            if check.if_any or any(
                r.id != record.id and r.at <= record.at
                for r in self.of_kinds(tuple(check.except_after))
            ):
                return
            wanted = _kind_labels(check.kinds, check.where)
            self.find(rule, f"{label}之前没有{wanted}", record)
            return
        latest = before[-1]  # records are in the order of the acts
        if check.latest_where and not self.matches(latest, check.kinds, check.latest_where):
            states = []
            for name in check.latest_where:
                label_, choices = _field_label(latest.kind, name)
                value = _field_value(latest, name, self.case.acts)
                shown = "未决定" if value is None else _value_label(choices, value)
                states.append(f"{label_}：{shown}")
            self.find(
                rule,
                f"{label}之前最近的「{RECORD_KINDS[latest.kind].label}」（记录 {latest.id}）"
                f"{'；'.join(states)}，应为：{_conditions(latest.kind, check.latest_where)}"
                "——未获批准（不予批准或尚未决定）即行事，等同未经批准",
                record,
            )

    def check_person_role(
        self, rule: Rule, check: PersonRoleCheck, record: Record, label: str
    ) -> None:
        person_id = record.value(check.field)
        if not isinstance(person_id, str) or not person_id:
            return  # a missing person is the fields rule's finding
        person = self.case.person(person_id)
        # The designation is the person's roles. A case file that records no one's roles (one
        # written before roles existed) can only name it in the title, which then counts.
        legacy = not any(p.roles for p in self.case.people)
        designated = person is not None and (
            check.role in person.roles or (legacy and STAFF_ROLES[check.role] in person.title)
        )
        if not designated:
            name = person.name if person else person_id
            field_label = RECORD_KINDS[record.kind].field(check.field).label
            self.find(
                rule,
                f"{label}的「{field_label}」{name}不是本机关指定的{STAFF_ROLES[check.role]}",
                record,
            )

    def intended_penalty(self, record: Record) -> tuple[tuple[str, ...], Any] | None:
        """The penalty intended when `record` was made, as (kinds, amount): stated on the record,
        else on the latest draft or rights notice before it, else named by the wording of the
        decision that followed (its 决定类型 and content, and its amount); None if nothing says.
        """
        stating = [
            r
            for r in self.of_kinds(("decision_draft", "rights_notice"))
            if r.at <= record.at and r.has_value("penalty_kinds")
        ]
        if record.has_value("penalty_kinds"):
            stating.append(record)
        if stating:
            source = stating[-1]
            kinds = source.value("penalty_kinds")
            return (kinds if isinstance(kinds, tuple) else ()), source.value("penalty_amount")
        for decision in (r for r in self.of_kinds(("decision",)) if r.at >= record.at):
            text = f"{decision.value('decision_type') or ''}{decision.value('content') or ''}"
            named: list[str] = []
            for word, kind in PENALTY_WORDS:
                if word in text and kind not in named:
                    text = text.replace(word, "")
                    named.append(kind)
            if named:
                return tuple(named), decision.value("amount")
        return None

    def check_hearing_right(
        self, rule: Rule, check: HearingRightCheck, record: Record, label: str
    ) -> None:
        chosen = record.value(check.field)
        if isinstance(chosen, tuple) and "hearing" in chosen:
            return
        if self.case.procedure == "simplified":
            return  # 当场处罚: a warning or a small fine, never a hearing (行政处罚法 第五十一条)
        intended = self.intended_penalty(record)
        if intended is None:
            self.find(
                rule,
                f"{label}未告知听证权利，且未载明拟作出的行政处罚种类，无法判断是否属于"
                "行政处罚法第六十三条应告知听证的情形，请人工核对",
                record,
                Severity.WARNING,
            )
            return
        kinds, amount = intended
        always = [k for k in kinds if k in HEARING_PENALTIES]
        if always:
            names = "、".join(PENALTY_KINDS[k] for k in always)
            self.find(rule, f"{label}拟作出{names}，依法应告知听证权利，但未告知", record)
            return
        by_amount = [k for k in kinds if k in HEARING_AMOUNT_PENALTIES]
        if not by_amount:
            return  # e.g. a warning: no hearing right to notify
        names = "、".join(PENALTY_KINDS[k] for k in by_amount)
        threshold = self.pack.large_amount
        listed = self.case.listed_parties
        party = listed[0] if listed else None
        is_person = party is not None and party.kind == "person"
        if (
            threshold is None
            and isinstance(amount, Decimal)
            and amount <= (SMALL_FINE_PERSON if is_person else SMALL_FINE_ORGANIZATION)
        ):
            return  # no 较大数额 is ever this small: the law lets it be imposed on the spot
        if threshold is None:
            self.find(
                rule,
                f"{label}拟作出{names}，未告知听证权利；本机关规则包未载明“较大数额”的标准，"
                "无法判断是否应告知听证，请人工核对",
                record,
                Severity.WARNING,
            )
            return
        limit = threshold.person if is_person else threshold.organization
        if not isinstance(amount, Decimal):
            self.find(
                rule,
                f"{label}拟作出{names}但未载明数额，无法判断是否达到“较大数额”"
                f"（{limit}元，{threshold.source}），请人工核对",
                record,
                Severity.WARNING,
            )
        elif amount >= limit:
            who = "自然人" if is_person else "法人或其他组织"
            self.find(
                rule,
                f"{label}拟作出{names}{amount}元，达到对{who}的“较大数额”{limit}元"
                f"（{threshold.source}），依法应告知听证权利，但未告知",
                record,
            )

    def check_signatures(
        self, rule: Rule, check: SignaturesCheck, record: Record, label: str
    ) -> None:
        missing = []
        if check.distinct:
            self.check_distinct_signers(rule, check, record, label)
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

    def check_distinct_signers(
        self, rule: Rule, check: SignaturesCheck, record: Record, label: str
    ) -> None:
        """One person signing for two groups (the server as the witness) signs for one only."""

        def who(signature: Signature) -> str:
            return signature.person or signature.party or signature.name.strip()

        signers = [
            {who(s) for s in record.signatures if s.role in group.roles and who(s)}
            for group in check.groups
        ]
        for i, first in enumerate(signers):
            for j in range(i + 1, len(signers)):
                same = first & signers[j]
                if same:
                    a = "或".join(SIGNATURE_ROLES[r] for r in check.groups[i].roles)
                    b = "或".join(SIGNATURE_ROLES[r] for r in check.groups[j].roles)
                    self.find(
                        rule, f"{label}的{a}与{b}为同一人（{'、'.join(sorted(same))}）", record
                    )

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
            for r in self.matching(check, check.kinds, check.where)
            if r.id != record.id and r.at >= record.at
        ]
        wanted = _kind_labels(check.kinds, check.where)
        done_at = after[0].at if after else None
        anchor, period_text = record.at, check.within.label_zh() if check.within else ""
        due: datetime | None = None
        timed = check.within is not None
        if check.from_field:
            # "按期": the period is the one the record sets (e.g. the rectification deadline);
            # a record that sets none is pending until closure, as without a period.
            timed = False
            moment = record.value(check.from_field)
            spec = RECORD_KINDS[record.kind].field(check.from_field)
            if isinstance(moment, datetime):
                anchor, timed = moment, True
            elif isinstance(moment, date):
                anchor, timed = timeutil.end_of_day(moment), True
            if timed:
                period_text = f"「{spec.label}」{timeutil.format_local(anchor)}" + (
                    f"后{check.within.label_zh()}" if check.within else ""
                )
                due = anchor
        if timed and check.within is not None:
            due = self.due(rule, anchor, check.within, record, done_at)
        if after:
            first = after[0]
            if due is not None and first.at > due:
                self.find(
                    rule,
                    f"{label}后应在{period_text}内"
                    f"（不晚于 {timeutil.format_local(due)}）形成{wanted}，"
                    f"实际于 {timeutil.format_local(first.at)}（记录 {first.id}）",
                    record,
                )
            return
        if timed:
            if due is not None and self.as_of > due:
                self.find(
                    rule,
                    f"{label}后应在{period_text}内"
                    f"（不晚于 {timeutil.format_local(due)}）形成{wanted}，至今未见",
                    record,
                    missed_due=due,
                )
                return
            self.require(
                rule,
                check.kinds,
                record,
                due,
                f"{rule.title}（{label}之后，期限{period_text}）",
            )
            return
        if self.closed_at is not None and record.kind != "closure" and self.closed_at >= record.at:
            self.find(rule, f"{label}之后应有{wanted}，执法行为已终结仍未见", record)
            return
        self.require(rule, check.kinds, record, None, f"{rule.title}（{label}之后）")

    def check_chain(
        self, rule: Rule, check: ApprovalChainCheck, record: Record, label: str
    ) -> None:
        """承办人 → 审核人 → 批准人 (000 art. 37, 002 art. 38 …): each step's person, opinion
        and time, one person per step, in order. A chain still on its way — the steps so far
        complete and in order, the next ones not taken yet — is not a failure while the case is
        open: it is pending (a required act, the inbox's 审核 / 批准 task). What is wrong is a
        step half-recorded, out of order or by the same person, a later step before an earlier
        one, and a chain left unfinished when the case is closed."""
        problems = []
        persons: list[str] = []
        last_time = record.at
        kind = RECORD_KINDS[record.kind]
        untaken: list[str] = []  # the trailing steps nobody has taken yet (their persons)
        for person_field, opinion_field, time_field in check.steps:
            names = [n for n in (person_field, opinion_field, time_field) if n]
            if not any(record.has_value(n) for n in names):
                untaken.append(kind.field(person_field).label)
                continue
            if untaken:  # a step taken after one that was not
                problems.append(f"「{kind.field(person_field).label}」先于「{untaken[0]}」")
                untaken = []
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
        first = check.steps[0][0] if check.steps else ""
        if untaken and (self.closed_at is not None or kind.field(first).label in untaken):
            # closed with the chain unfinished, or not even the first step taken: a failure
            problems += [f"未经{step}" for step in untaken]
        elif untaken:
            self.require(rule, (record.kind,), record, None, f"{label}待{untaken[0]}办理")
        if problems:
            self.find(rule, f"{label}：" + "；".join(problems), record)

    def check_exists(self, rule: Rule, check: ExistsCheck) -> None:
        if self.matching(check, check.kinds, check.where):
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
