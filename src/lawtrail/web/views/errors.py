"""The error pages, in Chinese: 400, 403, 404 and 500 (``handler400`` … in the URL map), the
CSRF failure page (``CSRF_FAILURE_VIEW``) and the page that gives back a form kept across a new
sign-in. Under /api/ each answers JSON ``{"detail": "中文…", "issues": []}`` as the API does.

403 and 404 use the site's layout (the navigation helps the user on). 400 and 500 use a
self-contained template rendered without the request: a 400 may come from a broken session or
host header, a 500 from the database, and the page must not fail again the same way.
"""

from __future__ import annotations

import logging
import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import urlencode

from lawtrail.web import keptform

log = logging.getLogger("lawtrail.web")

_CJK = re.compile(r"[\u4e00-\u9fff]")

TEXTS: dict[int, tuple[str, str]] = {
    400: ("请求无效", "服务器无法处理这个请求：请求的内容或格式不正确。请返回上一页重新操作。"),
    403: ("无权访问", "您无权访问该页面。"),
    404: ("未找到", "页面或案件不存在：链接可能有误，或案件不属于您可以查看的机关。"),
    500: (
        "服务器内部错误",
        "服务器处理请求时出错，已记录日志。您提交的内容可能没有保存，请稍后重试；"
        "问题持续存在时，请联系系统管理员。",
    ),
}


def _message(exception: object, default: str) -> str:
    """The exception's own message when it is one of ours (Chinese); Django's and libraries'
    messages are English (``No CaseIndex matches the given query.``) or a resolver's dict."""
    if isinstance(exception, Exception) and exception.args:
        text = exception.args[0]
        if isinstance(text, str) and _CJK.search(text):
            return text
    return default


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "issues": []}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _minimal(status: int, title: str, message: str) -> HttpResponse:
    """A page from the self-contained template, rendered without the request (no context
    processors, no database); plain text if even that fails."""
    try:
        body = loader.get_template("lawtrail/error_minimal.html").render(
            {"title": title, "message": message, "status": status}
        )
        return HttpResponse(body, status=status)
    except Exception:
        log.exception("the error page %s could not be rendered", status)
        return HttpResponse(
            f"{title}：{message}", status=status, content_type="text/plain; charset=utf-8"
        )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title, message = TEXTS[400]
    if _is_api(request):
        return _json(400, message)
    return _minimal(400, title, message)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title, default = TEXTS[403]
    message = _message(exception, default)
    if _is_api(request):
        return _json(403, message)
    return render(
        request,
        "lawtrail/error.html",
        {
            "title": title,
            "message": message,
            "explanation": "访问权限按所属机关和角色确定；如确需查看，请联系本机关的系统管理员。"
            "被拒绝的访问会记入查阅记录。",
        },
        status=403,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title, default = TEXTS[404]
    message = _message(exception, default)
    if _is_api(request):
        return _json(404, message)
    return render(
        request,
        "lawtrail/error.html",
        {
            "title": title,
            "message": message,
            "explanation": "请检查地址是否正确，或从首页、案件列表重新进入。",
        },
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    title, message = TEXTS[500]
    if _is_api(request):
        return _json(500, "服务器内部错误，请联系管理员（已记录日志）")
    return _minimal(500, title, message)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The form could not be accepted: its page was opened before a sign-out, a new sign-in or
    with a cookie that has since changed. The typed values are given back (see
    :mod:`lawtrail.web.keptform`), never executed without the user submitting them again."""
    detail = "页面已过期或登录状态已变化，本次提交未被执行。"
    if _is_api(request):
        return _json(403, f"CSRF 校验失败：{detail}请刷新页面后重试")
    log.info("CSRF failure on %s %s: %s", request.method, request.path, reason)
    login = reverse("login")
    # A stale sign-in form has nothing worth keeping (the password is never kept): sign in.
    on_login = request.path.startswith(login)
    fields = [] if on_login else keptform.posted_fields(request)
    signed_in = request.user.is_authenticated
    kept = False
    if fields and not signed_in:
        kept = keptform.keep(request, fields)
    # after signing in: the kept form, else the page of the form (not the sign-out's URL)
    if kept:
        next_url = reverse("kept_form")
    elif request.path == reverse("logout"):
        next_url = reverse("home")
    else:
        next_url = keptform.safe_path(request)
    return render(
        request,
        "lawtrail/csrf_failure.html",
        {
            "title": "页面已过期",
            "detail": detail,
            "fields": fields,
            "filled": any(f.filled for f in fields),
            "action": keptform.safe_path(request),
            "signed_in": signed_in and not on_login,
            "kept": kept,
            "login_url": f"{login}?{urlencode({'next': next_url})}",
        },
        status=403,
    )


@login_required
def kept_form(request: HttpRequest) -> HttpResponse:
    """After signing in again: the form kept by :func:`csrf_failure`, ready to submit."""
    taken = keptform.take(request)
    if taken is None:
        return render(
            request,
            "lawtrail/error.html",
            {
                "title": "没有待恢复的内容",
                "message": "没有需要恢复的填写内容（可能已经恢复过，或已超过保存期限）。",
                "explanation": "",
            },
            status=404,
        )
    action, fields = taken
    return render(
        request,
        "lawtrail/csrf_failure.html",
        {
            "title": "恢复填写的内容",
            "detail": "您重新登录之前填写的内容已恢复，核对后可以再次提交。",
            "fields": fields,
            "filled": any(f.filled for f in fields),
            "action": action,
            "signed_in": True,
            "kept": False,
            "restored": True,
        },
    )
