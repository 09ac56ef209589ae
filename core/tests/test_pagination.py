"""core.pagination: keyset pages, cursors that cannot break a page, and the links' template."""

import datetime
import random
import re

import pytest
from bs4 import BeautifulSoup
from django.core import signing
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import geo, search
from core.pagination import KeysetPage, paginate_keyset, paginate_keyset_request
from core.tests.test_search import Place, create_place_table
from members.models import Organisation
from members.tests.factories import OrganisationFactory


@pytest.fixture(scope="module")
def place_table(django_db_setup, django_db_blocker):
    return create_place_table(django_db_blocker)


def walk(queryset, ordering, per_page):
    """Follow "Next" links from the first page to the last; returns every page."""
    pages = [paginate_keyset(queryset, ordering=ordering, per_page=per_page)]
    while pages[-1].has_next:
        pages.append(
            paginate_keyset(
                queryset, ordering=ordering, cursor=pages[-1].next_cursor, per_page=per_page
            )
        )
    return pages


def walk_back(queryset, ordering, per_page, last):
    pages = [last]
    while pages[-1].has_previous:
        pages.append(
            paginate_keyset(
                queryset,
                ordering=ordering,
                cursor=pages[-1].previous_cursor or None,
                per_page=per_page,
            )
        )
    return pages[::-1]


def pks(page):
    return [obj.pk for obj in page]


@pytest.fixture
def places(db, place_table):
    rng = random.Random(7)
    # Repeated names, so the pk tie-breaker matters.
    Place.objects.bulk_create(
        Place(
            name=f"Group {rng.randint(0, 9)}",
            latitude=rng.uniform(50, 58),
            longitude=rng.uniform(-5, 1.5),
            description="befriending" if i % 3 else "lunch club",
        )
        for i in range(47)
    )
    search.search_index_rebuild(Place)
    return Place.objects.all()


@pytest.mark.parametrize(
    "ordering",
    [
        ("name", "pk"),
        ("-name", "-pk"),
        ("-name", "pk"),
        ("latitude", "pk"),
        ("-longitude", "name", "pk"),
    ],
)
def test_walking_forward_and_back_visits_every_row_once_in_order(places, ordering):
    expected = list(places.order_by(*ordering).values_list("pk", flat=True))
    pages = walk(places, ordering, per_page=10)
    assert [len(p) for p in pages] == [10, 10, 10, 10, 7]
    assert [pk for page in pages for pk in pks(page)] == expected
    assert [p.number for p in pages] == [1, 2, 3, 4, 5]
    assert not pages[0].has_previous and not pages[-1].has_next
    back = walk_back(places, ordering, 10, pages[-1])
    assert [pks(p) for p in back] == [pks(p) for p in pages]
    assert [p.number for p in back] == [1, 2, 3, 4, 5]


def test_search_results_page_by_rank_name_and_pk(places):
    queryset = search.search_filter(places, "befriending")
    ordering = ("search_rank", "name", "pk")
    expected = list(queryset.order_by(*ordering).values_list("pk", flat=True))
    assert len(expected) == 31
    assert [pk for page in walk(queryset, ordering, per_page=8) for pk in pks(page)] == expected


def test_distance_results_page_by_distance_and_pk(places):
    origin = geo.centroid("LS1")
    queryset = geo.annotate_distance(places, *origin, within_km=300)
    ordering = ("distance_km", "pk")
    pages = walk(queryset, ordering, per_page=6)
    flat = [obj for page in pages for obj in page]
    python = sorted(
        (p for p in places if geo.haversine_km(origin, (p.latitude, p.longitude)) <= 300),
        key=lambda p: (geo.haversine_km(origin, (p.latitude, p.longitude)), p.pk),
    )
    assert [p.pk for p in flat] == [p.pk for p in python]
    assert all(a.distance_km <= b.distance_km for a, b in zip(flat, flat[1:], strict=False))


def test_every_page_is_one_query_without_offset(places):
    ordering = ("search_rank", "name", "pk")
    queryset = search.search_filter(places, "befriending")
    pages = walk(queryset, ordering, per_page=5)
    for cursor in [None, pages[-1].previous_cursor, pages[-2].next_cursor]:
        with CaptureQueriesContext(connection) as ctx:
            list(paginate_keyset(queryset, ordering=ordering, cursor=cursor, per_page=5))
        assert len(ctx.captured_queries) == 1
        # No skipping of rows (PostgreSQL's search subquery carries a harmless "OFFSET 0").
        assert not re.search(r"OFFSET\s+[1-9]", ctx.captured_queries[0]["sql"].upper())


def test_values_querysets_page_too(places):
    queryset = places.values("name", "id")
    pages = walk(queryset, ("name", "pk"), per_page=20)
    assert [row["id"] for p in pages for row in p] == list(
        places.order_by("name", "pk").values_list("pk", flat=True)
    )


def test_datetime_keys_survive_the_cursor_to_the_microsecond(db):
    moment = timezone.now().replace(microsecond=123456)
    for i in range(5):
        OrganisationFactory(created_at=moment + datetime.timedelta(microseconds=i))
    queryset = Organisation.objects.all()
    ordering = ("-created_at", "pk")
    pages = walk(queryset, ordering, per_page=2)
    assert [pk for p in pages for pk in pks(p)] == list(
        queryset.order_by(*ordering).values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "x" * 5000,
        "🙂",
        signing.dumps(["next", 2, "abcd", [1, 2, 3]], salt="core.pagination.cursor"),  # other order
        signing.dumps(["next", 2, "abcd", [1]], salt="another.salt"),
        signing.dumps("not a list", salt="core.pagination.cursor"),
    ],
)
def test_a_bad_cursor_gives_the_first_page(places, cursor):
    ordering = ("name", "pk")
    first = paginate_keyset(places, ordering=ordering, per_page=10)
    page = paginate_keyset(places, ordering=ordering, cursor=cursor, per_page=10)
    assert pks(page) == pks(first) and page.number == 1 and not page.has_previous


def test_a_tampered_cursor_gives_the_first_page(places):
    ordering = ("name", "pk")
    first = paginate_keyset(places, ordering=ordering, per_page=10)
    cursor = first.next_cursor
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    assert pks(paginate_keyset(places, ordering=ordering, cursor=tampered, per_page=10)) == pks(
        first
    )
    # A cursor signed for another sort order is ignored too.
    other = paginate_keyset(places, ordering=("latitude", "pk"), cursor=cursor, per_page=10)
    assert other.number == 1


def test_a_cursor_of_the_right_shape_but_wrong_types_gives_the_first_page(places):
    from core.pagination import _encode

    ordering = ("latitude", "pk")
    cursor = _encode("next", 2, ordering, ["not a number", 1])
    page = paginate_keyset(places, ordering=ordering, cursor=cursor, per_page=10)
    assert page.number == 1


def test_the_ordering_must_end_with_a_unique_key(places):
    with pytest.raises(ValueError, match="must end with 'pk'"):
        paginate_keyset(places, ordering=("name",))


def test_an_empty_list_is_one_empty_page(db, place_table):
    page = paginate_keyset(Place.objects.all(), ordering=("name", "pk"))
    assert list(page) == [] and not page.has_other_pages and page.number == 1


def test_request_links_keep_the_other_parameters(places):
    rf = RequestFactory()
    ordering = ("name", "pk")
    page = paginate_keyset_request(
        rf.get("/directory/", {"q": "tea & cake", "region": "north"}),
        places,
        ordering=ordering,
        per_page=10,
    )
    assert page.previous_url is None
    assert page.next_url.startswith("/directory/?q=tea+%26+cake&region=north&cursor=")
    second = paginate_keyset_request(rf.get(page.next_url), places, ordering=ordering, per_page=10)
    assert second.number == 2
    assert second.previous_url == "/directory/?q=tea+%26+cake&region=north"  # the first page
    third = paginate_keyset_request(rf.get(second.next_url), places, ordering=ordering, per_page=10)
    assert "cursor=" in third.previous_url


# --- The template ----------------------------------------------------------------------------


def test_template_shows_previous_and_next_links():
    page = KeysetPage(
        object_list=[1],
        number=2,
        has_next=True,
        has_previous=True,
        next_url="/d/?q=a&cursor=n",
        previous_url="/d/?q=a",
    )
    soup = BeautifulSoup(
        render_to_string("includes/pagination.html", {"page": page}), "html.parser"
    )
    nav = soup.find("nav", class_="pagination")
    assert nav["aria-label"] == "Pages of results"
    links = {a.get_text(" ", strip=True): a for a in nav.find_all("a")}
    assert links["Previous page"]["href"] == "/d/?q=a" and links["Previous page"]["rel"] == ["prev"]
    assert links["Next page"]["href"] == "/d/?q=a&cursor=n"
    assert "Page 2" in nav.get_text()
    assert not nav.find(attrs={"hx-get": True})


def test_template_adds_htmx_attributes_only_when_given_a_target():
    page = KeysetPage(object_list=[1], has_next=True, next_url="/d/?cursor=n")
    html = render_to_string(
        "includes/pagination.html", {"page": page, "hx_target": "#results", "label": "Results"}
    )
    link = BeautifulSoup(html, "html.parser").find("a")
    assert link["hx-get"] == "/d/?cursor=n"
    assert link["hx-target"] == "#results" and link["hx-push-url"] == "true"
    assert 'aria-label="Results"' in html
    assert "Previous" not in html


def test_template_is_empty_for_a_single_page():
    html = render_to_string("includes/pagination.html", {"page": KeysetPage(object_list=[1])})
    assert html.strip() == ""


def test_a_page_s_cursors_carry_what_it_was_given_and_only_this_site_can_write_it(places):
    from core.pagination import _encode, _fingerprint, carried

    ordering = ("name", "pk")
    first = paginate_keyset(places, ordering=ordering, per_page=10, carry={"count": 40})
    second = paginate_keyset(places, ordering=ordering, cursor=first.next_cursor, per_page=10)
    assert carried(first.next_cursor, ordering) == {"count": 40}
    assert second.has_next
    assert carried(second.next_cursor, ordering) == {}  # this page was given nothing
    assert second.number == 2 and pks(second) != pks(first)
    # No cursor, another ordering's, a tampered one, or one carrying something not a mapping.
    assert carried(None, ordering) == {}
    assert carried(first.next_cursor, ("latitude", "pk")) == {}
    assert carried(first.next_cursor[:-3] + "AAA", ordering) == {}
    head = ["next", 2, _fingerprint(ordering), ["a", 1]]
    for extra, expected in (
        ([{"count": 40}], {"count": 40}),
        ([[40]], {}),  # not a mapping
        (["count"], {}),
        ([{}, {}], {}),  # more than one
    ):
        cursor = signing.dumps([*head, *extra], salt="core.pagination.cursor")
        assert carried(cursor, ordering) == expected
    # A cursor from before cursors could carry anything still turns the page.
    plain = _encode("next", 2, ordering, [first.object_list[-1].name, first.object_list[-1].pk])
    assert carried(plain, ordering) == {}
    assert pks(paginate_keyset(places, ordering=ordering, cursor=plain, per_page=10)) == pks(second)


def test_a_long_name_of_rare_characters_still_turns_the_page_and_drops_what_it_cannot_carry(db):
    """A cursor holds the last row's name: 200 rare characters (emoji, CJK) make one of 1,300
    or more characters. It must still turn the page (with or without what it carries); what is
    carried is left out rather than making a cursor too long to be read back."""
    from core.pagination import MAX_CURSOR_CHARS, carried

    rng = random.Random(3)
    for i in range(3):
        name = "".join(chr(rng.randrange(0x20000, 0x2A6DF)) for _ in range(199)) + str(i)
        OrganisationFactory(name=name)
    queryset = Organisation.objects.all()
    ordering = ("name", "pk")
    first = paginate_keyset(queryset, ordering=ordering, per_page=1, carry={"count": 3})
    assert 1000 < len(first.next_cursor) <= MAX_CURSOR_CHARS
    assert carried(first.next_cursor, ordering) == {"count": 3}
    second = paginate_keyset(queryset, ordering=ordering, cursor=first.next_cursor, per_page=1)
    assert second.number == 2 and pks(second) != pks(first)
    too_much = {"note": "".join(chr(rng.randrange(0x1F300, 0x1FAFF)) for _ in range(400))}
    heavy = paginate_keyset(queryset, ordering=ordering, per_page=1, carry=too_much)
    assert len(heavy.next_cursor) <= MAX_CURSOR_CHARS
    assert carried(heavy.next_cursor, ordering) == {}
    again = paginate_keyset(queryset, ordering=ordering, cursor=heavy.next_cursor, per_page=1)
    assert pks(again) == pks(second)
