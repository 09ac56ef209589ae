"""iCalendar (RFC 5545) files for events: one event, the public feed, a person's own feed.

Every VEVENT has a stable UID (one per session), DTSTAMP, SEQUENCE and times in the event's time
zone with a matching VTIMEZONE. The online joining link is never written into a calendar file:
files get forwarded and feeds get shared, so the link stays on the event page (for people with
a confirmed place) and in the one-hour reminder.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as VEvent

from core.email import absolute_url
from events.models import DEFAULT_TIME_ZONE, Event

PRODID = "-//Coalition//Events//EN"


def _london() -> Timezone:
    """Europe/London by its rules (valid every year), not a table of past transitions."""
    tz = Timezone()
    tz.add("tzid", DEFAULT_TIME_ZONE)
    tz.add("x-lic-location", DEFAULT_TIME_ZONE)
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("tzoffsetfrom", _offset(0))
    summer.add("tzoffsetto", _offset(60))
    summer.add("dtstart", datetime(1970, 3, 29, 1, 0))  # noqa: DTZ001 - floating by definition
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("tzoffsetfrom", _offset(60))
    winter.add("tzoffsetto", _offset(0))
    winter.add("dtstart", datetime(1970, 10, 25, 2, 0))  # noqa: DTZ001
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    tz.add_component(summer)
    tz.add_component(winter)
    return tz


def _offset(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)


def _location(event: Event) -> str:
    if event.is_in_person:
        parts = [event.venue_name, " ".join(event.venue_address.split()), event.venue_postcode]
        place = ", ".join(p for p in parts if p)
        if event.is_online:
            return _("%(place)s, and online") % {"place": place} if place else _("Online")
        return place
    return _("Online")


def _description(event: Event, url: str) -> str:
    lines = [event.summary] if event.summary else []
    if event.is_online and not event.is_cancelled:
        lines.append(_("Join online: the link is on the event page for people with a place."))
    if event.venue_accessibility:
        lines.append(_("Access: %(info)s") % {"info": event.venue_accessibility})
    lines.append(url)
    return "\n\n".join(lines)


def vevents(event: Event) -> list[VEvent]:
    """One VEVENT per session of ``event`` (sessions should be prefetched)."""
    url = absolute_url(event.get_absolute_url())
    sessions = list(event.sessions.all())
    total = len(sessions)
    components = []
    for session in sessions:
        vevent = VEvent()
        vevent.add("uid", session.uid)
        vevent.add("dtstamp", event.updated_at)
        vevent.add("created", event.created_at)
        vevent.add("last-modified", event.updated_at)
        vevent.add("sequence", event.sequence)
        summary = event.title
        if total > 1:
            summary = _("%(title)s (session %(number)s of %(total)s)") % {
                "title": event.title,
                "number": session.number,
                "total": total,
            }
        vevent.add("summary", summary)
        vevent.add("dtstart", session.starts_at.astimezone(event.tz))
        vevent.add("dtend", session.ends_at.astimezone(event.tz))
        vevent.add("location", _location(event))
        vevent.add("description", _description(event, url))
        vevent.add("url", url)
        vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
        vevent.add("categories", [event.get_kind_display()])
        vevent.add("transp", "OPAQUE")
        components.append(vevent)
    return components


def calendar_bytes(events: Iterable[Event], *, name: str = "", method: str = "PUBLISH") -> bytes:
    """A whole VCALENDAR for ``events`` (each with its sessions prefetched), as bytes."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", _offset(60), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    zones = set()
    for event in events:
        zones.add(event.time_zone or DEFAULT_TIME_ZONE)
        for component in vevents(event):
            calendar.add_component(component)
    if DEFAULT_TIME_ZONE in zones:
        calendar.add_component(_london())
    if zones - {DEFAULT_TIME_ZONE}:
        calendar.add_missing_timezones()  # others from the zoneinfo database
    # VTIMEZONEs conventionally come first; clients accept either order.
    calendar.subcomponents.sort(key=lambda c: c.name != "VTIMEZONE")
    return calendar.to_ical()


def event_calendar(event: Event) -> bytes:
    return calendar_bytes([event])


def feed_name(personal: bool = False) -> str:
    if personal:
        return _("%(site)s: events I'm going to") % {"site": settings.SITE_NAME}
    return _("%(site)s events") % {"site": settings.SITE_NAME}
