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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse

from lawtrail.core import timeutil
from lawtrail.core.accountability import category_labels
from lawtrail.core.rules import Severity
from lawtrail.web.models import Agency, CaseFinding, CaseIndex, User
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
        said.append(f"机关 {agency}")
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
        said.append(f"承办人 {handler}")
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


def figures(
    agencies: dict[str, str], period: Period, now: datetime, *, only: str = ""
) -> dict[str, Any]:
    """Every figure of the dashboard for ``agencies`` (code → name) and ``period``, each with
    the drill-down URL of its cases; ``only``: one of them chosen on the page."""
    codes = list(agencies)
    cases = CaseIndex.objects.filter(agency_id__in=codes)
    in_period = cases.filter(opened_at__gte=period.since, opened_at__lt=period.until)
    p = {**period.params(), **({"agency": only} if only else {})}

    def count_by_agency(qs: QuerySet[CaseIndex]) -> dict[str, int]:
        return dict(qs.values_list("agency_id").annotate(n=Count("id")).order_by())

    def between(column: str) -> QuerySet[CaseIndex]:
        return cases.filter(**{f"{column}__gte": period.since, f"{column}__lt": period.until})

    opened = count_by_agency(in_period)
    closed = count_by_agency(between("closed_at"))
    archived = count_by_agency(between("archived_at"))
    flags = {flag: count_by_agency(in_period.filter(_flag_q(flag, now))) for flag in FLAGS}
    av = {
        row[0]: (row[1] or 0, row[2] or 0)
        for row in in_period.values_list("agency_id")
        .annotate(r=Sum("av_required"), c=Sum("av_covered"))
        .order_by()
    }
    # closure → archive: in days, of the cases archived in the period (closed before)
    lag: dict[str, list[float]] = {}
    for code, closed_at, archived_at in (
        between("archived_at")
        .filter(closed_at__isnull=False)
        .values_list("agency_id", "closed_at", "archived_at")
    ):
        lag.setdefault(code, []).append((archived_at - closed_at).total_seconds() / 86400)

    agency_rows = []
    for code, name in agencies.items():
        required, covered = av.get(code, (0, 0))
        days = lag.get(code, [])

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
                "archive_days": round(sum(days) / len(days), 1) if days else None,
                "archive_days_n": (len(days), link("archived", "archived_after_closure")),
            }
        )

    violations = CaseFinding.objects.filter(
        case__agency_id__in=codes,
        severity=VIOLATION,
        case__opened_at__gte=period.since,
        case__opened_at__lt=period.until,
    )
    articles = [
        {
            "regulation": reg,
            "article": art,
            "findings": n,
            "cases": c,
            "url": drill_query(article=art, regulation=reg, **p),
        }
        for reg, art, n, c in violations.values_list("regulation", "article")
        .annotate(n=Count("id"), c=Count("case_id", distinct=True))
        .order_by("-n", "regulation", "article")[:TOP_ARTICLES]
    ]
    months = []
    by_month = dict(
        violations.annotate(m=TruncMonth("case__opened_at", tzinfo=timeutil.SHANGHAI))
        .values_list("m")
        .annotate(n=Count("id"))
        .order_by()
    )
    opened_month = dict(
        in_period.annotate(m=TruncMonth("opened_at", tzinfo=timeutil.SHANGHAI))
        .values_list("m")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_month_s = _month_keyed(by_month)
    opened_month_s = _month_keyed(opened_month)
    for key in sorted(set(by_month_s) | set(opened_month_s)):
        months.append(
            {
                "month": key,
                "cases": opened_month_s.get(key, 0),
                "violations": by_month_s.get(key, 0),
                "url": drill_query(month=key, agency=only),
                "violations_url": drill_query(month=key, flag="violations", agency=only),
            }
        )

    labels = category_labels()
    officer_cases = {
        row[0]: (row[2], row[3], row[1])
        for row in in_period.values_list("handler__username", "handler__name")
        .annotate(n=Count("id"), v=Count("id", filter=Q(violations__gt=0)))
        .order_by()
    }
    officer_cats: dict[str | None, dict[str, int]] = {}
    for username, category, n in (
        violations.values_list("case__handler__username", "category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        officer_cats.setdefault(username, {})[category] = n
    officers: list[dict[str, Any]] = []
    for username in sorted(
        set(officer_cases) | set(officer_cats), key=lambda u: (u is None, u or "")
    ):
        n, v, name = officer_cases.get(username, (0, 0, ""))
        cats = officer_cats.get(username, {})
        officers.append(
            {
                "username": username or "",
                "name": name or ("（无承办人）" if username is None else username),
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


def _month_keyed(counts: dict[Any, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, n in counts.items():
        local = timeutil.local(key) if isinstance(key, datetime) else None
        label = local.strftime("%Y-%m") if local else str(key)[:7]
        out[label] = out.get(label, 0) + n
    return out


def chart_data(data: dict[str, Any]) -> dict[str, Any]:
    """The numbers the charts draw (the same as the tables'), for the JSON element."""
    return {
        "agencies": {
            "names": [a["name"] for a in data["agencies"]],
            "opened": [a["opened"][0] for a in data["agencies"]],
            "closed": [a["closed"][0] for a in data["agencies"]],
            "archived": [a["archived"][0] for a in data["agencies"]],
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
        },
    }
