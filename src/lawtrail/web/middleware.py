"""A Content-Security-Policy for every response: only the project's own scripts, styles, fonts
and media may load (no CDN, promise 3), and injected inline script cannot run. And the access
log of every request, refusals included (:class:`AccessLogMiddleware`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse

from lawtrail.web import accessscope

log = logging.getLogger("lawtrail.access")

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Swagger UI (django-ninja's own static copy) configures itself with an inline script and styles.
DOCS_POLICY = POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)

# The dashboard's charts (ECharts, vendored) position and colour their elements with style
# attributes: allowed there as attributes only (CSP level 3 ``style-src-attr``) — no inline
# <style> element and no script, which stay refused as everywhere.
CHART_POLICY = f"{POLICY}; style-src-attr 'unsafe-inline'"
CHART_PATHS = ("/supervision/dashboard/",)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/docs"):
            policy = DOCS_POLICY
        elif request.path.startswith(CHART_PATHS):
            policy = CHART_POLICY
        else:
            policy = POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


# ---------------------------------------------------------------------------- the access log

DEFAULT_REFUSAL = "您无权执行此操作"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def refused(request: HttpRequest, reason: str) -> None:
    """The request was refused with ``reason`` (the Chinese message the user is shown): logged,
    refused, when the request ends (:class:`AccessLogMiddleware`) — or now, outside one."""
    scope = accessscope.current()
    if scope is not None:
        scope.refusal = reason or DEFAULT_REFUSAL
        return
    _write(request, accessscope.Scope(refusal=reason or DEFAULT_REFUSAL), None)


class AccessLogMiddleware:
    """Writes each request's access entries when it ends, refusals included (see
    :mod:`lawtrail.web.accessscope`). A refusal is an exception — Django's or the shell's
    ``PermissionDenied``, or :class:`lawtrail.services.ActRefused` (answered 403 here) — or a 403
    answer; the API's exception handlers report theirs with :func:`refused`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = accessscope.begin(defer_allowed=request.method not in SAFE_METHODS)
        response: HttpResponse | None = None
        try:
            response = self.get_response(request)
        finally:
            scope = accessscope.end(token)
            _write(request, scope, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from lawtrail import services
        from lawtrail.web import actions
        from lawtrail.web.views.errors import forbidden

        if isinstance(exception, DjangoPermissionDenied):
            refused(request, str(exception))
            return None  # Django answers with handler403
        if isinstance(exception, (actions.PermissionDenied, services.ActRefused)):
            refused(request, str(exception))
            return forbidden(request, exception)
        return None


def _reason_of(response: HttpResponse) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            data = json.loads(response.content)
        except (ValueError, AttributeError):
            data = None
        if isinstance(data, dict):
            for key in ("detail", "error"):
                if isinstance(data.get(key), str) and data[key]:
                    return str(data[key])
    return DEFAULT_REFUSAL


def _write(request: HttpRequest, scope: accessscope.Scope, response: HttpResponse | None) -> None:
    from lawtrail.web import actions

    refusal = scope.refusal
    looked_up = bool(scope.accesses) or scope.context is not None
    if refusal is None and looked_up and response is not None and response.status_code == 403:
        # A view that answered 403 itself (a JSON error of the upload): a refusal too. A 403
        # before any view looked a case up (CSRF) refused nothing of a case and is not logged.
        refusal = _reason_of(response)
    if refusal is None:
        for a in scope.accesses:
            actions.do_log_access(
                a.user,
                a.agency,
                a.case_number,
                action=a.action,
                target=a.target,
                allowed=a.allowed,
                ip=a.ip,
                channel=a.channel,
                reason=a.reason,
            )
        return
    denied = [a for a in scope.accesses if not a.allowed]
    if denied:  # the view logged its refusal: with the reason the user was shown
        for a in denied:
            actions.do_log_access(
                a.user,
                a.agency,
                a.case_number,
                action=a.action,
                target=a.target,
                allowed=False,
                ip=a.ip,
                channel=a.channel,
                reason=a.reason or refusal,
            )
        return
    # A read noted "allowed" before the act was refused is not what happened: the act was.
    _write_refusal(request, scope.context or _context_from_url(request), refusal)


def _write_refusal(request: HttpRequest, context: accessscope.Context | None, reason: str) -> None:
    from lawtrail.web import actions
    from lawtrail.web.models import User

    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return
    if context is None:
        # Not about a case (a page only some roles see, opening a case): the refusal goes to
        # the log of the user's own agency, without a case number.
        from lawtrail.web import wiring

        # Only into a log that exists (read afresh: a refused first case of an agency rolled
        # its new log back, which the ledger's cache of logs does not know).
        if not user.agency_id or all(i.agency != user.agency_id for i in wiring.ledger().logs()):
            log.warning("access denied (no agency log): %s %s", user.username, request.path)
            return
        match = getattr(request, "resolver_match", None)
        action = (match.url_name if match else "") or "request"
        context = accessscope.Context(user.agency_id, "", action, "", _channel(request))
    actions.do_log_access(
        user,
        context.agency,
        context.case_number,
        action=context.action,
        target=context.target,
        allowed=False,
        ip=str(request.META.get("REMOTE_ADDR", "")),
        channel=context.channel,
        reason=reason,
    )


def _channel(request: HttpRequest) -> str:
    return "api" if request.path.startswith("/api/") else "web"


def _context_from_url(request: HttpRequest) -> accessscope.Context | None:
    """The case the URL names (``pk`` of the pages, ``case_id`` of the API), if it exists."""
    from lawtrail.web.models import CaseIndex

    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    route = str(match.route)
    if route.startswith("cases/<int:pk>"):
        raw = match.kwargs.get("pk")
    elif route.startswith("api/") and "case_id" in match.kwargs:
        raw = match.kwargs.get("case_id")
    else:
        return None
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    if not 1 <= pk <= 2**31 - 1:
        return None
    index = CaseIndex.objects.filter(pk=pk).first()
    if index is None:
        return None
    target = str(match.kwargs.get("record_id") or match.kwargs.get("sha256") or "")
    return accessscope.Context(
        index.agency_id,
        index.case_number,
        match.url_name or "request",
        target[:64],
        _channel(request),
    )
