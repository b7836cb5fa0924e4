"""Rule-engine throughput: cases judged per second, for real-shaped cases of 30 records.

The cases are the examples of all five agencies (compliant and violating), each grown to 30
records by repeating its own investigation records (further inquiries, inspections, evidence —
what makes real cases long), with new ids and later times.

Baseline: reading the same cases (json.loads + parse_case), the cheapest thing one can do with
a case file. The ratio says how many times reading a case judging it costs.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lawtrail.core.caseio import case_to_json, parse_case
from lawtrail.core.engine import evaluate
from lawtrail.core.model import Case
from lawtrail.core.record_kinds import INVESTIGATION_KINDS
from lawtrail.core.rules import load_pack
from lawtrail.core.timeutil import SHANGHAI

ROOT = Path(__file__).resolve().parents[1]
AT = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)
RECORDS = 30


def grow(case: Case, size: int = RECORDS) -> Case:
    """The case with its investigation records repeated until it has `size` records."""
    pool = [r for r in case.records if r.kind in INVESTIGATION_KINDS and r.corrects is None]
    records = list(case.records)
    i = 0
    while pool and len(records) < size:
        source = pool[i % len(pool)]
        i += 1
        shift = timedelta(minutes=10 * i)
        media = tuple(
            replace(
                m,
                id=f"{m.id}-x{i}",
                captured_at=m.captured_at + shift,
                ingested_at=m.ingested_at + shift,
            )
            for m in source.media
        )
        records.append(
            replace(
                source, id=f"{source.id}-x{i}", at=source.at + shift, recorded_at=None, media=media
            )
        )
    return replace(case, records=tuple(records))


def _best_rate(fn: Callable[[], None], count: int, repeats: int = 5) -> float:
    """Items per second of the fastest of `repeats` runs (least disturbed by the machine)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return count / min(times)


def run(quick: bool = False) -> dict[str, Any]:
    files = sorted((ROOT / "examples").glob("*/*.json"))
    cases = [grow(parse_case(json.loads(f.read_text(encoding="utf-8")))) for f in files]
    texts = [json.dumps(case_to_json(case), ensure_ascii=False) for case in cases]
    for case in cases:
        load_pack(case.agency)  # packs are cached per process, as in the server
        evaluate(case, at=AT)  # warm the calendar
    rounds = 20 if quick else 200
    n = rounds * len(cases)

    def judge() -> None:
        for _ in range(rounds):
            for case in cases:
                evaluate(case, at=AT)

    def read() -> None:
        for _ in range(rounds):
            for text in texts:
                parse_case(json.loads(text))

    engine = _best_rate(judge, n)
    baseline = _best_rate(read, n)
    return {
        "cases": len(cases),
        "records_per_case": statistics.mean(len(c.records) for c in cases),
        "rules_per_pack": statistics.mean(len(load_pack(c.agency).rules) for c in cases),
        "engine_cases_per_s": engine,
        "read_cases_per_s": baseline,
        "ratio": baseline / engine,
    }


def markdown(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            "| measure | value |",
            "|---|---|",
            f"| cases judged (`examples/`, grown to {RECORDS} records) | {result['cases']} |",
            f"| records per case (mean) | {result['records_per_case']:.1f} |",
            f"| rules per pack (mean) | {result['rules_per_pack']:.1f} |",
            "| **engine: cases judged per second** (one core) | "
            f"**{result['engine_cases_per_s']:,.0f}** |",
            "| baseline: cases read per second (json.loads + parse_case) | "
            f"{result['read_cases_per_s']:,.0f} |",
            f"| ratio to baseline: time to judge ÷ time to read | {result['ratio']:.2f} |",
        ]
    )
