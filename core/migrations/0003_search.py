"""The search index behind ``core.search``: one table, plus each database's full-text index.

SQLite: an FTS5 table over the entry's text columns (external content, porter stemming over
unicode61 words), kept in step by triggers; its rowids are the entries' ids, which
``core.search`` makes from the model and object id so that a match needs no join. PostgreSQL:
generated tsvector columns ('english' configuration) over all the text and over the A and B
texts, each with a GIN index. Other databases get the plain table
only, and ``core.search`` refuses to run on them. See docs/decisions/0002-search.md.
"""

from django.db import migrations, models


class VendorRunSQL(migrations.RunSQL):
    """RunSQL that runs only on one database vendor (``"sqlite"``, ``"postgresql"``)."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor, self.sql, self.reverse_sql], {}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


COLUMNS = "text_a, text_b, text_c, text_d"
NEW = "new.text_a, new.text_b, new.text_c, new.text_d"
OLD = "old.text_a, old.text_b, old.text_c, old.text_d"

SQLITE_FORWARDS = [
    "CREATE VIRTUAL TABLE core_searchentry_fts USING fts5("
    f"{COLUMNS}, content='core_searchentry', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER core_searchentry_fts_insert AFTER INSERT ON core_searchentry BEGIN "
    f"INSERT INTO core_searchentry_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
    "CREATE TRIGGER core_searchentry_fts_delete AFTER DELETE ON core_searchentry BEGIN "
    f"INSERT INTO core_searchentry_fts(core_searchentry_fts, rowid, {COLUMNS}) "
    f"VALUES ('delete', old.id, {OLD}); END",
    "CREATE TRIGGER core_searchentry_fts_update AFTER UPDATE ON core_searchentry BEGIN "
    f"INSERT INTO core_searchentry_fts(core_searchentry_fts, rowid, {COLUMNS}) "
    f"VALUES ('delete', old.id, {OLD}); "
    f"INSERT INTO core_searchentry_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS core_searchentry_fts_update",
    "DROP TRIGGER IF EXISTS core_searchentry_fts_delete",
    "DROP TRIGGER IF EXISTS core_searchentry_fts_insert",
    "DROP TABLE IF EXISTS core_searchentry_fts",
]

# Stripped vectors (no positions or weights: ranking needs only "which text matched"): one over
# all the text for matching, and one each over the A and B texts for ranking, all GIN-indexed.
ALL_TEXT = "text_a || ' ' || text_b || ' ' || text_c || ' ' || text_d"
POSTGRESQL_FORWARDS = [
    "ALTER TABLE core_searchentry"
    f" ADD COLUMN document tsvector GENERATED ALWAYS AS"
    f" (strip(to_tsvector('english'::regconfig, {ALL_TEXT}))) STORED,"
    " ADD COLUMN document_a tsvector GENERATED ALWAYS AS"
    " (strip(to_tsvector('english'::regconfig, text_a))) STORED,"
    " ADD COLUMN document_b tsvector GENERATED ALWAYS AS"
    " (strip(to_tsvector('english'::regconfig, text_b))) STORED",
    "CREATE INDEX core_searchentry_document ON core_searchentry USING gin (document)",
    "CREATE INDEX core_searchentry_document_a ON core_searchentry USING gin (document_a)",
    "CREATE INDEX core_searchentry_document_b ON core_searchentry USING gin (document_b)",
]
POSTGRESQL_BACKWARDS = [
    "ALTER TABLE core_searchentry DROP COLUMN IF EXISTS document,"
    " DROP COLUMN IF EXISTS document_a, DROP COLUMN IF EXISTS document_b",
]


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("model_label", models.CharField(max_length=100)),
                ("object_id", models.BigIntegerField()),
                ("text_a", models.TextField(blank=True, default="")),
                ("text_b", models.TextField(blank=True, default="")),
                ("text_c", models.TextField(blank=True, default="")),
                ("text_d", models.TextField(blank=True, default="")),
            ],
            options={
                "verbose_name": "search entry",
                "verbose_name_plural": "search entries",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("model_label", "object_id"),
                        name="core_searchentry_one_per_object",
                    )
                ],
            },
        ),
        VendorRunSQL("sqlite", SQLITE_FORWARDS, SQLITE_BACKWARDS),
        VendorRunSQL("postgresql", POSTGRESQL_FORWARDS, POSTGRESQL_BACKWARDS),
    ]
