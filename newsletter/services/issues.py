"""Composing an issue: start a draft filled from what is new, refresh it, edit its subject,
introduction and items. Every function runs in one transaction and only a coordinator may call
it (``PermissionDenied`` otherwise). An issue that is sending or sent is never changed again:
the archive shows it as it went out."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import is_coordinator
from newsletter.models import Issue, IssueItem, Section
from newsletter.selectors.drafting import Candidate, draft_candidates

FIRST_ISSUE_COVERS = timedelta(days=14)
EDITABLE = (Issue.Status.DRAFT, Issue.Status.SCHEDULED)


class IssueError(Exception):
    """A change that cannot be made; the message is fit to show the coordinator."""


def _check(actor) -> None:
    if not is_coordinator(actor):
        raise PermissionDenied


def _check_editable(issue: Issue) -> None:
    if issue.status not in EDITABLE:
        raise IssueError(_("This issue has been sent, so it can no longer be changed."))


def _touch(issue: Issue) -> None:
    issue.updated_at = timezone.now()
    Issue.objects.filter(pk=issue.pk).update(updated_at=issue.updated_at)


def default_subject(number: int) -> str:
    return _("%(site)s newsletter #%(number)s") % {"site": settings.SITE_NAME, "number": number}


def _add_candidates(issue: Issue, candidates: list[Candidate]) -> int:
    """Append the candidates not already in ``issue`` at the end of their sections."""
    known = set(issue.items.exclude(source="").values_list("source", flat=True))
    ends = dict(
        issue.items.order_by()
        .values("section")
        .annotate(end=Max("position"))
        .values_list("section", "end")
    )
    new = []
    for candidate in candidates:
        if candidate.source in known:
            continue
        known.add(candidate.source)
        position = ends.get(candidate.section, -1) + 1
        ends[candidate.section] = position
        new.append(
            IssueItem(
                issue=issue,
                section=candidate.section,
                position=position,
                title=candidate.title[:300],
                summary=candidate.summary[:2000],
                url=candidate.url[:500],
                when=candidate.when,
                source=candidate.source,
            )
        )
    # ignore_conflicts: a refresh racing another one never fails nor duplicates an item.
    IssueItem.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def issue_start(*, actor, now=None) -> Issue:
    """Start the next issue: numbered one after the highest so far, covering what is new
    since the last sent issue went out (or the last fortnight, for the first), with a default
    subject and a draft filled from the network's new events, resources, group posts and
    members."""
    _check(actor)
    now = now or timezone.now()
    last_sent = (
        Issue.objects.filter(status=Issue.Status.SENT, sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    covers_since = last_sent or now - FIRST_ISSUE_COVERS
    candidates = draft_candidates(since=covers_since, now=now)
    for _attempt in range(3):
        number = (Issue.objects.aggregate(top=Max("number"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                issue = Issue.objects.create(
                    number=number,
                    subject=default_subject(number),
                    covers_since=covers_since,
                    created_by=actor,
                    created_at=now,
                    updated_at=now,
                )
                _add_candidates(issue, candidates)
                return issue
        except IntegrityError:
            continue  # another coordinator took this number a moment ago: take the next
    raise IssueError(_("Could not number the new issue. Please try again."))


@transaction.atomic
def issue_refresh(*, issue: Issue, actor, now=None) -> int:
    """Add what has become new since the draft was made; items already in it (dropped ones
    too) are not added again. Returns how many were added."""
    _check(actor)
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    _check_editable(issue)
    added = _add_candidates(issue, draft_candidates(since=issue.covers_since, now=now))
    _touch(issue)
    return added


@transaction.atomic
def issue_update(*, issue: Issue, actor, subject: str, intro: str) -> Issue:
    _check(actor)
    _check_editable(issue)
    issue.subject = subject
    issue.intro = intro
    issue.updated_at = timezone.now()
    issue.save(update_fields=["subject", "intro", "updated_at"])
    return issue


@transaction.atomic
def item_set_included(*, item: IssueItem, actor, included: bool) -> IssueItem:
    """Include the item in the issue, or drop it (it stays in the draft, shown as dropped)."""
    _check(actor)
    _check_editable(item.issue)
    item.included = included
    item.save(update_fields=["included"])
    _touch(item.issue)
    return item


@transaction.atomic
def item_move(*, item: IssueItem, actor, direction: str) -> IssueItem:
    """Move the item one place up or down within its section (nothing happens at either
    end). Positions in the section are renumbered 0, 1, 2... on the way."""
    _check(actor)
    _check_editable(item.issue)
    if direction not in ("up", "down"):
        raise IssueError(_("Choose up or down."))
    siblings = list(
        IssueItem.objects.select_for_update()
        .filter(issue_id=item.issue_id, section=item.section)
        .order_by("position", "id")
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    changed = []
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            changed.append(sibling)
    IssueItem.objects.bulk_update(changed, ["position"])
    _touch(item.issue)
    item.position = next(s.position for s in siblings if s.pk == item.pk)
    return item


@transaction.atomic
def item_update(*, item: IssueItem, actor, title: str, summary: str) -> IssueItem:
    """Change the words of an item (its link and source stay as they were)."""
    _check(actor)
    _check_editable(item.issue)
    item.title = title
    item.summary = summary
    item.save(update_fields=["title", "summary"])
    _touch(item.issue)
    return item


@transaction.atomic
def item_add(
    *, issue: Issue, actor, section: str, title: str, summary: str = "", url: str = ""
) -> IssueItem:
    """Add a coordinator's own item at the end of ``section``."""
    _check(actor)
    _check_editable(issue)
    if section not in Section.values:
        raise IssueError(_("Choose a section."))
    end = issue.items.filter(section=section).aggregate(end=Max("position"))["end"]
    item = IssueItem.objects.create(
        issue=issue,
        section=section,
        position=0 if end is None else end + 1,
        title=title,
        summary=summary,
        url=url,
    )
    _touch(issue)
    return item
