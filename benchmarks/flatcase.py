"""Shared set-up of the flat-cost benchmarks (bench_flat): a Django process on a throw-away
data directory with the demo users, and real cases of any size made through the services."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "examples" / "tonghua-market" / "compliant-ex-officio-penalty.json"
AGENCY = "tonghua-market"


def setup(data_dir: Path, database_url: str | None = None) -> None:
    os.environ["LAWTRAIL_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("LAWTRAIL_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghij")
    os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.web.settings"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from lawtrail.web import demo

    demo.seed(None)


def make_case(case_number: str, size: int, start: datetime) -> None:
    """Import a case of ``size`` records (the example's investigation records repeated, a
    minute apart, from ``start``) through the services, and project it."""
    from django.db import transaction

    from lawtrail import services
    from lawtrail.core.caseio import parse_case
    from lawtrail.core.record_kinds import INVESTIGATION_KINDS
    from lawtrail.web import actions, wiring
    from lawtrail.web.models import User

    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    case = parse_case(data)
    first = case.records[0]
    pool = [r for r in case.records if r.kind in INVESTIGATION_KINDS and not r.media]
    shift = start - first.at
    records = [replace(first, at=first.at + shift)]
    i = 0
    while len(records) < size:
        source = pool[i % len(pool)]
        i += 1
        records.append(
            replace(source, id=f"x{i}", at=start + timedelta(minutes=i), recorded_at=None)
        )
    case = replace(
        case,
        case_number=case_number,
        opened_at=case.opened_at + shift,
        records=tuple(records),
    )
    handler = User.objects.get(username="market.handler")
    with transaction.atomic():
        services.do_import_case(wiring.ledger(), case)
        actions.project(AGENCY, case_number, handler=handler)


def new_record(n: int, at: datetime) -> dict[str, Any]:
    """An evidence register made by market.handler (a record the web form makes)."""
    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    source = next(r for r in data["records"] if r["kind"] == "evidence_register")
    record = {k: v for k, v in source.items() if k not in ("signatures", "officers")}
    record["id"] = f"n{n}"
    record["at"] = at.isoformat()
    record["officers"] = [{"person": "market.handler"}, {"person": "market.officer"}]
    return record
