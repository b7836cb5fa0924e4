from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from lawtrail.web import demo


class Command(BaseCommand):
    help = "创建演示账号（每个机关每种角色）并导入示例案件"

    def add_arguments(self, parser: Any) -> None:
        default = Path(settings.BASE_DIR).parents[2] / "examples"
        parser.add_argument("--examples", type=Path, default=default)
        parser.add_argument("--no-examples", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        examples = None if options["no_examples"] else options["examples"]
        accounts = demo.seed(examples if examples and examples.is_dir() else None)
        self.stdout.write(f"\n演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
        for username, name, what in accounts:
            self.stdout.write(f"  {username:<22} {name:<8} {what}")
