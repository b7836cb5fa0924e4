"""案卷评查 (case file review, issue #14 item 2) in the ledger: the supervisor's random sampling
of an agency's closed cases and the scoring sheet of each sampled case. Framework-free, like
:mod:`lawtrail.supervision`: validate, append, one transaction per call; the sheets and the
arithmetic are :mod:`lawtrail.core.review`.

**Where the reviews live.** Not in the agency's log (unlike a 责令整改 order): a review is the
supervisor's judgement of the agency, so it is signed into the supervising body's *own* log in
the same ledger (:func:`lawtrail.config.supervisor_log`, default ``yfzsb`` for 依法治市办 — 001
art. 6: the 依法治市办 supervises and inspects the recording work; 000 art. 35, 002 art. 36: the
system is counted in the 评议考核). That log has its own signing key, is integrated, verified and
witnessed like every log, and the agency's staff — who run the agency's part of the system —
cannot present their own grades as the supervisor's. Entries of type ``review`` carry no case
number in the ledger's column (they are not records of the case; a case-scoped
``lawtrail verify --case`` of the agency is not about them); the agency and case are in the
hashed body, and ``ref`` is the sampling or sheet id.

Bodies:

- sampling: ``{"act": "sampling", "sampling", "agency", "period": {"from", "to", "label"},
  "percent", "population": {"size", "sha256", "cases"}, "seed", "selected", "sampled_by"}`` —
  the population is the sorted case numbers of the agency's cases closed in the period as the
  case index held them; ``seed`` is drawn from :mod:`secrets` after the population is fixed and
  ``selected`` is :func:`lawtrail.core.review.draw` of both, so anyone can recompute it;
- sheet: ``{"act": "sheet", "sheet", "sampling", "agency", "case_number", "judged_at":
  {"log", "size"}, "form": {"id", "version"}, "items", "vetoes", "unscored", "total", "grade",
  "reviewed_by", "supersedes"?}`` — ``judged_at.size`` is the agency log's size when the case was
  evaluated (the case as judged is its entries below it); each automatic item lists the findings
  it deducted for (rule, regulation, article, record, message), each manual item the
  reviewer's comment.

A sheet is final: a re-score is a new sheet entry whose ``supersedes`` names the sheet it
replaces (the latest one of that case in that sampling); nothing is updated.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from lawtrail.core import review, timeutil
from lawtrail.core.caseio import FormatIssue
from lawtrail.core.engine import evaluate
from lawtrail.ledger.log import Ledger, NewEntry, StoredEntry
from lawtrail.services import ActRefused, ServiceError, load_case

ENTRY_TYPE = "review"
SAMPLING, SHEET = "sampling", "sheet"
MAX_POPULATION = 20000
_SAMPLING_ID = re.compile(r"^PC[0-9]{8}-[0-9a-f]{6}$")
_SHEET_ID = re.compile(r"^PF[0-9]{8}-[0-9a-f]{6}$")


class ReviewRefused(ActRefused):
    """The review cannot take this act (a case not sampled, scored already): refused as an act,
    logged with its reason."""


@dataclass(frozen=True)
class Sampling:
    id: str
    agency: str
    period_from: date
    period_to: date
    period_label: str
    percent: int
    population: tuple[str, ...]
    population_sha256: str
    seed: str
    selected: tuple[str, ...]
    sampled_by: str
    sampled_at: datetime
    seq: int

    def reproduces(self) -> bool:
        """Whether the selection is the draw of the recorded seed and population."""
        try:
            drawn = review.draw(self.population, self.percent, self.seed)
        except ValueError:
            return False
        digest = review.population_digest(self.population)
        return tuple(drawn) == self.selected and digest == self.population_sha256


@dataclass(frozen=True)
class Review:
    id: str
    sampling: str
    agency: str
    case_number: str
    judged_size: int
    form_id: str
    form_version: int
    items: tuple[dict[str, Any], ...]
    vetoes: tuple[dict[str, Any], ...]
    unscored: tuple[dict[str, Any], ...]
    total: int
    grade: str
    reviewed_by: str
    reviewed_at: datetime
    seq: int
    supersedes: str = ""
    superseded_by: str = ""  # the sheet that replaced this one (from a later entry)

    @property
    def current(self) -> bool:
        return not self.superseded_by


# ---------------------------------------------------------------------------- reading


def _entry_time(entry: StoredEntry) -> datetime:
    return timeutil.local(timeutil.parse_aware(entry.recorded_at))


def _sampling_of(entry: StoredEntry, body: Mapping[str, Any]) -> Sampling:
    period = body["period"]
    population = body["population"]
    return Sampling(
        id=str(body["sampling"]),
        agency=str(body["agency"]),
        period_from=date.fromisoformat(str(period["from"])),
        period_to=date.fromisoformat(str(period["to"])),
        period_label=str(period.get("label") or ""),
        percent=int(body["percent"]),
        population=tuple(str(c) for c in population.get("cases") or []),
        population_sha256=str(population.get("sha256") or ""),
        seed=str(body["seed"]),
        selected=tuple(str(c) for c in body.get("selected") or []),
        sampled_by=str(body.get("sampled_by") or ""),
        sampled_at=_entry_time(entry),
        seq=entry.seq,
    )


def _review_of(entry: StoredEntry, body: Mapping[str, Any]) -> Review:
    form = body.get("form") or {}
    return Review(
        id=str(body["sheet"]),
        sampling=str(body["sampling"]),
        agency=str(body["agency"]),
        case_number=str(body["case_number"]),
        judged_size=int((body.get("judged_at") or {}).get("size") or 0),
        form_id=str(form.get("id") or ""),
        form_version=int(form.get("version") or 0),
        items=tuple(body.get("items") or ()),
        vetoes=tuple(body.get("vetoes") or ()),
        unscored=tuple(body.get("unscored") or ()),
        total=int(body["total"]),
        grade=str(body["grade"]),
        reviewed_by=str(body.get("reviewed_by") or ""),
        reviewed_at=_entry_time(entry),
        seq=entry.seq,
        supersedes=str(body.get("supersedes") or ""),
    )


@dataclass
class Folded:
    samplings: dict[str, Sampling]
    reviews: dict[str, Review]

    def current(self, sampling_id: str, case_number: str) -> Review | None:
        for r in self.reviews.values():
            if r.sampling == sampling_id and r.case_number == case_number and r.current:
                return r
        return None


def fold(entries: Iterable[StoredEntry]) -> Folded:
    """The samplings and sheets of these review entries (log order), read from the *hashed*
    bodies; a sheet that another supersedes is marked so. Malformed bodies are skipped (the
    services never write one; ``lawtrail verify`` checks the entries themselves)."""
    out = Folded({}, {})
    for entry in entries:
        try:
            data = entry.data()
        except ValueError:
            continue
        body = data.get(ENTRY_TYPE)
        if data.get("type") != ENTRY_TYPE or not isinstance(body, Mapping):
            continue
        try:
            if body.get("act") == SAMPLING and str(body["sampling"]) not in out.samplings:
                sampling = _sampling_of(entry, body)
                out.samplings[sampling.id] = sampling
            elif body.get("act") == SHEET and str(body["sheet"]) not in out.reviews:
                sheet = _review_of(entry, body)
                if sheet.sampling not in out.samplings:
                    continue
                old = out.reviews.get(sheet.supersedes)
                if old is not None and not old.superseded_by:
                    out.reviews[old.id] = replace(old, superseded_by=sheet.id)
                out.reviews[sheet.id] = sheet
        except (KeyError, TypeError, ValueError):
            continue
    return out


def read(ledger: Ledger, log: str) -> Folded:
    """Every sampling and sheet of the supervisor's log (none before its first)."""
    if ledger.log_info(log) is None:
        return Folded({}, {})
    return fold(list(ledger.entries(log, types=(ENTRY_TYPE,))))


def get_sampling(ledger: Ledger, log: str, sampling_id: str) -> Sampling | None:
    if not _SAMPLING_ID.match(sampling_id) or ledger.log_info(log) is None:
        return None
    return fold(ledger.entries_named(log, ENTRY_TYPE, sampling_id)).samplings.get(sampling_id)


def get_review(ledger: Ledger, log: str, sheet_id: str) -> tuple[Review, Sampling] | None:
    """The sheet, with whether a later one superseded it, and its sampling."""
    if not _SHEET_ID.match(sheet_id):
        return None
    folded = read(ledger, log)
    found = folded.reviews.get(sheet_id)
    if found is None:
        return None
    return found, folded.samplings[found.sampling]


# ---------------------------------------------------------------------------- writing


def _new_id(prefix: str, at: datetime) -> str:
    return f"{prefix}{timeutil.local(at):%Y%m%d}-{secrets.token_hex(3)}"


def _fresh_id(ledger: Ledger, log: str, prefix: str, at: datetime) -> str:
    found = _new_id(prefix, at)
    while ledger.entries_named(log, ENTRY_TYPE, found):  # pragma: no cover - 2^24
        found = _new_id(prefix, at)
    return found


def do_sample(
    ledger: Ledger,
    log: str,
    *,
    agency: str,
    period_from: date,
    period_to: date,
    period_label: str,
    percent: int,
    population: Sequence[str],
    sampled_by: str,
    now: datetime | None = None,
) -> Sampling:
    """Draw ``percent`` % (rounded up) of ``population`` — the agency's cases closed in the
    period — with a fresh random seed, and sign the sampling into the supervisor's log.

    Who may (a supervisor of the agency) and what the population is (the case index's closed
    cases of the period) are the caller's; the entry commits to both."""
    now = timeutil.local(now or timeutil.now())
    issues: list[FormatIssue] = []
    if agency == log:
        issues.append(FormatIssue("$.agency", "监督机关自己的日志不是被评查的机关"))
    elif ledger.log_info(agency) is None:
        issues.append(FormatIssue("$.agency", f"机关 {agency} 的账本中还没有案件"))
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
        issues.append(FormatIssue("$.percent", "抽取比例应为 1 至 100 的整数"))
    if period_to < period_from:
        issues.append(FormatIssue("$.period", "截止日期早于起始日期"))
    cases = sorted(set(population))
    if len(cases) != len(population):
        issues.append(FormatIssue("$.population", "案件总体中有重复的案号"))
    if not cases and not issues:
        issues.append(
            FormatIssue("$.period", f"{period_label}该机关没有已终结的案件，无案卷可抽取")
        )
    if len(cases) > MAX_POPULATION:
        issues.append(
            FormatIssue("$.period", f"期间内已终结案件超过 {MAX_POPULATION} 件，请缩短期间")
        )
    if not sampled_by:
        issues.append(FormatIssue("$.sampled_by", "缺少抽取人"))
    if issues:
        raise ServiceError("抽取案卷未通过校验", issues)
    seed = secrets.token_hex(16)  # drawn after the population is fixed: nobody picks the cases
    selected = review.draw(cases, percent, seed)
    digest = review.population_digest(cases)
    ledger.ensure_log(log)
    with ledger.db.write():
        ledger.lock(log)
        sampling_id = _fresh_id(ledger, log, "PC", now)
        body = {
            "act": SAMPLING,
            "sampling": sampling_id,
            "agency": agency,
            "period": {
                "from": period_from.isoformat(),
                "to": period_to.isoformat(),
                "label": period_label,
            },
            "percent": percent,
            "population": {
                "size": len(cases),
                "sha256": digest,
                "cases": cases,
            },
            "seed": seed,
            "selected": selected,
            "sampled_by": sampled_by,
        }
        [receipt] = ledger.append_in_transaction(
            log, [NewEntry("", ENTRY_TYPE, sampling_id, body, actor=sampled_by)]
        )
    return Sampling(
        id=sampling_id,
        agency=agency,
        period_from=period_from,
        period_to=period_to,
        period_label=period_label,
        percent=percent,
        population=tuple(cases),
        population_sha256=digest,
        seed=seed,
        selected=tuple(selected),
        sampled_by=sampled_by,
        sampled_at=timeutil.local(receipt.recorded_at),
        seq=receipt.seq,
    )


def preview(
    ledger: Ledger, agency: str, case_number: str, at: datetime | None = None
) -> review.Result:
    """The case on its agency's sheet with full manual marks: the automatic items, vetoes and
    unscored findings as the scoring page shows them before the reviewer scores."""
    sheet = review.load_sheet(agency)
    findings = evaluate(load_case(ledger, agency, case_number), at=at or timeutil.now()).findings
    marks = {i.id: review.ManualScore(i.points) for i in sheet.manual_items}
    return review.score(sheet, findings, marks)


def do_review(
    ledger: Ledger,
    log: str,
    *,
    sampling_id: str,
    case_number: str,
    manual: Mapping[str, review.ManualScore],
    reviewed_by: str,
    supersedes: str = "",
    now: datetime | None = None,
) -> Review:
    """Score a sampled case on its agency's sheet and sign the sheet into the supervisor's log.

    The automatic items are the rule engine's findings on the case as the agency's log holds it
    now (its size is recorded); the manual items are the reviewer's (0..points, a comment for
    any deduction). Refused (:class:`ReviewRefused`): a sampling that does not exist, a case it
    did not select, a second sheet for the case that does not name the one it supersedes. Who
    may (a supervisor of the agency) is the caller's to check."""
    now = timeutil.local(now or timeutil.now())
    if not reviewed_by:
        raise ServiceError("评查评分未通过校验", [FormatIssue("$.reviewed_by", "缺少评查人")])
    sampling = get_sampling(ledger, log, sampling_id)
    if sampling is None:
        raise ReviewRefused(f"抽取记录 {sampling_id} 不存在")
    if case_number not in sampling.selected:
        raise ReviewRefused(f"案件 {case_number} 未在抽取记录 {sampling_id} 中被抽中，不能评查")
    sheet = review.load_sheet(sampling.agency)
    issues = review.check_manual(sheet, manual)
    if issues:
        raise ServiceError("评查评分未通过校验", issues)
    with ledger.db.write():
        ledger.lock(log)
        current = read(ledger, log).current(sampling_id, case_number)
        if current is not None and supersedes != current.id:
            raise ReviewRefused(
                f"案件 {case_number} 已于 {current.reviewed_at:%Y-%m-%d %H:%M} 评查"
                f"（{current.id}），评查表提交后不能修改；如需重新评分，请在该评查表上选择“重新评分”"
            )
        if current is None and supersedes:
            raise ReviewRefused(f"评查表 {supersedes} 不是该案件当前的评查表")
        judged_size = ledger.size(sampling.agency)
        case = load_case(ledger, sampling.agency, case_number)
        result = review.score(sheet, evaluate(case, at=now).findings, manual)
        sheet_id = _fresh_id(ledger, log, "PF", now)
        body: dict[str, Any] = {
            "act": SHEET,
            "sheet": sheet_id,
            "sampling": sampling_id,
            "agency": sampling.agency,
            "case_number": case_number,
            "judged_at": {"log": sampling.agency, "size": judged_size},
            "form": {"id": sheet.id, "version": sheet.version},
            "items": [s.to_json() for s in result.items],
            "vetoes": [v.to_json() for v in result.vetoes],
            "unscored": [c.to_json() for c in result.unscored],
            "total": result.total,
            "grade": result.grade,
            "reviewed_by": reviewed_by,
        }
        if supersedes:
            body["supersedes"] = supersedes
        [receipt] = ledger.append_in_transaction(
            log, [NewEntry("", ENTRY_TYPE, sheet_id, body, actor=reviewed_by)]
        )
    entry = ledger.entry(log, receipt.seq)
    assert entry is not None
    return _review_of(entry, body)
