"""API tokens (issue #13 item 3): expiry, scope, last use, revocation, media content by token."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from lawtrail.web import wiring
from lawtrail.web.models import ApiToken, User

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x07" * 64
HEADER = {
    "case_number": "通邮检〔2026〕91号",
    "title": "快递网点分拣作业检查",
    "acts": ["inspection"],
    "procedure": "general",
    "origin": "ex_officio",
    "opened_at": "2026-04-01T09:00:00+08:00",
    "parties": [{"id": "p1", "name": "通化市某快递服务有限公司"}],
}


def bearer(key: str) -> Client:
    return Client(headers={"authorization": f"Bearer {key}"})


def issue(username: str, scope: str, days: int = 90) -> tuple[ApiToken, str]:
    return ApiToken.issue(User.objects.get(username=username), "tests", scope=scope, days=days)


def access(agency: str) -> list[dict[str, Any]]:
    entries = wiring.ledger().entries(agency, types=("access",))
    return [{**e.data()["access"], "case_number": e.case_number} for e in entries]


def open_case(client: Client) -> int:
    response = client.post("/api/cases", json.dumps(HEADER), content_type="application/json")
    assert response.status_code == 201, response.json()
    return int(response.json()["id"])


def test_an_expired_token_is_401_and_a_revoked_one_too(demo_users: Any) -> None:
    token, key = issue("postal.handler", "read", days=1)
    assert bearer(key).get("/api/me").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        response = bearer(key).get("/api/me")
    assert response.status_code == 401
    assert "令牌" in response.json()["detail"]

    token, key = issue("postal.handler", "write")
    assert bearer(key).get("/api/me").status_code == 200
    assert token.revoke()
    assert bearer(key).get("/api/me").status_code == 401
    assert not token.revoke()  # once


def test_token_expiry_is_at_most_a_year() -> None:
    with pytest.raises(ValueError, match="365"):
        ApiToken.issue(User(username="x"), "x", days=366)


def test_a_read_token_is_refused_writes_with_403_logged_and_a_write_token_works(
    demo_users: Any,
) -> None:
    _, write_key = issue("postal.handler", "write")
    case_id = open_case(bearer(write_key))  # a write token works
    _, read_key = issue("postal.handler", "read")
    reader = bearer(read_key)
    assert reader.get(f"/api/cases/{case_id}").status_code == 200

    record = {"id": "r02", "kind": "site_inspection", "at": "2026-04-01T10:00:00+08:00"}
    size = wiring.ledger().size("tonghua-postal")
    response = reader.post(
        f"/api/cases/{case_id}/records", json.dumps(record), content_type="application/json"
    )
    assert response.status_code == 403
    assert "只读令牌" in response.json()["detail"]
    refused = [e for e in access("tonghua-postal") if e["outcome"] == "denied"]
    assert [(e["action"], e["case_number"], e["channel"]) for e in refused] == [
        ("append_record", HEADER["case_number"], "api")
    ]
    assert wiring.ledger().size("tonghua-postal") == size + 1  # the refusal, nothing else

    opened = reader.post("/api/cases", json.dumps(HEADER), content_type="application/json")
    assert opened.status_code == 403


def test_last_used_is_recorded_at_most_once_a_minute(demo_users: Any) -> None:
    token, key = issue("postal.handler", "read")
    assert token.last_used_at is None
    client = bearer(key)
    client.get("/api/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/me")
    token.refresh_from_db()
    assert token.last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        client.get("/api/me")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > first


def test_media_content_is_downloadable_with_a_read_token_and_logged(demo_users: Any) -> None:
    _, write_key = issue("postal.handler", "write")
    writer = bearer(write_key)
    case_id = open_case(writer)
    upload = writer.post(
        f"/api/cases/{case_id}/media?filename=IMG_0001.jpg&captured_at=2026-04-01T10:01:00%2B08:00",
        JPEG,
        content_type="application/octet-stream",
    )
    assert upload.status_code == 201, upload.json()
    sha256 = hashlib.sha256(JPEG).hexdigest()

    _, read_key = issue("postal.handler", "read")
    reader = bearer(read_key)
    listed = reader.get(f"/api/cases/{case_id}/media").json()
    url = listed[0]["url"]
    assert url == f"/api/cases/{case_id}/media/{sha256}/content"
    response = reader.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["Content-Type"] == "image/jpeg"
    downloads = [e for e in access("tonghua-postal") if e["action"] == "download_media"]
    assert [(e["target"], e["outcome"], e["channel"]) for e in downloads] == [
        (sha256, "allowed", "api")
    ]

    # Another agency's token: refused, and the refusal is in the case's agency's log.
    _, outsider = issue("stats.officer", "read")
    assert bearer(outsider).get(url).status_code == 403
    refused = [e for e in access("tonghua-postal") if e["outcome"] == "denied"]
    assert [e["user"] for e in refused] == ["stats.officer"]
    assert bearer(read_key).get(url.replace(sha256, "0" * 64)).status_code == 404


def test_the_owner_creates_and_revokes_tokens_on_the_web_page(demo_users: Any) -> None:
    client = Client()
    assert client.login(username="postal.handler", password="lawtrail-demo")
    page = client.get("/account/tokens/")
    assert page.status_code == 200
    assert "我的接口令牌" in page.content.decode()
    bad = client.post("/account/tokens/", {"label": "对接", "scope": "read", "days": "400"})
    assert "有效期最长 365 天" in bad.content.decode()
    created = client.post("/account/tokens/", {"label": "统计对接", "scope": "read", "days": "30"})
    html = created.content.decode()
    assert "令牌只显示这一次" in html
    token = ApiToken.objects.get(user__username="postal.handler", label="统计对接")
    assert token.scope == "read"
    assert token.expires_at - timezone.now() < timedelta(days=30, minutes=1)
    key = html.split('<code class="token-key">')[1].split("</code>")[0]
    assert ApiToken.hash(key) == token.key_hash
    assert bearer(key).get("/api/me").status_code == 200

    # Not someone else's token.
    _, other = issue("stats.officer", "read")
    other_token = ApiToken.objects.get(user__username="stats.officer")
    assert client.post(f"/account/tokens/{other_token.pk}/revoke/").status_code == 404
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    assert bearer(key).get("/api/me").status_code == 401
    assert bearer(other).get("/api/me").status_code == 200
    actions = [e["action"] for e in access("tonghua-postal")]
    assert actions.count("token_created") == 1
    assert actions.count("token_revoked") == 1


def test_the_admin_revokes_tokens_with_an_action(demo_users: Any) -> None:
    token, key = issue("postal.handler", "write")
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))
    response = admin.post(
        "/admin/lawtrail/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [str(token.pk)]},
    )
    assert response.status_code == 302
    assert bearer(key).get("/api/me").status_code == 401
    assert "token_revoked" in [e["action"] for e in access("tonghua-postal")]
