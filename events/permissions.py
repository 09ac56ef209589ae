"""Who may see, register for and run an event: the ``access_*`` helpers for events, built on the
roles in ``core.permissions``. Every view in this app asks these questions and nothing else.

* Anyone sees a published public event; members also see members' events; an "invited" event
  is seen by the people invited, by the members of every group that lists it among its events
  (a group's or a cohort's own sessions), and by its organisers.
* Organisers of an event are coordinators, the person who created it, and the admins of its
  host organisation. They see drafts, the attendee list, attendance and feedback results.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from core.permissions import is_coordinator, is_member, is_org_admin
from events.models import Event, EventStatus, EventVisibility

LISTED_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


def visible_events_q(user) -> Q:
    """A filter on ``Event`` for the published (or cancelled) events ``user`` may see."""
    listed = Q(status__in=LISTED_STATUSES)
    if is_coordinator(user):
        return listed
    if is_member(user):
        invited = Exists(
            Event.invitees.through.objects.filter(event_id=OuterRef("pk"), user_id=user.pk)
        )
        return listed & (
            Q(visibility__in=[EventVisibility.PUBLIC, EventVisibility.MEMBERS])
            | (Q(visibility=EventVisibility.INVITED) & (invited | _in_a_group_of(user)))
        )
    return listed & Q(visibility=EventVisibility.PUBLIC)


def can_manage_event(user, event: Event) -> bool:
    """Organises ``event``: edits it, sees who is coming, records attendance, plans rooms."""
    if not user.is_authenticated:
        return False
    if is_coordinator(user):
        return True
    if not is_member(user):
        return False
    if event.created_by_id == user.pk:
        return True
    return event.host_organisation_id is not None and is_org_admin(user, event.host_organisation)


def can_view_event(user, event: Event) -> bool:
    if can_manage_event(user, event):
        return True
    if event.status not in LISTED_STATUSES:
        return False
    if event.visibility == EventVisibility.PUBLIC:
        return True
    if event.visibility == EventVisibility.MEMBERS:
        return is_member(user)
    return is_member(user) and (
        event.invitees.filter(pk=user.pk).exists()
        or Event.objects.filter(pk=event.pk).filter(_in_a_group_of(user)).exists()
    )


def _in_a_group_of(user) -> Exists:
    """The event is one of the events of a group ``user`` belongs to (every member belongs to
    the network-wide space)."""
    from groups.models import Group, MembershipStatus

    links = Group.events.through.objects.filter(event_id=OuterRef("pk"))
    return Exists(
        links.filter(
            Q(group__is_network_wide=True)
            | Q(
                group__memberships__user_id=user.pk,
                group__memberships__status=MembershipStatus.ACTIVE,
            )
        )
    )


def can_register(user, event: Event) -> bool:
    """May ask for a place now (whether one is free is for the service to decide)."""
    if not (event.is_published and event.takes_registrations and not event.is_past):
        return False
    if not user.is_authenticated:
        return event.visibility == EventVisibility.PUBLIC
    return can_view_event(user, event) and (
        event.visibility == EventVisibility.PUBLIC or is_member(user)
    )


def can_submit_event(user) -> bool:
    """Members share their own events and others' events; coordinators approve them."""
    return is_member(user)


def can_review_events(user) -> bool:
    return is_coordinator(user)


def can_edit_prompts(user) -> bool:
    return is_coordinator(user)


def access_event(user, event: Event | None) -> Event:
    """``event`` if ``user`` may see it; otherwise a 404, so hidden events stay unknown."""
    if event is None or not can_view_event(user, event):
        raise Http404
    return event


def access_event_management(user, event: Event) -> Event:
    """``event`` if ``user`` organises it: 404 for those who cannot see it, 403 otherwise."""
    access_event(user, event)
    if not can_manage_event(user, event):
        raise PermissionDenied
    return event
