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
            check = server.lawtrail("verify", "--agency", "tonghua-market")
        finally:
            server.stop()
    return {
        "seconds": seconds,
        "case": case,
        "login": login,
        "verify_exit": check.returncode,
    }


def markdown(r: dict[str, Any]) -> str:
    case, login = r["case"], r["login"]

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
            f"| baseline: login page (`/login/`) | {login['rps']:,.1f} | {ms(login['LT_P50'])} "
            f"| {ms(login['LT_P95'])} | {ms(login['LT_P99'])} | {login['LT_REQUESTS']:,.0f} "
            f"| {login['LT_NON2XX']:,.0f} | {login['LT_ERRORS']:,.0f} |",
            "",
            f"Ratio case page ÷ baseline: {case['rps'] / login['rps']:.2f} of the requests/s. "
            f"Each case-page view appended one access entry: after the run `lawtrail verify "
            f"--agency tonghua-market` exited {r['verify_exit']} "
            f"({'intact' if r['verify_exit'] == 0 else 'PROBLEMS'}).",
        ]
    )
