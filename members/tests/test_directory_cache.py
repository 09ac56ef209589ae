"""The directory's cache (members/cache.py): pages come from it, and any change shows at once.

These tests commit (``transaction=True``): nothing is cached inside a transaction, which is
where every other test runs.
"""

import importlib
import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members import cache as directory_cache
from members.models import FocusArea, Organisation
from members.services import listings, profiles, taxonomy
from members.tests.factories import CoordinatorFactory, UserFactory
from members.tests.test_directory import DIRECTORY, HTMX, make_org, names_on

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_cache():
    # A committing test starts from an emptied database: put back the seeded taxonomy.
    # (Not serialized_rollback: reloading its snapshot clashes with the content types that
    # other committing tests' flushes recreate.)
    importlib.import_module("members.migrations.0002_seed_taxonomy").seed(apps, None)
    directory_cache.clear()
    yield
    directory_cache._cache().clear()


def get(client, url, **headers):
    """The response and the number of queries it took."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response, len(captured)


def text(response) -> str:
    return response.content.decode()


def test_the_second_visit_is_served_from_the_cache_with_one_query(client):
    make_org("Riverside Lunch Club", focus=["older-people"])
    first, queries = get(client, DIRECTORY + "?q=lunch")
    again, cached_queries = get(client, DIRECTORY + "?q=lunch")
    assert names_on(again) == names_on(first) == ["Riverside Lunch Club"]
    assert text(again) == text(first)
    assert queries > 4
    assert cached_queries == 1  # the data version
    # Another query is not the same page.
    other, other_queries = get(client, DIRECTORY + "?q=tea")
    assert names_on(other) == [] and other_queries > 1


def test_an_edit_through_the_service_shows_at_once(client):
    coordinator = CoordinatorFactory()
    org = make_org("Riverside Lunch Club")
    assert names_on(get(client, DIRECTORY)[0]) == ["Riverside Lunch Club"]
    profiles.organisation_update(
        actor=coordinator, organisation=org, changes={"name": "Hillside Lunch Club"}
    )
    assert names_on(get(client, DIRECTORY)[0]) == ["Hillside Lunch Club"]
    assert names_on(get(client, DIRECTORY + "?q=hillside")[0]) == ["Hillside Lunch Club"]


def test_a_bulk_update_without_signals_shows_at_once(client):
    make_org("Riverside Lunch Club")
    get(client, DIRECTORY)
    Organisation.objects.update(name="Valley Lunch Club")
    assert names_on(get(client, DIRECTORY)[0]) == ["Valley Lunch Club"]
    Organisation.objects.update(status="lapsed")
    assert names_on(get(client, DIRECTORY)[0]) == []


def test_new_and_deleted_organisations_show_at_once(client):
    make_org("Riverside Lunch Club")
    get(client, DIRECTORY)
    other = make_org("Abbey Tea Club")
    assert names_on(get(client, DIRECTORY)[0]) == ["Abbey Tea Club", "Riverside Lunch Club"]
    other.delete()
    assert names_on(get(client, DIRECTORY)[0]) == ["Riverside Lunch Club"]


def test_a_change_of_tags_shows_at_once(client):
    org = make_org("Riverside Lunch Club", focus=["older-people"])
    assert names_on(get(client, DIRECTORY + "?focus=older-people")[0]) == ["Riverside Lunch Club"]
    org.focus_areas.clear()
    assert names_on(get(client, DIRECTORY + "?focus=older-people")[0]) == []


def test_a_renamed_focus_area_shows_at_once_in_the_filters_and_the_cards(client):
    coordinator = CoordinatorFactory()
    make_org("Riverside Lunch Club", focus=["older-people"])
    term = FocusArea.objects.get(slug="older-people")
    get(client, DIRECTORY)
    taxonomy.term_update(actor=coordinator, term=term, name="People in later life")
    response = get(client, DIRECTORY)[0]
    soup = BeautifulSoup(response.content, "html.parser")
    assert "People in later life" in soup.select_one("select[name=focus]").get_text()
    assert "People in later life" in soup.select_one(".results-list .tags").get_text()


def test_a_confirmed_listing_loses_its_stale_note_at_once(client):
    org = make_org("Riverside Lunch Club")
    Organisation.objects.filter(pk=org.pk).update(
        created_at=timezone.now() - timedelta(days=800), approved_at=None, confirmed_at=None
    )
    assert "not confirmed since" in text(get(client, DIRECTORY)[0])
    listings.listing_confirm(organisation=Organisation.objects.get(pk=org.pk))
    assert "not confirmed since" not in text(get(client, DIRECTORY)[0])


def test_every_watched_table_bumps_the_version():
    org = make_org("Riverside Lunch Club")
    seen = [directory_cache.data_version()]

    def changed():
        seen.append(directory_cache.data_version())
        return seen[-1] > seen[-2]

    org.regions.add(*list(org.regions.model.objects.all()[:1]))
    assert changed()
    org.audiences.add(*list(org.audiences.model.objects.all()[:1]))
    assert changed()
    org.focus_areas.add(*list(FocusArea.objects.all()[:1]))
    assert changed()
    FocusArea.objects.filter(slug="older-people").update(position=99)
    assert changed()
    org.save()
    assert changed()
    # Other tables do not: a new person leaves every cached page in place.
    UserFactory()
    assert not changed()


def test_a_transaction_of_many_writes_moves_the_version_once_it_commits():
    from django.db import transaction

    before = directory_cache.data_version()
    with transaction.atomic():
        orgs = [make_org(f"Club {n}") for n in range(5)]
        for org in orgs:
            org.description = "Changed"
            org.save()
        # A write in a savepoint that rolls back, then another write: still counted.
        try:
            with transaction.atomic():
                orgs[0].focus_areas.add(*list(FocusArea.objects.all()[:1]))
                raise RuntimeError
        except RuntimeError:
            pass
        orgs[1].audiences.add(*list(orgs[1].audiences.model.objects.all()[:1]))
    after = directory_cache.data_version()
    assert after > before
    if connection.vendor == "postgresql":  # one bump per transaction, however many statements
        assert after == before + 1
    # The next transaction moves it again.
    make_org("One more club")
    assert directory_cache.data_version() > after


def test_installing_again_changes_nothing():
    before = directory_cache.data_version()
    directory_cache.install()
    directory_cache.install()
    assert directory_cache.data_version() == before
    make_org("Riverside Lunch Club")
    assert directory_cache.data_version() > before


def test_visitors_members_and_coordinators_never_get_each_others_pages(client):
    make_org("Riverside Lunch Club")
    people_link = reverse("members:people")
    export_link = reverse("members:export")
    member, coordinator = UserFactory(), CoordinatorFactory()
    for _round in range(2):  # the second round is served from the cache where it may be
        client.logout()
        visitor_page = text(get(client, DIRECTORY)[0])
        assert people_link not in visitor_page and export_link not in visitor_page
        client.force_login(member)
        member_page = text(get(client, DIRECTORY)[0])
        assert people_link in member_page and export_link not in member_page
        assert "Sign out" in member_page and "Sign out" not in visitor_page
        client.force_login(coordinator)
        coordinator_page, queries = get(client, DIRECTORY)
        assert export_link in text(coordinator_page) and queries > 3  # never cached


def test_fragments_and_pages_are_kept_apart(client):
    make_org("Riverside Lunch Club")
    page = text(get(client, DIRECTORY + "?q=lunch")[0])
    fragment = text(get(client, DIRECTORY + "?q=lunch", **HTMX)[0])
    assert "<html" in page and "<html" not in fragment
    assert "<html" in text(get(client, DIRECTORY + "?q=lunch")[0])
    again = get(client, DIRECTORY + "?q=lunch", **HTMX)[0]
    assert "<html" not in text(again) and "HX-Request" in again["Vary"]


def test_a_visitor_still_sees_a_message_waiting_for_them(client):
    make_org("Riverside Lunch Club")
    get(client, DIRECTORY)  # the whole page is now cached for visitors
    storage = CookieStorage(HttpRequest())
    storage.add(constants.SUCCESS, "You have signed out.")
    response = HttpResponse()
    storage.update(response)
    client.cookies[CookieStorage.cookie_name] = response.cookies[CookieStorage.cookie_name].value
    shown = get(client, DIRECTORY)[0]
    assert "You have signed out." in text(shown)
    assert "You have signed out." not in text(get(client, DIRECTORY)[0])  # shown once


def test_turned_off_it_caches_nothing(client, settings):
    settings.DIRECTORY_CACHE_SECONDS = 0
    make_org("Riverside Lunch Club")
    _first, queries = get(client, DIRECTORY)
    assert get(client, DIRECTORY)[1] == queries


def test_a_broken_cache_is_skipped_not_an_error_page(client, monkeypatch):
    class Down:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache server down")

        set = clear = get

    make_org("Riverside Lunch Club")
    with monkeypatch.context() as patched:
        patched.setattr(directory_cache, "_cache", lambda: Down())
        for _visit in range(2):
            assert names_on(get(client, DIRECTORY)[0]) == ["Riverside Lunch Club"]


def test_a_page_with_a_csrf_token_is_never_kept(client, monkeypatch):
    from django.middleware.csrf import get_token

    from members.views import directory as views

    render = views.render_to_string

    def render_with_a_form(template, context, request):  # as {% csrf_token %} would
        get_token(request)
        return render(template, context, request=request)

    make_org("Riverside Lunch Club")
    with monkeypatch.context() as patched:
        patched.setattr(views, "render_to_string", render_with_a_form)
        _first, queries = get(client, DIRECTORY)
        client.cookies.clear()
        assert queries > 1 and get(client, DIRECTORY)[1] > 1  # rendered again, not cached


def test_near_counts_every_located_organisation_and_a_new_one_at_once(client):
    from members.tests.test_directory import make_org as make_located

    make_located("Riverside Lunch Club", postcode="LS6 3AA")
    make_located("Harbour Walkers", postcode="BS1 4DJ")
    make_org("Nowhere In Particular")  # no postcode: not in a "near" list

    def count(url):
        soup = BeautifulSoup(get(client, url)[0].content, "html.parser")
        return soup.select_one(".results__count").get_text(strip=True)

    assert count(DIRECTORY + "?near=LS1") == "2 organisations found"
    make_located("Valley Befrienders", postcode="LS1 4AP")
    assert count(DIRECTORY + "?near=LS1&x=1") == "3 organisations found"
    assert names_on(get(client, DIRECTORY + "?near=LS1&x=2")[0])[0] == "Valley Befrienders"


def _counted(response_queries) -> bool:
    return any("COUNT(" in query["sql"].upper() for query in response_queries)


def test_the_next_page_takes_its_count_from_the_link_while_the_data_is_unchanged(
    client, monkeypatch
):
    """Counting a common word's matches is a search page's costliest query: a page's links
    carry its count, and the next page uses it unless the directory changed since, the link
    was edited to other filters, or the count is older than the cache keeps a page."""
    from members.tests.test_directory import bulk_orgs
    from members.views import directory as view

    bulk_orgs(45)
    make_org("Hilltop Tea Room")

    def visit(url, who=client):
        with CaptureQueriesContext(connection) as captured:
            response = who.get(url)
        assert response.status_code == 200
        page = BeautifulSoup(response.content, "html.parser")
        return page, _counted(captured.captured_queries)

    first, counted = visit(DIRECTORY + "?q=lunch")
    assert counted and "45 organisations found" in first.get_text()
    second_url = first.select_one("a[rel=next]")["href"]
    assert "version" not in second_url
    second, counted = visit(second_url)
    assert not counted and "45 organisations found" in second.get_text()
    third, counted = visit(second.select_one("a[rel=next]")["href"])
    assert not counted and "45 organisations found" in third.get_text()
    back, counted = visit(third.select_one("a[rel=prev]")["href"])
    assert not counted and "45 organisations found" in back.get_text()

    # Edited to other filters (the data unchanged): counted for those.
    other, counted = visit(second_url.replace("q=lunch", "q=hilltop"))
    assert counted and "1 organisation found" in other.get_text()
    # Too old: counted again, though nothing changed.
    later = time.time() + directory_cache.seconds() + 1
    monkeypatch.setattr(view.time, "time", lambda: later)
    directory_cache.clear()
    _page, counted = visit(second.select_one("a[rel=next]")["href"])
    assert counted
    monkeypatch.undo()
    # The directory changed (a new lunch club): the old link's count is not used.
    make_org("Riverside Lunch Club")
    again, counted = visit(second_url)
    assert counted and "46 organisations found" in again.get_text()
    # A coordinator's pages are never cached and always counted.
    coordinator = CoordinatorFactory()
    client.force_login(coordinator)
    theirs, counted = visit(DIRECTORY + "?q=lunch")
    assert counted
    _page, counted = visit(theirs.select_one("a[rel=next]")["href"])
    assert counted
