"""Finding a member organisation in a real browser, on a phone-sized screen.

A visitor opens the directory from the main navigation, searches by a word, narrows by focus,
removes a filter with its chip, makes and fixes a mistake in a postcode, finds the nearest
organisations to a postcode and opens one. With JavaScript the results update in place (htmx)
and the address bar follows; without JavaScript every step is a plain GET form or link.
Every state passes ``check_page`` (zero axe-core WCAG 2.2 AA violations, fits the screen, no
other host, no browser errors).
"""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from core import geo, search
from members.models import FocusArea, Organisation
from members.tests.factories import OrganisationFactory
from tests.e2e.pages import check_page

ORGANISATIONS = [
    # name, postcode, focus, description
    ("Harbour Memory Café", "LS6 2AA", "dementia", "Music afternoons and memory games."),
    ("Riverside Memory Walks", "BS1 4DJ", "physical-activity", "Gentle walks that share memories."),
    ("Kirkgate Lunch Club", "LS1 4AP", "food-and-community-meals", "Hot lunches for neighbours."),
    ("Moorside Men's Shed", "HG1 1AA", "older-people", "Woodwork and friendship."),
    ("Castle Befrienders", "CF10 1EP", "loneliness-and-isolation", "Weekly phone calls."),
]


@pytest.fixture
def directory(db):
    # The live server's database is emptied after each test, taking the taxonomy the data
    # migration seeded with it: put it back.
    importlib.import_module("members.migrations.0002_seed_taxonomy").seed(apps, None)
    for name, postcode, focus, description in ORGANISATIONS:
        district = geo.district(postcode)
        org = OrganisationFactory(
            name=name,
            description=description,
            postcode=postcode,
            outcode=geo.outward_code(postcode),
            latitude=district.latitude,
            longitude=district.longitude,
        )
        org.focus_areas.set(FocusArea.objects.filter(slug=focus))
        search.search_index_update(org)
    return Organisation.objects.all()


def results(page: Page):
    return page.locator("#results")


def result_names(page: Page):
    return results(page).locator(".result__title a")


def count(page: Page):
    return page.locator(".results__count")


def search_form(page: Page):
    return page.get_by_role("search", name="Search and filter")


def submit(page: Page) -> None:
    search_form(page).get_by_role("button", name="Search").click()


def journey(page: Page, *, javascript: bool) -> None:
    page.goto("/")
    check_page(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Find members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find members")
    expect(count(page)).to_have_text("5 organisations found")
    check_page(page)

    # Search by a word.
    search_form(page).get_by_label("Search by name or what they do").fill("memory")
    submit(page)
    expect(count(page)).to_have_text("2 organisations found")
    expect(result_names(page)).to_have_text(["Harbour Memory Café", "Riverside Memory Walks"])
    expect(page).to_have_url(re.compile(r"/members/\?.*q=memory"))
    check_page(page)

    # Narrow by focus: with JavaScript choosing is enough; without, press Search.
    search_form(page).get_by_label("Focus").select_option(label="Dementia")
    if not javascript:
        submit(page)
    expect(count(page)).to_have_text("1 organisation found")
    expect(result_names(page)).to_have_text(["Harbour Memory Café"])
    expect(page).to_have_url(re.compile(r"focus=dementia"))
    chips = page.locator(".chips")
    expect(chips.get_by_role("link")).to_have_count(2)
    check_page(page)

    # Remove the search word with its chip: the focus filter stays, the form follows.
    chips.get_by_role("link", name=re.compile("Search: memory")).click()
    expect(count(page)).to_have_text("1 organisation found")
    expect(page.locator(".chips").get_by_role("link")).to_have_count(1)
    expect(search_form(page).get_by_label("Search by name or what they do")).to_have_value("")
    expect(page).not_to_have_url(re.compile(r"q=memory"))
    check_page(page)

    # Start again, near a postcode: first a mistake, then the fix.
    page.get_by_role("link", name="Clear all filters").click()
    expect(count(page)).to_have_text("5 organisations found")
    check_page(page)
    near = search_form(page).get_by_label("Near a postcode")
    near.fill("ZZ99 9ZZ")
    submit(page)
    expect(page.locator("#id_near_error")).to_contain_text("We could not find where ZZ99 9ZZ is")
    expect(search_form(page).get_by_label("Near a postcode")).to_have_value("ZZ99 9ZZ")
    check_page(page)

    search_form(page).get_by_label("Near a postcode").fill("ls6 3aa")
    submit(page)
    origin = geo.centroid("LS6 3AA")
    by_distance = sorted(ORGANISATIONS, key=lambda o: geo.haversine_km(origin, geo.centroid(o[1])))
    expect(result_names(page)).to_have_text([o[0] for o in by_distance])
    expect(page.locator("#id_near_error")).to_have_count(0)
    expect(results(page).locator(".result__meta").first).to_contain_text("km away")
    check_page(page)

    # Open the nearest organisation.
    result_names(page).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(by_distance[0][0])
    expect(page.get_by_role("main")).to_contain_text(by_distance[0][3])
    check_page(page)


def test_a_visitor_finds_an_organisation_by_word_focus_and_distance(page, directory):
    journey(page, javascript=True)


def test_the_same_journey_works_without_javascript(page_no_js, directory):
    journey(page_no_js, javascript=False)
