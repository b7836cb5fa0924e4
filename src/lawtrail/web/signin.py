"""Sign-in security (等保 2.0 level 3): the lockout backend and page, the access-log entries of
sign-in events, the idle timeout and the mandatory second factor.

Sign-in events are ``access`` entries in the ledger of the user's agency, with an empty case
number (they concern no case) and the action codes of :data:`ACTIONS`. Events of an account
without an agency (administrators, supervisors) or of a username that names no account cannot
go to an agency's log: they stay in django-axes's tables (AccessAttempt, AccessFailureLog,
AccessLog), which the administrator reads in the admin (「Axes」).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from axes.backends import AxesStandaloneBackend  # type: ignore[import-untyped]
from axes.helpers import get_cool_off  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from lawtrail.core import timeutil
from lawtrail.web import actions, keptform, rowload
from lawtrail.web.models import Agency, User
from lawtrail.web.views.common import client_ip

log = logging.getLogger("lawtrail.signin")

ACTIONS = (
    "login",
    "logout",
    "login_failed",
    "login_locked",
    "password_changed",
    "otp_enrolled",
    "otp_failed",
    "token_created",
    "token_revoked",
)
# Session keys
LAST_ACTIVITY = "lawtrail_last_activity"
# The idle clock is written to the session at most this often (not on every request).
ACTIVITY_RESOLUTION = 60


def log_event(
    user: User | None,
    action: str,
    request: HttpRequest | None = None,
    *,
    allowed: bool = True,
    target: str = "",
    channel: str = "web",
    agency: str | None = None,
) -> bool:
    """Append a sign-in event to the ledger of the user's agency (or ``agency``: an
    administrator revoking a user's token logs in that user's agency); False when there is none
    (the event then lives in django-axes's tables only)."""
    assert action in ACTIONS, action
    agency = agency or (user.agency_id if user is not None else None)
    if user is None or not agency:
        return False
    try:
        actions.do_log_access(
            user,
            agency,
            "",
            action=action,
            target=target,
            allowed=allowed,
            ip=client_ip(request) if request is not None else "",
            channel=channel,
        )
    except Exception:  # the ledger refusing must not lock everyone out
        log.exception("could not log %s of %s", action, user.username)
        return False
    return True


def user_named(username: str | None) -> User | None:
    if not username:
        return None
    return User.objects.filter(username=username).select_related("agency").first()


class LockoutBackend(AxesStandaloneBackend):
    """django-axes's backend, but a call without a request (``Client.login`` in tests, a
    management command) is no network sign-in and is left to the next backend."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def retry_at(request: HttpRequest) -> Any:
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    return timeutil.local(timezone.now() + cool_off)


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The lockout answer (AXES_LOCKOUT_CALLABLE): a Chinese page, 429, saying when to retry."""
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    minutes = max(1, int(cool_off.total_seconds() // 60))
    context = {
        "retry_at": retry_at(request),
        "minutes": minutes,
        "limit": settings.AXES_FAILURE_LIMIT,
    }
    response = render(request, "lawtrail/account/locked.html", context, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


def requires_second_factor(user: User) -> bool:
    required = set(getattr(settings, "LAWTRAIL_REQUIRE_2FA_ROLES", []))
    return bool(required) and any(role in required for role in user.roles)


@functools.cache
def _confirmed_device_sql() -> str:
    """One query over every installed device model's table (django_otp's ``device_classes``;
    the installed models do not change while the process runs)."""
    from django_otp import device_classes  # type: ignore[import-untyped]

    tables = [model._meta.db_table for model in device_classes()]
    return " UNION ALL ".join(
        f"SELECT 1 FROM {table} WHERE user_id = %s AND confirmed = %s" for table in tables
    )


# The name of the annotation UserBackend.get_user puts on the user it loads.
DEVICE_AT_LOAD = "lawtrail_confirmed_device"


class UserBackend(ModelBackend):
    """Django's ModelBackend, but the user of a session is loaded together with the two things
    every page then asks about them: their agency's row (the navigation shows its name) and
    whether they have a confirmed second-factor device (:class:`SignInMiddleware`, for a
    session signed in without a code) — one SQL read (lawtrail.web.rowload) where there were
    three queries, the first built through the ORM (issue #18). That read is usually made
    with the session's own (:func:`read_session`): then none is left to make here."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        row = _take_ahead(pk)
        if row is None:
            columns, params, join = _user_parts(pk)
            users = _quoted(User._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {columns} FROM {users} {join} WHERE {users}.{_pk_column()} = %s",
                    [*params, pk],
                )
                row = cursor.fetchone()
            if row is None:
                return None
        user = _user_from_row(row)
        return user if self.user_can_authenticate(user) else None


_USER_AGENCY = User._meta.get_field("agency")
# Where the user's id is in their row (rowload's order: the concrete fields').
_PK_INDEX = [field.attname for field in User._meta.concrete_fields].index(User._meta.pk.attname)


def _quoted(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _pk_column() -> str:
    return _quoted(User._meta.pk.column)


def _user_parts(pk: Any) -> tuple[str, list[Any], str]:
    """The SELECT list of the user ``pk``'s row, their agency's row (NULLs without one) and
    whether they have a confirmed device; its parameters; the join of the agency to the users'
    table."""
    columns, join = _user_sql()
    return columns, _device_params(pk), join


@functools.cache
def _user_sql() -> tuple[str, str]:
    """:func:`_user_parts`' SQL, the same for every user (written once per process)."""
    users, agencies = _quoted(User._meta.db_table), _quoted(Agency._meta.db_table)
    device = _confirmed_device_sql()
    exists = f"EXISTS ({device})" if device else "FALSE"
    join = (
        f"LEFT JOIN {agencies} ON {agencies}.{_quoted(_USER_AGENCY.target_field.column)} "
        f"= {users}.{_quoted(_USER_AGENCY.column)}"
    )
    return f"{rowload.columns(User)}, {rowload.columns(Agency)}, {exists}", join


def _device_params(pk: Any) -> list[Any]:
    """The parameters of :func:`_confirmed_device_sql` for the user ``pk``."""
    sql = _confirmed_device_sql()
    return (
        [value for _ in range(sql.count(" UNION ALL ") + 1) for value in (pk, True)] if sql else []
    )


def _user_from_row(row: Sequence[Any]) -> User:
    users = rowload.width(User)
    user = rowload.instance(User, row[:users])
    agency = row[users : users + rowload.width(Agency)]
    _USER_AGENCY.set_cached_value(
        user, rowload.instance(Agency, agency) if user.agency_id is not None else None
    )
    setattr(user, DEVICE_AT_LOAD, bool(row[-1]))
    return user


# The user row read with this thread's last session read, for the get_user that follows it in
# the same request: (the user's id, the row, when read).
_ahead = threading.local()
AHEAD_SECONDS = 5.0


def read_session(table: str, session_key: str, now: Any, user_pk: Any) -> tuple[Any] | None:
    """The session's row (``(session_data,)``; None when no unexpired session has this key)
    and, in the same statement, the row of the user ``user_pk`` — whom the session named when
    it was last read (web.sessions). The user's row is kept for this thread's next
    :meth:`UserBackend.get_user`, which takes it only for that very user (the session, decoded,
    names whom it names) and within seconds; it reads the user itself otherwise."""
    columns, params, join = _user_parts(user_pk)
    sessions, users = _quoted(table), _quoted(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sessions}.session_data, {columns} FROM {sessions} "
            f"LEFT JOIN {users} ON {users}.{_pk_column()} = %s {join} "
            f"WHERE {sessions}.session_key = %s AND {sessions}.expire_date > %s",
            [*params, user_pk, session_key, now],
        )
        row = cursor.fetchone()
    _ahead.row = None
    if row is None:
        return None
    user = row[1:]
    if user[_PK_INDEX] is not None:  # the user exists
        _ahead.row = (user_pk, user, time.monotonic())
    return (row[0],)


def forget_ahead() -> None:
    """A session read without its user's row: nothing kept from an earlier read is taken."""
    _ahead.row = None


def _take_ahead(pk: Any) -> Sequence[Any] | None:
    ahead = getattr(_ahead, "row", None)
    _ahead.row = None
    if ahead is None:
        return None
    user_pk, row, at = ahead
    if user_pk != pk or time.monotonic() - at > AHEAD_SECONDS:
        return None
    return row


def has_confirmed_device(user: User) -> bool:
    """django_otp's ``user_has_device(user, confirmed=True)`` as one SQL query: it runs on every
    request of a session signed in without a code, and django_otp's own walk over the installed
    models and their querysets cost a third of a millisecond a request (issue #18). The tests
    hold the two to the same answers."""
    sql = _confirmed_device_sql()
    if not sql:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({sql})", _device_params(user.pk))
        row = cursor.fetchone()
    return bool(row[0])


# Paths a signed-in user may reach before enrolling a required second factor.
_OPEN_PREFIXES = ("/static/", "/favicon.ico", "/logout/", "/account/otp/", "/login/")


class SignInMiddleware:
    """For a signed-in browser session: end it after LAWTRAIL_IDLE_SECONDS without a request
    (logged as ``logout``), and hold a user who must use a second factor on the enrolment page
    until they have one (or, with one, until the session is verified by a code)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            early = self._check(request, user)
            if early is not None:
                return early
        return self.get_response(request)

    def _check(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        now = time.time()
        last = request.session.get(LAST_ACTIVITY)
        idle = settings.LAWTRAIL_IDLE_SECONDS
        if isinstance(last, int | float) and now - last > idle:
            log_event(user, "logout", request, target="idle")
            # A form posted after the idle limit is not executed, but what was typed into it
            # is kept (in the new, signed-out session) and given back after the new sign-in.
            api = request.path.startswith("/api/")
            fields = [] if api else keptform.posted_fields(request)
            logout(request)
            kept = keptform.keep(request, fields)
            message = f"您已连续 {idle // 60} 分钟没有操作，为保护账户已自动退出，请重新登录。"
            if kept:
                message += "您刚才提交的内容没有执行，已为您保存：重新登录后可以核对并再次提交。"
            return self._to_login(request, message, next_url=reverse("kept_form") if kept else "")
        if not isinstance(last, int | float) or now - last >= ACTIVITY_RESOLUTION:
            request.session[LAST_ACTIVITY] = now
        if request.path.startswith(_OPEN_PREFIXES):
            return None
        if user.is_verified():
            return None
        # As loaded with the user at the start of this request (UserBackend), else asked now.
        known = getattr(user, DEVICE_AT_LOAD, None)
        if known if known is not None else has_confirmed_device(user):
            # Signed in without the code (not through the login page): sign in again.
            logout(request)
            return self._to_login(request, "您的账户已启用动态验证码，请重新登录并输入验证码。")
        if requires_second_factor(user):
            message = "您的角色须使用动态验证码登录：请先完成动态验证码绑定，然后才能进行其他操作。"
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": message, "issues": []},
                    status=403,
                    json_dumps_params={"ensure_ascii": False},
                )
            return redirect("otp_enrol")
        return None

    @staticmethod
    def _to_login(request: HttpRequest, message: str, next_url: str = "") -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": message, "issues": []},
                status=401,
                json_dumps_params={"ensure_ascii": False},
            )
        messages.warning(request, message)
        target = next_url or request.get_full_path()
        return redirect(f"{reverse('login')}?{urlencode({'next': target})}")
