"""Load on the case page: 20 concurrent users on loopback (wrk), the server as `lawtrail serve`
runs it (gunicorn, 2 processes × 8 threads, SQLite + local media).

Every case-page view does what production does: checks the user's agency, appends an access
entry to the agency's ledger (one durable transaction with a newly signed checkpoint), reads
the case from the ledger, runs the rule engine, checks the case's inclusion proofs against the
latest checkpoint and renders the page. Baseline: the login page on the same server (Django's
request cycle, session and template rendering, no ledger, no database write).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from lawtrail.web.launch import LocalServer

USERS = 20
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


def run(quick: bool) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (deps/apt.txt; ./run.sh installs it)")
    seconds = 5 if quick else 30
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-web-") as tmp:
        server = LocalServer(Path(tmp) / "data", workers=2, threads=8).start()
        try:
            script = Path(tmp) / "report.lua"
            script.write_text(LUA)
            cookie = server.session_cookie("market.handler")
            pk = _case_pk(server, "通市监罚〔2026〕12号")
            case_url = f"{server.url}/cases/{pk}/"
            _wrk(case_url, cookie, 3, script)  # warm-up: imports, caches, first checkpoints
            case = _wrk(case_url, cookie, seconds, script)
            login = _wrk(f"{server.url}/login/", "", seconds, script)
            # The agency key pinned; no witness runs in this benchmark (relaxed, reported).
            check = server.lawtrail(
                *("verify", "--agency", "tonghua-market", "--allow-unwitnessed"),
                *("--key", str(server.data_dir / "keys" / "tonghua-market.vkey")),
            )
        finally:
            server.stop()
        # The same server and data with no access entry per view (benchmarks/
        # serve_without_access.py): is the page limited by the ledger's write lock?
        bare = LocalServer(
            Path(tmp) / "data-bare",
            workers=2,
            threads=8,
            serve_module=("benchmarks.serve_without_access",),
        )
        bare.env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
        bare.start()
        try:
            cookie = bare.session_cookie("market.handler")
            bare_url = f"{bare.url}/cases/{_case_pk(bare, '通市监罚〔2026〕12号')}/"
            _wrk(bare_url, cookie, 3, script)
            no_access = _wrk(bare_url, cookie, seconds, script)
        finally:
            bare.stop()
    return {
        "seconds": seconds,
        "case": case,
        "no_access": no_access,
        "login": login,
        "verify_exit": check.returncode,
    }


_VERDICTS = {0: "intact", 1: "PROBLEMS", 3: "not verified"}


def markdown(r: dict[str, Any]) -> str:
    case, login, bare = r["case"], r["login"], r.get("no_access")

    def ms(us: float) -> str:
        return f"{us / 1000:,.1f}"

    return "\n".join(
        [
            f"wrk on loopback, {USERS} connections (= users, one session cookie of "
            f"`market.handler`), 2 wrk threads, {r['seconds']} s per run after a 3 s warm-up; "
            "the server and wrk share the 2 cores. Page: the case 通市监罚〔2026〕12号 "
            "(compliant example, 30 ledger entries before the run).",
            "",
            "| page | requests/s | p50 ms | p95 ms | p99 ms | requests | non-2xx | errors |",
            "|---|---|---|---|---|---|---|---|",
            f"| **case page** (`/cases/<pk>/`) | **{case['rps']:,.1f}** | {ms(case['LT_P50'])} "
            f"| **{ms(case['LT_P95'])}** | {ms(case['LT_P99'])} | {case['LT_REQUESTS']:,.0f} "
            f"| {case['LT_NON2XX']:,.0f} | {case['LT_ERRORS']:,.0f} |",
            *(
                [
                    f"| case page, no access entry (benchmark-only server) "
                    f"| {bare['rps']:,.1f} | {ms(bare['LT_P50'])} | {ms(bare['LT_P95'])} "
                    f"| {ms(bare['LT_P99'])} | {bare['LT_REQUESTS']:,.0f} "
                    f"| {bare['LT_NON2XX']:,.0f} | {bare['LT_ERRORS']:,.0f} |"
                ]
                if bare
                else []
            ),
            f"| baseline: login page (`/login/`) | {login['rps']:,.1f} | {ms(login['LT_P50'])} "
            f"| {ms(login['LT_P95'])} | {ms(login['LT_P99'])} | {login['LT_REQUESTS']:,.0f} "
            f"| {login['LT_NON2XX']:,.0f} | {login['LT_ERRORS']:,.0f} |",
            "",
            f"Ratio case page ÷ baseline: {case['rps'] / login['rps']:.2f} of the requests/s"
            + (
                f"; with ÷ without the access entry: {case['rps'] / bare['rps']:.2f}. "
                if bare
                else ". "
            )
            + f"Each case-page view appended one access entry: after the run `lawtrail verify "
            f"--agency tonghua-market --key … --allow-unwitnessed` exited {r['verify_exit']} "
            f"({_VERDICTS.get(r['verify_exit'], 'error')}).",
        ]
    )
