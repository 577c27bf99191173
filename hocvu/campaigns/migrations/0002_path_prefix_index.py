"""Prefix-scan indexes for the people of a subtree on PostgreSQL (see organizations 0002).

SQLite uses the composite index (unit_path, name_folded) for the prefix range.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS campaigns_status_path_prefix "
            "ON campaigns_personstatus (unit_path varchar_pattern_ops, name_folded)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS campaigns_status_path_prefix")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
