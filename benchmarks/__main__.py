"""Run the benchmarks and rewrite their sections of docs/performance.md.

python -m benchmarks [--quick] [--no-write]
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from pathlib import Path

from benchmarks import bench_engine, machine
from lawtrail.core.timeutil import SHANGHAI

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
SECTIONS = {"engine": bench_engine}


def replace_section(doc: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(doc):
        return pattern.sub(lambda _: block, doc)
    return doc.rstrip("\n") + f"\n\n{block}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke run)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    doc = DOC.read_text(encoding="utf-8")
    when = datetime.now(tz=SHANGHAI).strftime("%Y-%m-%d %H:%M %Z")
    for name, module in SECTIONS.items():
        result = module.run(quick=args.quick)
        body = f"Measured {when} on: {machine.describe()}.\n\n{module.markdown(result)}"
        print(f"== {name}\n{body}\n")
        doc = replace_section(doc, name, body)
    if not args.no_write:
        DOC.write_text(doc, encoding="utf-8")
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
