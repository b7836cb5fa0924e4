"""The integrator: signs each agency log's new entries into a checkpoint, in batches.

Appends only sequence entries (:meth:`Ledger.append_in_transaction`); this loop, running as a
thread of the web server, calls :meth:`Ledger.integrate` for every log with entries waiting,
every ``interval`` seconds. One signature then covers every entry appended in that interval,
however many users were working: page views and record saves no longer queue behind a
signature each, and verification checks one signature per batch instead of one per entry.

The bound: an entry waits at most ``interval`` plus one integration before a signed checkpoint
covers it (``MAX_DELAY_SECONDS`` is what receipts and the documentation promise). Several
servers may each run one: integrations queue on the log's lock and the later ones find nothing
to do. A log the integrator cannot sign (its stored tree no longer matches its checkpoint, the
signer refuses) is logged at ERROR on every round and left unsigned — which the witness reports
as a log that stopped advancing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from lawtrail.ledger.log import Ledger, LedgerError, StoredCheckpoint

log = logging.getLogger(__name__)

# How often the integrator looks for new entries, and the longest an acknowledged entry waits
# for a signed checkpoint (one interval plus an integration, rounded up).
INTERVAL_SECONDS = 0.5
MAX_DELAY_SECONDS = 1


class Integrator:
    """Integrates every log of ``ledger`` each ``interval`` seconds, on its own thread.

    ``open_ledger`` is called on the integrator's thread (a database connection belongs to
    the thread that opened it)."""

    def __init__(
        self,
        open_ledger: Callable[[], Ledger],
        *,
        interval: float = INTERVAL_SECONDS,
        on_checkpoint: Callable[[StoredCheckpoint], None] | None = None,
        min_age: float = 0.0,
    ) -> None:
        self._open_ledger = open_ledger
        self.interval = interval
        # A standby: a log whose entries have waited less than this is left to the integrator
        # that normally signs it (another process's); only what that one leaves waiting longer
        # (it stopped) is signed here.
        self.min_age = min_age
        self._on_checkpoint = on_checkpoint
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sizes: dict[str, int] = {}

    def run_once(self, ledger: Ledger) -> list[StoredCheckpoint]:
        """One round: a checkpoint for every log that has entries beyond its latest one."""
        signed = []
        for info in ledger.logs():
            try:
                if ledger.pending(info.agency) == 0:
                    continue
                if self.min_age > 0 and self._young(ledger, info.agency):
                    continue
                checkpoint = ledger.integrate(info.agency)
            except (LedgerError, OSError) as exc:
                log.error("integrating %s failed: %s", info.origin, exc)
                continue
            if checkpoint is not None and checkpoint.size != self._sizes.get(info.agency):
                self._sizes[info.agency] = checkpoint.size
                signed.append(checkpoint)
                if self._on_checkpoint is not None:
                    self._on_checkpoint(checkpoint)
        return signed

    def _young(self, ledger: Ledger, agency: str) -> bool:
        since = ledger.waiting_since(agency)
        return since is not None and (ledger.clock() - since).total_seconds() < self.min_age

    def _loop(self) -> None:
        ledger = self._open_ledger()
        try:
            while not self._stop.is_set():
                try:
                    self.run_once(ledger)
                except Exception:  # keep integrating whatever one round hit
                    log.exception("integrator round failed")
                    # A lost connection (the database server restarted) is dropped so that the
                    # next round opens a new one instead of failing on the dead one forever.
                    recover = getattr(ledger.db, "recover", None)
                    if recover is not None:
                        recover()
                self._stop.wait(self.interval)
            # What was appended before the stop is signed too — by a standby as well (the
            # integrator it stood by for may be stopping with it).
            self.min_age = 0.0
            self.run_once(ledger)
        finally:
            close = getattr(ledger.db, "close", None)
            if close is not None:
                close()

    def start(self) -> Integrator:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="lawtrail-integrator")
            self._thread.daemon = True
            self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
