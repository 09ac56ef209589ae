"""Calendar files and feeds: valid RFC 5545 that the icalendar library reads back, a stable UID
per session, DTSTAMP, Europe/London as a VTIMEZONE, and never the joining link."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from events import services
from events.models import EventVisibility
from events.tests.factories import EventFactory
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
JOIN = "https://video.example.org/j/secret-room-123"


def summer_event(**kwargs):
    start = datetime(2031, 7, 1, 18, 0, tzinfo=LONDON)
    return EventFactory(
        starts_at=start,
        ends_at=start.replace(hour=19, minute=30),
        join_url=JOIN,
        **kwargs,
    )


def parse(body: bytes) -> Calendar:
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    return calendar


def test_one_event_is_a_valid_calendar_in_uk_time(client):
    event = summer_event(title="Summer get-together", venue_name="The Old School")
    response = client.get(reverse("events:ics", kwargs={"pk": event.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content
    assert body.endswith(b"\r\n") and b"\r\n " not in body.split(b"BEGIN:VEVENT")[0][:5]
    assert all(len(line) <= 75 for line in body.split(b"\r\n")), "lines must be folded"
    calendar = parse(body)
    [timezone] = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/London"
    assert {c.name for c in timezone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    [vevent] = calendar.walk("VEVENT")
    assert vevent["UID"] == event.uid
    assert "DTSTAMP" in vevent
    assert vevent["SUMMARY"] == "Summer get-together"
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert vevent.decoded("DTSTART") == datetime(2031, 7, 1, 18, 0, tzinfo=LONDON)
    assert vevent.decoded("DTSTART").utcoffset().total_seconds() == 3600  # BST
    assert vevent.decoded("DTEND") == datetime(2031, 7, 1, 19, 30, tzinfo=LONDON)
    assert vevent["STATUS"] == "CONFIRMED"
    assert JOIN.encode() not in body
    assert b"secret-room" not in body


def test_every_session_of_a_series_has_its_own_uid():
    event = EventFactory(sessions=3, join_url=JOIN)
    from events.ics import event_calendar

    vevents = parse(event_calendar(event)).walk("VEVENT")
    assert len({str(v["UID"]) for v in vevents}) == 3
    assert [str(v["SUMMARY"]) for v in vevents][1].endswith("(session 2 of 3)")


def test_the_public_feed_lists_public_events_only_and_no_joining_links(client):
    public = summer_event(title="Open webinar")
    summer_event(title="Members catch-up", visibility=EventVisibility.MEMBERS)
    summer_event(title="Draft idea", status="draft")
    response = client.get(reverse("events:feed"))
    assert response.status_code == 200
    calendar = parse(response.content)
    assert calendar["X-WR-CALNAME"]
    assert [str(v["SUMMARY"]) for v in calendar.walk("VEVENT")] == ["Open webinar"]
    assert str(calendar.walk("VEVENT")[0]["UID"]) == public.uid
    assert JOIN.encode() not in response.content


def test_a_personal_feed_shows_my_events_until_its_address_is_reset(client):
    mine = summer_event(title="Members catch-up", visibility=EventVisibility.MEMBERS)
    summer_event(title="Not for me")
    member = UserFactory()
    services.event_register(event=mine, user=member)
    old = services.feed_token_reset(user=member)
    url = reverse("events:feed_personal", kwargs={"token": old.token})

    response = client.get(url)
    assert response.status_code == 200
    assert [str(v["SUMMARY"]) for v in parse(response.content).walk("VEVENT")] == [
        "Members catch-up"
    ]
    assert JOIN.encode() not in response.content
    assert "no-store" in response["Cache-Control"]

    new = services.feed_token_reset(user=member)
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("events:feed_personal", kwargs={"token": new.token})).status_code == 200
    )
    services.feed_token_revoke(user=member)
    assert (
        client.get(reverse("events:feed_personal", kwargs={"token": new.token})).status_code == 404
    )
    assert client.get(reverse("events:feed_personal", kwargs={"token": "guess"})).status_code == 404


def test_a_cancelled_event_stays_in_the_feed_marked_cancelled(client, coordinator):
    event = summer_event()
    services.event_cancel(event=event, actor=coordinator)
    [vevent] = parse(client.get(reverse("events:feed")).content).walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["SEQUENCE"] == 1


def test_other_time_zones_get_their_own_vtimezone():
    event = summer_event(time_zone="America/New_York")
    from events.ics import event_calendar

    calendar = parse(event_calendar(event))
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    [vevent] = calendar.walk("VEVENT")
    assert vevent["DTSTART"].params["TZID"] == "America/New_York"
    assert vevent.decoded("DTSTART").astimezone(LONDON).hour == 18


def test_the_public_feed_is_cached_but_shows_an_edit_or_a_new_event_at_once(
    client, coordinator, django_assert_max_num_queries
):
    first = summer_event(title="Walk and talk")
    response = client.get(reverse("events:feed"))
    etag = response["ETag"]
    # Built once; the next request is one small query and the cached file.
    with django_assert_max_num_queries(1):
        again = client.get(reverse("events:feed"))
    assert again.content == response.content
    # A calendar app that sends the ETag back is told nothing changed.
    unchanged = client.get(reverse("events:feed"), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and not unchanged.content

    services.event_update(event=first, actor=coordinator, title="Walk, talk, tea")
    edited = client.get(reverse("events:feed"), HTTP_IF_NONE_MATCH=etag)
    assert edited.status_code == 200 and edited["ETag"] != etag
    assert [str(v["SUMMARY"]) for v in parse(edited.content).walk("VEVENT")] == ["Walk, talk, tea"]

    summer_event(title="Knit and natter")
    titles = {
        str(v["SUMMARY"]) for v in parse(client.get(reverse("events:feed")).content).walk("VEVENT")
    }
    assert titles == {"Walk, talk, tea", "Knit and natter"}
