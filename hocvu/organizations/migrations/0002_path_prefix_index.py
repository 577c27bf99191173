"""A prefix-scan index for subtree queries on PostgreSQL.

``path LIKE 'prefix%'`` only uses a b-tree index under the C collation or with the
``varchar_pattern_ops`` operator class. SQLite needs nothing: its trees are small enough
for the unique index on ``path`` to serve.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS organizations_unit_path_prefix "
            "ON organizations_unit (path varchar_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS organizations_unit_path_prefix")


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
