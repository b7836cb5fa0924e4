"""The ledger's tables and append-only triggers (lawtrail.ledger.schema) on the same database,
so that `lawtrail manage migrate` leaves a complete system. The ledger re-checks them at every
start and puts back a missing trigger."""

from django.db import migrations


def install_ledger(apps, schema_editor):  # type: ignore[no-untyped-def]
    from lawtrail.ledger.schema import install
    from lawtrail.web.ledgerdb import DjangoDatabase

    install(DjangoDatabase(schema_editor.connection.alias))


class Migration(migrations.Migration):
    dependencies = [("lawtrail", "0001_initial")]
    operations = [migrations.RunPython(install_ledger, migrations.RunPython.noop)]
