"""Reads for group pages, threads, notifications and digests, each in a fixed number of
queries however many threads or replies there are."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from core import search
from core.permissions import is_coordinator, is_member
from groups import permissions as perms
from groups.models import (
    Attachment,
    Challenge,
    ChallengeUpdate,
    EmailInvitation,
    Frequency,
    Group,
    GroupKind,
    Membership,
    MembershipStatus,
    Notification,
    NotificationKind,
    PersonSettings,
    Reply,
    Report,
    ReportStatus,
    Thread,
)

SHORT_POST_CHARS = 600  # digests show shorter posts in full


def register_search() -> None:
    search.register(Group, weights={"A": "name", "C": "purpose"})
    search.register(
        Thread,
        weights={
            "A": "title",
            "C": "body",
            "D": lambda t: [r.body for r in t.replies.all() if not (r.is_hidden or r.is_held)],
        },
        queryset=lambda: Thread.objects.prefetch_related("replies"),
    )


# --- Which groups a person can see ----------------------------------------------------------


def readable_groups(user) -> QuerySet:
    """Groups whose threads ``user`` may read."""
    if is_coordinator(user):
        return Group.objects.all()
    if not is_member(user):
        return Group.objects.none()
    mine = Membership.objects.filter(
        group=OuterRef("pk"), user=user, status=MembershipStatus.ACTIVE
    )
    return Group.objects.filter(Q(kind=GroupKind.OPEN) | Q(is_network_wide=True) | Q(Exists(mine)))


def groups_listed_for(user) -> list[Group]:
    """Every group the person may see, annotated with ``my_status`` (one query)."""
    if not is_member(user):
        return []
    mine = Membership.objects.filter(group=OuterRef("pk"), user=user)
    groups = Group.objects.annotate(
        my_status=mine.values("status")[:1], my_role=mine.values("role")[:1]
    )
    if not is_coordinator(user):
        groups = groups.filter(~Q(kind=GroupKind.PRIVATE) | Q(Exists(mine)))
    return list(groups.order_by("-is_network_wide", "name"))


THREAD_LIST_COLUMNS = (
    "id",
    "group_id",
    "author_id",
    "kind",
    "title",
    "created_at",
    "last_activity_at",
    "reply_count",
    "is_pinned",
    "is_locked",
    "is_hidden",
    "is_held",
)
PEOPLE_COLUMNS = ("id", "full_name")  # what ``str(user)`` needs


def visible_threads(user, group: Group | None = None) -> QuerySet:
    if group is None:
        threads = Thread.objects.filter(group__in=readable_groups(user))
    elif perms.can_read(user, group):  # the same rule as readable_groups, without a subquery
        threads = Thread.objects.filter(group=group)
    else:
        return Thread.objects.none()
    if group is None or not perms.can_moderate(user, group):
        threads = threads.filter(is_hidden=False).filter(Q(is_held=False) | Q(author=user))
    return threads


def threads_search(user, q: str) -> QuerySet:
    """Threads matching ``q`` among those the person may read (never other groups')."""
    return search.search_filter(visible_threads(user).select_related("author", "group"), q)


def group_threads(user, group: Group) -> QuerySet:
    """A group page's list: threads by title, tags, author and activity. The page knows the
    group (no join for it) and needs neither the posts' text nor the authors' whole rows."""
    return (
        visible_threads(user, group)
        .select_related("author")
        .only(*THREAD_LIST_COLUMNS, *(f"author__{name}" for name in PEOPLE_COLUMNS))
    )


def group_sidebar(group: Group) -> dict:
    # The sidebar links each by title: only those columns (events' rows are wide).
    upcoming = (
        group.events.filter(ends_at__gte=timezone.now(), status="published")
        .order_by("starts_at")
        .only("id", "title")[:5]
    )
    resources = (
        Thread.objects.filter(group=group, kind="resource", is_hidden=False, is_held=False)
        .order_by("-created_at")
        .only("id", "title")[:5]
    )
    # Hosts by name (as ``str(user)`` gives it), not as whole rows of people.
    hosts = Membership.objects.filter(
        group=group, role="host", status=MembershipStatus.ACTIVE
    ).values_list("user__full_name", "user_id")
    return {
        "events": list(upcoming),
        "resources": list(resources),
        "hosts": [get_user_model().display_name(full_name, pk) for full_name, pk in hosts],
    }


REPLY_COLUMNS = (
    "id",
    "thread_id",
    "author_id",
    "body",
    "body_html",
    "quoted_id",
    "created_at",
    "edited_at",
    "is_hidden",
    "is_held",
    "via_email",
)
QUOTED_COLUMNS = ("id", "author_id", "body", "is_hidden", "is_held")


def thread_replies(user, thread: Thread) -> QuerySet:
    """Replies in order, with everything a reply needs on the page (a fixed query count)."""
    replies = Reply.objects.filter(thread=thread)
    if not perms.can_moderate(user, thread.group):
        replies = replies.filter(is_hidden=False).filter(Q(is_held=False) | Q(author=user))
    # Only the columns a reply shows: a user row is some 30 columns, three per reply.
    return replies.select_related("author", "quoted", "quoted__author").only(
        *REPLY_COLUMNS,
        *(f"author__{name}" for name in PEOPLE_COLUMNS),
        *(f"quoted__{name}" for name in QUOTED_COLUMNS),
        *(f"quoted__author__{name}" for name in PEOPLE_COLUMNS),
    )  # attachments: ``attach_post_attachments``, with the opening post's, in one query


def attach_post_attachments(thread: Thread, replies: list) -> list[Attachment]:
    """The thread's own attachments, returned, and each reply's set on it as
    ``attachment_list``, in one query for the opening post and the page of replies."""
    if not thread.has_attachments:  # nothing to look up (most threads)
        for reply in replies:
            reply.attachment_list = []
        return []
    ids = [reply.pk for reply in replies]
    found = thread.attachments.filter(Q(reply=None) | Q(reply_id__in=ids)).order_by("pk")
    by_reply: dict = {}
    for attachment in found:
        by_reply.setdefault(attachment.reply_id, []).append(attachment)
    for reply in replies:
        reply.attachment_list = by_reply.get(reply.pk, [])
    return by_reply.get(None, [])


# --- Notifications --------------------------------------------------------------------------


def _my_notifications(user) -> QuerySet:
    # After leaving a closed or private group, its threads' titles stop showing here too.
    return Notification.objects.filter(recipient=user).filter(
        Q(kind__in=[NotificationKind.REQUEST, NotificationKind.INVITE])
        | Q(group__in=readable_groups(user))
    )


def unread_count(user) -> int:
    """The number in the header's "Groups (n)". Most pages are seen by someone with nothing
    unread: a plain indexed look-up answers that, and only otherwise is the count made with the
    rule about groups they may still read (a query that costs more to plan than to run)."""
    if not is_member(user):
        return 0
    if not Notification.objects.filter(recipient=user, read_at=None).exists():
        return 0
    return _my_notifications(user).filter(read_at=None).count()


def notifications_for(user) -> QuerySet:
    return _my_notifications(user).select_related("group", "thread", "actor")


def _readers(group: Group, user_ids) -> set[int]:
    """Of ``user_ids``, the people who may read ``group`` (one query)."""
    users = get_user_model().objects.filter(pk__in=list(user_ids), is_active=True)
    users = users.filter(Q(status="active") | Q(is_coordinator=True))
    if not (group.kind == GroupKind.OPEN or group.is_network_wide):
        in_group = Membership.objects.filter(
            group=group, user=OuterRef("pk"), status=MembershipStatus.ACTIVE
        )
        users = users.filter(Q(Exists(in_group)) | Q(is_coordinator=True))
    return set(users.values_list("pk", flat=True))


@dataclass
class Audience:
    post: object
    thread: Thread
    in_site: list = field(default_factory=list)  # (user, NotificationKind)
    emails: list = field(default_factory=list)  # (user, stream)


def post_audience(*, kind: str, pk: int) -> Audience | None:
    """Who hears about a new thread or reply, and how. Only people who may read the group are
    ever included: private and closed content never reaches anyone else."""
    from groups.services import MENTIONS_STREAM, mentioned_users

    if kind == "thread":
        post = Thread.objects.select_related("group").filter(pk=pk).first()
        thread = post
    else:
        post = Reply.objects.select_related("thread__group").filter(pk=pk).first()
        thread = post.thread if post else None
    if post is None or post.is_hidden or post.is_held or thread.is_hidden:
        return None
    group = thread.group
    audience = Audience(post=post, thread=thread)
    User = get_user_model()

    mentioned = {u.pk for u in mentioned_users(post.body)} - {post.author_id}
    personal = dict.fromkeys(mentioned, NotificationKind.MENTION)
    if kind == "reply" and thread.author_id and thread.author_id != post.author_id:
        personal.setdefault(thread.author_id, NotificationKind.REPLY)
    if group.is_network_wide:
        every = set(
            PersonSettings.objects.filter(network_frequency=Frequency.EVERY_POST).values_list(
                "user_id", flat=True
            )
        )
    else:
        every = set(
            Membership.objects.filter(
                group=group, status=MembershipStatus.ACTIVE, email_frequency=Frequency.EVERY_POST
            ).values_list("user_id", flat=True)
        )
    every.discard(post.author_id)
    allowed = _readers(group, set(personal) | every)
    users = User.objects.in_bulk(allowed)
    muted = set(
        PersonSettings.objects.filter(user_id__in=allowed, mention_emails=False).values_list(
            "user_id", flat=True
        )
    )
    for user_pk, note_kind in personal.items():
        if user_pk in users:
            audience.in_site.append((users[user_pk], note_kind))
    for user_pk in sorted(allowed):
        if user_pk in every:
            audience.emails.append((users[user_pk], f"group:{group.pk}"))
        elif user_pk in personal and user_pk not in muted:
            audience.emails.append((users[user_pk], MENTIONS_STREAM))
    return audience


# --- Digests --------------------------------------------------------------------------------


@dataclass
class DigestThread:
    thread: Thread
    is_new: bool
    replies: list
    more_replies: int


@dataclass
class DigestGroup:
    group: Group
    threads: list


@dataclass
class Digest:
    user: object
    frequency: str
    since: datetime
    until: datetime
    groups: list


DIGEST_MAX_THREADS = 200  # per digest: the newest activity first
DIGEST_LAST_REPLIES = 3  # per thread: the latest replies in the window, the rest counted


def _digest_subscriptions(users: list, frequency: str) -> dict[int, list[int]]:
    """For each person, the groups whose ``frequency`` digest they chose (three queries for
    everyone). An active membership makes a group readable (``readable_groups``), and every
    member reads the network-wide space, so these are all groups the person may read now."""
    pks = [u.pk for u in users]
    chosen: dict[int, list[int]] = {pk: [] for pk in pks}
    for user_pk, group_pk in Membership.objects.filter(
        user_id__in=pks, status=MembershipStatus.ACTIVE, email_frequency=frequency
    ).values_list("user_id", "group_id"):
        chosen[user_pk].append(group_pk)
    network = Group.objects.filter(is_network_wide=True).values_list("pk", flat=True).first()
    if network:
        own = dict(
            PersonSettings.objects.filter(user_id__in=pks).values_list(
                "user_id", "network_frequency"
            )
        )
        for pk in pks:
            if own.get(pk, Frequency.WEEKLY) == frequency:
                chosen[pk].append(network)
    return chosen


def _digest_threads(group_ids, since: datetime, until: datetime) -> dict[int, list]:
    """Each group's news in the window, newest activity first, as ``DigestThread`` items
    shared by every digest that includes the group (two queries for all groups)."""
    threads = list(
        Thread.objects.filter(
            group_id__in=group_ids,
            is_hidden=False,
            is_held=False,
            last_activity_at__gte=since,
            last_activity_at__lt=until,
        )
        .select_related("group", "author")
        .order_by("-last_activity_at", "-pk")
    )
    if not threads:
        return {}
    in_window = Reply.objects.filter(
        thread_id__in=[t.pk for t in threads],
        is_hidden=False,
        is_held=False,
        created_at__gte=since,
        created_at__lt=until,
    )
    counts = dict(
        in_window.order_by()
        .values("thread_id")
        .annotate(n=Count("pk"))
        .values_list("thread_id", "n")
    )
    latest: dict[int, list] = {}
    if counts:
        newest_first = Window(
            RowNumber(),
            partition_by=[F("thread_id")],
            order_by=[F("created_at").desc(), F("pk").desc()],
        )
        for reply in (
            in_window.filter(thread_id__in=list(counts))
            .annotate(position=newest_first)
            .filter(position__lte=DIGEST_LAST_REPLIES)
            .select_related("author")
            .order_by("created_at", "pk")
        ):
            latest.setdefault(reply.thread_id, []).append(reply)
    by_group: dict[int, list] = {}
    for thread in threads:
        replies = latest.get(thread.pk, [])
        is_new = since <= thread.created_at < until
        if not is_new and not replies:
            continue
        by_group.setdefault(thread.group_id, []).append(
            DigestThread(
                thread=thread,
                is_new=is_new,
                replies=replies,
                more_replies=max(0, counts.get(thread.pk, 0) - len(replies)),
            )
        )
    return by_group


def digests_for(*, user_pks, frequency: str, since: datetime, until: datetime) -> dict[int, Digest]:
    """Many people's digests at once, in a fixed number of queries however many people,
    groups, threads or replies: by group, newest activity first; short posts in full; only
    groups each person can read now. People who are no longer members get none; a digest's
    ``groups`` is empty when nothing happened."""
    users = [u for u in get_user_model().objects.filter(pk__in=list(user_pks)) if is_member(u)]
    if not users:
        return {}
    chosen = _digest_subscriptions(users, frequency)
    news = _digest_threads({g for ids in chosen.values() for g in ids}, since, until)

    def newest_first(item):
        return (item.thread.last_activity_at, item.thread.pk)

    digests = {}
    for user in users:
        lists = [news[g] for g in chosen[user.pk] if g in news]
        merged = heapq.merge(*lists, key=newest_first, reverse=True)
        by_group: dict[int, DigestGroup] = {}
        for item in itertools.islice(merged, DIGEST_MAX_THREADS):
            thread = item.thread
            entry = by_group.setdefault(
                thread.group_id, DigestGroup(group=thread.group, threads=[])
            )
            entry.threads.append(item)
        digests[user.pk] = Digest(
            user=user,
            frequency=frequency,
            since=since,
            until=until,
            groups=list(by_group.values()),
        )
    return digests


def digest_for(*, user_pk: int, frequency: str, since: datetime, until: datetime) -> Digest | None:
    """One person's digest (see ``digests_for``); ``None`` if they are not a member."""
    return digests_for(user_pks=[user_pk], frequency=frequency, since=since, until=until).get(
        user_pk
    )


def digest_recipients(*, frequency: str, since: datetime, until: datetime):
    """The people who may get a digest: members of groups with activity in the window who
    chose ``frequency`` (an iterator of ids; a person with nothing new gets no email)."""
    active_groups = set(
        Thread.objects.filter(last_activity_at__gte=since, last_activity_at__lt=until)
        .values_list("group_id", flat=True)
        .distinct()
    )
    seen: set[int] = set()
    for user_pk in (
        Membership.objects.filter(
            group_id__in=active_groups, status=MembershipStatus.ACTIVE, email_frequency=frequency
        )
        .values_list("user_id", flat=True)
        .distinct()
        .iterator(chunk_size=5000)
    ):
        seen.add(user_pk)
        yield user_pk
    if Group.objects.filter(pk__in=active_groups, is_network_wide=True).exists():
        chose_other = PersonSettings.objects.exclude(network_frequency=frequency).values("user_id")
        members = get_user_model().objects.filter(status="active", is_active=True)
        if frequency != Frequency.WEEKLY:
            members = members.filter(
                pk__in=PersonSettings.objects.filter(network_frequency=frequency).values("user_id")
            )
        else:
            members = members.exclude(pk__in=chose_other)
        for user_pk in members.values_list("pk", flat=True).iterator(chunk_size=5000):
            if user_pk not in seen:
                yield user_pk


# --- Moderation and cohorts -----------------------------------------------------------------


def moderation_queue(user) -> dict:
    """Open reports and held posts in the groups ``user`` moderates."""
    if is_coordinator(user):
        groups = Group.objects.all()
    else:
        groups = Group.objects.filter(
            memberships__user=user,
            memberships__role="host",
            memberships__status=MembershipStatus.ACTIVE,
        )
    reports = (
        Report.objects.filter(status=ReportStatus.OPEN, thread__group__in=groups)
        .select_related("thread__group", "reply__author", "thread__author", "reporter")
        .order_by("created_at")[:200]
    )
    held_threads = Thread.objects.filter(group__in=groups, is_held=True).select_related(
        "group", "author"
    )[:200]
    held_replies = Reply.objects.filter(thread__group__in=groups, is_held=True).select_related(
        "thread__group", "author"
    )[:200]
    requests = Membership.objects.filter(
        group__in=groups, status=MembershipStatus.REQUESTED
    ).select_related("group", "user")[:200]
    return {
        "reports": list(reports),
        "held_threads": list(held_threads),
        "held_replies": list(held_replies),
        "requests": list(requests),
    }


def group_members(viewer, group: Group) -> list[Membership]:
    """The group's members, requests and invitations, for its hosts (one query). Someone
    invited by an email address the host typed is left out until they accept, unless the
    host may see that person's email address: listing them would pair the address with the
    name (``group_email_invitations`` shows the address instead)."""
    from members.selectors.directory import visible_value

    memberships = (
        Membership.objects.filter(group=group)
        .select_related("user")
        .order_by("status", "user__full_name")
    )
    return [
        m
        for m in memberships
        if not (m.status == MembershipStatus.INVITED and m.invited_by_email)
        or visible_value(viewer, m.user, "email")
    ]


EMAIL_INVITATIONS_SHOWN = 100


def group_email_invitations(viewer, group: Group) -> tuple[list[EmailInvitation], bool]:
    """The latest invitations sent to email addresses, newest first, and whether there are
    more (one query). Each has ``name``: the person the address belongs to, only where
    ``viewer`` may see that person and their email address is that one; otherwise "" (an
    address nobody uses looks the same as a hidden one)."""
    from members.selectors.directory import visible_value

    rows = list(
        EmailInvitation.objects.filter(group=group)
        .select_related("user")
        .order_by("-created_at", "-pk")[: EMAIL_INVITATIONS_SHOWN + 1]
    )
    for invitation in rows:
        person = invitation.user
        shown = visible_value(viewer, person, "email") if person is not None else ""
        invitation.name = str(person) if shown and shown.lower() == invitation.email else ""
    return rows[:EMAIL_INVITATIONS_SHOWN], len(rows) > EMAIL_INVITATIONS_SHOWN


INVITE_CANDIDATES_SHOWN = 20


def invitable_people(viewer) -> QuerySet:
    """Members of the network ``viewer`` may see (their profile choice), other than
    themselves: the people a host may invite by name."""
    from members.selectors.directory import people_visible_to

    members = get_user_model().objects.filter(status="active", is_active=True)
    return people_visible_to(viewer, members).exclude(pk=viewer.pk)


def invite_candidates(viewer, q: str) -> list:
    """Up to ``INVITE_CANDIDATES_SHOWN`` people ``viewer`` may invite whose name contains
    ``q``, by name (one query). Found by any part of a name, as in the people directory."""
    q = q.strip()
    if not q:
        return []
    return list(
        invitable_people(viewer)
        .filter(full_name__icontains=q)
        .order_by("full_name", "pk")
        .only("id", "full_name")[:INVITE_CANDIDATES_SHOWN]
    )


def cohort_challenges(group: Group) -> list[Challenge]:
    return list(
        Challenge.objects.filter(group=group)
        .select_related("user")
        .prefetch_related(
            Prefetch("updates", queryset=ChallengeUpdate.objects.order_by("created_at"))
        )
        .order_by("user__full_name", "pk")
    )


def linkable_resources(user):
    """Published library entries the person may see, to link a resource post to."""
    from learning.models import Resource
    from learning.selectors import resources_visible_to

    # A form's choices cannot be a sliced queryset (it filters them to check the answer).
    first = resources_visible_to(user).order_by("title").values("pk")[:200]
    return Resource.objects.filter(pk__in=first).order_by("title")


def linkable_events(user):
    """Upcoming published events a member may link a post to (no double entry)."""
    from events.models import Event

    first = (
        Event.objects.filter(
            status="published", ends_at__gte=timezone.now(), visibility__in=["public", "members"]
        )
        .order_by("starts_at")
        .values("pk")[:100]
    )
    return Event.objects.filter(pk__in=first).order_by("starts_at")


def group_events_choices(group: Group | None):
    """Upcoming published events, plus any already linked to ``group``."""
    from events.models import Event

    upcoming = Event.objects.filter(status="published", ends_at__gte=timezone.now())
    if group is not None:
        upcoming = upcoming | Event.objects.filter(discussion_groups=group)
    return Event.objects.filter(pk__in=upcoming.values("pk")).order_by("starts_at")


def digests_enabled(user) -> bool:
    """Whether any group (or the person's defaults) sends them a daily or weekly digest.
    Shown as "group digests" in the newsletter's preference centre."""
    digest = (Frequency.DAILY, Frequency.WEEKLY)
    row = PersonSettings.objects.filter(user=user).first()
    if row is None or row.default_frequency in digest or row.network_frequency in digest:
        return True
    return Membership.objects.filter(user=user, email_frequency__in=digest).exists()
