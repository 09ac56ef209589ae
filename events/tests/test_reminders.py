"""Reminders go 24 hours and 1 hour before each session, once each, only to people with a
confirmed place; the joining link is in the 1-hour one only."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from events import services
from events.models import ReminderLog
from events.tasks import send_reminder
from events.tests.factories import EventFactory
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JOIN = "https://video.example.org/j/secret-room-123"


@pytest.fixture
def booked(django_capture_on_commit_callbacks):
    """An online event starting in 30 hours: two confirmed, one waiting, one cancelled."""
    start = timezone.now() + timedelta(hours=30)
    event = EventFactory(
        capacity=2,
        join_url=JOIN,
        format="online",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    ann, bob, cat, dan = (
        UserFactory(email=f"{n}@example.org") for n in ("ann", "bob", "cat", "dan")
    )
    with django_capture_on_commit_callbacks(execute=True):
        for person in (ann, bob, cat):
            services.event_register(event=event, user=person)
        services.registration_cancel(registration=services.event_register(event=event, user=dan))
    # Registered two days ago, well before the reminders are due.
    event.registrations.update(placed_at=timezone.now() - timedelta(days=2))
    mail.outbox.clear()
    return event


def run(django_capture_on_commit_callbacks, now=None):
    with django_capture_on_commit_callbacks(execute=True):
        return services.reminders_queue_due(now=now)


def sent():
    return sorted((m.to[0], m.subject) for m in mail.outbox)


def test_each_reminder_goes_once_to_confirmed_places_only(
    booked, django_capture_on_commit_callbacks
):
    start = booked.starts_at
    assert run(django_capture_on_commit_callbacks, now=start - timedelta(hours=25)) == 0
    assert mail.outbox == []

    assert run(django_capture_on_commit_callbacks, now=start - timedelta(hours=23, minutes=55)) == 2
    assert [to for to, _ in sent()] == ["ann@example.org", "bob@example.org"]
    assert all("Tomorrow:" in subject for _, subject in sent())
    assert all(JOIN not in m.body and JOIN not in m.alternatives[0].content for m in mail.outbox)

    # Run every few minutes: nothing goes twice.
    for minutes in (50, 45, 30):
        assert (
            run(
                django_capture_on_commit_callbacks, now=start - timedelta(hours=23, minutes=minutes)
            )
            == 0
        )
    assert len(mail.outbox) == 2
    mail.outbox.clear()

    assert run(django_capture_on_commit_callbacks, now=start - timedelta(minutes=58)) == 2
    assert [to for to, _ in sent()] == ["ann@example.org", "bob@example.org"]
    assert all("Starting in an hour" in subject for _, subject in sent())
    assert all(JOIN in m.body and JOIN in m.alternatives[0].content for m in mail.outbox)
    assert run(django_capture_on_commit_callbacks, now=start - timedelta(minutes=50)) == 0
    assert len(mail.outbox) == 2
    assert ReminderLog.objects.filter(delivered_at__isnull=False).count() == 4


def test_the_management_command_queues_what_is_due(booked, django_capture_on_commit_callbacks):
    booked.starts_at = timezone.now() + timedelta(minutes=40)
    booked.save()
    booked.sessions.update(
        starts_at=booked.starts_at, ends_at=booked.starts_at + timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_event_reminders", verbosity=0)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_event_reminders", verbosity=0)
    assert [to for to, _ in sent()] == ["ann@example.org", "bob@example.org"]


def test_late_bookings_get_only_the_hour_reminder(booked, django_capture_on_commit_callbacks):
    start = booked.starts_at
    booked.registrations.filter(email="ann@example.org").update(
        placed_at=start - timedelta(hours=5)
    )
    run(django_capture_on_commit_callbacks, now=start - timedelta(hours=4))
    assert [to for to, _ in sent()] == ["bob@example.org"]
    run(django_capture_on_commit_callbacks, now=start - timedelta(minutes=30))
    assert sum(to == "ann@example.org" for to, _ in sent()) == 1


def test_a_reminder_queued_before_a_cancellation_is_not_sent(
    booked, django_capture_on_commit_callbacks
):
    start = booked.starts_at
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.reminders_queue_due(now=start - timedelta(hours=23))
    services.registration_cancel(
        registration=booked.registrations.get(email="ann@example.org"), notify=False
    )
    for callback in queued:
        callback()
    assert [to for to, _ in sent()] == ["bob@example.org"]  # cat got ann's place too late


def test_a_reminder_task_run_twice_sends_once(booked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.reminders_queue_due(now=booked.starts_at - timedelta(hours=23))
    log = ReminderLog.objects.first()
    assert send_reminder.call(reminder_id=log.pk) == 1
    assert send_reminder.call(reminder_id=log.pk) == 0
    assert len(mail.outbox) == 1


def test_a_moved_session_gets_fresh_reminders(
    booked, coordinator, django_capture_on_commit_callbacks
):
    start = booked.starts_at
    run(django_capture_on_commit_callbacks, now=start - timedelta(hours=23))
    assert len(mail.outbox) == 2
    later = start + timedelta(days=1)
    services.event_update(
        event=booked,
        actor=coordinator,
        sessions=[services.SessionTimes(later, later + timedelta(hours=1))],
    )
    mail.outbox.clear()
    run(django_capture_on_commit_callbacks, now=later - timedelta(hours=23))
    assert [to for to, _ in sent()] == ["ann@example.org", "bob@example.org"]


def test_no_reminders_for_cancelled_events(booked, coordinator, django_capture_on_commit_callbacks):
    services.event_cancel(event=booked, actor=coordinator)
    mail.outbox.clear()
    assert run(django_capture_on_commit_callbacks, now=booked.starts_at - timedelta(hours=23)) == 0
    assert mail.outbox == []
