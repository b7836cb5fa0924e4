"""The password policy's own validators (settings.AUTH_PASSWORD_VALIDATORS), next to Django's
minimum length (10), common-password and similarity validators.

They run wherever Django validates a new password — the password change page, the admin's
user forms, ``manage changepassword`` — and :class:`PasswordHistoryValidator` also records each
new password's hash when it is saved (``password_changed``), whatever path set it.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError


def _symbol(c: str) -> bool:
    return c in string.punctuation or not (c.isalnum() or c.isspace())


CLASSES: dict[str, tuple[str, Callable[[str], bool]]] = {
    "upper": ("大写字母", str.isupper),
    "lower": ("小写字母", str.islower),
    "digit": ("数字", str.isdigit),
    "symbol": ("符号", _symbol),
}


class MinimumLengthValidator:
    """At least ``min_length`` characters (Django's own has no Chinese text for this message)."""

    def __init__(self, min_length: int = 10) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                f"密码太短：至少 {self.min_length} 个字符（当前 {len(password)} 个）",
                code="password_too_short",
            )

    def get_help_text(self) -> str:
        return f"密码至少 {self.min_length} 个字符。"


class CharacterClassesValidator:
    """At least ``min_classes`` of: upper-case letters, lower-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        present = {name for name, (_, test) in CLASSES.items() if any(test(c) for c in password)}
        if len(present) < self.min_classes:
            missing = "、".join(
                label for name, (label, _) in CLASSES.items() if name not in present
            )
            raise ValidationError(
                f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类"
                f"（当前缺少：{missing}）",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。"


class PasswordHistoryValidator:
    """Not the current password nor one of the user's last ``keep`` passwords."""

    def __init__(self, keep: int = 5) -> None:
        self.keep = keep

    def _recent_hashes(self, user: Any) -> list[str]:
        from lawtrail.web.models import PasswordHistory

        if user is None or getattr(user, "pk", None) is None:
            return []
        hashes = list(
            PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[
                : self.keep
            ]
        )
        current = (
            get_user_model().objects.filter(pk=user.pk).values_list("password", flat=True).first()
        )
        if current and current not in hashes:
            hashes.append(current)  # a password set before the history was kept
        return hashes

    def validate(self, password: str, user: Any = None) -> None:
        for encoded in self._recent_hashes(user):
            if encoded and check_password(password, encoded):
                raise ValidationError(
                    f"不能使用最近 {self.keep} 次用过的密码，请设置一个新密码",
                    code="password_reused",
                )

    def password_changed(self, password: str, user: Any = None) -> None:
        """Keep the new password's hash; forget all but the last ``keep``."""
        from lawtrail.web.models import PasswordHistory

        if user is None or getattr(user, "pk", None) is None or not user.password:
            return
        PasswordHistory.objects.create(user_id=user.pk, password=user.password)
        stale = PasswordHistory.objects.filter(user_id=user.pk).values_list("pk", flat=True)[
            self.keep :
        ]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return f"不能与最近 {self.keep} 次用过的密码相同。"
