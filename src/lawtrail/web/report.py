"""The 评议考核 report (issue #14 item 3): one agency, one period, as tables.

Why a report: each agency's regulation puts the setting-up and carrying-out of the whole-process
record system into the 依法行政及行政执法评议考核 (000_3b66c95b76a62577.txt art. 35,
002_414a546ea0455888.txt art. 36), and names the situations for which the superior organ orders
correction within a time limit and holds persons responsible (000 art. 36, 002 art. 37). The
report gives the assessor those figures for one agency and period: 基本情况, 执法全过程记录制度
执行情况, 问责情形 per officer, 责令整改, 日志完整性 — and, once built, 案卷评查.

Where the figures come from: only the maintained projections, exactly as the dashboard reads
them (:mod:`lawtrail.web.dashboard` — the case index, the case findings, the order index, the
ledger's latest checkpoint, the witness service's overview). The report calls the dashboard's
functions rather than repeating their queries, so the dashboard and the report of the same
agency and period cannot disagree, and the report of 100,000 cases is a handful of indexed
``GROUP BY`` queries (benchmarks/bench_dashboard.py); it never scans ledger entries.

Shape: a :class:`Report` is a list of sections (:class:`Section`), each a list of tables
(:class:`Table`) of typed cells (numbers stay numbers for the XLSX). The HTML page, the XLSX
and the PDF (:mod:`lawtrail.web.report_export`) render any section generically, so a new
section is one function.

**Extension point.** :data:`SECTIONS` is the ordered list of section builders; each takes the
:class:`ReportContext` (agency, period, moment, the dashboard's figures computed once) and
returns a :class:`Section`. Sections are numbered (一、二、…) when rendered, from their position.
The 案卷评查 section (issue #14 item 2, built separately) is added by writing
``review_section(ctx: ReportContext) -> Section`` (its tables from its own indexed queries for
``ctx.agency`` and ``ctx.period``) and inserting it into :data:`SECTIONS` after
:func:`orders_section` (before :func:`integrity_section`); nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.db.models import Count, Q

from lawtrail import supervision
from lawtrail.core import timeutil
from lawtrail.core.regulations import load_regulation
from lawtrail.documents.formatting import chinese_ordinal
from lawtrail.web import dashboard, reviews
from lawtrail.web.models import Agency, RectificationOrder, User
from lawtrail.web.witness_panel import witness_overview

Cell = int | float | str | datetime | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int = 12  # the XLSX column's width, in characters (a CJK character counts two)


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Cell, ...]
    links: tuple[str, ...] = ()  # the drill-down of each cell on the page ("" for none)

    def link(self, i: int) -> str:
        return self.links[i] if i < len(self.links) else ""


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    total: Row | None = None  # the 合计 row, when the columns add up
    empty: str = "无"  # said when there are no rows

    def value(self, row: str, column: str) -> Cell:
        """The cell of the row ``row`` (its key; ``"total"`` the 合计 row) and column ``column``."""
        i = next(i for i, c in enumerate(self.columns) if c.key == column)
        rows = [*self.rows, *([self.total] if self.total else [])]
        return next(r for r in rows if r.key == row).cells[i]


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # without its number: 基本情况
    tables: tuple[Table, ...]
    basis: str = ""  # the regulation's words the section answers to
    notes: tuple[str, ...] = ()

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


@dataclass(frozen=True)
class Report:
    agency: str
    agency_name: str
    period: dashboard.Period
    generated_at: datetime  # Asia/Shanghai
    sections: tuple[Section, ...]

    @property
    def title(self) -> str:
        return f"{self.agency_name}执法全过程记录工作评议考核报表（{self.period.label}）"

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def numbered(self) -> list[tuple[str, Section]]:
        """The sections with their headings: 一、基本情况 …"""
        return [(f"{chinese_ordinal(i)}、{s.title}", s) for i, s in enumerate(self.sections, 1)]

    def as_json(self) -> dict[str, Any]:
        """The report as JSON data (times ISO 8601 with their offset, empty cells null)."""

        def cell(value: Cell) -> Any:
            return value.isoformat() if isinstance(value, datetime) else value

        def row(r: Row) -> dict[str, Any]:
            return {"key": r.key, "cells": [cell(v) for v in r.cells]}

        return {
            "title": self.title,
            "agency": self.agency,
            "agency_name": self.agency_name,
            "period": {
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "generated_at": self.generated_at.isoformat(),
            "sections": [
                {
                    "key": s.key,
                    "heading": heading,
                    "basis": s.basis,
                    "notes": list(s.notes),
                    "tables": [
                        {
                            "key": t.key,
                            "title": t.title,
                            "columns": [{"key": c.key, "label": c.label} for c in t.columns],
                            "rows": [row(r) for r in t.rows],
                            "total": row(t.total) if t.total else None,
                        }
                        for t in s.tables
                    ],
                }
                for heading, s in self.numbered()
            ],
        }


@dataclass(frozen=True)
class ReportContext:
    """What every section builder gets: the agency, the period, the moment the report is made
    (overdue facts are as of it) and the dashboard's figures of this agency and period (all
    violated articles, not only the top ones), computed once."""

    agency: str
    agency_name: str
    regulation: str  # the agency's regulation file (core/data/regulations)
    period: dashboard.Period
    now: datetime
    figures: dict[str, Any] = field(repr=False)

    @property
    def row(self) -> dict[str, Any]:
        """The dashboard's row of this agency (its case counts, flags, AV and archive sums)."""
        rows: list[dict[str, Any]] = self.figures["agencies"]
        return rows[0]


SectionBuilder = Callable[[ReportContext], Section]


# ---------------------------------------------------------------------------- citations


@cache
def _articles_saying(regulation: str, words: str) -> tuple[int, ...]:
    """The numbers of the agency's articles that contain ``words``: the same rule has a
    different number in each regulation (000 art. 35 is 002 art. 36)."""
    try:
        articles = load_regulation(regulation).articles
    except (FileNotFoundError, ValueError):
        return ()
    return tuple(a.number for a in articles.values() if words in a.text)


def _cite(ctx: ReportContext, words: str, what: str) -> str:
    """The citation 《title》第N条：what of the agency's article saying ``words`` ("" if none)."""
    numbers = _articles_saying(ctx.regulation, words)
    if not numbers:
        return ""
    title = dashboard.regulation_title(ctx.regulation)
    return f"《{title}》第{chinese_ordinal(numbers[0])}条：{what}"


def _where(ctx: ReportContext, words: str) -> str:
    """The agency's articles containing ``words``, as （第十二条、第十四条） ("" if none)."""
    numbers = _articles_saying(ctx.regulation, words)
    return f"（{'、'.join(f'第{chinese_ordinal(n)}条' for n in numbers)}）" if numbers else ""


# ---------------------------------------------------------------------------- sections


def basic_section(ctx: ReportContext) -> Section:
    """基本情况: the cases opened, closed and archived in the period (each by its own time)."""
    a = ctx.row
    rows = [
        Row("opened", ("立案", a["opened"][0], "立案时间在本期间内"), ("", a["opened"][1])),
        Row("closed", ("终结", a["closed"][0], "终结时间在本期间内"), ("", a["closed"][1])),
        Row("archived", ("归档", a["archived"][0], "归档时间在本期间内"), ("", a["archived"][1])),
    ]
    return Section(
        "basic",
        "基本情况",
        (
            Table(
                "cases",
                "案件数",
                (
                    Column("item", "项目", 14),
                    Column("count", "案件数", 10),
                    Column("basis", "统计口径", 36),
                ),
                tuple(rows),
            ),
        ),
        basis=_cite(
            ctx,
            "评议考核",
            "将行政执法全过程记录制度的建立和实施情况纳入依法行政及行政执法评议考核",
        ),
    )


def recording_section(ctx: ReportContext) -> Section:
    """执法全过程记录制度执行情况: the rule engine's violations by article (with the
    regulation's title), AV coverage of the acts that require it, AV stored late, archiving
    late, approvals pending, days from closure to archive — of the cases opened in the period
    (the closure-to-archive days: of the cases archived in it)."""
    a = ctx.row
    articles = ctx.figures["articles"]
    findings = sum(int(x["findings"]) for x in articles)
    n_lag, lag_url = a["archive_days_n"]
    # The requirement each figure measures, with the agency's articles that state it (000: art.
    # 12, 14, 29 AV 应同时进行音像记录; art. 31 AV 不得自行保管 … 24小时内 and 终结之日起 30日内
    # 归档; art. 37 内部审批 — 002: art. 13, 15, 30; 32; 32; 38).
    av = _where(ctx, "应同时进行音像记录")
    stored = _where(ctx, "不得自行保管")
    archive = _where(ctx, "终结之日起")
    approval = _where(ctx, "全程记录内部审批")
    indicators = [
        ("violations", "有违规项的案件", a["violations"], "立案于本期间、经规则检查有违规项"),
        ("findings", "违规项", (findings, ""), "上述案件的违规项合计（见下表）"),
        (
            "av_required",
            "应音像记录的执法行为",
            (a["av_required"], ""),
            f"依办法应同时进行音像记录的执法行为{av}",
        ),
        ("av_covered", "已音像记录的执法行为", (a["av_covered"], ""), "有相应的音像记录"),
        ("av_rate", "音像记录覆盖率（%）", (a["av_rate"], ""), "已音像记录 ÷ 应音像记录"),
        ("av_gap", "音像记录未全覆盖的案件", a["av_gap"], "至少一项应音像记录的行为没有记录"),
        (
            "av_late",
            "音像记录未按时存储的案件",
            a["av_late"],
            f"音像资料未在规定时限内存储{stored}",
        ),
        (
            "archive_overdue",
            "归档逾期的案件",
            a["archive_overdue"],
            f"终结后未在规定期限内归档，含已逾期尚未归档{archive}",
        ),
        (
            "approvals",
            "内部审批待办的案件",
            a["approvals"],
            f"截至报表生成时内部审批尚未完成{approval}",
        ),
        (
            "archive_days",
            "终结至归档平均天数",
            (a["archive_days"], lag_url),
            f"归档于本期间的案件（{n_lag} 件）",
        ),
    ]
    overview = Table(
        "indicators",
        "执行情况",
        (
            Column("item", "项目", 26),
            Column("value", "数值", 10),
            Column("basis", "统计口径", 40),
        ),
        tuple(Row(key, (label, v[0], note), ("", v[1])) for key, label, v, note in indicators),
    )
    by_article = Table(
        "articles",
        "违规条款",
        (
            Column("regulation", "办法", 44),
            Column("article", "条款", 10),
            Column("findings", "违规项", 10),
            Column("cases", "涉及案件", 10),
        ),
        tuple(
            Row(
                f"{x['regulation']}#{x['article']}",
                (x["title"], f"第{x['article']}条", x["findings"], x["cases"]),
                ("", "", x["url"], x["url"]),
            )
            for x in articles
        ),
        total=Row("total", ("合计", None, findings, None)) if articles else None,
        empty="本期间没有违规项",
    )
    return Section(
        "recording",
        "执法全过程记录制度执行情况",
        (overview, by_article),
        notes=(
            "违规项由规则引擎依本机关的执法全过程记录办法逐案检查得出，"
            "随每次记录写入更新，并由账本核验（账本完整性与索引一致性核验）核对。",
        ),
    )


def accountability_section(ctx: ReportContext) -> Section:
    """问责情形 per officer: the period's violations of each officer's cases by the five
    categories of 000 art. 36 / 002 art. 37 (core/data/art36_categories.toml maps each rule).

    Findings are attributed to the case's handler (承办人): the regulations make the handler
    the one who proposes and carries out each enforcement step and records it (000 art. 37,
    002 art. 38: 明确承办人、审核人、批准人 …由承办人提出意见和理由), so a record not made or
    not made as required is first the handler's to answer for; and the handler is the one
    person every case has (a reviewer or approver signs some of its records only). The count
    is where to look, not a finding of personal fault: 000 art. 36 / 002 art. 37 discipline
    直接负责的主管人员和其他责任人员 only where 情节严重或造成严重后果 — a judgment of the
    facts that the count does not make."""
    labels: dict[str, str] = ctx.figures["categories"]
    officers = ctx.figures["officers"]
    columns = (
        Column("officer", "承办人", 16),
        Column("cases", "立案", 8),
        Column("with_violations", "有违规案件", 12),
        *(Column(code, label, 14) for code, label in labels.items()),
        Column("total", "合计", 8),
    )
    rows = []
    sums = [0] * (len(columns) - 1)
    for o in officers:
        counts = [int(n) for n, _ in o["categories"]]
        numbers = [int(o["cases"][0]), int(o["with_violations"][0]), *counts, sum(counts)]
        sums = [a + b for a, b in zip(sums, numbers, strict=True)]
        rows.append(
            Row(
                o["username"] or "-",
                (o["own_name"], *numbers),
                ("", o["cases"][1], o["with_violations"][1], *(u for _, u in o["categories"])),
            )
        )
    return Section(
        "accountability",
        "问责情形（按承办人）",
        (
            Table(
                "officers",
                "承办人问责情形统计",
                columns,
                tuple(rows),
                total=Row("total", ("合计", *sums)) if rows else None,
                empty="本期间没有案件",
            ),
        ),
        basis=_cite(
            ctx,
            "责令限期整改",
            "实施执法全过程记录中有所列情形之一的，由上级行政机关或有关部门责令限期整改",
        ),
        notes=(
            "违规项按立案于本期间的案件统计，归于案件的承办人；每条规则的问责情形归类见"
            " core/data/art36_categories.toml。统计数是问责的线索，不是对个人责任的认定。",
        ),
    )


def order_counts(agency: str, period: dashboard.Period, now: datetime) -> dict[str, list[int]]:
    """The 责令限期整改 orders issued to ``agency`` in ``period``, by category: [issued,
    answered, overdue (open after the due day, as :meth:`supervision.Order.overdue`), open and
    not yet due] as of ``now`` — one ``GROUP BY`` on the order index."""
    today = timeutil.local_date(now)
    out: dict[str, list[int]] = {}
    for category, n, answered, overdue in (
        RectificationOrder.objects.filter(
            agency_id=agency, issued_at__gte=period.since, issued_at__lt=period.until
        )
        .values_list("category")
        .annotate(
            n=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            overdue=Count("id", filter=Q(answered_at__isnull=True, due__lt=today)),
        )
        .values_list("category", "n", "answered", "overdue")
        .order_by()
    ):
        out[category] = [n, answered, overdue, n - answered - overdue]
    return out


def orders_section(ctx: ReportContext) -> Section:
    """责令整改: the orders of the period by category (000 art. 36 / 002 art. 37 (一)–(五))."""
    counts = order_counts(ctx.agency, ctx.period, ctx.now)
    categories = dict(supervision.CATEGORIES)
    for extra in sorted(set(counts) - set(categories)):  # a category the code no longer offers
        categories[extra] = extra
    rows = tuple(
        Row(code, (label, *counts.get(code, [0, 0, 0, 0]))) for code, label in categories.items()
    )
    sums = [sum(c[i] for c in counts.values()) for i in range(4)]
    return Section(
        "orders",
        "责令整改",
        (
            Table(
                "orders",
                "责令限期整改情况",
                (
                    Column("category", "类别", 44),
                    Column("issued", "责令整改", 10),
                    Column("answered", "已答复", 10),
                    Column("overdue", "逾期未答复", 12),
                    Column("open", "未到期待整改", 14),
                ),
                rows,
                total=Row("total", ("合计", *sums)),
            ),
        ),
        notes=("按责令时间统计本期间的责令整改；答复与逾期情况截至报表生成时。",),
    )


def integrity_section(ctx: ReportContext) -> Section:
    """日志完整性: the agency log's latest signed checkpoint and the witness's latest
    cosignature and open alerts — what the dashboard shows (:func:`dashboard.checkpoints`,
    :func:`lawtrail.web.witness_panel.witness_overview`)."""
    latest = dashboard.checkpoints({ctx.agency: ctx.agency_name})[0]
    witness = witness_overview({ctx.agency: ctx.agency_name})
    notes: list[str] = []
    log: dict[str, Any] = {}
    alerts: list[dict[str, Any]] = []
    if not witness["configured"]:
        notes.append("见证服务未配置：无法取得联署与告警情况。")
    elif not witness["reachable"]:
        notes.append(f"见证服务不可达：{witness['error']}")
    else:
        log = next(iter(witness["logs"]), {})
        if not log:
            notes.append("见证服务未跟随本机关的日志。")
        alerts = witness["unresolved"]
    state = Table(
        "log",
        "日志状态",
        (
            Column("item", "项目", 22),
            Column("value", "数值", 22),
        ),
        (
            Row("checkpoint_size", ("最新签名检查点（条）", latest["size"])),
            Row("checkpoint_at", ("检查点签名时间", latest["signed_at"])),
            Row("cosigned_size", ("最新联署检查点（条）", log.get("cosigned_size"))),
            Row("cosigned_at", ("联署时间", log.get("cosigned_at"))),
            Row("alerts", ("未处理的见证告警", len(alerts) if witness.get("reachable") else None)),
        ),
    )
    open_alerts = Table(
        "alerts",
        "未处理的见证告警",
        (
            Column("label", "告警", 18),
            Column("message", "内容", 50),
            Column("raised_at", "首次发现", 18),
            Column("count", "次数", 8),
        ),
        tuple(
            Row(str(x["id"]), (x["label"], x["message"], x["raised_at"], x["count"]))
            for x in alerts
        ),
        empty="无",
    )
    return Section(
        "integrity",
        "日志完整性",
        (state, open_alerts),
        notes=(
            *notes,
            "检查点由本机关的签名密钥签署；联署由监督机关的见证服务作出，证明其所见日志未被改写。",
        ),
    )


def review_section(ctx: ReportContext) -> Section:
    """案卷评查: the supervising body's samplings of this agency whose period lies within the
    report's, the current sheet of each reviewed case (a re-score replaces the earlier sheet),
    the grades, and the agency's place in the ranking of all agencies reviewed in the period
    (by average score, ties by fewer 不合格: :func:`reviews.ranking`)."""
    samplings = list(
        reviews.samplings_in([ctx.agency], ctx.period).order_by("sampled_at", "sampling_id")
    )
    sheets = list(
        reviews.current_reviews(s.sampling_id for s in samplings).order_by(
            "case_number", "sheet_id"
        )
    )
    names = dict(
        User.objects.filter(username__in={r.reviewed_by for r in sheets}).values_list(
            "username", "name"
        )
    )
    reviewed_in = {s.sampling_id: 0 for s in samplings}
    for sheet in sheets:
        reviewed_in[sheet.sampling_id] = reviewed_in.get(sheet.sampling_id, 0) + 1
    sampled = Table(
        "samplings",
        "抽取情况",
        (
            Column("sampling", "抽取编号", 20),
            Column("period", "评查期间", 24),
            Column("population", "已终结案件", 12),
            Column("percent", "抽取比例（%）", 14),
            Column("selected", "抽中案件", 10),
            Column("reviewed", "已评查", 10),
            Column("sampled_at", "抽取时间", 18),
        ),
        tuple(
            Row(
                s.sampling_id,
                (
                    s.sampling_id,
                    s.period_label,
                    s.population,
                    s.percent,
                    len(s.selected or []),
                    reviewed_in.get(s.sampling_id, 0),
                    timeutil.local(s.sampled_at),
                ),
            )
            for s in samplings
        ),
        empty="本期间未抽取本机关案卷",
    )
    results = Table(
        "sheets",
        "评查结果",
        (
            Column("case", "案号", 26),
            Column("total", "得分", 8),
            Column("grade", "等级", 8),
            Column("vetoes", "一票否决项", 12),
            Column("reviewer", "评查人", 10),
            Column("reviewed_at", "评查时间", 18),
        ),
        tuple(
            Row(
                r.sheet_id,
                (
                    r.case_number,
                    r.total,
                    r.grade,
                    r.vetoes,
                    names.get(r.reviewed_by) or r.reviewed_by,
                    timeutil.local(r.reviewed_at),
                ),
            )
            for r in sheets
        ),
        empty="本期间无评查结果",
    )
    agencies = dict(Agency.objects.values_list("code", "name"))
    ranks = [r for r in reviews.ranking(agencies, ctx.period) if r.reviewed]
    place = next((i + 1 for i, r in enumerate(ranks) if r.agency == ctx.agency), None)
    mine = next((r for r in ranks if r.agency == ctx.agency), None)
    summary = Table(
        "summary",
        "评查汇总",
        (Column("item", "项目", 30), Column("value", "数值", 14)),
        (
            Row("reviewed", ("已评查案卷（件）", len(sheets))),
            Row("average", ("平均得分", mine.average if mine else None)),
            *(
                Row(f"grade_{g}", (f"{g}（件）", mine.grades.get(g, 0) if mine else 0))
                for g in reviews.GRADE_ORDER
            ),
            Row("vetoes", ("有一票否决项的案卷（件）", mine.vetoes if mine else 0)),
            Row(
                "rank",
                (
                    "在本期间被评查机关中的排名",
                    f"第 {place} 名（共 {len(ranks)} 个机关）" if place else "本期间未评查",
                ),
            ),
        ),
    )
    return Section(
        "review",
        "案卷评查",
        (summary, sampled, results),
        basis=_cite(ctx, "评议考核", "执法全过程记录制度的建立和执行情况纳入评议考核"),
        notes=(
            "案卷按抽取记录中的随机种子从本期间已终结的案件中抽取，可复核；评分表记入监督机关的账本。"
            "一票否决的案卷为不合格；同一案卷重新评分的，以最后一次为准。",
        ),
    )


# The sections, in the report's order.
SECTIONS: list[SectionBuilder] = [
    basic_section,
    recording_section,
    accountability_section,
    orders_section,
    review_section,
    integrity_section,
]


def build_report(agency: str, period: dashboard.Period, now: datetime) -> Report:
    """The report of ``agency`` for ``period`` as of ``now``. The caller checks the user's scope
    (:func:`dashboard.dashboard_agencies`)."""
    row = Agency.objects.values_list("name", "regulation").get(code=agency)
    name, regulation = row
    figures = dashboard.figures({agency: name}, period, now, only=agency, top=None)
    ctx = ReportContext(agency, name, regulation, period, now, figures)
    return Report(
        agency=agency,
        agency_name=name,
        period=period,
        generated_at=timeutil.local(now),
        sections=tuple(build(ctx) for build in SECTIONS),
    )
