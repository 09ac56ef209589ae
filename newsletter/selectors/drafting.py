"""What is new in the network since a moment: the raw material of an issue's draft.

Reads only, against the other apps' models (there is no selector in those apps for "new since"
across everyone). Everything here ends up on a PUBLIC archive page, so each query keeps to
what anyone may see or what the network chose to announce:

* events: published PUBLIC events starting after now, that were created since the last issue
  or start in the next six weeks (never members-only or invited-only: the issue also goes to
  public subscribers and its archive page is public);
* resources: published PUBLIC library entries, published since (never members-only ones);
* group posts: opportunities, events, resources and pinned discussions ("news") in the
  network-wide space or an OPEN group, never a closed or private group's, never hidden or held;
* new members: organisations approved since, with their public name, a line of what they do
  and a link to their public page (nothing else).

Each finder is one query, bounded by ``LIMIT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from core.email import absolute_url
from core.markdown import render_markdown
from newsletter.models import Section

LIMIT = 30  # per section: a newsletter with more than this is a list nobody reads
UPCOMING = timedelta(weeks=6)
SUMMARY_WORDS = 40


@dataclass(frozen=True)
class Candidate:
    """One item a draft may hold, copied from its source."""

    section: str
    title: str
    summary: str
    url: str
    source: str
    when: datetime | None = None


def plain_excerpt(markdown_text: str, words: int = SUMMARY_WORDS) -> str:
    """A short plain-text excerpt of Markdown (rendered safely, then stripped of tags)."""
    text = " ".join(strip_tags(render_markdown(markdown_text or "")).split())
    return Truncator(text).words(words, truncate="…")


def new_events(*, since: datetime, now: datetime | None = None) -> list[Candidate]:
    from events.models import Event, EventStatus, EventVisibility

    now = now or timezone.now()
    events = (
        Event.objects.filter(
            status=EventStatus.PUBLISHED,
            visibility=EventVisibility.PUBLIC,
            starts_at__gt=now,
        )
        .filter(Q(created_at__gte=since) | Q(starts_at__lt=now + UPCOMING))
        .only("id", "title", "summary", "visibility", "starts_at")
        .order_by("starts_at", "id")[:LIMIT]
    )
    return [
        Candidate(
            section=Section.EVENTS,
            title=event.title,
            summary=event.summary,
            url=absolute_url(event.get_absolute_url()),
            when=event.starts_at,
            source=f"events.event:{event.pk}",
        )
        for event in events
    ]


def new_resources(*, since: datetime) -> list[Candidate]:
    from learning.models import Resource, ResourceStatus, ResourceVisibility

    resources = (
        Resource.objects.filter(
            status=ResourceStatus.PUBLISHED,
            visibility=ResourceVisibility.PUBLIC,
            published_at__gte=since,
        )
        .only("id", "title", "slug", "summary", "visibility", "published_at")
        .order_by("-published_at", "-id")[:LIMIT]
    )
    return [
        Candidate(
            section=Section.RESOURCES,
            title=resource.title,
            summary=resource.summary,
            url=absolute_url(resource.get_absolute_url()),
            source=f"learning.resource:{resource.pk}",
        )
        for resource in resources
    ]


def announceable_threads_q() -> Q:
    """Threads a newsletter may quote: in the network-wide space or an open group (never a
    closed or private group), visible (not hidden, not held for approval), and of a kind that
    is news: an opportunity, an event, a resource, or a discussion pinned by its hosts."""
    from groups.models import GroupKind, ThreadKind

    return (
        (Q(group__is_network_wide=True) | Q(group__kind=GroupKind.OPEN))
        & Q(is_hidden=False, is_held=False)
        & (
            Q(kind__in=[ThreadKind.OPPORTUNITY, ThreadKind.EVENT, ThreadKind.RESOURCE])
            | Q(kind=ThreadKind.DISCUSSION, is_pinned=True)
        )
    )


def new_group_posts(*, since: datetime) -> list[Candidate]:
    from groups.models import Thread, ThreadKind

    threads = (
        Thread.objects.filter(announceable_threads_q(), created_at__gte=since)
        .only("id", "title", "body", "kind", "created_at")
        .order_by("-created_at", "-id")[:LIMIT]
    )
    return [
        Candidate(
            section=(
                Section.OPPORTUNITIES if thread.kind == ThreadKind.OPPORTUNITY else Section.NEWS
            ),
            title=thread.title,
            summary=plain_excerpt(thread.body),
            url=absolute_url(thread.get_absolute_url()),
            source=f"groups.thread:{thread.pk}",
        )
        for thread in threads
    ]


def new_organisations(*, since: datetime) -> list[Candidate]:
    from members.models import MembershipStatus, Organisation

    organisations = (
        Organisation.objects.filter(status=MembershipStatus.ACTIVE, approved_at__gte=since)
        .only("id", "name", "slug", "description", "approved_at")
        .order_by("approved_at", "id")[:LIMIT]
    )
    return [
        Candidate(
            section=Section.MEMBERS,
            title=organisation.name,
            summary=one_line(organisation.description),
            url=absolute_url(organisation.get_absolute_url()),
            source=f"members.organisation:{organisation.pk}",
        )
        for organisation in organisations
    ]


def one_line(text: str) -> str:
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return Truncator(" ".join(first.split())).words(25, truncate="…")


def draft_candidates(*, since: datetime, now: datetime | None = None) -> list[Candidate]:
    """Everything new since ``since``, section by section (four queries)."""
    return [
        *new_events(since=since, now=now),
        *new_resources(since=since),
        *new_group_posts(since=since),
        *new_organisations(since=since),
    ]
