"""The directory's list queries: every page, forwards and back, holds exactly the rows of the
whole list in its order, however the page is read (a ring of districts near a place, or the
rarest tag first), and the number of queries does not grow with the data."""

import random
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import geo, search
from members.forms import DirectoryFilterForm
from members.models import (
    AreaServed,
    Audience,
    FocusArea,
    MembershipStatus,
    Organisation,
    Region,
    StaffSize,
)
from members.selectors import directory as selectors

DIRECTORY = "/members/"
factory = RequestFactory()

# Districts spread over the UK, some of them close together.
DISTRICTS = sorted(geo._districts())[::40]


def _build(rng: random.Random, *, count: int, tag_share: float = 0.15) -> list[Organisation]:
    """``count`` organisations at random districts (several at the same one), a share of them
    tagged, some not listed, one located but with an outward code that is no district."""
    focus = FocusArea.objects.get(slug="dementia")
    region = Region.objects.get(slug="wales")
    audience = Audience.objects.get(slug="carers")
    organisations = []
    start = Organisation.objects.count()
    for i in range(count):
        place = geo.district(rng.choice(DISTRICTS))
        outcode = place.outcode
        if i == 0:
            outcode = ""  # located, but not by a district we know
        organisations.append(
            Organisation(
                name=f"Org {rng.randrange(1000):03d}",  # names repeat: pk breaks ties
                slug=f"org-{start + i}",
                status=rng.choice([MembershipStatus.ACTIVE] * 9 + [MembershipStatus.PENDING]),
                outcode=outcode,
                latitude=place.latitude,
                longitude=place.longitude,
                area_served=rng.choice([AreaServed.LOCAL, AreaServed.NATIONAL]),
            )
        )
    organisations.append(  # listed but with no place: never in a distance list
        Organisation(name="Nowhere", slug=f"nowhere-{start}", status=MembershipStatus.ACTIVE)
    )
    Organisation.objects.bulk_create(organisations)
    created = list(Organisation.objects.filter(slug__in=[o.slug for o in organisations]))
    for org in created:
        if rng.random() < tag_share:
            org.focus_areas.add(focus)
        if rng.random() < 0.5:
            org.regions.add(region)
        if rng.random() < 0.6:
            org.audiences.add(audience)
    return created


def _expected(*, near=None, focus=None, region=None, audience=None, area=None) -> list[int]:
    """The whole list, worked out in Python from the database's rows."""
    rows = Organisation.objects.filter(status=MembershipStatus.ACTIVE).prefetch_related(
        "focus_areas", "regions", "audiences"
    )
    kept = []
    for org in rows:
        if focus and focus not in {t.slug for t in org.focus_areas.all()}:
            continue
        if region and region not in {t.slug for t in org.regions.all()}:
            continue
        if audience and audience not in {t.slug for t in org.audiences.all()}:
            continue
        if area and org.area_served != area:
            continue
        if near and org.latitude is None:
            continue
        kept.append(org)
    if near:
        origin = geo.centroid(near)
        kept.sort(key=lambda o: (geo.haversine_km(origin, (o.latitude, o.longitude)), o.pk))
    else:
        kept.sort(key=lambda o: (o.name, o.pk))
    return [o.pk for o in kept]


def _page(url: str, per_page: int):
    request = factory.get(url)
    request.user = AnonymousUser()
    terms = selectors.taxonomy()
    filters = DirectoryFilterForm(request.GET, taxonomy=terms).valid_filters()
    found = selectors.organisations_directory(viewer=request.user, filters=filters, terms=terms)
    page = found.page(request, per_page=per_page)
    return page, found


def _walk(query: str, per_page: int) -> list[int]:
    """Every page forwards by the real "Next" links, then back by the "Previous" links; checks
    each page going back is the page seen going forwards; returns the rows in order."""
    url = DIRECTORY + query
    pages = []
    while url:
        page, _found = _page(url, per_page)
        pages.append([o.pk for o in page])
        url = page.next_url
    for expected in reversed(pages[:-1]):
        url = page.previous_url
        assert url is not None
        page, _found = _page(url, per_page)
        assert [o.pk for o in page] == expected
    assert page.previous_url is None
    return [pk for rows in pages for pk in rows]


@pytest.fixture
def low_cap(monkeypatch):
    """A count cap below the test data's size, so that the ways of reading a long list run."""
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)


# --- Near a place --------------------------------------------------------------------------------


@pytest.mark.parametrize("per_page", [1, 3, 7])
@pytest.mark.parametrize("near", ["LS6", "TR18", "KW1", "BT1"])
def test_every_page_near_a_place_is_in_true_distance_order(db, near, per_page):
    _build(random.Random(near), count=90)
    assert _walk(f"?near={near}", per_page) == _expected(near=near)


@pytest.mark.parametrize("cap", ["low", "normal"])
@pytest.mark.parametrize(
    "filters",
    [
        {"focus": "dementia"},  # sparse: about one in seven
        {"region": "wales", "audience": "carers"},
        {"focus": "dementia", "area": "national"},
        {"q": "org"},
    ],
)
def test_near_with_filters_and_words_keeps_distance_order(db, request, filters, cap):
    if cap == "low":
        request.getfixturevalue("low_cap")
    _build(random.Random(str(filters)), count=120)
    search.search_index_rebuild(Organisation)
    query = "?near=M1&" + "&".join(f"{k}={v}" for k, v in filters.items())
    expected_filters = {k: v for k, v in filters.items() if k != "q"}
    assert _walk(query, 4) == _expected(near="M1", **expected_filters)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    near=st.sampled_from(DISTRICTS),
    per_page=st.integers(1, 9),
    count=st.integers(0, 60),
    focus=st.booleans(),
    cap=st.sampled_from([0, 4, 1000]),
)
def test_any_directory_near_any_place_pages_in_distance_order(
    db, monkeypatch, seed, near, per_page, count, focus, cap
):
    Organisation.objects.all().delete()
    monkeypatch.setattr(selectors, "COUNT_CAP", cap)
    _build(random.Random(seed), count=count, tag_share=0.2)
    query = f"?near={near}" + ("&focus=dementia" if focus else "")
    assert _walk(query, per_page) == _expected(near=near, focus="dementia" if focus else None)


def test_a_cursor_from_an_older_list_still_gives_a_full_ordered_page(db):
    _build(random.Random(1), count=60)
    page, _found = _page(DIRECTORY + "?near=CF10", 5)
    second_url = page.next_url
    # Organisations move and join after the link was made.
    Organisation.objects.filter(pk__in=[o.pk for o in page][:2]).update(
        latitude=55.95, longitude=-3.19, outcode="EH1"
    )
    _build(random.Random(2), count=20)
    after = _expected(near="CF10")
    page, _found = _page(second_url, 5)
    shown = [o.pk for o in page]
    assert len(shown) == 5
    start = after.index(shown[0])
    assert shown == after[start : start + 5]


# --- Tags: the rarest read first ----------------------------------------------------------------


@pytest.mark.parametrize("cap", ["low", "normal"])
@pytest.mark.parametrize(
    "filters",
    [
        {"focus": "dementia"},
        {"focus": "dementia", "region": "wales"},
        {"region": "wales", "audience": "carers", "area": "local"},
        {"focus": "dementia", "audience": "carers", "region": "wales", "area": "national"},
    ],
)
def test_every_page_of_a_tag_filter_is_in_name_order(db, request, filters, cap):
    if cap == "low":
        request.getfixturevalue("low_cap")
    _build(random.Random(str(filters)), count=150, tag_share=0.1)
    query = "?" + "&".join(f"{k}={v}" for k, v in filters.items())
    expected = _expected(**filters)
    assert _walk(query, 6) == expected
    _page_, found = _page(DIRECTORY + query, 6)
    assert found.count(1000) == len(expected)
    assert found.count(3) == min(len(expected), 4)


# --- Area served and staff size: counted from grouped counts -------------------------------------


def test_area_and_size_are_counted_from_counts_kept_per_data_version(
    db, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(selectors, "_column_counts_memo", None)
    monkeypatch.setattr(selectors, "_taxonomy_memo", None)
    rng = random.Random(11)
    organisations = _build(rng, count=80)
    for org in organisations:
        org.staff_size = rng.choice([*StaffSize.values, ""])
    Organisation.objects.bulk_update(organisations, ["staff_size"])
    cases = [{}, {"area": "national"}, {"size": "250+"}, {"area": "local", "size": "1-9"}]

    def expected(filters):
        return Organisation.objects.filter(
            status=MembershipStatus.ACTIVE,
            **{
                column: filters[name]
                for name, column in (("area", "area_served"), ("size", "staff_size"))
                if name in filters
            },
        ).count()

    def found(filters, version):
        terms = selectors.taxonomy(version=version)
        return selectors.organisations_directory(
            viewer=AnonymousUser(), filters=filters, terms=terms
        )

    found({}, 501).count(1000)  # the grouped counts, once for this version
    for filters in cases:
        listed = found(filters, 501)
        assert isinstance(listed, selectors.ColumnDirectoryQuery)
        total = expected(filters)
        with django_assert_num_queries(0):
            assert listed.count(1000) == total > 0
            assert listed.count(2) == min(total, 3)
        shown = _walk("?" + urlencode(filters), 9)
        assert shown == [o.pk for o in listed.queryset.order_by(*listed.ordering)]
    # A write changes the data version (members.cache), and the next count sees it.
    Organisation.objects.filter(status=MembershipStatus.ACTIVE, area_served="national").update(
        status=MembershipStatus.LAPSED
    )
    assert found({"area": "national"}, 502).count(1000) == 0
    assert found({}, 502).count(1000) == expected({})


# --- Words: ranks read in turn -----------------------------------------------------------------

NAMES = ["Lunch Club", "Tea Circle", "Walking Group", "Garden Club", "Memory Cafe"]
DESCRIPTIONS = ["A weekly club for carers.", "A garden for older people.", "Tea and talk.", ""]


def _build_searchable(rng: random.Random, *, count: int) -> None:
    """``count`` organisations whose words rank differently: in the name (rank 1), in a focus
    area or audience (rank 2), or in the description (rank 3); names repeat, some not listed."""
    _build(rng, count=count, tag_share=0.3)
    organisations = list(Organisation.objects.all())
    for org in organisations:
        org.name = f"{rng.choice(NAMES)} {rng.randrange(30)}"
        org.description = rng.choice(DESCRIPTIONS)
    Organisation.objects.bulk_update(organisations, ["name", "description"])
    search.search_index_rebuild(Organisation)


@pytest.mark.parametrize("cap", ["low", "normal"])
@pytest.mark.parametrize(
    "query",
    [
        "?q=club",  # ranks 1 and 3
        "?q=carers",  # ranks 2 and 3
        "?q=dementia",  # rank 2 only
        "?q=garden+club",  # rank 1, and 3 spread over name and description
        "?q=tea&region=wales",
        "?q=club&focus=dementia&area=local",
        "?q=zanzibar",
        "?q=the",  # no searchable words
    ],
)
def test_every_page_of_a_search_is_in_rank_then_name_order(db, request, query, cap):
    """However a search's page is read (PostgreSQL reads the ranks in turn, small ones from
    their ids and large ones by walking the names), it holds the ranked list's rows."""
    if cap == "low":
        request.getfixturevalue("low_cap")
    _build_searchable(random.Random(query), count=120)
    _page_, found = _page(DIRECTORY + query, 7)
    expected = [o.pk for o in found.queryset.order_by(*found.ordering)]
    if query not in ("?q=zanzibar", "?q=the"):
        assert len(expected) > 7
    assert _walk(query, 7) == expected
    assert found.count(1000) == len(expected)
    assert found.count(3) == min(len(expected), 4)


@pytest.mark.parametrize("per_page", [1, 60])
@pytest.mark.parametrize("cap", [4, 20])  # 20: the name-rank is walked, the others read by id
def test_a_search_pages_any_size_and_across_ranks(db, monkeypatch, per_page, cap):
    monkeypatch.setattr(selectors, "COUNT_CAP", cap)
    _build_searchable(random.Random(per_page + cap), count=120)
    for query in ("?q=club", "?q=carers&area=local"):
        _page_, found = _page(DIRECTORY + query, per_page)
        expected = [o.pk for o in found.queryset.order_by(*found.ordering)]
        ranks = set(found.queryset.values_list("search_rank", flat=True))
        assert len(ranks) >= 2, "the data must span ranks"
        assert _walk(query, per_page) == expected


def test_a_search_cursor_from_an_older_list_gives_the_rows_after_it(db, low_cap):
    """A "Next" link made before the words moved out of a rank still gives a run of the list
    as it is now, none of it already shown."""
    _build_searchable(random.Random(9), count=120)
    url, shown = DIRECTORY + "?q=club", []
    page, found = _page(url, 9)
    while page.has_next and page.object_list[-1].search_rank == 1:
        shown += [o.pk for o in page]
        page, found = _page(page.next_url, 9)
    shown += [o.pk for o in page]
    assert page.has_next and page.object_list[-1].search_rank == 3
    # Half the organisations still to come in rank 3 drop the word from their description.
    later = [o.pk for o in found.queryset.filter(search_rank=3).exclude(pk__in=shown)]
    Organisation.objects.filter(pk__in=later[::2]).update(description="Tea and talk.")
    search.search_index_rebuild(Organisation)
    following, found = _page(page.next_url, 9)
    now = [o.pk for o in found.queryset.order_by(*found.ordering)]
    rows = [o.pk for o in following]
    assert rows and not set(rows) & set(shown) and not set(rows) & set(later[::2])
    start = now.index(rows[0])
    assert rows == now[start : start + len(rows)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL reads ranks in turn")
def test_a_search_page_reads_each_rank_only_as_far_as_it_needs(db, low_cap):
    """On PostgreSQL the first page of a search whose first rank fills it never reads the
    others: a large rank is walked in name order, not ranked in full."""
    _build_searchable(random.Random(3), count=120)
    with CaptureQueriesContext(connection) as captured:
        page, found = _page(DIRECTORY + "?q=club", 5)
    assert isinstance(found, selectors.SearchDirectoryQuery)
    assert [o.search_rank for o in page] == [1] * 5
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "document_a" in sql and "NOT document_a" not in sql  # rank 1 only
    assert "CASE WHEN" not in sql  # no ranking of every match


def test_the_export_lists_the_same_organisations_in_the_same_order(db):
    _build(random.Random(5), count=50)
    terms = selectors.taxonomy()
    for filters in ({"near": "LS6", "focus": "dementia"}, {"region": "wales"}):
        found = selectors.organisations_directory(
            viewer=AnonymousUser(), filters=filters, terms=terms, for_export=True
        )
        exported = [o.pk for o in found.queryset.order_by(*found.ordering)]
        assert exported == _expected(**filters)


# --- Queries ----------------------------------------------------------------------------------


def _queries(url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        page, found = _page(url, 20)
        found.count(1000)
    return len(captured)


@pytest.mark.parametrize(
    "query",
    [
        "?near=LS6",
        "?near=LS6&focus=dementia",
        "?near=LS6&q=org",
        "?focus=dementia&region=wales",
        "?focus=dementia&region=wales&area=national",
        "?q=org",
        "?q=org&region=wales",
        "?area=national&size=250%2B",
        "?",
    ],
)
def test_the_number_of_queries_does_not_grow_with_the_directory(
    db, monkeypatch, django_assert_max_num_queries, query
):
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)  # the larger directory is past the cap
    _build(random.Random(7), count=8)
    search.search_index_rebuild(Organisation)
    small = _queries(DIRECTORY + query)
    page, _found = _page(DIRECTORY + query, 20)
    _build(random.Random(8), count=600)
    search.search_index_rebuild(Organisation)
    with django_assert_max_num_queries(small + 3):  # a ring widened twice, at most
        page, found = _page(DIRECTORY + query, 20)
        found.count(1000)
    with django_assert_max_num_queries(small + 3):
        _page(page.next_url, 20) if page.next_url else None


@pytest.mark.parametrize("cap", [4, 1000])
def test_the_people_list_narrowed_by_words_pages_like_the_plain_query(db, monkeypatch, cap):
    """Words in a name, role or bio are matched first as ids (up to the cap); whether the
    matches are few (sorted from their ids) or many (the name walk), every page holds the
    rows, order and count of the plain query, forwards and back."""
    from members.tests.factories import UserFactory

    monkeypatch.setattr(selectors, "COUNT_CAP", cap)
    rng = random.Random(5)
    listed = []
    for i in range(23):  # some share a name (the id breaks the tie); some match by role only
        by_role = i % 4 == 0
        listed.append(
            UserFactory(
                full_name=rng.choice(["Ann Quill", "Bea Quill", "Cy Quill"])
                if not by_role
                else f"Dee Lark {i:02d}",
                job_title="Quill keeper" if by_role else "",
                status=MembershipStatus.ACTIVE,
                profile_visibility="members",
            )
        )
    # Never listed to a member: a hidden profile, an applicant, a closed account.
    UserFactory(full_name="Hid Quill", status=MembershipStatus.ACTIVE, profile_visibility="hidden")
    UserFactory(full_name="New Quill", status=MembershipStatus.PENDING)
    UserFactory(full_name="Gone Quill", status=MembershipStatus.ACTIVE, is_active=False)
    UserFactory(full_name="Dot Other", status=MembershipStatus.ACTIVE)
    viewer = UserFactory(full_name="Viewer Person", status=MembershipStatus.ACTIVE)
    terms = selectors.taxonomy()
    found = selectors.people_directory(viewer=viewer, filters={"q": "quill"}, terms=terms)
    expected = [p.pk for p in sorted(listed, key=lambda p: (p.full_name, p.pk))]
    assert found.count(1000) == 23
    assert isinstance(found, selectors.WordsFirstPeopleQuery)
    assert len(found._matches()) == min(23, cap + 1)  # read as ids first, up to the cap
    factory = RequestFactory()
    seen, cursor, pages = [], None, []
    while True:
        request = factory.get(
            "/members/people/", {"q": "quill", **({"cursor": cursor} if cursor else {})}
        )
        again = selectors.people_directory(viewer=viewer, filters={"q": "quill"}, terms=terms)
        page = again.page(request, per_page=5)
        pages.append(page)
        seen += [person.pk for person in page]
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == expected
    for later, earlier in zip(pages[:0:-1], pages[-2::-1], strict=True):  # all the way back
        back = factory.get("/members/people/", {"q": "quill", "cursor": later.previous_cursor})
        again = selectors.people_directory(viewer=viewer, filters={"q": "quill"}, terms=terms)
        assert [p.pk for p in again.page(back, per_page=5)] == [p.pk for p in earlier]
