"""After an event: attendance, recordings and slides, the feedback form and its results; and
the host's tools (prompts, breakout planner pages)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from events import services
from events.models import Attendance, BreakoutRoom, ConversationPrompt, Feedback
from events.tests.factories import EventFactory
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(django_capture_on_commit_callbacks):
    """An event that has just happened: three had places."""
    event = EventFactory(capacity=10, recording_url="https://video.example.org/recording")
    people = [UserFactory(full_name=n) for n in ("Ann", "Bob", "Cat")]
    with django_capture_on_commit_callbacks(execute=True):
        for person in people:
            services.event_register(event=event, user=person)
    start = timezone.now() - timedelta(hours=3)
    event.starts_at, event.ends_at = start, start + timedelta(hours=1)
    event.save()
    event.sessions.update(starts_at=event.starts_at, ends_at=event.ends_at)
    mail.outbox.clear()
    return event


def test_attendance_is_recorded_and_the_feedback_form_goes_to_those_who_came(
    client, coordinator, finished, django_capture_on_commit_callbacks
):
    ann, bob, cat = finished.registrations.order_by("name")
    client.force_login(coordinator)
    url = reverse("events:attendance", kwargs={"pk": finished.pk})
    assert b"Ann" in client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"session": "1", "attended": [ann.pk, cat.pk], "then": "feedback"})
    attended = dict(Attendance.objects.values_list("registration__name", "attended"))
    assert attended == {"Ann": True, "Bob": False, "Cat": True}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ann.email, cat.email])
    assert AuditEntry.objects.filter(action="events.feedback.request").exists()
    # Only once.
    assert services.feedback_request(event=finished, actor=coordinator) == 0
    # Saving again with nobody ticked marks everyone absent.
    client.post(url, {"session": "1"})
    assert not Attendance.objects.filter(attended=True).exists()


def test_feedback_through_the_emailed_link_and_the_results(
    client, coordinator, finished, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_request(event=finished, actor=coordinator)
    links = [m.body.split("/events/feedback/")[1].split()[0].rstrip("/") for m in mail.outbox]
    assert len(links) == 3
    response = client.post(f"/events/feedback/{links[0]}/", {"comment": "Lovely"})
    assert b"There is a problem" in response.content  # no rating
    client.post(f"/events/feedback/{links[0]}/", {"rating": "5", "comment": "Lovely  people"})
    client.post(f"/events/feedback/{links[1]}/", {"rating": "3"})
    client.post(f"/events/feedback/{links[0]}/", {"rating": "4", "comment": "Lovely people"})
    assert Feedback.objects.count() == 2  # a second answer replaces the first
    assert client.get("/events/feedback/forged/").status_code == 400

    client.force_login(coordinator)
    page = client.get(reverse("events:feedback_results", kwargs={"pk": finished.pk}))
    content = page.content.decode()
    assert page.context["summary"].average == 3.5
    assert "Lovely people" in content
    assert page.context["summary"].distribution == [(5, 0), (4, 1), (3, 1), (2, 0), (1, 0)]


def test_a_signed_in_attendee_gives_feedback_and_sees_the_recording(client, finished):
    registration = finished.registrations.first()
    client.force_login(registration.user)
    page = client.get(reverse("events:detail", kwargs={"pk": finished.pk})).content.decode()
    assert "Watch the recording" in page and "Tell us how it was" in page
    client.post(reverse("events:feedback", kwargs={"pk": finished.pk}), {"rating": "5"})
    assert Feedback.objects.get().rating == 5
    other = UserFactory()
    client.force_login(other)
    assert client.get(reverse("events:feedback", kwargs={"pk": finished.pk})).status_code == 404


def test_coordinators_edit_prompts_and_the_host_sees_them(client, coordinator, finished):
    client.force_login(coordinator)
    client.post(
        reverse("events:prompts"),
        {
            "prompts": "Share something you have read recently\n\n  What challenge could we help with?  \n"
        },
    )
    assert list(ConversationPrompt.objects.values_list("text", flat=True)) == [
        "Share something you have read recently",
        "What challenge could we help with?",
    ]
    page = client.get(reverse("events:host", kwargs={"pk": finished.pk})).content.decode()
    assert "What challenge could we help with?" in page


def test_the_host_plans_rooms_through_the_page(client, coordinator):
    event = EventFactory(capacity=20)
    for person in UserFactory.create_batch(9):
        services.event_register(event=event, user=person)
    ids = list(event.registrations.order_by("id").values_list("pk", flat=True))
    client.force_login(coordinator)
    url = reverse("events:breakouts", kwargs={"pk": event.pk})
    session = event.sessions.get()
    response = client.post(
        url, {"room_size": "3", "rounds": "2", "sessions": [session.pk], "apart_1_a": ids[0]}
    )
    assert b"Choose both people." in response.content
    response = client.post(
        url,
        {
            "room_size": "3",
            "rounds": "2",
            "sessions": [session.pk],
            "together_1_a": ids[0],
            "together_1_b": ids[1],
            "apart_1_a": ids[0],
            "apart_1_b": ids[2],
        },
    )
    assert response.status_code == 302
    assert BreakoutRoom.objects.filter(session=session).count() == 6
    host = client.get(reverse("events:host", kwargs={"pk": event.pk})).content.decode()
    assert "Room 3" in host and "Round 2" in host


def test_feed_settings_page_creates_resets_and_turns_off_the_address(client, member):
    client.force_login(member)
    url = reverse("events:feed_settings")
    client.post(url, {"action": "create"})
    first = client.get(url).context["feed_url"]
    assert "/events/feed/" in first
    client.post(url, {"action": "reset"})
    second = client.get(url).context["feed_url"]
    assert second != first
    assert client.get(first.split("testserver", 1)[1]).status_code == 404
    client.post(url, {"action": "revoke"})
    assert client.get(url).context["token"] is None
