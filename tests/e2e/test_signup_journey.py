"""A visitor creates an account, confirms their email from the message that actually arrived,
signs out, signs back in and out again: on a phone-sized screen, with and without JavaScript,
and every page passes axe-core (WCAG 2.2 AA), fits the screen and calls no other host."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.urls import reverse
from playwright.sync_api import Page, expect

from members.models import User
from tests.e2e.pages import check_page

NAME = "Ann Example"
EMAIL = "ann@example.org"
PASSWORD = "a-long-test-password-42"

# Labels and messages of the sign-up and sign-in forms (members.forms, allauth), as people see
# them.
NAME_LABEL = "Your full name"
EMAIL_LABEL = "Email address"
PASSWORD_LABEL = "Create a password"
PASSWORD_AGAIN_LABEL = "Type your password again"
SIGN_IN_EMAIL_LABEL = "Email"
SIGN_IN_PASSWORD_LABEL = "Password"
NAME_MISSING = "Enter your full name"
EMAIL_INVALID = "Enter a valid email address."
PASSWORDS_DIFFER = "You must type the same password each time."


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def field_error(page: Page, field_id: str):
    """The message shown beside a field."""
    return page.locator(f".field--error:has(#{field_id}) .field-error")


def open_sign_up_form(page: Page) -> None:
    # The site offers joining (which makes the account too); a bare account form is still
    # there for old links, and says that an account alone is not membership.
    page.goto("/")
    expect(heading(page)).to_be_visible()
    check_page(page)
    expect(page.get_by_role("main").get_by_role("link", name="Join the network")).to_be_visible()
    expect(page.get_by_role("link", name="Create an account")).to_have_count(0)

    page.goto(reverse("account_signup"))
    expect(heading(page)).to_have_text("Create an account")
    expect(page.get_by_role("main").get_by_role("link", name="apply to join")).to_have_attribute(
        "href", reverse("joining:start")
    )
    expect(page).to_have_title("Create an account – Coalition")
    check_page(page)


def fill_sign_up_form(page: Page, *, name: str, email: str, password: str, again: str) -> None:
    page.get_by_label(NAME_LABEL, exact=True).fill(name)
    page.get_by_label(EMAIL_LABEL, exact=True).fill(email)
    page.get_by_label(PASSWORD_LABEL, exact=True).fill(password)
    page.get_by_label(PASSWORD_AGAIN_LABEL, exact=True).fill(again)
    page.get_by_role("button", name="Create account").click()


def expect_error_summary(page: Page, messages: list[str]) -> None:
    # The title says so first: it is the first thing a screen reader reads on a new page.
    expect(page).to_have_title("Error: Create an account – Coalition")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("listitem")).to_have_count(len(messages))
    for message in messages:
        expect(summary.get_by_role("link", name=message)).to_be_visible()


def confirm_email_from_the_message_sent(page: Page, smtp_server, live_server) -> None:
    [message] = smtp_server.wait_for(1)
    assert message.rcpt_tos == (EMAIL,)
    assert message.subject == "[Coalition] Confirm your email address"
    assert message.text and message.html, "The confirmation must be multipart (text and HTML)"
    prefix = live_server.url + reverse("account_confirm_email", args=["KEY"]).removesuffix("KEY/")
    link = message.link_containing(prefix)
    assert link in message.text and f'href="{link}"' in message.html

    page.goto(link)
    expect(heading(page)).to_have_text("Confirm your email address")
    expect(page.get_by_role("main")).to_contain_text(EMAIL)
    check_page(page)

    page.get_by_role("button", name="Confirm").click()
    # Confirming signs them in (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION), on their account page,
    # which says they are not a member yet and how to become one.
    expect(nav(page).get_by_role("link", name="Your account")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"You have confirmed {EMAIL}")
    expect(heading(page)).to_have_text("Your account")
    status = page.locator("#membership-status")
    expect(status.get_by_role("heading")).to_have_text("You are not a member of the network yet")
    expect(status.get_by_role("link", name="Apply to join the network")).to_have_attribute(
        "href", reverse("joining:start")
    )
    check_page(page)
    assert EmailAddress.objects.get(email=EMAIL).verified


def sign_out(page: Page) -> None:
    nav(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You have signed out")
    expect(nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav(page).get_by_role("button", name="Sign out")).to_have_count(0)
    check_page(page)


def sign_in_and_see_account(page: Page) -> None:
    nav(page).get_by_role("link", name="Sign in").click()
    expect(heading(page)).to_have_text("Sign in")
    check_page(page)

    page.get_by_label(SIGN_IN_EMAIL_LABEL, exact=True).fill(EMAIL)
    page.get_by_label(SIGN_IN_PASSWORD_LABEL, exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_contain_text(f"You are signed in as {NAME}")
    expect(nav(page).get_by_role("button", name="Sign out")).to_be_visible()
    check_page(page)

    nav(page).get_by_role("link", name="Your account").click()
    expect(heading(page)).to_have_text("Your account")
    expect(page.get_by_role("main")).to_contain_text(EMAIL)
    expect(page.get_by_label(NAME_LABEL, exact=True)).to_have_value(NAME)
    check_page(page)


def finish_the_journey(page: Page, smtp_server, live_server) -> None:
    """From a sign-up form just sent correctly to signed out after signing in again."""
    expect(heading(page)).to_have_text("Check your email")
    expect(page.get_by_role("status")).to_contain_text(EMAIL)
    check_page(page)
    user = User.objects.get(email=EMAIL)
    assert user.full_name == NAME
    assert not EmailAddress.objects.get(email=EMAIL).verified

    confirm_email_from_the_message_sent(page, smtp_server, live_server)
    sign_out(page)
    sign_in_and_see_account(page)
    sign_out(page)
    assert page.url == live_server.url + "/"
    assert len(smtp_server.messages) == 1, "Only the confirmation email should have been sent"


def test_sign_up_confirm_sign_in_and_out(page, smtp_server, live_server):
    open_sign_up_form(page)

    # Mistakes: no name, passwords that differ.
    fill_sign_up_form(page, name="", email=EMAIL, password=PASSWORD, again="another-password-99")
    expect_error_summary(page, [NAME_MISSING, PASSWORDS_DIFFER])
    # The summary takes focus so a screen reader announces it at once.
    expect(page.locator(".error-summary")).to_be_focused()
    expect(field_error(page, "id_full_name")).to_contain_text(NAME_MISSING)
    expect(field_error(page, "id_password2")).to_contain_text(PASSWORDS_DIFFER)
    name_input = page.get_by_label(NAME_LABEL, exact=True)
    expect(name_input).to_have_attribute("aria-invalid", "true")
    # Screen readers read the message with the field.
    expect(name_input).to_have_attribute("aria-describedby", re.compile(r"\bid_full_name_error\b"))
    # What they typed is kept, except passwords, which are never sent back.
    expect(page.get_by_label(EMAIL_LABEL, exact=True)).to_have_value(EMAIL)
    expect(page.get_by_label(PASSWORD_LABEL, exact=True)).to_have_value("")
    check_page(page)
    # A link in the summary takes them to the field.
    page.locator(".error-summary").get_by_role("link", name=NAME_MISSING).click()
    expect(page.get_by_label(NAME_LABEL, exact=True)).to_be_focused()
    assert not User.objects.filter(email=EMAIL).exists()

    fill_sign_up_form(page, name=NAME, email=EMAIL, password=PASSWORD, again=PASSWORD)
    finish_the_journey(page, smtp_server, live_server)


def test_sign_up_journey_works_without_javascript(page_no_js, smtp_server, live_server):
    page = page_no_js
    open_sign_up_form(page)

    # Mistakes: an email address without a domain, passwords that differ. The form is posted
    # and answered by the server alone.
    fill_sign_up_form(
        page, name=NAME, email="ann@example", password=PASSWORD, again="another-password-99"
    )
    expect(heading(page)).to_have_text("Create an account")
    expect_error_summary(page, [EMAIL_INVALID, PASSWORDS_DIFFER])
    expect(field_error(page, "id_email")).to_contain_text(EMAIL_INVALID)
    # No script ran (site.js would have moved focus to the summary).
    expect(page.locator(".error-summary")).not_to_be_focused()
    expect(page.get_by_label(NAME_LABEL, exact=True)).to_have_value(NAME)
    expect(page.get_by_label(EMAIL_LABEL, exact=True)).to_have_value("ann@example")
    check_page(page)
    assert not User.objects.filter(email=EMAIL).exists()

    # They correct the email address and type the passwords again; the name is still there.
    page.get_by_label(EMAIL_LABEL, exact=True).fill(EMAIL)
    page.get_by_label(PASSWORD_LABEL, exact=True).fill(PASSWORD)
    page.get_by_label(PASSWORD_AGAIN_LABEL, exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    finish_the_journey(page, smtp_server, live_server)
