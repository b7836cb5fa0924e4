from django.apps import AppConfig


class LawtrailConfig(AppConfig):
    name = "lawtrail.web"
    label = "lawtrail"
    verbose_name = "执法留痕"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lawtrail.web import admin_zh

        admin_zh.localize()
