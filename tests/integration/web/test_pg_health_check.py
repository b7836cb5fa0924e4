"""The PostgreSQL backend's health check (lawtrail.web.postgresql) asks the kernel, not the
server: a kept connection is usable with no query sent, and one the server has ended is seen
as such and replaced before the request's first query (issue #18)."""

from __future__ import annotations

import time
from unittest import mock

import psycopg
import pytest
from django.db import connection, connections

from lawtrail.web.postgresql.base import DatabaseWrapper

pytestmark = pytest.mark.django_db


def test_a_kept_connection_is_checked_without_a_query_and_a_terminated_one_is_replaced() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (LAWTRAIL_TEST_WEB_DB=postgresql)")
    assert isinstance(connections["default"], DatabaseWrapper)  # the server's engine
    kept = connections.create_connection("default")
    try:
        kept.ensure_connection()
        raw = kept.connection
        with mock.patch.object(raw, "cursor", side_effect=AssertionError("a query was sent")):
            assert kept.is_usable()
        pid = raw.info.backend_pid
        settings = kept.settings_dict
        with psycopg.connect(
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            dbname=settings["NAME"],
            autocommit=True,
        ) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while kept.is_usable():
            assert time.monotonic() < deadline, "the ended connection still looks usable"
            time.sleep(0.01)
        # What Django does before a request's first query (the server sets CONN_HEALTH_CHECKS):
        # the connection is replaced.
        kept.health_check_enabled, kept.health_check_done = True, False
        kept.close_if_health_check_failed()
        assert kept.connection is None
        with kept.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert kept.connection.info.backend_pid != pid
    finally:
        kept.close()
