"""An issue's figures (recipients, delivered, bounces, complaints, opt-outs, clicks) and the
click counter's redirect: per link, never per person, and never an open redirect."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from newsletter.models import ConsentRecord, Delivery, LinkClick
from newsletter.selectors.figures import issue_figures, issue_progress
from newsletter.services import clicks, sending
from newsletter.services.subscribers import subscriber_unsubscribe
from newsletter.tests.factories import IssueFactory, IssueItemFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

LUNCH = "https://example.org/lunch/?a=1&b=2"


def _send(issue, count):
    people = SubscriberFactory.create_batch(count)
    sending.issue_send_now(issue=issue, by=None, enqueue=False)
    sending.issue_work(issue_pk=issue.pk)
    return people


@pytest.fixture
def issue(db):
    issue = IssueFactory()
    IssueItemFactory(issue=issue, title="Lunch club", url=LUNCH)
    IssueItemFactory(issue=issue, title="Grant", url="https://example.org/grant/")
    return issue


def _make_history(issue, people):
    deliveries = {d.subscriber_id: d for d in Delivery.objects.filter(issue=issue)}
    Delivery.objects.filter(pk=deliveries[people[0].pk].pk).update(bounced="hard")
    Delivery.objects.filter(pk=deliveries[people[1].pk].pk).update(bounced="soft")
    Delivery.objects.filter(pk=deliveries[people[2].pk].pk).update(complained=True)
    Delivery.objects.filter(pk=deliveries[people[3].pk].pk).update(
        status=Delivery.Status.FAILED, error="550"
    )
    subscriber_unsubscribe(subscriber=people[4], method=ConsentRecord.Method.ONE_CLICK, issue=issue)
    subscriber_unsubscribe(subscriber=people[5], method=ConsentRecord.Method.ACCOUNT)  # not via it


def test_figures_count_what_happened_to_the_issue(issue, settings):
    settings.NEWSLETTER_COUNT_CLICKS = True
    people = _send(issue, 8)
    _make_history(issue, people)
    clicks.link_click_count(issue=issue, url=LUNCH)
    clicks.link_click_count(issue=issue, url=LUNCH)
    clicks.link_click_count(issue=issue, url="https://example.org/grant/")
    figures = issue_figures(issue)
    assert figures.recipients == 8
    assert figures.sent == 7
    assert figures.delivered == 6  # sent, less the hard bounce
    assert (figures.bounced_hard, figures.bounced_soft, figures.complaints) == (1, 1, 1)
    assert figures.failed == 1 and figures.remaining == 0
    assert figures.unsubscribed == 1
    assert figures.clicks == [(LUNCH, 2), ("https://example.org/grant/", 1)]


def test_figures_and_progress_take_the_same_queries_however_many_recipients(
    issue, django_assert_num_queries
):
    people = _send(issue, 8)
    _make_history(issue, people)
    with django_assert_num_queries(3):
        issue_figures(issue)
    with django_assert_num_queries(1):
        issue_progress(issue)
    other = IssueFactory()
    IssueItemFactory(issue=other)
    more = _send(other, 40)
    _make_history(other, more)
    for n in range(10):
        LinkClick.objects.create(issue=other, url=f"https://example.org/{n}/", count=n + 1)
    with django_assert_num_queries(3):
        figures = issue_figures(other)
    assert figures.recipients == 46 and len(figures.clicks) == 10  # 48, less two who left
    with django_assert_num_queries(1):
        issue_progress(other)


def test_the_figures_fragment_shows_the_numbers(issue, settings):
    from django.template.loader import render_to_string

    people = _send(issue, 8)
    _make_history(issue, people)
    html = render_to_string(
        "newsletter/_partials/figures.html", {"issue": issue, "figures": issue_figures(issue)}
    )
    assert "<strong>8</strong> recipients" in html
    assert "<strong>6</strong> delivered" in html
    assert "<strong>1</strong> unsubscribed from this issue" in html
    assert "Clicks are not counted" in html


# --- Counting clicks --------------------------------------------------------------------------


def _click_links(html):
    return re.findall(r'href="(http[^"]*/newsletter/click/[^"]+)"', html)


def test_with_counting_on_links_go_through_the_counter_and_land_where_they_should(
    issue, client, settings
):
    settings.NEWSLETTER_COUNT_CLICKS = True
    _send(issue, 2)
    first, second = mail.outbox
    html = first.alternatives[0][0]
    links = _click_links(html)
    assert len(links) >= 2
    assert LUNCH.replace("&", "&amp;") not in html  # the real link is only behind the counter
    assert "/newsletter/unsubscribe/" in html  # personal links are not rewritten
    # rewritten once for the issue, not per person: both copies carry the same click links
    assert _click_links(second.alternatives[0][0]) == links
    assert "/newsletter/click/" not in first.body  # the text part keeps plain links

    lunch = next(
        link for link in links if clicks.read_click_token(link.rsplit("/", 2)[-2])[1] == LUNCH
    )
    path = lunch.removeprefix(settings.SITE_URL).replace("&amp;", "&")
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == LUNCH
    assert LinkClick.objects.get(issue=issue, url=LUNCH).count == 3
    assert not hasattr(LinkClick, "subscriber")  # nothing about who clicked is kept


def test_the_counter_is_no_open_redirect(issue, client, settings):
    settings.NEWSLETTER_COUNT_CLICKS = True
    _send(issue, 1)
    # a validly signed token for a link that is not in the issue
    token = clicks.click_token(issue.pk, "https://evil.example.com/")
    assert client.get(reverse("newsletter:click", kwargs={"token": token})).status_code == 404
    # a forged token
    assert client.get(reverse("newsletter:click", kwargs={"token": "abc:def"})).status_code == 404
    # a draft issue's links are not followed either
    draft = IssueFactory()
    IssueItemFactory(issue=draft, url="https://example.org/draft/")
    token = clicks.click_token(draft.pk, "https://example.org/draft/")
    assert client.get(reverse("newsletter:click", kwargs={"token": token})).status_code == 404
    assert not LinkClick.objects.exists()


def test_with_counting_off_links_are_plain_and_old_counter_links_still_work(
    issue, client, settings
):
    settings.NEWSLETTER_COUNT_CLICKS = False
    _send(issue, 1)
    html = mail.outbox[0].alternatives[0][0]
    assert not _click_links(html)
    assert LUNCH.replace("&", "&amp;") in html
    token = clicks.click_token(issue.pk, LUNCH)
    response = client.get(reverse("newsletter:click", kwargs={"token": token}))
    assert response.status_code == 302 and response["Location"] == LUNCH
    assert not LinkClick.objects.exists()  # followed, not counted
