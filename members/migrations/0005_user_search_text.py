# The people list searches a normalised copy of each person's name, role and bio (case folded,
# accents removed), so that "emile" finds "Émile" on SQLite and PostgreSQL alike. This adds the
# column and fills it for the people already there, a batch at a time.

import unicodedata

from django.db import migrations, models

from core.search import normalise_text

BATCH = 2000
PLAIN_LETTERS = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "æ": "ae", "œ": "oe", "þ": "th"}
)


def search_text(*fields):
    # What members.models.person_search_text makes today, copied so that this migration stays
    # the same when that function changes.
    texts = (
        normalise_text(
            text
            if text.isascii()
            else unicodedata.normalize("NFKD", text).casefold().translate(PLAIN_LETTERS)
        )
        for text in fields
        if text
    )
    return " ".join(filter(None, texts))


def fill_search_text(apps, schema_editor):
    User = apps.get_model("members", "User")
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table, pk = quote(User._meta.db_table), quote(User._meta.pk.column)
    column = quote(User._meta.get_field("search_text").column)
    sql = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s"  # noqa: S608
    people = User._base_manager.using(connection.alias).order_by("pk")
    last = 0
    while True:
        rows = list(
            people.filter(pk__gt=last).values_list("pk", "full_name", "job_title", "bio")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        values = [(search_text(name, role, bio), pk) for pk, name, role, bio in rows]
        values = [v for v in values if v[0]]
        if values:
            with connection.cursor() as cursor:
                cursor.executemany(sql, values)


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0004_people_by_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
    ]
