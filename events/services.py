"""Every write to events, registrations and the rest of this app. Each function is one
transaction; emails and tasks are queued with ``transaction.on_commit`` so nothing is sent for a
write that rolls back.

Places are allocated under a lock on the event's row (``SELECT ... FOR UPDATE`` on PostgreSQL;
on SQLite every write transaction is ``BEGIN IMMEDIATE``, which serialises writers), so however
many people register at the same moment, confirmed places never exceed the capacity: see
``docs/decisions/0004-events.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core import search
from core.audit import audit_log
from core.email import send_email_on_commit
from core.permissions import is_coordinator
from events.models import (
    ACTIVE_STATUSES,
    Attendance,
    BreakoutPlacement,
    BreakoutPlan,
    BreakoutRoom,
    CalendarFeedToken,
    ConversationPrompt,
    Event,
    EventStatus,
    Feedback,
    Registration,
    RegistrationStatus,
    ReminderKind,
    ReminderLog,
    Series,
    Session,
)

CANCEL_SALT = "events.registration.cancel"
CONFIRM_SALT = "events.registration.confirm-email"
FEEDBACK_SALT = "events.registration.feedback"
CONFIRM_MAX_AGE = 60 * 60 * 24 * 7  # a week to confirm an email address
FEEDBACK_MAX_AGE = 60 * 60 * 24 * 60  # two months to give feedback

# Changing any of these on a published event tells the people registered.
SIGNIFICANT_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "time_zone",
    "format",
    "join_url",
    "venue_name",
    "venue_address",
    "venue_postcode",
)


class EventError(Exception):
    """A request that cannot be carried out; ``str(error)`` is a message for the person."""


class InvalidLink(EventError):
    """A signed link that was altered or has expired."""


# --- Signed links ---------------------------------------------------------------------------


def registration_token(registration: Registration, salt: str) -> str:
    return signing.dumps(registration.pk, salt=salt)


def registration_from_token(token: str, salt: str, max_age: int | None = None) -> Registration:
    """The registration a signed link points at; raises ``InvalidLink``."""
    try:
        pk = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvalidLink(_("This link has expired.")) from exc
    except signing.BadSignature as exc:
        raise InvalidLink(_("This link is not valid. Check it was copied in full.")) from exc
    registration = (
        Registration.objects.select_related("event").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if registration is None:
        raise InvalidLink(_("This link is not valid. Check it was copied in full."))
    return registration


# --- Emails ---------------------------------------------------------------------------------


def _email_registration_on_commit(registration: Registration, template: str, *, ics: bool = False):
    """Queue one registration email (rendered by the task, from primary keys)."""
    from events.tasks import send_registration_email

    pk = registration.pk
    transaction.on_commit(
        lambda: send_registration_email.enqueue(registration_id=pk, template=template, ics=ics)
    )


def _coordinator_emails() -> list[str]:
    from members.models import User

    return list(
        User.objects.filter(is_coordinator=True, is_active=True)
        .order_by("id")
        .values_list("email", flat=True)
    )


# --- Places ---------------------------------------------------------------------------------


def _locked_event(event_id: int) -> Event:
    """The event's row, locked until the transaction ends (PostgreSQL); on SQLite the
    IMMEDIATE transaction already holds the database's write lock."""
    return Event.objects.select_for_update().get(pk=event_id)


def _confirmed_count(event: Event) -> int:
    return event.registrations.filter(status=RegistrationStatus.CONFIRMED).count()


def _has_room(event: Event) -> bool:
    return event.capacity is None or _confirmed_count(event) < event.capacity


def _place(registration: Registration, event: Event) -> None:
    """Give a confirmed place if there is room, else a place on the waitlist (lock held)."""
    registration.status = (
        RegistrationStatus.CONFIRMED if _has_room(event) else RegistrationStatus.WAITLISTED
    )
    registration.placed_at = timezone.now()


def _promote_waitlist(event: Event) -> list[Registration]:
    """Fill free places from the waitlist, first come first served (lock held)."""
    promoted = []
    if event.is_cancelled or event.is_past:
        return promoted
    free = None if event.capacity is None else event.capacity - _confirmed_count(event)
    waiting = event.registrations.filter(status=RegistrationStatus.WAITLISTED).order_by(
        "placed_at", "id"
    )
    if free is not None:
        waiting = waiting[: max(free, 0)]
    for registration in waiting:
        registration.status = RegistrationStatus.CONFIRMED
        registration.save(update_fields=["status"])
        _email_registration_on_commit(registration, "events/promoted", ics=True)
        promoted.append(registration)
    return promoted


def _check_open(event: Event) -> None:
    if event.is_cancelled:
        raise EventError(_("This event has been cancelled."))
    if not event.is_published:
        raise EventError(_("This event is not open for registration."))
    if not event.takes_registrations:
        raise EventError(_("Register for this event on the organiser's website."))
    if event.is_past or event.starts_at <= timezone.now():
        raise EventError(_("Registration has closed: this event has started."))


def _announce_place(registration: Registration) -> None:
    if registration.status == RegistrationStatus.CONFIRMED:
        _email_registration_on_commit(registration, "events/confirmed", ics=True)
    elif registration.status == RegistrationStatus.WAITLISTED:
        _email_registration_on_commit(registration, "events/waitlisted")
    elif registration.status == RegistrationStatus.UNCONFIRMED:
        _email_registration_on_commit(registration, "events/confirm_email")


@transaction.atomic
def event_register(
    *,
    event: Event,
    user=None,
    name: str = "",
    email: str = "",
    access_needs: str = "",
    answer: str = "",
) -> Registration:
    """Ask for a place at ``event``.

    A signed-in person (``user``) gets a confirmed place at once if one is free, otherwise a
    place on the waitlist, and an email saying which (a confirmation carries an .ics file and a
    cancel link). A visitor gives a name and email and first confirms the email address by a
    link we send; only then are they placed. Asking again while registered changes nothing
    but the answers, and sends the email for the current state again. Raises ``EventError``
    when the event does not take registrations.
    """
    event = _locked_event(event.pk)
    _check_open(event)
    if user is not None:
        email = user.email
        name = name or user.get_full_name()
    email = email.strip().lower()
    name = " ".join(name.split())
    if not email or not name:
        raise EventError(_("Enter your name and email address."))
    existing = (
        event.registrations.filter(email=email, status__in=ACTIVE_STATUSES).order_by("id").first()
    )
    if existing is not None:
        existing.access_needs = access_needs.strip() or existing.access_needs
        existing.answer = answer.strip() or existing.answer
        existing.save(update_fields=["access_needs", "answer"])
        _announce_place(existing)
        return existing
    registration = Registration(
        event=event,
        user=user,
        name=name,
        email=email,
        access_needs=access_needs.strip(),
        answer=answer.strip(),
        status=RegistrationStatus.UNCONFIRMED,
    )
    if user is not None:
        _place(registration, event)
    registration.save()
    _announce_place(registration)
    return registration


@transaction.atomic
def registration_confirm_email(*, registration: Registration) -> Registration:
    """A visitor followed the link in their email: place them (confirmed or waitlisted).
    Following it again does nothing more."""
    event = _locked_event(registration.event_id)
    registration = Registration.objects.get(pk=registration.pk)
    if registration.status != RegistrationStatus.UNCONFIRMED:
        return registration
    _check_open(event)
    _place(registration, event)
    registration.save(update_fields=["status", "placed_at"])
    _announce_place(registration)
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration, notify: bool = True) -> Registration:
    """Give up a place (or leave the waitlist). A freed place goes at once to the first person
    on the waitlist, who is told by email. Cancelling twice is harmless."""
    event = _locked_event(registration.event_id)
    registration = Registration.objects.get(pk=registration.pk)
    if registration.status == RegistrationStatus.CANCELLED:
        return registration
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    if notify:
        _email_registration_on_commit(registration, "events/registration_cancelled")
    if was_confirmed:
        _promote_waitlist(event)
    return registration


# --- Events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionTimes:
    starts_at: datetime
    ends_at: datetime
    title: str = ""


def _set_sessions(event: Event, sessions: Sequence[SessionTimes]) -> None:
    if not sessions:
        raise EventError(_("An event needs at least one session."))
    ordered = sorted(sessions, key=lambda s: s.starts_at)
    for item in ordered:
        if item.ends_at <= item.starts_at:
            raise EventError(_("Each session must end after it starts."))
    existing = {s.number: s for s in event.sessions.all()}
    for number, item in enumerate(ordered, start=1):
        session = existing.pop(number, None) or Session(event=event, number=number)
        session.starts_at, session.ends_at, session.title = (
            item.starts_at,
            item.ends_at,
            item.title,
        )
        session.save()
    for session in existing.values():
        session.delete()
    event.starts_at = ordered[0].starts_at
    event.ends_at = max(s.ends_at for s in ordered)
    event.session_count = len(ordered)


@transaction.atomic
def event_create(
    *,
    actor,
    sessions: Sequence[SessionTimes],
    invitees: Iterable = (),
    publish: bool = False,
    **fields,
) -> Event:
    """Create an event with its sessions.

    A coordinator's event starts as a draft (or is published at once with ``publish``); a
    member's event is submitted for a coordinator to approve, and coordinators are told.
    """
    event = Event(created_by=actor, **fields)
    event.starts_at, event.ends_at = sessions[0].starts_at, sessions[0].ends_at
    if is_coordinator(actor):
        event.status = EventStatus.DRAFT
    else:
        event.status = EventStatus.SUBMITTED
    event.save()
    _set_sessions(event, sessions)
    event.save(update_fields=["starts_at", "ends_at", "session_count"])
    if invitees:
        event.invitees.set(invitees)
    search.search_index_update(event)
    if event.status == EventStatus.SUBMITTED:
        recipients = _coordinator_emails()
        if recipients:
            send_email_on_commit(
                to=recipients,
                template="events/submitted",
                context={"title": event.title, "event_id": event.pk},
            )
    elif publish:
        event_publish(event=event, actor=actor)
    return event


@transaction.atomic
def event_publish(*, event: Event, actor) -> Event:
    """Publish a draft (or approve a member's submission): it appears in lists and feeds."""
    event = _locked_event(event.pk)
    if event.status == EventStatus.PUBLISHED:
        return event
    if event.status not in (EventStatus.DRAFT, EventStatus.SUBMITTED, EventStatus.REJECTED):
        raise EventError(_("Only a draft or a submitted event can be published."))
    was_submitted = event.status == EventStatus.SUBMITTED
    event.status = EventStatus.PUBLISHED
    event.published_at = event.updated_at = timezone.now()
    event.rejection_reason = ""
    event.save(update_fields=["status", "published_at", "updated_at", "rejection_reason"])
    audit_log(
        actor=actor,
        action="events.event.approve" if was_submitted else "events.event.publish",
        target=event,
    )
    if was_submitted and event.created_by_id and event.created_by_id != getattr(actor, "pk", None):
        send_email_on_commit(
            to=event.created_by.email,
            template="events/approved",
            context={"title": event.title, "event_id": event.pk},
        )
    return event


@transaction.atomic
def event_reject(*, event: Event, actor, reason: str) -> Event:
    """Turn down a member's submitted event, telling them why."""
    event = _locked_event(event.pk)
    if event.status != EventStatus.SUBMITTED:
        raise EventError(_("Only a submitted event can be turned down."))
    event.status = EventStatus.REJECTED
    event.rejection_reason = reason.strip()
    event.updated_at = timezone.now()
    event.save(update_fields=["status", "rejection_reason", "updated_at"])
    audit_log(
        actor=actor, action="events.event.reject", target=event, reason=event.rejection_reason
    )
    if event.created_by_id:
        send_email_on_commit(
            to=event.created_by.email,
            template="events/rejected",
            context={"title": event.title, "event_id": event.pk, "reason": event.rejection_reason},
        )
    return event


@transaction.atomic
def event_update(
    *,
    event: Event,
    actor,
    sessions: Sequence[SessionTimes] | None = None,
    invitees: Iterable | None = None,
    **fields,
) -> Event:
    """Change an event. If it is published and the time, place or joining link changed,
    everyone registered is told (with an updated calendar file); more places fill from the
    waitlist at once."""
    event = _locked_event(event.pk)
    if event.is_cancelled:
        raise EventError(_("A cancelled event cannot be changed."))
    editable = {f.name for f in Event._meta.concrete_fields} - {"id", "status", "sequence"}
    unknown = set(fields) - editable
    if unknown:
        raise TypeError(f"event_update cannot change {sorted(unknown)}")
    before = {name: getattr(event, name) for name in SIGNIFICANT_FIELDS}
    before_sessions = [(s.starts_at, s.ends_at) for s in event.sessions.all()]
    for name, value in fields.items():
        setattr(event, name, value)
    resubmitted = event.status == EventStatus.REJECTED and not is_coordinator(actor)
    if resubmitted:
        # A member who changes a turned-down event asks for approval again.
        event.status = EventStatus.SUBMITTED
        recipients = _coordinator_emails()
        if recipients:
            send_email_on_commit(
                to=recipients,
                template="events/submitted",
                context={"title": event.title, "event_id": event.pk},
            )
    if sessions is not None:
        _set_sessions(event, sessions)
    after_sessions = [(s.starts_at, s.ends_at) for s in event.sessions.all()]
    changed = [n for n in SIGNIFICANT_FIELDS if getattr(event, n) != before[n]]
    if before_sessions != after_sessions and "starts_at" not in changed:
        changed.append("sessions")
    event.updated_at = timezone.now()
    if changed and event.is_published:
        event.sequence += 1
    event.save()
    if invitees is not None:
        event.invitees.set(invitees)
    search.search_index_update(event)
    if event.is_published:
        _promote_waitlist(event)
        if changed:
            for registration in event.registrations.filter(
                status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
            ):
                _email_registration_on_commit(registration, "events/changed", ics=True)
    return event


@transaction.atomic
def event_cancel(*, event: Event, actor, reason: str = "") -> Event:
    """Call off an event: everyone registered or waiting is told, and their calendars are
    updated by the attached file."""
    event = _locked_event(event.pk)
    if event.is_cancelled:
        return event
    event.status = EventStatus.CANCELLED
    event.cancelled_at = event.updated_at = timezone.now()
    event.sequence += 1
    event.rejection_reason = reason.strip()
    event.save(
        update_fields=["status", "cancelled_at", "updated_at", "sequence", "rejection_reason"]
    )
    audit_log(actor=actor, action="events.event.cancel", target=event, reason=reason)
    for registration in event.registrations.filter(
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    ):
        _email_registration_on_commit(registration, "events/event_cancelled", ics=True)
    return event


@transaction.atomic
def series_schedule(*, series: Series, template: Event, count: int, actor=None) -> list[Event]:
    """Create the next ``count`` events of a recurring series from its rule, each a copy of
    ``template`` (a published template makes published events). Dates that already have an
    event in the series are skipped."""
    from dateutil.rrule import rrulestr

    if not series.rule:
        raise EventError(_("This series has no rule for when it repeats."))
    local_start = template.starts_at.astimezone(template.tz)
    duration = template.ends_at - template.starts_at
    rule = rrulestr(series.rule, dtstart=local_start.replace(tzinfo=None))
    taken = {
        e.starts_at.astimezone(template.tz).date()
        for e in Event.objects.filter(series=series).only("starts_at", "time_zone")
    }
    made = []
    copy_fields = [
        f.name
        for f in Event._meta.concrete_fields
        if f.name
        not in {
            "id",
            "starts_at",
            "ends_at",
            "created_at",
            "updated_at",
            "published_at",
            "sequence",
            "session_count",
            "cancelled_at",
            "feedback_requested_at",
            "recording_url",
            "slides_url",
            "rejection_reason",
        }
    ]
    for naive in rule.xafter(local_start.replace(tzinfo=None), count=count + len(taken), inc=True):
        if len(made) >= count:
            break
        if naive.date() in taken:
            continue
        start = naive.replace(tzinfo=template.tz)
        event = Event(**{name: getattr(template, name) for name in copy_fields})
        event.series = series
        event.starts_at, event.ends_at = start, start + duration
        event.created_at = event.updated_at = timezone.now()
        event.status = (
            EventStatus.PUBLISHED
            if template.status in (EventStatus.PUBLISHED, EventStatus.CANCELLED)
            else EventStatus.DRAFT
        )
        if event.status == EventStatus.PUBLISHED:
            event.published_at = event.created_at
        event.save()
        Session.objects.create(event=event, number=1, starts_at=start, ends_at=start + duration)
        search.search_index_update(event)
        made.append(event)
    if actor is not None:
        audit_log(actor=actor, action="events.series.schedule", target=series, count=len(made))
    return made


# --- Reminders ------------------------------------------------------------------------------

REMINDER_WINDOWS = {
    ReminderKind.DAY_BEFORE: timedelta(hours=24),
    ReminderKind.HOUR_BEFORE: timedelta(hours=1),
}


def reminders_queue_due(*, now: datetime | None = None) -> int:
    """Queue the reminders that are due: 24 hours and 1 hour before each session, to everyone
    with a confirmed place. Each is recorded first (a unique row per person, session, kind and
    start time), so running this again, or twice at once, never sends one twice. Returns how
    many were queued.

    The 24-hour reminder is skipped for people who got their place within that day: their
    confirmation has just told them. Nothing goes for a session that has already started.
    """
    from events.tasks import send_reminder

    now = now or timezone.now()
    queued = 0
    for kind, window in REMINDER_WINDOWS.items():
        earliest = now + (
            REMINDER_WINDOWS[ReminderKind.HOUR_BEFORE] if kind == "24h" else timedelta()
        )
        sessions = Session.objects.filter(
            event__status=EventStatus.PUBLISHED,
            starts_at__gt=earliest,
            starts_at__lte=now + window,
        ).select_related("event")
        for session in sessions:
            already = ReminderLog.objects.filter(
                registration=OuterRef("pk"),
                session=session,
                kind=kind,
                session_starts_at=session.starts_at,
            )
            registrations = session.event.registrations.filter(
                ~Exists(already), status=RegistrationStatus.CONFIRMED
            )
            if kind == ReminderKind.DAY_BEFORE:
                registrations = registrations.filter(placed_at__lte=session.starts_at - window)
            for registration in registrations:
                try:
                    with transaction.atomic():
                        log = ReminderLog.objects.create(
                            registration=registration,
                            session=session,
                            kind=kind,
                            session_starts_at=session.starts_at,
                        )
                        pk = log.pk
                        transaction.on_commit(lambda pk=pk: send_reminder.enqueue(reminder_id=pk))
                except IntegrityError:
                    continue  # another run has it
                queued += 1
    return queued


# --- Calendar feeds -------------------------------------------------------------------------


@transaction.atomic
def feed_token_reset(*, user) -> CalendarFeedToken:
    """Give ``user`` a new secret feed address; the old one stops working at once."""
    CalendarFeedToken.objects.filter(user=user).delete()
    return CalendarFeedToken.objects.create(user=user)


@transaction.atomic
def feed_token_revoke(*, user) -> None:
    CalendarFeedToken.objects.filter(user=user).delete()


# --- After the event ------------------------------------------------------------------------


@transaction.atomic
def attendance_record(*, session: Session, actor, attended_ids: Iterable[int]) -> int:
    """Record who came to ``session``: everyone with a confirmed place is marked present or
    absent. Returns how many came."""
    attended_ids = set(attended_ids)
    registrations = list(
        session.event.registrations.filter(status=RegistrationStatus.CONFIRMED).only("id")
    )
    now = timezone.now()
    Attendance.objects.bulk_create(
        [
            Attendance(
                session=session,
                registration=r,
                attended=r.pk in attended_ids,
                recorded_at=now,
            )
            for r in registrations
        ],
        update_conflicts=True,
        unique_fields=["session", "registration"],
        update_fields=["attended", "recorded_at"],
    )
    came = sum(1 for r in registrations if r.pk in attended_ids)
    audit_log(actor=actor, action="events.attendance.record", target=session.event, came=came)
    return came


@transaction.atomic
def feedback_request(*, event: Event, actor) -> int:
    """Send the feedback form to the people who came (or, if attendance was not taken, to
    everyone with a confirmed place). Only once per event; returns how many were asked."""
    event = _locked_event(event.pk)
    if event.feedback_requested_at is not None:
        return 0
    confirmed = event.registrations.filter(status=RegistrationStatus.CONFIRMED)
    came = confirmed.filter(attendance__attended=True).distinct()
    recipients = list(
        came if Attendance.objects.filter(session__event=event).exists() else confirmed
    )
    event.feedback_requested_at = timezone.now()
    event.save(update_fields=["feedback_requested_at"])
    for registration in recipients:
        _email_registration_on_commit(registration, "events/feedback_request")
    audit_log(actor=actor, action="events.feedback.request", target=event, sent=len(recipients))
    return len(recipients)


@transaction.atomic
def feedback_submit(*, registration: Registration, rating: int, comment: str = "") -> Feedback:
    """Record (or replace) one person's rating and comment on an event."""
    if registration.status != RegistrationStatus.CONFIRMED:
        raise EventError(_("Only people who had a place can give feedback."))
    feedback, _created = Feedback.objects.update_or_create(
        registration=registration,
        defaults={
            "event_id": registration.event_id,
            "rating": rating,
            "comment": " ".join(comment.split()),
            "created_at": timezone.now(),
        },
    )
    return feedback


# --- Conversation prompts -------------------------------------------------------------------


@transaction.atomic
def prompts_replace(*, actor, texts: Sequence[str]) -> list[ConversationPrompt]:
    """Replace the list of conversation prompts with ``texts`` (blank lines dropped)."""
    texts = [" ".join(t.split()) for t in texts]
    texts = [t for t in texts if t]
    ConversationPrompt.objects.all().delete()
    prompts = ConversationPrompt.objects.bulk_create(
        [ConversationPrompt(text=t[:300], position=i) for i, t in enumerate(texts)]
    )
    audit_log(actor=actor, action="events.prompts.replace", count=len(prompts))
    return prompts


# --- Breakout rooms -------------------------------------------------------------------------


@transaction.atomic
def breakout_plan_create(
    *,
    event: Event,
    actor,
    sessions: Sequence[Session],
    room_size: int,
    rounds_per_session: int = 1,
    keep_together: Sequence[tuple[int, int]] = (),
    keep_apart: Sequence[tuple[int, int]] = (),
    seed: int = 0,
    time_budget: float = 3.0,
) -> BreakoutPlan:
    """Plan breakout rooms for ``sessions`` of ``event`` and store them.

    People are the event's confirmed registrations. Rooms are as even as possible and never
    bigger than ``room_size``. The planner gives people as many new people to meet as it can
    (counting rooms already stored for earlier sessions, the event's series and earlier
    get-togethers), mixes regions and focus areas, and honours the keep-together and
    keep-apart pairs (registration ids). Earlier rooms for the same sessions are replaced.
    """
    from events import breakouts, selectors

    if room_size < 2:
        raise EventError(_("Rooms need at least 2 people."))
    registrations = selectors.breakout_people(event)
    if len(registrations) < 2:
        raise EventError(_("At least 2 people need a confirmed place before rooms are planned."))
    sessions = sorted(sessions, key=lambda s: (s.starts_at, s.number))
    if not sessions:
        raise EventError(_("Choose at least one session."))
    index = {r.pk: i for i, r in enumerate(registrations)}
    history = selectors.breakout_history(
        [r.person_key for r in registrations],
        before=sessions[0].starts_at,
        exclude_sessions=[s.pk for s in sessions],
    )
    key_index = {r.person_key: i for i, r in enumerate(registrations)}
    met = [(key_index[a], key_index[b], n) for (a, b), n in history.items()]
    traits = selectors.breakout_traits(registrations)
    problem = breakouts.Problem(
        people=len(registrations),
        room_size=room_size,
        rounds=len(sessions) * rounds_per_session,
        met=met,
        traits=traits,
        keep_together=[(index[a], index[b]) for a, b in keep_together if a in index and b in index],
        keep_apart=[(index[a], index[b]) for a, b in keep_apart if a in index and b in index],
    )
    result = breakouts.plan(problem, seed=seed, time_budget=time_budget)
    BreakoutRoom.objects.filter(session__in=sessions).delete()
    plan = BreakoutPlan.objects.create(
        event=event,
        created_by=actor,
        room_size=room_size,
        rounds_per_session=rounds_per_session,
        settings={
            "keep_together": [list(p) for p in keep_together],
            "keep_apart": [list(p) for p in keep_apart],
            "sessions": [s.pk for s in sessions],
            "seed": seed,
        },
        figures=result.figures(),
    )
    placements = []
    for round_index, rooms in enumerate(result.rounds):
        session = sessions[round_index // rounds_per_session]
        round_number = round_index % rounds_per_session + 1
        for number, members in enumerate(rooms, start=1):
            room = BreakoutRoom.objects.create(
                plan=plan, session=session, round=round_number, number=number
            )
            placements.extend(
                BreakoutPlacement(
                    room=room,
                    registration=registrations[i],
                    person_key=registrations[i].person_key,
                    name=registrations[i].name,
                )
                for i in members
            )
    BreakoutPlacement.objects.bulk_create(placements)
    audit_log(actor=actor, action="events.breakouts.plan", target=event, **result.figures())
    return plan
