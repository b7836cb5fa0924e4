"""Django's database sessions, read with one SQL statement (issue #18).

Every request of a signed-in user loads its session. Django's ``db`` backend reads it through
the ORM, whose building of that one query cost a quarter of a millisecond a request — a tenth of
what the login page costs in all. The table, the stored data, its encoding and signing, and
every write (create, save, delete, cycle) are Django's own; only the read is written out.

The read also brings the row of the user the session named when it was last read in this
process (``signin.read_session``): the request's next read, of its user, is then already made —
one statement where there were two. The user actually used is always the one the session's
data names, as Django decides it; a guess that turns out wrong only costs the read it saves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from lawtrail.web.models import User

# The user each session key named when last read in this process (least recently read out).
_users: OrderedDict[str, Any] = OrderedDict()
_users_lock = threading.Lock()
USERS_KEPT = 10_000


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        """The session's data if its key names an unexpired session; else ``{}`` and no key
        (as Django's ``load``: the next save creates a new session)."""
        from lawtrail.web import signin

        table = self.model._meta.db_table
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        key = self.session_key
        with _users_lock:
            user_pk = _users.get(key) if key else None
        row: tuple[Any, ...] | None
        if user_pk is not None:
            row = signin.read_session(table, key, now, user_pk)
        else:
            signin.forget_ahead()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                    [key, now],
                )
                row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        _remember(key, data.get(SESSION_KEY))
        return data


def _remember(key: str | None, user_id: Any) -> None:
    try:
        user_pk = User._meta.pk.to_python(user_id) if user_id is not None else None
    except ValidationError:
        user_pk = None
    with _users_lock:
        if not key or user_pk is None:
            if key:
                _users.pop(key, None)
            return
        _users[key] = user_pk
        _users.move_to_end(key)
        while len(_users) > USERS_KEPT:
            _users.popitem(last=False)
