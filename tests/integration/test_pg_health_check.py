"""The PostgreSQL backend's health check (lawtrail.web.postgresql, the server's ENGINE) asks
the kernel, not the server: a kept connection is usable with no query sent, and one the server
has ended is seen as such and replaced before the request's first query (issue #18)."""

from __future__ import annotations

import threading
import time
from typing import Any
from unittest import mock

import dj_database_url
import psycopg
from django.db.utils import ConnectionHandler

from lawtrail.web.postgresql.base import DatabaseWrapper
from lawtrail.web.settings import POSTGRES_ENGINE
from tests.dbfixtures import require_postgres
from tests.pgurl import POSTGRES_URL


def test_a_kept_connection_is_checked_without_a_query_and_a_terminated_one_is_replaced(
    django_db_blocker: Any,
) -> None:
    """A connection of its own (not the tests' database): pytest-django's blocker let through;
    on a thread of its own, as the server's request threads (an earlier test of the same
    process may have left an event loop running on this one, where Django refuses to run)."""
    require_postgres()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            _check()
        except BaseException as exc:
            failed.append(exc)

    with django_db_blocker.unblock():
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    if failed:
        raise failed[0]


def _check() -> None:
    handler = ConnectionHandler(
        {
            "default": {
                **dj_database_url.parse(POSTGRES_URL),
                "ENGINE": POSTGRES_ENGINE,
                "CONN_MAX_AGE": 60,
                "CONN_HEALTH_CHECKS": True,  # as the server runs
            }
        }
    )
    kept = handler["default"]
    assert isinstance(kept, DatabaseWrapper)
    try:
        kept.ensure_connection()
        raw = kept.connection
        with mock.patch.object(raw, "cursor", side_effect=AssertionError("a query was sent")):
            assert kept.is_usable()
        pid = raw.info.backend_pid
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while kept.is_usable():
            assert time.monotonic() < deadline, "the ended connection still looks usable"
            time.sleep(0.01)
        # What Django does before a request's first query: the connection is replaced.
        kept.health_check_done = False
        kept.close_if_health_check_failed()
        assert kept.connection is None
        with kept.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert kept.connection.info.backend_pid != pid
    finally:
        kept.close()
