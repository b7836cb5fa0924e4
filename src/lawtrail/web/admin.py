"""Admin for reference data: agencies, users (roles, certificates, supervised agencies), API
tokens. Cases are not edited here — the case index is read-only (a projection of the ledger)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.http import HttpRequest

from lawtrail.web.casepage import stage_label
from lawtrail.web.models import Agency, ApiToken, CaseIndex, PasswordHistory, User
from lawtrail.web.roles import ROLE_CHOICES


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "regulation", "case_number_patterns")


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


@admin.register(User)
class LawtrailUserAdmin(UserAdmin):
    form = LawtrailUserForm
    list_display = (
        "username",
        "name",
        "agency",
        "role_list",
        "certificate_valid_until",
        "is_active",
    )
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
