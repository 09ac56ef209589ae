"""From "I need a venue" to a recorded collaboration, in a real browser on a phone-sized screen.

Two members list complementary items in different words; one sees the other in their suggestions
with the reason, and asks for an introduction; the other answers from the email without signing
in (JavaScript off) and both receive the introduction; the follow-up answer is recorded from its
email link (JavaScript off); the coordinator sees the collaboration rate move. Every page passes
``check_page``: zero axe-core (WCAG 2.2 AA) violations, fits the screen, no other host, no errors.
"""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from playwright.sync_api import Page, expect

from matching import services
from matching.models import Collaboration, Introduction, IntroductionStatus
from members.models import AreaServed
from members.tests.factories import (
    PASSWORD,
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.e2e.pages import check_page


@pytest.fixture(autouse=True)
def categories(transactional_db):
    """The default categories: a data migration makes them, but browser tests run on a database
    that is emptied between tests, so make them again."""
    importlib.import_module("matching.migrations.0002_seed_categories").seed(django_apps, None)


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


def add_item(page: Page, *, offer: bool, category: str, description: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Offers and needs").click()
    expect(heading(page)).to_have_text("Offers and needs")
    check_page(page)
    page.get_by_role("link", name="Add an offer or a need").first.click()
    expect(heading(page)).to_have_text("Add an offer or a need")
    check_page(page)
    page.get_by_role("button", name="Save").click()  # nothing filled in: the errors say what to do
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page)
    page.get_by_label(
        "Support we can offer to other members" if offer else "Support we are looking for"
    ).check()
    page.get_by_label("Category").select_option(label=category)
    page.get_by_label("Describe it in a sentence or two").fill(description)
    page.get_by_role("button", name="Save").click()
    expect(heading(page)).to_have_text("Your offers and needs")
    expect(page.get_by_role("main")).to_contain_text(description)
    check_page(page)


def health_rate(page: Page) -> str:
    page.goto(reverse("matching:health"))
    expect(heading(page)).to_have_text("Network health")
    check_page(page)
    return page.locator(".figures li").first.inner_text()


def test_from_a_need_to_a_recorded_collaboration(new_page, smtp_server, live_server, settings):
    settings.SITE_URL = live_server.url  # links in emails point at this test's server
    coordinator = CoordinatorFactory(email="cerys@example.org", full_name="Cerys Coordinator")
    people = {}
    for name, email, lat, lon in (
        ("Hana Hall", "hana@example.org", 53.80, -1.55),
        ("Rhys Room", "rhys@example.org", 53.82, -1.58),
    ):
        org = OrganisationFactory(
            name=f"{name.split()[0]}'s Friendship Circle",
            latitude=lat,
            longitude=lon,
            area_served=AreaServed.LOCAL,
        )
        people[email] = UserFactory(full_name=name, email=email)
        MembershipFactory(user=people[email], organisation=org)
    hana, rhys = people["hana@example.org"], people["rhys@example.org"]

    # --- The coordinator sees nobody has collaborated yet.
    desk = new_page()
    sign_in(desk, coordinator.email)
    assert "0.0%" in health_rate(desk)

    # --- Hana offers her hall; Rhys needs a room, in other words and another category.
    hana_page = new_page()
    sign_in(hana_page, hana.email)
    add_item(
        hana_page,
        offer=True,
        category="Venue or space",
        description="We can lend our church hall on weekday mornings",
    )
    rhys_page = new_page()
    sign_in(rhys_page, rhys.email)
    add_item(
        rhys_page,
        offer=False,
        category="Partnership on a project",
        description="Looking for a free room for a weekly group",
    )

    # --- Rhys sees Hana suggested, with the reason, and asks for an introduction.
    rhys_page.get_by_role("link", name="Suggested for you", exact=True).click()
    expect(heading(rhys_page)).to_have_text("Members suggested for you")
    card = rhys_page.locator(".matching-card").filter(has_text="Hana Hall")
    expect(card).to_contain_text("They offer venue or space, which may help with what you need")
    expect(card).to_contain_text("You both work locally, about 3 km apart.")
    expect(card).not_to_contain_text("hana@example.org")
    check_page(rhys_page)
    card.get_by_role("link", name=re.compile("Ask for an introduction")).click()
    expect(heading(rhys_page)).to_have_text("Ask for an introduction to Hana Hall")
    check_page(rhys_page)
    rhys_page.get_by_label("Your message").fill(
        "Hello Hana, our carers' group needs a room on Tuesday mornings. Could we talk?"
    )
    rhys_page.get_by_role("button", name="Send request").click()
    expect(heading(rhys_page)).to_have_text("Introductions")
    expect(rhys_page.locator(".messages")).to_contain_text(
        "Your request has been sent to Hana Hall"
    )
    check_page(rhys_page)

    # --- Hana answers from the email, without signing in and without JavaScript.
    request = smtp_server.wait_for(1)[0]
    assert request.to == ["hana@example.org"] and "Rhys Room" in request.subject
    assert "rhys@example.org" not in request.text
    answer_link = request.link_containing("/matching/introductions/answer/")
    inbox = new_page(javascript=False)
    inbox.goto(answer_link)
    expect(heading(inbox)).to_have_text("Rhys Room would like to be introduced to you")
    expect(inbox.get_by_role("main")).to_contain_text("needs a room on Tuesday mornings")
    check_page(inbox)
    inbox.get_by_label("Share my email address with them").check()
    inbox.get_by_role("button", name="Yes, introduce us").click()
    expect(inbox.get_by_role("main")).to_contain_text("You said yes")
    check_page(inbox)

    # --- Both receive the introduction, with the other's email address.
    messages = smtp_server.wait_for(3)
    introductions = {m.to[0]: m for m in messages[1:]}
    assert set(introductions) == {"hana@example.org", "rhys@example.org"}
    assert "hana@example.org" in introductions["rhys@example.org"].text
    assert "rhys@example.org" in introductions["hana@example.org"].text
    for message in introductions.values():
        assert message.text and message.html
    introduction = Introduction.objects.get()
    assert introduction.status == IntroductionStatus.ACCEPTED

    # --- Weeks later the follow-up asks both; Rhys answers from the email link (no JavaScript).
    assert services.follow_ups_send(after_days=0) == 1
    follow_ups = smtp_server.wait_for(5)[3:]
    to_rhys = next(m for m in follow_ups if m.to == ["rhys@example.org"])
    yes_link = next(link for link in to_rhys.links if link.endswith("?answer=yes"))
    inbox.goto(yes_link)
    expect(heading(inbox)).to_contain_text(
        "Did your introduction to Hana Hall lead to working together?"
    )
    expect(inbox.get_by_label("Yes, we worked together")).to_be_checked()
    check_page(inbox)
    inbox.get_by_label("Anything to add?").fill("Our group meets in Hana's hall every Tuesday")
    inbox.get_by_role("button", name="Send answer").click()
    expect(inbox.locator(".messages")).to_contain_text("Your answer has been saved")
    check_page(inbox)
    assert Collaboration.objects.get().note == "Our group meets in Hana's hall every Tuesday"

    # --- The coordinator sees the collaboration rate move: 2 of the 3 active members.
    rate = health_rate(desk)
    assert "66.7%" in rate and "2 of 3 active members" in rate
    expect(
        desk.get_by_role("table", name="Pairs of members who worked together in the last 12 months")
    ).to_contain_text("Hana Hall")
