"""Registration: places, the waitlist, cancelling, visitors confirming by email, and the emails
each step sends."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from events import services
from events.models import EventStatus, Registration, RegistrationStatus
from events.tests.factories import EventFactory
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def register(event, user, **kwargs):
    return services.event_register(event=event, user=user, **kwargs)


def subjects():
    return [m.subject for m in mail.outbox]


def test_a_member_gets_a_confirmed_place_and_an_email_with_a_calendar_file(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(title="June get-together", capacity=10)
    member = UserFactory(full_name="Ann Jones")
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, member, access_needs="Captions please")

    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.name == "Ann Jones"
    assert registration.access_needs == "Captions please"
    [message] = mail.outbox
    assert message.to == [member.email]
    assert "Your place is confirmed: June get-together" in message.subject
    assert message.alternatives[0].mimetype == "text/html"
    assert "/events/cancel/" in message.body  # a cancel link
    [(filename, content, mimetype)] = message.attachments
    assert filename == "event.ics" and mimetype == "text/calendar"
    calendar = Calendar.from_ical(content)
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "June get-together"


def test_when_the_event_is_full_people_join_the_waitlist_in_order(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(capacity=2)
    people = UserFactory.create_batch(4)
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [register(event, person).status for person in people]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert sum("You are on the waitlist" in s for s in subjects()) == 2


def test_a_cancellation_promotes_the_first_on_the_waitlist_and_tells_them(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(capacity=1, title="Tea and chat")
    first, second, third = UserFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        booked = register(event, first)
        register(event, second)
        register(event, third)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=booked)

    statuses = dict(Registration.objects.values_list("user_id", "status"))
    assert statuses == {first.pk: "cancelled", second.pk: "confirmed", third.pk: "waitlisted"}
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "A place came free" in by_recipient[second.email].subject
    assert by_recipient[second.email].attachments  # the calendar file
    assert "You have cancelled" in by_recipient[first.email].subject
    assert third.email not in by_recipient


def test_cancelling_twice_or_leaving_the_waitlist_promotes_nobody_extra(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(capacity=1)
    first, second, third = UserFactory.create_batch(3)
    booked = register(event, first)
    waiting = register(event, second)
    register(event, third)
    services.registration_cancel(registration=waiting)
    services.registration_cancel(registration=waiting)
    assert event.registrations.filter(status="confirmed").get() == booked
    services.registration_cancel(registration=booked)
    services.registration_cancel(registration=booked)
    assert event.registrations.filter(status="confirmed").get().user == third


def test_registering_again_keeps_the_one_registration_and_resends_its_email(
    django_capture_on_commit_callbacks,
):
    event = EventFactory()
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = register(event, member)
        again = register(event, member, answer="Looking forward to it")
    assert first.pk == again.pk
    assert event.registrations.count() == 1
    assert again.answer == "Looking forward to it"
    assert len(mail.outbox) == 2


def test_someone_who_cancelled_can_register_again():
    event = EventFactory(capacity=5)
    member = UserFactory()
    services.registration_cancel(registration=register(event, member))
    again = register(event, member)
    assert again.status == "confirmed"
    assert event.registrations.count() == 2


def test_a_visitor_confirms_their_email_before_taking_a_place(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        registration = services.event_register(
            event=event, name=" Jo  Bloggs ", email="Jo@Example.org"
        )
    assert registration.status == RegistrationStatus.UNCONFIRMED
    assert registration.email == "jo@example.org"
    assert registration.name == "Jo Bloggs"
    [message] = mail.outbox
    assert "Confirm your place" in message.subject
    # The link carries a signed token for this registration (signed with the time it was
    # made, so it is read back rather than made again here, which differs across a second).
    [token] = re.findall(r"/events/confirm/([^/\s]+)/", message.body)
    assert services.registration_from_token(token, services.CONFIRM_SALT) == registration

    # An unconfirmed registration holds no place.
    member = UserFactory()
    assert register(event, member).status == "confirmed"

    with django_capture_on_commit_callbacks(execute=True):
        placed = services.registration_confirm_email(registration=registration)
    assert placed.status == RegistrationStatus.WAITLISTED
    assert "You are on the waitlist" in mail.outbox[-1].subject
    # Confirming again changes nothing.
    assert services.registration_confirm_email(registration=placed).status == "waitlisted"


def test_signed_links_are_checked():
    event = EventFactory()
    registration = services.event_register(event=event, name="Jo", email="jo@example.org")
    token = services.registration_token(registration, services.CANCEL_SALT)
    assert services.registration_from_token(token, services.CANCEL_SALT) == registration
    with pytest.raises(services.InvalidLink):
        services.registration_from_token(token + "x", services.CANCEL_SALT)
    with pytest.raises(services.InvalidLink):  # a cancel link is not a confirm link
        services.registration_from_token(token, services.CONFIRM_SALT)


@pytest.mark.parametrize(
    "change",
    [
        {"status": EventStatus.CANCELLED},
        {"status": EventStatus.DRAFT},
        {"external_url": "https://example.org/book"},
        {"starts_at": timezone.now() - timedelta(minutes=5)},
    ],
)
def test_no_registration_for_events_that_are_cancelled_unpublished_external_or_started(change):
    event = EventFactory()
    for name, value in change.items():
        setattr(event, name, value)
    event.save()
    with pytest.raises(services.EventError):
        register(event, UserFactory())
    assert not event.registrations.exists()


def test_more_places_fill_from_the_waitlist_and_changes_are_announced(
    django_capture_on_commit_callbacks, coordinator
):
    event = EventFactory(capacity=1)
    first, second = UserFactory.create_batch(2)
    register(event, first)
    register(event, second)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(event=event, actor=coordinator, capacity=2, summary="Bigger room")
    assert event.registrations.filter(status="confirmed").count() == 2
    assert [m.to for m in mail.outbox] == [[second.email]]  # a summary change is not news
    mail.outbox.clear()

    later = event.starts_at + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(
            event=event,
            actor=coordinator,
            sessions=[services.SessionTimes(later, later + timedelta(hours=1))],
        )
    event.refresh_from_db()
    assert event.starts_at == later
    assert event.sequence == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email, second.email])
    assert all(m.subject.startswith("[") is False or "Changed" in m.subject for m in mail.outbox)
    calendar = Calendar.from_ical(mail.outbox[0].attachments[0][1])
    assert calendar.walk("VEVENT")[0]["SEQUENCE"] == 1


def test_cancelling_an_event_tells_everyone_registered_or_waiting(
    django_capture_on_commit_callbacks, coordinator
):
    event = EventFactory(capacity=1)
    first, second, third = UserFactory.create_batch(3)
    register(event, first)
    register(event, second)
    services.registration_cancel(registration=register(event, third), notify=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(event=event, actor=coordinator, reason="The venue flooded.")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email, second.email])
    message = mail.outbox[0]
    assert "Cancelled:" in message.subject and "The venue flooded." in message.body
    [vevent] = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED"
    with pytest.raises(services.EventError):
        register(event, UserFactory())


def test_a_fixed_series_takes_one_registration_for_all_its_sessions():
    event = EventFactory(sessions=6, capacity=15)
    registration = register(event, UserFactory())
    assert event.sessions.count() == 6
    assert event.registrations.get() == registration
    calendar = Calendar.from_ical(
        __import__("events.ics", fromlist=["event_calendar"]).event_calendar(event)
    )
    assert len(calendar.walk("VEVENT")) == 6


def test_a_recurring_series_schedules_its_next_events_on_its_rule(coordinator):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from events.models import Series

    london = ZoneInfo("Europe/London")
    series = Series.objects.create(
        title="Monthly get-together", slug="monthly", rule="FREQ=MONTHLY;BYDAY=1TU"
    )
    start = datetime(2031, 1, 7, 12, 30, tzinfo=london)  # the first Tuesday of January
    template = EventFactory(
        series=series,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=30,
        recording_url="https://video.example.org/january",
    )
    made = services.series_schedule(series=series, template=template, count=3, actor=coordinator)
    assert [e.local_start for e in made] == [
        datetime(2031, 2, 4, 12, 30, tzinfo=london),
        datetime(2031, 3, 4, 12, 30, tzinfo=london),
        datetime(2031, 4, 1, 12, 30, tzinfo=london),  # British Summer Time: still 12:30
    ]
    assert all(e.capacity == 30 and e.recording_url == "" for e in made)
    assert all(e.sessions.get().starts_at == e.starts_at for e in made)
    # Scheduling again skips the dates already taken.
    again = services.series_schedule(series=series, template=template, count=1)
    assert again[0].local_start == datetime(2031, 5, 6, 12, 30, tzinfo=london)
