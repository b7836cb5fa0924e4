"""A separate process that appends entries to a ledger one by one, for the concurrency tests.

    python -m tests.integration.ledger_appender --url URL --keys DIR --agency AGENCY \
        --writer A --count 1000 [--sleep 0.002] [--start-file PATH]

It opens its own connection, prints ``READY`` once the ledger is open, waits for
``--start-file`` to appear (a start barrier shared with other writers), then appends ``count``
entries with refs ``<writer>-<n>`` (n zero-padded, 0-based), each in its own durable
transaction. After each ``append`` has *returned* it prints ``ACK <seq> <ref>`` and flushes
stdout, so every ACK line the parent reads names an entry the ledger acknowledged. It prints
``DONE`` at the end. The agency's log and signing key must already exist (the parent calls
``ensure_log``), so that the writers share one key.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, NewEntry

ORIGIN_BASE = "lawtrail.local"
CASE_NUMBER = "通市监罚〔2026〕17号"


def ref(writer: str, n: int) -> str:
    return f"{writer}-{n:05d}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="database URL (sqlite:///… or postgresql://…)")
    parser.add_argument("--keys", required=True, type=Path, help="key directory")
    parser.add_argument("--agency", required=True)
    parser.add_argument("--writer", required=True, help="prefix of the refs, e.g. A")
    parser.add_argument("--count", required=True, type=int)
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds between appends")
    parser.add_argument("--start-file", type=Path, help="wait for this file before appending")
    args = parser.parse_args(argv)

    keys = KeyDirectory(args.keys)
    with Database(args.url) as db:
        ledger = Ledger(db, keys, ORIGIN_BASE)
        if ledger.log_info(args.agency) is None:
            print(f"no log for {args.agency}: the parent must call ensure_log", file=sys.stderr)
            return 2
        print("READY", flush=True)
        if args.start_file is not None:
            while not args.start_file.exists():
                time.sleep(0.001)
        for n in range(args.count):
            entry = NewEntry(
                CASE_NUMBER,
                "record",
                ref(args.writer, n),
                {"writer": args.writer, "n": n, "note": f"并发写入测试 {args.writer} 第 {n} 条"},
            )
            (receipt,) = ledger.append(args.agency, [entry])
            # Only now is the entry acknowledged: committed durably with its checkpoint.
            print(f"ACK {receipt.seq} {entry.ref}", flush=True)
            if args.sleep:
                time.sleep(args.sleep)
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
