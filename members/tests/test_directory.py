"""The directory at /members/: search, filters, distance, pages, fragments, chips, export."""

import csv
import io
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import geo, search
from core.models import AuditEntry
from members.models import (
    Audience,
    FocusArea,
    MembershipStatus,
    Organisation,
    Region,
    StaffSize,
    User,
)
from members.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

DIRECTORY = "/members/"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results", "HTTP_HX_TRIGGER": "x"}


def make_org(name, *, postcode="", focus=(), audiences=(), regions=(), **fields):
    """An active, located, indexed organisation (as the services would leave it)."""
    district = geo.district(postcode) if postcode else None
    org = OrganisationFactory(
        name=name,
        postcode=postcode,
        outcode=geo.outward_code(postcode) if postcode else "",
        latitude=district.latitude if district else None,
        longitude=district.longitude if district else None,
        **fields,
    )
    org.focus_areas.set(FocusArea.objects.filter(slug__in=focus))
    org.audiences.set(Audience.objects.filter(slug__in=audiences))
    org.regions.set(Region.objects.filter(slug__in=regions))
    search.search_index_update(org)
    return org


def names_on(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [a.get_text(strip=True) for a in soup.select(".results-list .result__title a")]


def bulk_orgs(count, *, start=0):
    """``count`` tagged, located, indexed organisations, quickly."""
    focus = list(FocusArea.objects.all()[:3])
    audience = list(Audience.objects.all()[:2])
    region = list(Region.objects.all()[:2])
    districts = ["LS1", "M1", "BS1", "CF10", "EH1"]
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Bulk Lunch Club {start + i:05d}",
                slug=f"bulk-lunch-club-{start + i:05d}",
                description="Weekly lunches for older neighbours.",
                status=MembershipStatus.ACTIVE,
                outcode=districts[i % 5],
                latitude=geo.district(districts[i % 5]).latitude,
                longitude=geo.district(districts[i % 5]).longitude,
            )
            for i in range(count)
        ]
    )
    orgs = list(Organisation.objects.filter(slug__startswith="bulk-lunch-club-").order_by("id"))
    orgs = orgs[-count:]
    for relation, terms in (("focus_areas", focus), ("audiences", audience), ("regions", region)):
        through = getattr(Organisation, relation).through
        column = {"focus_areas": "focusarea_id", "audiences": "audience_id"}.get(
            relation, "region_id"
        )
        through.objects.bulk_create(
            [through(organisation_id=o.pk, **{column: t.pk}) for o in orgs for t in terms]
        )
    search.search_index_rebuild(Organisation)
    return orgs


# --- Listing and privacy of the list ---------------------------------------------------------


def test_visitors_see_active_organisations_only(client, db):
    make_org("Active Arts Collective")
    make_org("Pending Tea Club", status=MembershipStatus.PENDING)
    make_org("Lapsed Walking Group", status=MembershipStatus.LAPSED)
    response = client.get(DIRECTORY)
    assert response.status_code == 200
    assert names_on(response) == ["Active Arts Collective"]
    assert "1 organisation found" in response.content.decode()


def test_members_also_get_a_link_to_people_visitors_do_not(client, member, db):
    make_org("Active Arts Collective")
    assert reverse("members:people") not in client.get(DIRECTORY).content.decode()
    client.force_login(member)
    assert reverse("members:people") in client.get(DIRECTORY).content.decode()


def test_directory_is_in_the_main_navigation(client, db):
    body = client.get("/").content.decode()
    soup = BeautifulSoup(body, "html.parser")
    link = soup.select_one(".site-nav a[href='/members/']")
    assert link is not None and link.get_text(strip=True) == "Find members"


# --- Search ------------------------------------------------------------------------------------


def test_search_finds_by_name_description_and_focus(client, db):
    make_org("Harbour Memory Café", description="Music afternoons.", focus=["dementia"])
    make_org("Hilltop Youth Project", description="Football and a chat.", focus=["young-people"])
    make_org("Moorland Men's Shed", description="Woodwork and friendship for older men.")
    assert names_on(client.get(DIRECTORY + "?q=memory")) == ["Harbour Memory Café"]
    assert names_on(client.get(DIRECTORY + "?q=woodwork")) == ["Moorland Men's Shed"]
    assert names_on(client.get(DIRECTORY + "?q=dementia")) == ["Harbour Memory Café"]
    assert names_on(client.get(DIRECTORY + "?q=zanzibar")) == []
    assert "No organisations match your search" in client.get(DIRECTORY + "?q=zzz").content.decode()


def test_search_puts_name_matches_before_description_matches(client, db):
    make_org("Alpha Garden Club", description="We grow vegetables.")
    make_org("Beta Friendship Circle", description="A garden for neighbours.")
    make_org("Zeta Garden Project", description="Allotments.")
    assert names_on(client.get(DIRECTORY + "?q=garden")) == [
        "Alpha Garden Club",
        "Zeta Garden Project",
        "Beta Friendship Circle",
    ]


def test_an_over_long_search_gets_a_clear_message_and_keeps_the_words(client, db):
    make_org("Alpha Garden Club")
    response = client.get(DIRECTORY, {"q": "garden " * 40})
    body = response.content.decode()
    assert response.status_code == 200
    assert "must be 200 characters or fewer" in body
    soup = BeautifulSoup(body, "html.parser")
    assert soup.select_one("#id_q")["value"].startswith("garden garden")


# --- Filters -----------------------------------------------------------------------------------


def test_each_filter_narrows_the_list(client, db):
    make_org(
        "Coastal Carers",
        focus=["carers"],
        audiences=["carers"],
        regions=["wales"],
        area_served="regional",
        staff_size=StaffSize.UNDER_10,
    )
    make_org(
        "City Youth Hub",
        focus=["young-people"],
        audiences=["young-people"],
        regions=["london"],
        area_served="local",
        staff_size=StaffSize.UNDER_50,
    )
    assert names_on(client.get(DIRECTORY + "?focus=carers")) == ["Coastal Carers"]
    assert names_on(client.get(DIRECTORY + "?audience=young-people")) == ["City Youth Hub"]
    assert names_on(client.get(DIRECTORY + "?region=wales")) == ["Coastal Carers"]
    assert names_on(client.get(DIRECTORY + "?area=local")) == ["City Youth Hub"]
    assert names_on(client.get(DIRECTORY + "?size=1-9")) == ["Coastal Carers"]
    assert names_on(client.get(DIRECTORY + "?focus=carers&region=london")) == []


def test_an_unknown_filter_value_is_explained_and_ignored(client, db):
    make_org("Coastal Carers", focus=["carers"])
    response = client.get(DIRECTORY + "?focus=no-such-focus")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choose one of the options in the list" in body
    assert names_on(response) == ["Coastal Carers"]


def test_filter_chips_show_each_filter_with_a_link_that_removes_only_it(client, db):
    make_org("Coastal Carers", focus=["carers"], regions=["wales"])
    response = client.get(DIRECTORY + "?focus=carers&region=wales&q=coastal")
    soup = BeautifulSoup(response.content, "html.parser")
    chips = {a.get_text(" ", strip=True): a["href"] for a in soup.select(".chips a.chip")}
    assert len(chips) == 3
    focus_chip = next(text for text in chips if "Focus: Carers" in text)
    remaining = parse_qs(urlsplit(chips[focus_chip]).query)
    assert remaining == {"region": ["wales"], "q": ["coastal"]}
    assert any("Where: Wales" in text for text in chips)


def test_the_filter_form_is_a_plain_get_form_that_keeps_the_choices(client, db):
    response = client.get(DIRECTORY + "?focus=carers&q=tea")
    soup = BeautifulSoup(response.content, "html.parser")
    form = soup.select_one("form#directory-filters")
    assert form["method"] == "get" and form["action"] == DIRECTORY
    assert form.select_one("#id_q")["value"] == "tea"
    assert form.select_one("#id_focus option[selected]")["value"] == "carers"
    assert form.select_one("button[type=submit]")


# --- Near a postcode ---------------------------------------------------------------------------

PLACES = {
    "Leeds Lunch Club": "LS1 4AP",
    "Bradford Befrienders": "BD1 1AA",
    "York Tea Dance": "YO1 7HH",
    "Manchester Memory Café": "M1 1AE",
    "Sheffield Shed": "S1 2HE",
    "Bristol Buddies": "BS1 4DJ",
    "Edinburgh Elders": "EH1 1YZ",
    "Cardiff Circle": "CF10 1EP",
    "Belfast Befriending": "BT1 5GS",
    "Harrogate Hub": "HG1 1AA",
}


def test_near_a_postcode_lists_organisations_in_true_distance_order(client, db):
    for name, postcode in PLACES.items():
        make_org(name, postcode=postcode)
    make_org("Nowhere Network")  # no postcode: no distance, not listed in a distance search
    origin = geo.centroid("LS6 3AA")
    expected = sorted(PLACES, key=lambda name: geo.haversine_km(origin, geo.centroid(PLACES[name])))
    response = client.get(DIRECTORY + "?near=ls6+3aa")
    assert names_on(response) == expected
    body = response.content.decode()
    first = geo.haversine_km(origin, geo.centroid(PLACES[expected[0]]))
    assert f"{first:.1f} km away" in body


def test_near_accepts_an_outward_code(client, db):
    for name, postcode in PLACES.items():
        make_org(name, postcode=postcode)
    assert names_on(client.get(DIRECTORY + "?near=EH1"))[0] == "Edinburgh Elders"


@pytest.mark.parametrize(
    ("near", "message"),
    [
        ("not a postcode", "Enter a UK postcode, like LS1 4AP"),
        ("ZZ99 9ZZ", "We could not find where ZZ99 9ZZ is"),
        ("12345", "Enter a real UK postcode, like LS1 4AP"),
    ],
)
def test_a_bad_postcode_gets_a_clear_message_and_keeps_what_was_typed(client, db, near, message):
    make_org("Leeds Lunch Club", postcode="LS1 4AP")
    response = client.get(DIRECTORY, {"near": near})
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    error = soup.select_one("#id_near_error")
    assert error is not None and message in error.get_text()
    assert soup.select_one("#id_near")["value"] == near
    assert soup.select_one(".error-summary a[href='#id_near']")
    assert names_on(response) == ["Leeds Lunch Club"]  # the rest of the search still works


def test_near_and_search_together(client, db):
    make_org("Leeds Lunch Club", postcode="LS1 4AP")
    make_org("Bristol Lunch Club", postcode="BS1 4DJ")
    make_org("Leeds Walking Group", postcode="LS1 4AP")
    assert names_on(client.get(DIRECTORY + "?near=BS1&q=lunch")) == [
        "Bristol Lunch Club",
        "Leeds Lunch Club",
    ]


# --- Pages -------------------------------------------------------------------------------------


def _walk(client, url):
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += names_on(response)
        pages += 1
        link = BeautifulSoup(response.content, "html.parser").select_one("a[rel=next]")
        url = link["href"] if link else None
    return seen, pages


@pytest.mark.parametrize("query", ["", "?q=lunch", "?near=LS1"])
def test_next_links_walk_every_organisation_once_in_order(client, db, query):
    bulk_orgs(45)
    seen, pages = _walk(client, DIRECTORY + query)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 45
    if not query or query == "?q=lunch":
        assert seen == sorted(seen)


def test_previous_link_goes_back(client, db):
    bulk_orgs(45)
    first = client.get(DIRECTORY)
    second_url = BeautifulSoup(first.content, "html.parser").select_one("a[rel=next]")["href"]
    second = client.get(second_url)
    back_url = BeautifulSoup(second.content, "html.parser").select_one("a[rel=prev]")["href"]
    assert names_on(client.get(back_url)) == names_on(first)


def _queries(client, url, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "query", ["", "?q=lunch", "?near=LS1", "?focus=loneliness-and-isolation&region=england"]
)
@pytest.mark.parametrize("role", ["visitor", "coordinator"])
def test_query_count_does_not_grow_with_the_number_of_organisations(client_for, db, query, role):
    client = client_for(role)
    bulk_orgs(10)
    small = _queries(client, DIRECTORY + query)
    small_htmx = _queries(client, DIRECTORY + query, **HTMX)
    bulk_orgs(990, start=10)
    assert Organisation.objects.count() == 1000
    assert _queries(client, DIRECTORY + query) == small
    assert _queries(client, DIRECTORY + query, **HTMX) == small_htmx
    assert small <= 12


def test_long_results_are_counted_only_up_to_a_thousand(client, db):
    bulk_orgs(1000)
    body = client.get(DIRECTORY + "?q=lunch").content.decode()
    assert "1000 organisations found" in body
    make_org("Riverside Lunch Club")
    for url in (DIRECTORY, DIRECTORY + "?q=lunch"):
        body = client.get(url).content.decode()
        assert "More than 1,000 organisations found" in body
        assert "1001" not in body


@pytest.mark.parametrize(
    "query, also_listed",
    [("", 1), ("?q=Quill", 0), ("?q=Quill&focus=loneliness-and-isolation", 0)],  # 1: the viewer
)
def test_people_list_query_count_does_not_grow(client, member, db, query, also_listed):
    org = OrganisationFactory()
    client.force_login(member)
    focus = list(FocusArea.objects.filter(slug="loneliness-and-isolation"))
    assert focus
    for i in range(5):
        person = UserFactory(profile_visibility="members", full_name=f"Ann Quill {i}")
        person.focus_areas.set(focus)
        MembershipFactory(organisation=org, user=person)
    url = reverse("members:people") + query
    small = _queries(client, url)
    assert f"{5 + also_listed} people found" in client.get(url).content.decode()
    for i in range(40):
        person = UserFactory(profile_visibility="public", full_name=f"Bea Quill {i}")
        person.focus_areas.set(focus)
        MembershipFactory(organisation=OrganisationFactory(), user=person)
    assert _queries(client, url) == small
    assert f"{45 + also_listed} people found" in client.get(url).content.decode()


def test_a_long_people_list_is_counted_only_up_to_a_thousand_and_pages_by_name(client, member, db):
    """Counting every visible person on each page cost as much as the page; like the
    organisations, the people list stops counting after 1,000."""
    User.objects.bulk_create(
        [
            User(
                email=f"person{i:04d}@example.org",
                full_name=f"Person {i:04d}",
                status=MembershipStatus.ACTIVE,
                profile_visibility="public",
            )
            for i in range(1001)
        ]
    )
    client.force_login(member)
    page = BeautifulSoup(client.get(reverse("members:people")).content, "html.parser")
    assert page.select_one("h2.results__count").get_text() == "More than 1,000 people found"
    names = [a.get_text(strip=True) for a in page.select(".results-list h3 a")]
    assert [n for n in names if n.startswith("Person")][:2] == ["Person 0000", "Person 0001"]
    narrowed = BeautifulSoup(
        client.get(reverse("members:people") + "?q=Person+0999").content, "html.parser"
    )
    assert narrowed.select_one("h2.results__count").get_text() == "1 person found"
    assert [a.get_text(strip=True) for a in narrowed.select(".results-list h3 a")] == [
        "Person 0999"
    ]


def test_members_find_people_by_any_part_of_a_name_role_or_bio(client, member, db):
    """People look each other up by half-remembered names: two letters inside a word are
    enough, in any case; every word given must be found somewhere."""
    for name, role, bio in [
        ("Jo Baxter", "", ""),
        ("Marjorie Quint", "", ""),
        ("Ben Okafor", "Trustee", ""),
        ("Ada Reyes", "", "Runs a JOINT lunch club"),
        ("Sam Patel", "Gardener", "Allotments"),
    ]:
        UserFactory(full_name=name, job_title=role, bio=bio, profile_visibility="public")

    def found(q):
        page = BeautifulSoup(client.get(reverse("members:people"), {"q": q}).content, "html.parser")
        return sorted(a.get_text(strip=True) for a in page.select(".results-list h3 a"))

    client.force_login(member)
    assert found("jo") == ["Ada Reyes", "Jo Baxter", "Marjorie Quint"]
    assert found("TRUST") == ["Ben Okafor"]
    assert found("garden allot") == ["Sam Patel"]
    assert found("jo quint") == ["Marjorie Quint"]
    assert found("jo zebra") == []


# --- htmx --------------------------------------------------------------------------------------


def test_an_htmx_request_gets_only_the_results_fragment(client, db):
    make_org("Coastal Carers", focus=["carers"])
    make_org("City Youth Hub")
    response = client.get(
        DIRECTORY + "?focus=carers", HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="directory-filters"
    )
    body = response.content.decode()
    assert "<html" not in body and "site-header" not in body
    assert names_on(response) == ["Coastal Carers"]
    assert "1 organisation found" in body
    # The form comes back out of band, to show the filters in force; the count is announced.
    assert 'id="directory-filters-wrap" class="directory__filters" hx-swap-oob="true"' in body
    assert 'id="results-status" hx-swap-oob="innerHTML"' in body
    assert "HX-Request" in response["Vary"]
    # It names the page as a full load does: htmx sets the tab's title (and so the history
    # entry it pushes) from it; the cached copy is the same.
    for _again in range(2):
        response = client.get(DIRECTORY + "?focus=carers", HTTP_HX_REQUEST="true")
        assert "<title>Search results – Find members – Coalition</title>" in (
            response.content.decode()
        )
    whole = client.get(DIRECTORY + "?focus=carers").content.decode()
    assert whole.count("<title>") == 1
    assert "<title>Search results – Find members – Coalition</title>" in whole
    cleared = client.get(DIRECTORY, HTTP_HX_REQUEST="true").content.decode()
    assert "<title>Find members – Coalition</title>" in cleared


def test_going_back_in_history_gets_the_whole_page(client, db):
    response = client.get(
        DIRECTORY + "?q=tea", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_an_htmx_request_with_a_mistake_sends_the_form_with_its_message(client, db):
    make_org("Coastal Carers", focus=["carers"])
    response = client.get(DIRECTORY + "?near=ZZ99+9ZZ", HTTP_HX_REQUEST="true")
    page = BeautifulSoup(response.content, "html.parser")
    oob = page.select_one("#directory-filters-wrap[hx-swap-oob]")
    assert "We could not find where ZZ99 9ZZ is" in oob.select_one("#id_near_error").get_text()
    assert oob.select_one("#id_near")["value"] == "ZZ99 9ZZ"


def test_the_form_and_links_are_wired_for_htmx(client, db):
    bulk_orgs(25)
    soup = BeautifulSoup(client.get(DIRECTORY + "?focus=carers").content, "html.parser")
    form = soup.select_one("form#directory-filters")
    assert form["hx-get"] == DIRECTORY and form["hx-target"] == "#results"
    assert form["hx-push-url"] == "true"
    for link in soup.select("a.chip"):
        assert link["hx-get"] == link["href"] and link["hx-target"] == "#results"


# --- Export ------------------------------------------------------------------------------------


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_coordinators_export_the_filtered_list_as_csv_and_it_is_audited(client, coordinator, db):
    make_org("Coastal Carers", focus=["carers"], email="hi@coastal.example.org")
    make_org("City Youth Hub", focus=["young-people"])
    make_org("=HYPERLINK(1) Club", focus=["carers"])
    client.force_login(coordinator)
    response = client.get(reverse("members:export") + "?focus=carers")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][0] == "Name"
    names = [row[0] for row in rows[1:]]
    assert names == ["'=HYPERLINK(1) Club", "Coastal Carers"]  # formulas defused
    assert "hi@coastal.example.org" in rows[2]
    entry = AuditEntry.objects.get(action="members.directory.export")
    assert entry.actor == coordinator and entry.data["filters"] == {"focus": "carers"}


def test_the_export_link_is_shown_to_coordinators_only(client, coordinator, member, db):
    make_org("Coastal Carers")
    client.force_login(member)
    assert reverse("members:export") not in client.get(DIRECTORY).content.decode()
    client.force_login(coordinator)
    assert reverse("members:export") + "?q=coastal" in client.get(
        DIRECTORY + "?q=coastal"
    ).content.decode().replace("&amp;", "&")


# --- Fuzz ---------------------------------------------------------------------------------------

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
values = st.one_of(
    text,
    st.sampled_from(["carers", "wales", "local", "1-9", "LS1", "LS1 4AP", "", " ", "%", "'"]),
)
params = st.dictionaries(
    st.sampled_from(["q", "near", "focus", "audience", "region", "area", "size", "cursor", "x"]),
    values,
    max_size=8,
)


@pytest.fixture
def fuzz_data(db):
    make_org("Leeds Lunch Club", postcode="LS1 4AP", focus=["carers"], regions=["england"])
    make_org("Cardiff Circle", postcode="CF10 1EP", regions=["wales"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=params, htmx=st.booleans())
def test_no_query_string_makes_the_directory_fail(client, fuzz_data, query, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get(DIRECTORY, query, **headers)
    assert response.status_code == 200


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200))
def test_no_raw_query_bytes_make_the_directory_fail(client, fuzz_data, raw):
    from urllib.parse import quote_from_bytes

    response = client.get(
        DIRECTORY + "?q=" + quote_from_bytes(raw) + "&near=" + quote_from_bytes(raw)
    )
    assert response.status_code == 200


# --- Demo data ----------------------------------------------------------------------------------


def test_demo_data_is_plausible_and_searchable(db):
    from django.core.management import call_command

    from core.models import SearchEntry
    from members.models import User

    call_command("seed_demo", "--orgs", "60", "--people", "120", verbosity=0)
    orgs = list(Organisation.objects.all())
    assert all(o.postcode.startswith(o.outcode + " ") for o in orgs)
    assert all(
        o.latitude is not None and (o.latitude, o.longitude) == geo.centroid(o.outcode)
        for o in orgs
    )
    assert all(o.website.endswith(".example.org") for o in orgs if o.website)
    assert {o.area_served for o in orgs} == {"local", "regional", "national"}
    assert Organisation.regions.through.objects.exists()
    people = User.objects.all()
    assert {p.profile_visibility for p in people} == {"public", "members", "hidden"}
    assert people.exclude(job_title="").exists() and people.exclude(bio="").exists()

    # Indexed for search: every organisation is found by its own name.
    assert SearchEntry.objects.filter(model_label="members.organisation").count() == len(orgs)
    listed = next(o for o in orgs if o.status == "active")
    assert listed.name in [
        o.name for o in search.search_filter(Organisation.objects.all(), listed.name)
    ]


@pytest.mark.django_db
def test_a_visitors_pages_share_one_frame_with_their_own_title_and_language(client, settings):
    make_org("Riverside Lunch Club", postcode="LS6 3AA", focus=["older-people"])
    make_org("Harbour Walkers", postcode="BS1 4DJ")

    def page(url):
        soup = BeautifulSoup(client.get(url).content, "html.parser")
        return soup, soup.title.get_text(), soup.html["lang"]

    plain, plain_title, plain_lang = page(DIRECTORY)
    found, found_title, _lang = page(DIRECTORY + "?q=lunch")
    assert plain_title.startswith("Find members – ") and plain_lang == "en-GB"
    assert found_title.startswith("Search results – Find members – ")
    assert [a.get_text(strip=True) for a in found.select(".result__title a")] == [
        "Riverside Lunch Club"
    ]
    assert len(plain.select(".result__title a")) == 2
    # One whole page each: one header, one main, one footer, and the header a visitor's.
    for soup in (plain, found):
        assert len(soup.select("main#main")) == len(soup.select("footer")) == 1
        assert soup.select_one(".site-nav a[href='/accounts/login/']") is not None
    # Welsh readers get the Welsh frame, not the English one drawn before.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    _soup, _title, welsh_lang = page(DIRECTORY + "?q=lunch")
    assert welsh_lang == "cy"


# --- Finding the results on a phone; coming back from an organisation ---------------------------


def _soup(response):
    return BeautifulSoup(response.content, "html.parser")


def test_a_link_above_the_form_says_how_many_were_found_and_goes_to_the_results(client, db):
    make_org("Coastal Carers", focus=["carers"])
    make_org("Coastal Walkers")
    soup = _soup(client.get(DIRECTORY + "?q=coastal"))
    wrap = soup.select_one("#directory-filters-wrap")
    jump = wrap.select_one(".directory__jump a")
    assert jump["href"] == "#results"
    assert jump.get_text(strip=True) == "2 organisations found: go to the list"
    # It comes before the form: a phone shows it near the top of the page.
    assert wrap.find(["p", "form"]) is jump.parent
    heading = soup.select_one("#results > h2.results__count")
    assert heading["id"] == "results-heading" and heading["tabindex"] == "-1"
    assert heading.get_text(strip=True) == "2 organisations found"
    # An htmx update brings the link back with the form, counting the new results.
    fragment = _soup(client.get(DIRECTORY + "?q=coastal&focus=carers", **HTMX))
    oob = fragment.select_one("#directory-filters-wrap[hx-swap-oob]")
    assert oob.select_one(".directory__jump a").get_text(strip=True) == (
        "1 organisation found: go to the list"
    )
    big = _soup(client.get(DIRECTORY)).select_one(".directory__jump a").get_text(strip=True)
    assert big == "2 organisations found: go to the list"


def test_searching_without_javascript_opens_the_new_page_at_the_results(client, db):
    soup = _soup(client.get(DIRECTORY + "?q=tea"))
    form = soup.select_one("form#directory-filters")
    button = form.select_one("button[type=submit]")
    # The Search button (also the one Enter presses) sends the form to the results; the form
    # itself and htmx still ask for the plain directory URL.
    assert button["formaction"] == DIRECTORY + "#results"
    assert form["action"] == DIRECTORY and form["hx-get"] == DIRECTORY
    assert soup.select_one("#results") is not None


def test_less_used_filters_fold_under_more_filters_open_when_one_is_in_use(client, db):
    def more(url):
        return _soup(client.get(url)).select_one("form#directory-filters details.filters__more")

    folded = more(DIRECTORY + "?q=tea&near=LS1")
    assert folded.summary.get_text(strip=True) == "More filters"
    assert not folded.has_attr("open")
    inside = {control["name"] for control in folded.select("select, input")}
    assert inside == {"focus", "audience", "region", "area", "size"}
    form = folded.find_parent("form")
    assert {c["name"] for c in form.select("input") if not c.find_parent("details")} == {
        "q",
        "near",
    }
    for query in ("?area=local", "?size=1-9&q=tea", "?region=wales", "?focus=carers"):
        assert more(DIRECTORY + query).has_attr("open"), query
    # A choice that could not be used opens it too, so its message and field can be seen.
    mistake = more(DIRECTORY + "?focus=no-such-focus")
    assert mistake.has_attr("open") and mistake.select_one("#id_focus_error")
    # And in the form an htmx update brings back.
    oob = _soup(client.get(DIRECTORY + "?audience=carers", **HTMX))
    assert oob.select_one("#directory-filters-wrap details.filters__more").has_attr("open")


def test_the_people_list_keeps_its_two_filters_unfolded(client_for, db):
    soup = _soup(client_for("member").get(reverse("members:people")))
    assert soup.select_one("form#directory-filters #id_focus") is not None
    assert soup.select_one("details.filters__more") is None
    assert soup.select_one(".directory__jump") is None


def test_previous_and_next_bring_the_top_of_the_results_into_view(client, db):
    bulk_orgs(45)
    second = _soup(client.get(DIRECTORY))
    third = _soup(client.get(second.select_one("a[rel=next]")["href"], **HTMX))
    for link in (*second.select(".pagination a"), *third.select(".pagination a")):
        assert link["hx-target"] == "#results"
        assert link["hx-swap"] == "innerHTML show:#results:top"
        assert link["hx-get"] == link["href"]
    assert {a["rel"][0] for a in third.select(".pagination a")} == {"prev", "next"}


def _card_links(response):
    return [a["href"] for a in _soup(response).select(".results-list .result__title a")]


def _carried(href):
    parts = urlsplit(href)
    return parts.path, parse_qs(parts.query).get("from", [None])[0]


def test_result_cards_carry_the_search_to_the_organisation_page(client, member, db):
    make_org("Harbour Memory Cafe", postcode="LS6 2AA", focus=["dementia"])
    # Empty fields (a submitted form), unknown parameters and the page cursor are left out;
    # the order is always the form's, so the page is the same whatever order was asked.
    url = DIRECTORY + "?size=&focus=dementia&utm_source=x&near=ls6+3aa&q=memory&audience="
    path, carried = _carried(_card_links(client.get(url))[0])
    assert path == "/members/harbour-memory-cafe/"
    assert carried == "q=memory&near=ls6+3aa&focus=dementia"
    again = DIRECTORY + "?q=memory&focus=dementia&near=ls6+3aa"
    assert _card_links(client.get(again)) == _card_links(client.get(url))
    # Nothing in them depends on who asks (the page is cached per query: decision 0008).
    client.force_login(member)
    assert _card_links(client.get(url)) == _card_links(client.get(again, **HTMX))
    client.logout()
    # Without a search the links are plain.
    assert _card_links(client.get(DIRECTORY)) == ["/members/harbour-memory-cafe/"]
    assert _card_links(client.get(DIRECTORY + "?q=&near=")) == ["/members/harbour-memory-cafe/"]


def test_a_search_in_a_card_link_is_escaped(client, db):
    nasty = '"><script>alert(1)</script>'
    make_org("Quote Club", description=f"{nasty} hello & goodbye")
    response = client.get(DIRECTORY, {"q": "hello " + nasty})
    body = response.content.decode()
    assert "<script>alert" not in body
    [href] = _card_links(response)
    assert _carried(href)[1] == urlencode({"q": "hello " + nasty})


def test_back_to_the_directory_returns_to_the_same_search(client, db):
    make_org("Harbour Memory Cafe", postcode="LS6 2AA", focus=["dementia"])
    make_org("Riverside Memory Walks", postcode="BS1 4DJ", focus=["physical-activity"])
    make_org("Kirkgate Lunch Club", postcode="LS1 4AP")
    search = DIRECTORY + "?q=memory&near=LS6+3AA"
    results = client.get(search)
    assert names_on(results) == ["Harbour Memory Cafe", "Riverside Memory Walks"]
    org_page = _soup(client.get(_card_links(results)[1]))
    assert org_page.h1.get_text(strip=True) == "Riverside Memory Walks"
    back = org_page.find("a", string="Back to the directory")["href"]
    assert back == "/members/?q=memory&near=LS6+3AA#results"
    assert names_on(client.get(back)) == names_on(results)
    # Search engines are told the organisation's one address.
    canonical = org_page.select_one("link[rel=canonical]")["href"]
    assert canonical.endswith("/members/riverside-memory-walks/") and "from" not in canonical
    # Opened from anywhere else, it is the plain directory.
    plain = _soup(client.get("/members/riverside-memory-walks/"))
    assert plain.find("a", string="Back to the directory")["href"] == DIRECTORY


@pytest.mark.parametrize(
    ("carried", "back"),
    [
        ("https://evil.example/", DIRECTORY),
        ("//evil.example/members/", DIRECTORY),
        ("javascript:alert(1)", DIRECTORY),
        ("next=https://evil.example/&q=tea", "/members/?q=tea#results"),
        ("q=tea&cursor=abc", "/members/?q=tea#results"),  # not a page: cursors are long
        ("q=tea#https://evil.example", "/members/?q=tea%23https%3A%2F%2Fevil.example#results"),
        ("q=" + "x" * 500, "/members/?q=" + "x" * 200 + "#results"),
        ("&" * 5000 + "q=tea", DIRECTORY),  # too long
        ("&" * 2000 + "q=tea", DIRECTORY),  # too many fields to parse
        ("&" * 500 + "q=tea", "/members/?q=tea#results"),
        (
            'q="><script>alert(1)</script>',
            "/members/?q=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E#results",
        ),
    ],
)
def test_back_to_the_directory_only_ever_leads_to_the_directory(client, db, carried, back):
    make_org("Harbour Memory Cafe")
    response = client.get("/members/harbour-memory-cafe/", {"from": carried})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()
    assert _soup(response).find("a", string="Back to the directory")["href"] == back


@settings(max_examples=200, deadline=None)
@given(carried=st.text(max_size=400) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_no_carried_search_makes_a_link_away_from_the_directory(carried):
    from members.views.directory import RETURN_FIELDS, directory_return_url

    url = directory_return_url(carried)
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc and parts.path == DIRECTORY
    assert set(parse_qs(parts.query)) <= set(RETURN_FIELDS)
    assert parts.fragment in ("", "results")


def test_carrying_the_search_costs_no_queries(client, db):
    make_org("Harbour Memory Cafe", focus=["dementia"])
    page = "/members/harbour-memory-cafe/"
    assert _queries(client, page + "?from=q%3Dmemory%26focus%3Ddementia") == _queries(client, page)


def test_the_count_reads_the_same_in_the_heading_and_the_link_above_the_form():
    from members.views.directory import COUNT_LIMIT, _count_text

    assert _count_text(0) == "0 organisations found"
    assert _count_text(1) == "1 organisation found"
    assert _count_text(COUNT_LIMIT) == "1000 organisations found"
    assert _count_text(COUNT_LIMIT + 1) == "More than 1,000 organisations found"
