"""Full-text search over any model, on SQLite (FTS5) and PostgreSQL (tsvector), one interface.

A model registers which text to index at which weight (A is the most important, then B, C, D)::

    search.register(
        Organisation,
        weights={
            "A": "name",
            "B": lambda org: [area.name for area in org.focus_areas.all()],
            "C": "description",
        },
        queryset=lambda: Organisation.objects.prefetch_related("focus_areas"),
    )

Services keep the index up to date (no signals): ``search_index_update(org)`` after a write,
``search_index_delete(org)`` before a delete, ``search_index_rebuild(Organisation)`` for
everything at once. A list page narrows any queryset of the model with
``search_filter(queryset, q)``: only matching rows, each annotated with ``search_rank``.

Ranking is deliberately coarse so it is the same on both databases (their own scores differ):
``search_rank`` is 1 when the A text alone contains every word, else 2 when the B text does,
else 3 (the words are in the C or D text, or spread across texts); 0 means no search was made.
Order pages by ``("search_rank", <a stable column such as name>, "pk")``. Words match by stem
(porter on SQLite, snowball English on PostgreSQL) and the last word also as a prefix. People's
input never reaches a query language: it is reduced to plain words first, so no input can make
a query fail. See docs/decisions/0002-search.md.
"""

from __future__ import annotations

import logging
import re
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, NotSupportedError, connections, router, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    IntegerField,
    Model,
    OuterRef,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Expression, RawSQL

from core.models import SearchEntry

__all__ = [
    "MAX_TERMS",
    "SearchIndex",
    "get_index",
    "normalise_text",
    "register",
    "search_filter",
    "search_tiers",
    "search_index_delete",
    "search_index_rebuild",
    "search_index_update",
    "search_exists",
    "search_terms",
    "search_tier_ids",
    "unregister",
]

WEIGHTS = ("A", "B", "C", "D")
MAX_QUERY_CHARS = 500  # longer input is cut, not refused
MAX_TERMS = 8  # more words than this add nothing but cost
MAX_TERM_CHARS = 60  # no real word is longer; longer "words" are neither indexed nor sought
MIN_PREFIX_CHARS = 3  # "a*" would match most of the index
MAX_TEXT_CHARS = 100_000  # per weight per record; PostgreSQL caps a tsvector at 1 MB
RANKED_WEIGHTS = ("A", "B")  # a match in C or D ranks with a match spread across texts

# An entry's id is (model slot << 40) + object id, so each model's entries are one contiguous
# range of SQLite FTS5 rowids: a match is a range scan that yields object ids without a join.
OBJECT_ID_BITS = 40  # object ids up to about 10^12
SLOT_BITS = 63 - OBJECT_ID_BITS

# PostgreSQL's english.stop, which its 'english' configuration drops from documents and
# queries. We drop the same words from queries on both databases so that SQLite, which keeps
# every word, matches exactly the same rows.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against between
    into through during before after above below to from up down in out on off over under again
    further then once here there when where why how all any both each few more most other some
    such no nor not only own same so than too very s t can will just don should now
    """.split()
)

_PG_INDEXES = (
    "core_searchentry_document",
    "core_searchentry_document_a",
    "core_searchentry_document_b",
)
logger = logging.getLogger(__name__)

_WORD_RE = re.compile(r"[^\W_]+")  # runs of letters and digits, in any script
_Getter = Callable[[Model], "str | Iterable[str] | None"]


@cache
def _combining_marks() -> re.Pattern:
    """A pattern for every combining mark (accents once NFKD has split them off letters)."""
    marks = "".join(
        re.escape(chr(code))
        for code in range(sys.maxunicode + 1)
        if unicodedata.combining(chr(code))
    )
    return re.compile(f"[{marks}]+")


def normalise_text(text: str | None) -> str:
    """``text`` as lower-case words with accents removed, separated by single spaces.

    Both databases then see the same words, whatever punctuation, hyphens, URLs or e-mail
    addresses the original had ("Café-Bar's" gives "cafe bar s").
    """
    if not text:
        return ""
    text = str(text)[:MAX_TEXT_CHARS].lower()
    if not text.isascii():
        text = _combining_marks().sub("", unicodedata.normalize("NFKD", text))
    return " ".join(w for w in _WORD_RE.findall(text) if len(w) <= MAX_TERM_CHARS)


def search_terms(q: str | None) -> list[str]:
    """The words of a search box's input that a search looks for, in order, without repeats.

    Syntax characters, quotes, operators, emoji and stop words ("the", "and") are dropped; at
    most ``MAX_TERMS`` words are kept. An empty list means there is nothing to look for.
    """
    q = q or ""
    if len(q) > MAX_QUERY_CHARS:  # cut, dropping the word the cut went through
        q = (q[:MAX_QUERY_CHARS].rsplit(maxsplit=1) or [""])[0]
    terms: list[str] = []
    for word in normalise_text(q).split():
        if word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


# --- Registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchIndex:
    """How one model is indexed: text getters by weight, and the queryset a rebuild reads."""

    model: type[Model]
    weights: tuple[tuple[str, _Getter], ...]
    queryset: Callable[[], QuerySet] | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def slot(self) -> int:
        """A number for the model, stable across processes, that places its entries' ids."""
        return zlib.crc32(self.label.encode()) & ((1 << SLOT_BITS) - 1)

    @property
    def first_id(self) -> int:
        return self.slot << OBJECT_ID_BITS

    def entry_id(self, pk: int) -> int:
        if not 0 <= pk < (1 << OBJECT_ID_BITS):
            raise ValueError(f"core.search cannot index {self.label} with primary key {pk!r}.")
        return self.first_id + pk

    def get_queryset(self) -> QuerySet:
        return self.queryset() if self.queryset else self.model._default_manager.all()

    def texts(self, obj: Model) -> dict[str, str]:
        """The normalised text of ``obj`` for each weight, as ``SearchEntry`` field values."""
        values = {f"text_{letter.lower()}": "" for letter in WEIGHTS}
        for letter, getter in self.weights:
            value = getter(obj)
            if value is None:
                value = ""
            elif not isinstance(value, str):
                value = " ".join(str(part) for part in value if part)
            values[f"text_{letter.lower()}"] = normalise_text(value)
        return values


_registry: dict[str, SearchIndex] = {}


def _getter(spec: str | _Getter) -> _Getter:
    if callable(spec):
        return spec
    if isinstance(spec, str):
        return lambda obj: getattr(obj, spec)
    raise ImproperlyConfigured(
        f"A search weight needs an attribute name or a callable, not {spec!r}."
    )


def register(
    model: type[Model],
    *,
    weights: Mapping[str, str | _Getter],
    queryset: Callable[[], QuerySet] | None = None,
) -> SearchIndex:
    """Make ``model`` searchable; call it from the model's ``AppConfig.ready()``.

    ``weights`` maps "A" (most important) to "D" to an attribute name or a callable that takes
    an instance and returns text or a list of texts. ``queryset`` (a callable) is what
    ``search_index_rebuild`` reads, e.g. with ``prefetch_related`` for a callable that follows a
    relation. Registering a model again replaces its earlier registration. The model must have
    an integer primary key.
    """
    unknown = set(weights) - set(WEIGHTS)
    if unknown or not weights:
        raise ImproperlyConfigured(
            f"Search weights must be some of {', '.join(WEIGHTS)}; got {sorted(weights)}."
        )
    index = SearchIndex(
        model=model._meta.concrete_model,
        weights=tuple(
            (letter, _getter(weights[letter])) for letter in WEIGHTS if letter in weights
        ),
        queryset=queryset,
    )
    for other in _registry.values():
        if other.slot == index.slot and other.label != index.label:  # about 1 in 8 million
            raise ImproperlyConfigured(
                f"{index.label} and {other.label} share a search slot; rename one model's table."
            )
    _registry[index.label] = index
    return index


def unregister(model: type[Model]) -> None:
    """Forget ``model``'s registration (its stored entries stay until a rebuild)."""
    _registry.pop(model._meta.concrete_model._meta.label_lower, None)


def get_index(model: type[Model]) -> SearchIndex:
    """The registration of ``model``; raises ``ImproperlyConfigured`` if it has none."""
    label = model._meta.concrete_model._meta.label_lower
    try:
        return _registry[label]
    except KeyError:
        raise ImproperlyConfigured(
            f"{label} is not registered for search: call core.search.register() for it in its "
            "app's AppConfig.ready()."
        ) from None


# --- Writing the index ----------------------------------------------------------------------

_TEXT_FIELDS = [f"text_{letter.lower()}" for letter in WEIGHTS]


def _entry(index: SearchIndex, obj: Model) -> SearchEntry:
    return SearchEntry(
        id=index.entry_id(obj.pk), model_label=index.label, object_id=obj.pk, **index.texts(obj)
    )


def search_index_update(obj: Model) -> None:
    """Add or refresh ``obj`` in the search index (one query). Call it from the service that
    created or changed ``obj``, inside its transaction."""
    index = get_index(type(obj))
    SearchEntry.objects.bulk_create(
        [_entry(index, obj)],
        update_conflicts=True,
        unique_fields=["model_label", "object_id"],
        update_fields=_TEXT_FIELDS,
    )


def search_index_delete(obj_or_model: Model | type[Model], pk: int | None = None) -> None:
    """Remove an object from the search index: ``search_index_delete(obj)`` before deleting
    ``obj``, or ``search_index_delete(Model, pk)`` afterwards (Django clears ``obj.pk`` on
    delete). Search results never include rows missing from the queryset searched, so a
    forgotten delete cannot surface a deleted object; it only leaves a stale entry."""
    if isinstance(obj_or_model, Model):
        model, pk = type(obj_or_model), obj_or_model.pk
    else:
        model = obj_or_model
    label = get_index(model).label
    if pk is not None:
        SearchEntry.objects.filter(model_label=label, object_id=pk).delete()


def search_index_rebuild(model: type[Model], *, batch_size: int = 2000) -> int:
    """Re-index every row of ``model`` from scratch, in one transaction; returns the count.

    Reads the registered queryset in chunks (prefetches apply per chunk) and writes in bulk;
    about a few seconds for 50,000 rows. Run it after registering a model or changing what
    it indexes.
    """
    index = get_index(model)
    count = 0
    with transaction.atomic():
        SearchEntry.objects.filter(model_label=index.label).delete()
        batch: list[SearchEntry] = []
        for obj in index.get_queryset().iterator(chunk_size=batch_size):
            batch.append(_entry(index, obj))
            if len(batch) >= batch_size:
                SearchEntry.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        if batch:
            SearchEntry.objects.bulk_create(batch)
            count += len(batch)
    _merge_pending_index_entries()
    return count


def _merge_pending_index_entries() -> None:
    """On PostgreSQL, fold the GIN indexes' pending lists into the indexes after a bulk write.

    GIN queues fresh entries in a list that every search scans linearly until (auto)vacuum
    merges it; after a rebuild that list holds every row and searches would be slow until then.
    """
    connection = connections[router.db_for_write(SearchEntry)]
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for name in _PG_INDEXES:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
    except DatabaseError:  # e.g. not the indexes' owner: autovacuum will do it later
        logger.warning("Could not merge the search indexes' pending entries.", exc_info=True)


# --- Querying -------------------------------------------------------------------------------


def _sqlite_match(index: SearchIndex, terms: list[str], weight: str | None) -> RawSQL:
    words = [f'"{term}"' for term in terms]  # quoted: FTS5 reads no operators inside quotes
    if len(terms[-1]) >= MIN_PREFIX_CHARS:
        words[-1] += "*"
    expression = " AND ".join(words)
    if weight:
        expression = f"{{text_{weight.lower()}}} : ({expression})"
    first = index.first_id
    return RawSQL(
        "SELECT rowid - %s FROM core_searchentry_fts"
        " WHERE core_searchentry_fts MATCH %s AND rowid BETWEEN %s AND %s",
        (first, expression, first, first + (1 << OBJECT_ID_BITS) - 1),
    )


# The column matched, by weight (None: all the text). OFFSET 0 keeps PostgreSQL from turning
# the whole match into a join that it then reads in page order (its LIMIT estimate assumes
# matches are spread evenly, so it would sort every row first); the match is built once instead.
_POSTGRESQL_MATCH_SQL = {
    None: "SELECT object_id FROM core_searchentry WHERE model_label = %s"
    " AND document @@ to_tsquery('english'::regconfig, %s) OFFSET 0",
    "A": "SELECT object_id FROM core_searchentry WHERE model_label = %s"
    " AND document_a @@ to_tsquery('english'::regconfig, %s)",
    "B": "SELECT object_id FROM core_searchentry WHERE model_label = %s"
    " AND document_b @@ to_tsquery('english'::regconfig, %s)",
}


def _postgresql_tsquery(terms: list[str]) -> str:
    words = [f"'{term}'" for term in terms]  # quoted: to_tsquery reads no operators inside
    if len(terms[-1]) >= MIN_PREFIX_CHARS:
        words[-1] += ":*"
    return " & ".join(words)


def _postgresql_match(index: SearchIndex, terms: list[str], weight: str | None) -> RawSQL:
    # The SQL is one of three constants; the words go in as a parameter.
    return RawSQL(  # noqa: S611
        _POSTGRESQL_MATCH_SQL[weight], (index.label, _postgresql_tsquery(terms))
    )


_MATCHERS = {"sqlite": _sqlite_match, "postgresql": _postgresql_match}


def search_filter(queryset: QuerySet, q: str | None, *, rank: str = "search_rank") -> QuerySet:
    """``queryset`` narrowed to rows matching ``q``, annotated with ``rank`` and ordered by it.

    Every word of ``q`` must match (by stem; the last word also as a prefix of at least three
    letters). ``rank`` is 1 when the weight-A text alone has every word, else 2 when the weight-B
    text does, else 3 (the words are in the C or D text, or spread across texts). For a blank
    ``q`` the queryset comes back unfiltered with ``rank`` 0; for input with no searchable words
    (only stop words or symbols) it is empty. Never raises for any input. The result is ordered
    by ``rank``, then the queryset's (or model's) ordering, then ``pk``; it is still one query,
    however many rows match. The model must be registered (``register``).
    """
    index = get_index(queryset.model)
    if not (q or "").strip():
        return queryset.annotate(**{rank: Value(0, output_field=IntegerField())})
    terms = search_terms(q)
    if not terms:
        return queryset.none().annotate(**{rank: Value(0, output_field=IntegerField())})
    vendor = connections[queryset.db].vendor
    try:
        match = _MATCHERS[vendor]
    except KeyError:
        raise NotSupportedError(
            f"core.search supports SQLite and PostgreSQL, not {vendor}."
        ) from None
    registered = {letter for letter, _getter in index.weights}
    tiers = [
        When(pk__in=match(index, terms, letter), then=Value(number))
        for number, letter in enumerate(RANKED_WEIGHTS, start=1)
        if letter in registered
    ]
    ordering = [
        *(queryset.query.order_by or queryset.model._meta.ordering or []),
        "pk",
    ]
    return (
        queryset.filter(pk__in=match(index, terms, None))
        .annotate(
            **{
                rank: Case(
                    *tiers, default=Value(len(RANKED_WEIGHTS) + 1), output_field=IntegerField()
                )
            }
        )
        .order_by(rank, *ordering)
    )


# --- The same results, rank by rank ------------------------------------------------------------

# What an entry must match to rank 1, 2 or 3 (PostgreSQL): each tier excludes the earlier ones.
# (The A and B columns are those of the stored entries: after changing a model's weights,
# rebuild its index, as ever.)
# Every match must be in the whole text (``document``), as ``search_filter`` requires; a match in
# the A or B text is one there too (the same words, tokenised the same way), so ranks 1 and 2
# don't test it again, which would make PostgreSQL read a second index.
_LAST_RANK = len(RANKED_WEIGHTS) + 1
_POSTGRESQL_TIER_SQL = {
    None: "document @@ {q}",  # any rank
    1: "document_a @@ {q}",
    2: "document_b @@ {q} AND NOT document_a @@ {q}",
    3: "document @@ {q} AND NOT document_a @@ {q} AND NOT document_b @@ {q}",
}
_TSQUERY = "to_tsquery('english'::regconfig, %s)"


class _EntryMatches(Expression):
    """``EXISTS (...)``: does the row's search entry match, at a rank (PostgreSQL)?

    The subquery ends in ``OFFSET 0``, which keeps PostgreSQL from turning it into a join: it
    stays a test of each row the outer query reads (one probe of the (model, object) index), so
    a query in name order can walk that order and stop after a page or a capped count. (As a
    join, the planner may start from the full-text index, and it often misjudges how many rows
    a prefix or a rank's "not in the name" conditions match.)"""

    conditional = True
    output_field = BooleanField()

    def __init__(self, label: str, condition: str, params: list, pk=None):
        super().__init__()
        self.label, self.condition, self.params = label, condition, params
        self.pk = pk if pk is not None else F("pk")

    def get_source_expressions(self):
        return [self.pk]

    def set_source_expressions(self, exprs):
        [self.pk] = exprs

    def as_sql(self, compiler, connection):
        pk_sql, pk_params = compiler.compile(self.pk)
        sql = (
            "EXISTS (SELECT 1 FROM core_searchentry WHERE model_label = %s"  # noqa: S608
            f" AND object_id = {pk_sql} AND {self.condition} OFFSET 0)"
        )
        return sql, [self.label, *pk_params, *self.params]


def _postgresql_exists(index: SearchIndex, terms: list[str], number: int | None) -> Expression:
    """Does the row's entry match ``terms`` at rank ``number`` (any rank: ``None``)? A test
    per row, through the (model, object) index."""
    condition = _POSTGRESQL_TIER_SQL[number].replace("{q}", _TSQUERY)
    params = [_postgresql_tsquery(terms)] * condition.count("%s")
    return _EntryMatches(index.label, condition, params)


def search_exists(queryset: QuerySet, q: str | None) -> QuerySet:
    """The rows of ``search_filter(queryset, q)``, neither ranked nor ordered: for a capped
    count. On PostgreSQL an ``EXISTS`` that the planner may read from either side: testing each
    row when matches are dense (so a capped count stops early), or from the full-text index
    when they are few."""
    index = get_index(queryset.model)
    if not (q or "").strip():
        return queryset
    terms = search_terms(q)
    if not terms:
        return queryset.none()
    vendor = connections[queryset.db].vendor
    if vendor not in _MATCHERS:
        raise NotSupportedError(f"core.search supports SQLite and PostgreSQL, not {vendor}.")
    if vendor == "postgresql":
        condition = RawSQL(  # noqa: S611 - a constant; the words are parameters
            _POSTGRESQL_TIER_SQL[None].replace("{q}", _TSQUERY),
            [_postgresql_tsquery(terms)],
            output_field=BooleanField(),
        )
        entries = SearchEntry.objects.filter(
            condition, model_label=index.label, object_id=OuterRef("pk")
        )
        return queryset.filter(Exists(entries))
    return queryset.filter(pk__in=_sqlite_match(index, terms, None))


def search_tier_ids(
    model: type[Model], q: str | None, rank: int, *, limit: int, using: str | None = None
) -> list[int]:
    """Ids of at most ``limit`` objects of ``model`` whose text matches ``q`` at ``rank`` (as
    ``search_tiers`` numbers them), straight from the full-text index: a cheap look at how many
    a rank holds. Whether the objects are listed, or pass other filters, is not checked. Only on
    PostgreSQL (``NotSupportedError`` elsewhere); an empty list when ``q`` has no words.
    ``using`` is the database the rows will be read from (by default, the model's)."""
    index = get_index(model)
    if rank not in (1, 2, _LAST_RANK):
        raise ValueError(f"A search rank is 1, 2 or {_LAST_RANK}, not {rank!r}.")
    terms = search_terms(q)
    if not terms:
        return []
    connection = connections[using or router.db_for_read(model)]
    if connection.vendor != "postgresql":
        raise NotSupportedError("search_tier_ids works on PostgreSQL only.")
    condition = _POSTGRESQL_TIER_SQL[rank].replace("{q}", _TSQUERY)
    sql = f"SELECT object_id FROM core_searchentry WHERE model_label = %s AND {condition} LIMIT %s"  # noqa: S608 - constants
    params = [index.label, *[_postgresql_tsquery(terms)] * condition.count("%s"), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def search_tiers(
    queryset: QuerySet, q: str | None, *, rank: str = "search_rank"
) -> list[tuple[int, QuerySet]]:
    """The rows of ``search_filter(queryset, q)`` split by rank: ``[(1, rows ranked 1), (2,
    ...), (3, ...)]``, each annotated with ``rank`` as a constant and not ordered.

    Together they are exactly ``search_filter``'s rows. A page that wants the first rows in
    ``(rank, name, pk)`` order can read the tiers in turn, each in name order, and stop when
    it has enough, instead of ranking every match first. On PostgreSQL each tier is a test per
    row (an index probe), so the planner can walk a sorted index and stop early when matches
    are many, or start from the full-text index when they are few; on SQLite, whose full-text
    matches come cheaply as ids, each tier is a set of ids. An empty list when ``q`` has no
    searchable words; a blank ``q`` is one tier, rank 0.
    """
    index = get_index(queryset.model)
    if not (q or "").strip():
        return [(0, queryset.annotate(**{rank: Value(0, output_field=IntegerField())}))]
    terms = search_terms(q)
    if not terms:
        return []
    vendor = connections[queryset.db].vendor
    if vendor not in _MATCHERS:
        raise NotSupportedError(f"core.search supports SQLite and PostgreSQL, not {vendor}.")
    registered = {letter for letter, _getter in index.weights}
    ranked = [
        (number, letter)
        for number, letter in enumerate(RANKED_WEIGHTS, start=1)
        if letter in registered
    ]
    tiers = []
    for number, letter in [*ranked, (_LAST_RANK, None)]:
        if vendor == "postgresql":
            narrowed = queryset.filter(_postgresql_exists(index, terms, number))
        else:
            narrowed = queryset.filter(pk__in=_sqlite_match(index, terms, None))
            for earlier, earlier_letter in ranked:
                if earlier < number:
                    narrowed = narrowed.exclude(pk__in=_sqlite_match(index, terms, earlier_letter))
            if letter:
                narrowed = narrowed.filter(pk__in=_sqlite_match(index, terms, letter))
        tiers.append(
            (number, narrowed.annotate(**{rank: Value(number, output_field=IntegerField())}))
        )
    return tiers
