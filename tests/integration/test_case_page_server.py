"""The case page under concurrent views on the real server (issue #18): `lawtrail serve`
(gunicorn, 2 processes × 8 threads, SQLite) with the group commit of access entries and the
kept page content. Twenty clients view one case at once: every view is answered with the
case, every view's access entry is in the log with its row of the access log's index (the
group committer's batches commit both), and `lawtrail verify` finds log and index intact."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
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


def views(server: LocalServer, cookie: str, pk: int) -> list[tuple[int, bool]]:
    """CLIENTS clients viewing the case VIEWS times each, all at once: (status, case shown)."""
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
    return answers


def writer_pids(server: LocalServer) -> list[int]:
    """The server's access writer process (lawtrail.web.access_writer), by its command line."""
    assert server.process is not None
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"lawtrail.web.access_writer" in argv and argv[-2:-1] == [
            str(server.process.pid).encode()
        ]:
            found.append(int(entry.name))
    return found


def test_concurrent_case_page_views_each_log_a_durable_indexed_access(tmp_path: Path) -> None:
    server = LocalServer(tmp_path / "data", workers=2, threads=8).start()
    try:
        cookie = server.session_cookie("market.handler")
        before, rows_before, pk = counts(server)
        assert before == rows_before
        # The workers send their access entries to the server's access writer process.
        [writer] = writer_pids(server)
        assert views(server, cookie, pk) == [(200, True)] * (CLIENTS * VIEWS)
        after, rows_after, _ = counts(server)
        # Every view answered was logged before its answer (the writer answers once the
        # batch is durable), with its index row in the same transaction.
        assert after - before == CLIENTS * VIEWS
        assert rows_after - rows_before == CLIENTS * VIEWS
        # The writer dies (SIGKILL: nothing of its own cleanup runs): the workers append the
        # views' entries themselves — every view still answered and logged, with its row; the
        # workers' standby integrators sign what the writer's integrator no longer does.
        os.kill(writer, signal.SIGKILL)
        answers = views(server, cookie, pk)
        assert answers == [(200, True)] * (CLIENTS * VIEWS)
        final, rows_final, _ = counts(server)
        # (a view sent to the writer as it died may be logged twice: never missing)
        assert final - after >= CLIENTS * VIEWS and rows_final - rows_after == final - after
        time.sleep(2.5)  # the standby integrators sign what waits longer than a second
        signed = server.lawtrail(
            *("verify", "--agency", AGENCY, "--format", "json"),
            *("--allow-unwitnessed", "--allow-unpinned"),
        )
        (log,) = json.loads(signed.stdout)["logs"]
        assert log["latest_checkpoint"] == log["entries"]
    finally:
        server.stop()
    done = server.lawtrail(
        *("verify", "--agency", AGENCY, "--format", "json"),
        *("--allow-unwitnessed", "--allow-unpinned"),
    )
    report = json.loads(done.stdout)
    assert report["problems"] == [], report["problems"]
