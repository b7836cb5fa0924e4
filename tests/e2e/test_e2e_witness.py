"""The demo's arrangement for real (issue #12 item 1): a LawTrail server (gunicorn, SQLite,
its own data directory) and the supervisor's witness service as another process with its own
directory, configured by `lawtrail witness init` with each agency log's key pinned. Every
agency's log gets cosigned over HTTP within seconds, the server stores the cosignatures (the
witness's key being in the agency's keys/witnesses/), and the supervisor's page shows them.
The session's server (tests/e2e/conftest.py) runs with ``witness=True``."""

from __future__ import annotations

import json
import urllib.request

from lawtrail.web.launch import LocalServer
from tests.integration.witnessing import wait_for

AGENCIES = (
    "tonghua-market",
    "tonghua-postal",
    "tonghua-gazetteer",
    "benxi-hrss",
    "luanchuan-stats",
)
# and the supervisor's own log, where the demo's 案卷评查 is signed (lawtrail.case_review)
LOGS = (*AGENCIES, "yfzsb")


def get_json(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=5) as response:
        return dict(json.loads(response.read()))


def test_the_demo_witness_runs_apart_and_cosigns_every_agency_log(server: LocalServer) -> None:
    assert server.witness_dir is not None and server.witness_url is not None
    assert not server.witness_dir.is_relative_to(server.data_dir)
    assert (server.data_dir / "keys" / "witnesses" / "yifazhishi.test.vkey").exists()

    def all_cosigned() -> bool:
        for agency in LOGS:
            status = get_json(f"{server.url}/ledger/{agency}/status")
            if status["cosignatures"].get("yifazhishi.test") != status["checkpoint_size"]:
                return False
        return True

    wait_for(all_cosigned, "every agency's log and the supervisor's cosigned", timeout=30)
    witness = get_json(f"{server.witness_url}/status")
    assert {log["origin"].rsplit("/", 1)[1] for log in witness["logs"]} == set(LOGS)
    assert all(log["cosigned_size"] for log in witness["logs"])
    assert get_json(f"{server.witness_url}/alerts")["unresolved"] == 0

    cookie = server.session_cookie("supervisor")
    request = urllib.request.Request(
        f"{server.url}/supervision/witness/", headers={"Cookie": cookie}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        page = response.read().decode()
    assert "见证方 <strong>yifazhishi.test</strong>" in page
    assert "没有未处理的告警" in page
    assert "见证服务不可达" not in page
