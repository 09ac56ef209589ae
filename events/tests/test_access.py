"""Every event URL with a real event, as every role: visitors and members see public pages;
organisers (coordinators, the author, admins of the host organisation) see the rest."""

import pytest
from django.urls import reverse

from conftest import ROLES
from events import services
from events.models import EventVisibility
from events.tests.factories import EventFactory

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
V, M, A, C = ROLES

ORGANISER_PAGES = [
    "edit",
    "cancel_event",
    "attendees",
    "attendees_csv",
    "attendance",
    "feedback_results",
    "host",
    "breakouts",
]


@pytest.fixture
def hosted_event(db, organisation):
    """A public event run by the org admin's organisation."""
    return EventFactory(host_organisation=organisation, capacity=10)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["detail", "ics", "register", *ORGANISER_PAGES])
def test_public_event_pages_by_role(name, role, client_for, hosted_event):
    expected = {
        "detail": everyone_ok(),
        "ics": everyone_ok(),
        "register": {V: OK, M: OK, A: OK, C: OK},
    }.get(name, {V: REDIRECT, M: FORBIDDEN, A: OK, C: OK})
    response = client_for(role).get(reverse(f"events:{name}", kwargs={"pk": hosted_event.pk}))
    assert response.status_code == expected[role], f"{name} as {role}"


def everyone_ok():
    return dict.fromkeys(ROLES, OK)


@pytest.mark.parametrize("role", ROLES)
def test_members_events_are_hidden_from_visitors(role, client_for):
    event = EventFactory(visibility=EventVisibility.MEMBERS)
    response = client_for(role).get(reverse("events:detail", kwargs={"pk": event.pk}))
    assert response.status_code == (NOT_FOUND if role == V else OK)


@pytest.mark.parametrize("role", ROLES)
def test_a_members_submission_is_seen_by_its_author_and_coordinators_only(
    role, client_for, request
):
    from datetime import timedelta

    from django.utils import timezone

    author = request.getfixturevalue("member")
    start = timezone.now() + timedelta(days=5)
    event = services.event_create(
        actor=author,
        sessions=[services.SessionTimes(start, start + timedelta(hours=1))],
        title="Our open day",
        kind="member-event",
    )
    response = client_for(role).get(reverse("events:detail", kwargs={"pk": event.pk}))
    assert response.status_code == {V: NOT_FOUND, M: OK, A: NOT_FOUND, C: OK}[role]


def test_coordinator_only_actions(client, member, coordinator):
    event = EventFactory(status="submitted")
    client.force_login(member)
    assert client.post(reverse("events:publish", kwargs={"pk": event.pk})).status_code == 403
    client.force_login(coordinator)
    assert client.post(reverse("events:publish", kwargs={"pk": event.pk})).status_code == 302


def test_publishing_never_redirects_to_another_site(client, coordinator):
    event = EventFactory(status="draft")
    client.force_login(coordinator)
    response = client.post(
        reverse("events:publish", kwargs={"pk": event.pk}), {"next": "https://evil.example.com/"}
    )
    assert response["Location"] == event.get_absolute_url()
    response = client.post(
        reverse("events:publish", kwargs={"pk": event.pk}), {"next": reverse("events:review")}
    )
    assert response["Location"] == reverse("events:review")


def test_a_groups_event_is_seen_by_its_members_and_nobody_else(client, db):
    from events.models import EventVisibility
    from events.permissions import can_register, can_view_event
    from events.tests.factories import EventFactory
    from groups.models import Group, Membership
    from members.tests.factories import UserFactory

    event = EventFactory(visibility=EventVisibility.INVITED, title="Youth network session")
    group = Group.objects.create(name="Youth loneliness network", slug="youth", kind="closed")
    group.events.add(event)
    inside, outside = UserFactory(), UserFactory()
    Membership.objects.create(group=group, user=inside)

    assert can_view_event(inside, event) and can_register(inside, event)
    assert not can_view_event(outside, event)
    client.force_login(inside)
    assert "Youth network session" in client.get("/events/").content.decode()
    client.force_login(outside)
    assert "Youth network session" not in client.get("/events/").content.decode()
    assert client.get(event.get_absolute_url()).status_code == 404
