"""存证回执 on the record page and in the API (issue #12, item 3): anyone who may view the
record downloads it (an access in the ledger); it verifies offline with the agency's .vkey; a
user of another agency is refused and the attempt logged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.test import Client

from lawtrail.cli import main
from lawtrail.receipt_check import Result, check_receipt, parse_receipt
from lawtrail.web import wiring
from lawtrail.web.models import CaseIndex

pytestmark = pytest.mark.django_db
Login = Callable[[str], Client]
MARKET = "tonghua-market"
MARKET_CASE = "通市监罚〔2026〕12号"


def accesses(index: CaseIndex, action: str) -> list[dict[str, Any]]:
    entries = wiring.ledger().entries(
        index.agency_id, case_number=index.case_number, types=("access",)
    )
    return [a for a in (e.data()["access"] for e in entries) if a["action"] == action]


def test_the_record_page_offers_the_receipt_which_verifies_offline_with_the_agency_key(
    demo_cases: None, login: Login, web_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=MARKET_CASE)
    client = login("market.officer")
    url = f"/cases/{index.pk}/records/r03/receipt/"
    page = client.get(f"/cases/{index.pk}/records/r03/")
    assert page.status_code == 200
    assert url in page.content.decode() and "下载存证回执" in page.content.decode()

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    header = response["Content-Disposition"]
    assert header.startswith("attachment; filename*=utf-8''"), header
    assert unquote(header.split("''", 1)[1]) == "存证回执-通市监罚〔2026〕12号-r03.json"
    receipt = json.loads(response.content)
    [entry] = wiring.ledger().entries_named(MARKET, "record", "r03", case_number=MARKET_CASE)
    assert (receipt["seq"], receipt["leaf_hash"], receipt["case_number"], receipt["ref"]) == (
        entry.seq,
        entry.leaf_hash.hex(),
        MARKET_CASE,
        "r03",
    )
    vkey = web_env / "keys" / f"{MARKET}.vkey"
    result = Result("r3")
    check_receipt(parse_receipt(receipt), result, key=vkey.read_text("utf-8"))
    assert result.intact, result.problems
    path = web_env / "receipt.json"
    path.write_bytes(response.content)
    assert main(["receipt", "check", str(path), "--key", str(vkey)]) == 0
    assert "结果：完好" in capsys.readouterr().out

    assert [
        (a["user"], a["target"], a["outcome"]) for a in accesses(index, "download_receipt")
    ] == [("market.officer", "r03", "allowed")]
    assert client.get(f"/cases/{index.pk}/records/r999/receipt/").status_code == 404


def test_the_receipt_is_refused_to_a_user_of_another_agency_and_the_attempt_logged(
    demo_cases: None, login: Login
) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=MARKET_CASE)
    refused = login("postal.officer").get(f"/cases/{index.pk}/records/r03/receipt/")
    assert refused.status_code == 403
    assert b"leaf_hash" not in refused.content
    assert [(a["user"], a["outcome"]) for a in accesses(index, "download_receipt")] == [
        ("postal.officer", "denied")
    ]
    api = login("postal.officer").get(f"/api/cases/{index.pk}/records/r03/receipt")
    assert api.status_code == 403
    assert [a["outcome"] for a in accesses(index, "download_receipt")] == ["denied", "denied"]


def test_the_api_serves_the_receipt(demo_cases: None, login: Login, web_env: Path) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=MARKET_CASE)
    response = login("supervisor").get(f"/api/cases/{index.pk}/records/r03/receipt")
    assert response.status_code == 200, response.content
    receipt = response.json()
    assert receipt["format"] == "lawtrail-receipt/1" and receipt["ref"] == "r03"
    result = Result("api")
    vkey = (web_env / "keys" / f"{MARKET}.vkey").read_text("utf-8")
    check_receipt(parse_receipt(receipt), result, key=vkey)
    assert result.intact, result.problems
    [access] = accesses(index, "download_receipt")
    assert (access["user"], access["channel"], access["outcome"]) == (
        "supervisor",
        "api",
        "allowed",
    )
    missing = login("supervisor").get(f"/api/cases/{index.pk}/records/r999/receipt")
    assert missing.status_code == 404 and "detail" in missing.json()
