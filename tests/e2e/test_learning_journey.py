"""A member shares what their organisation learned, and a year later anyone can find it.

A member submits a case study tagged with two of the 7 keys for connection (first with nothing
filled in: the errors say what to do); a coordinator approves it from the review queue; a
visitor finds it on both keys' pages and by searching the library, with JavaScript (htmx) and
without. Every page passes ``check_page``: zero axe-core (WCAG 2.2 AA) violations, fits a phone
screen, calls no other host, no browser errors.
"""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from playwright.sync_api import Page, expect

from core.models import AuditEntry
from learning.models import Resource, ResourceStatus
from learning.selectors import can_view_resource
from members.tests.factories import (
    PASSWORD,
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.e2e.pages import check_page

TITLE = "Moving our knitting circle into the library café"
KEYS = ["Consider your space", "Pay attention to the small things"]


@pytest.fixture(autouse=True)
def themes(transactional_db):
    """The 7 keys: a data migration makes them, but browser tests run on a database that is
    emptied between tests, so make them again."""
    importlib.import_module("learning.migrations.0002_seed_themes").seed(django_apps, None)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def sign_in(page: Page, email: str) -> None:
    page.goto(reverse("account_login"))
    check_page(page)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out")
    ).to_be_visible()
    check_page(page)


def submit_case_study(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Resources").click()
    expect(heading(page)).to_have_text("Resources")
    check_page(page)
    page.get_by_role("link", name="Share a resource or case study").click()
    expect(heading(page)).to_have_text("Share a resource or case study")
    check_page(page)

    page.get_by_label("What kind of resource is it?").select_option(label="Case study")
    page.get_by_role("button", name="Send").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Enter a title.")).to_be_visible()
    expect(summary.get_by_role("link", name="Say what you tried.")).to_be_visible()
    expect(page).to_have_title("Error: Share a resource or case study – Coalition")
    check_page(page)

    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill("A smaller, warmer room doubled how many people came.")
    page.get_by_label("What did you try?").fill("We moved from a big hall to a café corner.")
    page.get_by_label("What happened?").fill("Twice as many people came, and stayed for tea.")
    page.get_by_label("What did you learn?").fill("A cosy room helps people feel relaxed.")
    for key in KEYS:
        page.get_by_label(key, exact=True).check()
    page.get_by_label("Anyone", exact=True).check()
    page.get_by_role("button", name="Send").click()
    expect(heading(page)).to_have_text(TITLE)
    expect(page.get_by_role("main")).to_contain_text("waiting for a coordinator to approve it")
    check_page(page)

    # Second thoughts before approval: the author changes the summary.
    page.get_by_role("link", name="Change this resource").click()
    check_page(page)
    page.get_by_label("Summary").fill("A smaller, warmer room doubled how many people came to us.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".messages")).to_contain_text("A coordinator will check them soon")
    expect(page.get_by_role("main")).to_contain_text("doubled how many people came to us")
    check_page(page)


def approve(page: Page) -> None:
    page.goto(reverse("learning:list"))
    check_page(page)
    page.get_by_role("link", name="Review queue").click()
    expect(heading(page)).to_have_text("Resources to review")
    expect(page.get_by_role("main")).to_contain_text(TITLE)
    check_page(page)
    page.get_by_role("button", name=f"Approve {TITLE}").click()
    expect(page.locator(".messages")).to_contain_text("is published")
    expect(page.get_by_role("main")).to_contain_text("Nothing is waiting.")
    check_page(page)
    page.get_by_role("link", name="Which keys for connection lack examples").click()
    expect(heading(page)).to_have_text("Which keys lack examples")
    check_page(page)


def find_on_theme_pages(page: Page) -> None:
    page.goto(reverse("learning:themes"))
    expect(heading(page)).to_have_text("The 7 keys for connection")
    check_page(page)
    for key in KEYS:
        page.get_by_role("main").get_by_role("link", name=key, exact=True).click()
        expect(heading(page)).to_have_text(key)
        case_studies = page.get_by_role("region", name="Case studies")
        expect(case_studies.get_by_role("link", name=TITLE)).to_be_visible()
        check_page(page)
        page.get_by_role("link", name="The 7 keys for connection").click()
        expect(heading(page)).to_have_text("The 7 keys for connection")
        check_page(page)


def find_by_searching(page: Page) -> None:
    page.goto(reverse("learning:list"))
    check_page(page)
    page.get_by_label("Search by title or what it covers").fill("knitting café")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#results")
    expect(page).to_have_url(re.compile(r"q=knitting"))
    expect(page.locator(".htmx-request")).to_have_count(0)  # no swap still on its way
    expect(results).to_contain_text("1 resource found")
    expect(results.get_by_role("link", name=TITLE)).to_be_visible()
    check_page(page)
    results.get_by_role("link", name=TITLE).click()
    expect(heading(page)).to_have_text(TITLE)
    expect(page.get_by_role("main")).to_contain_text("What they learned")
    check_page(page)


def test_a_case_study_is_submitted_approved_and_found(new_page, page_no_js):
    organisation = OrganisationFactory(name="Northside Knitters")
    member = UserFactory(email="sam@example.org", full_name="Sam Member")
    MembershipFactory(user=member, organisation=organisation)
    CoordinatorFactory(email="coordinator@example.org", full_name="Cat Coordinator")

    member_page = new_page()
    sign_in(member_page, "sam@example.org")
    submit_case_study(member_page)
    resource = Resource.objects.get(title=TITLE)
    assert resource.status == ResourceStatus.PENDING
    assert sorted(t.name for t in resource.themes.all()) == sorted(KEYS)

    # Not yet visible to anyone else (a 404 in the browser counts as an error here, so ask the
    # selector; learning/tests/test_views.py requests it as every role).
    assert not can_view_resource(AnonymousUser(), resource)

    coordinator_page = new_page()
    sign_in(coordinator_page, "coordinator@example.org")
    approve(coordinator_page)
    assert AuditEntry.objects.filter(
        action="learning.resource.approve", target_id=str(resource.pk)
    ).exists()

    visitor = new_page()
    find_on_theme_pages(visitor)
    find_by_searching(visitor)  # with JavaScript: htmx swaps the results in
    find_by_searching(page_no_js)  # without: the form posts and the page reloads
