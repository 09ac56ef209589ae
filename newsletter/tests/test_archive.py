"""The public archive (newsletter/views/archive.py, feeds.py): sent issues only, newest first,
each as a web page with the items it was sent with, an RSS feed, and NOTHING personal: no
names or addresses of subscribers, no unsubscribe, preference or click-tracking links."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from newsletter.models import Issue, Section
from newsletter.tests.factories import IssueFactory, IssueItemFactory, SubscriberFactory
from newsletter.tokens import make_token

pytestmark = pytest.mark.django_db

PERSONAL_LINK = re.compile(r"/newsletter/(unsubscribe|preferences|confirm|click)/[^/\"'<\s]+/")


def sent_issue(number, days_ago=1, **kwargs):
    return IssueFactory(
        number=number,
        status=Issue.Status.SENT,
        sent_at=timezone.now() - timedelta(days=days_ago),
        send_started_at=timezone.now() - timedelta(days=days_ago),
        **kwargs,
    )


@pytest.fixture
def issues():
    old = sent_issue(1, days_ago=30, subject="Autumn news", intro="Hello **autumn**.")
    IssueItemFactory(issue=old, section=Section.EVENTS, title="Harvest supper", position=0)
    IssueItemFactory(issue=old, section=Section.NEWS, title="Left out", included=False)
    new = sent_issue(2, days_ago=2, subject="Winter news")
    IssueItemFactory(issue=new, section=Section.MEMBERS, title="Harbour Lunch Club")
    draft = IssueFactory(number=3, subject="Secret draft")
    IssueItemFactory(issue=draft, title="Not yet public")
    IssueFactory(number=4, subject="Scheduled one", status=Issue.Status.SCHEDULED)
    IssueFactory(number=5, subject="Sending one", status=Issue.Status.SENDING)
    return old, new


def test_the_archive_lists_sent_issues_newest_first(client, issues):
    content = client.get(reverse("newsletter:archive")).content.decode()
    assert content.index("Winter news") < content.index("Autumn news")
    for hidden in ("Secret draft", "Scheduled one", "Sending one"):
        assert hidden not in content
    assert reverse("newsletter:archive_issue", kwargs={"number": 2}) in content
    assert reverse("newsletter:feed") in content
    assert "Hello autumn." in content  # the introduction's start, as plain text
    assert "**" not in content


def test_the_archive_is_paginated(client, db):
    for number in range(1, 16):
        sent_issue(number, days_ago=40 - number, subject=f"Issue subject {number:02d}")
    first = client.get(reverse("newsletter:archive")).content.decode()
    assert "Issue subject 15" in first and "Issue subject 03" not in first
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).content.decode()
    assert "Issue subject 03" in second and "Issue subject 15" not in second


def test_a_sent_issue_is_a_web_page_with_the_items_it_was_sent_with(client, issues):
    content = client.get(reverse("newsletter:archive_issue", kwargs={"number": 1})).content
    content = content.decode()
    assert "<h1>Autumn news</h1>" in content
    assert "<strong>autumn</strong>" in content
    assert "Harvest supper" in content and "Coming up" in content
    assert "Left out" not in content
    assert reverse("newsletter:subscribe") in content


@pytest.mark.parametrize("number", [3, 4, 5, 99])
@pytest.mark.parametrize("role", ["visitor", "member", "coordinator"])
def test_an_issue_not_yet_sent_is_not_found_for_everyone(client_for, issues, number, role):
    response = client_for(role).get(reverse("newsletter:archive_issue", kwargs={"number": number}))
    assert response.status_code == 404


def test_the_feed_has_one_entry_per_sent_issue(client, issues):
    response = client.get(reverse("newsletter:feed"))
    content = response.content.decode()
    assert response["Content-Type"].startswith("application/rss+xml")
    assert content.count("<item>") == 2
    assert "#2: Winter news" in content and "Harbour Lunch Club" in content
    assert "http://testserver/newsletter/1/" in content
    assert "Secret draft" not in content and "Left out" not in content


def test_archive_pages_and_feed_carry_nothing_personal(client, issues, settings):
    settings.NEWSLETTER_COUNT_CLICKS = True  # even with click counting on
    people = SubscriberFactory.create_batch(3, name="Zebedee Quill")
    secrets = ["Zebedee Quill", "%%NL_"]
    for person in people:
        secrets.append(person.email)
        secrets.append(make_token("unsubscribe", person.pk, issues[0].pk))
        secrets.append(make_token("preferences", person.pk))
        secrets.append(make_token("click", person.pk, issues[0].pk))
    pages = [
        reverse("newsletter:archive"),
        reverse("newsletter:archive_issue", kwargs={"number": 1}),
        reverse("newsletter:archive_issue", kwargs={"number": 2}),
        reverse("newsletter:feed"),
    ]
    for url in pages:
        content = client.get(url).content.decode()
        for secret in secrets:
            assert secret not in content, (url, secret)
        assert not PERSONAL_LINK.search(content), (url, PERSONAL_LINK.search(content))
        assert "unsubscribe" not in content.lower(), url


def test_archive_pages_cost_the_same_however_many_issues_and_items(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    first = sent_issue(1)
    IssueItemFactory(issue=first)
    urls = [
        reverse("newsletter:archive"),
        reverse("newsletter:archive_issue", kwargs={"number": 1}),
        reverse("newsletter:feed"),
    ]
    few = [count(url) for url in urls]
    for number in range(2, 30):
        IssueItemFactory.create_batch(3, issue=sent_issue(number))
    IssueItemFactory.create_batch(20, issue=first)
    assert [count(url) for url in urls] == few
