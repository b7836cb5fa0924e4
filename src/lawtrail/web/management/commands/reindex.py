from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from lawtrail.web import actions, aggregates, orders, reviews, wiring
from lawtrail.web.models import CaseFinding, CaseIndex, InboxTask


class Command(BaseCommand):
    help = "从账本重建案件索引（案件列表与待办）、责令整改索引与案卷评查索引"

    def handle(self, *args: Any, **options: Any) -> None:
        ledger = wiring.ledger()
        count = 0
        for log in ledger.logs():
            numbers = dict.fromkeys(
                e.case_number for e in ledger.entries(log.agency, types=("case",))
            )
            for number in numbers:
                with transaction.atomic():
                    actions.project(log.agency, number)
                count += 1
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
