"""The REST API: token and session authentication, the pages' permissions and access log,
records appended through the services, Chinese errors with JSON paths, nothing edited or
deleted, and a self-contained /api/docs."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from lawtrail.core import notes, timeutil
from lawtrail.core.caseio import parse_case
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.ledger.witness import Witness
from lawtrail.web import wiring
from lawtrail.web.models import ApiToken, CaseIndex, User

pytestmark = pytest.mark.django_db

MARKET_CASE = "通市监罚〔2026〕12号"
AGENCIES = (
    "tonghua-postal",
    "tonghua-gazetteer",
    "tonghua-market",
    "benxi-hrss",
    "luanchuan-stats",
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64


@pytest.fixture
def api_client(demo_users: Any) -> Callable[[str], Client]:
    """A client that authenticates with a fresh bearer token of the user (no session)."""

    def make(username: str) -> Client:
        _, key = ApiToken.issue(User.objects.get(username=username), "tests")
        return Client(headers={"authorization": f"Bearer {key}"})

    return make


def market_case_id() -> int:
    return CaseIndex.objects.get(agency_id="tonghua-market", case_number=MARKET_CASE).pk


def ledger_sizes() -> dict[str, int]:
    ledger = wiring.ledger()
    return {agency: ledger.size(agency) if ledger.log_info(agency) else 0 for agency in AGENCIES}


def index_rows() -> list[tuple[Any, ...]]:
    return list(CaseIndex.objects.order_by("pk").values_list("pk", "records", "updated_at"))


def access_entries(agency: str) -> list[dict[str, Any]]:
    entries = wiring.ledger().entries(agency, types=("access",))
    return [{**e.data()["access"], "case_number": e.case_number, "ref": e.ref} for e in entries]


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def site_inspection(record_id: str = "api-r1", **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": record_id,
        "kind": "site_inspection",
        "at": "2026-03-05T10:00:00+08:00",
        "fields": {
            "location": "通化市东昌区新华大街218号",
            "findings": "现场发现涉案运动鞋 120 双",
        },
        "officers": [{"person": "market.handler", "certificate_shown": True}],
    }
    record.update(changes)
    return record


# ---------------------------------------------------------------------------- authentication


def test_a_bearer_token_authenticates_its_user(api_client: Callable[[str], Client]) -> None:
    response = api_client("market.handler").get("/api/me")
    assert response.status_code == 200
    me = response.json()
    assert me["username"] == "market.handler"
    assert me["agency"] == "tonghua-market"
    assert me["auth"] == "token"
    assert me["can_record"] is True
    assert "承办人" in me["role_labels"]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer lt_not-a-real-token",
        "Bearer ",
        "Basic bWFya2V0LmhhbmRsZXI6bGF3dHJhaWwtZGVtbw==",
    ],
)
def test_a_missing_or_bad_token_gets_401_in_chinese(
    demo_users: Any, authorization: str | None
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    response = Client(headers=headers).get("/api/cases")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert "未认证" in body["detail"]
    assert body["issues"] == []
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_not_replaced_by_the_session_cookie(
    login: Callable[[str], Client],
) -> None:
    client = login("market.handler")
    response = client.get("/api/me", headers={"authorization": "Bearer lt_wrong"})
    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(
    demo_users: Any, api_client: Callable[[str], Client]
) -> None:
    client = api_client("market.officer")
    User.objects.filter(username="market.officer").update(is_active=False)
    assert client.get("/api/me").status_code == 401


def test_create_api_token_prints_the_key_once_and_stores_only_its_hash(demo_users: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token", "stats.handler", "--label", "统计执法系统对接", stdout=out, stderr=err
    )
    key = out.getvalue().strip()
    assert re.fullmatch(r"lt_[A-Za-z0-9_-]{40,}", key)
    assert "只显示这一次" in err.getvalue()
    token = ApiToken.objects.get(user__username="stats.handler")
    assert token.label == "统计执法系统对接"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert key not in stored
    me = Client(headers={"authorization": f"Bearer {key}"}).get("/api/me").json()
    assert me["username"] == "stats.handler"


def test_create_api_token_refuses_an_unknown_user(demo_users: Any) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="不存在"):
        call_command("create_api_token", "nobody", "--label", "x", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


# ---------------------------------------------------------------------------- permissions


def test_an_officer_of_another_agency_gets_403_on_every_case_resource_and_each_attempt_is_logged(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    case_id = market_case_id()
    outsider = api_client("stats.officer")
    before_records = wiring.ledger().entries("tonghua-market", types=("record", "media"))
    before = [e.seq for e in before_records]
    reads = ["", "/records", "/records/r01", "/findings", "/verification", "/media"]
    for path in reads:
        response = outsider.get(f"/api/cases/{case_id}{path}")
        assert response.status_code == 403, path
        assert "无权" in response.json()["detail"]
        assert MARKET_CASE not in response.content.decode()
    assert (
        post_json(outsider, f"/api/cases/{case_id}/records", site_inspection()).status_code == 403
    )
    upload = outsider.post(
        f"/api/cases/{case_id}/media?filename=a.jpg&captured_at=2026-03-05T10:00:00%2B08:00",
        JPEG,
        content_type="application/octet-stream",
    )
    assert upload.status_code == 403

    denied = [e for e in access_entries("tonghua-market") if e["user"] == "stats.officer"]
    assert len(denied) == len(reads) + 2
    assert {e["outcome"] for e in denied} == {"denied"}
    assert {e["channel"] for e in denied} == {"api"}
    assert {e["case_number"] for e in denied} == {MARKET_CASE}
    assert {e["user_agency"] for e in denied} == {"luanchuan-stats"}
    after_records = wiring.ledger().entries("tonghua-market", types=("record", "media"))
    assert [e.seq for e in after_records] == before
    # nothing of it in the outsider's own agency's ledger
    assert all(e["user"] != "stats.officer" for e in access_entries("luanchuan-stats"))


def test_reading_a_case_through_the_api_is_an_allowed_access_in_the_ledger(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    case_id = market_case_id()
    client = api_client("market.officer")
    assert client.get(f"/api/cases/{case_id}").status_code == 200
    assert client.get(f"/api/cases/{case_id}/records/r02").status_code == 200
    mine = [e for e in access_entries("tonghua-market") if e["user"] == "market.officer"]
    assert [(e["action"], e["outcome"], e["channel"]) for e in mine] == [
        ("view_case", "allowed", "api"),
        ("view_record", "allowed", "api"),
    ]
    assert mine[1]["target"] == "r02"


def test_a_supervisor_reads_every_agency_but_cannot_record(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    client = api_client("supervisor")
    listing = client.get("/api/cases?limit=200").json()
    assert listing["count"] == CaseIndex.objects.count() == 11
    case_id = market_case_id()
    assert client.get(f"/api/cases/{case_id}").status_code == 200
    sizes = ledger_sizes()
    response = post_json(client, f"/api/cases/{case_id}/records", site_inspection())
    assert response.status_code == 403
    assert "无权在该案件中记录" in response.json()["detail"]
    denied = [e for e in access_entries("tonghua-market") if e["outcome"] == "denied"]
    assert [(e["user"], e["action"]) for e in denied] == [("supervisor", "append_record")]
    assert ledger_sizes()["tonghua-market"] == sizes["tonghua-market"] + 1  # the refusal only


def test_the_case_list_holds_only_the_users_agency_and_filters(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    client = api_client("market.handler")
    listing = client.get("/api/cases").json()
    market = CaseIndex.objects.filter(agency_id="tonghua-market")
    assert listing["count"] == market.count() == 3
    assert {c["agency"] for c in listing["items"]} == {"tonghua-market"}
    other = client.get("/api/cases?agency=benxi-hrss").json()
    assert other == {"count": 0, "items": []}
    simplified = client.get("/api/cases?procedure=simplified").json()
    assert [c["procedure"] for c in simplified["items"]] == ["simplified"]
    found = client.get("/api/cases", {"q": "12号"}).json()
    assert [c["case_number"] for c in found["items"]] == [MARKET_CASE]
    page = client.get("/api/cases?limit=1&offset=1").json()
    assert page["count"] == 3
    assert len(page["items"]) == 1


def test_a_bad_query_parameter_gets_400_in_chinese(
    demo_users: Any, api_client: Callable[[str], Client]
) -> None:
    response = api_client("market.handler").get("/api/cases?limit=0&stage=nowhere")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "请求参数未通过校验"
    issues = {i["path"]: i["message"] for i in body["issues"]}
    assert issues["query.limit"] == "不能小于 1"
    assert issues["query.stage"].startswith("应为以下之一")


# ---------------------------------------------------------------------------- reading


def test_a_case_is_served_in_the_case_file_format(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    data = api_client("market.handler").get(f"/api/cases/{market_case_id()}").json()
    case = parse_case(data)
    assert case.case_number == MARKET_CASE
    assert case.agency == "tonghua-market"
    assert len(case.records) == CaseIndex.objects.get(pk=market_case_id()).records


def test_records_carry_their_ledger_position(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    client = api_client("market.handler")
    records = client.get(f"/api/cases/{market_case_id()}/records").json()
    ledger = wiring.ledger()
    for item in records:
        entry = ledger.entry("tonghua-market", item["seq"])
        assert entry is not None
        assert entry.ref == item["record"]["id"]
        assert entry.leaf_hash.hex() == item["leaf_hash"]
    one = client.get(f"/api/cases/{market_case_id()}/records/{records[1]['record']['id']}")
    assert one.json() == records[1]
    missing = client.get(f"/api/cases/{market_case_id()}/records/no-such-record")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "记录不存在"
    assert client.get("/api/cases/999999").json()["detail"] == "案件不存在"


def test_findings_name_the_article_and_required_acts_their_due_dates(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    index = CaseIndex.objects.filter(agency_id="tonghua-market", violations__gt=0).first()
    assert index is not None
    body = api_client("market.handler").get(f"/api/cases/{index.pk}/findings").json()
    assert body["violations"] == index.violations
    violation = next(f for f in body["findings"] if f["severity"] == "violation")
    assert re.fullmatch(r"第[一二三四五六七八九十百]+条", violation["article_label"])
    assert violation["message"]
    # an emergency start owes the start approval within a deadline (tonghua-market art. 8)
    now = timeutil.now().replace(microsecond=0).isoformat()
    opened = post_json(
        api_client("market.handler"),
        "/api/cases",
        {
            "case_number": "通市监罚〔2026〕901号",
            "acts": ["compulsory"],
            "procedure": "general",
            "origin": "emergency",
            "opened_at": now,
            "first_record": {"id": "r01", "kind": "emergency_start", "at": now},
        },
    ).json()
    fresh = api_client("market.handler").get(f"/api/cases/{opened['id']}/findings").json()
    due = [r for r in fresh["required"] if r["due"]]
    assert [r["kinds"] for r in due] == [["initiation_approval"]], fresh["required"]
    assert due[0]["kind_labels"] == ["程序启动审批表"]
    assert due[0]["article_label"] == "第八条"
    assert due[0]["due"] > now


def test_verification_reports_an_intact_case_with_its_checkpoint(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    body = api_client("market.handler").get(f"/api/cases/{market_case_id()}/verification").json()
    assert body["ok"] is True
    assert body["problems"] == []
    checkpoint = body["checkpoint"]
    assert re.fullmatch(r"[0-9a-f]{64}", checkpoint["root"])
    assert checkpoint["size"] == wiring.ledger().size("tonghua-market")
    seqs = [e["seq"] for e in body["entries"]]
    assert seqs == sorted(seqs)
    assert {e["type"] for e in body["entries"]} >= {"case", "record", "access"}
    assert all(e["signed"] for e in body["entries"])
    # No witness is configured here: nothing wrong, but not verified — never 完好.
    assert (body["status"], body["status_label"]) == ("not_verified", "未验证")
    assert any("见证方" in reason for reason in body["not_verified"])


def test_verification_is_intact_once_a_configured_witness_cosigned_the_case(
    demo_cases: None, api_client: Callable[[str], Client], tmp_path: Path
) -> None:
    signer = notes.CosignatureSigner.generate("yifazhishi.tonghua.example")
    wiring.keys().add_witness(signer.verifier_key())
    Witness(signer, tmp_path / "witness").cosign(wiring.ledger(), "tonghua-market")
    client = api_client("market.handler")
    body = client.get(f"/api/cases/{market_case_id()}/verification").json()
    assert (body["ok"], body["status"], body["status_label"]) == (True, "intact", "完好")
    assert body["not_verified"] == []
    # A record after the cosignature: named as not yet witnessed until the witness catches up.
    response = post_json(client, f"/api/cases/{market_case_id()}/records", site_inspection())
    assert response.status_code in (200, 201), response.content
    [entry] = wiring.ledger().entries_named("tonghua-market", "record", "api-r1")
    body = client.get(f"/api/cases/{market_case_id()}/verification").json()
    assert body["status"] == "not_verified"
    [reason] = body["not_verified"]
    assert reason.startswith("机关 tonghua-market 本案第 ") and reason.endswith("条尚无见证联署")
    assert f"{entry.seq} 条尚无见证联署" in reason, reason  # the new record's entry is named


def test_record_kinds_come_from_the_core_definitions(
    demo_users: Any, api_client: Callable[[str], Client]
) -> None:
    kinds = api_client("market.officer").get("/api/record-kinds").json()
    assert [k["id"] for k in kinds] == list(RECORD_KINDS)
    service = next(k for k in kinds if k["id"] == "service")
    assert service["label"] == "送达"
    assert service["stage_label"] == "送达"
    method = next(f for f in service["fields"] if f["name"] == "method")
    assert method["required"] is True
    assert method["type"] == "choice"
    assert {"value": "lodging", "label": "留置送达"} in method["choices"]


# ---------------------------------------------------------------------------- writing


def test_an_appended_record_lands_in_the_ledger_and_the_case_index(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    case_id = market_case_id()
    before = CaseIndex.objects.get(pk=case_id).records
    record = site_inspection(recorded_at="2020-01-01T00:00:00+08:00")  # the server's clock wins
    response = post_json(api_client("market.handler"), f"/api/cases/{case_id}/records", record)
    assert response.status_code == 201, response.json()
    body = response.json()
    entry = wiring.ledger().entry("tonghua-market", body["seq"])
    assert entry is not None
    assert (entry.type, entry.ref, entry.case_number) == ("record", "api-r1", MARKET_CASE)
    stored = entry.data()["record"]
    assert stored == body["record"]
    assert stored["fields"] == record["fields"]
    assert stored["recorded_at"] > "2026-"
    assert body["case"]["records"] == before + 1
    assert CaseIndex.objects.get(pk=case_id).records == before + 1
    case = api_client("market.officer").get(f"/api/cases/{case_id}").json()
    assert case["records"][-1]["id"] == "api-r1"


@pytest.mark.parametrize(
    ("record", "path", "message"),
    [
        (
            {"id": "api-s1", "kind": "service", "at": "2026-03-20T10:00:00+08:00", "fields": {}},
            "$.fields.method",
            "缺少必填字段「送达方式」",
        ),
        (site_inspection(at="2026-03-05T10:00:00"), "$.at", "缺少时区偏移"),
        (site_inspection(kind="site_visit"), "$.kind", "记录类型"),
        (
            site_inspection(fields={"location": "x", "colour": "red"}),
            "$.fields.colour",
            "未知的键",
        ),
        (site_inspection(id="r01"), "$.id", "重复"),
        (site_inspection(at="2026-03-05T10:00:00+08:00\u0000"), "$.at", "控制字符"),
        (site_inspection(at="9999-12-31T23:59:59-12:00"), "$.at", "超出系统支持的范围"),
    ],
    ids=[
        "missing-required",
        "naive-time",
        "unknown-kind",
        "unknown-field",
        "duplicate-id",
        "nul-char",
        "out-of-range",
    ],
)
def test_a_bad_record_gets_400_in_chinese_with_its_json_path_and_nothing_is_stored(
    demo_cases: None,
    api_client: Callable[[str], Client],
    record: dict[str, Any],
    path: str,
    message: str,
) -> None:
    sizes, rows = ledger_sizes(), index_rows()
    response = post_json(
        api_client("market.handler"), f"/api/cases/{market_case_id()}/records", record
    )
    assert response.status_code == 400
    body = response.json()
    assert re.search(r"[\u4e00-\u9fff]", body["detail"])
    issues = {i["path"]: i["message"] for i in body["issues"]}
    assert path in issues, body
    assert message in issues[path]
    assert ledger_sizes() == sizes
    assert index_rows() == rows


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        (b"{not json", "application/json", 400, "不是有效的 JSON"),
        (b"[1, 2]", "application/json", 400, "记录未通过校验"),
        (b"\xff\xfe", "application/json", 400, "UTF-8"),
        (b"id=r9&kind=site_inspection", "application/x-www-form-urlencoded", 415, "JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    demo_cases: None,
    api_client: Callable[[str], Client],
    body: bytes,
    content_type: str,
    status: int,
    detail: str,
) -> None:
    sizes = ledger_sizes()
    client = api_client("market.handler")
    response = client.post(
        f"/api/cases/{market_case_id()}/records", body, content_type=content_type
    )
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert ledger_sizes() == sizes


def test_opening_a_case_with_its_first_record_and_a_duplicate_number_gets_409(
    demo_users: Any, api_client: Callable[[str], Client]
) -> None:
    client = api_client("postal.handler")
    header = {
        "case_number": "通邮检〔2026〕77号",
        "title": "快递网点分拣作业检查",
        "acts": ["inspection"],
        "procedure": "general",
        "origin": "ex_officio",
        "opened_at": "2026-04-01T09:00:00+08:00",
        "parties": [{"id": "p1", "name": "通化市某快递服务有限公司"}],
        "first_record": {
            "id": "r01",
            "kind": "initiation_approval",
            "at": "2026-04-01T09:00:00+08:00",
            "fields": {"reason": "日常检查计划", "handler_opinion": "建议检查"},
        },
    }
    response = post_json(client, "/api/cases", header)
    assert response.status_code == 201, response.json()
    summary = response.json()
    assert summary["agency"] == "tonghua-postal"
    assert summary["handler"] == "postal.handler"
    assert summary["records"] == 1
    case = client.get(f"/api/cases/{summary['id']}").json()
    assert [r["id"] for r in case["records"]] == ["r01"]
    assert "postal.handler" in {p["id"] for p in case["people"]}

    sizes = ledger_sizes()
    again = post_json(client, "/api/cases", {**header, "title": "另一案由"})
    assert again.status_code == 409
    assert "已存在" in again.json()["detail"]
    assert ledger_sizes() == sizes


def test_opening_a_case_refuses_another_agency_and_bad_first_records_atomically(
    demo_users: Any, api_client: Callable[[str], Client]
) -> None:
    client = api_client("postal.handler")
    sizes, rows = ledger_sizes(), index_rows()
    header = {
        "case_number": "通邮检〔2026〕78号",
        "agency": "benxi-hrss",
        "acts": ["inspection"],
        "procedure": "general",
        "origin": "ex_officio",
        "opened_at": "2026-04-01T09:00:00+08:00",
    }
    response = post_json(client, "/api/cases", header)
    assert response.status_code == 400
    assert response.json()["issues"] == [{"path": "$.agency", "message": "未知的键（拼写错误？）"}]
    del header["agency"]
    header["first_record"] = {"id": "r01", "kind": "complaint", "at": "2026-04-01T09:00:00"}
    response = post_json(client, "/api/cases", header)
    assert response.status_code == 400
    paths = [i["path"] for i in response.json()["issues"]]
    assert paths == ["$.first_record.at"]
    assert ledger_sizes() == sizes
    assert index_rows() == rows


# ---------------------------------------------------------------------------- media


def test_a_media_file_uploaded_through_the_api_can_be_cited_by_a_record(
    demo_cases: None, api_client: Callable[[str], Client]
) -> None:
    case_id = market_case_id()
    client = api_client("market.handler")
    response = client.post(
        f"/api/cases/{case_id}/media?filename=IMG_0001.jpg&captured_at=2026-03-05T10:01:00%2B08:00"
        "&device=body_camera",
        JPEG,
        content_type="application/octet-stream",
    )
    assert response.status_code == 201, response.json()
    media = response.json()["media"]
    assert media["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert media["size"] == len(JPEG)
    assert media["uploader"] == "market.handler"
    assert media["labels"]["case_number"] == MARKET_CASE
    listed = client.get(f"/api/cases/{case_id}/media").json()
    assert media in listed
    record = site_inspection(media=[{"sha256": media["sha256"]}])
    appended = post_json(client, f"/api/cases/{case_id}/records", record)
    assert appended.status_code == 201, appended.json()
    assert appended.json()["record"]["media"][0]["sm3"] == media["sm3"]


@pytest.mark.parametrize(
    ("query", "body", "status", "detail"),
    [
        ("filename=setup.exe", JPEG, 415, "不允许的文件类型"),
        ("filename=IMG_0002.jpg", b"MZ\x90\x00" + b"\x00" * 64, 415, ""),
        ("filename=../../etc/passwd.jpg", JPEG, 400, "路径"),
    ],
)
def test_a_forbidden_upload_gets_a_chinese_error_and_stores_nothing(
    demo_cases: None,
    api_client: Callable[[str], Client],
    query: str,
    body: bytes,
    status: int,
    detail: str,
) -> None:
    sizes = ledger_sizes()
    response = api_client("market.handler").post(
        f"/api/cases/{market_case_id()}/media?{query}&captured_at=2026-03-05T10:01:00%2B08:00",
        body,
        content_type="application/octet-stream",
    )
    assert response.status_code == status
    assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"])
    assert detail in response.json()["detail"]
    assert ledger_sizes() == sizes


def test_an_upload_over_the_size_limit_gets_413_and_stores_nothing(
    demo_cases: None, api_client: Callable[[str], Client], web_env: Any
) -> None:
    sizes = ledger_sizes()
    with override_settings(LAWTRAIL_MAX_UPLOAD_BYTES=32):
        response = api_client("market.handler").post(
            f"/api/cases/{market_case_id()}/media?filename=a.jpg"
            "&captured_at=2026-03-05T10:01:00%2B08:00",
            JPEG,
            content_type="application/octet-stream",
        )
    assert response.status_code == 413
    assert "文件过大" in response.json()["detail"]
    assert ledger_sizes() == sizes
    assert not list((web_env / "media").rglob("*.jpg"))


# ---------------------------------------------------------------------------- session & CSRF


def test_the_browser_session_reads_and_needs_a_csrf_token_to_write(
    demo_cases: None,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="market.handler"))
    assert client.get("/api/me").json()["auth"] == "session"
    case_id = market_case_id()
    sizes, rows = ledger_sizes(), index_rows()
    refused = post_json(client, f"/api/cases/{case_id}/records", site_inspection())
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert ledger_sizes() == sizes
    assert index_rows() == rows

    client.get("/api/docs")  # the docs page renders a CSRF token: the cookie is set
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        f"/api/cases/{case_id}/records",
        json.dumps(site_inspection()),
        content_type="application/json",
        headers={"x-csrftoken": token},
    )
    assert accepted.status_code == 201, accepted.json()


# ---------------------------------------------------------------------------- nothing changes


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_put_patch_and_delete_get_405_and_change_nothing(
    demo_cases: None, api_client: Callable[[str], Client], method: str
) -> None:
    case_id = market_case_id()
    client = api_client("market.handler")
    sizes, rows = ledger_sizes(), index_rows()
    urls = [
        "/api/cases",
        f"/api/cases/{case_id}",
        f"/api/cases/{case_id}/records",
        f"/api/cases/{case_id}/records/r01",
        f"/api/cases/{case_id}/findings",
        f"/api/cases/{case_id}/verification",
        f"/api/cases/{case_id}/media",
        "/api/record-kinds",
        "/api/me",
    ]
    for url in urls:
        response = getattr(client, method)(
            url, json.dumps({"fields": {"location": "改"}}), content_type="application/json"
        )
        assert response.status_code == 405, url
        assert "不能修改或删除" in response.json()["detail"]
        assert method.upper() not in response["Allow"]
    assert ledger_sizes() == sizes
    assert index_rows() == rows


def test_an_unknown_api_path_gets_a_json_404(demo_users: Any) -> None:
    response = Client().post("/api/cases/1/records/r1/delete")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("接口不存在")


# ---------------------------------------------------------------------------- docs


def test_the_api_docs_render_from_the_projects_own_static_files(demo_users: Any) -> None:
    client = Client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert re.findall(r"https?://[^\s\"'<>]+", html) == []
    scripts = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert scripts
    for url in scripts:
        assert url.startswith("/static/"), url
        static = client.get(url)
        assert static.status_code == 200, url
        static.close()
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "执法留痕 LawTrail API"
    assert "/api/cases/{case_id}/records" in schema["paths"]
