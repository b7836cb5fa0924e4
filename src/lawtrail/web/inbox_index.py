"""The inbox's rows (:class:`~lawtrail.web.models.InboxTask`): each case's ``pending`` tasks
(:mod:`lawtrail.web.inbox`) one row each, written with the case's index row and read by the
inbox page and the navigation's counts with an index, for one person:

- **mine** — the tasks of my roles in my agency; a handler's task only when I am the case's
  handler (or it has none), never a step I may not take (an earlier step of the same approval
  was mine: 000 art. 37 one person per step);
- **waiting** — the other roles' tasks on the cases I handle: what I wait for from whom;
- **overdue in the agencies I supervise** — read-only, for the supervisor.

Overdue first: the rows are read by their deadline, earliest first (a passed deadline is the
earliest), tasks without a deadline last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest

from lawtrail.web.inbox import task_values
from lawtrail.web.models import CaseIndex, InboxTask, User
from lawtrail.web.roles import HANDLER, ROLE_LABELS

# The most rows a section of the inbox page shows (its count is always the full count).
PAGE = 200


def write(index: CaseIndex) -> None:
    """Rewrite the case's rows from its index row (inside the caller's transaction)."""
    InboxTask.objects.filter(case=index).delete()
    InboxTask.objects.bulk_create(
        InboxTask(case=index, agency_id=index.agency_id, handler_id=index.handler_id, **values)
        for values in (task_values(t, i) for i, t in enumerate(index.pending or []))
    )


def _by_due(rows: QuerySet[InboxTask]) -> QuerySet[InboxTask]:
    return rows.select_related("case", "case__agency", "handler").order_by(
        F("due").asc(nulls_last=True), "case__case_number", "position"
    )


def mine(user: User) -> QuerySet[InboxTask]:
    """The tasks this user must do (see the module's doc)."""
    if user.agency_id is None:
        return InboxTask.objects.none()
    rows = InboxTask.objects.filter(agency_id=user.agency_id, role__in=list(user.roles))
    rows = rows.filter(~Q(role=HANDLER) | Q(handler__isnull=True) | Q(handler=user))
    return _by_due(rows.exclude(not_by__contains=f",{user.username},"))


def waiting(user: User) -> QuerySet[InboxTask]:
    """The other roles' tasks on the cases this user handles: what they wait for."""
    if user.agency_id is None:
        return InboxTask.objects.none()
    return _by_due(InboxTask.objects.filter(handler=user).exclude(role=HANDLER))


def overdue_in(agencies: Iterable[str], now: datetime) -> QuerySet[InboxTask]:
    """The tasks past their deadline in these agencies (a supervisor's read-only list)."""
    return _by_due(InboxTask.objects.filter(agency_id__in=list(agencies), due__lt=now))


def counts(user: User, now: datetime) -> tuple[int, int]:
    """(my tasks, of them overdue): the navigation's badge, one indexed query (every page).

    :func:`mine`'s conditions written out as SQL: this runs on every page, and building the
    same query through the ORM cost more than a millisecond a page (issue #18). The tests
    hold the two to the same answers."""
    query = counts_query(user, now)
    if query is None:
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute(*query)
        n, overdue = cursor.fetchone()
    return int(n), int(overdue)


def counts_query(user: User, now: datetime, mark: str = "%s") -> tuple[str, list[Any]] | None:
    """:func:`counts`' SELECT (``mark``: the placeholder) and its parameters; None for a user
    with no task to count. A page that reads other figures in one statement reads these with
    them (web.pagecache, the case page), then :func:`keep_counts`."""
    roles = list(user.roles)
    if user.agency_id is None or not roles:
        return None
    ops = connection.ops
    table = InboxTask._meta.db_table
    sql = (
        f"SELECT COUNT(*), COUNT(CASE WHEN due < {mark} THEN 1 END) FROM {table} "
        f"WHERE agency_id = {mark} AND role IN ({', '.join([mark] * len(roles))}) "
        f"AND (role <> {mark} OR handler_id IS NULL OR handler_id = {mark}) "
        f"AND NOT (not_by LIKE {mark} ESCAPE '\\')"
    )
    params = [
        ops.adapt_datetimefield_value(now),
        user.agency_id,
        *roles,
        HANDLER,
        user.pk,
        f"%,{ops.prep_for_like_query(user.username)},%",
    ]
    return sql, params


_KEPT_COUNTS = "_lawtrail_nav_counts"


def keep_counts(request: HttpRequest, found: tuple[int, int]) -> None:
    """The counts read along with other figures in this request, for :func:`request_counts`."""
    setattr(request, _KEPT_COUNTS, found)


def request_counts(request: HttpRequest, user: User, now: datetime) -> tuple[int, int]:
    """The counts this request has already read (:func:`keep_counts`), else read now."""
    found: tuple[int, int] | None = getattr(request, _KEPT_COUNTS, None)
    return found if found is not None else counts(user, now)


class People:
    """Who holds which role in an agency, for naming the person a task waits for."""

    def __init__(self) -> None:
        self._by_agency: dict[str, dict[str, list[tuple[str, str]]]] = {}

    def _roles(self, agency: str) -> dict[str, list[tuple[str, str]]]:
        if agency not in self._by_agency:
            roles: dict[str, list[tuple[str, str]]] = {}
            people = User.objects.filter(agency_id=agency, is_active=True).order_by("username")
            for username, name, held in people.values_list("username", "name", "roles"):
                for role in held or ():
                    roles.setdefault(role, []).append((username, name or username))
            self._by_agency[agency] = roles
        return self._by_agency[agency]

    def names(self, row: InboxTask) -> str:
        """The people who can take the task: the case's handler for a handler's task, else the
        agency's holders of the role but those who may not (Chinese, for the page)."""
        handler = row.handler.display_name if row.handler is not None else ""
        barred = {n for n in row.not_by.split(",") if n}
        return self.who(row.agency_id, row.role, barred, handler)

    def who(self, agency: str, role: str, barred: set[str], handler: str = "") -> str:
        label = ROLE_LABELS.get(role, role)
        if role == HANDLER and handler:
            return f"{label}：{handler}"
        holders = [
            name for username, name in self._roles(agency).get(role, []) if username not in barred
        ]
        if not holders:
            return f"{label}（本机关暂无此角色的人员）"
        return f"{label}：{'、'.join(holders)}"


def shown(rows: QuerySet[InboxTask]) -> tuple[Sequence[InboxTask], int]:
    """The first :data:`PAGE` rows and the full count."""
    total = rows.count()
    return list(rows[:PAGE]), total
