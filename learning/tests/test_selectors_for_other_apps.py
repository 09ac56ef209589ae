"""What the events and members pages will show: an event's recordings, an organisation's case
studies (the selectors the lead wires into those pages)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from events.tests.factories import EventFactory
from learning.models import Resource, ResourceKind, ResourceVisibility
from learning.selectors import case_studies_for_organisation, recordings_for_event
from learning.tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def test_recordings_for_event_respect_visibility(member):
    event = EventFactory(starts_at=timezone.now() - timedelta(days=3))
    public = ResourceFactory(kind=ResourceKind.RECORDING, event=event)
    members = ResourceFactory(
        kind=ResourceKind.RECORDING, event=event, visibility=ResourceVisibility.MEMBERS
    )
    ResourceFactory(kind=ResourceKind.RECORDING, event=event, status="pending")
    ResourceFactory(kind=ResourceKind.RECORDING)  # another event's
    assert recordings_for_event(event) == [public]
    assert recordings_for_event(event, viewer=AnonymousUser()) == [public]
    assert set(recordings_for_event(event, viewer=member)) == {public, members}


def test_case_studies_for_organisation(organisation, member):
    case = ResourceFactory(kind=ResourceKind.CASE_STUDY)
    case.organisations.add(organisation)
    hidden = ResourceFactory(kind=ResourceKind.CASE_STUDY, visibility="members")
    hidden.organisations.add(organisation)
    guide = ResourceFactory(kind=ResourceKind.GUIDE)
    guide.organisations.add(organisation)
    assert case_studies_for_organisation(organisation) == [case]
    assert set(case_studies_for_organisation(organisation, viewer=member)) == {case, hidden}


def test_a_member_links_a_recording_to_its_event(client, member):
    event = EventFactory(
        title="Webinar: warm welcomes", starts_at=timezone.now() - timedelta(days=3)
    )
    EventFactory(title="Next month", starts_at=timezone.now() + timedelta(days=30))
    client.force_login(member)
    form_page = client.get(reverse("learning:submit")).text
    assert "Webinar: warm welcomes" in form_page and "Next month" not in form_page
    data = {
        "title": "Recording: warm welcomes",
        "kind": "guide",
        "summary": "The recording.",
        "url": "https://video.example.org/1",
        "event": event.pk,
        "licence": "cc-by-4.0",
        "visibility": "members",
    }
    response = client.post(reverse("learning:submit"), data)
    assert "Only a recording can belong to an event." in response.text
    client.post(reverse("learning:submit"), {**data, "kind": "recording"})
    resource = Resource.objects.get()
    assert resource.event == event
    assert "Webinar: warm welcomes" in client.get(resource.get_absolute_url()).text
