"""The server exactly as `lawtrail serve` runs it, except that page views append no access
entry — for the case-page benchmark's side-by-side run only (issue #12 item 0: is the page
limited by the ledger's write lock?). Never a way to run LawTrail: the access log is part of
the record (000 art. 36, 002 art. 37).

    python -m benchmarks.serve_without_access --bind 127.0.0.1:PORT --workers 2 --threads 8
"""

from __future__ import annotations

import argparse

from lawtrail import web_cli


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    web_cli.setup()
    from lawtrail.web import actions

    actions.do_log_access = lambda *args, **kwargs: None  # type: ignore[assignment]
    return web_cli.serve(args.bind, args.workers, args.threads)


if __name__ == "__main__":
    raise SystemExit(main())
