"""Case pages (list, start, detail, record forms). Owned by the case-pages work of issue #4."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lawtrail.web.models import CaseIndex
from lawtrail.web.views.common import case_for, current_user


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    cases = CaseIndex.objects.filter(agency__in=user.readable_agencies()).select_related(
        "agency", "handler"
    )
    return render(request, "lawtrail/case_list.html", {"cases": cases})


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    index = case_for(request, pk, action="view_case")
    return render(request, "lawtrail/case_detail.html", {"index": index})


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    raise Http404


@login_required
def record_new(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    raise Http404


@login_required
def record_detail(request: HttpRequest, pk: int, record_id: str) -> HttpResponse:
    raise Http404
