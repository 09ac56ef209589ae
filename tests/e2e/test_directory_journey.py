"""Finding a member organisation in a real browser, on a phone-sized screen.

A visitor opens the directory from the main navigation, searches by a word, narrows by focus,
removes a filter with its chip, makes and fixes a mistake in a postcode, finds the nearest
organisations to a postcode, opens one and comes back to the same search. With JavaScript the
results update in place (htmx) and the address bar follows; without JavaScript every step is a
plain GET form or link. On a phone the results come after the form, so after a search they are
brought into view (and, with JavaScript, their heading is focused); "Next" does the same.
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
from tests.e2e.pages import DESKTOP, check_page

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


def more_filters(page: Page) -> None:
    """Open "More filters", where the less-used filters are folded."""
    summary = search_form(page).locator("summary", has_text="More filters")
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()


def expect_results_in_view(page: Page, *, javascript: bool) -> None:
    """The results heading is on the screen (on a phone it is some 950 px down the page, after
    the form), and with JavaScript it has focus, so that a screen reader says how many were
    found."""
    if javascript:
        expect(count(page)).to_be_focused()
    expect(count(page)).to_be_in_viewport()
    # Near the top of the screen (the page may be too short to scroll it right to the top),
    # with the results below it: not just peeping in at the bottom.
    assert count(page).bounding_box()["y"] < page.viewport_size["height"] / 3


def journey(page: Page, *, javascript: bool) -> None:
    page.goto("/")
    check_page(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Find members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find members")
    expect(count(page)).to_have_text("5 organisations found")
    # On a phone the results come after the form: a link near the top says how many and
    # goes to them.
    jump = page.get_by_role("link", name="5 organisations found: go to the list")
    expect(jump).to_be_in_viewport()
    check_page(page)

    # Search by a word: the results come into view.
    search_form(page).get_by_label("Search by name or what they do").fill("memory")
    submit(page)
    expect(count(page)).to_have_text("2 organisations found")
    expect_results_in_view(page, javascript=javascript)
    expect(result_names(page)).to_have_text(["Harbour Memory Café", "Riverside Memory Walks"])
    expect(page).to_have_url(re.compile(r"/members/\?.*q=memory"))
    check_page(page)

    # Narrow by focus, under "More filters": with JavaScript choosing is enough; without,
    # press Search.
    more_filters(page)
    focus = search_form(page).get_by_label("Focus")
    focus.focus()  # as a tap would (select_option alone does not)
    focus.select_option(label="Dementia")
    if not javascript:
        submit(page)
    expect(count(page)).to_have_text("1 organisation found")
    expect(result_names(page)).to_have_text(["Harbour Memory Café"])
    expect(page).to_have_url(re.compile(r"focus=dementia"))
    if javascript:  # choosing updates the list in place and leaves the chooser where it was
        expect(search_form(page).get_by_label("Focus")).to_be_focused()
    chips = page.locator(".chips")
    expect(chips.get_by_role("link")).to_have_count(2)
    # The tab's title says these are search results, in place (htmx) or not.
    expect(page).to_have_title("Search results – Find members – Coalition")
    check_page(page)

    # Remove the search word with its chip: the focus filter stays, the form follows.
    chips.get_by_role("link", name=re.compile("Search: memory")).click()
    expect(count(page)).to_have_text("1 organisation found")
    expect(page.locator(".chips").get_by_role("link")).to_have_count(1)
    expect(search_form(page).get_by_label("Search by name or what they do")).to_have_value("")
    expect(page).not_to_have_url(re.compile(r"q=memory"))
    if javascript:  # the chip went with the old results: focus goes to the new ones
        expect_results_in_view(page, javascript=javascript)
    check_page(page)

    # Start again, near a postcode: first a mistake, then the fix.
    page.get_by_role("link", name="Clear all filters").click()
    expect(count(page)).to_have_text("5 organisations found")
    expect(page).to_have_title("Find members – Coalition")
    check_page(page)
    near = search_form(page).get_by_label("Near a postcode")
    near.fill("ZZ99 9ZZ")
    submit(page)
    expect(page.locator("#id_near_error")).to_contain_text("We could not find where ZZ99 9ZZ is")
    expect(search_form(page).get_by_label("Near a postcode")).to_have_value("ZZ99 9ZZ")
    if javascript:  # the error summary takes focus, and keeps it
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator(".error-summary")).to_be_in_viewport()
    else:  # the page opens at the results, which say where the problem is
        problem = results(page).get_by_role("link", name="Check the search and filter form.")
        expect(problem).to_be_in_viewport()
        problem.click()
        expect(page.locator(".error-summary")).to_be_in_viewport()
    check_page(page)

    search_form(page).get_by_label("Near a postcode").fill("ls6 3aa")
    submit(page)
    origin = geo.centroid("LS6 3AA")
    by_distance = sorted(ORGANISATIONS, key=lambda o: geo.haversine_km(origin, geo.centroid(o[1])))
    expect(result_names(page)).to_have_text([o[0] for o in by_distance])
    expect(page.locator("#id_near_error")).to_have_count(0)
    expect(results(page).locator(".result__meta").first).to_contain_text("km away")
    expect_results_in_view(page, javascript=javascript)
    check_page(page)

    # Narrow it by focus too, open the nearest organisation, and go back to the same search.
    more_filters(page)
    search_form(page).get_by_label("Focus").select_option(label="Dementia")
    if not javascript:
        submit(page)
    expect(result_names(page)).to_have_text(["Harbour Memory Café"])
    check_page(page)
    result_names(page).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour Memory Café")
    expect(page.get_by_role("main")).to_contain_text("Music afternoons and memory games.")
    check_page(page)
    page.get_by_role("link", name="Back to the directory").click()
    expect(page).to_have_url(re.compile(r"/members/\?near=ls6\+3aa&focus=dementia#results$"))
    expect(search_form(page).get_by_label("Near a postcode")).to_have_value("ls6 3aa")
    expect(search_form(page).get_by_label("Focus")).to_have_value("dementia")
    expect(count(page)).to_have_text("1 organisation found")
    expect(result_names(page)).to_have_text(["Harbour Memory Café"])
    expect(count(page)).to_be_in_viewport()
    check_page(page)


def test_a_visitor_finds_an_organisation_by_word_focus_and_distance(page, directory):
    journey(page, javascript=True)


def test_the_same_journey_works_without_javascript(page_no_js, directory):
    journey(page_no_js, javascript=False)


@pytest.fixture
def long_directory(db):
    importlib.import_module("members.migrations.0002_seed_taxonomy").seed(apps, None)
    for i in range(25):
        org = OrganisationFactory(
            name=f"Lunch Club {i:02d}", description="Hot lunches and good company."
        )
        search.search_index_update(org)
    return Organisation.objects.all()


def test_next_and_previous_bring_the_new_page_of_results_into_view(page, long_directory):
    page.goto("/members/")
    check_page(page)
    expect(result_names(page)).to_have_count(20)
    expect(result_names(page).first).to_have_text("Lunch Club 00")

    # "Next" is at the bottom of a long page; the next page starts at its top.
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"/members/\?cursor="))
    expect(result_names(page)).to_have_count(5)
    expect(result_names(page).first).to_have_text("Lunch Club 20")
    expect(result_names(page).first).to_be_in_viewport()
    expect(count(page)).to_be_focused()
    check_page(page)

    page.get_by_role("link", name="Previous page").click()
    expect(result_names(page).first).to_have_text("Lunch Club 00")
    expect(result_names(page).first).to_be_in_viewport()
    expect(count(page)).to_be_focused()
    check_page(page)


@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_wide_screen_the_results_sit_beside_the_filters(new_page, directory, javascript):
    page = new_page(javascript=javascript, viewport=DESKTOP)
    page.goto("/members/?q=memory")
    check_page(page)
    # No link to the results above the form: they are beside it, with the filters.
    expect(page.locator(".directory__jump")).to_be_hidden()
    expect(count(page)).to_be_in_viewport()
    more = search_form(page).locator("details.filters__more")
    if javascript:  # there is room: "More filters" starts open
        expect(more).to_have_attribute("open", "")
    else:
        expect(more).not_to_have_attribute("open", "")
        more_filters(page)
    search_form(page).get_by_label("Area served").select_option(label="Local")
    if not javascript:
        submit(page)
    expect(page).to_have_url(re.compile(r"area=local"))
    expect(more).to_have_attribute("open", "")
    check_page(page)
