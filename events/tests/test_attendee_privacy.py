"""Who sees a registrant's email address on the attendee list and in its CSV export
(``selectors.attendees_for`` and the ``attendees`` and ``attendees_csv`` views).

A member hosting their own event sees a signed-in registrant's address only where that
person's privacy choice lets members see it; coordinators see every address; a visitor's
address, typed into the booking form after being told who will see it, is shown to the host.
"""

import csv
import io

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events import services
from events.models import EventKind, EventVisibility
from events.tests.factories import EventFactory
from members.models import Visibility
from members.tests.factories import CoordinatorFactory, UserFactory

pytestmark = pytest.mark.django_db

SHARED = "shared.with.members@example.org"
HIDDEN = "kept.private@example.org"
GUEST = "guest.visitor@example.org"


@pytest.fixture
def host():
    return UserFactory(full_name="Hana Host")


@pytest.fixture
def event(host):
    """A members' own event, created by ``host`` (a member, not a coordinator), with one
    registrant who lets members see their email, one who hid it and one visitor."""
    event = EventFactory(
        kind=EventKind.MEMBER_EVENT,
        visibility=EventVisibility.PUBLIC,
        created_by=host,
        capacity=2,
    )
    sharer = UserFactory(email=SHARED, full_name="Sam Sharer", email_visibility=Visibility.MEMBERS)
    private = UserFactory(email=HIDDEN, full_name="Pat Private", email_visibility=Visibility.HIDDEN)
    services.event_register(event=event, user=sharer)
    services.event_register(event=event, user=private)
    guest = services.event_register(event=event, name="Gail Guest", email=GUEST)
    services.registration_confirm_email(registration=guest)  # full: she joins the waitlist
    return event


def attendees_page(client, event) -> str:
    response = client.get(reverse("events:attendees", kwargs={"pk": event.pk}))
    assert response.status_code == 200
    return response.content.decode()


def attendees_csv(client, event) -> dict[str, str]:
    """``{name: email}`` from the export."""
    response = client.get(reverse("events:attendees_csv", kwargs={"pk": event.pk}))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    return {row["Name"]: row["Email"] for row in rows}


def email_cells(page: str) -> dict[str, str]:
    """``{name: what the list shows under it}`` from the attendee table."""
    soup = BeautifulSoup(page, "html.parser")
    cells = {}
    for row in soup.select("table tbody tr"):
        first = row.find("td")
        cells[first.contents[0].strip()] = first.find("span").get_text(strip=True)
    return cells


def test_a_member_hosting_sees_an_address_shared_with_members_but_not_a_hidden_one(
    client, host, event
):
    client.force_login(host)
    page = attendees_page(client, event)
    assert email_cells(page) == {
        "Sam Sharer": SHARED,
        "Pat Private": "Email address not shared",
        "Gail Guest": GUEST,
    }
    assert HIDDEN not in page
    assert "Members choose who sees their email address" in page

    exported = attendees_csv(client, event)
    assert exported == {"Sam Sharer": SHARED, "Pat Private": "", "Gail Guest": GUEST}


def test_an_admin_of_the_host_organisation_follows_the_same_rule(client, event, org_admin):
    event.host_organisation = org_admin.org_memberships.get().organisation
    event.save(update_fields=["host_organisation"])
    client.force_login(org_admin)
    page = attendees_page(client, event)
    assert SHARED in page and GUEST in page and HIDDEN not in page
    assert attendees_csv(client, event)["Pat Private"] == ""


def test_coordinators_see_every_address(client, event):
    client.force_login(CoordinatorFactory())
    page = attendees_page(client, event)
    assert email_cells(page) == {"Sam Sharer": SHARED, "Pat Private": HIDDEN, "Gail Guest": GUEST}
    assert "Members choose who sees their email address" not in page
    assert attendees_csv(client, event) == {
        "Sam Sharer": SHARED,
        "Pat Private": HIDDEN,
        "Gail Guest": GUEST,
    }


def test_a_host_registered_for_their_own_event_sees_their_own_address(client, host, event):
    host.email_visibility = Visibility.HIDDEN
    host.save(update_fields=["email_visibility"])
    services.event_register(event=event, user=host)
    client.force_login(host)
    assert email_cells(attendees_page(client, event))["Hana Host"] == host.email


def test_the_booking_form_tells_a_visitor_who_will_see_their_email(client, event):
    page = client.get(reverse("events:register", kwargs={"pk": event.pk})).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    email_input = soup.find("input", attrs={"name": "email"})
    hint_ids = email_input["aria-describedby"].split()
    hints = " ".join(soup.find(id=i).get_text(" ", strip=True) for i in hint_ids)
    assert (
        "The organiser and the network's coordinators will see your email address so they can "
        "contact you about this event." in hints
    )


def test_the_one_click_booking_tells_a_member_how_their_email_is_shared(client, event):
    client.force_login(UserFactory())
    page = client.get(event.get_absolute_url()).content.decode()
    assert "They see your email address only if" in page
    assert reverse("members:profile_edit") in page


def test_the_attendee_list_costs_the_same_queries_for_few_or_many_registrations(
    client, host, event
):
    client.force_login(host)
    url = reverse("events:attendees", kwargs={"pk": event.pk})
    csv_url = reverse("events:attendees_csv", kwargs={"pk": event.pk})

    def count(address):
        with CaptureQueriesContext(connection) as context:
            assert client.get(address).status_code == 200
        return len(context.captured_queries)

    few = count(url)
    few_csv = count(csv_url)
    for i in range(15):
        visibility = [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.HIDDEN][i % 3]
        services.event_register(event=event, user=UserFactory(email_visibility=visibility))
    for i in range(5):
        guest = services.event_register(
            event=event, name=f"Guest {i}", email=f"guest{i}@example.org"
        )
        services.registration_confirm_email(registration=guest)
    assert count(url) == few
    assert count(csv_url) == few_csv
