"""REST API (django-ninja) with OpenAPI at /api/openapi.json and Swagger UI at /api/docs.

The same permissions as the pages (:func:`lawtrail.web.actions.can_read` / ``can_write``), the
same writers (``actions.do_*``) and the same access log: every read of a case goes through
:func:`lawtrail.web.views.common.case_for` with ``channel="api"``, so a refused cross-agency read
is appended to that agency's ledger as a denied access and answered 403.

Authentication: a bearer token (``Authorization: Bearer lt_…``, see
``lawtrail manage create_api_token``) or the browser session, with Django's CSRF check on unsafe
methods. Nothing can be changed or deleted: the only writes are opening a case, appending a
record and uploading a media file; PUT, PATCH and DELETE answer 405.

Every error is JSON ``{"detail": "中文…", "issues": [{"path": "$.fields.x", "message": "…"}]}``.
Request bodies are read by the case format's strict reader (:mod:`lawtrail.core.caseio`), so the
API gives the same Chinese messages with the same JSON paths as the CLI and the forms; their
OpenAPI schemas are the case format's JSON Schema (:mod:`lawtrail.core.schema`).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal, get_args

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.urls import URLPattern, URLResolver, re_path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, P, QueryEx, Schema, Status, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import Field, WithJsonSchema

from lawtrail import services
from lawtrail.core import secrecy, timeutil, verdict
from lawtrail.core.canonical import ENTRY_TYPES as LEDGER_ENTRY_TYPES
from lawtrail.core.caseio import MEDIA_SOURCES, FormatIssue
from lawtrail.core.engine import evaluate
from lawtrail.core.header import PARTY_KEYS, REASON_MAX, TITLE_MAX, HeaderChange
from lawtrail.core.header import describe as describe_change
from lawtrail.core.record_kinds import (
    AV_EXEMPTION_ACT,
    MEDIA_TYPES,
    ORIGINS,
    PROCEDURES,
    RECORD_KINDS,
    STAGE_LABELS,
    FieldType,
    Stage,
)
from lawtrail.core.regulations import article_label
from lawtrail.core.schema import DATE as CASE_DATE
from lawtrail.core.schema import DATETIME as CASE_DATETIME
from lawtrail.core.schema import case_schema
from lawtrail.ledger import verify as ledger_verify
from lawtrail.ledger.log import LedgerError, Receipt, StoredEntry
from lawtrail.ledger.receipts import build_receipt
from lawtrail.web import actions, wiring
from lawtrail.web import secrecy as web_secrecy
from lawtrail.web.forms import FIRST_YEAR as FORM_FIRST_YEAR
from lawtrail.web.forms import LAST_YEAR as FORM_LAST_YEAR
from lawtrail.web.middleware import refused
from lawtrail.web.models import ApiToken, CaseIndex, User
from lawtrail.web.roles import ROLE_LABELS
from lawtrail.web.uploads import UploadRejected, ingest_request
from lawtrail.web.views.common import case_for, case_to_write, client_ip, current_user

log = logging.getLogger("lawtrail.api")

# ============================================================================ errors


class ApiError(Exception):
    """An error answered as JSON: a Chinese ``detail`` and the issues with their JSON paths."""

    def __init__(
        self, status: int, detail: str, issues: Iterable[FormatIssue] = (), **headers: str
    ) -> None:
        self.status = status
        self.detail = detail
        self.issues = list(issues)
        self.headers = headers
        super().__init__(detail)


class IssueOut(Schema):
    path: str = Field(description="出错位置：JSON 路径，如 $.fields.method；查询参数为 query.名称")
    message: str = Field(description="中文说明")


class ErrorOut(Schema):
    detail: str = Field(description="中文错误说明")
    issues: list[IssueOut] = Field(description="逐项问题（可能为空）")


def _error_body(detail: str, issues: Iterable[FormatIssue] = ()) -> dict[str, Any]:
    return {"detail": detail, "issues": [{"path": i.path, "message": i.message} for i in issues]}


class _ChineseJSON(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class LawTrailAPI(NinjaAPI):
    """NinjaAPI whose every answer is JSON: 405 for methods an endpoint does not have (ninja
    answers those with a plain-text body) and 404 for unknown paths under /api/."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns: list[URLResolver | URLPattern] = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern):
                pattern = URLPattern(
                    pattern.pattern,
                    self._json_not_allowed(pattern.callback),
                    pattern.default_args,
                    pattern.name,
                )
            patterns.append(pattern)
        patterns.append(re_path(r"^.*$", csrf_exempt(self._unknown_path), name="api-unknown"))
        return patterns

    def _json_not_allowed(self, view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            if response.status_code != 405 or response.get("Content-Type", "").startswith(
                "application/json"
            ):
                return response
            allowed = response.get("Allow", "")
            answer = self.create_response(
                request,
                _error_body(
                    f"不支持 {request.method} 方法：记录只能追加，不能修改或删除"
                    f"（本接口允许：{allowed or '无'}）"
                ),
                status=405,
            )
            answer["Allow"] = allowed
            return answer

        wrapper.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapper

    def _unknown_path(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.create_response(request, _error_body(f"接口不存在：{request.path}"), status=404)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document["paths"] = _string_status_codes(_linked(document["paths"]))
        schemas = document["components"]["schemas"]
        for name, value in list(schemas.items()):
            schemas[name] = _linked(value)
        schemas.update(copy.deepcopy(CASE_FORMAT_COMPONENTS))
        return document

    def get_openapi_operation_id(self, operation: Any) -> str:
        return str(operation.view_func.__name__)


class ChineseSwagger(Swagger):
    """Swagger UI with its texts in Chinese: our copy of ninja's page adds
    ``lawtrail/swagger-zh.js`` (Swagger UI has no translations of its own)."""

    template = "lawtrail/swagger.html"


# ============================================================================ authentication


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``; only the key's SHA-256 is stored (:class:`ApiToken`)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token or len(token) > 200:
            return None
        found = (
            ApiToken.objects.select_related("user", "user__agency")
            .filter(key_hash=ApiToken.hash(token))
            .first()
        )
        now = timezone.now()
        if found is None or not found.user.is_active or not found.usable_at(now):
            return None  # unknown, expired or revoked: 401
        request.user = found.user
        request.api_auth = "token"
        found.touch(now)  # last_used_at, written at most once a minute
        if found.scope != "write" and request.method not in SAFE_METHODS:
            _refuse_read_token(request, found)
        return found.user


def _refuse_read_token(request: HttpRequest, token: ApiToken) -> None:
    """A read-only token asked for a write: logged as a refused access (in the ledger of the
    case's agency when the path names a case, else of the user's) and answered 403."""
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match is not None else {}
    action = {"records": "append_record", "media": "upload_media", "cases": "open_case"}.get(
        request.path.rstrip("/").rsplit("/", 1)[-1], "api_write"
    )
    case_id = kwargs.get("case_id")
    index = (
        CaseIndex.objects.filter(pk=case_id).first()
        if isinstance(case_id, int) and 1 <= case_id <= MAX_ID
        else None
    )
    agency = index.agency_id if index is not None else token.user.agency_id
    if agency:
        actions.do_log_access(
            token.user,
            agency,
            index.case_number if index is not None else "",
            action=action,
            target=f"token:{token.prefix}",
            allowed=False,
            ip=client_ip(request),
            channel="api",
        )
    raise ApiError(
        403,
        f"该令牌（{token.prefix}…）为只读令牌，只能用于查询和下载，不能执行写入操作；"
        "本次尝试已记录。如需写入，请在「我的账户 › 接口令牌」中新建读写令牌",
    )


SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class BrowserSession(APIKeyCookie):
    """The logged-in browser session (the pages' login), with Django's CSRF check on writes.

    Not consulted when the request carries an ``Authorization`` header: explicit credentials
    that fail are refused (401), not replaced by a cookie.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ApiError(
                403,
                "CSRF 校验失败：通过浏览器会话提交的写入请求须携带 CSRF 令牌"
                "（X-CSRFToken 请求头），本次请求未被执行",
            )
        return request.COOKIES.get(self.param_name) or "session"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        if key is None:
            return None
        user = request.user
        assert isinstance(user, User)
        request.api_auth = "session"
        return user


api = LawTrailAPI(
    title="执法留痕 LawTrail API",
    version="1",
    description=(
        "行政执法全过程记录系统的接口：案件、记录、音像资料、规则检查结果与账本校验。"
        "权限与页面相同：只能查看本机关（或所监督机关）的案件，只能在本机关的案件中追加记录；"
        "每次查看都记入账本的查阅记录。记录只能追加，不能修改或删除。"
        "认证：Authorization: Bearer 令牌（`lawtrail manage create_api_token 用户名`），"
        "或已登录的浏览器会话（写入请求须带 X-CSRFToken）。"
    ),
    urls_namespace="api",
    auth=[TokenAuth(), BrowserSession()],
    renderer=_ChineseJSON(),
    # Swagger UI from ninja's own static files; no online validator (nothing from the internet)
    docs=ChineseSwagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)


def _respond(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = api.create_response(request, _error_body(exc.detail, exc.issues), status=exc.status)
    for name, value in exc.headers.items():
        response[name.replace("_", "-")] = value
    return response


def _on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _respond(request, exc)


def _on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _respond(
        request,
        ApiError(
            401,
            "未认证：请在 Authorization 请求头中提供有效的令牌（Bearer），或先登录",
            WWW_Authenticate='Bearer realm="lawtrail"',
        ),
    )


# Chinese for the statuses ninja raises with an English message of its own ("Cannot parse request
# body", "CSRF check Failed", "Unauthorized", "Forbidden", "Too many requests.").
_STATUS_DETAILS: Mapping[int, str] = {
    400: "请求无效：请求体无法解析（应为有效的 JSON）",
    401: "未认证：请在 Authorization 请求头中提供有效的令牌（Bearer），或先登录",
    403: "您无权执行此操作",
    404: "未找到",
    405: "不支持该请求方法",
    413: "请求体过大",
    415: "不支持的请求体格式",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请联系管理员（已记录日志）",
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _chinese_detail(status: int, message: str) -> str:
    """`message` when it is ours (Chinese), else the Chinese text for the status."""
    if _CJK.search(message):
        return message
    return _STATUS_DETAILS.get(status, f"请求未能完成（HTTP {status}）")


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    error = ApiError(exc.status_code, _chinese_detail(exc.status_code, str(exc)))
    wait = getattr(exc, "wait", None)  # ninja's Throttled: seconds until the next request
    if exc.status_code == 429 and isinstance(wait, int | float) and wait > 0:
        error.headers["Retry_After"] = str(math.ceil(wait))
    return _respond(request, error)


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _respond(request, ApiError(404, _chinese_detail(404, str(exc))))


def _on_forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    """403, logged as a refused access with the message as its reason (the one mechanism of
    :mod:`lawtrail.web.accessscope`: naming the case the request was about, or its URL names)."""
    detail = _chinese_detail(403, str(exc))
    refused(request, detail)
    return _respond(request, ApiError(403, detail))


def _on_service_error(request: HttpRequest, exc: services.ServiceError) -> HttpResponse:
    if isinstance(exc, services.ActRefused):  # a refusal of who, not of the data: 403, logged
        detail = _service_detail(exc)
        refused(request, detail)
        return _respond(request, ApiError(403, detail, exc.issues))
    return _respond(request, ApiError(400, _service_detail(exc), exc.issues))


def _on_upload_rejected(request: HttpRequest, exc: UploadRejected) -> HttpResponse:
    return _respond(request, ApiError(exc.status, exc.message))


def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return _respond(request, ApiError(413, f"请求体过大（JSON 请求体最多 {limit} MB）"))


def _on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    issues = [FormatIssue(_loc_path(e.get("loc", ())), _pydantic_message(e)) for e in exc.errors]
    return _respond(request, ApiError(400, "请求参数未通过校验", issues))


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return _respond(request, ApiError(500, "服务器内部错误，请联系管理员（已记录日志）"))


_HANDLERS: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
    (ApiError, _on_api_error),
    (AuthenticationError, _on_authentication),
    (HttpError, _on_http_error),
    (Http404, _on_not_found),
    (DjangoPermissionDenied, _on_forbidden),
    (actions.PermissionDenied, _on_forbidden),
    (services.ServiceError, _on_service_error),
    (RequestDataTooBig, _on_too_big),
    (UploadRejected, _on_upload_rejected),
    (ValidationError, _on_validation),
    (Exception, _on_unexpected),
]
for _exc_class, _handler in _HANDLERS:
    api.add_exception_handler(_exc_class, _handler)


def _loc_path(loc: Iterable[Any]) -> str:
    parts = list(loc)
    if not parts:
        return "$"
    source, rest = str(parts[0]), parts[1:]
    if source == "body":
        return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest)
    return ".".join([source, *(str(p) for p in rest)])


_PYDANTIC_MESSAGES: Mapping[str, str] = {
    "missing": "缺少必填项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为字符串",
    "float_parsing": "应为数字",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "string_too_short": "至少应有 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确（应符合 {pattern}）",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "json_invalid": "不是有效的 JSON",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "datetime_parsing": "无法解析的时间（应为 ISO 8601，如 2026-10-09T14:30:00+08:00）",
    "datetime_from_date_parsing": "无法解析的时间（应为 ISO 8601，如 2026-10-09T14:30:00+08:00）",
    "timezone_aware": "时间缺少时区偏移（如 +08:00）：无法确定其法律时点",
    "date_parsing": "无法解析的日期（应为 YYYY-MM-DD）",
    "date_from_datetime_parsing": "无法解析的日期（应为 YYYY-MM-DD）",
    "extra_forbidden": "未知的键（拼写错误？）",
}


def _pydantic_message(error: Mapping[str, Any]) -> str:
    template = _PYDANTIC_MESSAGES.get(str(error.get("type", "")))
    if template is None:
        return "取值无效"
    ctx = dict(error.get("ctx") or {})
    if isinstance(ctx.get("expected"), str):  # pydantic's "'a', 'b' or 'c'": no English "or"
        ctx["expected"] = ctx["expected"].replace("' or '", "', '")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split("（")[0]


def _service_detail(exc: services.ServiceError) -> str:
    """The ServiceError's own message, without the issue list it appends to it."""
    full = str(exc)
    if exc.issues:
        suffix = "：" + "；".join(f"{i.path}：{i.message}" for i in exc.issues)
        if full.endswith(suffix):
            return full[: -len(suffix)]
    return full


# ============================================================================ schemas

MAX_CASE_NUMBER = CaseIndex._meta.get_field("case_number").max_length
MAX_TITLE = CaseIndex._meta.get_field("title").max_length
_HEADER_KEYS = ("case_number", "title", "acts", "procedure", "origin", "major", "opened_at")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _array_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


def _record_variants(common: Mapping[str, Any], rules: Iterable[Mapping[str, Any]]) -> list[Any]:
    """One schema per record kind (``kind`` constant, its own ``fields``): the case format's
    ``if kind = … then fields …`` rules spelled as alternatives, which request generators such
    as schemathesis can draw from (they do not read if/then)."""
    variants = []
    for rule in rules:
        kind = rule["if"]["properties"]["kind"]["const"]
        variants.append(
            {
                "title": f"{RECORD_KINDS[kind].label}（{kind}）",
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    **common,
                    "kind": {"const": kind},
                    "fields": rule["then"]["properties"]["fields"],
                },
                "required": ["id", "kind", "at"],
            }
        )
    return variants


# What the API accepts is a little narrower than what the case format can hold (files imported
# from elsewhere may hold anything the reader takes): no control characters in text, and times
# and dates within 1900–2099 (see _unstorable and _out_of_range). The input schemas say so, so
# that clients and request generators know it.
_NO_CONTROLS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_NON_BLANK = (
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
)
_DAY_IN = r"(19[5-9]\d|20\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_DATE_IN = rf"^{_DAY_IN}$"
_DATETIME_IN = (
    rf"^{_DAY_IN}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{{1,6}})?)?(Z|[+-](0\d|1[0-4]):[0-5]\d)$"
)


def _as_input(node: Any, *, required: bool = False, blank_ok: bool = False) -> Any:
    """The schema of what the API accepts: strings without a pattern get one that refuses
    control characters (and blanks where the reader requires a value), times and dates the
    supported range."""
    if isinstance(node, list):
        return [_as_input(item, blank_ok=blank_ok) for item in node]
    if not isinstance(node, dict):
        return node
    needed = set(node.get("required", ()))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {
                name: _as_input(
                    prop, required=name in needed, blank_ok=blank_ok or name == "fields"
                )
                for name, prop in value.items()
            }
        else:
            out[key] = _as_input(value, blank_ok=blank_ok)
    if out.get("type") == "string" and "enum" not in out:
        pattern = out.get("pattern")
        if pattern == CASE_DATETIME["pattern"]:
            out["pattern"] = _DATETIME_IN
        elif pattern == CASE_DATE["pattern"]:
            out["pattern"] = _DATE_IN
        elif pattern is None:
            out["pattern"] = _NON_BLANK if required and not blank_ok else _NO_CONTROLS
    return out


def _case_format_components() -> dict[str, Any]:
    """The case format's JSON Schema (:func:`lawtrail.core.schema.case_schema`, the same source
    as ``case.schema.json``) as OpenAPI components: CaseFile and Record as the API answers
    them, RecordIn and CaseOpen as it accepts them."""
    case = case_schema()
    top = case["properties"]
    record = top["records"]["items"]
    props = record["properties"]
    assert sorted(record["required"]) == ["at", "id", "kind"]
    parts = {
        "Party": top["parties"]["items"],
        "Person": top["people"]["items"],
        "OfficerPresence": props["officers"]["items"],
        "Signature": props["signatures"]["items"],
        "Refusal": props["refusals"]["items"],
        "Media": props["media"]["items"],
        "AvExemption": props["av_exemption"],
        "Correction": props["corrects"],
    }
    inputs = ("Party", "OfficerPresence", "Signature", "Refusal", "AvExemption", "Correction")
    common = {
        **props,
        "officers": _array_of("OfficerPresence"),
        "signatures": _array_of("Signature"),
        "refusals": _array_of("Refusal"),
        "media": _array_of("Media"),
        "av_exemption": _ref("AvExemption"),
        "corrects": _ref("Correction"),
    }
    # A record as a client appends it: the server sets recorded_at; a media item names an
    # uploaded file by its SHA-256 (the server copies in the ingestion entry).
    common_in = {
        **{k: v for k, v in props.items() if k != "recorded_at"},
        "officers": _array_of("OfficerPresenceIn"),
        "signatures": _array_of("SignatureIn"),
        "refusals": _array_of("RefusalIn"),
        "av_exemption": _ref("AvExemptionIn"),
        "corrects": _ref("CorrectionIn"),
        "media": {
            "type": "array",
            "description": "本记录引用的音像资料：先上传（POST …/media），再按 SHA-256 引用",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
                "required": ["sha256"],
            },
        },
    }
    header = {k: top[k] for k in _HEADER_KEYS}
    return {
        **parts,
        **{f"{name}In": _as_input(parts[name]) for name in inputs},
        "Record": {
            "title": "记录（lawtrail-case/1 格式）",
            "oneOf": _record_variants(common, record["allOf"]),
        },
        "RecordIn": {
            "title": "追加的记录（lawtrail-case/1 格式；recorded_at 由服务器设定）",
            "oneOf": _as_input(_record_variants(common_in, record["allOf"])),
        },
        "CaseFile": {
            "title": "案件（lawtrail-case/1 格式）",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **top,
                "parties": _array_of("Party"),
                "people": _array_of("Person"),
                "records": _array_of("Record"),
            },
            "required": case["required"],
        },
        "CaseOpen": _as_input(
            {
                "title": "立案：案件信息（lawtrail-case/1 格式）及可选的第一条记录",
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    **header,
                    "case_number": {**header["case_number"], "maxLength": MAX_CASE_NUMBER},
                    "title": {"type": "string", "maxLength": MAX_TITLE},
                    "parties": _array_of("PartyIn"),
                    "first_record": _ref("RecordIn"),
                },
                "required": ["case_number", "acts", "procedure", "origin", "opened_at"],
            }
        ),
    }


CASE_FORMAT_COMPONENTS = _case_format_components()
# Placeholders in the response models' JSON Schema, replaced by $refs to the components above
# (pydantic cannot emit a $ref to a schema it does not own).
_LINK = "x-lawtrail-component"
CaseJson = Annotated[dict[str, Any], WithJsonSchema({_LINK: "CaseFile"})]
RecordJson = Annotated[dict[str, Any], WithJsonSchema({_LINK: "Record"})]


def _string_status_codes(paths: dict[str, Any]) -> dict[str, Any]:
    """Each operation's responses keyed by the status as a string, as OpenAPI has it. ninja keys
    the ``response=`` statuses by int and ``openapi_extra`` by str: both in one dict serialize
    to duplicate JSON keys ("200" twice), which Swagger UI refuses to render at all."""
    for operations in paths.values():
        for operation in operations.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if not isinstance(responses, dict):
                continue
            merged: dict[str, Any] = {}
            for code, response in sorted(responses.items(), key=lambda kv: isinstance(kv[0], str)):
                merged[str(code)] = {**merged.get(str(code), {}), **response}  # openapi_extra last
            for code, response in merged.items():
                # ninja describes a response by its English reason phrase ("OK", "Unauthorized")
                if code.isdigit() and response.get("description") == _phrase(int(code)):
                    response["description"] = _RESPONSE_DESCRIPTIONS.get(
                        int(code), _STATUS_DETAILS.get(int(code), response["description"])
                    )
            operation["responses"] = merged
    return paths


_RESPONSE_DESCRIPTIONS: Mapping[int, str] = {
    200: "成功",
    201: "已创建",
    206: "部分内容（所请求的字节范围）",
    400: "请求无效（逐项问题见 issues）",
    401: "未认证",
    403: "无权访问（已记入查阅记录）",
    404: "未找到",
    405: "不支持该请求方法",
    409: "与已有数据冲突",
    411: "缺少 Content-Length 请求头",
    413: "请求体过大",
    415: "不支持的请求体格式",
    416: "请求的字节范围无效",
    429: "请求过于频繁",
    500: "服务器内部错误",
}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _linked(node: Any) -> Any:
    if isinstance(node, dict):
        if _LINK in node:
            return _ref(node[_LINK])
        return {k: _linked(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_linked(v) for v in node]
    return node


def _json_body(schema: Mapping[str, Any], example: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema, "example": example}},
        }
    }


_RECORD_EXAMPLE = {
    "id": "r-site-1",
    "kind": "site_inspection",
    "at": "2026-03-05T10:00:00+08:00",
    "fields": {"location": "通化市东昌区新华大街218号", "findings": "现场发现涉案运动鞋 120 双"},
}
_OPEN_EXAMPLE = {
    "case_number": "通市监检〔2026〕1001号",
    "title": "通化市某商贸有限公司经营场所检查",
    "acts": ["inspection"],
    "procedure": "general",
    "origin": "ex_officio",
    "opened_at": "2026-03-02T09:00:00+08:00",
    "parties": [{"id": "p1", "name": "通化市某商贸有限公司", "kind": "organization"}],
    "first_record": {
        "id": "r01",
        "kind": "initiation_approval",
        "at": "2026-03-02T09:00:00+08:00",
        "fields": {"reason": "年度双随机抽查", "approved": True},
    },
}


class CaseSummary(Schema):
    id: int
    agency: str
    agency_name: str
    case_number: str
    title: str
    origin: str
    procedure: str
    acts: list[str]
    major: bool
    opened_at: datetime
    handler: str | None = Field(description="承办人用户名")
    handler_name: str | None
    stage: str = Field(description="最近一条有效记录所处阶段（空：尚无记录）")
    stage_label: str
    records: int
    violations: int
    warnings: int
    closed: bool
    archived: bool
    next_due: datetime | None = Field(description="最近的法定期限")
    updated_at: datetime
    url: str = Field(description="案件页面")


class CaseList(Schema):
    count: int = Field(description="符合条件的案件总数")
    items: list[CaseSummary]


class RecordEntry(Schema):
    seq: int = Field(description="在机关账本中的序号")
    entry_recorded_at: str = Field(description="写入账本的时间")
    leaf_hash: str = Field(description="账本叶子哈希（十六进制）")
    record: RecordJson


class ReceiptCosignature(Schema):
    witness: str = Field(description="见证方名称")
    signature: str = Field(description="联署签名行（C2SP tlog-cosignature，附于检查点之后核验）")


class ReceiptOut(Schema):
    format: Literal["lawtrail-receipt/1"]
    origin: str = Field(description="机关日志的来源（origin）")
    agency: str
    case_number: str
    type: str = Field(description="账本条目类型（record）")
    ref: str = Field(description="记录编号")
    seq: int = Field(description="在机关账本中的序号")
    leaf_hash: str = Field(description="账本叶子哈希（十六进制）")
    recorded_at: str = Field(description="写入账本的时间")
    checkpoint: str = Field(description="覆盖该条目的已签名检查点（C2SP signed note 全文）")
    inclusion_proof: list[str] = Field(description="RFC 9162 包含证明（十六进制）")
    cosignatures: list[ReceiptCosignature]
    log_key: str = Field(description="日志公钥（仅供参考，核验时请使用另行取得的公钥）")
    issued_at: str = Field(description="回执生成时间")
    max_integration_delay_seconds: int = Field(
        description="日志承诺：已入账的记录在此秒数内被签名检查点覆盖"
    )


class AppendedRecord(RecordEntry):
    checkpoint_size: int | None = Field(
        description="覆盖该记录的签名检查点的大小；为空表示已入账、等待整合签名"
        "（服务器在 1 秒内签发检查点，见 max_integration_delay_seconds）"
    )
    case: CaseSummary


class FindingOut(Schema):
    rule: str
    regulation: str
    article: int
    article_label: str
    severity: Literal["violation", "warning"]
    record: str | None
    message: str
    title: str
    quote: str


class RequiredActOut(Schema):
    rule: str
    regulation: str
    article: int
    article_label: str
    kinds: list[str]
    kind_labels: list[str]
    after: str | None
    due: datetime | None
    message: str


class Findings(Schema):
    case_number: str
    as_of: datetime
    violations: int
    warnings: int
    findings: list[FindingOut]
    required: list[RequiredActOut] = Field(description="尚需进行的行为及其期限和依据")


class CheckpointOut(Schema):
    size: int
    root: str = Field(description="树根哈希（十六进制）")
    signed_at: str


class ProblemOut(Schema):
    code: str
    message: str
    seq: int | None
    record: str


class LedgerEntryOut(Schema):
    seq: int
    # Every type the ledger holds (an entry of another type is refused by canonical.entry).
    type: Annotated[str, WithJsonSchema({"type": "string", "enum": list(LEDGER_ENTRY_TYPES)})]
    ref: str
    recorded_at: str
    signed: bool = Field(description="是否已包含在最新的签名检查点中")


class Verification(Schema):
    ok: bool
    status: Literal["intact", "not_verified", "problems"]
    status_label: str
    not_verified: list[str]
    agency: str
    case_number: str
    checkpoint: CheckpointOut | None
    entries: list[LedgerEntryOut]
    problems: list[ProblemOut]
    notes: list[str]


class MediaOut(Schema):
    seq: int
    id: str
    type: Literal["photo", "audio", "video"]
    sha256: str
    sm3: str | None
    size: int | None
    captured_at: str
    completed_at: str | None
    ingested_at: str
    filename: str | None
    source: str | None
    uploader: str | None
    labels: dict[str, str]
    url: str = Field(
        description="文件内容的接口地址（GET …/content，令牌或会话均可；每次下载记入查阅记录）"
    )
    web_url: str = Field(description="网页上的播放与下载地址（需登录网页）")


class UploadedMedia(Schema):
    created: bool = Field(description="false：相同内容的文件此前已入库")
    media: MediaOut


class ChoiceOut(Schema):
    value: str
    label: str


class FieldOut(Schema):
    name: str
    label: str
    type: Literal[
        "text",
        "text_list",
        "bool",
        "integer",
        "amount",
        "date",
        "datetime",
        "choice",
        "choices",
        "person",
        "persons",
        "party",
        "record",
    ]
    required: bool
    choices: list[ChoiceOut]
    help: str


class RoleActOut(Schema):
    name: str = Field(description="事项名：办理接口 …/acts/{act} 的 act")
    role: str = Field(description="办理的角色（空：任一本机关工作人员本人）")
    label: str
    fields: list[str] = Field(description="该事项的字段，只能由该角色本人填写")
    person: str = Field(description="记录办理人的字段：服务器设为办理的用户")
    time: str = Field(description="记录办理时间的字段：服务器设为当前时间")


class RecordKindOut(Schema):
    id: str
    label: str
    stage: str
    stage_label: str
    has_officers: bool
    fields: list[FieldOut]
    role_acts: list[RoleActOut]
    recorded_by: str = Field(description="整条记录只能由该角色记录（空：无此限制）")


class MeOut(Schema):
    username: str
    name: str
    title: str
    agency: str | None
    agency_name: str | None
    roles: list[str]
    role_labels: list[str]
    readable_agencies: list[str]
    can_record: bool = Field(description="能否在本机关的案件中记录")
    certificate_number: str
    certificate_valid_until: date | None
    auth: Literal["token", "session"]


assert {t.value for t in FieldType} == set(get_args(FieldOut.model_fields["type"].annotation))


def _errors(*codes: int) -> dict[int, Any]:
    return dict.fromkeys((401, *codes), ErrorOut)


# ============================================================================ helpers

MAX_ID = 2**31 - 1  # the case index's primary key is a 32-bit integer
_RECORD_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _index(case_id: int) -> CaseIndex:
    if not 1 <= case_id <= MAX_ID:
        raise Http404("案件不存在")
    try:
        return CaseIndex.objects.select_related("agency", "handler").get(pk=case_id)
    except CaseIndex.DoesNotExist:
        raise Http404("案件不存在") from None


def _readable(request: HttpRequest, case_id: int, *, action: str, target: str = "") -> CaseIndex:
    """The case, if the user may read it; the read (or the refusal) is an access entry."""
    if not 1 <= case_id <= MAX_ID:
        raise Http404("案件不存在")
    return case_for(request, case_id, action=action, target=target, channel="api")


def _writable(request: HttpRequest, case_id: int, *, action: str) -> CaseIndex:
    """The case, if the user may record in it; a refused attempt is logged as denied (by
    :func:`_on_forbidden`, which answers the 403)."""
    _index(case_id)  # 404 as the API's JSON error
    return case_to_write(request, case_id, action=action, channel="api")


def _local(value: datetime | None) -> datetime | None:
    return None if value is None else timeutil.local(value)


_STAGE_LABELS = {stage.value: label for stage, label in STAGE_LABELS.items()}


def _summary(index: CaseIndex) -> dict[str, Any]:
    stage = index.stage
    return {
        "id": index.pk,
        "agency": index.agency_id,
        "agency_name": index.agency.name,
        "case_number": index.case_number,
        # Lists and search results mask personal data for everyone (issue #16).
        "title": secrecy.mask_personal_text(index.title),
        "origin": index.origin,
        "procedure": index.procedure,
        "acts": list(index.acts),
        "major": index.major,
        "opened_at": _local(index.opened_at),
        "handler": index.handler.username if index.handler else None,
        "handler_name": index.handler.display_name if index.handler else None,
        "stage": stage,
        "stage_label": _STAGE_LABELS.get(stage, ""),
        "records": index.records,
        "violations": index.violations,
        "warnings": index.warnings,
        "closed": index.closed,
        "archived": index.archived,
        "next_due": _local(index.next_due),
        "updated_at": _local(index.updated_at),
        "url": reverse("case_detail", args=[index.pk]),
    }


# ---------------------------------------------------------------------------- reading JSON bodies

_MAX_DEPTH = 32
_SAFE_INTEGER = 2**53 - 1
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON 不允许 {name}")


# The json module's messages (CPython's _json scanner and json.decoder), in Chinese.
_JSON_PROBLEMS: Mapping[str, str] = {
    "Expecting value": "此处应为一个值",
    "Expecting property name enclosed in double quotes": "此处应为用双引号括起的键名",
    "Expecting ':' delimiter": "此处应为冒号（:）",
    "Expecting ',' delimiter": "此处应为逗号（,）",
    "Unterminated string starting at": "字符串缺少结尾的双引号",
    "Invalid control character at": "字符串中含有未转义的控制字符",
    "Invalid \\escape": "无效的转义序列",
    "Invalid \\uXXXX escape": "无效的 \\u 转义序列",
    "Extra data": "JSON 值之后还有多余的内容",
    "Illegal trailing comma before end of object": "对象末尾多了逗号",
    "Illegal trailing comma before end of array": "数组末尾多了逗号",
}


def _json_problem(message: str) -> str:
    return _JSON_PROBLEMS.get(message, "语法错误")


def _read_json(request: HttpRequest) -> Any:
    """The request body as JSON, or a 400/413/415 with a Chinese message."""
    if request.content_type != "application/json":
        raise ApiError(415, "请求体应为 JSON（Content-Type: application/json）")
    raw = request.body  # RequestDataTooBig above DATA_UPLOAD_MAX_MEMORY_SIZE → 413
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "请求体不是有效的 UTF-8 文本") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        where = f"第 {exc.lineno} 行第 {exc.colno} 列"
        raise ApiError(400, f"请求体不是有效的 JSON（{where}：{_json_problem(exc.msg)}）") from None
    except RecursionError:
        raise ApiError(400, "请求体不是有效的 JSON：嵌套层次过深") from None
    except ValueError as exc:  # _reject_constant's Chinese message
        raise ApiError(400, f"请求体不是有效的 JSON：{_chinese_detail(400, str(exc))}") from None
    issues = list(_unstorable(data))
    if issues:
        raise ApiError(400, "请求体含有无法存储的值", issues)
    return data


def _unstorable(data: Any) -> Iterator[FormatIssue]:
    """Values the ledger's canonical JSON cannot hold, or text no record should contain."""
    stack: list[tuple[Any, str, int]] = [(data, "$", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > _MAX_DEPTH:
            yield FormatIssue(path, f"嵌套层次过深（最多 {_MAX_DEPTH} 层）")
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                if _CONTROL.search(key) or _SURROGATE.search(key):
                    yield FormatIssue(path, "键名含有控制字符或无效的 Unicode 字符")
                    continue
                stack.append((item, f"{path}.{key}", depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            if _CONTROL.search(value):
                yield FormatIssue(path, "含有控制字符（换行与制表符以外）")
            elif _SURROGATE.search(value):
                yield FormatIssue(path, "含有无效的 Unicode 字符（孤立的代理项）")
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if abs(value) > _SAFE_INTEGER:
                yield FormatIssue(path, f"整数超出范围（绝对值最大 {_SAFE_INTEGER}）")
        elif isinstance(value, float) and not math.isfinite(value):
            yield FormatIssue(path, "数值超出范围")


# The supported years, the same as the web forms' (one constant for both).
FIRST_YEAR, LAST_YEAR = FORM_FIRST_YEAR, FORM_LAST_YEAR


def _out_of_range(
    value: Any, path: str, kind: Literal["datetime", "date"]
) -> Iterator[FormatIssue]:
    """A time or date the reader accepts but the system cannot compute deadlines with."""
    if not isinstance(value, str):
        return
    try:
        parsed: date = (
            datetime.fromisoformat(value) if kind == "datetime" else date.fromisoformat(value)
        )
    except ValueError:
        return  # the case reader reports it, in its own words
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        yield FormatIssue(path, f"超出系统支持的范围（{FIRST_YEAR} 年至 {LAST_YEAR} 年）")


def _record_range_issues(record: Any, path: str) -> Iterator[FormatIssue]:
    if not isinstance(record, dict):
        return
    yield from _out_of_range(record.get("at"), f"{path}.at", "datetime")
    for key in ("signatures", "refusals"):
        items = record.get(key)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    yield from _out_of_range(item.get("at"), f"{path}.{key}[{i}].at", "datetime")
    kind = RECORD_KINDS.get(str(record.get("kind")))
    fields = record.get("fields")
    if kind is None or not isinstance(fields, dict):
        return
    for spec in kind.fields:
        if spec.type is FieldType.DATETIME:
            yield from _out_of_range(
                fields.get(spec.name), f"{path}.fields.{spec.name}", "datetime"
            )
        elif spec.type is FieldType.DATE:
            yield from _out_of_range(fields.get(spec.name), f"{path}.fields.{spec.name}", "date")


def _not_an_object(data: Any, what: str) -> ApiError:
    kind = {list: "数组", str: "字符串", bool: "布尔值", int: "数字", float: "数字"}.get(
        type(data), "null"
    )
    return ApiError(400, f"{what}未通过校验", [FormatIssue("$", f"应为 JSON 对象，实际为 {kind}")])


def _relocated(issues: Iterable[FormatIssue], position: int, base: str) -> list[FormatIssue]:
    """Issues the reader found in the case with the new record at ``$.records[position]``,
    with paths relative to the request body (``base`` is where the record is in it)."""
    prefix = f"$.records[{position}]"
    out = []
    for issue in issues:
        path = issue.path
        if path == prefix or path.startswith((prefix + ".", prefix + "[")):
            path = base + path[len(prefix) :]
        elif path == "$.records":  # a duplicate record id
            path = f"{base}.id"
        elif path.startswith("$.records[*]"):
            path = base + path[len("$.records[*]") :]
        out.append(FormatIssue(path, issue.message))
    return out


def _appended(index: CaseIndex, receipt: Receipt) -> Status[dict[str, Any]]:
    """201 with the stored record, its ledger position and the case as it now is."""
    stored = _stored_record(index.agency_id, receipt.seq)
    index = CaseIndex.objects.select_related("agency", "handler").get(pk=index.pk)
    return Status(
        201, {**stored, "checkpoint_size": receipt.checkpoint_size, "case": _summary(index)}
    )


def _stored_record(agency: str, seq: int) -> dict[str, Any]:
    entry = wiring.ledger().entry(agency, seq)
    assert entry is not None
    assert entry.type == "record"
    return {
        "seq": entry.seq,
        "entry_recorded_at": entry.recorded_at,
        "leaf_hash": entry.leaf_hash.hex(),
        "record": entry.data()["record"],
    }


# ============================================================================ endpoints

OriginCode = Literal["application", "ex_officio", "complaint", "emergency"]
ProcedureCode = Literal["general", "simplified"]
assert set(get_args(OriginCode)) == set(ORIGINS)
assert set(get_args(ProcedureCode)) == set(PROCEDURES)


@api.get("/me", response={200: MeOut, **_errors()}, summary="当前用户", tags=["用户"])
def me(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    return {
        "username": user.username,
        "name": user.display_name,
        "title": user.title,
        "agency": user.agency_id,
        "agency_name": user.agency.name if user.agency else None,
        "roles": list(user.roles),
        "role_labels": [ROLE_LABELS[r] for r in user.roles if r in ROLE_LABELS],
        "readable_agencies": sorted(user.readable_agencies()),
        "can_record": user.agency_id is not None and actions.can_write(user, user.agency_id),
        "certificate_number": user.certificate_number,
        "certificate_valid_until": user.certificate_valid_until,
        "auth": getattr(request, "api_auth", "session"),
    }


@api.get(
    "/record-kinds",
    response={200: list[RecordKindOut], **_errors()},
    summary="记录类型及其字段",
    tags=["记录类型"],
)
def record_kinds(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": kind.id,
            "label": kind.label,
            "stage": kind.stage.value,
            "stage_label": STAGE_LABELS[kind.stage],
            "has_officers": kind.has_officers,
            "fields": [
                {
                    "name": spec.name,
                    "label": spec.label,
                    "type": spec.type.value,
                    "required": spec.required,
                    "choices": [{"value": v, "label": label} for v, label in spec.choices.items()],
                    "help": spec.help,
                }
                for spec in kind.fields
            ],
            "role_acts": [
                {
                    "name": act.name,
                    "role": act.role,
                    "label": act.label,
                    "fields": list(act.fields),
                    "person": act.person,
                    "time": act.time,
                }
                for act in (*kind.role_acts, AV_EXEMPTION_ACT)
            ],
            "recorded_by": kind.recorded_by,
        }
        for kind in RECORD_KINDS.values()
    ]


@api.get(
    "/cases",
    response={200: CaseList, **_errors(400)},
    summary="可查看的案件",
    description="本机关（监督人员：所监督机关）的案件，按立案时间倒序。列表不记入查阅记录；"
    "查看单个案件时记入。",
    tags=["案件"],
)
def list_cases(
    request: HttpRequest,
    agency: QueryEx[str | None, P(pattern=r"^[a-z0-9-]{1,64}$", description="机关代码")] = None,
    stage: QueryEx[Stage | None, P(description="当前阶段")] = None,
    origin: QueryEx[OriginCode | None, P(description="启动方式")] = None,
    procedure: QueryEx[ProcedureCode | None, P(description="程序")] = None,
    closed: QueryEx[bool | None, P(description="是否已终结")] = None,
    archived: QueryEx[bool | None, P(description="是否已归档")] = None,
    q: QueryEx[str | None, P(max_length=100, description="案号或案由包含的文字")] = None,
    limit: QueryEx[int, P(ge=1, le=200, description="每页条数")] = 50,
    offset: QueryEx[int, P(ge=0, le=1_000_000, description="跳过的条数")] = 0,
) -> dict[str, Any]:
    user = current_user(request)
    cases = CaseIndex.objects.filter(agency__in=user.readable_agencies()).select_related(
        "agency", "handler"
    )
    if agency is not None:
        cases = cases.filter(agency_id=agency)
    if stage is not None:
        cases = cases.filter(stage=stage.value)
    if origin is not None:
        cases = cases.filter(origin=origin)
    if procedure is not None:
        cases = cases.filter(procedure=procedure)
    if closed is not None:
        cases = cases.filter(closed=closed)
    if archived is not None:
        cases = cases.filter(archived=archived)
    if q:
        if _CONTROL.search(q):
            raise ApiError(400, "请求参数未通过校验", [FormatIssue("query.q", "含有控制字符")])
        from django.db.models import Q

        cases = cases.filter(Q(case_number__icontains=q) | Q(title__icontains=q))
    return {
        "count": cases.count(),
        "items": [_summary(index) for index in cases[offset : offset + limit]],
    }


@api.post(
    "/cases",
    response={201: CaseSummary, **_errors(400, 403, 409, 413, 415)},
    summary="立案",
    description="以 lawtrail-case/1 格式的案件信息立案，可同时追加第一条记录（申请登记、程序启动"
    "审批表、紧急先行启动或投诉举报）。当前用户成为承办人；机关为当前用户所属机关。",
    tags=["案件"],
    openapi_extra=_json_body(_ref("CaseOpen"), _OPEN_EXAMPLE),
)
def open_case(request: HttpRequest) -> Status[dict[str, Any]]:
    user = current_user(request)
    if user.agency_id is None or not actions.can_write(user, user.agency_id):
        raise ApiError(403, "您无权立案（只有执法机关的工作人员可以立案）")
    data = _read_json(request)
    if not isinstance(data, dict):
        raise _not_an_object(data, "案件信息")
    allowed = {*_HEADER_KEYS, "parties", "first_record"}
    issues = [
        FormatIssue(f"$.{key}", "未知的键（拼写错误？）") for key in data if key not in allowed
    ]
    number = data.get("case_number")
    if isinstance(number, str) and len(number) > MAX_CASE_NUMBER:
        issues.append(FormatIssue("$.case_number", f"案号最多 {MAX_CASE_NUMBER} 个字符"))
    title = data.get("title")
    if isinstance(title, str) and len(title) > MAX_TITLE:
        issues.append(FormatIssue("$.title", f"案由最多 {MAX_TITLE} 个字符"))
    issues += _out_of_range(data.get("opened_at"), "$.opened_at", "datetime")
    issues += _record_range_issues(data.get("first_record"), "$.first_record")
    if issues:
        raise ApiError(400, "案件信息未通过校验", issues)
    if isinstance(number, str) and _case_exists(user.agency_id, number):
        raise ApiError(409, f"案号 {number} 已存在，不能重复立案")
    header = {k: data[k] for k in (*_HEADER_KEYS, "parties") if k in data}
    first = data.get("first_record")
    if first is not None and not isinstance(first, dict):
        raise ApiError(400, "案件信息未通过校验", [FormatIssue("$.first_record", "应为 JSON 对象")])
    try:
        index = actions.do_open_case(user, header, first)
    except services.ActRefused:
        raise  # a refusal of who, not of the data: 403, logged (_on_service_error)
    except services.ServiceError as exc:
        if isinstance(number, str) and _case_exists(user.agency_id, number):
            raise ApiError(409, f"案号 {number} 已存在，不能重复立案") from None
        raise ApiError(
            400, _service_detail(exc), _relocated(exc.issues, 0, "$.first_record")
        ) from None
    index = CaseIndex.objects.select_related("agency", "handler").get(pk=index.pk)
    return Status(201, _summary(index))


def _case_exists(agency: str, case_number: str) -> bool:
    if CaseIndex.objects.filter(agency_id=agency, case_number=case_number).exists():
        return True
    return services.case_json(wiring.ledger(), agency, case_number) is not None


@api.get(
    "/cases/{int:case_id}",
    response={200: CaseJson, **_errors(403, 404)},
    summary="案件（lawtrail-case/1 格式）",
    description="案件信息与全部记录，格式同案件交换文件（可直接用 lawtrail check 检查）。"
    "每次查看记入账本的查阅记录。",
    tags=["案件"],
)
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    index = _readable(request, case_id, action="view_case")
    data = services.case_json(wiring.ledger(), index.agency_id, index.case_number)
    if data is None:  # an index row without a ledger case: the projection is stale
        raise Http404("案件不存在于账本中")
    user = current_user(request)
    d = web_secrecy.disclosure(user, index)
    web_secrecy.log_labelled(user, index, d, index.case_number, "api")
    return web_secrecy.disclose_case_json(d, data)


@api.get(
    "/cases/{int:case_id}/records",
    response={200: list[RecordEntry], **_errors(403, 404)},
    summary="案件的全部记录",
    description="按账本顺序，含每条记录在账本中的序号与叶子哈希。",
    tags=["记录"],
)
def list_records(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    index = _readable(request, case_id, action="view_records")
    entries = wiring.ledger().entries(
        index.agency_id, case_number=index.case_number, types=("record",)
    )
    user = current_user(request)
    d = web_secrecy.disclosure(user, index)
    web_secrecy.log_labelled(user, index, d, index.case_number, "api")
    return [
        {
            "seq": entry.seq,
            "entry_recorded_at": entry.recorded_at,
            "leaf_hash": entry.leaf_hash.hex(),
            "record": web_secrecy.disclose_record_json(d, entry.data()["record"]),
        }
        for entry in list(entries)
    ]


@api.get(
    "/cases/{int:case_id}/records/{record_id}",
    response={200: RecordEntry, **_errors(403, 404)},
    summary="一条记录",
    tags=["记录"],
)
def get_record(request: HttpRequest, case_id: int, record_id: str) -> dict[str, Any]:
    index, entry = _record_entry(request, case_id, record_id, action="view_record")
    out = _stored_record(index.agency_id, entry.seq)
    user = current_user(request)
    d = web_secrecy.disclosure(user, index)
    if d.touches(record_id):
        web_secrecy.log_labelled(user, index, d, record_id, "api")
    out["record"] = web_secrecy.disclose_record_json(d, out["record"])
    return out


def _record_entry(
    request: HttpRequest, case_id: int, record_id: str, *, action: str
) -> tuple[CaseIndex, StoredEntry]:
    """The readable case and the ledger entry of one of its records (access-logged as
    `action`) — the entry whose hashed body is this record, not one whose ref column says so."""
    well_formed = _RECORD_ID.match(record_id) is not None
    index = _readable(request, case_id, action=action, target=record_id if well_formed else "")
    if not well_formed:
        raise Http404("记录不存在")
    entries = wiring.ledger().entries_named(
        index.agency_id, "record", record_id, case_number=index.case_number
    )
    if not entries:
        raise Http404("记录不存在")
    return index, entries[0]


@api.get(
    "/cases/{int:case_id}/records/{record_id}/receipt",
    response={200: ReceiptOut, **_errors(403, 404)},
    summary="记录的存证回执",
    description="记录在账本中的序号、叶子哈希、覆盖它的已签名检查点、包含证明及当前已有的见证联署"
    "（lawtrail-receipt/1）；可用 lawtrail receipt check 离线核验。每次下载记入账本的查阅记录。",
    tags=["记录"],
)
def record_receipt(request: HttpRequest, case_id: int, record_id: str) -> dict[str, Any]:
    _index, entry = _record_entry(request, case_id, record_id, action="download_receipt")
    return build_receipt(wiring.ledger(), entry)


@api.post(
    "/cases/{int:case_id}/records",
    response={201: AppendedRecord, **_errors(400, 403, 404, 413, 415)},
    summary="追加一条记录",
    description="记录为 lawtrail-case/1 格式；录入时间 recorded_at 由服务器设定。校验未通过时返回"
    "每个问题的 JSON 路径与中文说明，不保存任何内容。更正是一条新的记录（corrects）。",
    tags=["记录"],
    openapi_extra=_json_body(_ref("RecordIn"), _RECORD_EXAMPLE),
)
def append_record(request: HttpRequest, case_id: int) -> Status[dict[str, Any]]:
    user = current_user(request)
    index = _writable(request, case_id, action="append_record")
    data = _read_json(request)
    if not isinstance(data, dict):
        raise _not_an_object(data, "记录")
    issues = list(_record_range_issues(data, "$"))
    if issues:
        raise ApiError(400, "记录未通过校验", issues)
    position = index.records
    try:
        receipt = actions.do_append_record(user, index, data)
    except services.ActRefused:
        raise  # a refusal of who, not of the data: 403, logged (_on_service_error)
    except services.ServiceError as exc:
        raise ApiError(400, _service_detail(exc), _relocated(exc.issues, position, "$")) from None
    return _appended(index, receipt)


class HeaderChangeItem(Schema):
    field: Literal["title", "acts", "major", "party_added", "party_changed"] = Field(
        description="变更项：案由、行政执法行为、重大行政执法决定、增加当事人、当事人信息变更"
        "（含标为误列 misjoined）"
    )
    old: Any = Field(None, description="原值（party_changed：变更的各项原值）")
    new: Any = Field(None, description="新值（party_changed：变更的各项新值）")
    party: Any = Field(None, description="party_added：新增的当事人；party_changed：当事人标识")
    name: str | None = Field(None, description="party_changed：当事人变更前的名称或姓名")


class HeaderChangeOut(Schema):
    seq: int = Field(description="变更在机关账本中的序号")
    recorded_at: datetime = Field(description="变更时间（写入账本的时间，北京时间）")
    author: str = Field(description="变更人（用户名）")
    author_name: str = Field(description="变更人姓名")
    reason: str = Field(description="变更理由")
    changes: list[HeaderChangeItem]
    summary: list[str] = Field(description="各变更项的中文说明")


class HeaderChanged(HeaderChangeOut):
    case: CaseSummary


_HEADER_CHANGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reason": {"type": "string", "minLength": 1, "maxLength": REASON_MAX},
        "title": {"type": "string", "maxLength": TITLE_MAX},
        "acts": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "major": {"type": "boolean"},
        "parties": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "minLength": 1, "maxLength": 64},
                    **{key: {"type": "string"} for key in PARTY_KEYS},
                },
                "required": ["id"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["reason"],
    "additionalProperties": False,
}
_HEADER_CHANGE_EXAMPLE = {
    "reason": "调查中发现涉案商品由另一经营者供货，追加为当事人",
    "title": "通化市某商贸有限公司、王某销售不合格运动鞋案",
    "major": True,
    "parties": [{"id": "p2", "name": "王某", "kind": "person"}],
}


def _change_out(version: services.HeaderVersion) -> dict[str, Any]:
    change = version.change or {}
    author = User.objects.filter(username=version.actor).first()
    items = [
        {k: item[k] for k in ("field", "old", "new", "party", "name") if k in item}
        for item in change.get("changes") or []
        if isinstance(item, dict)
    ]
    return {
        "seq": version.seq,
        "recorded_at": timeutil.local(version.recorded_at),
        "author": version.actor,
        "author_name": author.display_name if author else version.actor,
        "reason": str(change.get("reason", "")),
        "changes": items,
        "summary": describe_change(change),
    }


@api.get(
    "/cases/{int:case_id}/changes",
    response={200: list[HeaderChangeOut], **_errors(403, 404)},
    summary="案件信息变更记录",
    description="案件信息（案由、行政执法行为、重大行政执法决定、当事人）的每次变更，按账本顺序："
    "变更人、时间、理由与各项原值和新值。",
    tags=["案件"],
)
def list_header_changes(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    index = _readable(request, case_id, action="view_case", target="header")
    versions = services.header_versions(wiring.ledger(), index.agency_id, index.case_number)
    return [_change_out(v) for v in versions if v.change is not None]


@api.post(
    "/cases/{int:case_id}/changes",
    response={201: HeaderChanged, **_errors(400, 403, 404, 413, 415)},
    summary="变更案件信息",
    description="变更案由（title）、行政执法行为（acts）、重大行政执法决定（major）或当事人"
    "（parties：按 id 匹配，已有的当事人为更正其信息，新的 id 为增加当事人；当事人不能删除，"
    "列错的当事人以 misjoined 写明误列理由）。理由（reason）必填；未提交的项保持不变。"
    "变更记作新的账本条目，原信息保留。只有本案承办人、在本案记录中的执法人员或本机关负责人"
    "可以变更（否则 403）；已归档的案件、没有变化的变更返回 400。",
    tags=["案件"],
    openapi_extra=_json_body(_HEADER_CHANGE_SCHEMA, _HEADER_CHANGE_EXAMPLE),
)
def change_header(request: HttpRequest, case_id: int) -> Status[dict[str, Any]]:
    user = current_user(request)
    index = _writable(request, case_id, action="change_header")
    data = _read_json(request)
    if not isinstance(data, dict):
        raise _not_an_object(data, "案件信息变更")
    issues = [
        FormatIssue(f"$.{key}", "未知的键（拼写错误？）")
        for key in data
        if key not in _HEADER_CHANGE_SCHEMA["properties"]
    ]
    reason = data.get("reason")
    if not isinstance(reason, str):
        issues.append(FormatIssue("$.reason", "请填写变更理由（文字）"))
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        issues.append(FormatIssue("$.title", "应为文字"))
    acts = data.get("acts")
    if acts is not None and not (isinstance(acts, list) and all(isinstance(a, str) for a in acts)):
        issues.append(FormatIssue("$.acts", "应为行政执法行为标识的列表"))
    major = data.get("major")
    if major is not None and not isinstance(major, bool):
        issues.append(FormatIssue("$.major", "应为 true 或 false"))
    parties = data.get("parties")
    if parties is not None and not isinstance(parties, list):
        issues.append(FormatIssue("$.parties", "应为当事人对象的列表"))
    if issues:
        raise ApiError(400, "案件信息变更未通过校验", issues)
    assert isinstance(reason, str)
    change = HeaderChange(
        reason=reason,
        title=title,
        acts=acts,
        major=major,
        parties=parties or [],
    )
    case = actions.case_of(index)
    if not actions.can_change_header(user, index, case):
        raise services.ActRefused(
            "只有本案承办人、在本案记录中的执法人员或本机关负责人可以变更案件信息"
        )
    try:
        receipt = actions.do_change_header(user, index, change)
    except services.ActRefused:
        raise  # a refusal of who, not of the data: 403, logged (_on_service_error)
    except services.ServiceError as exc:
        raise ApiError(400, _service_detail(exc), exc.issues) from None
    versions = services.header_versions(wiring.ledger(), index.agency_id, index.case_number)
    version = next(v for v in versions if v.seq == receipt.seq)
    index = CaseIndex.objects.select_related("agency", "handler").get(pk=index.pk)
    return Status(201, {**_change_out(version), "case": _summary(index)})


_ROLE_ACT_EXAMPLE = {"fields": {"head_opinion": "同意立案调查", "approved": True}}


@api.post(
    "/cases/{int:case_id}/records/{record_id}/acts/{act}",
    response={201: AppendedRecord, **_errors(400, 403, 404, 415)},
    summary="办理记录中本角色的事项（负责人审批、法制审核意见、审核意见等）",
    description="承办人起草的记录中属于其他角色的事项（记录类型的 role_acts，见 /record-kinds），"
    "由该角色本人在此办理：只提交该事项的字段（fields）；办理人与时间由服务器设为当前用户与"
    "当前时间。结果是一条更正该记录最新版本的新记录。非该角色的用户返回 403 并记入查阅记录。"
    "act 为事项名（如 head、unit、legality、av_exemption）。",
    tags=["记录"],
    openapi_extra=_json_body(
        {
            "type": "object",
            "properties": {"fields": {"type": "object", "additionalProperties": True}},
            "required": ["fields"],
            "additionalProperties": False,
        },
        _ROLE_ACT_EXAMPLE,
    ),
)
def complete_role_act(
    request: HttpRequest, case_id: int, record_id: str, act: str
) -> Status[dict[str, Any]]:
    user = current_user(request)
    index = _writable(request, case_id, action="role_act")
    data = _read_json(request)
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise ApiError(400, "请求体应为对象，fields 为该事项的字段", [])
    if actions.case_of(index).record(record_id) is None:
        raise Http404(f"本案没有记录 {record_id}")
    position = index.records
    try:
        receipt = actions.do_role_act(user, index, record_id, act, data["fields"])
    except services.ActRefused:
        raise  # 403, logged (_on_service_error)
    except services.ServiceError as exc:
        raise ApiError(400, _service_detail(exc), _relocated(exc.issues, position, "$")) from None
    return _appended(index, receipt)


@api.get(
    "/cases/{int:case_id}/findings",
    response={200: Findings, **_errors(403, 404)},
    summary="规则检查结果与待办",
    description="按本机关的制度文件检查案件：违规与提示（含条款），以及尚需进行的行为、期限与依据。",
    tags=["检查"],
)
def findings(request: HttpRequest, case_id: int) -> dict[str, Any]:
    index = _readable(request, case_id, action="view_findings")
    case = actions.case_of(index)
    evaluation = evaluate(case, at=timeutil.now())
    return {
        "case_number": case.case_number,
        "as_of": evaluation.as_of,
        "violations": len(evaluation.violations),
        "warnings": len(evaluation.warnings),
        "findings": [
            {
                "rule": f.rule,
                "regulation": f.regulation,
                "article": f.article,
                "article_label": article_label(f.article),
                "severity": str(f.severity),
                "record": f.record,
                "message": f.message,
                "title": f.title,
                "quote": f.quote,
            }
            for f in evaluation.findings
        ],
        "required": [
            {
                "rule": r.rule,
                "regulation": r.regulation,
                "article": r.article,
                "article_label": article_label(r.article),
                "kinds": list(r.kinds),
                "kind_labels": [RECORD_KINDS[k].label for k in r.kinds if k in RECORD_KINDS],
                "after": r.after,
                "due": _local(r.due),
                "message": r.message,
            }
            for r in evaluation.required
        ],
    }


@api.get(
    "/cases/{int:case_id}/verification",
    response={200: Verification, **_errors(403, 404)},
    summary="账本校验",
    description="校验案件在机关账本中的每个条目：签名检查点、包含证明、见证联署。ok 为 true 表示"
    "未发现问题；status 为 intact（完好：未发现问题，且每个条目都被本系统配置的见证方联署的检查点"
    "覆盖）、not_verified（未验证：未发现问题，但有条目尚无见证联署或尚未签入检查点，见 "
    "not_verified）或 problems（有问题）。核验本案的立案、记录、媒体和文书条目（查阅记录由 "
    "lawtrail verify 核验）。签名以本系统配置的机关公钥核验；独立核验请用 "
    "lawtrail verify --key … --witness-key …。",
    tags=["检查"],
)
def verification(request: HttpRequest, case_id: int) -> dict[str, Any]:
    index = _readable(request, case_id, action="verify_case")
    ledger = wiring.ledger()
    try:
        # The page's keys are the system's configured ones (not pinned by the reader): the
        # verdict here is whether every entry is covered by a configured witness's cosignature.
        report = ledger_verify.verify(
            ledger,
            wiring.keys(),
            agency=index.agency_id,
            case_number=index.case_number,
            # The case's own entries (as on the case page): each read of the case appends an
            # access entry no witness can have cosigned yet. The access log is checked, and its
            # coverage judged, by `lawtrail verify`.
            entry_types=("case", "record", "media", "document"),
            allow_unpinned=True,
        )
    except LedgerError as exc:
        raise Http404(f"账本中没有该案件：{exc}") from None
    latest = ledger.latest_checkpoint(index.agency_id)
    signed = latest.size if latest else 0
    return {
        "ok": not report.problems,
        "status": report.status,
        "status_label": verdict.LABELS[report.status],
        "not_verified": [r.message for r in report.verdict.reasons],
        "agency": index.agency_id,
        "case_number": index.case_number,
        "checkpoint": None
        if latest is None
        else {"size": latest.size, "root": latest.root.hex(), "signed_at": latest.signed_at},
        "entries": [
            {
                "seq": e.seq,
                "type": e.type,
                "ref": e.body_ref() or e.ref,
                "recorded_at": e.recorded_at,
                "signed": e.seq < signed,
            }
            for e in list(ledger.entries(index.agency_id, case_number=index.case_number))
        ],
        "problems": [
            {"code": p.code, "message": p.message, "seq": p.seq, "record": p.record}
            for p in report.problems
        ],
        "notes": list(report.notes),
    }


def _media_out(index: CaseIndex, seq: int, data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "seq": seq,
        "id": data["id"],
        "type": data["type"],
        "sha256": data["sha256"],
        "sm3": data.get("sm3"),
        "size": data.get("size"),
        "captured_at": data["captured_at"],
        "completed_at": data.get("completed_at"),
        "ingested_at": data["ingested_at"],
        "filename": data.get("filename"),
        "source": data.get("source"),
        "uploader": data.get("uploader"),
        "labels": dict(data.get("labels") or {}),
        "url": reverse("api:media_content", args=[index.pk, data["sha256"]]),
        "web_url": reverse("media_file", args=[index.pk, data["sha256"]]),
    }


@api.get(
    "/cases/{int:case_id}/media",
    response={200: list[MediaOut], **_errors(403, 404)},
    summary="案件的音像资料",
    description="已入库的照片、录音、录像（入库登记：摘要、设备时间、服务器时间、上传人、标注）。",
    tags=["音像资料"],
)
def list_media(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    index = _readable(request, case_id, action="view_media")
    entries = wiring.ledger().entries(
        index.agency_id, case_number=index.case_number, types=("media",)
    )
    return [_media_out(index, entry.seq, entry.data()["media"]) for entry in list(entries)]


@api.get(
    "/cases/{int:case_id}/media/{sha256}/content",
    response={200: None, 206: None, **_errors(403, 404, 416)},
    summary="下载音像资料文件",
    description="文件本身（按扩展名的 Content-Type）；支持单个 Range 请求。权限与网页下载相同，"
    "下载（或从第 0 字节开始的读取）记入案件所属机关账本的查阅记录；只读令牌即可。",
    tags=["音像资料"],
    url_name="media_content",
    openapi_extra={
        "responses": {
            "200": {
                "description": "文件内容",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            "206": {
                "description": "所请求的字节范围",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
        }
    },
)
def media_content(request: HttpRequest, case_id: int, sha256: str) -> HttpResponseBase:
    from lawtrail.evidence.store import MediaNotFoundError, MediaStoreError, normalize_sha256
    from lawtrail.web.views import media as media_views

    index = _index(case_id)
    user = current_user(request)
    if not actions.can_read(user, index.agency_id):
        _readable(request, case_id, action="download_media", target=sha256[:64])  # logs, 403
    try:
        sha256 = normalize_sha256(sha256)
    except MediaStoreError:
        raise Http404("该案件没有此媒体文件") from None
    registered = media_views._registered(index, sha256)
    if registered is None:
        raise Http404("该案件没有此媒体文件")
    try:
        size, stream = media_views._source(sha256, registered.size)
    except MediaNotFoundError:
        log.error("media %s of %s/%s is missing", sha256, index.agency_id, index.case_number)
        raise Http404(
            "媒体文件在证据库中缺失，请联系系统管理员核验（lawtrail verify --media）"
        ) from None
    try:
        wanted = media_views.byte_range(request.META.get("HTTP_RANGE", ""), size)
    except media_views._Unsatisfiable:
        raise ApiError(416, "请求的字节范围超出文件大小", Content_Range=f"bytes */{size}") from None
    start = wanted[0] if wanted is not None else 0
    if start == 0:  # a download, not the continuation of one (as the web download)
        _readable(request, case_id, action="download_media", target=sha256)
    return media_views.media_response(registered, sha256, stream, size, wanted, download=True)


MediaType = Literal["photo", "audio", "video"]
MediaSource = Literal["body_camera", "cctv", "phone", "camera", "recorder", "screen", "other"]
assert set(get_args(MediaType)) == set(MEDIA_TYPES)
assert set(get_args(MediaSource)) == set(MEDIA_SOURCES)
_TIME_PARAM = "ISO 8601，须带时区偏移，如 2026-03-04T09:30:12+08:00"


@api.post(
    "/cases/{int:case_id}/media",
    response={201: UploadedMedia, **_errors(400, 403, 404, 411, 413, 415)},
    summary="上传音像资料",
    description="请求体即文件本身（Content-Type: application/octet-stream 等，不用表单编码），"
    "边接收边写入证据库，须带 Content-Length。文件名的扩展名与文件头须为允许的照片、录音、"
    "录像格式。入库登记（摘要、设备时间、服务器时间、上传人、案号等标注）写入机关账本；"
    "之后在记录的 media 中按 sha256 引用。",
    tags=["音像资料"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def upload_media(
    request: HttpRequest,
    case_id: int,
    filename: QueryEx[str, P(min_length=1, max_length=255, description="文件名（含扩展名）")],
    captured_at: QueryEx[str, P(description="开始录制或拍摄的设备时间，" + _TIME_PARAM)],
    completed_at: QueryEx[str | None, P(description="录制结束时间，" + _TIME_PARAM)] = None,
    type: QueryEx[MediaType | None, P(description="类型（默认按扩展名）")] = None,
    device: QueryEx[MediaSource | None, P(description="来源设备")] = None,
) -> Status[dict[str, Any]]:
    user = current_user(request)
    index = _writable(request, case_id, action="upload_media")
    issues = [
        *_out_of_range(captured_at, "query.captured_at", "datetime"),
        *_out_of_range(completed_at, "query.completed_at", "datetime"),
    ]
    if issues:
        raise ApiError(400, "上传参数未通过校验", issues)
    ingested = ingest_request(request, index, user)
    entry = wiring.ledger().entry(index.agency_id, ingested.receipt.seq)
    assert entry is not None
    return Status(
        201,
        {"created": ingested.created, "media": _media_out(index, entry.seq, entry.data()["media"])},
    )


# 责令限期整改 (issue #14 item 4), 案卷评查 (item 2) and the 评议考核 report (item 3): their
# operations are registered on this API by their own modules.
from lawtrail.web import api_orders, api_report, api_reviews  # noqa: E402, F401
