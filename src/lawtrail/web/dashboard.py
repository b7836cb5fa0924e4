"""The supervision dashboard's figures (监督看板, issue #14 item 1), per agency and period.

Every figure is an aggregate query over the projections that are rewritten with each ledger
write and checked by ``lawtrail verify`` (:mod:`lawtrail.web.projections`): the case index
(one row per case: opened / closed / archived times, AV coverage counts, overdue facts) and
the case findings (one row per finding: rule, regulation, article, accountability category).
No page reads the ledger's entries for them, so the dashboard of 100,000 cases is a handful
of indexed ``GROUP BY`` queries (benchmarks/bench_dashboard.py).

Each figure comes with the drill-down to the cases behind it: the case list with the
parameters of :func:`drill_query` (:func:`drill_filter` applies them), so the list and the
figure are the same ``WHERE``.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet, Sum
from django.urls import reverse

from lawtrail.core import timeutil
from lawtrail.core.accountability import category_labels
from lawtrail.core.regulations import load_regulation
from lawtrail.core.rules import Severity
from lawtrail.web import wiring
from lawtrail.web.models import (
    Agency,
    ArchiveDueAggregate,
    CaseFinding,
    CaseIndex,
    CategoryAggregate,
    ClosureAggregate,
    OpenedAggregate,
    User,
    ViolationAggregate,
)
from lawtrail.web.roles import APPROVER, SUPERVISOR

TOP_ARTICLES = 10
VIOLATION = str(Severity.VIOLATION)


class PeriodError(ValueError):
    """A period the GET parameters cannot describe (the message is Chinese, for the page)."""


@dataclass(frozen=True)
class Period:
    start: date  # first day
    end: date  # last day (inclusive)
    label: str

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=timeutil.SHANGHAI)

    @property
    def until(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=timeutil.SHANGHAI)

    def params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def dashboard_agencies(user: User) -> dict[str, str]:
    """The agencies whose figures the user sees (code → name): a supervisor's supervised
    agencies, an agency head's (批准人) own agency; anyone else is refused (logged)."""
    if user.has_role(SUPERVISOR):
        codes = list(user.supervised_agencies.values_list("code", flat=True))
    elif user.has_role(APPROVER) and user.agency_id:
        codes = [user.agency_id]
    else:
        raise PermissionDenied("只有监督人员和机关负责人可以查看监督看板")
    return dict(Agency.objects.filter(code__in=codes).order_by("code").values_list("code", "name"))


_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(params: Any, today: date) -> Period:
    """The period of the GET parameters: ``year=2026``, ``month=2026-06`` or ``from=2026-01-01
    &to=2026-06-30`` (dates inclusive); none: the current year. Bad values: :class:`PeriodError`."""
    year = (params.get("year") or "").strip()
    month = (params.get("month") or "").strip()
    since = (params.get("from") or "").strip()
    until = (params.get("to") or "").strip()
    if sum(bool(v) for v in (year, month, since or until)) > 1:
        raise PeriodError("请只选择一种期间：年度、月份或起止日期")
    if month:
        m = _MONTH.match(month)
        if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
            raise PeriodError(f"月份「{month}」无效，应为 YYYY-MM，例如 2026-06")
        y, mo = int(m.group(1)), int(m.group(2))
        last = calendar.monthrange(y, mo)[1]
        return Period(date(y, mo, 1), date(y, mo, last), f"{y}年{mo}月")
    if since or until:
        try:
            start = date.fromisoformat(since) if since else None
            end = date.fromisoformat(until) if until else None
        except ValueError:
            raise PeriodError("起止日期无效，应为 YYYY-MM-DD，例如 2026-01-01") from None
        start = start or date(end.year if end else today.year, 1, 1)
        end = end or today
        if end < start:
            raise PeriodError("截止日期早于起始日期")
        if not (2000 <= start.year <= 2100 and 2000 <= end.year <= 2100):
            raise PeriodError("日期应在 2000 年至 2100 年之间")
        return Period(start, end, f"{start.isoformat()} 至 {end.isoformat()}")
    y = today.year
    if year:
        if not _YEAR.match(year) or not 2000 <= int(year) <= 2100:
            raise PeriodError(f"年度「{year}」无效，应为 2000 至 2100 之间的四位年份")
        y = int(year)
    return Period(date(y, 1, 1), date(y, 12, 31), f"{y}年")


# ---------------------------------------------------------------------------- drill-down

# The drill-down's "which" values: the overdue and coverage figures' conditions.
FLAGS: dict[str, str] = {
    "violations": "有违规",
    "av_late": "音像记录未按时存储",
    "archive_overdue": "归档逾期",
    "approvals": "内部审批待办",
    "av_gap": "应音像记录而未记录",
    "archived_after_closure": "终结后归档",
}
ON = {"opened": "opened_at", "closed": "closed_at", "archived": "archived_at"}
ON_LABELS = {"opened": "立案", "closed": "终结", "archived": "归档"}


def _flag_q(flag: str, now: datetime) -> Q:
    return {
        "violations": Q(violations__gt=0),
        "av_late": Q(av_late__gt=0),
        "archive_overdue": Q(archive_late=True) | Q(archived=False, archive_due__lt=now),
        "approvals": Q(approvals_pending__gt=0),
        "av_gap": Q(av_required__gt=0) & ~Q(av_covered=F("av_required")),
        "archived_after_closure": Q(closed_at__isnull=False, archived_at__isnull=False),
    }[flag]


def drill_query(**params: Any) -> str:
    """The case list's URL with the drill-down parameters (``None`` values left out)."""
    clean = {k: v for k, v in params.items() if v is not None and v != ""}
    return reverse("case_list") + "?" + urlencode({"d": "1", **clean})


def drill_filter(params: Any, now: datetime) -> tuple[Q, list[str]]:
    """The condition of the drill-down parameters on :class:`CaseIndex`, and what they say in
    Chinese (for the list's heading). Bad values: :class:`PeriodError` (the list says so)."""
    q = Q()
    said: list[str] = []
    agency = (params.get("agency") or "").strip()
    if agency:
        q &= Q(agency_id=agency)
        # the agency's name, not its code (the code is an identifier of the URL)
        name = Agency.objects.filter(code=agency).values_list("name", flat=True).first()
        said.append(f"机关 {name or agency}")
    on = (params.get("on") or "opened").strip()
    if on not in ON:
        raise PeriodError(f"未知的时间依据「{on}」")
    if params.get("from") or params.get("to") or params.get("month") or params.get("year"):
        period = parse_period(params, timeutil.local_date(now))
        column = ON[on]
        q &= Q(**{f"{column}__gte": period.since, f"{column}__lt": period.until})
        said.append(f"{ON_LABELS[on]}于 {period.label}")
    flag = (params.get("flag") or "").strip()
    if flag:
        if flag not in FLAGS:
            raise PeriodError(f"未知的筛选项「{flag}」")
        q &= _flag_q(flag, now)
        said.append(FLAGS[flag])
    handler = (params.get("handler") or "").strip()
    if handler:
        q &= Q(handler__username=handler)
        person = User.objects.filter(username=handler).values_list("name", flat=True).first()
        said.append(f"承办人 {person or handler}")
    finding: dict[str, Any] = {"severity": VIOLATION}
    article = (params.get("article") or "").strip()
    if article:
        if not article.isdigit():
            raise PeriodError(f"条款「{article}」无效")
        finding["article"] = int(article)
        regulation = (params.get("regulation") or "").strip()
        if regulation:
            finding["regulation"] = regulation
        said.append(f"违反第{article}条")
    category = (params.get("category") or "").strip()
    if category:
        labels = category_labels()
        if category not in labels:
            raise PeriodError(f"未知的问责情形「{category}」")
        finding["category"] = category
        said.append(f"问责情形：{labels[category]}")
    if len(finding) > 1:
        q &= Q(pk__in=CaseFinding.objects.filter(**finding).values("case_id"))
    return q, said


# ---------------------------------------------------------------------------- figures


# The flags the figures count per agency (archived_after_closure is a drill-down only: the
# cases behind the archive-lag figure).
COUNTED_FLAGS = ("violations", "av_late", "archive_overdue", "approvals", "av_gap")


@dataclass
class Tally:
    """The counts every figure is made of, for some cases: per agency (opened, each flag, AV
    sums, closed, archived, archive lags), per opened month, per handler (``None``: no handler),
    per violated article (findings and cases), per handler and accountability category. Counts
    of disjoint sets of cases add up (:meth:`add`): a period is its whole months, read from
    the maintained aggregates (:func:`_tally_months`), and the days of its partial months,
    counted from the index rows of those days (:func:`_tally_rows`)."""

    opened: Counter[str] = field(default_factory=Counter)
    flags: dict[str, Counter[str]] = field(
        default_factory=lambda: {flag: Counter() for flag in COUNTED_FLAGS}
    )
    av_required: Counter[str] = field(default_factory=Counter)
    av_covered: Counter[str] = field(default_factory=Counter)
    opened_months: Counter[str] = field(default_factory=Counter)
    officer_n: Counter[int | None] = field(default_factory=Counter)
    officer_v: Counter[int | None] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    archived: Counter[str] = field(default_factory=Counter)
    lag_n: Counter[str] = field(default_factory=Counter)
    lag_sum: Counter[str] = field(default_factory=Counter)
    article_findings: Counter[tuple[str, int]] = field(default_factory=Counter)
    article_cases: Counter[tuple[str, int]] = field(default_factory=Counter)
    violation_months: Counter[str] = field(default_factory=Counter)
    officer_cats: dict[int | None, Counter[str]] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        for name in (
            "opened",
            "av_required",
            "av_covered",
            "opened_months",
            "officer_n",
            "officer_v",
            "closed",
            "archived",
            "lag_n",
            "lag_sum",
            "article_findings",
            "article_cases",
            "violation_months",
        ):
            getattr(self, name).update(getattr(other, name))
        for flag, counts in other.flags.items():
            self.flags[flag].update(counts)
        for handler, cats in other.officer_cats.items():
            self.officer_cats.setdefault(handler, Counter()).update(cats)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timeutil.SHANGHAI)


def _key_month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def tally(codes: list[str], period: Period, now: datetime) -> Tally:
    """The counts of ``period``: its whole calendar months from the aggregates, the days of a
    partial first or last month from the index rows of those days only — so the cost is set
    by the period's length and the days at its edges, not by the number of cases."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    # the first day after the whole months: the day after the period if it ends a month
    after = _next_month(period.end)
    end = after if period.end + timedelta(days=1) == after else _month_start(period.end)
    total = Tally()
    if first >= end:  # no whole month: a few weeks of rows at most
        total.add(_tally_rows(codes, period.since, period.until, now))
        return total
    if period.start < first:
        total.add(_tally_rows(codes, period.since, _midnight(first), now))
    total.add(_tally_months(codes, first, end, now))
    if _midnight(end) < period.until:
        total.add(_tally_rows(codes, _midnight(end), period.until, now))
    return total


def _tally_months(codes: list[str], first: date, end: date, now: datetime) -> Tally:
    """The counts of the whole months from ``first`` to before ``end`` (first days of months),
    summed from the aggregates (:mod:`lawtrail.web.aggregates`): rows per agency, month and
    officer, however many cases they count."""
    out = Tally()
    months = {"agency__in": codes, "month__gte": _key_month(first), "month__lt": _key_month(end)}
    for row in (
        OpenedAggregate.objects.filter(**months)
        .values("agency", "opened_month", "handler")
        .annotate(
            n=Sum("cases"),
            v=Sum("with_violations"),
            av_late=Sum("av_late"),
            late=Sum("archive_late"),
            approvals=Sum("approvals"),
            av_gap=Sum("av_gap"),
            req=Sum("av_required"),
            cov=Sum("av_covered"),
        )
        .order_by()
    ):
        if not row["n"]:
            continue  # a group whose cases all moved on (kept at zero by the writers)
        code, handler = row["agency"], row["handler"] or None
        out.opened[code] += row["n"]
        out.flags["violations"][code] += row["v"]
        out.flags["av_late"][code] += row["av_late"]
        out.flags["approvals"][code] += row["approvals"]
        out.flags["av_gap"][code] += row["av_gap"]
        out.flags["archive_overdue"][code] += row["late"]  # and the unarchived due, below
        out.av_required[code] += row["req"]
        out.av_covered[code] += row["cov"]
        out.opened_months[row["opened_month"]] += row["n"]
        out.officer_n[handler] += row["n"]
        out.officer_v[handler] += row["v"]
    # 归档逾期 (000 art. 31, 002 art. 32): archived late (above), or not archived and due
    # before now — all of an earlier due month, none of a later one, and of now's month those
    # due before the moment.
    current = timeutil.local(now).strftime("%Y-%m")
    due_now = False
    for code, due, n in (
        ArchiveDueAggregate.objects.filter(due_month__lte=current, **months)
        .values_list("agency", "due_month")
        .annotate(n=Sum("pending"))
        .values_list("agency", "due_month", "n")
        .order_by()
    ):
        if due < current:
            out.flags["archive_overdue"][code] += n
        elif n:
            due_now = True
    if due_now:
        # The cases falling due this month before now, of the cases opened in these months:
        # from the index rows due this month, a month's cases — the deadline's range alone in
        # SQL, so that the covering index on archive_due is the one used (SQLite would scan
        # the months' rows by agency and opened_at otherwise), the rest tested here.
        wanted, since, until = set(codes), _midnight(first), _midnight(end)
        for code, opened_at in (
            CaseIndex.objects.filter(
                archive_due__gte=_midnight(_month_start(timeutil.local_date(now))),
                archive_due__lt=now,
                archived=False,
                archive_late=False,
            )
            .values_list("agency_id", "opened_at")
            .order_by()
        ):
            if code in wanted and since <= opened_at < until:
                out.flags["archive_overdue"][code] += 1
    for row in (
        ClosureAggregate.objects.filter(**months)
        .values("agency")
        .annotate(c=Sum("closed"), a=Sum("archived"), ln=Sum("lag_n"), ls=Sum("lag_sum"))
        .order_by()
    ):
        code = row["agency"]
        if row["c"]:
            out.closed[code] += row["c"]
        if row["a"]:
            out.archived[code] += row["a"]
            out.lag_n[code] += row["ln"]
            out.lag_sum[code] += row["ls"]
    for regulation, article, month, n, c in (
        ViolationAggregate.objects.filter(**months)
        .values_list("regulation", "article", "opened_month")
        .annotate(n=Sum("findings"), c=Sum("cases"))
        .values_list("regulation", "article", "opened_month", "n", "c")
        .order_by()
    ):
        if n:
            out.article_findings[(regulation, article)] += n
            out.article_cases[(regulation, article)] += c
            out.violation_months[month] += n
    for handler, category, n in (
        CategoryAggregate.objects.filter(**months)
        .values_list("handler", "category")
        .annotate(n=Sum("findings"))
        .values_list("handler", "category", "n")
        .order_by()
    ):
        if n:
            out.officer_cats.setdefault(handler or None, Counter())[category] += n
    return out


def _tally_rows(codes: list[str], since: datetime, until: datetime, now: datetime) -> Tally:
    """The counts of the cases opened (closed, archived) in ``[since, until)``, from the index
    and finding rows themselves: the days of a partial month at a period's edge (the
    aggregates are by whole month). For a whole month the same counts as the aggregates give:
    the tests hold the two to each other."""
    out = Tally()
    cases = CaseIndex.objects.filter(agency_id__in=codes)
    in_period = cases.filter(opened_at__gte=since, opened_at__lt=until)

    def between(column: str) -> QuerySet[CaseIndex]:
        return cases.filter(**{f"{column}__gte": since, f"{column}__lt": until})

    # One pass over the rows, grouped by agency, month and handler: cases opened, with
    # violations, each overdue flag, AV sums.
    for row in (
        in_period.values("agency_id", "opened_month", "handler_id")
        .annotate(
            n=Count("id"),
            av_r=Sum("av_required"),
            av_c=Sum("av_covered"),
            **{flag: Count("id", filter=_flag_q(flag, now)) for flag in COUNTED_FLAGS},
        )
        .order_by()
    ):
        code = row["agency_id"]
        out.opened[code] += row["n"]
        for flag in COUNTED_FLAGS:
            out.flags[flag][code] += row[flag]
        out.av_required[code] += row["av_r"] or 0
        out.av_covered[code] += row["av_c"] or 0
        out.opened_months[row["opened_month"]] += row["n"]
        out.officer_n[row["handler_id"]] += row["n"]
        out.officer_v[row["handler_id"]] += row["violations"]
    for code, n in between("closed_at").values_list("agency_id").annotate(n=Count("id")).order_by():
        out.closed[code] += n
    # closure → archive (archive_lag, seconds), of the cases archived in the period
    for code, n, n_lag, lag in (
        between("archived_at")
        .values_list("agency_id")
        .annotate(n=Count("id"), n_lag=Count("archive_lag"), lag=Sum("archive_lag"))
        .order_by()
    ):
        out.archived[code] += n
        out.lag_n[code] += n_lag
        out.lag_sum[code] += lag or 0

    # The findings of these cases, looked up by case (casefinding_dashboard: severity, case):
    # joined the other way, SQLite scans every violation finding and keeps those in range.
    violations = CaseFinding.objects.filter(severity=VIOLATION, case_id__in=in_period.values("id"))
    # The violations, grouped by article, month and handler: the articles (with their cases: a
    # case has one month and one handler, so the groups' distinct counts add up), the
    # violations per month; and, by handler and category, the accountability counts.
    for reg, art, month, n, c in (
        violations.values_list("regulation", "article", "case__opened_month", "case__handler_id")
        .annotate(n=Count("id"), c=Count("case_id", distinct=True))
        .values_list("regulation", "article", "case__opened_month", "n", "c")
        .order_by()
    ):
        out.article_findings[(reg, art)] += n
        out.article_cases[(reg, art)] += c
        out.violation_months[month] += n
    for handler_id, category, n in (
        violations.values_list("case__handler_id", "category").annotate(n=Count("id")).order_by()
    ):
        out.officer_cats.setdefault(handler_id, Counter())[category] += n
    return out


def figures(
    agencies: dict[str, str],
    period: Period,
    now: datetime,
    *,
    only: str = "",
    top: int | None = TOP_ARTICLES,
) -> dict[str, Any]:
    """Every figure of the dashboard for ``agencies`` (code → name) and ``period``, each with
    the drill-down URL of its cases; ``only``: one of them chosen on the page. ``top``: how
    many of the violated articles (most violated first; None: all of them, as the 评议考核
    report lists them, :mod:`lawtrail.web.report`). The counts: :func:`tally`."""
    return render(agencies, period, tally(list(agencies), period, now), only=only, top=top)


def render(
    agencies: dict[str, str],
    period: Period,
    t: Tally,
    *,
    only: str = "",
    top: int | None = TOP_ARTICLES,
) -> dict[str, Any]:
    """The figures of :func:`figures` from the counts ``t`` of the period."""
    p = {**period.params(), **({"agency": only} if only else {})}
    opened, flags, closed, archived = t.opened, t.flags, t.closed, t.archived
    officer_n, officer_v, opened_month_s = t.officer_n, t.officer_v, t.opened_months
    # the mean closure → archive lag in days, of the archived cases that have one
    lag = {code: (n, t.lag_sum[code] / n / 86400 if n else None) for code, n in t.lag_n.items()}
    av = {code: [t.av_required[code], t.av_covered[code]] for code in t.av_required}

    agency_rows = []
    for code, name in agencies.items():
        required, covered = av.get(code, [0, 0])
        n_lag, days = lag.get(code, (0, None))

        def link(on: str = "opened", flag: str | None = None, code: str = code) -> str:
            return drill_query(**{**p, "agency": code, "on": on, "flag": flag})

        agency_rows.append(
            {
                "code": code,
                "name": name,
                "opened": (opened.get(code, 0), link()),
                "closed": (closed.get(code, 0), link("closed")),
                "archived": (archived.get(code, 0), link("archived")),
                "violations": (flags["violations"].get(code, 0), link(flag="violations")),
                "av_late": (flags["av_late"].get(code, 0), link(flag="av_late")),
                "archive_overdue": (
                    flags["archive_overdue"].get(code, 0),
                    link(flag="archive_overdue"),
                ),
                "approvals": (flags["approvals"].get(code, 0), link(flag="approvals")),
                "av_gap": (flags["av_gap"].get(code, 0), link(flag="av_gap")),
                "av_required": required,
                "av_covered": covered,
                "av_rate": round(100 * covered / required, 1) if required else None,
                "archive_days": None if days is None else round(days, 1),
                "archive_days_n": (n_lag, link("archived", "archived_after_closure")),
            }
        )

    per_article = {key: [n, t.article_cases[key]] for key, n in t.article_findings.items()}
    by_month_s = t.violation_months
    ranked = sorted(per_article.items(), key=lambda kv: (-kv[1][0], kv[0][0], kv[0][1]))
    articles = [
        {
            "regulation": reg,
            "title": regulation_title(reg),
            "article": art,
            "findings": n,
            "cases": c,
            "url": drill_query(article=art, regulation=reg, **p),
        }
        for (reg, art), (n, c) in (ranked if top is None else ranked[:top])
    ]
    months = [
        {
            "month": key,
            "cases": opened_month_s.get(key, 0),
            "violations": by_month_s.get(key, 0),
            "url": drill_query(month=key, agency=only),
            "violations_url": drill_query(month=key, flag="violations", agency=only),
        }
        for key in sorted(set(by_month_s) | set(opened_month_s))
    ]

    labels = category_labels()
    officer_cats = t.officer_cats
    ids = set(officer_n) | set(officer_cats)
    # The officer's agency with the name: two agencies may each have a 刘建国.
    people = User.objects.filter(pk__in=[i for i in ids if i]).values_list(
        "pk", "username", "name", "agency_id", "agency__name"
    )
    names = {
        pk: (username, f"{name}（{agency}）" if agency else name)
        for pk, username, name, _, agency in people
    }
    # The plain name where the officer belongs to the agency shown (the report of one agency).
    plain = {
        username: name if code in agencies else names[pk][1]
        for pk, username, name, code, _ in people
    }
    officer_cases = {
        names.get(pk, (None, ""))[0] if pk else None: (
            officer_n[pk],
            officer_v[pk],
            names.get(pk, (None, ""))[1] if pk else "",
        )
        for pk in ids
    }
    officer_cats_by_name = {
        (names.get(pk, (None, ""))[0] if pk else None): cats for pk, cats in officer_cats.items()
    }
    officers: list[dict[str, Any]] = []
    for username in sorted(officer_cases, key=lambda u: (u is None, u or "")):
        n, v, name = officer_cases[username]
        cats = officer_cats_by_name.get(username, Counter())
        officers.append(
            {
                "username": username or "",
                "name": name or ("（无承办人）" if username is None else username),
                "own_name": plain.get(username or "") or name or "（无承办人）",
                "cases": (n, drill_query(handler=username, **p) if username else ""),
                "with_violations": (
                    v,
                    drill_query(handler=username, flag="violations", **p) if username else "",
                ),
                "categories": [
                    (
                        cats.get(code, 0),
                        drill_query(handler=username, category=code, **p) if username else "",
                    )
                    for code in labels
                ],
            }
        )
    return {
        "agencies": agency_rows,
        "articles": articles,
        "months": months,
        "officers": officers,
        "categories": labels,
        "category_totals": [
            (
                sum(int(o["categories"][i][0]) for o in officers),
                drill_query(category=code, **p),
            )
            for i, code in enumerate(labels)
        ],
    }


def checkpoints(agencies: dict[str, str]) -> list[dict[str, Any]]:
    """Each agency's latest signed checkpoint (size, signing time in Beijing time): the
    integrity figures of the dashboard and of the report. One indexed read per agency."""
    ledger = wiring.ledger()
    out = []
    for code, name in agencies.items():
        latest = ledger.latest_checkpoint(code)
        out.append(
            {
                "code": code,
                "name": name,
                "size": latest.size if latest else None,
                "signed_at": _signed_at(latest.signed_at) if latest else None,
            }
        )
    return out


def _signed_at(text: str) -> datetime | None:
    try:
        return timeutil.local(timeutil.parse_aware(text))
    except ValueError:
        return None


def chart_data(data: dict[str, Any]) -> dict[str, Any]:
    """The numbers the charts draw (the same as the tables'), for the JSON element, each with
    the drill-down URL of the table cell it comes from: a click on a bar or a point opens the
    cases behind it, as a click on the number does."""
    agencies = data["agencies"]
    return {
        "agencies": {
            "names": [a["name"] for a in agencies],
            **{on: [a[on][0] for a in agencies] for on in ("opened", "closed", "archived")},
            "urls": {on: [a[on][1] for a in agencies] for on in ("opened", "closed", "archived")},
        },
        "articles": {
            "labels": [f"第{a['article']}条（{a['regulation'][:3]}）" for a in data["articles"]],
            "counts": [a["findings"] for a in data["articles"]],
            "urls": [a["url"] for a in data["articles"]],
        },
        "months": {
            "labels": [m["month"] for m in data["months"]],
            "cases": [m["cases"] for m in data["months"]],
            "violations": [m["violations"] for m in data["months"]],
            "urls": {
                "cases": [m["url"] for m in data["months"]],
                "violations": [m["violations_url"] for m in data["months"]],
            },
        },
    }


def regulation_title(file_name: str) -> str:
    """The regulation's title as users know it (the packaged file's name means nothing to them)."""
    try:
        return load_regulation(file_name).title
    except (FileNotFoundError, ValueError):
        return file_name
