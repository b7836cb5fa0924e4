"""案卷评查 (case file review, issue #14 item 2): the scoring sheet of each agency as data, the
random sampling of closed cases, and the score of one case. Pure: no I/O beyond reading the
packaged sheets, no framework.

**The sheets** are ``data/review_sheets/<agency>.toml``, one per agency (its rule pack's id). A
sheet has the usual seven headings (主体合法、事实清楚、证据确凿、程序合法、适用依据正确、文书规范、
归档完整) with items worth 100 points in all, veto items (一票否决) and the grade thresholds. The
regulations ask for the recording system to be counted in the annual 评议考核 (000 art. 35,
002 art. 36) and let the 依法治市办 inspect it (001 art. 6), but give no scoring numbers: the
points and thresholds are the agency's own 评查 practice, which is why they are data.

An item is either

- **automatic** (``rules``, ``per_finding``): it loses ``per_finding`` points for each violation
  finding of one of its rules, at most its points; each deduction cites its finding (rule,
  regulation, article, record). Only findings of severity *violation* count: a *warning* is the
  engine saying it cannot decide (:class:`lawtrail.core.rules.Severity`), which is a reviewer's
  judgement, so warnings are listed for the reviewer and deduct nothing;
- **manual** (``manual = true``): the reviewer scores it from 0 to its points, with a comment
  whenever anything is deducted.

A **veto** names rules (and, where one rule covers lesser failures too, the words of the
findings that are a veto): any such violation makes the case 不合格 whatever its score — e.g. an
officer acting without a valid 执法证件 (000 art. 9, 002 art. 10), the rights notice missing
(000 art. 10, 004 art. 8). An agency whose regulation has no such duty has no such veto.

**Sampling**: ``ceil(N % × population)`` cases (at least one when any closed), chosen by
ranking each case number by ``SHA-256(seed ‖ "\\n" ‖ case number)``: with the seed recorded
anyone can recompute the selection from the sorted population, and with the seed drawn from
:mod:`secrets` after the population is fixed nobody could choose which cases come up.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lawtrail.core.caseio import FormatIssue
from lawtrail.core.engine import Finding
from lawtrail.core.rules import Severity

HEADINGS: tuple[str, ...] = (
    "主体合法",
    "事实清楚",
    "证据确凿",
    "程序合法",
    "适用依据正确",
    "文书规范",
    "归档完整",
)
TOTAL_POINTS = 100
FAILED = "不合格"
MAX_COMMENT = 1000
_ID = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_SEED = re.compile(r"^[0-9a-f]{32,128}$")


class SheetError(ValueError):
    """A scoring sheet that is not valid data (raised on load: a bad sheet never scores)."""


class ScoreError(ValueError):
    """The reviewer's scores do not fit the sheet; ``issues`` says where, in Chinese."""

    def __init__(self, message: str, issues: list[FormatIssue]) -> None:
        super().__init__(message)
        self.issues = issues


# ---------------------------------------------------------------------------- the sheet


@dataclass(frozen=True)
class Basis:
    regulation: str  # file name, as the rule packs cite it
    article: int
    quote: str


@dataclass(frozen=True)
class Item:
    id: str
    heading: str
    text: str
    points: int
    manual: bool
    rules: tuple[str, ...] = ()
    per_finding: int = 0
    basis: tuple[Basis, ...] = ()


@dataclass(frozen=True)
class Veto:
    id: str
    text: str
    rules: tuple[str, ...]
    messages: tuple[str, ...] = ()  # empty: every violation of the rules is a veto
    basis: tuple[Basis, ...] = ()

    def hit_by(self, finding: Finding) -> bool:
        if finding.severity != Severity.VIOLATION or finding.rule not in self.rules:
            return False
        return not self.messages or any(m in finding.message for m in self.messages)


@dataclass(frozen=True)
class Grade:
    label: str
    min: int


@dataclass(frozen=True)
class Sheet:
    id: str
    version: int
    agency: str
    title: str
    source: str
    items: tuple[Item, ...]
    vetoes: tuple[Veto, ...]
    grades: tuple[Grade, ...]  # highest first; the last has min 0

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    @property
    def manual_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.manual)

    def headings(self) -> list[tuple[str, int]]:
        """Each heading with its points, in the sheet's order."""
        return [(h, sum(i.points for i in self.items if i.heading == h)) for h in HEADINGS]

    def rule_ids(self) -> set[str]:
        """Every rule the sheet names (items and vetoes)."""
        return {r for i in self.items for r in i.rules} | {r for v in self.vetoes for r in v.rules}

    def grade(self, total: int, vetoed: bool) -> str:
        if vetoed:
            return FAILED
        for grade in self.grades:
            if total >= grade.min:
                return grade.label
        return FAILED  # pragma: no cover - the last grade's min is 0 (checked on load)


def _str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SheetError(f"{where}: {key} must be a non-empty string")
    return value


def _int(data: Mapping[str, Any], key: str, where: str, low: int = 0) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise SheetError(f"{where}: {key} must be an integer ≥ {low}")
    return value


def _strings(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SheetError(f"{where}: {key} must be a list of strings")
    if len(set(value)) != len(value):
        raise SheetError(f"{where}: {key} lists a value twice")
    return tuple(value)


def _basis(data: Mapping[str, Any], where: str) -> tuple[Basis, ...]:
    raw = data.get("basis", [])
    if not isinstance(raw, list):
        raise SheetError(f"{where}: basis must be a list")
    out = []
    for n, entry in enumerate(raw):
        if not isinstance(entry, dict) or set(entry) != {"regulation", "article", "quote"}:
            raise SheetError(f"{where}: basis[{n}] must have regulation, article, quote")
        out.append(
            Basis(
                _str(entry, "regulation", where),
                _int(entry, "article", where, 1),
                _str(entry, "quote", where),
            )
        )
    return tuple(out)


_ITEM_KEYS = {"id", "heading", "text", "points", "manual", "rules", "per_finding", "basis"}
_VETO_KEYS = {"id", "text", "rules", "messages", "basis"}


def _item(data: Any, n: int) -> Item:
    where = f"item[{n}]"
    if not isinstance(data, dict) or not set(data) <= _ITEM_KEYS:
        raise SheetError(f"{where}: unknown keys {sorted(set(data) - _ITEM_KEYS)}")
    item_id = _str(data, "id", where)
    if not _ID.match(item_id):
        raise SheetError(f"{where}: bad id {item_id!r}")
    heading = _str(data, "heading", where)
    if heading not in HEADINGS:
        raise SheetError(f"{where}: heading {heading!r} is not one of {'、'.join(HEADINGS)}")
    points = _int(data, "points", where, 1)
    manual = data.get("manual", False)
    rules = _strings(data, "rules", where)
    if manual is True:
        if rules or "per_finding" in data:
            raise SheetError(f"{where}: a manual item has no rules or per_finding")
        per_finding = 0
    elif manual is False:
        if not rules:
            raise SheetError(f"{where}: an item is manual or names its rules")
        per_finding = _int(data, "per_finding", where, 1)
        if per_finding > points:
            raise SheetError(f"{where}: per_finding exceeds the item's points")
    else:
        raise SheetError(f"{where}: manual must be true or false")
    return Item(
        item_id,
        heading,
        _str(data, "text", where),
        points,
        manual,
        rules,
        per_finding,
        _basis(data, where),
    )


def _veto(data: Any, n: int) -> Veto:
    where = f"veto[{n}]"
    if not isinstance(data, dict) or not set(data) <= _VETO_KEYS:
        raise SheetError(f"{where}: unknown keys {sorted(set(data) - _VETO_KEYS)}")
    veto_id = _str(data, "id", where)
    if not _ID.match(veto_id):
        raise SheetError(f"{where}: bad id {veto_id!r}")
    rules = _strings(data, "rules", where)
    if not rules:
        raise SheetError(f"{where}: a veto names its rules")
    return Veto(
        veto_id,
        _str(data, "text", where),
        rules,
        _strings(data, "messages", where),
        _basis(data, where),
    )


def parse_sheet(text: str, *, source: str = "<sheet>") -> Sheet:
    """A sheet from its TOML text, validated completely (:class:`SheetError` names the fault)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SheetError(f"{source}: {exc}") from exc
    head = data.get("sheet")
    if not isinstance(head, dict):
        raise SheetError(f"{source}: no [sheet] table")
    items = tuple(_item(d, n) for n, d in enumerate(data.get("item", [])))
    vetoes = tuple(_veto(d, n) for n, d in enumerate(data.get("veto", [])))
    grades = []
    for n, g in enumerate(data.get("grade", [])):
        if not isinstance(g, dict):
            raise SheetError(f"{source}: grade[{n}] must be a table")
        grades.append(Grade(_str(g, "label", f"grade[{n}]"), _int(g, "min", f"grade[{n}]")))
    sheet = Sheet(
        id=_str(head, "id", source),
        version=_int(head, "version", source, 1),
        agency=_str(head, "agency", source),
        title=_str(head, "title", source),
        source=_str(head, "source", source),
        items=items,
        vetoes=vetoes,
        grades=tuple(grades),
    )
    _validate(sheet, source)
    return sheet


def _validate(sheet: Sheet, source: str) -> None:
    ids = [i.id for i in sheet.items] + [v.id for v in sheet.vetoes]
    if len(set(ids)) != len(ids):
        raise SheetError(f"{source}: an item or veto id is used twice")
    total = sum(i.points for i in sheet.items)
    if total != TOTAL_POINTS:
        raise SheetError(f"{source}: the items' points sum to {total}, not {TOTAL_POINTS}")
    missing = [h for h, points in sheet.headings() if points == 0]
    if missing:
        raise SheetError(f"{source}: no item under {'、'.join(missing)}")
    seen: dict[str, str] = {}
    for item in sheet.items:
        for rule in item.rules:
            if rule in seen:  # a finding deducts once
                raise SheetError(f"{source}: rule {rule} is in items {seen[rule]} and {item.id}")
            seen[rule] = item.id
    mins = [g.min for g in sheet.grades]
    if not sheet.grades or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise SheetError(f"{source}: grades must be listed highest first, thresholds distinct")
    if mins[-1] != 0 or sheet.grades[-1].label != FAILED:
        raise SheetError(f"{source}: the last grade is {FAILED} with min 0")
    if mins[0] > TOTAL_POINTS:
        raise SheetError(f"{source}: a threshold above {TOTAL_POINTS}")


def _sheets_dir() -> Any:
    return resources.files("lawtrail.core") / "data" / "review_sheets"


@cache
def sheet_agencies() -> tuple[str, ...]:
    return tuple(
        sorted(
            p.name.removesuffix(".toml")
            for p in _sheets_dir().iterdir()
            if p.name.endswith(".toml")
        )
    )


@cache
def load_sheet(agency: str) -> Sheet:
    """The agency's scoring sheet (:class:`SheetError` when it has none or it is invalid)."""
    if agency not in sheet_agencies():
        raise SheetError(f"机关 {agency} 没有案卷评查评分表")
    name = f"review_sheets/{agency}.toml"
    sheet = parse_sheet((_sheets_dir() / f"{agency}.toml").read_text(encoding="utf-8"), source=name)
    if sheet.agency != agency:
        raise SheetError(f"{name}: the sheet is for {sheet.agency}")
    return sheet


# ---------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class ManualScore:
    score: int
    comment: str = ""


@dataclass(frozen=True)
class Cited:
    """A finding as a deduction (or a veto, or an unscored finding) cites it."""

    rule: str
    regulation: str
    article: int
    record: str | None
    message: str
    quote: str
    severity: str
    deduction: int = 0

    @classmethod
    def of(cls, finding: Finding, deduction: int = 0) -> Cited:
        return cls(
            finding.rule,
            finding.regulation,
            finding.article,
            finding.record,
            finding.message,
            finding.quote,
            str(finding.severity),
            deduction,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "regulation": self.regulation,
            "article": self.article,
            "record": self.record,
            "message": self.message,
            "severity": self.severity,
            "deduction": self.deduction,
        }


@dataclass(frozen=True)
class ItemScore:
    item: Item
    awarded: int
    cited: tuple[Cited, ...] = ()  # automatic: the findings deducted for (0 once the cap is hit)
    comment: str = ""  # manual: the reviewer's reasons

    @property
    def deduction(self) -> int:
        return self.item.points - self.awarded

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.item.id,
            "heading": self.item.heading,
            "points": self.item.points,
            "awarded": self.awarded,
            "deduction": self.deduction,
            "mode": "manual" if self.item.manual else "auto",
        }
        if self.item.manual:
            out["comment"] = self.comment
        else:
            out["findings"] = [c.to_json() for c in self.cited]
        return out


@dataclass(frozen=True)
class VetoHit:
    veto: Veto
    finding: Cited

    def to_json(self) -> dict[str, Any]:
        return {"id": self.veto.id, "text": self.veto.text, "finding": self.finding.to_json()}


@dataclass(frozen=True)
class Result:
    sheet: Sheet
    items: tuple[ItemScore, ...]
    vetoes: tuple[VetoHit, ...]
    total: int
    grade: str
    unscored: tuple[Cited, ...]  # warnings, and violations of rules the sheet does not name

    def item(self, item_id: str) -> ItemScore | None:
        return next((s for s in self.items if s.item.id == item_id), None)


def check_manual(sheet: Sheet, manual: Mapping[str, ManualScore]) -> list[FormatIssue]:
    """What is wrong with the reviewer's scores (empty: nothing)."""
    issues: list[FormatIssue] = []
    for key in manual:
        item = sheet.item(key)
        if item is None:
            issues.append(FormatIssue(f"$.manual.{key}", f"评分表中没有评分项 {key}"))
        elif not item.manual:
            issues.append(
                FormatIssue(f"$.manual.{key}", f"“{item.text}”按规则自动评分，不能人工评分")
            )
    for item in sheet.manual_items:
        path = f"$.manual.{item.id}"
        given = manual.get(item.id)
        if given is None:
            issues.append(FormatIssue(path, f"请为“{item.heading}：{item.text}”评分"))
            continue
        score = given.score
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= item.points:
            issues.append(
                FormatIssue(path, f"“{item.heading}”一项的得分应为 0 至 {item.points} 的整数")
            )
            continue
        comment = given.comment.strip() if isinstance(given.comment, str) else ""
        if score < item.points and not comment:
            issues.append(FormatIssue(path, f"“{item.heading}：{item.text}”扣了分，请说明扣分理由"))
        elif len(comment) > MAX_COMMENT:
            issues.append(FormatIssue(path, f"扣分理由不能超过 {MAX_COMMENT} 个字"))
        elif "\x00" in comment:
            issues.append(FormatIssue(path, "扣分理由不能包含空字符（NUL）"))
    return issues


def score(sheet: Sheet, findings: Iterable[Finding], manual: Mapping[str, ManualScore]) -> Result:
    """The case's score on the sheet: automatic items from the rule engine's findings (each
    deduction cites its finding), manual items from the reviewer, vetoes, total and grade.
    Scores that do not fit the sheet: :class:`ScoreError`."""
    issues = check_manual(sheet, manual)
    if issues:
        raise ScoreError("评查评分未通过校验", issues)
    findings = list(findings)
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    items: list[ItemScore] = []
    scored_rules: set[str] = set()
    for item in sheet.items:
        if item.manual:
            given = manual[item.id]
            items.append(ItemScore(item, given.score, comment=given.comment.strip()))
            continue
        left = item.points
        cited = []
        for finding in findings:  # the engine's order: by rule, then record
            if finding.rule not in item.rules or finding.severity != Severity.VIOLATION:
                continue
            taken = min(item.per_finding, left)
            left -= taken
            cited.append(Cited.of(finding, taken))
        scored_rules.update(item.rules)
        items.append(ItemScore(item, left, tuple(cited)))
    vetoes = tuple(
        VetoHit(veto, Cited.of(finding))
        for veto in sheet.vetoes
        for finding in findings
        if veto.hit_by(finding)
    )

    def counted(f: Finding) -> bool:
        return f.severity == Severity.VIOLATION and (
            f.rule in scored_rules or any(v.hit_by(f) for v in sheet.vetoes)
        )

    unscored = tuple(Cited.of(f) for f in findings if not counted(f))
    total = sum(s.awarded for s in items)
    return Result(sheet, tuple(items), vetoes, total, sheet.grade(total, bool(vetoes)), unscored)


# ---------------------------------------------------------------------------- sampling


def sample_size(population: int, percent: int) -> int:
    """How many of ``population`` cases N % is: rounded up, so a sample is never under N %
    and at least one case is drawn whenever any closed."""
    if not isinstance(percent, int) or isinstance(percent, bool) or not 1 <= percent <= 100:
        raise ValueError("抽取比例应为 1 至 100 的整数")
    return math.ceil(population * percent / 100)


def population_digest(population: Sequence[str]) -> str:
    """SHA-256 of the sorted case numbers, one per line (UTF-8): what the sampling commits to."""
    return hashlib.sha256("\n".join(sorted(population)).encode("utf-8")).hexdigest()


def _rank(seed: str, case_number: str) -> str:
    return hashlib.sha256(f"{seed}\n{case_number}".encode()).hexdigest()


def draw(population: Sequence[str], percent: int, seed: str) -> list[str]:
    """The cases a sampling with this seed selects, sorted: the ``sample_size`` case numbers
    with the smallest ``SHA-256(seed ‖ "\\n" ‖ number)`` — independent of the order they are
    listed in, reproducible by anyone holding the seed and the population."""
    if not _SEED.match(seed):
        raise ValueError("随机种子应为 32 至 128 位十六进制数")
    unique = sorted(set(population))
    if len(unique) != len(population):
        raise ValueError("案件总体中有重复的案号")
    count = sample_size(len(unique), percent)
    return sorted(sorted(unique, key=lambda number: (_rank(seed, number), number))[:count])
