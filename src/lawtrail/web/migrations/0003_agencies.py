"""The five agencies, seeded from their rule packs (one pack per agency)."""

from django.db import migrations


def seed_agencies(apps, schema_editor):  # type: ignore[no-untyped-def]
    from lawtrail.core.rules import all_packs

    Agency = apps.get_model("lawtrail", "Agency")
    for pack in all_packs():
        Agency.objects.update_or_create(
            code=pack.agency, defaults={"name": pack.name, "regulation": pack.regulation}
        )


class Migration(migrations.Migration):
    dependencies = [("lawtrail", "0002_ledger_schema")]
    operations = [migrations.RunPython(seed_agencies, migrations.RunPython.noop)]
