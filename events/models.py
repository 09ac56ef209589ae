"""Events and get-togethers.

An ``Event`` is what people register for. It has one or more ``Session`` rows: a single
get-together has one, a fixed series (e.g. a six-session community of practice) has six, and one
registration covers them all. A recurring ``Series`` (e.g. "first Tuesday of the month") groups
separate events, each registered for on its own.

A ``Registration`` holds a confirmed place, a place on the waitlist, or (for a public event
registered for with only a name and email) a request waiting for the email to be confirmed.
Confirmed places never exceed ``Event.capacity``: see ``events/services.py`` and
``docs/decisions/0004-events.md``.

Every datetime is stored in UTC; ``Event.time_zone`` says how to show it (Europe/London unless
the organiser chose otherwise).
"""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_TIME_ZONE = "Europe/London"


class EventKind(models.TextChoices):
    GET_TOGETHER = "get-together", _("Informal get-together")
    WEBINAR = "webinar", _("Webinar")
    INTEREST_GROUP = "interest-group", _("Interest group session")
    COMMUNITY_OF_PRACTICE = "community-of-practice", _("Community of practice")
    MEMBER_EVENT = "member-event", _("Member's event")
    EXTERNAL = "external", _("Event run by another organisation")


class EventFormat(models.TextChoices):
    ONLINE = "online", _("Online")
    IN_PERSON = "in-person", _("In person")
    HYBRID = "hybrid", _("Online and in person")


class EventVisibility(models.TextChoices):
    PUBLIC = "public", _("Anyone")
    MEMBERS = "members", _("Members of the network")
    INVITED = "invited", _("Only the people invited (a group or cohort)")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Not approved")
    CANCELLED = "cancelled", _("Cancelled")


class Series(models.Model):
    """A recurring series of separate events, e.g. the monthly informal get-together.

    ``rule`` is an RFC 5545 recurrence rule ("FREQ=MONTHLY;BYDAY=1TU" is the first Tuesday of
    each month); ``events.services.series_schedule`` creates the next events from it.
    """

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("web address name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    rule = models.CharField(
        _("repeats"),
        max_length=200,
        blank=True,
        help_text=_('An iCalendar rule, e.g. "FREQ=MONTHLY;BYDAY=1TU" for the first Tuesday.'),
    )
    rule_label = models.CharField(
        _("repeats (in words)"), max_length=200, blank=True, help_text=_("First Tuesday monthly")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["title"]

    def __str__(self):
        return self.title


class Event(models.Model):
    kind = models.CharField(
        _("type of event"), max_length=30, choices=EventKind.choices, default=EventKind.GET_TOGETHER
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences for lists and calendars."),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("You can use Markdown for headings and links.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.DRAFT
    )
    visibility = models.CharField(
        _("who can see it and register"),
        max_length=10,
        choices=EventVisibility.choices,
        default=EventVisibility.MEMBERS,
    )
    series = models.ForeignKey(
        Series,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("series"),
    )
    # The first session's start and the last session's end, kept in step by the services so
    # lists and feeds need no join.
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)
    session_count = models.PositiveSmallIntegerField(_("sessions"), default=1)
    format = models.CharField(
        _("where"), max_length=10, choices=EventFormat.choices, default=EventFormat.ONLINE
    )
    # Shown only to people with a confirmed place: never in public pages, feeds or .ics files.
    join_url = models.URLField(_("online joining link"), max_length=500, blank=True)
    venue_name = models.CharField(_("venue"), max_length=200, blank=True)
    venue_address = models.TextField(_("venue address"), max_length=500, blank=True)
    venue_postcode = models.CharField(_("venue postcode"), max_length=10, blank=True)
    venue_accessibility = models.TextField(
        _("access information"),
        max_length=2000,
        blank=True,
        help_text=_("Step-free access, hearing loop, toilets, quiet space, parking, captions..."),
    )
    region = models.ForeignKey(
        "members.Region",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("nation or region"),
    )
    capacity = models.PositiveIntegerField(
        _("places"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave empty for no limit. When it is full, people join a waitlist."),
    )
    registration_question = models.CharField(
        _("a question for people registering"), max_length=300, blank=True
    )
    external_url = models.URLField(
        _("organiser's web page"),
        max_length=500,
        blank=True,
        help_text=_("For events run by others: where people find out more and book."),
    )
    host_organisation = models.ForeignKey(
        "members.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("host organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events_created",
    )
    invitees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="events_invited_to",
        verbose_name=_("invited people"),
    )
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    slides_url = models.URLField(_("slides"), max_length=500, blank=True)
    rejection_reason = models.TextField(_("reason"), max_length=2000, blank=True)
    # iCalendar SEQUENCE: goes up whenever a change matters to a calendar (time, place, status).
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    feedback_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["status", "starts_at", "id"], name="event_status_start"),
            models.Index(fields=["status", "ends_at", "id"], name="event_status_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("events:detail", kwargs={"pk": self.pk})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone or DEFAULT_TIME_ZONE)

    @property
    def local_start(self):
        return self.starts_at.astimezone(self.tz)

    @property
    def local_end(self):
        return self.ends_at.astimezone(self.tz)

    @property
    def when(self) -> str:
        """ "Tuesday 4 November 2025, 6pm to 7:30pm" in the event's time zone."""
        from events.formatting import when

        return when(self.starts_at, self.ends_at, self.tz)

    @property
    def is_published(self) -> bool:
        return self.status == EventStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def is_past(self) -> bool:
        return self.ends_at < timezone.now()

    @property
    def is_online(self) -> bool:
        return self.format in (EventFormat.ONLINE, EventFormat.HYBRID)

    @property
    def is_in_person(self) -> bool:
        return self.format in (EventFormat.IN_PERSON, EventFormat.HYBRID)

    @property
    def takes_registrations(self) -> bool:
        """Registration happens here (not on another organisation's site)."""
        return not self.external_url

    @property
    def uid(self) -> str:
        """A stable iCalendar UID (the same for every copy of this event)."""
        host = settings.SITE_URL.split("://", 1)[-1].split("/")[0].split(":")[0] or "coalition"
        return f"event-{self.pk}@{host}"


class Session(models.Model):
    """One meeting of an event. Most events have one; a fixed series has several."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField(_("session"), default=1)
    title = models.CharField(_("session title"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["event", "number"]
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="session_number_unique"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.event} – {self.number}"

    @property
    def local_start(self):
        return self.starts_at.astimezone(self.event.tz)

    @property
    def local_end(self):
        return self.ends_at.astimezone(self.event.tz)

    @property
    def when(self) -> str:
        from events.formatting import when

        return when(self.starts_at, self.ends_at, self.event.tz)

    @property
    def label(self) -> str:
        return _("Session %(number)s: %(when)s") % {"number": self.number, "when": self.when}

    @property
    def uid(self) -> str:
        base = self.event.uid
        return base if self.number == 1 else base.replace("@", f"-{self.number}@", 1)


class RegistrationStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for the email address to be confirmed")
    CONFIRMED = "confirmed", _("Place confirmed")
    WAITLISTED = "waitlisted", _("On the waitlist")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATUSES = (
    RegistrationStatus.UNCONFIRMED,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
)


class Registration(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_registrations",
    )
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email address"), max_length=254)
    access_needs = models.TextField(_("access needs"), max_length=2000, blank=True)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RegistrationStatus.choices, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the place was confirmed, or the waitlist joined: the waitlist is served in this order.
    placed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["placed_at", "id"]
        indexes = [models.Index(fields=["event", "status", "placed_at", "id"], name="reg_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=~Q(status="cancelled"),
                name="one_active_registration_per_email",
            )
        ]

    def __str__(self):
        return f"{self.name} – {self.event} ({self.get_status_display()})"

    @property
    def person_key(self) -> str:
        """Who this is across events, for "who has met whom" (an account, else an email)."""
        return f"u{self.user_id}" if self.user_id else f"e{self.email.lower()}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == RegistrationStatus.WAITLISTED


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "24h", _("24 hours before")
    HOUR_BEFORE = "1h", _("1 hour before")


class ReminderLog(models.Model):
    """A reminder that has been sent: the unique constraint is what stops a second one."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="reminders"
    )
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=4, choices=ReminderKind.choices)
    # A session moved to another time earns a fresh reminder.
    session_starts_at = models.DateTimeField()
    queued_at = models.DateTimeField(default=timezone.now)
    # Set by the task once the email has gone: a retried task does not send it again.
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session", "kind", "session_starts_at"],
                name="reminder_sent_once",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.registration} {self.session_starts_at:%Y-%m-%d %H:%M}"


class Attendance(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="attendance"
    )
    attended = models.BooleanField(_("attended"), default=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "registration"], name="attendance_once_per_session"
            )
        ]

    def __str__(self):
        return f"{self.registration.name} – {self.session}: {self.attended}"


class Feedback(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="feedback")
    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.event}: {self.rating}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeedToken(models.Model):
    """The secret in a person's "events I'm going to" feed address. Resetting it revokes the
    old address at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_feed_token"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Calendar feed of {self.user}"


class ConversationPrompt(models.Model):
    """A prompt the host shows at a get-together, edited by coordinators."""

    text = models.CharField(_("prompt"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("conversation prompt")
        verbose_name_plural = _("conversation prompts")
        ordering = ["position", "id"]

    def __str__(self):
        return self.text


class BreakoutPlan(models.Model):
    """One run of the breakout planner: its settings and how good the result was."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="breakout_plans")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    room_size = models.PositiveSmallIntegerField(_("people per room"))
    rounds_per_session = models.PositiveSmallIntegerField(_("rounds in each session"), default=1)
    settings = models.JSONField(default=dict, blank=True)
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Breakout plan for {self.event} ({self.created_at:%Y-%m-%d %H:%M})"


class BreakoutRoom(models.Model):
    plan = models.ForeignKey(BreakoutPlan, on_delete=models.CASCADE, related_name="rooms")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="breakout_rooms")
    round = models.PositiveSmallIntegerField(default=1)
    number = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["session__number", "round", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "round", "number"], name="breakout_room_unique"
            )
        ]

    def __str__(self):
        return f"Room {self.number} (round {self.round}) – {self.session}"


class BreakoutPlacement(models.Model):
    """A person in a room. ``person_key`` outlives the registration so history is kept."""

    room = models.ForeignKey(BreakoutRoom, on_delete=models.CASCADE, related_name="placements")
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person_key = models.CharField(max_length=260, db_index=True)
    name = models.CharField(max_length=150)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name} in {self.room}"
