"""Regenerate (or, with --check, verify) the files derived from the core's definitions.

python -m lawtrail.tools.generate          # rewrite them
python -m lawtrail.tools.generate --check  # exit 1 if any is stale (CI)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from lawtrail.core.coverage import coverage_markdown
from lawtrail.core.schema import case_schema

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = Path(__file__).resolve().parents[1]


def _schema_text() -> str:
    return json.dumps(case_schema(), ensure_ascii=False, indent=2) + "\n"


TARGETS: dict[Path, Callable[[], str]] = {
    PACKAGE / "schemas" / "case.schema.json": _schema_text,
    ROOT / "docs" / "rule-coverage.md": coverage_markdown,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only verify, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, render in TARGETS.items():
        text = render()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(
            f"stale: {path.relative_to(ROOT)} — run: python -m lawtrail.tools.generate",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
