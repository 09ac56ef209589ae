"""Template helpers for events: schema.org structured data."""

import contextlib
import json

from django import template
from django.urls import NoReverseMatch
from django.utils.safestring import mark_safe

from core.email import absolute_url
from events.models import EventFormat, EventVisibility

register = template.Library()

_ATTENDANCE = {
    EventFormat.ONLINE: "https://schema.org/OnlineEventAttendanceMode",
    EventFormat.IN_PERSON: "https://schema.org/OfflineEventAttendanceMode",
    EventFormat.HYBRID: "https://schema.org/MixedEventAttendanceMode",
}
# JSON inside <script> must not be able to close the element or open a comment.
_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def event_structured_data(event, places=None) -> dict:
    """schema.org Event for a public event: never the joining link (the online "location" is
    the public event page)."""
    url = absolute_url(event.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "url": url,
        "startDate": event.local_start.isoformat(),
        "endDate": event.local_end.isoformat(),
        "eventStatus": "https://schema.org/EventCancelled"
        if event.is_cancelled
        else "https://schema.org/EventScheduled",
        "eventAttendanceMode": _ATTENDANCE[event.format],
        "isAccessibleForFree": True,
    }
    if event.summary:
        data["description"] = event.summary
    locations = []
    if event.is_online:
        locations.append({"@type": "VirtualLocation", "url": url})
    if event.is_in_person:
        place = {"@type": "Place", "name": event.venue_name or event.venue_address.split("\n")[0]}
        address = {"@type": "PostalAddress", "addressCountry": "GB"}
        if event.venue_address:
            address["streetAddress"] = " ".join(event.venue_address.split())
        if event.venue_postcode:
            address["postalCode"] = event.venue_postcode
        place["address"] = address
        locations.append(place)
    data["location"] = locations[0] if len(locations) == 1 else locations
    if event.host_organisation_id:
        organiser = event.host_organisation
        data["organizer"] = {"@type": "Organization", "name": organiser.name}
        # The directory may not publish organisation pages.
        with contextlib.suppress(NoReverseMatch):
            data["organizer"]["url"] = absolute_url(organiser.get_absolute_url())
    if event.takes_registrations:
        offer = {
            "@type": "Offer",
            "price": "0",
            "priceCurrency": "GBP",
            "url": url,
        }
        if places is not None:
            offer["availability"] = (
                "https://schema.org/SoldOut" if places.full else "https://schema.org/InStock"
            )
        data["offers"] = offer
    return data


@register.simple_tag
def event_jsonld(event, places=None):
    """A ``<script type="application/ld+json">`` data block for a published public event (an
    empty string for others). Browsers do not run data blocks, so the Content-Security-Policy
    (no inline scripts) does not apply to it."""
    if event.visibility != EventVisibility.PUBLIC or not (event.is_published or event.is_cancelled):
        return ""
    payload = json.dumps(event_structured_data(event, places), ensure_ascii=False).translate(
        _ESCAPES
    )
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308


@register.filter
def clock(value):
    """A time as "2:20pm" (in the site's time zone), the way the rest of the pages write it."""
    from django.utils import timezone

    from events.formatting import clock as format_clock

    return format_clock(timezone.localtime(value)) if value else ""
