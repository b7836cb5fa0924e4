"""Django's PostgreSQL backend, but a kept connection's health is checked without a round
trip to the server.

``CONN_HEALTH_CHECKS`` makes Django check a connection kept from an earlier request before the
request's first query; its PostgreSQL backend does that with ``SELECT 1``: a whole round trip,
on every request, about a tenth of the case page's database work (issue #18). A server that
has ended the connection — restarted, or the backend terminated — has said so on the socket
(its error message, then the end of the stream), which makes the socket readable while the
connection is idle; a healthy idle connection has nothing to read. So the check is whether
the socket has anything to read, which the kernel answers (``poll`` with no wait). Anything
unexpected on it (a notice sent to an idle connection) only costs a new connection.

A server that vanished without a word (a cut cable) is not seen by either check in time:
``SELECT 1`` would wait as the request's own first query does."""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        try:
            poller = select.poll()
            poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):  # no socket left to ask
            return False
