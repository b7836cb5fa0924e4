"""What every page shares: the navigation, the client address, and the one way a view gets a
case — which checks the user may read it and logs the access (or the refused attempt)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest
from django.shortcuts import redirect

from lawtrail.core import timeutil
from lawtrail.web import accessscope, actions, inbox_index, rowload
from lawtrail.web.models import Agency, CaseIndex, User
from lawtrail.web.roles import APPROVER, ROLE_LABELS, SUPERVISOR


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    assert isinstance(user, User)
    # The inbox's counts on every page: two indexed COUNTs (lawtrail.web.inbox_index), unless
    # the page has read them already with its other figures (the case page: web.pagecache).
    tasks, overdue = inbox_index.request_counts(request, user, timeutil.now())
    # A record submitted from a form on the previous request: its page tells the browser to
    # drop what drafts.js kept of that form locally (record_new sets it on success).
    done = request.session.pop("draft_done", "") if hasattr(request, "session") else ""
    return {
        "nav_draft_done": done,
        "nav_tasks": tasks,
        "nav_tasks_overdue": overdue,
        "nav_roles": "、".join(ROLE_LABELS[r] for r in user.roles if r in ROLE_LABELS),
        "nav_is_supervisor": user.has_role(SUPERVISOR),
        "nav_sees_witness": user.has_role(SUPERVISOR) or user.has_role(APPROVER),
        # 责令限期整改: the supervisors and the agencies' heads
        "nav_sees_orders": user.has_role(SUPERVISOR) or user.has_role(APPROVER),
        # 案卷评查: the supervisors score, the agencies' heads read their own
        "nav_sees_reviews": user.has_role(SUPERVISOR) or user.has_role(APPROVER),
        "nav_agency": _nav_agency(user),
    }


def _nav_agency(user: User) -> str:
    """The user's agency's name: from the row loaded with the user (signin.UserBackend),
    else read."""
    if not user.agency_id:
        return ""
    if User.agency.is_cached(user):
        return user.agency.name if user.agency is not None else ""
    return agency_name(user.agency_id)


def agency_name(code: str) -> str:
    """The agency's name for the navigation (one primary-key read; through the ORM's related
    object it cost a quarter of a millisecond on every page, issue #18)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {Agency._meta.db_table} WHERE code = %s", [code])
        row = cursor.fetchone()
    return str(row[0]) if row is not None else ""


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "login_required guards every view"
    return user


def _case(pk: int, *, related: bool = True) -> CaseIndex:
    if not related:
        # The row alone, read as SQL (lawtrail.web.rowload): through the ORM, building the
        # query cost the case page more than running it (issue #18).
        quote = connection.ops.quote_name
        table, key = quote(CaseIndex._meta.db_table), quote(CaseIndex._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {rowload.columns(CaseIndex)} FROM {table} WHERE {table}.{key} = %s", [pk]
            )
            row = cursor.fetchone()
        if row is None:
            raise Http404("案件不存在")
        return rowload.instance(CaseIndex, row)
    try:
        return CaseIndex.objects.select_related("agency", "handler").get(pk=pk)
    except CaseIndex.DoesNotExist:
        raise Http404("案件不存在") from None


def note_access(agency: str, case_number: str, action: str, target: str = "") -> None:
    """Name what this web request reads, for the access log the middleware writes (or the
    refusal it logs): a page about an agency's work that is not a case page (orders, reviews)."""
    accessscope.note(accessscope.Context(agency, case_number, action, target, "web"))


def log_access(
    request: HttpRequest, agency: str, case_number: str, action: str, target: str
) -> None:
    """Append an access entry for this request to the agency's log now (a read the page makes
    itself, e.g. of one order)."""
    actions.do_log_access(
        current_user(request),
        agency,
        case_number,
        action=action,
        target=target,
        ip=client_ip(request),
    )


def _note(index: CaseIndex, action: str, target: str, channel: str) -> None:
    accessscope.note(
        accessscope.Context(index.agency_id, index.case_number, action, target, channel)
    )


def case_for(
    request: HttpRequest,
    pk: int,
    *,
    action: str,
    target: str = "",
    channel: str = "web",
    related: bool = True,
) -> CaseIndex:
    """The case ``pk`` if the user may read it; every call is an access in the ledger.

    A user of another agency gets 403 and the attempt is logged, refused, in the ledger of the
    agency whose case it was (its supervisors see it) — never the case itself. The refusal is
    logged by the one mechanism for all refusals (:mod:`lawtrail.web.accessscope`, written by
    :class:`lawtrail.web.middleware.AccessLogMiddleware`), with the message as its reason.

    ``related=False``: the row alone, its agency and handler read only if used (the case
    page, whose content is mostly kept: issue #18).
    """
    index = _case(pk, related=related)
    user = current_user(request)
    _note(index, action, target, channel)
    if not actions.can_read(user, index.agency_id):
        raise PermissionDenied("您无权查看其他机关的案件，本次尝试已记录")
    actions.do_log_access(
        user,
        index.agency_id,
        index.case_number,
        action=action,
        target=target,
        ip=client_ip(request),
        channel=channel,
    )
    return index


def case_to_write(
    request: HttpRequest, pk: int, *, action: str, target: str = "", channel: str = "web"
) -> CaseIndex:
    """The case ``pk`` for a user who may record in it. Anyone else is refused (403, Chinese),
    logged as a refused access of the case's agency (as for :func:`case_for`). An allowed write
    is not an access entry: the write's own ledger entry names who made it."""
    user = current_user(request)
    index = _case(pk)
    _note(index, action, target, channel)
    if actions.can_write(user, index.agency_id):
        return index
    if actions.can_read(user, index.agency_id):
        raise PermissionDenied("您无权在该案件中记录：只有本机关的执法工作人员可以记录")
    raise PermissionDenied("您无权查看或记录其他机关的案件，本次尝试已记录")


@login_required
def home(request: HttpRequest) -> Any:
    return redirect("inbox")
