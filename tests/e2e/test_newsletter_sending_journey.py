"""A coordinator tries to schedule an issue for a time already past (a clear message, what they
typed kept), then watches a send's progress: with JavaScript the figures update in place until
sending finishes; without it, a link refreshes them. Every page passes axe-core on a phone."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from members.tests.factories import CoordinatorFactory
from newsletter.models import Delivery
from newsletter.services import sending
from newsletter.tests.factories import IssueFactory, IssueItemFactory, SubscriberFactory
from tests.e2e.pages import check_page


def sign_in_as(page: Page, user, live_server) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_schedule_mistake_then_watch_the_send(new_page, live_server, javascript, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    coordinator = CoordinatorFactory()
    issue = IssueFactory(subject="Network news")
    IssueItemFactory(issue=issue, title="Lunch club opens")
    SubscriberFactory.create_batch(6)

    page = new_page(javascript=javascript)
    sign_in_as(page, coordinator, live_server)
    page.goto(f"/newsletter/manage/{issue.pk}/")
    check_page(page)
    page.get_by_label("Send at (UK time)").fill("2020-01-02T09:30")
    page.get_by_role("button", name="Schedule this issue").click()
    expect(page.get_by_text("Choose a date and time in the future.").first).to_be_visible()
    expect(page.get_by_label("Send at (UK time)")).to_have_value("2020-01-02T09:30")
    check_page(page)

    # Sending has started (the worker is slow today): two of six are out.
    sending.issue_send_now(issue=issue, by=coordinator, enqueue=False)
    first_two = Delivery.objects.order_by("id").values_list("id", flat=True)[:2]
    Delivery.objects.filter(id__in=list(first_two)).update(status=Delivery.Status.SENT)
    page.goto(f"/newsletter/manage/{issue.pk}/")
    progress = page.locator("#send-progress")
    expect(progress.get_by_role("heading", name="Sending")).to_be_visible()
    expect(progress).to_contain_text("2 sent")
    expect(progress).to_contain_text("4 still to send")
    check_page(page)

    sending.issue_work(issue_pk=issue.pk)  # the worker catches up
    if javascript:
        # htmx polls the fragment; the page itself is not reloaded
        page.evaluate("window.samePage = true")
        expect(progress.get_by_role("heading", name="Sending finished")).to_be_visible(timeout=8000)
        expect(page.locator("#send-progress")).to_contain_text("6 sent")
        assert page.evaluate("window.samePage") is True
        check_page(page)
    else:
        page.get_by_role("link", name="Refresh to see how far it has got").click()
        expect(page.locator("#send-progress")).to_contain_text("Sending finished")
        check_page(page)
    expect(page.locator("#issue-figures")).to_be_visible()

    # The progress page on its own (where the fragment lives)
    page.goto(f"/newsletter/manage/{issue.pk}/progress/")
    expect(page.locator("#send-progress")).to_contain_text("6 sent")
    check_page(page)
