"""Run the benchmarks and rewrite their sections of docs/performance.md.

python -m benchmarks [--quick] [--no-write] [NAME ...]

NAME is a section (engine, ledger-append, ledger-verify, ledger-proof, media, web, archive,
dashboard: the supervision dashboard and the 评议考核 report, flat-append, flat-contention,
flat-scale, flat-access: issue #18's flat costs — the last the access log page and reindex) or
a group (ledger: its three sections); none runs them all. Each section is written to the document as
soon as it is measured.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import (
    bench_archive,
    bench_dashboard,
    bench_engine,
    bench_flat,
    bench_ledger,
    bench_media,
    bench_web,
    machine,
)
from lawtrail.core.timeutil import SHANGHAI

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"

Run = Callable[[bool], dict[str, Any]]
Markdown = Callable[[dict[str, Any]], str]

SECTIONS: dict[str, tuple[Run, Markdown]] = {
    "engine": (bench_engine.run, bench_engine.markdown),
    "ledger-append": (bench_ledger.run_append, bench_ledger.markdown_append),
    "ledger-verify": (bench_ledger.run_verify, bench_ledger.markdown_verify),
    "ledger-proof": (bench_ledger.run_proof, bench_ledger.markdown_proof),
    "media": (bench_media.run, bench_media.markdown),
    "web": (bench_web.run, bench_web.markdown),
    "archive": (bench_archive.run, bench_archive.markdown),
    "dashboard": (bench_dashboard.run, bench_dashboard.markdown),
    "flat-append": (bench_flat.run_append, bench_flat.markdown_append),
    "flat-contention": (bench_flat.run_contention, bench_flat.markdown_contention),
    "flat-scale": (bench_flat.run_scale, bench_flat.markdown_scale),
    "flat-access": (bench_flat.run_access, bench_flat.markdown_access),
}
GROUPS = {
    "ledger": ["ledger-append", "ledger-verify", "ledger-proof"],
    "flat": ["flat-append", "flat-contention", "flat-scale", "flat-access"],
}


def replace_section(doc: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(doc):
        return pattern.sub(lambda _: block, doc)
    return doc.rstrip("\n") + f"\n\n{block}\n"


def selected(names: list[str]) -> list[str]:
    """The sections to run, in document order, for the names given (all when none)."""
    if not names:
        return list(SECTIONS)
    wanted = {section for name in names for section in GROUPS.get(name, [name])}
    return [name for name in SECTIONS if name in wanted]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke run)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"what to run: {', '.join([*SECTIONS, *GROUPS])} (default: everything)",
    )
    args = parser.parse_args()
    # Checked here: argparse rejects an empty list against `choices` (Python 3.11).
    unknown = [name for name in args.names if name not in SECTIONS and name not in GROUPS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}")
    for name in selected(args.names):
        run, markdown = SECTIONS[name]
        print(f"== {name}", flush=True)
        when = datetime.now(tz=SHANGHAI).strftime("%Y-%m-%d %H:%M %Z")
        result = run(args.quick)
        body = f"Measured {when} on: {machine.describe()}.\n\n{markdown(result)}"
        print(f"{body}\n", flush=True)
        if not args.no_write:
            doc = DOC.read_text(encoding="utf-8")
            DOC.write_text(replace_section(doc, name, body), encoding="utf-8")
            print(f"wrote section {name} of {DOC}", flush=True)


if __name__ == "__main__":
    main()
