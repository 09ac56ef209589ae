"""Joining the network in a real browser, on a phone-sized screen.

1. A visitor applies as an organisation (making and fixing a mistake on the way), confirms
   their email address from the message that arrived, a coordinator approves the application,
   the welcome email leads to the welcome page, and the organisation is in the public
   directory.
2. Without JavaScript: a visitor applies as an individual and a coordinator turns the
   application down, with a reason that reaches the applicant.

Every page passes ``check_page``: zero axe-core (WCAG 2.2 AA) violations, fits the screen, no
other host, no browser errors.
"""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from playwright.sync_api import Page, expect

from members.models import Application, MembershipStatus, Organisation, User
from members.tests.factories import PASSWORD as COORDINATOR_PASSWORD
from members.tests.factories import CoordinatorFactory
from tests.e2e.pages import check_page

ORG_NAME = "Hartfield Tea and Chat"
EMAIL = "ann@example.org"
PASSWORD = "violet-harbour-lantern-42"


@pytest.fixture(autouse=True)
def taxonomy(transactional_db):
    """The UK default focus areas, audiences and regions. A data migration makes them, but
    browser tests run on a database that is emptied between tests, so make them again."""
    seed = importlib.import_module("members.migrations.0002_seed_taxonomy").seed
    seed(django_apps, None)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def status_message(page: Page):
    return page.locator(".messages")


def group(page: Page, legend: str):
    return page.get_by_role("group", name=re.compile(rf"^{re.escape(legend)}"))


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto(reverse("account_login"))
    check_page(page)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(nav(page).get_by_role("button", name="Sign out")).to_be_visible()
    check_page(page)


def test_apply_as_an_organisation_be_approved_and_appear_in_the_directory(
    page, new_page, smtp_server, live_server, settings
):
    settings.SITE_URL = live_server.url  # links in emails point at this test's server
    coordinator = CoordinatorFactory(email="cerys@example.org", full_name="Cerys Coordinator")

    # --- The visitor finds the way in and chooses to join as an organisation.
    page.goto("/")
    check_page(page)
    nav(page).get_by_role("link", name="Join the network").click()
    expect(heading(page)).to_have_text("Join the network")
    check_page(page)
    page.get_by_label("As an organisation, group or charity").check()
    page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Join as an organisation")
    check_page(page)

    # --- They fill it in, with a postcode that is not one.
    page.get_by_label("Organisation name").fill(ORG_NAME)
    page.get_by_label("What your organisation does").fill(
        "Weekly tea afternoons for older neighbours who live alone."
    )
    page.get_by_label("Website").fill("hartfield-tea.example.org")
    page.get_by_label("Postcode").fill("12345")
    group(page, "Area you serve").get_by_label("Local").check()
    group(page, "Nations and regions").get_by_label("Yorkshire and the Humber").check()
    group(page, "What you work on").get_by_label("Loneliness and isolation").check()
    group(page, "Who you work with").get_by_label("Older people").check()
    group(page, "How many paid staff").get_by_label("No paid staff").check()
    group(page, "What is your yearly turnover").get_by_label("Under £10,000").check()
    page.get_by_label("Your full name").fill("Ann Example")
    page.get_by_label("Your role").fill("Volunteer coordinator")
    page.get_by_label("Your email address").fill(EMAIL)
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Send application").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # announced at once by screen readers
    expect(summary.get_by_role("link")).to_have_count(1)
    summary.get_by_role("link", name=re.compile("Enter a real UK postcode")).click()
    expect(page.get_by_label("Postcode")).to_be_focused()
    # everything typed is still there, the ticked boxes too
    expect(page.get_by_label("Organisation name")).to_have_value(ORG_NAME)
    expect(page.get_by_label("Your email address")).to_have_value(EMAIL)
    expect(page.get_by_label("Create a password")).to_have_value(PASSWORD)
    expect(group(page, "What you work on").get_by_label("Loneliness and isolation")).to_be_checked()
    expect(group(page, "Area you serve").get_by_label("Local")).to_be_checked()
    check_page(page)
    assert not User.objects.filter(email=EMAIL).exists()

    page.get_by_label("Postcode").fill("ls1 4ap")
    page.get_by_role("button", name="Send application").click()
    expect(heading(page)).to_have_text("Application received")
    expect(page.get_by_role("main")).to_contain_text(EMAIL)
    check_page(page)

    organisation = Organisation.objects.get(name=ORG_NAME)
    assert organisation.status == MembershipStatus.PENDING
    assert organisation.postcode == "LS1 4AP"

    # --- Three emails: allauth's confirmation, "received", and a note to the coordinator.
    messages = smtp_server.wait_for(3)
    by_subject = {m.subject: m for m in messages}
    assert set(by_subject) == {
        "[Coalition] Confirm your email address",
        "We have received your application",
        f"New application to join: {ORG_NAME}",
    }
    for message in messages:
        assert message.text and message.html, f"{message.subject!r} must be multipart"
    assert by_subject[f"New application to join: {ORG_NAME}"].rcpt_tos == (coordinator.email,)
    confirm = by_subject["[Coalition] Confirm your email address"].link_containing(
        "/accounts/confirm-email/"
    )
    page.goto(confirm)
    expect(heading(page)).to_have_text("Confirm your email address")
    check_page(page)
    page.get_by_role("button", name="Confirm").click()
    # Confirmed; they were never signed in, so allauth asks them to sign in now.
    expect(status_message(page)).to_contain_text(f"You have confirmed {EMAIL}")
    expect(heading(page)).to_have_text("Sign in")
    check_page(page)
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(nav(page).get_by_role("button", name="Sign out")).to_be_visible()
    check_page(page)
    # Signed in but waiting: the join page says so.
    nav(page).get_by_role("link", name="Join the network").click()
    expect(page.get_by_role("main")).to_contain_text("Your application is waiting for a decision")
    check_page(page)

    # --- The coordinator approves it.
    desk = new_page()
    sign_in(desk, coordinator.email, COORDINATOR_PASSWORD)
    nav(desk).get_by_role("link", name="Coordinator").click()
    expect(heading(desk)).to_have_text("Coordinator dashboard")
    check_page(desk)
    desk.get_by_role("link", name="applications to join").click()
    expect(heading(desk)).to_have_text("Applications to join")
    check_page(desk)
    desk.get_by_role("link", name=ORG_NAME).click()
    expect(heading(desk)).to_have_text(f"Application from {ORG_NAME}")
    expect(desk.get_by_role("main")).to_contain_text("Weekly tea afternoons")
    check_page(desk)
    desk.get_by_role("button", name="Approve", exact=True).click()
    expect(status_message(desk)).to_contain_text(f"Approved {ORG_NAME}")
    expect(desk.get_by_role("main")).to_contain_text("No applications are waiting.")
    check_page(desk)
    assert Application.objects.get().status == "approved"

    # --- The welcome email leads to the welcome page.
    [approved] = [m for m in smtp_server.wait_for(4) if "approved" in m.subject]
    assert approved.rcpt_tos == (EMAIL,)
    assert approved.text and approved.html
    welcome = approved.link_containing(reverse("joining:welcome"))
    page.goto(welcome)
    expect(heading(page)).to_have_text("Welcome to Coalition")
    expect(page.get_by_role("link", name=f"Invite colleagues to {ORG_NAME}")).to_be_visible()
    check_page(page)

    # --- Anyone can now find the organisation in the public directory.
    visitor = new_page()
    visitor.goto(reverse("members:directory"))
    check_page(visitor)
    visitor.get_by_role("searchbox").first.fill("Hartfield")
    visitor.get_by_role("searchbox").first.press("Enter")
    expect(visitor).to_have_url(re.compile(r"[?&]q=Hartfield"))
    expect(visitor.locator(".htmx-request")).to_have_count(0)  # the results have arrived
    result = visitor.get_by_role("link", name=ORG_NAME)
    expect(result).to_be_visible()
    check_page(visitor)
    result.click()
    expect(heading(visitor)).to_have_text(ORG_NAME)
    check_page(visitor)


def test_apply_as_an_individual_and_be_turned_down_without_javascript(
    page_no_js, new_page, smtp_server, live_server, settings
):
    settings.SITE_URL = live_server.url
    coordinator = CoordinatorFactory(email="cerys@example.org")
    page = page_no_js

    page.goto(reverse("joining:start"))
    check_page(page)
    page.get_by_label("As an individual").check()
    page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Join as an individual")
    check_page(page)
    page.get_by_label("Your full name").fill("Idris Example")
    page.get_by_label("Your email address").fill("idris@example.org")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Why would you like to join?").fill("I sell advertising.")
    page.get_by_role("button", name="Send application").click()
    expect(heading(page)).to_have_text("Application received")
    check_page(page)
    smtp_server.wait_for(3)

    desk = new_page(javascript=False)
    sign_in(desk, coordinator.email, COORDINATOR_PASSWORD)
    desk.goto(reverse("coordinator:applications"))
    check_page(desk)
    desk.get_by_role("link", name="Idris Example").click()
    check_page(desk)
    desk.get_by_role("button", name="Do not approve").click()  # no reason given
    expect(desk.locator(".error-summary")).to_contain_text(
        "Enter the reason: it is sent to the applicant"
    )
    check_page(desk)
    reason = "The network is for people who bring others together."
    desk.get_by_label("Reason for not approving").fill(reason)
    desk.get_by_role("button", name="Do not approve").click()
    expect(status_message(desk)).to_contain_text("Did not approve Idris Example")
    check_page(desk)

    [turned_down] = [m for m in smtp_server.wait_for(4) if "not been approved" in m.subject]
    assert turned_down.rcpt_tos == ("idris@example.org",)
    assert reason in turned_down.text and reason in turned_down.html
    assert Application.objects.get().status == "rejected"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_membership_pages_applicant_withdraws_and_admins_are_appointed(
    new_page, live_server, javascript
):
    """The pages this part of the site added, with and without JavaScript: an applicant's
    account page and withdrawing; an org admin's people page, making a colleague an admin;
    the coordinator's organisation page and the audit log in words."""
    from members.services import joining
    from members.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
    from tests.e2e.pages import sign_in_as

    # An applicant withdraws: their account page says where they stand, the link goes to
    # its own page, and they stay with an account to apply again.
    applicant = UserFactory(status=MembershipStatus.PENDING, full_name="Ann Applicant")
    joining.application_submit_individual(applicant=applicant, why_join="To meet others.")
    page = new_page(javascript=javascript)
    sign_in_as(page, applicant, live_server)
    page.goto(reverse("members:account"))
    status = page.locator("#membership-status")
    expect(status.get_by_role("heading")).to_have_text("Your application is waiting for a decision")
    check_page(page)
    status.get_by_role("link", name="Withdraw your application").click()
    expect(heading(page)).to_have_text("Are you sure you want to withdraw your application?")
    check_page(page)
    page.get_by_role("button", name="Withdraw your application").click()
    expect(status_message(page)).to_contain_text("Your application is withdrawn.")
    expect(page.locator("#membership-status").get_by_role("heading")).to_have_text(
        "You are not a member of the network yet"
    )
    check_page(page)

    # An org admin makes a colleague an admin from their people page.
    organisation = OrganisationFactory(name="Bramley Lunch Club")
    admin = UserFactory(full_name="Ada Admin")
    MembershipFactory(user=admin, organisation=organisation, role="admin")
    colleague = MembershipFactory(
        organisation=organisation, user=UserFactory(full_name="Ife Bello")
    )
    sign_in_as(page, admin, live_server)
    page.goto(reverse("joining:requests"))
    expect(heading(page)).to_have_text("People asking to join")
    check_page(page)
    page.get_by_role("button", name="Make an admin : Ife Bello").click()
    expect(status_message(page)).to_contain_text("Ife Bello is now an admin of Bramley Lunch Club")
    expect(page.get_by_role("button", name="Remove as admin Ife Bello")).to_be_visible()
    check_page(page)
    colleague.refresh_from_db()
    assert colleague.role == "admin"

    # The coordinator sees both admins on the organisation's page, and the log in words.
    coordinator = CoordinatorFactory()
    sign_in_as(page, coordinator, live_server)
    page.goto(reverse("coordinator:organisation", args=[organisation.pk]))
    expect(page.get_by_role("button", name="Remove as admin Ada Admin")).to_be_visible()
    check_page(page)
    page.goto(reverse("coordinator:audit"))
    expect(page.get_by_role("cell", name="Organisation role changed")).to_be_visible()
    expect(page.get_by_role("cell", name="Application withdrawn")).to_be_visible()
    check_page(page)
