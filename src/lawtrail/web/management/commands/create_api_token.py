from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lawtrail.web.models import ApiToken, User


class Command(BaseCommand):
    help = (
        "为用户签发 REST API 令牌（Authorization: Bearer …）；"
        "令牌只显示这一次，系统只保存其 SHA-256"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", help="用户名")
        parser.add_argument("--label", required=True, help="用途，如「案件系统对接」")

    def handle(self, *args: Any, **options: Any) -> None:
        label = options["label"].strip()
        if not label:
            raise CommandError("请用 --label 说明令牌的用途")
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"用户 {options['username']} 不存在") from None
        if not user.is_active:
            raise CommandError(f"用户 {user.username} 已停用，不能签发令牌")
        token, key = ApiToken.issue(user, label[:100])
        self.stderr.write(
            f"已为 {user} 签发令牌（用途：{token.label}，前缀 {token.prefix}）。"
            "令牌只显示这一次，请妥善保存："
        )
        self.stdout.write(key)
