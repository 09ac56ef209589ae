"""The events list, month view and calendar feed cost the same number of queries with a
handful of events as with 20,000."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Event, EventStatus, EventVisibility, Session
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MANY = 20_000


def make_events(count: int, offset: int = 0) -> None:
    now = timezone.now().replace(microsecond=0)
    events = []
    for i in range(offset, offset + count):
        start = now + timedelta(hours=3 * (i - count // 4))  # a quarter of them past
        events.append(
            Event(
                title=f"Event {i}",
                summary="An event",
                status=EventStatus.PUBLISHED,
                visibility=EventVisibility.PUBLIC if i % 3 else EventVisibility.MEMBERS,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                published_at=now,
            )
        )
    created = Event.objects.bulk_create(events, batch_size=2000)  # sets pks (RETURNING)
    Session.objects.bulk_create(
        [Session(event=e, number=1, starts_at=e.starts_at, ends_at=e.ends_at) for e in created],
        batch_size=2000,
    )


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


URLS = [
    reverse("events:list"),
    reverse("events:list") + "?format=online&kind=get-together",
    reverse("events:past"),
    reverse("events:month"),
    reverse("events:feed"),
]


def test_list_month_and_feed_query_counts_do_not_grow_with_the_events(client):
    member = UserFactory()

    def count_all():
        client.logout()
        counts = {("visitor", url): queries(client, url) for url in URLS}
        client.force_login(member)
        counts |= {("member", url): queries(client, url) for url in URLS}
        return counts

    make_events(5)
    few = count_all()
    make_events(MANY - 5, offset=5)
    assert Event.objects.count() == MANY
    assert count_all() == few
    # A later page costs what the first does.
    first = client.get(reverse("events:list"))
    next_url = first.context["page"].next_url
    assert next_url
    assert queries(client, next_url) == few[("member", reverse("events:list"))]


def test_the_feed_is_bounded(client):
    make_events(1500)
    body = client.get(reverse("events:feed")).content
    from events.selectors import FEED_LIMIT

    assert 0 < body.count(b"BEGIN:VEVENT") <= FEED_LIMIT
