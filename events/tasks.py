"""Background work for events. Tasks take primary keys and are safe to run twice."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from core.email import absolute_url, build_email
from events import formatting
from events import ics as ics_files
from events.models import (
    EventStatus,
    Registration,
    RegistrationStatus,
    ReminderKind,
    ReminderLog,
)

# A registration email is only worth sending while the registration is in the state it
# describes (a "your place is confirmed" queued just before a cancellation stays unsent).
TEMPLATE_STATUSES = {
    "events/confirm_email": {RegistrationStatus.UNCONFIRMED},
    "events/confirmed": {RegistrationStatus.CONFIRMED},
    "events/promoted": {RegistrationStatus.CONFIRMED},
    "events/waitlisted": {RegistrationStatus.WAITLISTED},
    "events/registration_cancelled": {RegistrationStatus.CANCELLED},
    "events/changed": {RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED},
    "events/event_cancelled": {RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED},
    "events/feedback_request": {RegistrationStatus.CONFIRMED},
}


def email_context(registration: Registration, *, session=None, join_url: bool = False) -> dict:
    """What every registration email may show. The joining link only when asked for (the
    one-hour reminder) and only for a confirmed place."""
    from events.services import (
        CANCEL_SALT,
        CONFIRM_SALT,
        FEEDBACK_SALT,
        registration_token,
    )

    event = registration.event
    sessions = list(event.sessions.all())
    context = {
        "registration": registration,
        "event": event,
        "name": registration.name,
        "title": event.title,
        "event_url": absolute_url(event.get_absolute_url()),
        "when": formatting.when(event.starts_at, event.ends_at, event.tz),
        "zone": formatting.zone_label(event.time_zone),
        "sessions": [
            {
                "number": s.number,
                "when": formatting.when(s.starts_at, s.ends_at, event.tz),
                "title": s.title,
            }
            for s in sessions
        ],
        "where": ics_files._location(event),
        "cancel_url": absolute_url(
            reverse(
                "events:cancel_link",
                kwargs={"token": registration_token(registration, CANCEL_SALT)},
            )
        ),
        "confirm_url": absolute_url(
            reverse(
                "events:confirm_email",
                kwargs={"token": registration_token(registration, CONFIRM_SALT)},
            )
        ),
        "feedback_url": absolute_url(
            reverse(
                "events:feedback_link",
                kwargs={"token": registration_token(registration, FEEDBACK_SALT)},
            )
        ),
    }
    if session is not None:
        context["session_when"] = formatting.when(session.starts_at, session.ends_at, event.tz)
    if join_url and registration.is_confirmed and event.is_online and event.join_url:
        context["join_url"] = event.join_url
    return context


def _attach_calendar(message, registration: Registration) -> None:
    message.attach(
        "event.ics", ics_files.event_calendar(registration.event).decode("utf-8"), "text/calendar"
    )


@task(queue_name="email")
def send_registration_email(*, registration_id: int, template: str, ics: bool = False) -> int:
    """Send one registration email, with the event's calendar file when ``ics``. Returns the
    number sent (0 when the registration is gone or no longer in the state it describes)."""
    registration = Registration.objects.select_related("event").filter(pk=registration_id).first()
    if registration is None:
        return 0
    expected = TEMPLATE_STATUSES.get(template)
    if expected is not None and registration.status not in expected:
        return 0
    message = build_email(
        to=registration.email, template=template, context=email_context(registration)
    )
    if ics:
        _attach_calendar(message, registration)
    return message.send()


@task(queue_name="email")
def send_reminder(*, reminder_id: int) -> int:
    """Send one queued reminder, unless it has gone already, the place was given up, the event
    was cancelled or the session moved. The reminder is claimed before sending, so a task run
    twice sends it once; if sending fails the claim is released for a retry."""
    log = (
        ReminderLog.objects.select_related("registration__event", "session")
        .filter(pk=reminder_id)
        .first()
    )
    if log is None or log.delivered_at is not None:
        return 0
    registration, session = log.registration, log.session
    if (
        registration.status != RegistrationStatus.CONFIRMED
        or registration.event.status != EventStatus.PUBLISHED
        or session.starts_at != log.session_starts_at
        or session.starts_at <= timezone.now()
    ):
        return 0
    claimed = ReminderLog.objects.filter(pk=log.pk, delivered_at__isnull=True).update(
        delivered_at=timezone.now()
    )
    if not claimed:
        return 0
    hour = log.kind == ReminderKind.HOUR_BEFORE
    template = "events/reminder_1h" if hour else "events/reminder_24h"
    try:
        message = build_email(
            to=registration.email,
            template=template,
            context=email_context(registration, session=session, join_url=hour),
        )
        return message.send()
    except Exception:
        with transaction.atomic():
            ReminderLog.objects.filter(pk=log.pk).update(delivered_at=None)
        raise
