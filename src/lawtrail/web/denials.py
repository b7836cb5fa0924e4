"""Refused attempts are logged, but not without limit.

Every refused access is an entry in the ledger of the agency whose case was asked for, so its
supervisors see who tried (000 art. 36, 002 art. 37). Unlimited, that would let any account —
of another agency too — grow an agency's log at will. So per user and address, the first
``LIMIT`` refusals in a ``WINDOW`` are logged one by one; the rest are counted, and the count is
logged as one entry ("另有 N 次被拒访问") when the window has passed (at the next access of
anyone served by this process, or when the count reaches ``FLUSH_EVERY``). The ledger thus
keeps the whole story — how many, by whom, from where, when — in a bounded number of entries.

The count is per server process: with two app servers a user gets ``LIMIT`` per process, and
a process that stops loses the count of its open window (logged at WARNING as it is counted).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

log = logging.getLogger("lawtrail.access")

LIMIT = 10
WINDOW = timedelta(minutes=1)
FLUSH_EVERY = 1000


@dataclass(frozen=True)
class Key:
    username: str
    ip: str
    agency: str


@dataclass
class _Window:
    start: datetime
    logged: int = 0
    suppressed: int = 0
    last: datetime | None = None
    case_number: str = ""
    actions: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Suppressed:
    """Refusals counted, not logged one by one: to be logged as one entry."""

    key: Key
    count: int
    window_start: datetime
    last: datetime
    case_number: str
    actions: tuple[str, ...]


class DenialLimiter:
    def __init__(
        self, limit: int = LIMIT, window: timedelta = WINDOW, flush_every: int = FLUSH_EVERY
    ) -> None:
        self.limit = limit
        self.window = window
        self.flush_every = flush_every
        self._windows: dict[Key, _Window] = {}
        self._pending: list[Suppressed] = []
        self._lock = threading.Lock()

    def admit(self, key: Key, now: datetime, case_number: str, action: str) -> bool:
        """Whether this refusal is logged as an entry of its own (else it is counted)."""
        with self._lock:
            current = self._windows.get(key)
            if current is None or now - current.start >= self.window:
                if current is not None and current.suppressed:
                    return self._restart_keeping(key, current, now)
                self._windows[key] = _Window(start=now, logged=1)
                return True
            if current.logged < self.limit:
                current.logged += 1
                return True
            current.suppressed += 1
            current.last = now
            current.case_number = current.case_number or case_number
            current.actions.add(action)
            log.warning(
                "access denied (counted, %d in this window): %s %s %s",
                current.suppressed,
                key.username,
                key.ip,
                key.agency,
            )
            return False

    def _restart_keeping(self, key: Key, old: _Window, now: datetime) -> bool:
        # The old window's count is still to be logged (by due()); this attempt opens a new one.
        self._windows[key] = _Window(start=now, logged=1)
        self._pending.append(_suppressed(key, old))
        return True

    def due(self, now: datetime) -> list[Suppressed]:
        """Counts to log now: windows that have passed, and counts that reached
        ``flush_every`` (those start counting again)."""
        with self._lock:
            out = list(self._pending)
            self._pending.clear()
            for key, current in list(self._windows.items()):
                expired = now - current.start >= self.window
                if current.suppressed and (expired or current.suppressed >= self.flush_every):
                    out.append(_suppressed(key, current))
                    current.suppressed = 0
                    current.actions = set()
                    current.case_number = ""
                if expired and not current.suppressed:
                    del self._windows[key]
            return out


def _suppressed(key: Key, window: _Window) -> Suppressed:
    return Suppressed(
        key=key,
        count=window.suppressed,
        window_start=window.start,
        last=window.last or window.start,
        case_number=window.case_number,
        actions=tuple(sorted(window.actions)),
    )
