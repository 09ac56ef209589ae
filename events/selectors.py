"""Reads for events. Each selector fetches what its page needs in a fixed number of queries,
however many events there are (the list, month view and feeds are tested with 20,000)."""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import combinations

from django.db.models import Avg, Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from core import search
from core.permissions import is_coordinator
from events.models import (
    ACTIVE_STATUSES,
    DEFAULT_TIME_ZONE,
    Attendance,
    BreakoutPlacement,
    BreakoutRoom,
    CalendarFeedToken,
    ConversationPrompt,
    Event,
    EventStatus,
    EventVisibility,
    Feedback,
    Registration,
    RegistrationStatus,
    Session,
)
from events.permissions import visible_events_q

FEED_PAST_DAYS = 90  # a feed keeps recent past events so calendars do not lose them at once
FEED_LIMIT = 1000  # a calendar file larger than this helps nobody
MONTH_LIMIT = 500  # sessions shown in one month view


def register_search() -> None:
    """What ``?q=`` on the events list looks in: the title, then the summary, then the
    description and the venue."""
    search.register(
        Event,
        weights={
            "A": "title",
            "B": "summary",
            "C": "description",
            "D": lambda e: [e.venue_name, e.venue_address],
        },
        queryset=lambda: Event.objects.only(
            "id", "title", "summary", "description", "venue_name", "venue_address"
        ),
    )


# --- Lists ----------------------------------------------------------------------------------


@dataclass
class EventFilters:
    """The filters of the events list, already validated (see ``forms.EventFilterForm``)."""

    q: str = ""
    kind: str = ""
    format: str = ""
    region: str = ""  # a Region slug
    series: str = ""  # a Series slug
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return any(
            [self.q, self.kind, self.format, self.region, self.series, self.date_from, self.date_to]
        )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _filtered(queryset: QuerySet, filters: EventFilters) -> QuerySet:
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.format:
        # "Online" includes hybrid events, and so does "in person": both are ways to take part.
        if filters.format == "online":
            queryset = queryset.filter(format__in=["online", "hybrid"])
        elif filters.format == "in-person":
            queryset = queryset.filter(format__in=["in-person", "hybrid"])
        else:
            queryset = queryset.filter(format=filters.format)
    if filters.region:
        queryset = queryset.filter(region__slug=filters.region)
    if filters.series:
        queryset = queryset.filter(series__slug=filters.series)
    if filters.date_from:
        queryset = queryset.filter(ends_at__gte=_local_midnight(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(starts_at__lt=_local_midnight(filters.date_to + timedelta(1)))
    if filters.q:
        queryset = search.search_filter(queryset, filters.q)
    return queryset


def events_for(user, filters: EventFilters | None = None, *, past: bool = False) -> QuerySet:
    """Published (and cancelled) events ``user`` may see, upcoming (not yet ended) or past,
    filtered. Page it with ``events_ordering(past)``; each page is one query."""
    now = timezone.now()
    queryset = Event.objects.filter(visible_events_q(user)).select_related(
        "region", "host_organisation", "series"
    )
    queryset = queryset.filter(ends_at__lt=now) if past else queryset.filter(ends_at__gte=now)
    return _filtered(queryset, filters or EventFilters())


def events_ordering(past: bool = False) -> tuple[str, ...]:
    return ("-starts_at", "-pk") if past else ("starts_at", "pk")


@dataclass
class MonthDay:
    day: date
    in_month: bool
    is_today: bool
    sessions: list


def events_month(user, year: int, month: int, filters: EventFilters | None = None) -> list:
    """The weeks of a month (Monday first) with each day's sessions of visible events, in one
    query. Each week is a list of seven ``MonthDay``."""
    tz = timezone.get_default_timezone()
    first = date(year, month, 1)
    weeks_of_days = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    start = datetime.combine(weeks_of_days[0][0], time.min, tzinfo=tz)
    end = datetime.combine(weeks_of_days[-1][-1] + timedelta(1), time.min, tzinfo=tz)
    visible = _filtered(Event.objects.filter(visible_events_q(user)), filters or EventFilters())
    sessions = (
        Session.objects.filter(
            event__in=visible.values("pk"), starts_at__gte=start, starts_at__lt=end
        )
        .select_related("event")
        .order_by("starts_at", "pk")[:MONTH_LIMIT]
    )
    by_day = defaultdict(list)
    for session in sessions:
        by_day[session.starts_at.astimezone(tz).date()].append(session)
    today = timezone.localdate()
    return [
        [MonthDay(d, d.month == first.month, d == today, by_day.get(d, [])) for d in week]
        for week in weeks_of_days
    ]


# --- One event ------------------------------------------------------------------------------


def event_get(pk: int) -> Event | None:
    """An event with what its page shows (sessions, host, region, series), or ``None``."""
    return (
        Event.objects.select_related("region", "host_organisation", "series", "created_by")
        .prefetch_related("sessions")
        .filter(pk=pk)
        .first()
    )


@dataclass
class Places:
    confirmed: int
    waitlisted: int
    capacity: int | None

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.confirmed >= self.capacity


def event_places(event: Event) -> Places:
    counts = event.registrations.aggregate(
        confirmed=Count("pk", filter=Q(status=RegistrationStatus.CONFIRMED)),
        waitlisted=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
    )
    return Places(counts["confirmed"], counts["waitlisted"], event.capacity)


def registration_for(user, event: Event) -> Registration | None:
    """``user``'s current (not cancelled) registration for ``event``."""
    if not user.is_authenticated:
        return None
    return (
        event.registrations.filter(status__in=ACTIVE_STATUSES)
        .filter(Q(user=user) | Q(email=user.email.lower()))
        .order_by("id")
        .first()
    )


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        event_id=registration.event_id, status=RegistrationStatus.WAITLISTED
    ).filter(
        Q(placed_at__lt=registration.placed_at)
        | Q(placed_at=registration.placed_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def registrations_of(user, *, past: bool = False) -> list[Registration]:
    """``user``'s registrations (not cancelled), soonest first; past ones latest first."""
    now = timezone.now()
    queryset = Registration.objects.filter(user=user, status__in=ACTIVE_STATUSES).select_related(
        "event"
    )
    if past:
        return list(queryset.filter(event__ends_at__lt=now).order_by("-event__starts_at")[:50])
    return list(queryset.filter(event__ends_at__gte=now).order_by("event__starts_at"))


def attendees_for(event: Event, *, viewer) -> list[Registration]:
    """Everyone registered for ``event``: confirmed first, then the waitlist in order, then
    unconfirmed and cancelled. One query, whatever the number of registrations.

    Each registration gets ``shown_email``: the address ``viewer`` (an organiser) may see, or
    ``""``. Pages and exports show that, never ``Registration.email``:

    * coordinators see every address (they run the network's events);
    * a signed-in registrant's address follows their own privacy choice, exactly as in the
      directory (``members.selectors.directory.visible_value``), so a member who hid it is
      not shown to a member hosting an event;
    * a visitor's address, typed into the booking form for this event, is shown to the
      organisers: the form tells them so.
    """
    from members.selectors.directory import visible_value

    order = {
        RegistrationStatus.CONFIRMED: 0,
        RegistrationStatus.WAITLISTED: 1,
        RegistrationStatus.UNCONFIRMED: 2,
        RegistrationStatus.CANCELLED: 3,
    }
    registrations = list(event.registrations.select_related("user").order_by("placed_at", "id"))
    sees_all = is_coordinator(viewer)
    for registration in registrations:
        if sees_all or registration.user is None:
            registration.shown_email = registration.email
        else:
            registration.shown_email = visible_value(viewer, registration.user, "email")
    return sorted(registrations, key=lambda r: order[r.status])


def attendance_for(session: Session) -> dict[int, bool]:
    return dict(
        Attendance.objects.filter(session=session).values_list("registration_id", "attended")
    )


def review_queue() -> list[Event]:
    return list(
        Event.objects.filter(status=EventStatus.SUBMITTED)
        .select_related("created_by", "host_organisation")
        .order_by("created_at", "id")
    )


@dataclass
class FeedbackSummary:
    count: int
    average: float | None
    distribution: list[tuple[int, int]]  # (rating, how many), 5 down to 1
    comments: list[Feedback]


def feedback_summary(event: Event) -> FeedbackSummary:
    rows = event.feedback.all()
    totals = rows.aggregate(count=Count("pk"), average=Avg("rating"))
    counts = dict(rows.values_list("rating").annotate(n=Count("pk")).values_list("rating", "n"))
    return FeedbackSummary(
        count=totals["count"],
        average=round(totals["average"], 1) if totals["average"] is not None else None,
        distribution=[(r, counts.get(r, 0)) for r in range(5, 0, -1)],
        comments=list(rows.exclude(comment="").select_related("registration")[:200]),
    )


# --- Calendar feeds -------------------------------------------------------------------------


def events_public_feed() -> list[Event]:
    """Public events for ``feed.ics``: upcoming ones and those of the last 90 days, with their
    sessions (two queries)."""
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    return list(
        Event.objects.filter(
            status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED],
            visibility=EventVisibility.PUBLIC,
            ends_at__gte=since,
        )
        .order_by("starts_at", "id")
        .prefetch_related("sessions")[:FEED_LIMIT]
    )


def events_public_feed_version() -> str:
    """A short string that changes whenever ``events_public_feed`` could: an event added,
    removed or edited (services bump ``updated_at``), or the 90-day window moving on (hourly).
    One aggregate query, so the feed can be served from the cache."""
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    stamp = Event.objects.filter(
        status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED],
        visibility=EventVisibility.PUBLIC,
        ends_at__gte=since,
    ).aggregate(count=Count("id"), latest=Max("updated_at"), last_id=Max("id"))
    latest = stamp["latest"].timestamp() if stamp["latest"] else 0
    return f"{stamp['count']}-{stamp['last_id'] or 0}-{latest:.6f}-{since:%Y%m%d%H}"


def feed_owner(token: str):
    """The person whose personal feed address holds ``token``, or ``None``."""
    if not token or len(token) > 64:
        return None
    found = CalendarFeedToken.objects.select_related("user").filter(token=token).first()
    if found is None or not found.user.is_active:
        return None
    return found.user


def events_personal_feed(user) -> list[Event]:
    """Events ``user`` has a place at or is waiting for (recent and upcoming)."""
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    return list(
        Event.objects.filter(
            status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED],
            ends_at__gte=since,
            registrations__user=user,
            registrations__status__in=[
                RegistrationStatus.CONFIRMED,
                RegistrationStatus.WAITLISTED,
            ],
        )
        .distinct()
        .order_by("starts_at", "id")
        .prefetch_related("sessions")[:FEED_LIMIT]
    )


def feed_token_of(user) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(user=user).first()


# --- Get-together tools ---------------------------------------------------------------------


def prompts_active() -> list[ConversationPrompt]:
    return list(ConversationPrompt.objects.filter(is_active=True))


def prompts_all() -> list[ConversationPrompt]:
    return list(ConversationPrompt.objects.all())


def breakout_people(event: Event) -> list[Registration]:
    """The people the planner places: confirmed registrations, in a stable order."""
    return list(event.registrations.filter(status=RegistrationStatus.CONFIRMED).order_by("id"))


def breakout_traits(registrations: list[Registration]) -> list[frozenset[str]]:
    """For each person, the regions and focus areas of their organisations and themselves
    ("r12", "f3"): the planner mixes people with different ones. Four queries."""
    from members.models import FocusArea, Organisation, OrganisationMembership, User

    user_ids = [r.user_id for r in registrations if r.user_id]
    orgs_of = defaultdict(set)
    for user_id, org_id in OrganisationMembership.objects.filter(
        user_id__in=user_ids, status="active"
    ).values_list("user_id", "organisation_id"):
        orgs_of[user_id].add(org_id)
    org_ids = set().union(*orgs_of.values()) if orgs_of else set()
    org_traits = defaultdict(set)
    for org_id, region_id in Organisation.regions.through.objects.filter(
        organisation_id__in=org_ids
    ).values_list("organisation_id", "region_id"):
        org_traits[org_id].add(f"r{region_id}")
    for org_id, focus_id in Organisation.focus_areas.through.objects.filter(
        organisation_id__in=org_ids
    ).values_list("organisation_id", "focusarea_id"):
        org_traits[org_id].add(f"f{focus_id}")
    user_focus = defaultdict(set)
    for user_id, focus_id in User.focus_areas.through.objects.filter(
        user_id__in=user_ids
    ).values_list("user_id", "focusarea_id"):
        user_focus[user_id].add(f"f{focus_id}")
    del FocusArea  # imported for the through table's column name only
    traits = []
    for registration in registrations:
        mine = set(user_focus.get(registration.user_id, ()))
        for org_id in orgs_of.get(registration.user_id, ()):
            mine |= org_traits[org_id]
        traits.append(frozenset(mine))
    return traits


def breakout_history(person_keys: list[str], *, before: datetime, exclude_sessions=()) -> Counter:
    """How many times each pair of these people has shared a breakout room before ``before``:
    ``{(key_a, key_b): times}`` with ``key_a < key_b``. One query."""
    rows = (
        BreakoutPlacement.objects.filter(
            person_key__in=person_keys, room__session__starts_at__lt=before
        )
        .exclude(room__session__in=list(exclude_sessions))
        .values_list("room_id", "person_key")
    )
    rooms = defaultdict(set)
    for room_id, key in rows:
        rooms[room_id].add(key)
    met = Counter()
    for keys in rooms.values():
        for a, b in combinations(sorted(keys), 2):
            met[(a, b)] += 1
    return met


def breakout_rooms(event: Event) -> list[Session]:
    """The event's sessions, each with ``rooms_by_round``: ``[(round, [room, ...]), ...]`` and
    each room's placements. Three queries."""
    sessions = list(
        event.sessions.prefetch_related(
            Prefetch(
                "breakout_rooms",
                queryset=BreakoutRoom.objects.order_by("round", "number").prefetch_related(
                    Prefetch("placements", queryset=BreakoutPlacement.objects.order_by("name"))
                ),
            )
        )
    )
    for session in sessions:
        rounds = defaultdict(list)
        for room in session.breakout_rooms.all():
            rounds[room.round].append(room)
        session.rooms_by_round = sorted(rounds.items())
    return sessions


def default_time_zone() -> str:
    return DEFAULT_TIME_ZONE
