"""`lawtrail manage reindex`: rebuild every projection of the ledger the pages read.

It streams (issue #18): each log's case header entries are walked in sequence order in batches
(no cursor held open between transactions, no list of every case in memory), and the cases a
batch opens are projected in one transaction per batch; the access log's index is rebuilt a
batch of entries per transaction (:func:`lawtrail.web.access_index.rebuild`). Progress is
printed as it goes. What it rebuilds is what it always did — each case's index row, findings
and inbox rows (rows left without their case removed), the order and review indexes — and the
access log's index.
"""

import functools
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from lawtrail.ledger.log import Ledger
from lawtrail.web import access_index, actions, aggregates, orders, reviews, wiring
from lawtrail.web.models import CaseFinding, CaseIndex, InboxTask

# Cases projected per transaction: on SQLite a transaction holds the database's write lock, so a
# batch stays short (tens of milliseconds per case) while the commits are still shared.
BATCH = 50
# A progress line after every this many cases (or access entries) of a log.
PROGRESS_EVERY = 1000


class Command(BaseCommand):
    help = "从账本重建案件索引（案件列表与待办）、责令整改索引、案卷评查索引与查阅记录索引"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH,
            help=f"每个事务重建的案件数（默认 {BATCH}）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch = max(1, int(options["batch_size"]))
        self._reported: dict[str, int] = {}
        ledger = wiring.ledger()
        count = 0
        for log in ledger.logs():
            done = self._cases(ledger, log.agency, batch)
            count += done
            self.stdout.write(f"{log.agency}：已重建 {done} 个案件的索引")
        # Rows left by a case index row deleted by hand (no database constraint ties them).
        with transaction.atomic():
            cases = CaseIndex.objects.values("pk")
            dropped = CaseFinding.objects.exclude(case_id__in=cases).delete()[0]
            dropped += InboxTask.objects.exclude(case_id__in=cases).delete()[0]
        self.stdout.write(
            f"已重建 {count} 个案件的索引"
            + (f"，删除 {dropped} 行孤立的统计与待办" if dropped else "")
        )
        # The dashboard's aggregates from the rows just written: each projection above kept
        # them by difference, which carries over whatever was wrong in them before.
        with transaction.atomic():
            groups = aggregates.rebuild(ledger.db)
        self.stdout.write(f"已重建监督看板的 {groups} 组统计")
        with transaction.atomic():
            rebuilt = orders.reindex_orders()
        self.stdout.write(f"已重建 {rebuilt} 项责令整改的索引")
        with transaction.atomic():
            reviewed = reviews.reindex_reviews()
        self.stdout.write(f"已重建 {reviewed} 项案卷抽取与评查表的索引")
        accesses = 0
        for log in ledger.logs():
            accesses += access_index.rebuild(
                ledger,
                log.agency,
                progress=functools.partial(self._progress, f"{log.agency}：查阅记录"),
            )
        dropped = access_index.drop_unlogged(ledger)
        self.stdout.write(
            f"已重建 {accesses} 条查阅记录的索引"
            + (f"，删除 {dropped} 行不属于任何日志的索引" if dropped else "")
        )

    def _cases(self, ledger: Ledger, agency: str, batch: int) -> int:
        """Project the agency's cases in the order they were opened, ``batch`` header entries
        per read and the cases they open in one transaction; the number projected."""
        after = -1
        done = 0
        while True:
            headers = list(ledger.entries(agency, types=("case",), after=after, limit=batch))
            if not headers:
                return done
            after = headers[-1].seq
            opened = _opened(ledger, agency, headers)
            with transaction.atomic():
                for number in opened:
                    actions.project(agency, number)
            done += len(opened)
            self._progress(f"{agency}：案件", done)

    def _progress(self, what: str, done: int) -> None:
        """A line each time ``done`` passes a multiple of :data:`PROGRESS_EVERY`."""
        last = self._reported.get(what, 0)
        if done // PROGRESS_EVERY > last // PROGRESS_EVERY:
            self.stdout.write(f"{what}：…已重建 {done}")
            self.stdout.flush()
        self._reported[what] = done


def _opened(ledger: Ledger, agency: str, headers: list[Any]) -> list[str]:
    """The case numbers of ``headers`` whose first header entry is among them (a later header —
    people refreshed, 变更案件信息 — is of a case already projected), in log order. One query
    on the ``(agency, case_number, seq)`` index for the batch, instead of remembering every case
    number seen."""
    numbers = list(dict.fromkeys(e.case_number for e in headers))
    marks = ", ".join("?" * len(numbers))
    first = dict(
        ledger.db.all(
            "SELECT case_number, MIN(seq) FROM ledger_entry WHERE agency = ? AND type = 'case' "
            f"AND case_number IN ({marks}) GROUP BY case_number",
            (agency, *numbers),
        )
    )
    seqs = {e.seq for e in headers}
    return [n for n in numbers if int(first[n]) in seqs]
