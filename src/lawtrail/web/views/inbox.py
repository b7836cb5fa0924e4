"""The 待办 inbox and the approval steps. Owned by the approvals work of issue #4."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lawtrail.web.models import CaseIndex
from lawtrail.web.views.common import current_user


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    cases = CaseIndex.objects.filter(agency_id=user.agency_id)
    tasks = [
        (index, task) for index in cases for task in index.pending if task["role"] in user.roles
    ]
    return render(request, "lawtrail/inbox.html", {"tasks": tasks})


@login_required
def approval_step(request: HttpRequest, pk: int, record_id: str) -> HttpResponse:
    raise Http404
