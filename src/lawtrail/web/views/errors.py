from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "您无权访问该页面"
    return render(
        request, "lawtrail/error.html", {"title": "无权访问", "message": message}, status=403
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "lawtrail/error.html",
        {"title": "未找到", "message": "页面或案件不存在"},
        status=404,
    )
