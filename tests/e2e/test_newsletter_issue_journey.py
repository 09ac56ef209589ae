"""A coordinator starts a newsletter issue from what is new in the network, drops one item,
moves another up, writes an introduction and previews the email on a phone-sized and a
desktop-sized frame; once the issue is sent, its public archive page shows what was sent.
With JavaScript, htmx drops and moves items in place; without it, the same buttons are plain
form posts. Every page (and the email inside the preview frames) passes axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from events.tests.factories import EventFactory
from learning.tests.factories import ResourceFactory
from members.tests.factories import CoordinatorFactory, OrganisationFactory
from newsletter.models import Issue
from tests.e2e.pages import DESKTOP, check_page


def sign_in_as(page: Page, user, live_server) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def news_in_the_network():
    now = timezone.now()
    EventFactory(title="Winter get-together", starts_at=now + timedelta(days=10))
    EventFactory(title="Funding webinar", starts_at=now + timedelta(days=20))
    ResourceFactory(title="Running a welcoming space")
    OrganisationFactory(
        name="Harbour Lunch Club",
        description="Lunches for older people on the coast.",
        approved_at=now - timedelta(days=1),
    )


def start_issue(page: Page) -> None:
    page.goto("/coordinator/")
    check_page(page)
    page.get_by_role("link", name="Newsletter: compose and send issues").click()
    expect(heading(page)).to_have_text("Newsletter issues")
    check_page(page)
    page.get_by_role("button", name="Start a new issue").click()
    expect(heading(page)).to_have_text("Issue #1: Coalition newsletter #1")
    expect(page.get_by_text("Issue #1 is started with 4 items from what is new.")).to_be_visible()
    check_page(page)


def item(page: Page, title: str):
    return page.locator(".issue-item").filter(has=page.get_by_role("heading", name=title))


def test_compose_preview_and_publish_an_issue(new_page, live_server):
    news_in_the_network()
    coordinator = CoordinatorFactory(full_name="Cerys Coordinator")
    page = new_page(javascript=True)
    sign_in_as(page, coordinator, live_server)
    start_issue(page)
    page.evaluate("window.samePage = true")  # gone if the page loads again

    # Drop one item: htmx swaps its section in place and keeps the focus on the button.
    page.get_by_role("button", name="Drop “Running a welcoming space”").click()
    dropped = item(page, "Running a welcoming space")
    expect(dropped.get_by_text("Dropped: not in the issue")).to_be_visible()
    include = page.get_by_role("button", name="Include “Running a welcoming space”")
    expect(include).to_be_focused()
    announce = page.get_by_role("status").filter(has_text="is dropped")
    expect(announce).to_have_text("“Running a welcoming space” is dropped.")
    assert page.evaluate("window.samePage === true")
    check_page(page)

    # Move the webinar above the get-together.
    events = page.locator("#section-events .issue-item h4")
    expect(events).to_have_text(["Winter get-together", "Funding webinar"])
    page.get_by_role("button", name="Move up “Funding webinar”").click()
    expect(events).to_have_text(["Funding webinar", "Winter get-together"])
    expect(page.get_by_role("button", name="Move down “Funding webinar”")).to_be_focused()
    assert page.evaluate("window.samePage === true")
    check_page(page)

    # A subject line and an introduction, with a mistake first.
    page.get_by_label("Subject line").fill("")
    page.get_by_label("Introduction").fill("Hello from **the network**.")
    page.get_by_role("button", name="Save the subject and introduction").click()
    expect(page.get_by_text("Enter a subject line.").first).to_be_visible()
    expect(page.get_by_label("Introduction")).to_have_value("Hello from **the network**.")
    check_page(page)
    page.get_by_label("Subject line").fill("Winter in the network")
    page.get_by_role("button", name="Save the subject and introduction").click()
    expect(page.get_by_text("The subject and introduction are saved.")).to_be_visible()
    check_page(page)

    # A notice of the coordinator's own: a mistake first, and nothing typed is lost.
    page.get_by_role("link", name="Add your own item").first.click()
    expect(heading(page)).to_have_text("Add your own item")
    check_page(page)
    page.get_by_label("Summary").fill("Our office is closed from 23 December.")
    page.get_by_label("Link").fill("not a web address")
    page.get_by_role("button", name="Add the item").click()
    expect(page).to_have_title(re.compile("^Error: Add your own item"))
    expect(page.get_by_text("Enter a title.").first).to_be_visible()
    expect(page.get_by_text("Choose a section.").first).to_be_visible()
    expect(page.get_by_label("Summary")).to_have_value("Our office is closed from 23 December.")
    check_page(page)
    page.get_by_label("Member news").check()
    page.get_by_label("Title").fill("Christmas opening hours")
    page.get_by_label("Link").fill("")
    page.get_by_role("button", name="Add the item").click()
    expect(page.get_by_text("Your item is added.")).to_be_visible()
    expect(item(page, "Christmas opening hours")).to_be_visible()
    check_page(page)
    # ... and its words changed afterwards.
    item(page, "Christmas opening hours").get_by_role("link", name="Edit the words").click()
    expect(heading(page)).to_have_text("Edit an item")
    check_page(page)
    page.get_by_label("Title").fill("Christmas and New Year opening hours")
    page.get_by_role("button", name="Save the item").click()
    expect(item(page, "Christmas and New Year opening hours")).to_be_visible()
    check_page(page)

    # Preview on a phone: both frames hold the email, and the text version is below.
    page.get_by_role("link", name="Preview the email on a phone and on a computer").click()
    expect(heading(page)).to_have_text("Preview")
    narrow = page.frame_locator(".preview-frame--narrow")
    expect(narrow.get_by_text("Hello Cerys,")).to_be_visible()
    expect(narrow.get_by_role("link", name="Funding webinar")).to_be_visible()
    expect(narrow.get_by_text("Running a welcoming space")).to_have_count(0)
    expect(page.locator(".preview-text")).to_contain_text("Hello from **the network**.")
    check_page(page)
    preview_url = page.url
    # The email on its own, as a phone's mail program shows it: accessible and no wider.
    page.get_by_role("link", name="Open the HTML email on its own").click()
    expect(page.get_by_role("heading", name="Coming up")).to_be_visible()
    check_page(page)
    page.goto(preview_url)
    check_page(page)

    # ... and on a desktop, where the frames are 360 and 700 pixels wide.
    desktop = new_page(javascript=True, viewport=DESKTOP)
    sign_in_as(desktop, coordinator, live_server)
    desktop.goto(page.url)
    wide = desktop.frame_locator(".preview-frame--wide")
    expect(wide.get_by_text("the network", exact=True)).to_be_visible()
    expect(wide.locator("h2").first).to_have_text("Coming up")
    check_page(desktop)
    narrow_box = desktop.locator(".preview-frame--narrow").bounding_box()
    wide_box = desktop.locator(".preview-frame--wide").bounding_box()
    assert 355 <= narrow_box["width"] <= 370, narrow_box
    assert 695 <= wide_box["width"] <= 710, wide_box

    # Sent (by the sending part; here straight in the database): its archive page is public.
    Issue.objects.filter(number=1).update(status=Issue.Status.SENT, sent_at=timezone.now())
    visitor = new_page(javascript=True)
    visitor.goto("/")
    check_page(visitor)
    visitor.get_by_role("contentinfo").get_by_role("link", name="Newsletter").click()
    expect(heading(visitor)).to_have_text("Newsletter")
    check_page(visitor)
    visitor.get_by_role("link", name="#1: Winter in the network").click()
    expect(heading(visitor)).to_have_text("Winter in the network")
    expect(visitor.get_by_role("link", name="Funding webinar")).to_be_visible()
    expect(visitor.get_by_role("link", name="Harbour Lunch Club")).to_be_visible()
    expect(visitor.get_by_text("Running a welcoming space")).to_have_count(0)
    expect(visitor.get_by_role("link", name="Subscribe to the newsletter")).to_be_visible()
    check_page(visitor)

    # For the coordinator the sent issue is now read-only, with its figures.
    page.goto("/newsletter/manage/")
    expect(page.locator(".figures li", has_text="sent").locator("strong")).to_have_text("1")
    check_page(page)
    page.get_by_role("link", name="Winter in the network").click()
    expect(
        page.get_by_text("This issue has been sent, so it can no longer be changed.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Drop “Funding webinar”")).to_have_count(0)
    expect(page.get_by_role("heading", name="Figures for this issue")).to_be_visible()
    check_page(page)


def test_include_drop_and_move_without_javascript(new_page, live_server):
    news_in_the_network()
    coordinator = CoordinatorFactory()
    page = new_page(javascript=False)
    sign_in_as(page, coordinator, live_server)
    start_issue(page)

    page.get_by_role("button", name="Drop “Harbour Lunch Club”").click()
    expect(page.get_by_text("“Harbour Lunch Club” is dropped.")).to_be_visible()
    expect(
        item(page, "Harbour Lunch Club").get_by_text("Dropped: not in the issue")
    ).to_be_visible()
    check_page(page)

    page.get_by_role("button", name="Include “Harbour Lunch Club”").click()
    expect(page.get_by_text("“Harbour Lunch Club” is back in the issue.")).to_be_visible()
    expect(item(page, "Harbour Lunch Club").get_by_text("In the issue")).to_be_visible()
    check_page(page)

    page.get_by_role("button", name="Move down “Winter get-together”").click()
    expect(page.locator("#section-events .issue-item h4")).to_have_text(
        ["Funding webinar", "Winter get-together"]
    )
    check_page(page)
