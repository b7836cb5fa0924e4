"""Load on the case page: 20 concurrent users on loopback (wrk), the server as `lawtrail serve`
runs it (gunicorn, 2 processes × 12 threads), on SQLite and on PostgreSQL, with 10,000 cases.

Every case-page view does what production does: checks the user's agency, appends an access
entry to the agency's ledger (durable when the view answers; committed with the other views'
entries of the moment, lawtrail.ledger.groupcommit), and shows the case's content — rendered
(the case read from the ledger, judged, its shown entries checked against their hashes and the
log's checkpoint) or, when nothing it shows changed, the content kept from the last rendering
after re-hashing the shown entries (lawtrail.web.pagecache). Baseline: the login page on the
same server (Django's request cycle, session and template rendering, no ledger, no database
write).

The 10,000 cases: the demo's examples (imported through the services) and index rows generated
in bulk (as the dashboard benchmark does), with 25 access entries each in the ledger — so the
tables the page reads hold what 10,000 cases hold.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lawtrail.web.launch import LocalServer

USERS = 20
# As `lawtrail serve` runs by default (web_cli: --workers 2 --threads 12).
THREADS = 12
# Turns of the page and its baseline (each a third of the run's seconds).
ROUNDS = 3
CASES = 10_000
ACCESS_PER_CASE = 25
LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("LT_P50 %d\\nLT_P95 %d\\nLT_P99 %d\\n", latency:percentile(50),
    latency:percentile(95), latency:percentile(99)))
  io.write(string.format("LT_REQUESTS %d\\nLT_NON2XX %d\\nLT_ERRORS %d\\n", summary.requests,
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _wrk(url: str, cookie: str, seconds: int, script: Path) -> dict[str, float]:
    done = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(USERS),
            "-d",
            f"{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    values = {key: float(value) for key, value in re.findall(r"^(LT_\w+) (\d+)", out, re.M)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps is not None, out
    values["rps"] = float(rps[1])
    return values


def _case_pk(server: LocalServer, case_number: str) -> int:
    code = (
        "from lawtrail.web.models import CaseIndex;"
        f"print(CaseIndex.objects.get(case_number={case_number!r}).pk)"
    )
    done = server.lawtrail("manage", "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])  # Django 5.2 prints a line about auto-imports first


def populate(cases: int) -> None:
    """In a `lawtrail manage shell` of the server's data: ``cases`` index rows in all (the
    examples' rows rebuilt from the ledger) and their access entries in the ledger."""
    import json as _json

    from django.db import transaction

    from benchmarks import bench_dashboard
    from lawtrail.core import timeutil
    from lawtrail.ledger.log import NewEntry
    from lawtrail.web import actions, demo, wiring
    from lawtrail.web.models import CaseIndex, User

    examples = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*/*.json"))
    with transaction.atomic():
        bench_dashboard._generate(cases - len(examples), timeutil.now())
    for path in examples:
        data = _json.loads(path.read_text(encoding="utf-8"))
        handler = User.objects.get(username=f"{demo.SHORT[data['agency']]}.handler")
        with transaction.atomic():
            actions.project(data["agency"], data["case_number"], handler=handler)
    ledger = wiring.ledger()
    rows = CaseIndex.objects.values_list("agency_id", "case_number")
    batch: dict[str, list[NewEntry]] = {}
    for agency, number in rows.iterator():
        for n in range(ACCESS_PER_CASE):
            body = {"user": "bench", "action": "view_case", "outcome": "allowed", "n": n}
            batch.setdefault(agency, []).append(NewEntry(number, "access", number, body))
        for code, entries in list(batch.items()):
            if len(entries) >= 5_000:
                ledger.append(code, entries)
                del batch[code]
    for code, entries in batch.items():
        ledger.append(code, entries)
    if ledger.db.dialect == "sqlite":
        # The bulk writes' WAL folded into the database, as it is on a server whose data was
        # written long before (readers would otherwise consult a WAL of every page written).
        ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        # Likewise on PostgreSQL: the tables vacuumed and analysed, as autovacuum leaves them
        # (else it runs during the first turns, on the same two cores, at its own moment).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    # And written out: the kernel's writeback of the bulk writes is not part of the turns.
    os.sync()


def _populate(server: LocalServer, cases: int) -> None:
    server.env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    done = server.lawtrail(
        "manage",
        "shell",
        "-c",
        f"from benchmarks.bench_web import populate; populate({cases})",
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr


def _intact(server: LocalServer) -> int:
    """The agency's log verified with its key pinned, the witness relaxed (none runs here):
    0 intact, 1 problems."""
    done = server.lawtrail(
        *("verify", "--agency", "tonghua-market", "--allow-unwitnessed"),
        *("--key", str(server.data_dir / "keys" / "tonghua-market.vkey")),
        "--format",
        "json",
        timeout=1800,
    )
    report = json.loads(done.stdout)
    # The generated index rows have no ledger case behind them (the projection check names
    # each); what is measured here is that every access entry is intact in the log.
    projection = ("index", "orphan", "task", "finding", "aggregate", "projection")
    ledger_problems = [
        p for p in report["problems"] if not any(word in p["code"] for word in projection)
    ]
    return 0 if not ledger_problems else 1


def _postgres_schema() -> tuple[str, Callable[[], None]]:
    import uuid

    import psycopg

    base = os.environ.get("LAWTRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    schema = f"bench_web_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    return f"{base}?options=-csearch_path%3D{schema}", drop


def _measure(
    tmp: Path, name: str, seconds: int, script: Path, database_url: str | None, cases: int
) -> dict[str, Any]:
    server = LocalServer(tmp / name, workers=2, threads=THREADS)
    if database_url:
        server.env["DATABASE_URL"] = database_url
    server.start()
    try:
        _populate(server, cases)
        cookie = server.session_cookie("market.handler")
        pk = _case_pk(server, "通市监罚〔2026〕12号")
        case_url = f"{server.url}/cases/{pk}/"
        login_url = f"{server.url}/login/"
        _wrk(case_url, cookie, 3, script)  # warm-up: imports, caches, first checkpoints
        _wrk(login_url, "", 3, script)
        # The page and its baseline in turns: the machine's speed drifts over minutes (a
        # shared host), which one long run of each would put into the ratio.
        case_runs: list[dict[str, float]] = []
        login_runs: list[dict[str, float]] = []
        for _ in range(ROUNDS):
            case_runs.append(_wrk(case_url, cookie, seconds // ROUNDS, script))
            login_runs.append(_wrk(login_url, "", seconds // ROUNDS, script))
    finally:
        server.stop()
    return {
        "case": _combined(case_runs),
        "login": _combined(login_runs),
        "ratios": [c["rps"] / b["rps"] for c, b in zip(case_runs, login_runs, strict=True)],
        "verify_exit": _intact(server),
    }


def _combined(runs: list[dict[str, float]]) -> dict[str, float]:
    """Rounds of one page: the median round's requests/s and latencies, the counts summed."""
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    for key in ("LT_REQUESTS", "LT_NON2XX", "LT_ERRORS"):
        median[key] = sum(run[key] for run in runs)
    return median


def run(quick: bool) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (deps/apt.txt; ./run.sh installs it)")
    seconds = 6 if quick else 30
    cases = 1_000 if quick else CASES
    out: dict[str, Any] = {"seconds": seconds, "cases": cases}
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-web-") as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(LUA)
        out["sqlite"] = _measure(Path(tmp), "sqlite", seconds, script, None, cases)
        url, drop = _postgres_schema()
        try:
            out["postgresql"] = _measure(Path(tmp), "postgresql", seconds, script, url, cases)
        finally:
            drop()
        # The same server and data (SQLite) with no access entry per view (benchmarks/
        # serve_without_access.py): is the page limited by the ledger's write lock?
        bare = LocalServer(
            Path(tmp) / "data-bare",
            workers=2,
            threads=THREADS,
            serve_module=("benchmarks.serve_without_access",),
        )
        bare.env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
        bare.start()
        try:
            _populate(bare, cases)
            cookie = bare.session_cookie("market.handler")
            bare_url = f"{bare.url}/cases/{_case_pk(bare, '通市监罚〔2026〕12号')}/"
            _wrk(bare_url, cookie, 3, script)
            out["no_access"] = _wrk(bare_url, cookie, seconds, script)
        finally:
            bare.stop()
    return out


_VERDICTS = {0: "intact", 1: "PROBLEMS", 3: "not verified"}


def markdown(r: dict[str, Any]) -> str:
    def ms(us: float) -> str:
        return f"{us / 1000:,.1f}"

    def row(label: str, v: dict[str, float]) -> str:
        return (
            f"| {label} | {v['rps']:,.1f} | {ms(v['LT_P50'])} | {ms(v['LT_P95'])} "
            f"| {ms(v['LT_P99'])} | {v['LT_REQUESTS']:,.0f} | {v['LT_NON2XX']:,.0f} "
            f"| {v['LT_ERRORS']:,.0f} |"
        )

    lines = [
        f"wrk on loopback, {USERS} connections (= users, one session cookie of "
        f"`market.handler`), 2 wrk threads, {r['seconds']} s per page after a 3 s warm-up, in "
        f"{ROUNDS} turns of the case page and its baseline (requests/s and latencies: the "
        "median turn; requests: all turns); the "
        f"server (gunicorn 2 × {THREADS} threads) and wrk share the 2 cores. {r['cases']:,} cases "
        f"(the examples and generated index rows, {ACCESS_PER_CASE} ledger entries each). "
        "Page: the case 通市监罚〔2026〕12号 (compliant example).",
        "",
        "| page | requests/s | p50 ms | p95 ms | p99 ms | requests | non-2xx | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ratios = []
    for name, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        m = r[name]
        case, login = m["case"], m["login"]
        lines.append(row(f"**case page** (`/cases/<pk>/`), {label}", case))
        if name == "sqlite" and r.get("no_access"):
            lines.append(
                row("case page, no access entry (benchmark-only server), SQLite", r["no_access"])
            )
        lines.append(row(f"baseline: login page (`/login/`), {label}", login))
        verdict = _VERDICTS.get(m["verify_exit"], "error")
        turns = m.get("ratios") or [case["rps"] / login["rps"]]
        ratios.append(
            f"{label}: case page ÷ login page **{statistics.median(turns):.2f}** of the "
            f"requests/s (the median turn; each turn: {', '.join(f'{x:.2f}' for x in turns)}), "
            f"case page p95 **{ms(case['LT_P95'])} ms** (the median of the turns'); the log "
            f"verified after the run (agency key pinned, witness relaxed): {verdict}"
        )
    lines.append("")
    lines.append("; ".join(ratios) + ".")
    if r.get("no_access"):
        lines.append(
            f"With ÷ without the access entry (SQLite): "
            f"{r['sqlite']['case']['rps'] / r['no_access']['rps']:.2f}."
        )
    return "\n".join(lines)
