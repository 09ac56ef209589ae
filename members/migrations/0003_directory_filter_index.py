"""An index for the directory's "area served" and "paid staff" filters, on PostgreSQL only.

When a sparse combination of tags is read from the rarest tag first
(``members.selectors.directory.FilteredDirectoryQuery``), PostgreSQL otherwise scans every
organisation to apply these two filters. SQLite does not get it: without fresh statistics its
planner would prefer it to the name index for every "area served" filter and sort all matches.
"""

from django.db import migrations

# Status and id too, so that the match can be read from the index alone (no table scan).
CREATE = (
    "CREATE INDEX IF NOT EXISTS org_area_size"
    " ON members_organisation (area_served, staff_size, status, id)"
)
DROP = "DROP INDEX IF EXISTS org_area_size"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_seed_taxonomy"),
    ]

    operations = [migrations.RunPython(create, drop)]
