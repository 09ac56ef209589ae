"""The public directory's cache: rendered result blocks, kept until the data they show changes.

The directory at ``/members/`` is the site's busiest page, and most of its traffic is the same
few searches and filters. ``members.views.directory`` keeps the HTML it renders for a query (the
page's main block, or the htmx fragment) in Django's cache, under a key made of:

* the **data version**: a number in the database (table ``members_directory_version``, one row)
  that database triggers add one to on every insert, update or delete of an organisation, of
  its focus areas, audiences or regions, or of those lists themselves (``watched_tables``). Any write
  makes every cached page unreachable at once, whatever wrote it (a service, the Django admin,
  a bulk ``update()``, a management command, another server), and the new number is visible
  exactly when the write is committed, so a page is never cached with data older than its key;
* the query string, the path, the language, whether the viewer is a member (members see the
  "People" tab) and whether htmx asked for a fragment.

Coordinators (who also get the CSV link) are never served from the cache. Nothing is cached or
served inside a transaction (``connection.in_atomic_block``): what it could see may yet roll
back. Entries live in ``CACHES["directory"]``: by default a local-memory cache of at most
1,000 pages (some 20 MB) in each process, which stays correct with any number of processes and
servers because the version is in the database; ``DIRECTORY_CACHE_URL`` may point it at an
evicting Redis to share it. A cache that fails is skipped, never an error page. Entries expire
after ``DIRECTORY_CACHE_SECONDS`` (default 300; 0 turns the cache off), which bounds how late
a listing turns "not confirmed for 18 months" by the clock alone.

Reading the version is one indexed one-row query per request. The triggers and the table are
(re)installed after every ``migrate`` (``install``, connected to ``post_migrate``), because a
migration that rebuilds a table on SQLite drops that table's triggers.
See docs/decisions/0008-directory-caching.md.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections, router
from django.utils.translation import get_language

VERSION_TABLE = "members_directory_version"
PG_FUNCTION = "members_directory_version_bump"
PG_TRIGGER = "members_directory_version"
DEFAULT_SECONDS = 300
logger = logging.getLogger(__name__)

# Fixed SQL (only the watched tables' names, from the models' metadata, are put in below).
_READ = "SELECT version FROM members_directory_version WHERE id = 1"
_BUMP = "UPDATE members_directory_version SET version = version + 1 WHERE id = 1"
_SQLITE_TABLE = (
    "CREATE TABLE IF NOT EXISTS members_directory_version "
    "(id integer NOT NULL PRIMARY KEY, version integer NOT NULL)"
)
_SQLITE_FIRST_ROW = "INSERT OR IGNORE INTO members_directory_version (id, version) VALUES (1, 1)"
_PG_TABLE = (
    "CREATE TABLE IF NOT EXISTS members_directory_version "
    "(id integer NOT NULL PRIMARY KEY, version bigint NOT NULL)"
)
_PG_FIRST_ROW = (
    "INSERT INTO members_directory_version (id, version) VALUES (1, 1) ON CONFLICT (id) DO NOTHING"
)
# Once per transaction: the new number is only seen at commit anyway, and a transaction that
# writes thousands of statements (an import, ``seed_demo``) would otherwise update one row
# thousands of times, each update walking the row versions the open transaction keeps alive
# (quadratic). The marker is a transaction-local setting, so a rolled-back savepoint forgets it.
_PG_FUNCTION_SQL = (
    "CREATE OR REPLACE FUNCTION members_directory_version_bump() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "IF current_setting('members.directory_bumped', true) IS DISTINCT FROM "
    "txid_current()::text THEN "
    f"{_BUMP}; "
    "PERFORM set_config('members.directory_bumped', txid_current()::text, true); "
    "END IF; RETURN NULL; END $$"
)
_PG_PRESENT = (
    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s"
)


def watched_tables() -> list[str]:
    """The tables whose rows the directory shows: organisations, their tags, the taxonomy."""
    from members.models import Audience, FocusArea, Organisation, Region

    tables = [model._meta.db_table for model in (Organisation, FocusArea, Audience, Region)]
    for name in ("focus_areas", "audiences", "regions"):
        tables.append(Organisation._meta.get_field(name).remote_field.through._meta.db_table)
    return tables


def _connection():
    from members.models import Organisation

    return connections[router.db_for_read(Organisation)]


def seconds() -> int:
    return int(getattr(settings, "DIRECTORY_CACHE_SECONDS", DEFAULT_SECONDS))


# --- The version number and its triggers ------------------------------------------------------


def install(using: str | None = None, **kwargs) -> None:
    """Create the version table and the triggers that bump it; safe to run again at any time."""
    connection = connections[using] if using else _connection()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(_SQLITE_TABLE)
            cursor.execute(_SQLITE_FIRST_ROW)
            for watched in watched_tables():
                for event in ("INSERT", "UPDATE", "DELETE"):
                    name = quote(f"{VERSION_TABLE}_{watched}_{event.lower()}")
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {quote(watched)} "
                        f"BEGIN {_BUMP}; END"
                    )
        elif connection.vendor == "postgresql":
            cursor.execute(_PG_TABLE)
            cursor.execute(_PG_FIRST_ROW)
            cursor.execute(_PG_FUNCTION_SQL)
            cursor.execute(_PG_PRESENT, [PG_TRIGGER])
            present = {row[0] for row in cursor.fetchall()}
            for watched in watched_tables():
                if watched in present:
                    continue
                # Per statement, not per row; TRUNCATE too (as ``flush`` does).
                cursor.execute(
                    f"CREATE TRIGGER {quote(PG_TRIGGER)} AFTER INSERT OR UPDATE OR DELETE OR "
                    f"TRUNCATE ON {quote(watched)} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION {PG_FUNCTION}()"
                )


def data_version() -> int | None:
    """The directory's data version, or ``None`` when pages must not be cached now (inside a
    transaction, cache turned off, or the version table missing)."""
    if seconds() <= 0:
        return None
    connection = _connection()
    if connection.in_atomic_block:
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(_READ)
            row = cursor.fetchone()
    except DatabaseError:
        return None
    return row[0] if row else None


# --- Entries ----------------------------------------------------------------------------------


def key(request, *, version: int, kind: str, **flags) -> str:
    """The cache key of what ``request`` shows at ``version`` (``kind``: "page" or "fragment";
    ``flags``: anything else the HTML depends on, such as whether the viewer is a member)."""
    query = sorted((name, value) for name, values in request.GET.lists() for value in values)
    parts = [request.path, repr(query), get_language() or "", repr(sorted(flags.items()))]
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
    return f"members.directory:{version}:{kind}:{digest}"


def _cache():
    # Its own cache (settings.CACHES["directory"]) where there is one.
    return caches["directory" if "directory" in settings.CACHES else "default"]


def get(cache_key: str):
    try:
        return _cache().get(cache_key)
    except Exception:  # noqa: BLE001 - a cache that is down is a miss, not an error page
        logger.warning("The directory cache could not be read.", exc_info=True)
        return None


def put(cache_key: str, value) -> None:
    try:
        _cache().set(cache_key, value, seconds())
    except Exception:  # noqa: BLE001 - e.g. a full or unreachable Redis
        logger.warning("The directory cache could not be written.", exc_info=True)


def clear() -> None:
    """Forget every cached page (tests; a version bump does this for real)."""
    _cache().clear()
