"""The case page under concurrent views on the real server (issue #18): `lawtrail serve`
(gunicorn, 2 processes × 8 threads, SQLite) with the group commit of access entries and the
kept page content. Twenty clients view one case at once: every view is answered with the
case, every view's access entry is in the log with its row of the access log's index (the
group committer's batches commit both), and `lawtrail verify` finds log and index intact."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path

import pytest

from lawtrail.web.launch import LocalServer

pytestmark = pytest.mark.slow
AGENCY = "tonghua-market"
CASE = "通市监罚〔2026〕12号"
CLIENTS, VIEWS = 20, 10
COUNT = (
    "from lawtrail.web import wiring; from lawtrail.web.models import AccessIndex, CaseIndex;"
    f"e = sum(1 for _ in wiring.ledger().entries({AGENCY!r}, case_number={CASE!r}, "
    "types=('access',)));"
    f"i = AccessIndex.objects.filter(agency_id={AGENCY!r}, case_number={CASE!r}).count();"
    f"pk = CaseIndex.objects.get(case_number={CASE!r}).pk;"
    "print('COUNTS', e, i, pk)"
)


def counts(server: LocalServer) -> tuple[int, int, int]:
    done = server.lawtrail("manage", "shell", "-c", COUNT)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("COUNTS"))
    entries, rows, pk = (int(v) for v in line.split()[1:])
    return entries, rows, pk


def test_concurrent_case_page_views_each_log_a_durable_indexed_access(tmp_path: Path) -> None:
    server = LocalServer(tmp_path / "data", workers=2, threads=8).start()
    try:
        cookie = server.session_cookie("market.handler")
        before, rows_before, pk = counts(server)
        assert before == rows_before
        answers: list[tuple[int, bool]] = []
        start = threading.Barrier(CLIENTS)

        def client() -> None:
            start.wait()
            for _ in range(VIEWS):
                request = urllib.request.Request(
                    f"{server.url}/cases/{pk}/", headers={"Cookie": cookie}
                )
                with urllib.request.urlopen(request, timeout=60) as response:
                    page = response.read().decode()
                    answers.append((response.status, CASE in page and "账本验证" in page))

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert answers == [(200, True)] * (CLIENTS * VIEWS)
        after, rows_after, _ = counts(server)
        # Every view answered was logged before its answer (the group commit returns once the
        # batch is durable), with its index row in the same transaction.
        assert after - before == CLIENTS * VIEWS
        assert rows_after - rows_before == CLIENTS * VIEWS
    finally:
        server.stop()
    done = server.lawtrail(
        *("verify", "--agency", AGENCY, "--format", "json"),
        *("--allow-unwitnessed", "--allow-unpinned"),
    )
    report = json.loads(done.stdout)
    assert report["problems"] == [], report["problems"]
