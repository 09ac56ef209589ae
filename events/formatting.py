"""Dates and times as people read them: "Tuesday 4 November 2025, 6pm to 7:30pm"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext


def clock(value: datetime) -> str:
    """``6pm``, ``6:30pm``, ``12pm`` (midday) in the GOV.UK style."""
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    suffix = pgettext("time of day", "am") if value.hour < 12 else pgettext("time of day", "pm")
    return f"{hour}{minutes}{suffix}"


def day(value: datetime) -> str:
    return dateformat.format(value, "l j F Y")


def when(start: datetime, end: datetime, tz: ZoneInfo | str) -> str:
    """The span from ``start`` to ``end`` in ``tz``, the day written once if it is one day."""
    tz = ZoneInfo(tz) if isinstance(tz, str) else tz
    start, end = start.astimezone(tz), end.astimezone(tz)
    if start.date() == end.date():
        return _("%(day)s, %(start)s to %(end)s") % {
            "day": day(start),
            "start": clock(start),
            "end": clock(end),
        }
    return _("%(start_day)s, %(start)s to %(end_day)s, %(end)s") % {
        "start_day": day(start),
        "start": clock(start),
        "end_day": day(end),
        "end": clock(end),
    }


def series_when(count: int, start: datetime, tz: ZoneInfo | str) -> str:
    """ "6 sessions from Tuesday 4 November 2025, 6pm"."""
    tz = ZoneInfo(tz) if isinstance(tz, str) else tz
    start = start.astimezone(tz)
    return ngettext(
        "%(count)s session from %(day)s, %(start)s",
        "%(count)s sessions from %(day)s, %(start)s",
        count,
    ) % {"count": count, "day": day(start), "start": clock(start)}


def zone_label(tz_name: str) -> str:
    """A short note on the time zone: "UK time" for Europe/London, else the zone's name."""
    if tz_name in ("Europe/London", "", None):
        return _("UK time")
    return tz_name.replace("_", " ")
