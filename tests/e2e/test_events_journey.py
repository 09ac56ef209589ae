"""Events in a real browser, on a phone-sized screen.

1. A member books the last place in one click (htmx) and receives the confirmation, over SMTP,
   with a calendar file the icalendar library reads back; the event is now full, so the next
   member (without JavaScript) joins the waitlist; the first cancels and the second is
   promoted, told by email and sees the joining link.
2. The other event pages (lists, month view, calendar feed settings, the organiser's pages)
   pass the same checks, with and without JavaScript.

Every page passes ``check_page``: zero axe-core (WCAG 2.2 AA) violations, fits a 360 px
screen, no other host, no browser errors (so no Content-Security-Policy violation either).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Page, expect

from events import services
from events.models import EventVisibility, RegistrationStatus, Series
from events.tests.factories import EventFactory
from members.tests.factories import CoordinatorFactory, UserFactory
from tests.e2e.pages import check_page, sign_in_as

JOIN = "https://video.example.org/j/journey-room"


def registration_box(page: Page):
    return page.locator("#registration")


def calendar_attachment(message) -> Calendar:
    parts = [part for part in message.message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one calendar file attached"
    assert parts[0].get_filename() == "event.ics"
    return Calendar.from_ical(parts[0].get_content())


@pytest.fixture
def full_soon(db):
    return EventFactory(
        title="Winter get-together",
        capacity=1,
        format="online",
        join_url=JOIN,
        visibility=EventVisibility.MEMBERS,
        description="Bring a cup of tea.\n\n## What happens\n\nSmall rooms, new people.",
    )


def test_book_fill_waitlist_cancel_and_promote(
    page, page_no_js, smtp_server, live_server, settings, full_soon
):
    settings.SITE_URL = live_server.url
    ann = UserFactory(full_name="Ann Example", email="ann@example.org")
    bob = UserFactory(full_name="Bob Example", email="bob@example.org")

    # Ann finds the event and books the one place in one click.
    sign_in_as(page, ann, live_server)
    page.goto(reverse("events:list"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Events and get-togethers")
    check_page(page)
    page.get_by_role("link", name="Winter get-together").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Winter get-together")
    expect(page.get_by_role("main")).not_to_contain_text(JOIN)
    check_page(page)
    registration_box(page).get_by_role("button", name="Book a place").click()
    expect(registration_box(page)).to_contain_text("You have a place.")
    expect(registration_box(page).get_by_role("link", name="Join online")).to_have_attribute(
        "href", JOIN
    )
    check_page(page)

    [confirmation] = smtp_server.wait_for(1)
    assert confirmation.rcpt_tos == ("ann@example.org",)
    assert "Your place is confirmed: Winter get-together" in confirmation.subject
    assert confirmation.text and confirmation.html
    calendar = calendar_attachment(confirmation)
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Winter get-together"
    assert str(vevent["UID"]) == full_soon.uid
    assert vevent.decoded("DTSTART") == full_soon.starts_at
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert JOIN not in confirmation.raw.decode("utf-8", "replace")
    cancel_link = confirmation.link_containing(live_server.url + "/events/cancel/")

    # The event is full: Bob, without JavaScript, joins the waitlist.
    sign_in_as(page_no_js, bob, live_server)
    page_no_js.goto(full_soon.get_absolute_url())
    expect(page_no_js.get_by_role("main")).to_contain_text("Full – you can join the waitlist")
    check_page(page_no_js)
    registration_box(page_no_js).get_by_role("button", name="Join the waitlist").click()
    expect(registration_box(page_no_js)).to_contain_text("You are number 1 on the waitlist.")
    expect(page_no_js.locator(".messages")).to_contain_text("you are on the waitlist")
    expect(page_no_js.get_by_role("main")).not_to_contain_text(JOIN)
    check_page(page_no_js)
    [waitlisted] = smtp_server.wait_for(2)[1:]
    assert waitlisted.rcpt_tos == ("bob@example.org",)
    assert "You are on the waitlist" in waitlisted.subject

    # Ann follows the cancel link from her email: it asks first, then cancels.
    page.goto(cancel_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your place")
    check_page(page)
    page.get_by_role("button", name="Cancel my place").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have cancelled")
    check_page(page)

    messages = smtp_server.wait_for(4)
    promoted = next(
        m for m in messages if m.rcpt_tos == ("bob@example.org",) and "came free" in m.subject
    )
    assert calendar_attachment(promoted).walk("VEVENT")[0]["UID"] == full_soon.uid
    assert full_soon.registrations.get(user=bob).status == RegistrationStatus.CONFIRMED

    # Bob now has the place and the joining link.
    page_no_js.reload()
    expect(registration_box(page_no_js)).to_contain_text("You have a place.")
    expect(registration_box(page_no_js).get_by_role("link", name="Join online")).to_be_visible()
    check_page(page_no_js)

    # Ann's page offers the place again (the event is full once more: the waitlist).
    page.goto(full_soon.get_absolute_url())
    expect(registration_box(page).get_by_role("button", name="Join the waitlist")).to_be_visible()
    check_page(page)


@pytest.fixture
def programme(db):
    coordinator = CoordinatorFactory(email="cerys@example.org")
    members = UserFactory.create_batch(6)
    event = EventFactory(
        title="Spring get-together",
        capacity=20,
        format="hybrid",
        venue_name="Ashby Community Centre",
        venue_address="1 High Street\nAshby",
        venue_postcode="LS1 4AP",
        venue_accessibility="Step-free entrance and a hearing loop.",
        join_url=JOIN,
        registration_question="What would you like to talk about?",
    )
    for person in members:
        services.event_register(event=event, user=person)
    services.breakout_plan_create(
        event=event, actor=coordinator, sessions=list(event.sessions.all()), room_size=3
    )
    services.prompts_replace(actor=coordinator, texts=["Share something you have read recently."])
    past_start = timezone.now() - timedelta(days=10)
    webinar = EventFactory(
        title="Autumn webinar",
        recording_url="https://video.example.org/recording",
    )
    attendee = services.event_register(event=webinar, user=members[0])
    webinar.starts_at, webinar.ends_at = past_start, past_start + timedelta(hours=1)
    webinar.save()
    webinar.sessions.update(starts_at=webinar.starts_at, ends_at=webinar.ends_at)
    series = Series.objects.create(title="Monthly get-together", slug="monthly")
    EventFactory(
        title="Six-week community of practice",
        sessions=6,
        kind="community-of-practice",
        series=series,
    )
    submitted = services.event_create(
        actor=members[1],
        sessions=[services.SessionTimes(event.starts_at, event.ends_at)],
        title="Our open day",
        kind="member-event",
    )
    token = services.registration_token(attendee, services.FEEDBACK_SALT)
    return coordinator, event, token, submitted


@pytest.mark.parametrize("javascript", [True, False])
def test_event_pages_pass_the_checks(new_page, live_server, settings, programme, javascript):
    settings.SITE_URL = live_server.url
    coordinator, event, feedback_token, submitted = programme
    page = new_page(javascript=javascript)
    # A visitor: lists, the month and the public page of a hybrid event.
    for url, heading in [
        (reverse("events:list"), "Events and get-togethers"),
        (reverse("events:past"), "Past events"),
        (
            reverse("events:month") + f"?month={timezone.localtime(event.starts_at):%Y-%m}",
            re.compile("^Events in"),
        ),
        (event.get_absolute_url(), "Spring get-together"),
        (reverse("events:register", kwargs={"pk": event.pk}), "Book a place"),
    ]:
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_page(page)
    # A visitor's mistake on the booking form is explained; then they book by email.
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page)
    mail.outbox.clear()
    page.get_by_label("Your name").fill("Vera Visitor")
    page.get_by_label("Your email address").fill(f"vera-{javascript}@example.org")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_page(page)
    link = re.search(r"http://\S+/events/confirm/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your place")
    check_page(page)
    page.get_by_role("button", name="Confirm my place").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your place is confirmed")
    check_page(page)

    # A series page, and the feedback form from an emailed link.
    page.goto(reverse("events:series", kwargs={"slug": "monthly"}))
    expect(page.get_by_role("heading", level=1)).to_have_text("Monthly get-together")
    check_page(page)
    page.goto(reverse("events:feedback_link", kwargs={"token": feedback_token}))
    expect(page.get_by_role("heading", level=1)).to_have_text("How was it?")
    check_page(page)
    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page)
    page.get_by_label("4 – good").check()
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    check_page(page)

    # The coordinator's pages.
    sign_in_as(page, coordinator, live_server)
    for name, heading in [
        ("detail", "Spring get-together"),
        ("edit", "Change the event"),
        ("attendees", "Who is coming"),
        ("attendance", "Who came"),
        ("breakouts", "Plan breakout rooms"),
        ("host", "Host screen"),
        ("feedback_results", "Feedback"),
        ("cancel_event", "Cancel the event"),
    ]:
        page.goto(reverse(f"events:{name}", kwargs={"pk": event.pk}))
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_page(page)
    page.goto(reverse("events:reject", kwargs={"pk": submitted.pk}))
    expect(page.get_by_role("heading", level=1)).to_have_text("Turn down this event")
    check_page(page)
    for name, heading in [
        ("review", "Events to review"),
        ("prompts", "Conversation prompts"),
        ("mine", "My events"),
        ("feed_settings", "Your calendar feed"),
        ("new", "Create an event"),
    ]:
        page.goto(reverse(f"events:{name}"))
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_page(page)
    # An empty event form explains every mistake at the top.
    page.get_by_role("button", name="Save as a draft").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page)
