"""The supervisor's access log. Owned by the approvals/supervision work of issue #4."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    raise Http404
