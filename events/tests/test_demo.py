"""The demo programme: a plausible set of events whose pages all render."""

import random

import pytest
from django.urls import reverse

from core.management.commands.seed_demo import DemoContext
from events import demo
from events.models import BreakoutRoom, Event, EventKind, EventStatus, Feedback, Series
from members import demo as members_demo

pytestmark = pytest.mark.django_db


def test_the_demo_programme_is_plausible_and_its_pages_render(client):
    ctx = DemoContext(rng=random.Random(5), orgs=10, people=40)
    members_demo.seed(ctx)
    demo.seed(ctx)
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert kinds == set(EventKind.values)
    monthly = Series.objects.get(slug="monthly-get-together")
    assert monthly.events.count() == 10
    community = Event.objects.get(kind=EventKind.COMMUNITY_OF_PRACTICE)
    assert community.sessions.count() == 6
    assert community.registrations.filter(status="confirmed").count() == 15
    assert Event.objects.filter(status=EventStatus.SUBMITTED).count() == 2
    assert BreakoutRoom.objects.exists() and Feedback.objects.exists()

    assert client.login(email="coordinator@example.org", password="coalition-demo-2026")
    for url in [
        reverse("events:list"),
        reverse("events:past"),
        reverse("events:month"),
        reverse("events:review"),
        reverse("events:feed"),
    ]:
        assert client.get(url).status_code == 200, url
    for event in Event.objects.all():
        assert client.get(event.get_absolute_url()).status_code == 200
        assert client.get(reverse("events:host", kwargs={"pk": event.pk})).status_code == 200
