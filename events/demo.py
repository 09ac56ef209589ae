"""A plausible, fictional programme of events: monthly informal get-togethers (a recurring
series, with past rooms, attendance and feedback), webinars (recorded), a six-session community
of practice, interest-group sessions, members' own events (two waiting for approval) and
other organisations' events. Written with bulk inserts; the same for a given seed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from core import search
from events import breakouts
from events.models import (
    Attendance,
    BreakoutPlacement,
    BreakoutPlan,
    BreakoutRoom,
    ConversationPrompt,
    Event,
    EventFormat,
    EventKind,
    EventStatus,
    EventVisibility,
    Feedback,
    Registration,
    RegistrationStatus,
    Series,
    Session,
)

LONDON = ZoneInfo("Europe/London")

PROMPTS = [
    "Share something you have read, watched or listened to recently that you would recommend.",
    "What challenge do you have that people here might be able to help with?",
    "What is one small thing that made someone feel welcome at your group this month?",
    "What has surprised you about your work lately?",
    "Who would you like to meet in the network, and why?",
    "What would you try if you knew it could not fail?",
]
WEBINARS = [
    ("Listening well: a webinar on active listening for volunteers", 90),
    ("Reaching people who never come to anything", 60),
    ("Small grants, simply: writing a good application", 60),
    ("Loneliness and young people: what the research says", 75),
]
MEMBER_EVENTS = [
    ("Open day at the {place} lunch club", "Come and meet our volunteers over soup and a roll."),
    ("{place} memory café summer party", "Music, cake and a warm welcome for everyone."),
    ("Walking group taster at {place}", "A gentle two-mile walk with a café stop halfway."),
    ("Digital buddies drop-in, {place}", "Bring your phone or tablet and a question."),
    ("Men's shed woodworking evening, {place}", "Tools, tea and conversation."),
]
PLACES = ["Ashby", "Bramwell", "Fernbridge", "Hartfield", "Llanfair", "Redbrook", "Thornbury"]
COMMENTS = [
    "Lovely to meet new people.",
    "I came away with two ideas to try.",
    "Good mix of people in my room.",
    "Would like a bit longer in the breakout rooms.",
    "Felt welcome straight away.",
    "",
    "",
]


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def _first_tuesday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def _month(today: date, offset: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 + offset
    return index // 12, index % 12 + 1


def seed(ctx):
    from members.models import MembershipStatus, Organisation, Region, User

    rng = ctx.rng
    now = timezone.now()
    today = timezone.localdate()
    people = list(
        User.objects.filter(status=MembershipStatus.ACTIVE, is_active=True)
        .order_by("id")
        .only("id", "email", "full_name")
    )
    if len(people) < 4:
        ctx.log("  events: not enough members for a programme; skipped")
        return
    coordinator = next((p for p in people if p.email == "coordinator@example.org"), people[0])
    organisations = list(Organisation.objects.filter(status=MembershipStatus.ACTIVE)[:40])
    regions = list(Region.objects.all())
    if not ConversationPrompt.objects.exists():
        ConversationPrompt.objects.bulk_create(
            [ConversationPrompt(text=text, position=i) for i, text in enumerate(PROMPTS)]
        )
    # Series are kept if the demo runs again over earlier data (slugs are unique).
    monthly, _ = Series.objects.update_or_create(
        slug="monthly-get-together",
        defaults={
            "title": "Monthly informal get-together",
            "rule": "FREQ=MONTHLY;BYDAY=1TU",
            "rule_label": "First Tuesday of every month, 12:30pm to 1:30pm, online",
            "description": (
                "An hour to meet other members, share what is working and what is hard, "
                "and leave with a new connection or two. No agenda, no slides."
            ),
        },
    )
    youth, _ = Series.objects.update_or_create(
        slug="youth-loneliness-network",
        defaults={
            "title": "Youth loneliness network",
            "description": "Members working with young people who feel isolated.",
        },
    )

    plans = []  # (Event, [(start, end), ...], how many people register)

    def add(event_fields: dict, sessions, registrants: int):
        event = Event(
            created_by=event_fields.pop("created_by", coordinator),
            created_at=now,
            updated_at=now,
            published_at=now
            if event_fields.get("status", EventStatus.PUBLISHED) == "published"
            else None,
            **event_fields,
        )
        event.starts_at, event.ends_at = sessions[0][0], sessions[-1][1]
        event.session_count = len(sessions)
        plans.append((event, sessions, registrants))

    for offset in range(-6, 4):
        year, month = _month(today, offset)
        day = _first_tuesday(year, month)
        start = _local(day, 12, 30)
        add(
            {
                "kind": EventKind.GET_TOGETHER,
                "title": f"Informal get-together – {day:%B %Y}",
                "summary": "An hour to meet other members in small breakout rooms.",
                "description": monthly.description,
                "status": EventStatus.PUBLISHED,
                "visibility": EventVisibility.MEMBERS,
                "series": monthly,
                "format": EventFormat.ONLINE,
                "join_url": f"https://meet.example.org/coalition-{year}-{month:02d}",
                "capacity": 30,
                "registration_question": "Is there something you would like to talk about?",
            },
            [(start, start + timedelta(hours=1))],
            rng.randint(14, 34),
        )
    for i, (title, minutes) in enumerate(WEBINARS):
        day = today + timedelta(days=(i - 2) * 21 + 3)
        start = _local(day, 14)
        past = i < 2
        add(
            {
                "kind": EventKind.WEBINAR,
                "title": title,
                "summary": "A webinar with time for questions. It is recorded.",
                "description": "## What we will cover\n\n- Why it matters\n- What members do\n"
                "- Your questions\n\nCaptions are on for the whole webinar.",
                "status": EventStatus.PUBLISHED,
                "visibility": EventVisibility.PUBLIC,
                "format": EventFormat.ONLINE,
                "join_url": f"https://meet.example.org/webinar-{i + 1}",
                "capacity": 100,
                "recording_url": f"https://video.example.org/coalition/webinar-{i + 1}"
                if past
                else "",
                "slides_url": f"https://files.example.org/webinar-{i + 1}.pdf" if past else "",
            },
            [(start, start + timedelta(minutes=minutes))],
            rng.randint(20, 60),
        )
    cop_start = today - timedelta(days=29)
    add(
        {
            "kind": EventKind.COMMUNITY_OF_PRACTICE,
            "title": "Community of practice: putting relationships at the heart of what we do",
            "summary": "Six two-hour sessions for fifteen practitioners. One registration "
            "covers all six.",
            "description": "We get to know each other, then each person brings a challenge "
            "question and the group helps over the sessions, in the spirit of an action "
            "learning set. Sessions are not recorded.",
            "status": EventStatus.PUBLISHED,
            "visibility": EventVisibility.MEMBERS,
            "format": EventFormat.ONLINE,
            "join_url": "https://meet.example.org/community-of-practice",
            "capacity": 15,
        },
        [
            (
                _local(cop_start + timedelta(days=14 * n), 10),
                _local(cop_start + timedelta(days=14 * n), 12),
            )
            for n in range(6)
        ],
        17,
    )
    for n, offset in enumerate((-20, 25)):
        day = today + timedelta(days=offset)
        add(
            {
                "kind": EventKind.INTEREST_GROUP,
                "title": f"Youth loneliness network: {'what young people told us' if n == 0 else 'planning the year'}",
                "summary": "For members working with young people.",
                "status": EventStatus.PUBLISHED,
                "visibility": EventVisibility.MEMBERS,
                "series": youth,
                "format": EventFormat.ONLINE,
                "join_url": f"https://meet.example.org/youth-{n + 1}",
                "capacity": 25,
            },
            [(_local(day, 16), _local(day, 17))],
            rng.randint(8, 20),
        )
    for i, (title, summary) in enumerate(MEMBER_EVENTS):
        place = rng.choice(PLACES)
        day = today + timedelta(days=rng.randint(5, 80))
        start = _local(day, rng.choice([10, 11, 14, 18]))
        host = organisations[i % len(organisations)] if organisations else None
        add(
            {
                "kind": EventKind.MEMBER_EVENT,
                "title": title.format(place=place),
                "summary": summary,
                "description": summary + "\n\nEveryone is welcome; you do not need to book "
                "but it helps us plan.",
                "status": EventStatus.SUBMITTED if i >= 3 else EventStatus.PUBLISHED,
                "visibility": EventVisibility.PUBLIC,
                "format": EventFormat.IN_PERSON,
                "venue_name": f"{place} Community Centre",
                "venue_address": f"{rng.randint(1, 90)} High Street\n{place}",
                "venue_accessibility": "Step-free entrance, accessible toilet, hearing loop. "
                "A quiet room is available.",
                "region": rng.choice(regions) if regions else None,
                "capacity": rng.choice([None, 20, 40]),
                "host_organisation": host,
                "created_by": people[(i * 7 + 3) % len(people)],
            },
            [(start, start + timedelta(hours=2))],
            rng.randint(0, 12) if i < 3 else 0,
        )
    for i, title in enumerate(
        ["National befriending conference", "Connecting communities: a regional forum"]
    ):
        day = today + timedelta(days=40 + 30 * i)
        add(
            {
                "kind": EventKind.EXTERNAL,
                "title": title,
                "summary": "Run by another organisation; members may find it useful.",
                "status": EventStatus.PUBLISHED,
                "visibility": EventVisibility.PUBLIC,
                "format": EventFormat.HYBRID,
                "venue_name": "Conference Centre",
                "venue_address": "Fictional Square, Eastholm",
                "external_url": f"https://conference.example.org/{i + 1}",
                "region": rng.choice(regions) if regions else None,
            },
            [(_local(day, 9, 30), _local(day, 16, 30))],
            0,
        )

    events = Event.objects.bulk_create([event for event, _s, _r in plans])
    sessions = Session.objects.bulk_create(
        [
            Session(event=event, number=n, starts_at=start, ends_at=end)
            for event, (_e, times, _r) in zip(events, plans, strict=True)
            for n, (start, end) in enumerate(times, start=1)
        ]
    )
    sessions_of = {}
    for session in sessions:
        sessions_of.setdefault(session.event_id, []).append(session)

    registrations = []
    for event, (_e, _times, count) in zip(events, plans, strict=True):
        if not count:
            continue
        chosen = rng.sample(people, min(count, len(people)))
        for place, person in enumerate(chosen):
            confirmed = event.capacity is None or place < event.capacity
            registrations.append(
                Registration(
                    event=event,
                    user=person,
                    name=person.full_name or person.email,
                    email=person.email,
                    status=RegistrationStatus.CONFIRMED
                    if confirmed
                    else RegistrationStatus.WAITLISTED,
                    access_needs="Captions, please." if rng.random() < 0.1 else "",
                    created_at=event.starts_at - timedelta(days=10, minutes=place),
                    placed_at=event.starts_at - timedelta(days=10, minutes=-place),
                )
            )
    registrations = Registration.objects.bulk_create(registrations, batch_size=2000)

    # After the past sessions: attendance, feedback and the get-togethers' breakout rooms.
    confirmed_of = {}
    for registration in registrations:
        if registration.status == RegistrationStatus.CONFIRMED:
            confirmed_of.setdefault(registration.event_id, []).append(registration)
    attendance, feedback, placements = [], [], []
    for event in events:
        past_sessions = [s for s in sessions_of[event.pk] if s.ends_at < now]
        came = [r for r in confirmed_of.get(event.pk, []) if rng.random() < 0.85]
        for session in past_sessions:
            attendance.extend(
                Attendance(session=session, registration=r, attended=r in came)
                for r in confirmed_of.get(event.pk, [])
            )
        if past_sessions and event.ends_at < now:
            for registration in came:
                if rng.random() < 0.5:
                    feedback.append(
                        Feedback(
                            event=event,
                            registration=registration,
                            rating=rng.choice([3, 4, 4, 5, 5, 5]),
                            comment=rng.choice(COMMENTS),
                        )
                    )
        if event.kind == EventKind.GET_TOGETHER and past_sessions and len(came) >= 4:
            result = breakouts.plan(
                breakouts.Problem(people=len(came), room_size=4, rounds=2),
                seed=event.pk,
                max_iterations=20_000,
            )
            plan = BreakoutPlan.objects.create(
                event=event,
                created_by=coordinator,
                room_size=4,
                rounds_per_session=2,
                figures=result.figures(),
            )
            for round_number, rooms in enumerate(result.rounds, start=1):
                made = BreakoutRoom.objects.bulk_create(
                    [
                        BreakoutRoom(
                            plan=plan, session=past_sessions[0], round=round_number, number=n
                        )
                        for n in range(1, len(rooms) + 1)
                    ]
                )
                for room, members in zip(made, rooms, strict=True):
                    placements.extend(
                        BreakoutPlacement(
                            room=room,
                            registration=came[i],
                            person_key=came[i].person_key,
                            name=came[i].name,
                        )
                        for i in members
                    )
    Attendance.objects.bulk_create(attendance, batch_size=2000)
    Feedback.objects.bulk_create(feedback, batch_size=2000)
    BreakoutPlacement.objects.bulk_create(placements, batch_size=2000)
    Event.objects.filter(pk__in=[e.pk for e in events if e.ends_at < now]).update(
        feedback_requested_at=now
    )
    search.search_index_rebuild(Event)
    ctx.made["events"] = len(events)
    ctx.log(
        f"  events: {len(events)} events, {len(registrations)} registrations, "
        f"{len(placements)} breakout placements"
    )
