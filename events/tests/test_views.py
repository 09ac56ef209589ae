"""Event pages: what each person sees, the joining link only for confirmed places, structured
data on public pages, the htmx fragments, and forms that answer bad input plainly."""

import json
import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Event, EventStatus, EventVisibility, RegistrationStatus
from events.tests.factories import EventFactory
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JOIN = "https://video.example.org/j/secret-room-123"


def detail(client, event):
    return client.get(reverse("events:detail", kwargs={"pk": event.pk}))


def jsonld(response) -> list[dict]:
    soup = BeautifulSoup(response.content, "html.parser")
    return [json.loads(s.string) for s in soup.find_all("script", type="application/ld+json")]


# --- Join links -----------------------------------------------------------------------------


def test_the_joining_link_shows_only_to_people_with_a_confirmed_place(client):
    event = EventFactory(capacity=1, join_url=JOIN, format="online")
    confirmed, waiting, other = UserFactory.create_batch(3)
    services.event_register(event=event, user=confirmed)
    services.event_register(event=event, user=waiting)

    assert JOIN not in detail(client, event).content.decode()  # a visitor
    for person in (waiting, other):
        client.force_login(person)
        assert JOIN not in detail(client, event).content.decode()
    client.force_login(confirmed)
    assert JOIN in detail(client, event).content.decode()


def test_the_joining_link_is_in_no_public_page_or_feed(client):
    event = EventFactory(join_url=JOIN, format="hybrid", venue_name="The Hall")
    services.event_register(event=event, user=UserFactory())
    member = UserFactory()
    for who in (None, member):
        if who:
            client.force_login(who)
        for url in [
            reverse("events:list"),
            reverse("events:month") + f"?month={event.starts_at:%Y-%m}",
            reverse("events:detail", kwargs={"pk": event.pk}),
            reverse("events:ics", kwargs={"pk": event.pk}),
            reverse("events:feed"),
        ]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert b"secret-room" not in response.content, url


# --- Structured data ------------------------------------------------------------------------


def test_public_event_pages_carry_schema_org_event_data_allowed_by_the_csp(client):
    event = EventFactory(
        title="Webinar: <Listening> & loneliness",
        format="hybrid",
        venue_name="Community Hall",
        venue_address="1 High Street\nAshby",
        venue_postcode="LS1 4AP",
        join_url=JOIN,
        capacity=10,
    )
    response = detail(client, event)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.content.decode()
    assert "<Listening>" not in html.split("application/ld+json")[1].split("</script>")[0]
    [data] = jsonld(response)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert data["name"] == "Webinar: <Listening> & loneliness"
    assert data["startDate"] == event.local_start.isoformat()
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    place = next(loc for loc in data["location"] if loc["@type"] == "Place")
    assert place["address"]["postalCode"] == "LS1 4AP"
    virtual = next(loc for loc in data["location"] if loc["@type"] == "VirtualLocation")
    assert virtual["url"].endswith(event.get_absolute_url())
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert "secret-room" not in json.dumps(data)


def test_members_events_have_no_structured_data(client):
    event = EventFactory(visibility=EventVisibility.MEMBERS)
    client.force_login(UserFactory())
    assert jsonld(detail(client, event)) == []


# --- Who sees what --------------------------------------------------------------------------


def test_visibility_of_events(client, member, coordinator):
    EventFactory(title="Open to all")
    members = EventFactory(title="For members", visibility=EventVisibility.MEMBERS)
    invited = EventFactory(title="Cohort only", visibility=EventVisibility.INVITED)
    draft = EventFactory(title="Still a draft", status=EventStatus.DRAFT)
    guest = UserFactory()
    invited.invitees.add(guest)

    def titles():
        return re.findall(
            r'event-card__title"><a [^>]+>([^<]+)<', client.get("/events/").content.decode()
        )

    assert titles() == ["Open to all"]
    assert detail(client, members).status_code == 404
    client.force_login(member)
    assert titles() == ["Open to all", "For members"]
    assert detail(client, invited).status_code == 404
    assert detail(client, draft).status_code == 404
    client.force_login(guest)
    assert "Cohort only" in titles()
    client.force_login(coordinator)
    assert detail(client, draft).status_code == 200
    assert "Still a draft" not in titles()


def test_filters_narrow_the_list_and_htmx_gets_only_the_results(client):
    from members.models import Region

    wales = Region.objects.get_or_create(slug="wales", defaults={"name": "Wales"})[0]
    EventFactory(title="Webinar on funding", kind="webinar")
    EventFactory(
        title="Cardiff walk",
        kind="member-event",
        format="in-person",
        region=wales,
        venue_name="Bute Park",
    )
    later = timezone.now() + timedelta(days=60)
    EventFactory(title="Autumn get-together", starts_at=later, ends_at=later + timedelta(hours=1))

    def titles(query, **headers):
        response = client.get("/events/" + query, **headers)
        assert response.status_code == 200
        return response, re.findall(
            r'event-card__title"><a [^>]+>([^<]+)<', response.content.decode()
        )

    assert titles("?kind=webinar")[1] == ["Webinar on funding"]
    assert titles("?format=in-person")[1] == ["Cardiff walk"]
    assert titles("?region=wales")[1] == ["Cardiff walk"]
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert titles(f"?date_to={soon}")[1] == ["Webinar on funding", "Cardiff walk"]
    response, found = titles("?kind=nonsense")
    assert len(found) == 3  # a bad filter is reported and left out
    assert "Select a valid choice" in response.content.decode()
    response, found = titles("?kind=webinar", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert found == ["Webinar on funding"]
    assert b"<html" not in response.content


def test_words_search_finds_events(client):
    from core import search

    for title in ("Befriending older neighbours", "Youth loneliness network"):
        search.search_index_update(EventFactory(title=title))
    response = client.get("/events/?q=youth")
    assert b"Youth loneliness network" in response.content
    assert b"Befriending" not in response.content


def test_past_events_show_latest_first(client):
    now = timezone.now()
    for days in (30, 10):
        start = now - timedelta(days=days)
        EventFactory(title=f"{days} days ago", starts_at=start, ends_at=start + timedelta(hours=1))
    content = client.get(reverse("events:past")).content.decode()
    assert content.index("10 days ago") < content.index("30 days ago")


def test_the_month_view_shows_sessions_on_their_days(client):
    event = EventFactory(title="Memory café meet-up")
    month = timezone.localtime(event.starts_at).strftime("%Y-%m")
    content = client.get(reverse("events:month") + f"?month={month}").content.decode()
    assert "Memory café meet-up" in content
    assert client.get(reverse("events:month") + "?month=rubbish").status_code == 200


# --- Registering through the pages ----------------------------------------------------------


def test_a_member_books_and_cancels_in_one_click_each(client, django_capture_on_commit_callbacks):
    event = EventFactory(capacity=5)
    member = UserFactory()
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:register", kwargs={"pk": event.pk}), follow=True)
    assert b"You have a place." in response.content
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("events:cancel_registration", kwargs={"pk": event.pk}),
            HTTP_HX_REQUEST="true",
        )
    assert b'id="registration"' in response.content and b"<html" not in response.content
    assert event.registrations.get().status == RegistrationStatus.CANCELLED


def test_a_visitor_registers_with_name_and_email_and_confirms_by_link(
    client, django_capture_on_commit_callbacks
):
    event = EventFactory(registration_question="What would you like to talk about?")
    url = reverse("events:register", kwargs={"pk": event.pk})
    response = client.post(url, {"name": "", "email": "not-an-email"})
    assert b"There is a problem" in response.content
    assert b"Enter a valid email address." in response.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"name": "Jo Bloggs", "email": "jo@example.org", "answer": "Gardening"}
        )
    assert b"Check your email" in response.content
    registration = event.registrations.get()
    assert registration.answer == "Gardening"
    link = re.search(r"http://\S+/events/confirm/\S+/", mail.outbox[0].body).group(0)
    path = link.split("127.0.0.1:8000", 1)[-1]
    assert client.get(path).status_code == 200  # GET only asks
    assert event.registrations.get().status == RegistrationStatus.UNCONFIRMED
    response = client.post(path)
    assert b"Your place is confirmed" in response.content
    assert event.registrations.get().status == RegistrationStatus.CONFIRMED


def test_visitors_cannot_register_for_members_events(client):
    event = EventFactory(visibility=EventVisibility.MEMBERS)
    response = client.post(
        reverse("events:register", kwargs={"pk": event.pk}),
        {"name": "Jo", "email": "jo@example.org"},
    )
    assert response.status_code == 404
    assert not event.registrations.exists()


def test_the_cancel_link_works_without_signing_in(client, django_capture_on_commit_callbacks):
    event = EventFactory(capacity=1)
    first, second = UserFactory.create_batch(2)
    booked = services.event_register(event=event, user=first)
    services.event_register(event=event, user=second)
    token = services.registration_token(booked, services.CANCEL_SALT)
    url = reverse("events:cancel_link", kwargs={"token": token})
    assert b"Cancel my place" in client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 200
    assert dict(event.registrations.values_list("user_id", "status")) == {
        first.pk: "cancelled",
        second.pk: "confirmed",
    }
    bad = client.get(reverse("events:cancel_link", kwargs={"token": "nope"}))
    assert bad.status_code == 400 and b"problem with this link" in bad.content


# --- Submitting and approving ---------------------------------------------------------------


def event_form(**overrides):
    day = timezone.localdate() + timedelta(days=10)
    data = {
        "kind": "member-event",
        "title": "Open day at the lunch club",
        "summary": "Come and see what we do.",
        "description": "## Programme\n\nTea, talk and a tour.",
        "date": day.isoformat(),
        "start_time": "10:00",
        "end_time": "12:00",
        "session_count": "1",
        "repeat_every": "7",
        "time_zone": "Europe/London",
        "format": "in-person",
        "venue_name": "Ashby Lunch Club",
        "venue_postcode": "ls1 4ap",
        "visibility": "public",
        "capacity": "",
    }
    data.update(overrides)
    return data


def test_a_member_submits_an_event_and_a_coordinator_approves_it(
    client, coordinator, django_capture_on_commit_callbacks
):
    member = UserFactory()
    client.force_login(member)
    response = client.post(reverse("events:new"), event_form(end_time="09:00"))
    assert b"The end time must be after the start time." in response.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:new"), event_form())
    event = Event.objects.get()
    assert response.status_code == 302
    assert event.status == EventStatus.SUBMITTED
    assert event.venue_postcode == "LS1 4AP"
    assert event.sessions.count() == 1
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert b"Open day" not in client.get("/events/").content  # not listed yet

    client.force_login(coordinator)
    assert b"Open day at the lunch club" in client.get(reverse("events:review")).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("events:publish", kwargs={"pk": event.pk}))
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED
    assert mail.outbox[-1].to == [member.email]
    from core.models import AuditEntry

    assert AuditEntry.objects.filter(action="events.event.approve").exists()
    client.logout()
    assert b"Open day at the lunch club" in client.get("/events/").content


def test_a_coordinator_turns_down_an_event_with_a_reason(
    client, coordinator, django_capture_on_commit_callbacks
):
    member = UserFactory()
    event = services.event_create(
        actor=member,
        sessions=[
            services.SessionTimes(
                timezone.now() + timedelta(days=3), timezone.now() + timedelta(days=3, hours=1)
            )
        ],
        title="Sale of goods",
        kind="member-event",
    )
    client.force_login(coordinator)
    response = client.post(reverse("events:reject", kwargs={"pk": event.pk}), {"reason": ""})
    assert b"There is a problem" in response.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("events:reject", kwargs={"pk": event.pk}), {"reason": "Not about connection."}
        )
    event.refresh_from_db()
    assert event.status == EventStatus.REJECTED
    assert "Not about connection." in mail.outbox[-1].body


def test_a_coordinator_creates_a_six_session_series(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("events:new"),
        event_form(
            kind="community-of-practice",
            session_count="6",
            repeat_every="14",
            visibility="members",
            format="online",
            venue_name="",
            venue_postcode="",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get()
    assert event.status == EventStatus.DRAFT
    sessions = list(event.sessions.all())
    assert len(sessions) == 6
    assert sessions[5].starts_at - sessions[0].starts_at == timedelta(days=70)
    assert event.ends_at == sessions[5].ends_at
    # Editing shows each session.
    response = client.get(reverse("events:edit", kwargs={"pk": event.pk}))
    assert b"Session 6: Date" in response.content


def test_organisers_see_and_export_the_attendee_list(client, coordinator):
    event = EventFactory(capacity=1)
    services.event_register(
        event=event, user=UserFactory(full_name="Ann"), access_needs="Quiet room"
    )
    services.event_register(event=event, user=UserFactory(full_name="=cmd"))
    client.force_login(coordinator)
    page = client.get(reverse("events:attendees", kwargs={"pk": event.pk})).content.decode()
    assert "Quiet room" in page and "On the waitlist" in page
    response = client.get(reverse("events:attendees_csv", kwargs={"pk": event.pk}))
    text = response.content.decode()
    assert text.splitlines()[0].startswith("Name,Email,Status")
    assert "'=cmd" in text  # no spreadsheet formulas
    member = UserFactory()
    client.force_login(member)
    assert client.get(reverse("events:attendees", kwargs={"pk": event.pk})).status_code == 403


def test_an_events_page_links_its_published_recording(client, db):
    from events.tests.factories import EventFactory
    from learning.models import Resource

    event = EventFactory()
    Resource.objects.create(
        title="Recording of the get-together",
        slug="recording-of-the-get-together",
        summary="Watch again",
        kind="recording",
        url="https://example.org/video",
        visibility="public",
        status="published",
        event=event,
    )
    body = client.get(event.get_absolute_url()).content.decode()
    assert "Recording of the get-together" in body
