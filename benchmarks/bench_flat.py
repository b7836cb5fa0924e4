"""Costs that stay flat (issue #18): appending a record and viewing the case page at 20 and at
2,000 records, and another case's page while one client appends to a 2,000-record case.

``flat-append`` (in-process, SQLite, the real settings on a throw-away data directory): two
cases made through the services (the market bureau's compliant example, its investigation
records repeated a minute apart: 20 and 2,000 records), then appends of an evidence register
by ``market.handler`` through the web action (``actions.do_append_record``: people refreshed,
the record validated, the ledger entry, then the case index row — the rule engine run after
the write transaction), alternating between the two cases; and the case page of each through
Django's test client (middleware, session, access entry, template). Baseline: the same
measure on the 20-record case, in the same run.

``flat-contention`` (a real server: ``lawtrail serve``, gunicorn 2 × 8 threads, SQLite): the
case page of the 22-record example 通市监罚〔2026〕12号 under wrk (4 connections), alone and
while another process appends records to a 2,000-record case of the same database as fast as
it can (the same web action). On SQLite every write transaction locks the whole database, so
what the appender holds under the lock is what the page waits for.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks import flatcase

SIZES = (20, 2000)


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p95": p95, "n": len(ordered)}


def _in_subprocess(name: str, quick: bool) -> dict[str, Any]:
    """Run ``name`` of this module in a fresh Python process (each sets Django up on its own
    throw-away data directory; one process can set Django up only once)."""
    code = (
        "import json, sys; from benchmarks import bench_flat; "
        f"print('RESULT ' + json.dumps(bench_flat.{name}({quick!r})), flush=True)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=flatcase.ROOT,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def run_append(quick: bool) -> dict[str, Any]:
    return _in_subprocess("measure_append", quick)


def run_scale(quick: bool) -> dict[str, Any]:
    return _in_subprocess("measure_scale", quick)


def measure_append(quick: bool) -> dict[str, Any]:
    rounds = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-flat-") as tmp:
        flatcase.setup(Path(tmp))
        from django.test import Client

        from lawtrail.core import timeutil
        from lawtrail.web import actions, pagecache, wiring
        from lawtrail.web.models import CaseIndex, User

        start = timeutil.now() - timedelta(days=5)
        made = {}
        for size in SIZES:
            began = time.perf_counter()
            flatcase.make_case(f"FLAT-{size}", size, start)
            made[size] = time.perf_counter() - began
        user = User.objects.get(username="market.handler")
        projection: list[tuple[float, bool]] = []  # (seconds, in the request's thread)
        original = actions.project_committed

        def timed_projection(agency: str, case_number: str) -> None:
            began = time.perf_counter()
            original(agency, case_number)
            here = threading.current_thread() is threading.main_thread()
            projection.append((time.perf_counter() - began, here))

        # As in the server (web_cli: every worker starts one): the case index row of a long
        # case is rewritten by the projector thread after the write commits; a short case's
        # in the request. Each append waits for the projector before the next one, so the two
        # never share the CPU in this measurement.
        actions.project_committed = timed_projection  # type: ignore[assignment]
        projector = wiring.start_projector()
        totals: dict[int, list[float]] = {size: [] for size in SIZES}
        writes: dict[int, list[float]] = {size: [] for size in SIZES}
        projections: dict[int, list[float]] = {size: [] for size in SIZES}
        n = 0
        try:
            for _ in range(rounds + 1):  # the first round warms up
                for size in SIZES:
                    index = CaseIndex.objects.get(case_number=f"FLAT-{size}")
                    n += 1
                    record = flatcase.new_record(n, timeutil.now() - timedelta(minutes=1))
                    began = time.perf_counter()
                    actions.do_append_record(user, index, record)
                    total = (time.perf_counter() - began) * 1000
                    assert projector.flush(), "the projector did not finish"
                    seconds, in_request = projection[-1]
                    totals[size].append(total)
                    writes[size].append(total - seconds * 1000 if in_request else total)
                    projections[size].append(seconds * 1000)
        finally:
            wiring.stop_projector()
            actions.project_committed = original  # type: ignore[assignment]
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        pages: dict[int, list[float]] = {size: [] for size in SIZES}
        kept: dict[int, list[float]] = {size: [] for size in SIZES}
        first: dict[int, float] = {}
        for size in SIZES:
            pk = CaseIndex.objects.get(case_number=f"FLAT-{size}").pk
            for i in range(2 * rounds + 1):
                # Alternately: the content rendered (what a view after a change of the case
                # costs: no kept content, web.pagecache) and served kept (nothing changed).
                rendered = i % 2 == 0
                if rendered:
                    pagecache.clear()
                began = time.perf_counter()
                response = client.get(f"/cases/{pk}/")
                elapsed = (time.perf_counter() - began) * 1000
                assert response.status_code == 200, response.status_code
                if i == 0:
                    first[size] = elapsed
                elif rendered:
                    pages[size].append(elapsed)
                else:
                    kept[size].append(elapsed)
        out: dict[str, Any] = {
            "rounds": rounds,
            "made_s": made,
            "sizes": {},
            "threshold": actions.PROJECT_LATER_FROM,
        }
        for size in SIZES:  # keys as JSON gives them back: strings
            total = totals[size][1:]
            write = writes[size][1:]
            proj = projections[size][1:]
            out["sizes"][str(size)] = {
                "records": CaseIndex.objects.get(case_number=f"FLAT-{size}").records,
                "append": _stats(total),
                "write": _stats(write),
                "projection": _stats(proj),
                "page": _stats(pages[size]),
                "page_kept": _stats(kept[size]),
                "page_first": first[size],
            }
    return out


def _formatters(
    small: dict[str, Any], large: dict[str, Any]
) -> tuple[Callable[[dict[str, Any], str], str], Callable[[str], str]]:
    """A table's cell ("median / p95" of a measure) and ratio (large ÷ small median)."""

    def cell(s: dict[str, Any], key: str) -> str:
        return f"{s[key]['median']:,.1f} / {s[key]['p95']:,.1f}"

    def ratio(key: str) -> str:
        return f"{large[key]['median'] / small[key]['median']:.2f}×"

    return cell, ratio


def markdown_append(r: dict[str, Any]) -> str:
    actions_threshold = r.get("threshold", 200)
    small, large = r["sizes"][str(SIZES[0])], r["sizes"][str(SIZES[1])]
    cell, ratio = _formatters(small, large)

    lines = [
        f"In-process on SQLite; median / p95 ms of {r['rounds']} appends per case (alternating "
        "between the two cases, after one warm-up each) and of as many case-page views. The "
        "first view after the appends judges the case afresh (no judgement cached yet); absolute "
        "times vary from run to run, the ratios less.",
        "",
        "| measure | baseline: 20-record case | 2,000-record case | ratio |",
        "|---|---|---|---|",
        "| **append a record: the request** (`actions.do_append_record`; the row in the "
        f"request below {actions_threshold} records, after it from then on) "
        f"| {cell(small, 'append')} | {cell(large, 'append')} | {ratio('append')} |",
        "| of it: **the write** (people, validation, ledger entry, commit) "
        f"| {cell(small, 'write')} | {cell(large, 'write')} | **{ratio('write')}** |",
        "| the case index row (rule engine over the whole case, findings, inbox rows; in the "
        "request for the short case, on the projector thread for the long one) "
        f"| {cell(small, 'projection')} | {cell(large, 'projection')} | {ratio('projection')} |",
        f"| **case page** (`GET /cases/<pk>/`, latest {100} entries shown; its content rendered, "
        "as on the first view after a change of the case) "
        f"| {cell(small, 'page')} | {cell(large, 'page')} | {ratio('page')} |",
        *(
            [
                "| case page, its content kept (nothing it shows changed since the last view; "
                "the shown entries hashed again, web.pagecache) "
                f"| {cell(small, 'page_kept')} | {cell(large, 'page_kept')} "
                f"| {ratio('page_kept')} |"
            ]
            if "page_kept" in small
            else []
        ),
        f"| case page, first view after the appends (judged afresh and rendered) "
        f"| {small['page_first']:,.1f} | {large['page_first']:,.1f} | "
        f"{large['page_first'] / small['page_first']:.2f}× |",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- contention

APPENDER = r"""
import sys, time
sys.path.insert(0, {root!r})
import django
django.setup()
from datetime import timedelta
from benchmarks import flatcase
from lawtrail.core import timeutil
from lawtrail.web import actions
from lawtrail.web.models import CaseIndex, User
mode, seconds = sys.argv[1], float(sys.argv[2])
if mode == "make":
    flatcase.make_case("FLAT-2000", 2000, timeutil.now() - timedelta(days=5))
    print("made", flush=True)
    raise SystemExit(0)
user = User.objects.get(username="market.handler")
index = CaseIndex.objects.get(case_number="FLAT-2000")
n, took, end = 0, [], time.monotonic() + seconds
while time.monotonic() < end:
    n += 1
    began = time.perf_counter()
    record = flatcase.new_record(n, timeutil.now() - timedelta(minutes=1))
    actions.do_append_record(user, index, record)
    took.append(time.perf_counter() - began)
took.sort()
print("APPENDS", n, took[len(took) // 2] * 1000, flush=True)
"""


def run_contention(quick: bool) -> dict[str, Any]:
    from benchmarks import bench_web
    from lawtrail.web.launch import LocalServer

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (deps/apt.txt; ./run.sh installs it)")
    seconds = 5 if quick else 15
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-contention-") as tmp:
        server = LocalServer(Path(tmp) / "data", workers=2, threads=8)
        env = {**server.env, "DJANGO_SETTINGS_MODULE": "lawtrail.web.settings"}
        script = APPENDER.format(root=str(flatcase.ROOT))

        def appender(mode: str, length: float) -> subprocess.Popen[str]:
            return subprocess.Popen(
                [sys.executable, "-c", script, mode, str(length)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

        server.start()
        try:
            made = appender("make", 0)
            out, err = made.communicate(timeout=600)
            assert made.returncode == 0, err
            lua = Path(tmp) / "report.lua"
            lua.write_text(bench_web.LUA)
            cookie = server.session_cookie("market.officer")
            url = f"{server.url}/cases/{bench_web._case_pk(server, '通市监罚〔2026〕12号')}/"
            wrk: Callable[[int], dict[str, float]] = lambda s: _wrk(url, cookie, s, lua)  # noqa: E731
            wrk(3)  # warm-up
            alone = wrk(seconds)
            writer = appender("append", seconds + 2)
            time.sleep(1)
            loaded = wrk(seconds)
            out, err = writer.communicate(timeout=600)
            assert writer.returncode == 0, err
            appends = [line for line in out.splitlines() if line.startswith("APPENDS")]
            _, count, median = appends[-1].split()
        finally:
            server.stop()
    return {
        "seconds": seconds,
        "alone": alone,
        "loaded": loaded,
        "appends": int(count),
        "append_median_ms": float(median),
    }


def _wrk(url: str, cookie: str, seconds: int, script: Path) -> dict[str, float]:
    import re

    done = subprocess.run(
        [
            *("wrk", "-t", "1", "-c", "4", "-d", f"{seconds}s", "--timeout", "30s"),
            *("-s", str(script), "-H", f"Cookie: {cookie}", url),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    values = {k: float(v) for k, v in re.findall(r"^(LT_\w+) (\d+)", done.stdout, re.M)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    assert rps is not None, done.stdout
    values["rps"] = float(rps[1])
    return values


def markdown_contention(r: dict[str, Any]) -> str:
    def row(name: str, v: dict[str, float]) -> str:
        return (
            f"| {name} | {v['rps']:,.1f} | {v['LT_P50'] / 1000:,.1f} "
            f"| **{v['LT_P95'] / 1000:,.1f}** | {v['LT_P99'] / 1000:,.1f} "
            f"| {v['LT_REQUESTS']:,.0f} | {v['LT_NON2XX']:,.0f} |"
        )

    return "\n".join(
        [
            f"`lawtrail serve` (gunicorn 2 × 8 threads, SQLite); wrk, 4 connections (a session of "
            f"`market.officer`), {r['seconds']} s per run after a 3 s warm-up; the page: the "
            "22-record example 通市监罚〔2026〕12号. The appender is another process appending to "
            "the 2,000-record case FLAT-2000 of the same agency and database in a loop "
            "(`actions.do_append_record`, its index row judged in that process after each "
            f"commit): {r['appends']} appends during the run, median "
            f"{r['append_median_ms']:,.0f} ms each. Server, wrk and appender share the 2 cores "
            "(nothing else ran on the machine: compare the rows with each other, not with a "
            "machine where the appender has cores of its own).",
            "",
            "| other case's page | requests/s | p50 ms | p95 ms | p99 ms | requests | non-2xx |",
            "|---|---|---|---|---|---|---|",
            row("baseline: alone", r["alone"]),
            row("while one client appends to a 2,000-record case", r["loaded"]),
        ]
    )


def dump(r: dict[str, Any]) -> str:  # pragma: no cover - debugging aid
    return json.dumps(r, indent=1, default=str)


# ---------------------------------------------------------------------------- scale

SCALE = (1_000, 100_000)


def measure_scale(quick: bool) -> dict[str, Any]:
    """The inbox and a case page with 1,000 and with 100,000 cases in the index."""
    from benchmarks import bench_dashboard

    rounds = 5 if quick else 15
    sizes = (SCALE[0], 10_000) if quick else SCALE
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-scale-") as tmp:
        flatcase.setup(Path(tmp))
        from django.db import transaction
        from django.test import Client

        from lawtrail.core import timeutil
        from lawtrail.web import actions, demo
        from lawtrail.web.models import CaseIndex, InboxTask, User

        user = User.objects.get(username="market.handler")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        out: dict[str, Any] = {"rounds": rounds, "sizes": {}}
        for n in sizes:
            began = time.perf_counter()
            with transaction.atomic():
                bench_dashboard._generate(n - 11, timeutil.now())  # deletes every index row
            # The examples through the services (ledger entries, their rows and tasks): the
            # case page's case and the handler's tasks, the same at every size (imported once;
            # at the next size their rows, deleted with the others, are rebuilt from the ledger).
            if n == sizes[0]:
                demo.import_examples(flatcase.ROOT / "examples")
            else:
                for path in sorted((flatcase.ROOT / "examples").glob("*/*.json")):
                    data = json.loads(path.read_text(encoding="utf-8"))
                    handler = User.objects.get(username=f"{demo.SHORT[data['agency']]}.handler")
                    with transaction.atomic():
                        actions.project(data["agency"], data["case_number"], handler=handler)
            generated = time.perf_counter() - began
            assert CaseIndex.objects.count() == n, CaseIndex.objects.count()
            pk = CaseIndex.objects.get(case_number="通市监罚〔2026〕12号").pk

            def page(url: str) -> Callable[[], None]:
                def get() -> None:
                    response = client.get(url)
                    assert response.status_code == 200, response.status_code

                return get

            out["sizes"][str(n)] = {
                "generate_s": generated,
                "tasks": InboxTask.objects.count(),
                "inbox": _timed(page("/inbox/"), rounds),
                "case": _timed(page(f"/cases/{pk}/"), rounds),
                "list": _timed(page("/cases/"), rounds),
            }
    return out


def _timed(fn: Callable[[], None], rounds: int) -> dict[str, float]:
    fn()  # warm-up
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return _stats(samples)


def markdown_scale(r: dict[str, Any]) -> str:
    keys = list(r["sizes"])
    small, large = r["sizes"][keys[0]], r["sizes"][keys[-1]]
    cell, ratio = _formatters(small, large)

    return "\n".join(
        [
            f"In-process on SQLite; median / p95 ms of {r['rounds']} views after a warm-up, "
            "as `market.handler`. The cases beyond the 11 examples are index rows **generated "
            "in bulk** (as in the dashboard benchmark: five agencies, findings, orders; no "
            "ledger behind them and no inbox tasks), the examples imported through the "
            "services (their ledger entries, rows and inbox tasks): the handler's own tasks "
            "are the same at both sizes, the number of cases is not.",
            "",
            f"| page | baseline: {int(keys[0]):,} cases | {int(keys[-1]):,} cases | ratio |",
            "|---|---|---|---|",
            f"| **inbox** (`/inbox/`) | {cell(small, 'inbox')} | {cell(large, 'inbox')} "
            f"| **{ratio('inbox')}** |",
            f"| **case page** (`/cases/<pk>/`, 通市监罚〔2026〕12号) | {cell(small, 'case')} "
            f"| {cell(large, 'case')} | **{ratio('case')}** |",
            f"| case list (`/cases/`, first page) | {cell(small, 'list')} "
            f"| {cell(large, 'list')} | {ratio('list')} |",
        ]
    )


# ---------------------------------------------------------------------------- access log, reindex

ACCESSES = (1_000, 100_000)
REINDEX = (100, 1_000)


def run_access(quick: bool) -> dict[str, Any]:
    return _in_subprocess("measure_access", quick)


def measure_access(quick: bool) -> dict[str, Any]:
    """``lawtrail manage reindex`` per case with few and with many cases, then the supervisors'
    access log page with few and with many access entries."""
    rounds = 5 if quick else 15
    cases = (20, 100) if quick else REINDEX
    accesses = (ACCESSES[0], 10_000) if quick else ACCESSES
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-access-") as tmp:
        flatcase.setup(Path(tmp))
        import io

        from django.core.management import call_command
        from django.test import Client

        from lawtrail.core import timeutil
        from lawtrail.web.models import AccessIndex, CaseIndex, User

        out: dict[str, Any] = {"rounds": rounds, "reindex": {}, "sizes": {}}
        start = timeutil.now() - timedelta(days=30)
        made = 0
        for n in cases:  # real cases through the services: the example's 22 records each
            while made < n:
                made += 1
                flatcase.make_case(f"REINDEX-{made}", 22, start + timedelta(minutes=made))
            assert CaseIndex.objects.count() == n
            began = time.perf_counter()
            call_command("reindex", stdout=io.StringIO())
            seconds = time.perf_counter() - began
            out["reindex"][str(n)] = {"seconds": seconds, "per_case_ms": seconds * 1000 / n}

        client = Client(HTTP_HOST="localhost")
        client.force_login(User.objects.get(username="supervisor"))
        pages = {
            "none": "/supervision/access/",
            "user": "/supervision/access/?user=market.handler",
            "denied": "/supervision/access/?outcome=denied",
        }
        written = 0
        for n in accesses:
            written += _accesses(n - written, written)
            assert AccessIndex.objects.count() == n, AccessIndex.objects.count()

            def page(url: str) -> Callable[[], None]:
                def get() -> None:
                    response = client.get(url)
                    assert response.status_code == 200, response.status_code
                    assert b"access-allowed" in response.content or b"access-denied" in (
                        response.content
                    )
                    assert b"access-unmatched" not in response.content

                return get

            out["sizes"][str(n)] = {name: _timed(page(url), rounds) for name, url in pages.items()}
        out["users"] = User.objects.exclude(agency=None).count()
    return out


def _accesses(count: int, offset: int) -> int:
    """Append ``count`` access entries to the five agencies' logs in bulk — through the ledger's
    own append, many entries per transaction, each with its row of the access log's index as
    the web application writes it — by every user of the agencies in turn, one in ten refused."""
    from lawtrail.ledger.log import NewEntry
    from lawtrail.web import access_index, actions, wiring
    from lawtrail.web.models import User

    ledger = wiring.ledger()
    users = list(User.objects.exclude(agency=None).order_by("username"))
    agencies = sorted({str(u.agency_id) for u in users})
    per_call = 5_000
    done = 0
    while done < count:
        batch: dict[str, list[NewEntry]] = {a: [] for a in agencies}
        for i in range(offset + done, offset + min(count, done + per_call)):
            user = users[i % len(users)]
            allowed = i % 10 != 0
            body = actions._access_body(
                user,
                action="view_case",
                target="",
                allowed=allowed,
                ip="10.0.0.1",
                channel="web",
                reason="" if allowed else "您无权查看该案件",
            )
            case_number = f"BENCH-{i % 500}"
            batch[agencies[i % len(agencies)]].append(
                NewEntry(case_number, "access", case_number, body)
            )
        for agency, entries in batch.items():
            if not entries:
                continue
            ledger.ensure_log(agency)
            with ledger.db.write():
                receipts = ledger.append_in_transaction(agency, entries)
                access_index.index_appended(ledger, agency, receipts)
            done += len(entries)
    return done


def markdown_access(r: dict[str, Any]) -> str:
    keys = list(r["sizes"])
    small, large = r["sizes"][keys[0]], r["sizes"][keys[-1]]
    cell, ratio = _formatters(small, large)

    counts = list(r["reindex"])
    few, many = r["reindex"][counts[0]], r["reindex"][counts[-1]]
    return "\n".join(
        [
            f"In-process on SQLite; median / p95 ms of {r['rounds']} views after a warm-up, as "
            "`supervisor` (all five agencies). The access entries are real ledger entries "
            "appended in bulk through the ledger's append (5,000 per transaction, five logs), "
            "each with its row of the access log's index written as the web application "
            "writes it; every user of the agencies in turn (the user filter matches one in "
            f"{r['users']}), one in ten refused. The page picks its 50 rows from the index and "
            "reads and checks those entries from the ledger.",
            "",
            f"| access log page | baseline: {int(keys[0]):,} entries | {int(keys[-1]):,} entries "
            "| ratio |",
            "|---|---|---|---|",
            f"| **no filter** (`/supervision/access/`) | {cell(small, 'none')} "
            f"| {cell(large, 'none')} | **{ratio('none')}** |",
            f"| **user filter** (`?user=market.handler`) | {cell(small, 'user')} "
            f"| {cell(large, 'user')} | **{ratio('user')}** |",
            f"| outcome filter (`?outcome=denied`) | {cell(small, 'denied')} "
            f"| {cell(large, 'denied')} | {ratio('denied')} |",
            "",
            "`lawtrail manage reindex` over real cases (the market bureau's 22-record example, "
            "imported through the services), the whole command (cases a batch per transaction, "
            "orders, reviews, the access log's index):",
            "",
            f"| reindex | baseline: {int(counts[0]):,} cases | {int(counts[-1]):,} cases | ratio |",
            "|---|---|---|---|",
            f"| total s | {few['seconds']:,.1f} | {many['seconds']:,.1f} | |",
            f"| **per case ms** | {few['per_case_ms']:,.1f} | {many['per_case_ms']:,.1f} "
            f"| **{many['per_case_ms'] / few['per_case_ms']:.2f}×** |",
        ]
    )
