"""A test-only URL map: the site's, plus views that fail, to reach the 400 and 500 handlers the
way a real failure does (through Django's request handling, not by calling them)."""

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from lawtrail.web import urls as site


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view (test)")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a malformed request (test)")


urlpatterns = [
    path("test-only/boom/", boom),
    path("test-only/suspicious/", suspicious),
    # before the API's own catch-all: an /api/ path that fails outside django-ninja
    path("api/test-only/boom/", boom),
    *site.urlpatterns,
]

handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500
