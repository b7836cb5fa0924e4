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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.urls import reverse

from lawtrail.core import timeutil
from lawtrail.core.accountability import category_labels
from lawtrail.core.regulations import load_regulation
from lawtrail.core.rules import Severity
from lawtrail.web import wiring
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
    report lists them, :mod:`lawtrail.web.report`)."""
    codes = list(agencies)
    cases = CaseIndex.objects.filter(agency_id__in=codes)
    in_period = cases.filter(opened_at__gte=period.since, opened_at__lt=period.until)
    p = {**period.params(), **({"agency": only} if only else {})}

    def count_by_agency(qs: QuerySet[CaseIndex]) -> dict[str, int]:
        return dict(qs.values_list("agency_id").annotate(n=Count("id")).order_by())

    def between(column: str) -> QuerySet[CaseIndex]:
        return cases.filter(**{f"{column}__gte": period.since, f"{column}__lt": period.until})

    # One pass over the period's index rows, grouped by agency, month and handler: cases
    # opened, with violations, each overdue flag, AV sums. Everything per agency, per month
    # and per officer is a sum of these groups.
    opened: Counter[str] = Counter()
    flags: dict[str, Counter[str]] = {flag: Counter() for flag in FLAGS}
    av: dict[str, list[int]] = {}
    opened_month_s: Counter[str] = Counter()
    officer_n: Counter[int | None] = Counter()
    officer_v: Counter[int | None] = Counter()
    for row in (
        in_period.values("agency_id", "opened_month", "handler_id")
        .annotate(
            n=Count("id"),
            av_r=Sum("av_required"),
            av_c=Sum("av_covered"),
            **{flag: Count("id", filter=_flag_q(flag, now)) for flag in FLAGS},
        )
        .order_by()
    ):
        code = row["agency_id"]
        opened[code] += row["n"]
        for flag in FLAGS:
            flags[flag][code] += row[flag]
        sums = av.setdefault(code, [0, 0])
        sums[0] += row["av_r"] or 0
        sums[1] += row["av_c"] or 0
        opened_month_s[row["opened_month"]] += row["n"]
        officer_n[row["handler_id"]] += row["n"]
        officer_v[row["handler_id"]] += row["violations"]
    closed = count_by_agency(between("closed_at"))
    # closure → archive (archive_lag, seconds), of the cases archived in the period
    archived: dict[str, int] = {}
    lag: dict[str, tuple[int, float | None]] = {}
    for code, n, n_lag, mean in (
        between("archived_at")
        .values_list("agency_id")
        .annotate(n=Count("id"), n_lag=Count("archive_lag"), mean=Avg("archive_lag"))
        .order_by()
    ):
        archived[code] = n
        lag[code] = (n_lag, None if mean is None else mean / 86400)

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

    violations = CaseFinding.objects.filter(
        case__agency_id__in=codes,
        severity=VIOLATION,
        case__opened_at__gte=period.since,
        case__opened_at__lt=period.until,
    )
    # The period's violations, grouped by article, month and handler: the top articles (with
    # their cases: a case has one month and one handler, so the groups' distinct counts add
    # up), the violations per month; and, by handler and category, the accountability counts.
    per_article: dict[tuple[str, int], list[int]] = {}
    by_month_s: Counter[str] = Counter()
    for reg, art, month, n, c in (
        violations.values_list("regulation", "article", "case__opened_month", "case__handler_id")
        .annotate(n=Count("id"), c=Count("case_id", distinct=True))
        .values_list("regulation", "article", "case__opened_month", "n", "c")
        .order_by()
    ):
        totals = per_article.setdefault((reg, art), [0, 0])
        totals[0] += n
        totals[1] += c
        by_month_s[month] += n
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
    officer_cats: dict[int | None, Counter[str]] = {}
    for handler_id, category, n in (
        violations.values_list("case__handler_id", "category").annotate(n=Count("id")).order_by()
    ):
        officer_cats.setdefault(handler_id, Counter())[category] += n
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
