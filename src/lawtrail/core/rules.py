"""Rule packs: each agency's regulation turned into data the generic engine evaluates.

One TOML file per agency in ``lawtrail/rulepacks/`` (docs/architecture.md says how to add
one). Every rule names the regulation file, the article and a short quote of it; a pack also
lists, for every article without a rule, why it has no machine-checkable requirement, so that
docs/rule-coverage.md can account for each article of each regulation.

A rule selects records (by kind, field values and case attributes) and applies one *check*.
The checks are a closed, generic set (see :data:`CHECK_TYPES`); nothing here knows any agency.
Loading validates a pack completely — unknown keys, kinds, fields or check types fail loudly,
with the file and the rule named — so a typo in a pack can never silently disable a rule.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from lawtrail.core.case_numbers import CaseNumberPattern, PatternError
from lawtrail.core.deadlines import Period
from lawtrail.core.record_kinds import (
    ACTS,
    DERIVED_FIELDS,
    MEDIA_LABELS,
    MEDIA_TYPES,
    ORIGINS,
    PROCEDURES,
    RECORD_KINDS,
    SIGNATURE_ROLES,
    STAFF_ROLES,
    FieldType,
)
from lawtrail.core.secrecy import CopyTerms, SecrecyError, parse_copy_terms


class PackError(ValueError):
    """A rule pack that cannot be used as written."""


class Severity(StrEnum):
    VIOLATION = "violation"  # the regulation is not met
    WARNING = "warning"  # needs a person's look: cannot be decided, or outside the pack's scope


SEVERITY_LABELS = {Severity.VIOLATION: "违规", Severity.WARNING: "提示"}


@dataclass(frozen=True)
class Citation:
    regulation: str  # file name in rulepacks/regulations, e.g. "002_414a546ea0455888.txt"
    article: int
    quote: str


# ----------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class FieldsCheck:
    """The record states every one of `fields` (or at least one, with ``any = true``).

    ``by_closure``: the items may come later (by a correction of the record, e.g. a court's
    enforcement result); they are pending until the act ends (closure) and missing after it.
    """

    fields: tuple[str, ...]
    any: bool = False
    by_closure: bool = False


@dataclass(frozen=True)
class IncludesCheck:
    """A multiple-choice field includes every one of `values` (e.g. the rights notified)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ValuesCheck:
    """A field holds one of `allowed` (mail service only by registered letter or EMS …)."""

    field: str
    allowed: tuple[Any, ...]


@dataclass(frozen=True)
class SignatureGroup:
    roles: tuple[str, ...]  # any one of these roles satisfies the group
    refusal_allowed: bool = True  # a recorded refusal to sign by such a role also satisfies it


@dataclass(frozen=True)
class SignaturesCheck:
    groups: tuple[SignatureGroup, ...]
    # The groups must be signed by different people (a lodging service's witness is not its
    # server): a witness who is also the server witnesses nothing.
    distinct: bool = False


@dataclass(frozen=True)
class AvCheck:
    """Audio/video attached, or a recorded reason why recording was unsuitable."""

    media_types: tuple[str, ...] = tuple(MEDIA_TYPES)
    exemption_allowed: bool = True


@dataclass(frozen=True)
class OfficersCheck:
    """Officers named with certificate numbers, and whether each showed the certificate."""

    min_count: int = 1


@dataclass(frozen=True)
class PrecededByCheck:
    """Another act (of `kinds`, matching `where`) happened no later than this record.

    ``latest_where``: for approvals — the *latest* such act before this record must match it
    (e.g. ``{ approved = true }``): acting after a refused or undecided approval is acting
    without one, even when an earlier approval exists. A refusal is not an approval.
    ``except_after``: the requirement does not apply while none of the `kinds` exists yet but an
    act of these kinds came first (the emergency start, whose approval follows within the
    regulation's period); once one exists, `latest_where` still applies.
    """

    kinds: tuple[str, ...]
    where: Mapping[str, Any] = field(default_factory=dict)
    latest_where: Mapping[str, Any] = field(default_factory=dict)
    except_after: tuple[str, ...] = ()
    # Only once one exists: no finding while none of `kinds` precedes; then latest_where
    # applies (e.g. acts after a refused 立案 where acts before 立案 are lawful).
    if_any: bool = False


@dataclass(frozen=True)
class FollowedByCheck:
    """Another act must follow this record; within `within` when the regulation sets a period.

    Without a period the act is pending until the case is closed, and missing after closure.
    """

    kinds: tuple[str, ...]
    where: Mapping[str, Any] = field(default_factory=dict)
    within: Period | None = None
    # The period runs from a date the record states (e.g. the rectification deadline, "按期
    # 核查") instead of the record's time: due at the end of that day, plus `within` if given.
    from_field: str = ""


@dataclass(frozen=True)
class MediaIngestCheck:
    """Every attached file reached the information system within `within` of capture."""

    within: Period


@dataclass(frozen=True)
class MediaLabelsCheck:
    labels: tuple[str, ...]


@dataclass(frozen=True)
class ApprovalChainCheck:
    """承办人 → 审核人 → 批准人: each step names a person and an opinion, in time order."""

    steps: tuple[tuple[str, str, str], ...]  # (person field, opinion field, time field or "")


@dataclass(frozen=True)
class ExistsCheck:
    """Case-level: an act of `kinds` must be recorded (pending until closure)."""

    kinds: tuple[str, ...]
    where: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActsCoveredCheck:
    """Case-level: the case's acts are ones the regulation covers (art. 2)."""


@dataclass(frozen=True)
class PersonRoleCheck:
    """A person field names someone the agency designated for `role` (record_kinds.STAFF_ROLES),
    e.g. the archivist who is "明确专门人员" (000 art. 32)."""

    field: str
    role: str


@dataclass(frozen=True)
class HearingRightCheck:
    """The rights notified include 听证 when the intended penalty carries a hearing right
    (行政处罚法 2021 第六十三条): always for the penalties of record_kinds.HEARING_PENALTIES,
    for fines and confiscations from the pack's 较大数额 (:class:`LargeAmount`); never in
    simplified procedure. Where the pack does not know the threshold, a warning, not a guess."""

    field: str  # the CHOICES field of rights notified


Check = (
    FieldsCheck
    | IncludesCheck
    | ValuesCheck
    | SignaturesCheck
    | AvCheck
    | OfficersCheck
    | PrecededByCheck
    | FollowedByCheck
    | MediaIngestCheck
    | MediaLabelsCheck
    | ApprovalChainCheck
    | ExistsCheck
    | ActsCoveredCheck
    | PersonRoleCheck
    | HearingRightCheck
)

CHECK_TYPES = (
    "fields",
    "includes",
    "values",
    "signatures",
    "av",
    "officers",
    "preceded_by",
    "followed_by",
    "media_ingest",
    "media_labels",
    "approval_chain",
    "exists",
    "acts_covered",
    "person_role",
    "hearing_right",
)
# own_authority: the case was started by the agency on its own authority, whatever brought the
# matter to its notice (record_kinds.OWN_AUTHORITY_ORIGINS) — one definition for every pack.
CASE_FILTER_KEYS = ("procedure", "origin", "major", "acts", "own_authority")
ANY_KIND = "*"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str  # the requirement, in Chinese, as a reader of the report needs it
    severity: Severity
    citation: Citation
    check: Check
    kinds: tuple[str, ...] = ()  # records the rule applies to; () = the case as a whole
    where: Mapping[str, Any] = field(default_factory=dict)  # field filter on those records
    case: Mapping[str, Any] = field(default_factory=dict)  # filter on the case
    scope: str = "each"  # "each" matching record, or only the "first"
    note: str = ""  # why the rule reads the article this way, where that is not obvious
    # How the duty is read where the article does not state it in so many words (a reading of
    # the text, e.g. "按期" as a due date); empty when the quote states the duty itself.
    inferred: str = ""
    # The law or policy the duty comes from when it is not the cited article's at all (e.g.
    # 国办发〔2018〕118号 for 法制审核 before a 重大执法决定): such a rule can only warn, and
    # its findings name that source.
    duty_source: str = ""

    @property
    def explicit(self) -> bool:
        return not (self.inferred or self.duty_source)


@dataclass(frozen=True)
class LargeAmount:
    """较大数额 for the hearing right (行政处罚法 第六十三条): yuan from which a fine or a
    confiscation carries a hearing, for a natural person and for an organisation, and where
    the threshold comes from (it is set by the department's or the province's rules)."""

    person: Decimal
    organization: Decimal
    source: str


@dataclass(frozen=True)
class DocumentSettings:
    """What an agency's 文书 print that no record states (the pack's ``[documents]`` table).

    行政处罚法 (2021) 第五十九条 makes the decision name where and by when to pay and the
    复议机关 and court; 第六十七条 and 《罚款决定与罚款收缴分离实施办法》 第六条 name the body that
    collects fines. These are the agency's, not the case's: one place per agency, read by the
    documents (lawtrail.documents.context).
    """

    self_name: str = "本机关"  # how the agency names itself in its documents: 本局, 本委, 本办
    reconsideration_body: str = ""  # 行政复议机关 (行政复议法 2023 第二十四条、第二十七条)
    court: str = ""  # 人民法院 of first instance (行政诉讼法 第十四条、第十八条)
    payment_bank: str = ""  # 代收罚款的银行 (or the channel, e.g. 非税收入电子缴款系统)
    payment_account_name: str = ""
    payment_account: str = ""
    # 文号 of the documents an agency issues, by record kind: a case-number pattern
    # (lawtrail.core.case_numbers) filled with the year and sequence number of the case number,
    # e.g. 通市监罚告〔{year}〕{n}号 for the 行政处罚告知书 of case 通市监罚〔2026〕12号.
    number_patterns: Mapping[str, CaseNumberPattern] = field(default_factory=dict)
    # The record kinds only this agency's procedure has (its own forms): 统计执法检查查询书 …
    own_forms: tuple[str, ...] = ()


DOCUMENT_KEYS = (
    "self_name",
    "reconsideration_body",
    "court",
    "payment_bank",
    "payment_account_name",
    "payment_account",
    "number_patterns",
    "own_forms",
)


@dataclass(frozen=True)
class NoRule:
    articles: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class RulePack:
    agency: str
    name: str
    regulation: str
    acts_covered: tuple[str, ...]
    rules: tuple[Rule, ...]
    no_rules: tuple[NoRule, ...] = ()
    source: str = ""
    large_amount: LargeAmount | None = None
    # [agency] extend_over_holidays: a calendar-day period ending on a rest day ends on the
    # next working day (民法典 第二百零三条); see lawtrail.core.deadlines.
    holiday_extension: bool = True
    # [copy_request]: the periods for answering a party's 查阅/复制 request (issue #16), where
    # the regulation applies a law that sets them; None: no period (the pack invents none).
    copy_terms: CopyTerms | None = None
    documents: DocumentSettings = field(default_factory=DocumentSettings)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# ----------------------------------------------------------------------------- loading


def _packs_dir() -> Any:
    return resources.files("lawtrail.rulepacks")


@cache
def agency_ids() -> tuple[str, ...]:
    names = sorted(
        entry.name.removesuffix(".toml")
        for entry in _packs_dir().iterdir()
        if entry.name.endswith(".toml")
    )
    return tuple(names)


@cache
def load_pack(agency: str) -> RulePack:
    if agency not in agency_ids():
        raise PackError(f"未知的执法机关 {agency!r}；已有规则包：{', '.join(agency_ids())}")
    entry = _packs_dir() / f"{agency}.toml"
    return parse_pack(entry.read_text(encoding="utf-8"), source=f"rulepacks/{agency}.toml")


def all_packs() -> tuple[RulePack, ...]:
    return tuple(load_pack(agency) for agency in agency_ids())


def parse_pack(text: str, source: str = "<pack>") -> RulePack:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{source}: TOML 语法错误：{exc}") from exc
    _keys(data, ("agency", "rule", "no_rule", "copy_request", "documents"), source)
    agency = data.get("agency")
    if not isinstance(agency, dict):
        raise PackError(f"{source}: 缺少 [agency] 表")
    _keys(
        agency,
        ("id", "name", "regulation", "acts_covered", "extend_over_holidays", "large_amount"),
        f"{source} [agency]",
    )
    holiday_extension = agency.get("extend_over_holidays", True)
    if not isinstance(holiday_extension, bool):
        raise PackError(
            f"{source} [agency]: extend_over_holidays 应为 true/false，收到 {holiday_extension!r}"
        )
    acts = tuple(_list(agency, "acts_covered", f"{source} [agency]"))
    for act in acts:
        if act not in ACTS:
            raise PackError(f"{source} [agency]: 未知的行政执法行为 {act!r}")
    regulation = _str(agency, "regulation", f"{source} [agency]")
    rules = tuple(
        _parse_rule(raw, f"{source} rule #{i + 1}", regulation)
        for i, raw in enumerate(data.get("rule", []))
    )
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise PackError(f"{source}: 规则标识重复 {rule.id!r}")
        seen.add(rule.id)
    pack = RulePack(
        agency=_str(agency, "id", f"{source} [agency]"),
        name=_str(agency, "name", f"{source} [agency]"),
        regulation=regulation,
        acts_covered=acts,
        rules=rules,
        no_rules=tuple(
            _parse_no_rule(raw, f"{source} no_rule #{i + 1}")
            for i, raw in enumerate(data.get("no_rule", []))
        ),
        source=source,
        holiday_extension=holiday_extension,
        large_amount=_large_amount(agency.get("large_amount"), f"{source} [agency] large_amount"),
        copy_terms=_copy_terms(data.get("copy_request"), f"{source} [copy_request]"),
        documents=_documents(data.get("documents", {}), f"{source} [documents]"),
    )
    return pack


def _copy_terms(raw: Any, where: str) -> CopyTerms | None:
    """The periods for answering a party's 查阅/复制 request, where the agency's regulation
    applies a law that sets them (003 art. 26 → 政府信息公开条例 第三十三条)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise PackError(f"{where}: 应为表")
    try:
        return parse_copy_terms(raw, where)
    except SecrecyError as exc:
        raise PackError(str(exc)) from exc


def _documents(raw: Any, where: str) -> DocumentSettings:
    if not isinstance(raw, dict):
        raise PackError(f"{where}: 应为表")
    _keys(raw, DOCUMENT_KEYS, where)
    texts: dict[str, str] = {}
    for key in DOCUMENT_KEYS[:6]:
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise PackError(f"{where}: {key} 应为字符串")
        texts[key] = value.strip()
    raw_patterns = raw.get("number_patterns", {})
    if not isinstance(raw_patterns, dict):
        raise PackError(f"{where}: number_patterns 应为“记录类型 = 文号格式”的表")
    patterns: dict[str, CaseNumberPattern] = {}
    for kind, text in raw_patterns.items():
        if kind not in RECORD_KINDS:
            raise PackError(f"{where}: number_patterns 中未知的记录类型 {kind!r}")
        try:
            patterns[kind] = CaseNumberPattern(str(text))
        except PatternError as exc:
            raise PackError(f"{where}: number_patterns.{kind}：{exc}") from None
    forms = tuple(_list(raw, "own_forms", where, required=False))
    for kind in forms:
        if kind not in RECORD_KINDS:
            raise PackError(f"{where}: own_forms 中未知的记录类型 {kind!r}")
    return DocumentSettings(
        self_name=texts["self_name"] or "本机关",
        reconsideration_body=texts["reconsideration_body"],
        court=texts["court"],
        payment_bank=texts["payment_bank"],
        payment_account_name=texts["payment_account_name"],
        payment_account=texts["payment_account"],
        number_patterns=patterns,
        own_forms=forms,
    )


_RULE_KEYS = (
    "inferred",
    "duty_source",
    "id",
    "title",
    "severity",
    "article",
    "quote",
    "kinds",
    "where",
    "case",
    "scope",
    "check",
    "note",
)


def _parse_rule(raw: Any, where: str, regulation: str) -> Rule:
    if not isinstance(raw, dict):
        raise PackError(f"{where}: 应为表")
    _keys(raw, _RULE_KEYS, where)
    rule_id = _str(raw, "id", where)
    where = f"{where} ({rule_id})"
    kinds = tuple(_list(raw, "kinds", where, required=False))
    for kind in kinds:
        if kind != ANY_KIND and kind not in RECORD_KINDS:
            raise PackError(f"{where}: 未知的记录类型 {kind!r}")
    record_where = raw.get("where", {})
    _check_where(record_where, kinds, where)
    case_filter = raw.get("case", {})
    if not isinstance(case_filter, dict):
        raise PackError(f"{where}: case 应为表")
    _keys(case_filter, CASE_FILTER_KEYS, f"{where} case")
    _check_case_filter(case_filter, where)
    severity_text = raw.get("severity", "violation")
    try:
        severity = Severity(severity_text)
    except ValueError:
        raise PackError(f"{where}: 未知的严重程度 {severity_text!r}") from None
    article = raw.get("article")
    if not isinstance(article, int) or article < 1:
        raise PackError(f"{where}: article 应为正整数（条号）")
    scope = raw.get("scope", "each")
    if scope not in ("each", "first"):
        raise PackError(f"{where}: scope 只能是 each 或 first")
    check = _parse_check(raw.get("check"), kinds, where)
    duty_source = str(raw.get("duty_source", ""))
    if duty_source and severity is not Severity.WARNING:
        # The agency's article does not impose this duty: citing it as violated would say the
        # article says what it does not (a finding the text does not support).
        raise PackError(f"{where}: 义务来源于其他法律或政策（duty_source）的规则只能是 warning")
    is_case_level = isinstance(check, ExistsCheck | ActsCoveredCheck)
    if is_case_level and kinds:
        raise PackError(f"{where}: 案件级检查不应指定 kinds")
    if not is_case_level and not kinds:
        raise PackError(f"{where}: 记录级检查须指定 kinds")
    return Rule(
        id=rule_id,
        title=_str(raw, "title", where),
        severity=severity,
        citation=Citation(
            regulation=regulation,
            article=article,
            quote=_str(raw, "quote", where),
        ),
        check=check,
        kinds=kinds,
        where=dict(record_where),
        case=dict(case_filter),
        scope=scope,
        note=str(raw.get("note", "")),
        inferred=str(raw.get("inferred", "")),
        duty_source=duty_source,
    )


def _large_amount(raw: Any, where: str) -> LargeAmount | None:
    if raw is None:
        return None
    _keys(raw, ("person", "organization", "source"), where)
    amounts = []
    for key in ("person", "organization"):
        text = raw.get(key)
        try:
            amount = Decimal(text) if isinstance(text, str) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount <= 0:
            raise PackError(f'{where}: {key} 应为正的金额字符串（元），如 "10000"')
        amounts.append(amount)
    return LargeAmount(amounts[0], amounts[1], _str(raw, "source", where))


def _parse_no_rule(raw: Any, where: str) -> NoRule:
    if not isinstance(raw, dict):
        raise PackError(f"{where}: 应为表")
    _keys(raw, ("articles", "reason"), where)
    articles = tuple(_list(raw, "articles", where))
    if not all(isinstance(a, int) and a > 0 for a in articles):
        raise PackError(f"{where}: articles 应为正整数列表")
    return NoRule(articles, _str(raw, "reason", where))


def _parse_check(raw: Any, kinds: tuple[str, ...], where: str) -> Check:
    if not isinstance(raw, dict):
        raise PackError(f"{where}: 缺少 check 表")
    ctype = raw.get("type")
    if ctype not in CHECK_TYPES:
        raise PackError(f"{where}: 未知的检查类型 {ctype!r}；可选：{', '.join(CHECK_TYPES)}")
    w = f"{where} check"

    def fields_of(names: list[Any]) -> tuple[str, ...]:
        for name in names:
            _require_field(kinds, name, w)
        return tuple(names)

    if ctype == "fields":
        _keys(raw, ("type", "fields", "any", "by_closure"), w)
        return FieldsCheck(
            fields_of(_list(raw, "fields", w)),
            _bool(raw, "any", w),
            _bool(raw, "by_closure", w),
        )
    if ctype == "includes":
        _keys(raw, ("type", "field", "values"), w)
        name = _str(raw, "field", w)
        _require_field(kinds, name, w, FieldType.CHOICES)
        values = tuple(_list(raw, "values", w))
        for kind in kinds:
            choices = RECORD_KINDS[kind].field(name).choices
            for value in values:
                if value not in choices:
                    raise PackError(f"{w}: 字段 {name} 没有取值 {value!r}")
        return IncludesCheck(name, values)
    if ctype == "values":
        _keys(raw, ("type", "field", "allowed"), w)
        name = _str(raw, "field", w)
        allowed = _list(raw, "allowed", w)
        _check_where({name: allowed}, kinds, w)
        return ValuesCheck(name, tuple(allowed))
    if ctype == "signatures":
        _keys(raw, ("type", "groups", "distinct"), w)
        groups = []
        for g in _list(raw, "groups", w):
            _keys(g, ("roles", "refusal_allowed"), w)
            roles = tuple(_list(g, "roles", w))
            for role in roles:
                if role not in SIGNATURE_ROLES:
                    raise PackError(f"{w}: 未知的签名角色 {role!r}")
            groups.append(SignatureGroup(roles, bool(g.get("refusal_allowed", True))))
        return SignaturesCheck(tuple(groups), _bool(raw, "distinct", w))
    if ctype == "av":
        _keys(raw, ("type", "media_types", "exemption_allowed"), w)
        types = tuple(raw.get("media_types", tuple(MEDIA_TYPES)))
        for t in types:
            if t not in MEDIA_TYPES:
                raise PackError(f"{w}: 未知的音像类型 {t!r}")
        return AvCheck(types, bool(raw.get("exemption_allowed", True)))
    if ctype == "officers":
        _keys(raw, ("type", "min_count"), w)
        for kind in kinds:
            if kind != ANY_KIND and not RECORD_KINDS[kind].has_officers:
                raise PackError(f"{w}: {kind} 不记录执法人员")
        return OfficersCheck(int(raw.get("min_count", 1)))
    if ctype in ("preceded_by", "followed_by", "exists"):
        extra: tuple[str, ...] = {
            "followed_by": ("within", "from_field"),
            "preceded_by": ("latest_where", "except_after", "if_any"),
        }.get(ctype, ())
        _keys(raw, ("type", "kinds", "where", *extra), w)
        targets = tuple(_list(raw, "kinds", w))
        for kind in targets:
            if kind not in RECORD_KINDS:
                raise PackError(f"{w}: 未知的记录类型 {kind!r}")
        target_where = raw.get("where", {})
        _check_where(target_where, targets, w)
        if ctype == "preceded_by":
            latest_where = raw.get("latest_where", {})
            _check_where(latest_where, targets, f"{w} latest_where")
            except_after = tuple(_list(raw, "except_after", w, required=False))
            for kind in except_after:
                if kind not in RECORD_KINDS:
                    raise PackError(f"{w}: 未知的记录类型 {kind!r}")
            if_any = _bool(raw, "if_any", w)
            if if_any and not latest_where:
                raise PackError(f"{w}: if_any 须与 latest_where 同用")
            return PrecededByCheck(
                targets, dict(target_where), dict(latest_where), except_after, if_any
            )
        if ctype == "exists":
            return ExistsCheck(targets, dict(target_where))
        within = _period(raw["within"], w) if "within" in raw else None
        from_field = str(raw.get("from_field", ""))
        if from_field:
            _require_field(kinds, from_field, w)
            for kind in kinds:
                if RECORD_KINDS[kind].field(from_field).type not in (
                    FieldType.DATE,
                    FieldType.DATETIME,
                ):
                    raise PackError(f"{w}: from_field {kind}.{from_field} 应为日期或时间字段")
        return FollowedByCheck(targets, dict(target_where), within, from_field)
    if ctype == "media_ingest":
        _keys(raw, ("type", "within"), w)
        return MediaIngestCheck(_period(raw.get("within"), w))
    if ctype == "media_labels":
        _keys(raw, ("type", "labels"), w)
        labels = tuple(_list(raw, "labels", w))
        for label in labels:
            if label not in MEDIA_LABELS:
                raise PackError(f"{w}: 未知的标注 {label!r}")
        return MediaLabelsCheck(labels)
    if ctype == "approval_chain":
        _keys(raw, ("type", "steps"), w)
        steps = []
        for step in _list(raw, "steps", w):
            if not (isinstance(step, list) and len(step) == 3):
                raise PackError(f"{w}: 每一步应为 [人员字段, 意见字段, 时间字段或空串]")
            for name in step:
                if name:
                    _require_field(kinds, name, w)
            steps.append((str(step[0]), str(step[1]), str(step[2])))
        return ApprovalChainCheck(tuple(steps))
    if ctype == "person_role":
        _keys(raw, ("type", "field", "role"), w)
        name = _str(raw, "field", w)
        _require_field(kinds, name, w, FieldType.PERSON)
        role = _str(raw, "role", w)
        if role not in STAFF_ROLES:
            raise PackError(f"{w}: 未知的人员角色 {role!r}；可选：{', '.join(STAFF_ROLES)}")
        return PersonRoleCheck(name, role)
    if ctype == "hearing_right":
        _keys(raw, ("type", "field"), w)
        name = _str(raw, "field", w)
        _require_field(kinds, name, w, FieldType.CHOICES)
        for kind in kinds:
            spec = RECORD_KINDS[kind]
            if "hearing" not in spec.field(name).choices:
                raise PackError(f"{w}: 字段 {kind}.{name} 没有“听证”取值")
            for needed in ("penalty_kinds", "penalty_amount"):
                if not spec.has_field(needed):
                    raise PackError(f"{w}: {kind} 不记录拟作出的处罚（{needed}）")
        return HearingRightCheck(name)
    _keys(raw, ("type",), w)
    return ActsCoveredCheck()


def _period(value: Any, where: str) -> Period:
    if not isinstance(value, str):
        raise PackError(f'{where}: within 应为期限字符串，如 "24h"、"30d"、"2wd"')
    try:
        return Period.parse(value)
    except ValueError as exc:
        raise PackError(f"{where}: within 无效：{exc}") from None


def _require_field(
    kinds: tuple[str, ...],
    name: Any,
    where: str,
    ftype: FieldType | None = None,
    *,
    derived_ok: bool = False,
) -> None:
    """`name` is a field of every kind (of type `ftype`); a derived field only where it is
    compared with values (where, latest_where, values), since it is never "filled in"."""
    if not isinstance(name, str):
        raise PackError(f"{where}: 字段名应为字符串")
    for kind in kinds:
        if kind == ANY_KIND:
            raise PackError(f"{where}: kinds = ['*'] 的规则不能检查字段")
        spec = RECORD_KINDS[kind]
        if (kind, name) in DERIVED_FIELDS:
            if not derived_ok:
                raise PackError(f"{where}: {kind}.{name} 是推导出的是非值，只能与 true/false 比较")
            continue
        if not spec.has_field(name):
            raise PackError(f"{where}: 记录类型 {kind} 没有字段 {name!r}")
        if ftype is not None and spec.field(name).type is not ftype:
            raise PackError(f"{where}: 字段 {kind}.{name} 的类型不是 {ftype}")


def _check_where(value: Any, kinds: tuple[str, ...], where: str) -> None:
    if not isinstance(value, dict):
        raise PackError(f"{where}: where 应为表")
    for name, expected in value.items():
        _require_field(kinds, name, f"{where} where", derived_ok=True)
        for kind in kinds:
            if (kind, name) in DERIVED_FIELDS:
                for item in expected if isinstance(expected, list) else [expected]:
                    if not isinstance(item, bool):
                        raise PackError(f"{where} where: {kind}.{name} 应与 true/false 比较")
                continue
            spec = RECORD_KINDS[kind].field(name)
            wanted = expected if isinstance(expected, list) else [expected]
            for item in wanted:
                if spec.choices and item not in spec.choices:
                    raise PackError(f"{where} where: 字段 {kind}.{name} 没有取值 {item!r}")
                if spec.type is FieldType.BOOL and not isinstance(item, bool):
                    raise PackError(f"{where} where: 字段 {kind}.{name} 应与 true/false 比较")


def _check_case_filter(value: Mapping[str, Any], where: str) -> None:
    vocab: Mapping[str, Any] = {"procedure": PROCEDURES, "origin": ORIGINS, "acts": ACTS}
    for key, expected in value.items():
        if key in ("major", "own_authority"):
            if not isinstance(expected, bool):
                raise PackError(f"{where} case: {key} 应为 true/false")
            continue
        for item in expected if isinstance(expected, list) else [expected]:
            if item not in vocab[key]:
                raise PackError(f"{where} case: {key} 没有取值 {item!r}")


def _keys(data: Any, allowed: tuple[str, ...], where: str) -> None:
    if not isinstance(data, dict):
        raise PackError(f"{where}: 应为表")
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise PackError(f"{where}: 未知的键 {', '.join(unknown)}")


def _bool(data: Mapping[str, Any], key: str, where: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise PackError(f"{where}: {key} 应为 true 或 false")
    return value


def _str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PackError(f"{where}: 缺少 {key}（非空字符串）")
    return value


def _list(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> list[Any]:
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise PackError(f"{where}: {key} 应为非空列表")
    return value
