"""Django's admin in Chinese for the models of the sign-in packages (issue #15: 系统管理 fully
Chinese): django-axes (failed sign-in limits) and django-otp (the second factor) ship no
Simplified Chinese, and django-otp's field labels are not even marked for translation. Their
models' and fields' names are set here when the app starts, their admin pages re-registered
with Chinese section titles, filters and columns."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest
from django.utils import translation
from django.utils.functional import lazy

APP_NAMES = {
    "axes": "登录失败限制",
    "otp_totp": "动态口令（第二重验证）",
    "auth": "认证和授权",
}

# model → (verbose_name, verbose_name_plural, {field: (verbose_name, help_text or None)})
MODELS: dict[str, tuple[str, dict[str, tuple[str, str | None]]]] = {
    "axes.accessattempt": (
        "登录失败记录",
        {
            "get_data": ("GET 参数", None),
            "post_data": ("提交的表单", None),
            "failures_since_start": ("连续失败次数", None),
        },
    ),
    "axes.accessattemptexpiration": (
        "登录失败记录的到期时间",
        {
            "access_attempt": ("登录失败记录", None),
            "expires_at": ("到期时间", "该登录失败记录到期失效的时间"),
        },
    ),
    "axes.accesslog": (
        "登录日志",
        {"logout_time": ("退出时间", None), "session_hash": ("会话摘要", None)},
    ),
    "axes.accessfailurelog": ("登录失败日志", {"locked_out": ("是否已锁定", None)}),
    "otp_totp.totpdevice": (
        "动态口令设备",
        {
            "user": ("用户", "该设备所属的用户"),
            "name": ("名称", "便于识别的设备名称"),
            "confirmed": ("已确认", "设备是否已确认可用"),
            "created_at": ("创建时间", "设备的创建时间"),
            "last_used_at": ("最近使用时间", "最近一次用该设备验证成功的时间"),
            "key": ("密钥", "十六进制编码的密钥，最长 40 字节"),
            "step": ("时间步长（秒）", "动态口令每隔多少秒更换一次"),
            "t0": ("起始时间", "开始计数时间步的时刻（自 1970 年 1 月 1 日零时 UTC 起的秒数）"),
            "digits": ("口令位数", "动态口令的位数"),
            "tolerance": ("容许误差（步）", "允许前后相差的时间步数"),
            "drift": ("时钟偏差（步）", "已知设备时钟与服务器相差的时间步数"),
            "last_t": (
                "最近口令的时间步",
                "最近一次验证通过的口令所在的时间步；下一个口令须在其后",
            ),
            "throttling_failure_timestamp": ("最近失败时间", "最近一次验证失败的时间"),
            "throttling_failure_count": ("连续失败次数", "连续验证失败的次数"),
        },
    ),
}
# Fields every axes log shares (AccessBase)
AXES_COMMON = {
    "user_agent": ("浏览器标识", None),
    "ip_address": ("IP 地址", None),
    "username": ("用户名", None),
    "http_accept": ("请求接受的类型", None),
    "path_info": ("路径", None),
    "attempt_time": ("尝试时间", None),
}


def _chinese_or(chinese: str, original: Any) -> str:
    return chinese if translation.get_language() else str(original)


_when_translating = lazy(_chinese_or, str)


def localize() -> None:
    """Name the sign-in packages' apps, models and fields in Chinese (called at start-up)."""
    for label, name in APP_NAMES.items():
        try:
            apps.get_app_config(label).verbose_name = name
        except LookupError:
            continue
    for dotted, (name, fields) in MODELS.items():
        app_label, model_name = dotted.split(".")
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        model._meta.verbose_name = model._meta.verbose_name_plural = name
        every = {**(AXES_COMMON if app_label == "axes" else {}), **fields}
        for field_name, (label_text, help_text) in every.items():
            try:
                field = model._meta.get_field(field_name)
            except FieldDoesNotExist:
                continue
            # verbose_name is not part of the field's migration state (Django keeps the
            # original apart); help_text is: it stays the package's own text when no language
            # is active (makemigrations), so that no migration of the package is asked for.
            field.verbose_name = label_text
            if help_text is not None:
                field.help_text = _when_translating(help_text, field.help_text)


def _log_title(entry: Any) -> str:
    """An axes log entry named in Chinese (the package names it "Access Log for …")."""
    return f"{entry.username or '—'} 于 {entry.attempt_time:%Y-%m-%d %H:%M} 的登录"


def register() -> None:
    """Re-register the packages' admins with Chinese section titles, filters and columns."""
    from axes.admin import (  # type: ignore[import-untyped]
        AccessAttemptAdmin,
        AccessFailureLogAdmin,
        AccessLogAdmin,
    )
    from axes.conf import settings as axes_settings  # type: ignore[import-untyped]
    from axes.models import (  # type: ignore[import-untyped]
        AccessAttempt,
        AccessFailureLog,
        AccessLog,
    )
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin  # type: ignore[import-untyped]
    from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

    class LockedOutFilter(admin.SimpleListFilter):
        title = "是否已锁定"
        parameter_name = "locked_out"

        def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
            return (("yes", "是"), ("no", "否"))

        def queryset(self, request: HttpRequest, queryset: Any) -> Any:
            limit = axes_settings.AXES_FAILURE_LIMIT
            if self.value() == "yes":
                return queryset.filter(failures_since_start__gte=limit)
            if self.value() == "no":
                return queryset.filter(failures_since_start__lt=limit)
            return queryset

    class ZhAccessAttemptAdmin(AccessAttemptAdmin):
        fieldsets = (
            (None, {"fields": ("username", "path_info", "failures_since_start", "expiration")}),
            ("提交的数据", {"fields": ("get_data", "post_data")}),
            ("请求信息", {"fields": ("user_agent", "ip_address", "http_accept")}),
        )
        list_filter = [
            f if isinstance(f, str) else LockedOutFilter for f in AccessAttemptAdmin.list_filter
        ]
        actions = ["cleanup_expired_attempts"]

        @admin.action(description="清理已过期的登录失败记录")
        def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
            count = self.handler.clean_expired_user_attempts(request=request)
            self.message_user(request, f"已清理 {count} 条过期的登录失败记录。")

        @admin.display(description="到期时间")
        def expiration(self, obj: Any) -> Any:
            return obj.expiration.expires_at if hasattr(obj, "expiration") else "未设置"

        @admin.display(description="状态")
        def status(self, obj: Any) -> str:
            limit = axes_settings.AXES_FAILURE_LIMIT
            if obj.failures_since_start < limit:
                return f"还可尝试 {limit - obj.failures_since_start} 次"
            return "已锁定"

    class ZhAccessLogAdmin(AccessLogAdmin):
        fieldsets = (
            (None, {"fields": ("username", "path_info")}),
            ("请求信息", {"fields": ("user_agent", "ip_address", "http_accept")}),
        )

    class ZhAccessFailureLogAdmin(AccessFailureLogAdmin):
        fieldsets = (
            (None, {"fields": ("username", "path_info")}),
            ("请求信息", {"fields": ("user_agent", "ip_address", "http_accept")}),
        )

    titles = {
        "Identity": "设备",
        "Timestamps": "时间",
        "Configuration": "参数",
        "State": "状态",
        "Throttling": "失败限制",
    }

    class ZhTOTPDeviceAdmin(TOTPDeviceAdmin):
        search_help_text = "按用户的用户名或姓名搜索"
        search_fields = ["user__username", "user__name"]

        def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
            return [
                (titles.get(str(title), title) if title else None, options)
                for title, options in super().get_fieldsets(request, obj)
            ]

        @admin.display(description="二维码")
        def qrcode_link(self, device: Any) -> Any:
            from django.urls import reverse
            from django.utils.html import format_html

            href = reverse("admin:otp_totp_totpdevice_config", kwargs={"pk": device.pk})
            return format_html('<a href="{}">二维码</a>', href)

    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.__str__ = _log_title
    for model, model_admin in (
        (AccessAttempt, ZhAccessAttemptAdmin),
        (AccessLog, ZhAccessLogAdmin),
        (AccessFailureLog, ZhAccessFailureLogAdmin),
        (TOTPDevice, ZhTOTPDeviceAdmin),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, model_admin)
    # Roles are the project's own (用户 → 角色); Django's groups and their English permission
    # names ("Can add …") are not used.
    if admin.site.is_registered(Group):
        admin.site.unregister(Group)
