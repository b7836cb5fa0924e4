"""The 评议考核 report (issue #14 item 3): one agency and period as tables on a page, and the
same report downloaded as XLSX or PDF (``&format=xlsx|pdf``).

Who sees it: as the dashboard — a supervisor its supervised agencies, an agency head (批准人) its
own agency; anyone else, or an agency outside the user's scope, is refused (403) and the
refusal logged — in the log of the agency asked for, so its supervisors see the attempt. Every
download is an access entry (``download_report``) in the agency's log, like a 文书's.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from lawtrail.core import timeutil
from lawtrail.web import accessscope, actions, dashboard, report_export, wiring
from lawtrail.web.models import Agency
from lawtrail.web.report import Report, build_report
from lawtrail.web.views.common import client_ip, current_user

log = logging.getLogger("lawtrail.report")

FORMATS = {"xlsx": report_export.XLSX_TYPE, "pdf": report_export.PDF_TYPE}
TEMPLATE = "lawtrail/report/page.html"


def _has_log(agency: str) -> bool:
    return any(info.agency == agency for info in wiring.ledger().logs())


def report_agency(asked: str, agencies: dict[str, str], channel: str) -> str:
    """The agency asked for (default: the first the user may see, ``agencies`` as
    :func:`dashboard.dashboard_agencies` gives them); one outside the user's scope is refused,
    the refusal noted against that agency's log so its supervisors see the attempt."""
    code = asked.strip() or next(iter(agencies), "")
    if not code:
        raise PermissionDenied("您没有可查看的机关")
    if code not in agencies:
        if not Agency.objects.filter(code=code).exists():
            raise Http404("机关不存在")
        if _has_log(code):
            accessscope.note(accessscope.Context(code, "", "report", "", channel))
        raise PermissionDenied("该机关不在您可查看的范围内，本次尝试已记录")
    return code


@require_safe
@login_required
def report_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    agencies = dashboard.dashboard_agencies(user)  # PermissionDenied: logged by the middleware
    code = report_agency(request.GET.get("agency", ""), agencies, "web")
    now = timeutil.now()
    fmt = request.GET.get("format", "").strip()
    context: dict[str, Any] = {
        "all_agencies": agencies,
        "agency": code,
        "year": request.GET.get("year", ""),
        "month": request.GET.get("month", ""),
        "from": request.GET.get("from", ""),
        "to": request.GET.get("to", ""),
    }
    try:
        if fmt and fmt not in FORMATS:
            raise dashboard.PeriodError(f"不支持的下载格式「{fmt}」，可选 xlsx 或 pdf")
        period = dashboard.parse_period(request.GET, timeutil.local_date(now))
    except dashboard.PeriodError as exc:
        return render(request, TEMPLATE, {**context, "error": str(exc)}, status=400)
    report = build_report(code, period, now)
    if fmt:
        return _download(request, report, fmt)
    # The downloads ask for the same period as the page was asked (its label is the title's).
    asked = {k: context[k] for k in ("year", "month", "from", "to") if context[k]}
    query = urlencode({"agency": code, **asked})
    return render(
        request,
        TEMPLATE,
        {
            **context,
            "report": report,
            "sections": report_export.view(report),
            "generated": timeutil.format_local(report.generated_at),
            "query": query,
        },
    )


def _download(request: HttpRequest, report: Report, fmt: str) -> HttpResponse:
    data = report_export.xlsx_bytes(report) if fmt == "xlsx" else report_export.pdf_bytes(report)
    target = f"{fmt} {report.period.start}~{report.period.end}"
    if _has_log(report.agency):
        actions.do_log_access(
            current_user(request),
            report.agency,
            "",
            action="download_report",
            target=target,
            ip=client_ip(request),
        )
    else:  # an agency without a log has no case either: nothing to open a log for
        log.warning("report download of %s (no agency log): %s", report.agency, target)
    response = HttpResponse(data, content_type=FORMATS[fmt])
    response["Content-Length"] = str(len(data))
    return report_export.attachment(response, report_export.filename(report, fmt))
