"""Admin for reference data: agencies, users (roles, certificates, supervised agencies), API
tokens. Cases are not edited here — the case index is read-only (a projection of the ledger)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from lawtrail.core.record_kinds import ACTS, ORIGINS, PROCEDURES
from lawtrail.web import admin_zh
from lawtrail.web.casepage import stage_label
from lawtrail.web.models import (
    Agency,
    ApiToken,
    CaseIndex,
    PasswordHistory,
    User,
    validate_case_number_patterns,
)
from lawtrail.web.roles import ROLE_CHOICES


def _pattern_field(procedure: str) -> forms.CharField:
    return forms.CharField(
        label=f"案号格式（{PROCEDURES[procedure]}）",
        required=False,
        help_text="{year} 代表年度，{n} 代表序号，如 通市监罚〔{year}〕{n}号；留空则手工填写案号",
    )


class AgencyForm(forms.ModelForm):
    """The agency, its 案号格式 one field per procedure (named in Chinese) rather than the
    stored JSON object, whose keys are the procedures' codes."""

    pattern_general = _pattern_field("general")
    pattern_simplified = _pattern_field("simplified")

    class Meta:
        model = Agency
        fields = ("code", "name", "regulation")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = dict(self.instance.case_number_patterns or {}) if self.instance.pk else {}
        for code in PROCEDURES:
            self.fields[f"pattern_{code}"].initial = stored.get(code, "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        patterns = {
            code: text.strip()
            for code in PROCEDURES
            if (text := str(data.get(f"pattern_{code}") or ""))
        }
        try:
            validate_case_number_patterns(patterns)
        except ValidationError as exc:
            self.add_error(None, exc)
        self.instance.case_number_patterns = patterns
        return data


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    form = AgencyForm
    list_display = ("name", "code", "regulation", "patterns")

    @admin.display(description="案号格式")
    def patterns(self, obj: Agency) -> str:
        stored = obj.case_number_patterns or {}
        return "；".join(f"{PROCEDURES[k]}：{v}" for k, v in stored.items() if k in PROCEDURES)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["code", "name", "regulation", *(f"pattern_{code}" for code in PROCEDURES)]


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        super().__init__(*args, choices=ROLE_CHOICES, **kwargs)


class LawtrailUserForm(UserChangeForm):
    roles = RolesField(label="角色", required=False)

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        valid_from, valid_until = (
            data.get("certificate_valid_from"),
            data.get("certificate_valid_until"),
        )
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("certificate_valid_until", "证件有效期止不能早于起始日期")
        if data.get("certificate_number") and not valid_until:
            self.add_error("certificate_valid_until", "请填写执法证件的有效期")
        return data


class LawtrailPasswordForm(AdminPasswordChangeForm):
    """Django's admin password form; its warning about disabling password sign-in is not
    translated by Django (a literal string): said in Chinese here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "usable_password" in self.fields:
            self.fields[
                "usable_password"
            ].help_text = "用户是否能够使用密码登录。如果禁用，该用户当前的密码将会失效。"


def yes_no(value: bool | None) -> str:
    """A yes/no in words: Django's own icons are labelled "True"/"False" for screen readers."""
    return "是" if value else "否"


@admin.register(User)
class LawtrailUserAdmin(UserAdmin):
    form = LawtrailUserForm
    change_password_form = LawtrailPasswordForm
    list_display = (
        "username",
        "name",
        "agency",
        "role_list",
        "certificate_valid_until",
        "active",
    )

    @admin.display(description="有效", ordering="is_active")
    def active(self, obj: User) -> str:
        return yes_no(obj.is_active)

    list_filter = ("agency", "is_active")
    search_fields = ("username", "name", "certificate_number")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("人员", {"fields": ("name", "title", "agency", "roles", "supervised_agencies")}),
        (
            "执法证件",
            {"fields": ("certificate_number", "certificate_valid_from", "certificate_valid_until")},
        ),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    filter_horizontal = ("supervised_agencies",)

    @admin.display(description="角色")
    def role_list(self, obj: User) -> str:
        return "、".join(obj.role_labels)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "label",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "status",
    )
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "user__name", "label", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    fields = (
        "user",
        "label",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ["revoke_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Issued by their owner (「我的接口令牌」) or `lawtrail manage create_api_token`: the key
        # is shown once, to whoever issues it.
        return False

    @admin.display(description="状态")
    def status(self, obj: ApiToken) -> str:
        return obj.status_label

    @admin.action(description="吊销所选令牌（立即失效）")
    def revoke_tokens(self, request: HttpRequest, queryset: Any) -> None:
        from lawtrail.web import signin

        actor = request.user
        assert isinstance(actor, User)
        count = 0
        for token in queryset.select_related("user"):
            if token.revoke():
                count += 1
                signin.log_event(
                    actor,
                    "token_revoked",
                    request,
                    target=f"token:{token.prefix}",
                    agency=token.user.agency_id,
                )
        self.message_user(request, f"已吊销 {count} 个令牌。")


@admin.register(PasswordHistory)
class PasswordHistoryAdmin(admin.ModelAdmin):
    """Read-only: which users changed their password when (the hashes are not shown)."""

    list_display = ("user", "changed_at")
    fields = ("user", "changed_at")
    search_fields = ("user__username",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CaseIndex)
class CaseIndexAdmin(admin.ModelAdmin):
    list_display = ("case_number", "agency", "title", "stage_label", "violations", "next_due")
    list_filter = ("agency", "closed", "archived")
    # What a case is, in Chinese: the index's stored codes and JSON (acts, pending steps, the
    # projections) are read on the case's own pages, not here.
    fields = readonly_fields = (
        "agency",
        "case_number",
        "title",
        "origin_label",
        "procedure_label",
        "acts_label",
        "major_label",
        "opened_at",
        "handler",
        "stage_label",
        "records",
        "violations",
        "warnings",
        "closed_label",
        "archived_label",
        "next_due",
    )

    @admin.display(description="重大行政执法决定")
    def major_label(self, obj: CaseIndex) -> str:
        return yes_no(obj.major)

    @admin.display(description="已终结")
    def closed_label(self, obj: CaseIndex) -> str:
        return yes_no(obj.closed)

    @admin.display(description="已归档")
    def archived_label(self, obj: CaseIndex) -> str:
        return yes_no(obj.archived)

    @admin.display(description="启动方式")
    def origin_label(self, obj: CaseIndex) -> str:
        return ORIGINS.get(obj.origin, "—")

    @admin.display(description="程序")
    def procedure_label(self, obj: CaseIndex) -> str:
        return PROCEDURES.get(obj.procedure, "—")

    @admin.display(description="行政执法行为")
    def acts_label(self, obj: CaseIndex) -> str:
        return "、".join(ACTS.get(a, "—") for a in obj.acts or []) or "—"

    @admin.display(description="当前阶段", ordering="stage")
    def stage_label(self, obj: CaseIndex) -> str:
        """The stage by its Chinese name, not its code ("closure")."""
        return stage_label(obj.stage) if obj.stage else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.site_header = admin.site.site_title = "执法留痕 系统管理"
admin.site.index_title = "系统管理"

admin_zh.register()
