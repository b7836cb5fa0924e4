"""Django's database sessions, read with one SQL statement (issue #18).

Every request of a signed-in user loads its session. Django's ``db`` backend reads it through
the ORM, whose building of that one query cost a quarter of a millisecond a request — a tenth of
what the login page costs in all. The table, the stored data, its encoding and signing, and
every write (create, save, delete, cycle) are Django's own; only the read is written out.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        """The session's data if its key names an unexpired session; else ``{}`` and no key
        (as Django's ``load``: the next save creates a new session)."""
        table = self.model._meta.db_table
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        return data
