"""Media upload (streamed), playback and download. Owned by the media work of issue #4."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


@login_required
def media_page(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


@login_required
def media_upload(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


@login_required
def media_file(request: HttpRequest, pk: int, sha256: str) -> HttpResponse:
    raise Http404
