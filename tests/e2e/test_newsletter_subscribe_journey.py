"""Subscribing to the newsletter and leaving it, in a real browser on a phone-sized screen,
with JavaScript and without.

A visitor makes a mistake on the subscribe form (the page says what to fix and keeps what was
typed), subscribes, reads the confirmation email (over SMTP), confirms with the button the
link opens, goes to their preference centre and changes what they receive, then uses the
unsubscribe link from a newsletter. Every page passes ``check_page``: zero axe-core
(WCAG 2.2 AA) violations, fits 360 px, no other host, no browser errors.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from groups.models import Frequency, Membership
from groups.tests.factories import make_group, make_member
from members.tests.factories import CoordinatorFactory, UserFactory
from newsletter import links
from newsletter.models import ConsentRecord, Subscriber
from newsletter.tests.factories import IssueFactory, SubscriberFactory
from tests.e2e.pages import check_page


def sign_in_as(page: Page, user, live_server) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.mark.parametrize("which", ["page", "page_no_js"])
def test_subscribe_confirm_change_preferences_and_unsubscribe(
    which, request, smtp_server, live_server, settings
):
    settings.SITE_URL = live_server.url
    page = request.getfixturevalue(which)
    email = f"visitor-{which.replace('_', '-')}@example.net"

    # A first attempt with a mistake: the page says what to fix, beside the field.
    page.goto("/newsletter/subscribe/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscribe to our emails")
    check_page(page)
    page.get_by_label("Your name").fill("Vi")
    page.get_by_label("Email address").fill("vi at example")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Vi")
    expect(page.locator("#id_email_error")).to_contain_text("correct format")
    expect(page.locator("#id_streams_error")).to_contain_text("Choose at least one")
    check_page(page)

    # Now properly, asking for event announcements too.
    page.get_by_label("Email address").fill(email)
    page.get_by_label("The fortnightly newsletter", exact=False).check()
    page.get_by_label("Event announcements", exact=False).check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_page(page)

    [message] = smtp_server.wait_for(1)
    assert message.rcpt_tos == (email,)
    assert message.text and message.html
    confirm_link = message.link_containing(live_server.url + "/newsletter/confirm/")
    assert not Subscriber.objects.wanting("newsletter").exists()

    # The link opens a page with a button: opening it alone confirms nothing.
    page.goto(confirm_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    check_page(page)
    assert Subscriber.objects.get(email=email).confirmed_at is None
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are subscribed")
    check_page(page)
    subscriber = Subscriber.objects.wanting("newsletter").get(email=email)
    assert subscriber.wants_events

    # The preference centre: stop event announcements.
    page.get_by_role("link", name="Change what you receive").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email preferences")
    events_box = page.get_by_label("Event announcements", exact=False)
    expect(events_box).to_be_checked()
    check_page(page)
    events_box.uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.locator(".messages")).to_contain_text("Your choices have been saved")
    expect(page.get_by_label("Event announcements", exact=False)).not_to_be_checked()
    check_page(page)
    subscriber.refresh_from_db()
    assert subscriber.wants_newsletter and not subscriber.wants_events

    # A newsletter's unsubscribe link: one button, then a way back.
    issue = IssueFactory()
    page.goto(links.unsubscribe_url(subscriber, issue))
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from the newsletter")
    check_page(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    check_page(page)
    subscriber.refresh_from_db()
    assert not subscriber.wants_newsletter
    record = subscriber.consents.filter(action="opt_out", stream="newsletter").get()
    assert (record.method, record.issue) == (ConsentRecord.Method.UNSUBSCRIBE_LINK, issue)

    page.get_by_role("link", name="Subscribe again or choose what you receive").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email preferences")
    check_page(page)


def test_asking_for_a_preference_link(page, smtp_server, live_server, settings):
    settings.SITE_URL = live_server.url
    page.goto("/newsletter/preferences/send-link/")
    check_page(page)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check_page(page)
    page.get_by_label("Email address").fill("nobody@example.net")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_page(page)
    assert smtp_server.messages == []


def test_a_member_changes_their_emails_from_their_account(page_no_js, live_server):
    page = page_no_js
    member = UserFactory(full_name="Mo Member")
    group = make_group()
    make_member(group, member)
    sign_in_as(page, member, live_server)
    page.goto("/account/")
    check_page(page)
    page.get_by_role("link", name="Choose which emails you get", exact=False).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email preferences")
    expect(page.get_by_label("Group digests", exact=False)).to_be_checked()
    check_page(page)
    page.get_by_label("Group digests", exact=False).uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.locator(".messages")).to_contain_text("Your choices have been saved")
    check_page(page)
    assert Membership.objects.get(user=member, group=group).email_frequency == Frequency.NONE


def test_coordinators_subscriber_page(page, live_server):
    SubscriberFactory(email="reader@example.net", name="Rea")
    SubscriberFactory(email="pending@example.net", confirmed_at=None)
    sign_in_as(page, CoordinatorFactory(), live_server)
    page.goto("/newsletter/subscribers/")
    expect(page.get_by_role("table", name="How many subscribers")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("reader@example.net")
    check_page(page)
