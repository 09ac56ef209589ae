"""core.search: one interface over SQLite FTS5 and PostgreSQL full-text search.

The expected orders below are written out in full: CI runs this file on both databases, so the
same assertion passing on each proves the order is the same on both.

``Place`` is a test-only model (kept out of the app registry, so it needs no migration); its
table is created for the test session. ``test_geo`` and ``test_pagination`` use it too.
"""

import pytest
from django.apps.registry import Apps
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import search
from core.models import SearchEntry
from members.models import Organisation
from members.tests.factories import OrganisationFactory

test_apps = Apps()


class Place(models.Model):
    name = models.CharField(max_length=200)
    focus = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)

    class Meta:
        app_label = "coretest"
        apps = test_apps
        ordering = ["name"]

    def __str__(self):
        return self.name


search.register(
    Place,
    weights={"A": "name", "B": lambda place: place.focus.split(";"), "C": "description"},
)


def create_place_table(django_db_blocker):
    """Creates the ``Place`` table in the test database, once (other test modules call this
    from their own module-scoped ``place_table`` fixture)."""
    with django_db_blocker.unblock():
        if Place._meta.db_table not in connection.introspection.table_names():
            with connection.schema_editor() as editor:
                editor.create_model(Place)
    return Place


@pytest.fixture(scope="module")
def place_table(django_db_setup, django_db_blocker):
    return create_place_table(django_db_blocker)


def make_place(name, focus="", description="", **fields):
    place = Place.objects.create(name=name, focus=focus, description=description, **fields)
    search.search_index_update(place)
    return place


def names(queryset):
    return [obj.name for obj in queryset]


@pytest.fixture
def places(db, place_table):
    return [
        make_place("Befriending Leeds", "Befriending", "Phone calls and visits in Leeds."),
        make_place("Age Together Befrienders", "Older people", "A friendly voice every week."),
        make_place("Cafe Connect", "Befriending;Lunch clubs", "A community cafe."),
        make_place("Hope Hub", "Young people", "We run a befriending service for teenagers."),
        make_place("Leeds Lunch Club", "Befriending", "Hot meals on Tuesdays."),
        make_place("Bradford Befriending", "", "Volunteers across Bradford, also in Leeds."),
        make_place("Sunrise Group", "Friends", "Walks and talks."),
        make_place("Tea and Talk", "Conversation", "Weekly chats over tea."),
        make_place("Écoute Café", "Listening", "Un café où l'on s'écoute."),
    ]


# --- Words from input ------------------------------------------------------------------------


def test_search_terms_keep_plain_words_only():
    assert search.search_terms('  The "Befriending" AND (Leeds*) NEAR( ') == [
        "befriending",
        "leeds",
        "near",
    ]
    assert search.search_terms("Café-Bar's 🙂 café") == ["cafe", "bar"]
    assert search.search_terms("the and of") == []
    assert search.search_terms("") == []
    assert search.search_terms(None) == []
    assert len(search.search_terms(" ".join(f"word{i}" for i in range(50)))) == search.MAX_TERMS


def test_normalise_text_folds_case_accents_and_punctuation():
    assert search.normalise_text("Ynys Môn: Co-op & www.example.org") == (
        "ynys mon co op www example org"
    )
    assert search.normalise_text(None) == ""
    assert "x" * 61 not in search.normalise_text("short " + "x" * 61)


# --- Matching and order ----------------------------------------------------------------------


def test_results_come_in_tiers_name_then_focus_then_description(places):
    results = search.search_filter(Place.objects.all(), "befriending")
    assert [(p.name, p.search_rank) for p in results] == [
        ("Age Together Befrienders", 1),
        ("Befriending Leeds", 1),
        ("Bradford Befriending", 1),
        ("Cafe Connect", 2),
        ("Leeds Lunch Club", 2),
        ("Hope Hub", 3),
    ]


def test_every_word_must_match_and_cross_field_matches_come_last(places):
    results = search.search_filter(Place.objects.all(), "befriending leeds")
    assert [(p.name, p.search_rank) for p in results] == [
        ("Befriending Leeds", 1),
        ("Bradford Befriending", 3),
        ("Leeds Lunch Club", 3),
    ]


@pytest.mark.parametrize(
    "q", ["befriending", "befriending leeds", "leeds", "cafe", "zzz", "the", ""]
)
def test_ranks_read_in_turn_hold_the_ranked_results(places, q):
    """``search_tiers`` splits ``search_filter``'s rows by rank, and ``search_exists`` holds
    them all: a page can read the ranks in turn and show exactly the ranked list."""
    ranked = [(p.pk, p.search_rank) for p in search.search_filter(Place.objects.all(), q)]
    in_turn = []
    for number, tier in search.search_tiers(Place.objects.all(), q):
        in_turn += [(p.pk, number) for p in tier.order_by("name", "pk")]
    assert in_turn == ranked
    assert sorted(search.search_exists(Place.objects.all(), q).values_list("pk", flat=True)) == (
        sorted(pk for pk, _rank in ranked)
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_ranks_ids_come_from_the_index_up_to_a_limit(places):
    ranked = search.search_filter(Place.objects.all(), "befriending")
    for rank in (1, 2, 3):
        expected = {p.pk for p in ranked if p.search_rank == rank}
        assert set(search.search_tier_ids(Place, "befriending", rank, limit=100)) == expected
    assert len(search.search_tier_ids(Place, "befriending", 1, limit=2)) == 2
    assert search.search_tier_ids(Place, "the", 1, limit=100) == []


def test_stems_stop_words_prefixes_and_accents(places):
    qs = Place.objects.all()
    assert names(search.search_filter(qs, "befriend")) == names(
        search.search_filter(qs, "befriending")
    )
    assert names(search.search_filter(qs, "the befri")) == names(
        search.search_filter(qs, "befriending")
    )
    assert names(search.search_filter(qs, "volun")) == ["Bradford Befriending"]
    assert names(search.search_filter(qs, "cafe")) == ["Cafe Connect", "Écoute Café"]
    assert names(search.search_filter(qs, "ÉCOUTE")) == ["Écoute Café"]
    assert names(search.search_filter(qs, "tea talk")) == ["Tea and Talk"]


def test_blank_query_keeps_everything_and_stop_words_alone_find_nothing(places):
    everything = search.search_filter(Place.objects.all(), "   ")
    assert everything.count() == len(places)
    assert {p.search_rank for p in everything} == {0}
    assert list(search.search_filter(Place.objects.all(), "the of and")) == []
    assert list(search.search_filter(Place.objects.all(), '"*()')) == []


def test_search_only_narrows_the_queryset_it_is_given(places):
    qs = Place.objects.exclude(name__startswith="Age")
    assert "Age Together Befrienders" not in names(search.search_filter(qs, "befriending"))
    assert search.search_filter(qs, "befriending").filter(search_rank=1).count() == 2


# --- Keeping the index up to date ------------------------------------------------------------


def test_update_delete_and_rebuild_keep_the_index_true(places):
    qs = Place.objects.all()
    hope = Place.objects.get(name="Hope Hub")
    hope.name = "Hope Befriending Hub"
    hope.save()
    assert search.search_filter(qs, "befriending").get(pk=hope.pk).search_rank == 3  # stale
    search.search_index_update(hope)
    assert search.search_filter(qs, "befriending").get(pk=hope.pk).search_rank == 1

    search.search_index_delete(hope)
    assert hope.pk not in [p.pk for p in search.search_filter(qs, "befriending")]
    hope.delete()
    sunrise = Place.objects.get(name="Sunrise Group")
    pk = sunrise.pk
    sunrise.delete()
    search.search_index_delete(Place, pk)
    assert not SearchEntry.objects.filter(model_label="coretest.place", object_id=pk).exists()

    Place.objects.filter(name="Tea and Talk").update(description="Befriending by phone.")
    assert search.search_index_rebuild(Place) == len(places) - 2
    assert "Tea and Talk" in names(search.search_filter(qs, "befriending"))
    assert SearchEntry.objects.filter(model_label="coretest.place").count() == len(places) - 2


def test_an_unregistered_model_is_a_clear_configuration_error(db):
    from django.core.exceptions import ImproperlyConfigured

    class Unregistered(models.Model):
        class Meta:
            app_label = "coretest"
            apps = test_apps

        def __str__(self):
            return str(self.pk)

    with pytest.raises(ImproperlyConfigured, match="not registered for search"):
        search.search_filter(Unregistered.objects.all(), "x")
    with pytest.raises(ImproperlyConfigured, match="Search weights"):
        search.register(Unregistered, weights={"E": "pk"})


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 table")
def test_sqlite_triggers_keep_the_fts_table_in_step(places):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_searchentry_fts(core_searchentry_fts) VALUES ('integrity-check')"
        )
        cursor.execute(
            "SELECT count(*) FROM core_searchentry_fts WHERE core_searchentry_fts MATCH 'leeds'"
        )
        assert cursor.fetchone()[0] == 3


# --- Cost ------------------------------------------------------------------------------------


def search_page_queries(q):
    from core.pagination import paginate_keyset

    with CaptureQueriesContext(connection) as ctx:
        page = paginate_keyset(
            search.search_filter(Place.objects.all(), q),
            ordering=("search_rank", "name", "pk"),
            per_page=20,
        )
        list(page)
    return len(ctx.captured_queries), page


def test_a_search_page_costs_the_same_queries_for_10_or_1000_rows(db, place_table):
    Place.objects.bulk_create(Place(name=f"Befriending group {i:04}") for i in range(10))
    search.search_index_rebuild(Place)
    few, page = search_page_queries("befriending group")
    assert len(page) == 10

    Place.objects.bulk_create(
        Place(name=f"Befriending group {i:04}", description="tea") for i in range(10, 1000)
    )
    search.search_index_rebuild(Place)
    many, page = search_page_queries("befriending group")
    assert len(page) == 20 and page.has_next
    assert few == many == 1


# --- Hostile input ---------------------------------------------------------------------------

SYNTAX = st.sampled_from(
    [
        '"',
        "'",
        "*",
        "AND",
        "OR",
        "NOT",
        "NEAR(",
        "NEAR/2",
        "(",
        ")",
        "{",
        "}",
        ":",
        "^",
        "-",
        "+",
        "&",
        "|",
        "!",
        "<->",
        ":*",
        "\\",
        "%",
        "%s",
        "\x00",
        "🙂👩‍👩‍👧",
        "text_a:",
        "{text_a}:",
        "befriending",
        " ",
        "x" * 300,
        "ﬁ",
        "İ",
    ]
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=st.lists(st.one_of(st.text(max_size=12), SYNTAX), max_size=12).map(" ".join))
def test_no_input_makes_a_search_fail(places, q):
    results = search.search_filter(Place.objects.all(), q)
    found = list(results[:5])
    assert all(hasattr(p, "search_rank") for p in found)
    for _number, tier in search.search_tiers(Place.objects.all(), q):
        list(tier.order_by("name", "pk")[:2])
    list(search.search_exists(Place.objects.all(), q)[:2])
    if connection.vendor == "postgresql":
        search.search_tier_ids(Place, q, 3, limit=2)


def test_very_long_input_is_cut_not_refused(places):
    assert names(search.search_filter(Place.objects.all(), "befriending leeds " * 10_000)) == [
        "Befriending Leeds",
        "Bradford Befriending",
        "Leeds Lunch Club",
    ]
    assert list(search.search_filter(Place.objects.all(), " " * 10_000)) != []  # blank: all
    assert list(search.search_filter(Place.objects.all(), "🙂" * 10_000)) == []


# --- A real model ----------------------------------------------------------------------------


@pytest.fixture
def organisations_searchable(db):
    previous = search._registry.get("members.organisation")
    search.register(Organisation, weights={"A": "name", "C": "description"})
    yield
    if previous:
        search._registry["members.organisation"] = previous
    else:
        search.unregister(Organisation)


def test_organisations_can_be_searched(organisations_searchable):
    for name, description in [
        ("Leeds Befriending Service", ""),
        ("Sheffield Men's Sheds", "Befriending for men in Sheffield"),
        ("York Lunch Club", "Hot meals"),
    ]:
        search.search_index_update(OrganisationFactory(name=name, description=description))
    results = search.search_filter(Organisation.objects.filter(status="active"), "befriend")
    assert [(o.name, o.search_rank) for o in results] == [
        ("Leeds Befriending Service", 1),
        ("Sheffield Men's Sheds", 3),  # weight C, even with no B
    ]
