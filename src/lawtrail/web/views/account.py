"""Sign-in and the user's own account: login (password, then the TOTP code when the user has a
device), logout, the password change page, the TOTP enrolment page and 「我的接口令牌」.

Every login, logout and failure is an ``access`` entry in the ledger of the user's agency
(:func:`lawtrail.web.signin.log_event`); failed-login limits are django-axes's
(settings ``AXES_*``, docs/architecture.md "Sign-in and tokens").
"""

from __future__ import annotations

import time
from base64 import b32encode
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler  # type: ignore[import-untyped]
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_otp import login as otp_login  # type: ignore[import-untyped]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from lawtrail.web import signin
from lawtrail.web.models import TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS, ApiToken, User
from lawtrail.web.views.common import current_user

# The password step passed; the code step is pending (session key, and how long it waits).
PENDING = "lawtrail_otp_pending"
PENDING_SECONDS = 300


def _start_session(request: HttpRequest, user: User) -> None:
    login(request, user)
    request.session[signin.LAST_ACTIVITY] = time.time()
    signin.log_event(user, "login", request)


class SignInView(auth_views.LoginView):
    """Step one: username and password (django-axes counts the failures)."""

    template_name = "lawtrail/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        username = request.POST.get("username", "")
        self._tried = bool(username and request.POST.get("password"))
        self._locked_before = self._tried and not AxesProxyHandler.is_allowed(
            request, {"username": username}
        )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        if self._tried:
            user = signin.user_named(self.request.POST.get("username"))
            if not self._locked_before:
                signin.log_event(user, "login_failed", self.request, allowed=False)
            if getattr(self.request, "axes_locked_out", False):
                # AxesMiddleware turns this answer into the lockout page (429).
                signin.log_event(user, "login_locked", self.request, allowed=False)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if signin.has_confirmed_device(user):
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": time.time(),
            }
            return redirect("login_otp")
        _start_session(self.request, user)
        if signin.requires_second_factor(user):
            return redirect("otp_enrol")
        return redirect(self.get_success_url())


class CodeForm(forms.Form):
    code = forms.RegexField(
        label="动态验证码",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"required": "请输入 6 位动态验证码", "invalid": "动态验证码应为 6 位数字"},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


def login_otp(request: HttpRequest) -> HttpResponse:
    """Step two, for a user with a confirmed TOTP device: the code from the authenticator app."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.warning(request, "登录已超时，请重新输入用户名和密码。")
        return redirect("login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        return redirect("login")
    credentials = {"username": user.username}
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if not AxesProxyHandler.is_allowed(request, credentials):
            signin.log_event(user, "login_locked", request, allowed=False)
            request.session.pop(PENDING, None)
            return signin.lockout_response(request)
        if form.is_valid():
            code = form.cleaned_data["code"].strip()
            device = next(
                (
                    d
                    for d in TOTPDevice.objects.filter(user=user, confirmed=True)
                    if d.verify_token(code)
                ),
                None,
            )
            if device is not None:
                request.session.pop(PENDING, None)
                user.backend = pending["backend"]
                _start_session(request, user)
                otp_login(request, device)
                return redirect(pending["next"])
            form.add_error("code", "动态验证码不正确或已过期，请重新输入")
            signin.log_event(user, "otp_failed", request, allowed=False)
            # A wrong code counts as a failed sign-in (django-axes): guessing codes locks too.
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                signin.log_event(user, "login_locked", request, allowed=False)
                request.session.pop(PENDING, None)
    return render(request, "lawtrail/account/login_otp.html", {"form": form, "who": user})


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            assert isinstance(user, User)
            signin.log_event(user, "logout", request)
        return super().post(request, *args, **kwargs)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return render(
        request,
        "lawtrail/account/account.html",
        {
            "has_device": signin.has_confirmed_device(user),
            "device_required": signin.requires_second_factor(user),
            "tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True).count(),
            "idle_minutes": _idle_minutes(),
        },
    )


def _idle_minutes() -> int:
    from django.conf import settings

    return int(settings.LAWTRAIL_IDLE_SECONDS // 60)


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "lawtrail/account/password.html"
    success_url = reverse_lazy("account")
    form_class = PasswordChangeForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        signin.log_event(current_user(self.request), "password_changed", self.request)
        messages.success(self.request, "密码已修改。")
        return response


password_change = PasswordChange.as_view()


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Bind a TOTP authenticator: show the secret and its QR code, confirm with one code."""
    user = current_user(request)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        return render(request, "lawtrail/account/otp.html", {"confirmed": confirmed, "form": None})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="动态验证码", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            signin.log_event(user, "otp_enrolled", request)
            messages.success(request, "动态验证码已绑定：今后登录时须输入验证码。")
            return redirect("account")
        form.add_error("code", "动态验证码不正确或已过期：请核对手机时间后重新输入")
    secret = b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, light="#fff", title="动态验证码绑定二维码"
    )
    return render(
        request,
        "lawtrail/account/otp.html",
        {
            "confirmed": None,
            "form": form,
            "secret": _grouped(secret),
            "qr": qr,
            "required": signin.requires_second_factor(user),
        },
    )


class TokenForm(forms.Form):
    label = forms.CharField(
        label="用途",
        max_length=100,
        error_messages={"required": "请填写令牌的用途", "max_length": "用途最多 100 个字"},
    )
    scope = forms.ChoiceField(
        label="权限范围",
        choices=[("read", "只读"), ("write", "读写")],
        help_text="只读：仅查询与下载；读写：还可开案、记录、上传",
        initial="read",
        error_messages={"invalid_choice": "权限范围只能是只读或读写"},
    )
    days = forms.IntegerField(
        label="有效期（天）",
        min_value=1,
        max_value=TOKEN_MAX_DAYS,
        initial=TOKEN_DEFAULT_DAYS,
        error_messages={
            "required": "请填写有效期",
            "invalid": "有效期应为整数天数",
            "min_value": "有效期至少 1 天",
            "max_value": f"有效期最长 {TOKEN_MAX_DAYS} 天",
        },
    )


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """「我的接口令牌」: list, create (the key is shown once), revoke."""
    user = current_user(request)
    form = TokenForm(request.POST or None)
    new_key = ""
    if request.method == "POST" and form.is_valid():
        token, new_key = ApiToken.issue(
            user,
            form.cleaned_data["label"].strip(),
            scope=form.cleaned_data["scope"],
            days=form.cleaned_data["days"],
        )
        signin.log_event(user, "token_created", request, target=f"token:{token.prefix}")
        form = TokenForm()
    response = render(
        request,
        "lawtrail/account/tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": list(ApiToken.objects.filter(user=user)),
            "now": timezone.now(),
        },
    )
    response["Cache-Control"] = "no-store"  # the page may show a key
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = current_user(request)
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise Http404("令牌不存在")
    if token.revoke():
        signin.log_event(user, "token_revoked", request, target=f"token:{token.prefix}")
        messages.success(request, f"令牌「{token.label}」（{token.prefix}…）已吊销，立即失效。")
    return redirect(reverse("tokens"))
