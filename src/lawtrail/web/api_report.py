"""The 评议考核 report (issue #14 item 3) over the REST API, registered on the one API of
:mod:`lawtrail.web.api`: the same :class:`lawtrail.web.report.Report` as the page, as JSON — its
sections, each table's columns and rows of cells (numbers as numbers, times ISO 8601 with their
offset, an empty cell null). The same scope as the page: a supervisor its supervised agencies,
an agency head its own; a refusal is logged with its reason in the log of the agency asked for.
Reading it is not recorded, as viewing the page or the dashboard is not (they show counts,
never a case's content)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import P, QueryEx, Schema

from lawtrail.core import timeutil
from lawtrail.web import dashboard
from lawtrail.web.api import ApiError, _errors, api
from lawtrail.web.report import build_report
from lawtrail.web.views.common import current_user
from lawtrail.web.views.report import report_agency

_AGENCY = r"^[a-z0-9-]{1,64}$"
ReportCell = int | float | str | None
AGENCY_HELP = "机关代码；缺省为第一个可查看的机关"
FROM_HELP = "起始日期 YYYY-MM-DD（与 to 一起，或只给其一）"
TO_HELP = "截止日期 YYYY-MM-DD"
DESCRIPTION = (
    "一个机关一个期间的执法全过程记录工作评议考核报表"
    "（000 号第三十五条、002 号第三十六条：纳入依法行政及行政执法评议考核）："
    "基本情况、执法全过程记录制度执行情况、问责情形（按承办人）、责令整改、日志完整性。"
    "期间：year、month 或 from/to 之一，缺省为本年度。"
    "监督人员可查看所监督的机关，机关负责人可查看本机关。"
)


class ReportColumnOut(Schema):
    key: str
    label: str


class ReportRowOut(Schema):
    key: str
    cells: list[ReportCell]


class ReportTableOut(Schema):
    key: str
    title: str
    columns: list[ReportColumnOut]
    rows: list[ReportRowOut]
    total: ReportRowOut | None


class ReportSectionOut(Schema):
    key: str
    heading: str
    basis: str
    notes: list[str]
    tables: list[ReportTableOut]


class ReportPeriodOut(Schema):
    label: str
    start: date
    end: date


class ReportOut(Schema):
    title: str
    agency: str
    agency_name: str
    period: ReportPeriodOut
    generated_at: datetime
    sections: list[ReportSectionOut]


@api.get(
    "/report",
    response={200: ReportOut, **_errors(400, 403, 404)},
    summary="评议考核报表",
    description=DESCRIPTION,
    tags=["监督"],
)
def get_report(
    request: HttpRequest,
    agency: QueryEx[str | None, P(pattern=_AGENCY, description=AGENCY_HELP)] = None,
    year: QueryEx[str | None, P(max_length=10, description="年度，例如 2026")] = None,
    month: QueryEx[str | None, P(max_length=10, description="月份，例如 2026-06")] = None,
    start: QueryEx[str | None, P(alias="from", max_length=10, description=FROM_HELP)] = None,
    end: QueryEx[str | None, P(alias="to", max_length=10, description=TO_HELP)] = None,
) -> dict[str, Any]:
    agencies = dashboard.dashboard_agencies(current_user(request))  # 403, logged
    code = report_agency(agency or "", agencies, "api")
    now = timeutil.now()
    asked = {"year": year, "month": month, "from": start, "to": end}
    try:
        period = dashboard.parse_period(asked, timeutil.local_date(now))
    except dashboard.PeriodError as exc:
        raise ApiError(400, str(exc)) from None
    return build_report(code, period, now).as_json()
