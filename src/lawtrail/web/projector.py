"""The projector: the server's thread that rewrites case index rows after their writes commit.

A write (a record appended, an approval step …) commits its ledger entry and returns; the
case's index row — the rule engine's judgement of the whole case, its findings and inbox tasks
(:func:`lawtrail.web.actions.project_after_write`) — is rewritten here, on one thread per
server process, instead of in the request — for cases of ``actions.PROJECT_LATER_FROM``
records and more (issue #18: the request then costs the same for a case of 2,000 records as
for one of 20, and nothing of the judging holds the write lock).

Requests for the same case coalesce: while a case waits, further writes to it add nothing, so
a burst of appends to a big case is judged once per round, not once per append. The lists
(case list, inbox, dashboard) lag behind the ledger by the queue: milliseconds, the judging of
the case. If the process dies with cases queued, their rows stay as of their previous write
until the case's next write or ``lawtrail manage reindex``; ``lawtrail verify`` reports such a
row (``case_index_*``). The case pages read the ledger itself and never lag.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (agency, case number)


class Projector:
    def __init__(self, project: Callable[[str, str], None]) -> None:
        self._project = project
        self._pending: OrderedDict[Key, None] = OrderedDict()
        self._busy = False
        self._stop = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> Projector:
        self._thread = threading.Thread(target=self._run, name="lawtrail-projector", daemon=True)
        self._thread.start()
        return self

    def submit(self, agency: str, case_number: str) -> None:
        with self._cond:
            self._pending[(agency, case_number)] = None
            self._cond.notify_all()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted case is projected; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        from django.db import close_old_connections, connections

        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stop)
                if self._stop and not self._pending:
                    connections.close_all()  # this thread's: nothing left open on stop
                    return
                key, _ = self._pending.popitem(last=False)
                self._busy = True
            try:
                close_old_connections()  # a connection the database dropped is reopened
                self._project(*key)
            except Exception:  # a failure is the next write's to repair, and logged
                log.exception("case index row of %s/%s not rewritten", *key)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
