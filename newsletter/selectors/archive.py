"""Reads for the coordinators' issue pages and the public archive, each in a fixed number of
queries however many issues and items there are.

The archive shows SENT issues only: a draft, scheduled or sending issue's number is "not
found" for everyone (coordinators preview through the manage pages)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from newsletter.models import Issue, IssueItem, Section
from newsletter.rendering import sections_of

FEED_LIMIT = 20


# --- Coordinators ---------------------------------------------------------------------------


@dataclass
class StatusCount:
    status: str
    label: str
    count: int


def issues_for_manage() -> QuerySet:
    """Every issue, newest number first, with how many items it has and how many are in
    (page it with ``("-number", "-pk")``)."""
    return Issue.objects.annotate(
        item_count=Count("items"),
        included_count=Count("items", filter=Q(items__included=True)),
    ).only("id", "number", "subject", "status", "scheduled_for", "sent_at", "created_at")


def issue_status_counts() -> list[StatusCount]:
    """How many issues are drafts, scheduled, sending and sent (one query)."""
    counts = Issue.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Issue.Status.values}
    )
    return [StatusCount(status, label, counts[status]) for status, label in Issue.Status.choices]


@dataclass
class IssueSection:
    key: str
    heading: str
    items: list


def issue_for_edit(pk: int) -> Issue | None:
    """An issue with all its items (two queries), or ``None``."""
    return (
        Issue.objects.filter(pk=pk)
        .prefetch_related(Prefetch("items", queryset=IssueItem.objects.order_by("position", "id")))
        .first()
    )


def issue_sections(issue: Issue, *, included_only: bool = False) -> list[IssueSection]:
    """The issue's items (already fetched) by section, every section listed even when
    empty (so a coordinator sees where custom items can go)."""
    items = [i for i in issue.items.all() if i.included or not included_only]
    found = {key: section_items for key, _heading, section_items in sections_of(items)}
    return [
        IssueSection(key, label, found.get(key, []))
        for key, label in Section.choices
        if found.get(key) or not included_only
    ]


def item_get(*, issue_pk: int, pk: int) -> IssueItem | None:
    return IssueItem.objects.select_related("issue").filter(pk=pk, issue_id=issue_pk).first()


def section_items(item: IssueItem) -> list[IssueItem]:
    """The items of ``item``'s section in their order (after a move)."""
    return list(
        IssueItem.objects.filter(issue_id=item.issue_id, section=item.section).order_by(
            "position", "id"
        )
    )


# --- The public archive ---------------------------------------------------------------------


def archive_issues() -> QuerySet:
    """Sent issues, for the archive list (page it with ``("-number", "-pk")``)."""
    return Issue.objects.filter(status=Issue.Status.SENT).only(
        "id", "number", "subject", "intro", "sent_at"
    )


def archive_issue(number: int) -> Issue | None:
    """A sent issue with its included items (two queries), or ``None``."""
    return (
        Issue.objects.filter(number=number, status=Issue.Status.SENT)
        .prefetch_related(
            Prefetch(
                "items",
                queryset=IssueItem.objects.filter(included=True).order_by("position", "id"),
            )
        )
        .first()
    )


def feed_issues(limit: int = FEED_LIMIT) -> list[Issue]:
    """The newest sent issues with their included items, for the RSS feed (two queries)."""
    return list(
        Issue.objects.filter(status=Issue.Status.SENT)
        .order_by("-sent_at", "-number")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=IssueItem.objects.filter(included=True).order_by("position", "id"),
            )
        )[:limit]
    )
