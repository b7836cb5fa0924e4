"""The error pages in Chinese (issue #15): 400, 403, 404, 500, the CSRF failure page that gives
back what was typed, and the API's JSON errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError, Throttled

from lawtrail.web.api import api
from lawtrail.web.models import ApiToken, CaseIndex, User

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
AT = "2026-11-20T10:00"
TEST_URLS = "tests.integration.web.error_urls"


def text(response: Any) -> str:
    return str(response.content.decode())


def market_case() -> CaseIndex:
    return CaseIndex.objects.get(agency_id="tonghua-market", case_number="通市监罚〔2026〕12号")


def closure_url(index: CaseIndex) -> str:
    return f"/cases/{index.pk}/records/new/closure/"


def hidden_inputs(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


# ---------------------------------------------------------------------------- 400 403 404 500


def test_a_bad_host_gets_the_chinese_400_page(demo_users: Any) -> None:
    response = Client().get("/", HTTP_HOST="not-our-host.example")
    assert response.status_code == 400
    page = text(response)
    assert "请求无效" in page and "错误代码：400" in page
    assert "Bad Request" not in page
    assert '<html lang="zh-CN">' in page


@override_settings(ROOT_URLCONF=TEST_URLS)
def test_a_suspicious_request_gets_the_chinese_400_page(login: Login) -> None:
    response = login("market.handler").get("/test-only/suspicious/")
    assert response.status_code == 400
    assert "请求无效" in text(response)


def test_a_refusal_gets_the_chinese_403_page_with_its_reason(
    demo_cases: None, login: Login
) -> None:
    response = login("supervisor").get(closure_url(market_case()))
    assert response.status_code == 403
    page = text(response)
    assert "<h1>无权访问</h1>" in page
    assert "被拒绝的访问会记入查阅记录" in page
    assert "返回首页" in page and "案件列表" in page
    assert 'class="topbar"' in page  # the site's layout, with its navigation


def test_an_unknown_page_gets_the_chinese_404_page(login: Login) -> None:
    response = login("market.handler").get("/no-such-page/")
    assert response.status_code == 404
    page = text(response)
    assert "<h1>未找到</h1>" in page and "页面或案件不存在" in page
    assert "Not Found" not in page and "tried" not in page


def test_a_missing_case_names_itself_on_the_404_page(login: Login) -> None:
    response = login("market.handler").get("/cases/999999/")
    assert response.status_code == 404
    assert "案件不存在" in text(response)


def test_an_english_message_of_django_is_not_shown(rf: RequestFactory) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404

    from lawtrail.web.views.errors import not_found

    request = rf.get("/cases/1/")
    request.user = AnonymousUser()
    response = not_found(request, Http404("No CaseIndex matches the given query."))
    assert "No CaseIndex" not in text(response)
    assert "页面或案件不存在" in text(response)


@override_settings(ROOT_URLCONF=TEST_URLS)
def test_a_failing_view_gets_the_self_contained_500_page(login: Login) -> None:
    client = login("market.handler")
    client.raise_request_exception = False
    response = client.get("/test-only/boom/")
    assert response.status_code == 500
    page = text(response)
    assert "<h1>服务器内部错误</h1>" in page and "错误代码：500" in page
    assert "Server Error" not in page
    assert 'class="topbar"' in page and "<nav>" not in page  # no navigation: no database


@override_settings(ROOT_URLCONF=TEST_URLS)
def test_the_500_page_renders_with_the_database_unavailable(demo_users: Any) -> None:
    from django.db import connection

    from lawtrail.web.views.errors import server_error

    request = RequestFactory().get("/cases/")
    with connection.execute_wrapper(_no_queries):
        response = server_error(request)
    assert response.status_code == 500
    assert "服务器内部错误" in text(response)


def _no_queries(*args: Any) -> Any:
    raise AssertionError("the 500 page must not query the database")


@override_settings(ROOT_URLCONF=TEST_URLS)
def test_api_paths_get_json_errors_in_chinese_from_the_site_handlers(login: Login) -> None:
    client = login("market.handler")
    client.raise_request_exception = False
    response = client.get("/api/test-only/boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "服务器内部错误，请联系管理员（已记录日志）", "issues": []}


# ---------------------------------------------------------------------------- CSRF failure


def test_a_stale_form_is_given_back_to_resubmit_with_a_fresh_token(
    demo_cases: None, demo_users: Any
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="market.handler"))
    index = market_case()
    typed = '整改完毕，"结案" <b>无误</b>'
    response = client.post(
        closure_url(index),
        {
            "at": AT,
            "f_reason": typed,
            "csrfmiddlewaretoken": "stale-token-from-before-the-new-sign-in",
            "password": "not-to-be-echoed",
            "otp_token": "123456",
        },
    )
    assert response.status_code == 403
    page = text(response)
    assert "<h1>页面已过期</h1>" in page
    assert "CSRF" not in page and "DEBUG" not in page
    assert "not-to-be-echoed" not in page and "123456" not in page
    assert "stale-token-from-before" not in page
    # everything escaped: the typed markup is shown, never interpreted
    assert "<b>无误</b>" not in page
    assert "&lt;b&gt;无误&lt;/b&gt;" in page
    # the readable list names the fields in Chinese
    assert "<dt>行为发生时间</dt>" in page
    assert re.search(r"<dt>[^<]*</dt><dd>整改完毕，&quot;结案&quot; &lt;b&gt;", page)
    assert f'action="{closure_url(index)}"' in page
    fields = hidden_inputs(page)
    assert set(fields) == {"at", "f_reason", "csrfmiddlewaretoken"}
    assert fields["csrfmiddlewaretoken"] != "stale-token-from-before-the-new-sign-in"
    # one click: the form as given back is accepted
    resubmitted = {
        k: v.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
        for k, v in fields.items()
    }
    assert resubmitted["f_reason"] == typed
    records_before = index.records
    response = client.post(closure_url(index), resubmitted)
    assert response.status_code == 302, text(response)[:2000]
    index.refresh_from_db()
    assert index.records == records_before + 1


def test_a_stale_form_while_signed_out_is_kept_across_the_new_sign_in(
    demo_cases: None, demo_users: Any
) -> None:
    client = Client(enforce_csrf_checks=True)
    index = market_case()
    response = client.post(closure_url(index), {"at": AT, "f_reason": "请保存我写的这段话"})
    assert response.status_code == 403
    page = text(response)
    assert "您已退出登录" in page and "请保存我写的这段话" in page
    assert "重新提交" not in page  # nothing to submit before signing in
    assert "/login/?next=%2Faccount%2Fkept-form%2F" in page
    assert client.login(username="market.handler", password="lawtrail-demo")
    restored = client.get("/account/kept-form/")
    assert restored.status_code == 200
    page = text(restored)
    assert "<h1>恢复填写的内容</h1>" in page
    assert hidden_inputs(page)["f_reason"] == "请保存我写的这段话"
    assert f'action="{closure_url(index)}"' in page
    # given back once
    assert client.get("/account/kept-form/").status_code == 404


def test_a_stale_sign_in_form_just_asks_to_sign_in_again(demo_users: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "market.handler", "password": "x"})
    assert response.status_code == 403
    page = text(response)
    assert "重新登录" in page and "您填写的内容" not in page
    assert 'type="hidden"' not in page


def test_a_form_posted_after_the_idle_limit_is_kept_for_after_the_sign_in(
    demo_cases: None, demo_users: Any
) -> None:
    client = Client()
    index = market_case()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert client.login(username="market.handler", password="lawtrail-demo")
        assert client.get("/inbox/").status_code == 200
        clock.shift(timedelta(seconds=settings.LAWTRAIL_IDLE_SECONDS + 60))
        response = client.post(closure_url(index), {"at": AT, "f_reason": "超时前写的内容"})
        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Faccount%2Fkept-form%2F"
        assert client.login(username="market.handler", password="lawtrail-demo")
        page = text(client.get("/account/kept-form/"))
    assert hidden_inputs(page)["f_reason"] == "超时前写的内容"


# ---------------------------------------------------------------------------- the API


@pytest.fixture
def bearer(demo_users: Any) -> Client:
    _, key = ApiToken.issue(User.objects.get(username="market.handler"), "tests")
    return Client(headers={"authorization": f"Bearer {key}"})


def assert_chinese_json(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert re.search(r"[\u4e00-\u9fff]", body["detail"]), body
    return body


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b" ", "此处应为一个值"),
        (b'{"a" 1}', "此处应为冒号"),
        (b'{"a": 1,}', "此处应为用双引号括起的键名"),
        (b'{"a": 1} x', "JSON 值之后还有多余的内容"),
        (b'{"a": "x', "字符串缺少结尾的双引号"),
        (b'{"a": NaN}', "JSON 不允许 NaN"),
    ],
)
def test_a_malformed_json_body_is_explained_in_chinese(
    demo_cases: None, bearer: Client, raw: bytes, problem: str
) -> None:
    response = bearer.post(
        f"/api/cases/{market_case().pk}/records", raw, content_type="application/json"
    )
    body = assert_chinese_json(response, 400)
    assert problem in body["detail"]
    assert not re.search(r"Expecting|delimiter|Extra data|Unterminated", body["detail"])


def test_validation_errors_name_the_field_in_chinese(bearer: Client) -> None:
    body = assert_chinese_json(bearer.get("/api/cases?limit=abc"), 400)
    assert body["issues"] == [{"path": "query.limit", "message": "应为整数"}]


def test_api_statuses_answer_in_chinese(demo_cases: None, bearer: Client) -> None:
    assert "未认证" in assert_chinese_json(Client().get("/api/cases"), 401)["detail"]
    benxi = CaseIndex.objects.filter(agency_id="benxi-hrss").first()
    assert benxi is not None
    assert_chinese_json(bearer.get(f"/api/cases/{benxi.pk}"), 403)
    assert_chinese_json(bearer.get("/api/cases/999999"), 404)
    assert_chinese_json(bearer.get("/api/no-such-endpoint"), 404)
    assert_chinese_json(bearer.delete(f"/api/cases/{market_case().pk}"), 405)


@pytest.mark.parametrize(
    ("exc", "status", "detail"),
    [
        (HttpError(400, "Cannot parse request body"), 400, "请求体无法解析"),
        (HttpError(403, "CSRF check Failed"), 403, "您无权执行此操作"),
        (AuthenticationError(), 401, "未认证"),
        (Throttled(wait=30), 429, "请求过于频繁"),
        (HttpError(409, "Conflict"), 409, "请求未能完成（HTTP 409）"),
        (HttpError(400, "案号已存在"), 400, "案号已存在"),
        (RuntimeError("boom"), 500, "服务器内部错误"),
    ],
)
def test_ninjas_english_errors_are_answered_in_chinese(
    rf: RequestFactory, exc: Exception, status: int, detail: str
) -> None:
    response = api.on_exception(rf.get("/api/cases"), exc)
    assert response.status_code == status
    body = json.loads(response.content)
    assert detail in body["detail"]
    if status == 429:
        assert response["Retry-After"] == "30"


def test_the_api_docs_load_swagger_ui_in_chinese(login: Login) -> None:
    response = login("market.handler").get("/api/docs")
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="zh-CN">' in page
    assert "<title>接口文档 · 执法留痕 LawTrail API</title>" in page
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts[-1] == "/static/lawtrail/swagger-zh.js"  # after Swagger UI's own
    from django.contrib.staticfiles import finders

    source = finders.find("lawtrail/swagger-zh.js")
    assert source is not None
    script = Path(source).read_text(encoding="utf-8")
    for english, chinese in [
        ("Try it out", "试一试"),
        ("Execute", "执行"),
        ("Cancel", "取消"),
        ("Authorize", "授权"),
        ("Responses", "响应"),
        ("Parameters", "参数"),
        ("Request body", "请求体"),
    ]:
        assert f'"{english}": "{chinese}"' in script


def test_the_openapi_document_has_no_duplicate_keys(login: Login) -> None:
    """Swagger UI refuses a document with a key twice ("duplicated mapping key"): ninja put the
    statuses of ``response=`` (int) and of ``openapi_extra`` (str) side by side."""
    duplicates: list[set[str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            duplicates.append({k for k in keys if keys.count(k) > 1})
        return dict(items)

    response = login("market.handler").get("/api/openapi.json")
    document = json.loads(response.content, object_pairs_hook=pairs)
    assert duplicates == []
    media = document["paths"]["/api/cases/{case_id}/media/{sha256}/content"]["get"]
    assert media["responses"]["206"]["description"] == "所请求的字节范围"
    assert "application/octet-stream" in media["responses"]["200"]["content"]


def test_the_openapi_responses_are_described_in_chinese(login: Login) -> None:
    document = login("market.handler").get("/api/openapi.json").json()
    english = {
        (path, code, response["description"])
        for path, operations in document["paths"].items()
        for operation in operations.values()
        for code, response in operation["responses"].items()
        if not re.search(r"[\u4e00-\u9fff]", response["description"])
    }
    assert english == set()


def test_kept_fields_drop_secrets_and_read_in_chinese() -> None:
    from lawtrail.web import keptform

    fields = keptform.fields_of(
        [
            ("csrfmiddlewaretoken", "x"),
            ("new_password1", "secret"),
            ("otp_token", "123456"),
            ("api_token", "lt_abc"),
            ("at", "2026-11-20T10:00"),
            ("officer_0", "market.handler"),
            ("officer_1_shown", "true"),
            ("sig_0_drawn", "data:image/png;base64,AAAA"),
            ("f_reason", "结案"),
            ("case-title", "某案"),
            ("mystery", ""),
        ],
        "/cases/1/records/new/closure/",
    )
    assert [f.name for f in fields] == [
        "at",
        "officer_0",
        "officer_1_shown",
        "sig_0_drawn",
        "f_reason",
        "case-title",
        "mystery",
    ]
    shown = {f.name: (f.label, f.shown) for f in fields}
    assert shown["at"] == ("行为发生时间", "2026-11-20 10:00")
    assert shown["officer_0"][0] == "执法人员（1）"
    assert shown["officer_1_shown"] == ("执法人员（2）是否出示执法证件", "是")
    assert shown["sig_0_drawn"] == ("签名（1）", "（手写签名图像，重新提交时一并提交）")
    assert shown["f_reason"] == ("终结情形", "结案")
    assert shown["case-title"][0] == "案由"
    assert [f.filled for f in fields][-1] is False
