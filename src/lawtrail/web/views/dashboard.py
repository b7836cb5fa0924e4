"""The supervision dashboard (监督看板): a supervisor's supervised agencies, an agency head's own
agency — cases opened / closed / archived, violations by article and per month, overdue items,
AV coverage, closure-to-archive days, per-officer counts with the accountability categories,
and each log's integrity. Charts (ECharts, served from the project's static files) and, for the
same numbers, tables whose every figure links to the list of the cases behind it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from lawtrail.core import timeutil
from lawtrail.web import dashboard
from lawtrail.web.views.common import current_user
from lawtrail.web.witness_panel import witness_overview


@require_safe
@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    agencies = dashboard.dashboard_agencies(user)  # PermissionDenied: logged by the middleware
    now = timeutil.now()
    only = request.GET.get("agency", "").strip()
    context: dict[str, Any] = {
        "all_agencies": agencies,
        "only": only,
        "year": request.GET.get("year", ""),
        "month": request.GET.get("month", ""),
        "from": request.GET.get("from", ""),
        "to": request.GET.get("to", ""),
        # The 评议考核 report is of one agency: the one chosen, else the first of the scope.
        "report_agency": next(iter(agencies), ""),
    }
    try:
        if only and only not in agencies:
            raise dashboard.PeriodError(f"机关「{only}」不在您可查看的范围内")
        period = dashboard.parse_period(request.GET, timeutil.local_date(now))
    except dashboard.PeriodError as exc:
        return render(request, "lawtrail/dashboard/page.html", {**context, "error": str(exc)})
    shown = {only: agencies[only]} if only else agencies
    data = dashboard.figures(shown, period, now, only=only)
    checkpoints = [
        {**c, "signed_at": timeutil.format_local(c["signed_at"]) if c["signed_at"] else ""}
        for c in dashboard.checkpoints(shown)
    ]
    return render(
        request,
        "lawtrail/dashboard/page.html",
        {
            **context,
            "period": period,
            "data": data,
            "chart": dashboard.chart_data(data),
            "checkpoints": checkpoints,
            "witness": witness_overview(shown),
            "now": now,
        },
    )
