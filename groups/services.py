"""Every write in groups. Each function is one transaction; emails and notification tasks are
queued with ``transaction.on_commit`` so nothing goes out for a write that rolls back.
Moderation actions write an audit entry (``groups.<thing>.<verb>``)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import search
from core.audit import audit_log
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
    MembershipRole,
    MembershipStatus,
    Notification,
    NotificationKind,
    PersonSettings,
    Reply,
    Report,
    ReportStatus,
    Thread,
    ThreadKind,
)

UNSUBSCRIBE_SALT = "groups.unsubscribe"
REPLY_SALT = "groups.reply-by-email"
MENTIONS_STREAM = "mentions"


class GroupError(Exception):
    """A request that cannot be carried out; ``str(error)`` is a message for the person."""


# --- Settings -------------------------------------------------------------------------------


def person_settings(user) -> PersonSettings:
    settings_row, _created = PersonSettings.objects.get_or_create(user=user)
    return settings_row


@transaction.atomic
def person_settings_update(
    *, user, default_frequency: str, network_frequency: str, mention_emails: bool
) -> PersonSettings:
    row = person_settings(user)
    row.default_frequency = default_frequency
    row.network_frequency = network_frequency
    row.mention_emails = mention_emails
    row.save()
    return row


@transaction.atomic
def membership_frequency_set(*, user, group: Group, frequency: str) -> None:
    """Set how often ``group`` emails ``user`` (the network-wide space: their own setting)."""
    if group.is_network_wide:
        row = person_settings(user)
        row.network_frequency = frequency
        row.save(update_fields=["network_frequency"])
        return
    updated = Membership.objects.filter(
        group=group, user=user, status=MembershipStatus.ACTIVE
    ).update(email_frequency=frequency)
    if not updated:
        raise GroupError(_("You are not a member of this group."))


# --- Groups and membership ------------------------------------------------------------------


@transaction.atomic
def group_create(
    *,
    name: str,
    slug: str,
    purpose: str = "",
    kind: str = GroupKind.OPEN,
    hosts=(),
    is_cohort: bool = False,
    is_network_wide: bool = False,
    hold_first_posts: bool = False,
) -> Group:
    group = Group.objects.create(
        name=name,
        slug=slug,
        purpose=purpose,
        kind=kind,
        is_cohort=is_cohort,
        is_network_wide=is_network_wide,
        hold_first_posts=hold_first_posts,
    )
    for host in hosts:
        Membership.objects.create(
            group=group,
            user=host,
            role=MembershipRole.HOST,
            email_frequency=person_settings(host).default_frequency,
        )
    search.search_index_update(group)
    return group


@transaction.atomic
def group_join(*, user, group: Group) -> Membership:
    """Open: joins at once. Closed: asks the hosts. Private: only with an invitation."""
    if group.is_network_wide:
        raise GroupError(_("Every member already belongs to the network-wide space."))
    membership = Membership.objects.select_for_update().filter(group=group, user=user).first()
    if membership and membership.status == MembershipStatus.ACTIVE:
        return membership
    frequency = person_settings(user).default_frequency
    if membership and membership.status == MembershipStatus.INVITED:
        membership.status = MembershipStatus.ACTIVE
        membership.email_frequency = frequency
        membership.save()
        return membership
    if group.kind == GroupKind.PRIVATE:
        raise GroupError(_("This group is by invitation only."))
    status = MembershipStatus.ACTIVE if group.kind == GroupKind.OPEN else MembershipStatus.REQUESTED
    if membership:
        return membership
    membership = Membership.objects.create(
        group=group, user=user, status=status, email_frequency=frequency
    )
    if status == MembershipStatus.REQUESTED:
        hosts = Membership.objects.filter(
            group=group, role=MembershipRole.HOST, status=MembershipStatus.ACTIVE
        ).values_list("user_id", flat=True)
        Notification.objects.bulk_create(
            Notification(recipient_id=h, kind=NotificationKind.REQUEST, group=group, actor=user)
            for h in hosts
        )
    return membership


@transaction.atomic
def group_leave(*, user, group: Group) -> None:
    Membership.objects.filter(group=group, user=user).delete()


@transaction.atomic
def group_invite(*, actor, group: Group, user) -> Membership:
    """Invite a member the host chose by name. Only someone the host may see can be chosen
    (``members.selectors.directory.can_view_person``); the same answer is given whether the
    person does not exist or is hidden. Someone who asked to join becomes a member."""
    from members.selectors.directory import can_view_person

    if not perms.can_moderate(actor, group):
        raise GroupError(_("Only hosts can invite people."))
    if not (user.is_member and can_view_person(actor, user)):
        raise GroupError(_("Choose a member from the list."))
    membership, created = Membership.objects.get_or_create(
        group=group, user=user, defaults={"status": MembershipStatus.INVITED}
    )
    if membership.status == MembershipStatus.REQUESTED:
        membership.status = MembershipStatus.ACTIVE
        membership.save(update_fields=["status"])
    elif membership.status == MembershipStatus.INVITED and membership.invited_by_email:
        # Now invited by name too: the host knows who it is, so the list may name them.
        membership.invited_by_email = False
        membership.save(update_fields=["invited_by_email"])
    if created:
        Notification.objects.create(
            recipient=user, kind=NotificationKind.INVITE, group=group, actor=actor
        )
    audit_log(actor=actor, action="groups.member.invite", target=group, user=user.pk)
    return membership


@transaction.atomic
def group_invite_by_email(*, actor, group: Group, email: str) -> EmailInvitation:
    """Invite whoever uses ``email``, telling the host nothing about who that is.

    Every address gets an ``EmailInvitation`` row, a member's or not, so the host's list and
    answer are the same either way. A member of the network with that address (and no place in
    the group yet) is invited as ``group_invite`` would, with the same notification; a place
    they already have (a request to join, say) is left as it is, since changing it would show
    the host whose address it is."""
    if not perms.can_moderate(actor, group):
        raise GroupError(_("Only hosts can invite people."))
    email = email.strip().lower()
    invitee = (
        get_user_model()
        .objects.filter(email__iexact=email, is_active=True, status="active")
        .order_by("pk")
        .first()
    )
    invitation, created = EmailInvitation.objects.get_or_create(
        group=group, email=email, defaults={"user": invitee, "invited_by": actor}
    )
    if not created:  # sent again: it is listed as sent now
        invitation.user, invitation.invited_by = invitee, actor
        invitation.created_at = timezone.now()
        invitation.save(update_fields=["user", "invited_by", "created_at"])
    if invitee is not None:
        _membership, joined = Membership.objects.get_or_create(
            group=group,
            user=invitee,
            defaults={"status": MembershipStatus.INVITED, "invited_by_email": True},
        )
        if joined:
            Notification.objects.create(
                recipient=invitee, kind=NotificationKind.INVITE, group=group, actor=actor
            )
    audit_log(
        actor=actor, action="groups.member.invite_email", target=group,
        invitation=invitation.pk, user=invitee.pk if invitee else None,
    )  # fmt: skip
    return invitation


@transaction.atomic
def membership_approve(*, actor, membership: Membership) -> None:
    if not perms.can_moderate(actor, membership.group):
        raise GroupError(_("Only hosts can approve requests."))
    membership.status = MembershipStatus.ACTIVE
    membership.save(update_fields=["status"])
    audit_log(actor=actor, action="groups.member.approve", target=membership.group)


@transaction.atomic
def member_remove(*, actor, membership: Membership, reason: str = "") -> None:
    """Remove a member (or decline a request) from a group; logged."""
    group = membership.group
    if not perms.can_moderate(actor, group):
        raise GroupError(_("Only hosts can remove members."))
    audit_log(
        actor=actor, action="groups.member.remove", target=group, user=membership.user_id,
        reason=reason,
    )  # fmt: skip
    membership.delete()


RESERVED_SLUGS = {"search", "notifications", "settings", "moderation", "reports", "unsubscribe",
                  "attachments", "threads", "replies", "challenges", "new"}  # fmt: skip


def _unique_slug(name: str) -> str:
    from django.utils.text import slugify

    base = slugify(name)[:140] or "group"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Group.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def group_save(*, actor, group: Group | None = None, data: dict) -> Group:
    """Create a group (coordinators; they become its first host) or change one (its hosts)."""
    from core.permissions import is_coordinator

    data = dict(data)
    events = data.pop("events", None)
    if group is None:
        if not is_coordinator(actor):
            raise GroupError(_("Only coordinators can create groups."))
        group = group_create(slug=_unique_slug(data["name"]), hosts=[actor], **data)
        audit_log(actor=actor, action="groups.group.create", target=group)
    else:
        if not perms.can_moderate(actor, group):
            raise GroupError(_("Only hosts can change the group."))
        for field, value in data.items():
            setattr(group, field, value)
        group.save()
        search.search_index_update(group)
        audit_log(actor=actor, action="groups.group.change", target=group)
    if events is not None:
        group.events.set(events)
    return group


# --- Threads and replies --------------------------------------------------------------------

MENTION_RE = re.compile(r"(?<![\w@])@([^\W\d_][\w'-]*(?:[ ][^\W\d_][\w'-]*)?)")
MAX_MENTION_NAMES = 500


def _mention_names(text: str) -> set[str]:
    """Lower-cased names a text may mention: ``@Ann`` gives "ann"; ``@Ann Example`` gives
    "ann" and "ann example"."""
    candidates = set()
    for match in MENTION_RE.finditer(text or ""):
        words = match.group(1).split(" ")
        candidates.add(words[0].lower())
        if len(words) > 1:
            candidates.add(" ".join(words).lower())
    return candidates


def mention_people(texts) -> dict:
    """The people named with @ in ``texts``, by lower-cased full name (one query). A name
    that several people share names nobody."""
    candidates = set()
    for text in texts:
        candidates |= _mention_names(text)
    return _people_named(sorted(candidates)[:MAX_MENTION_NAMES])


def _people_named(names) -> dict:
    if not names:
        return {}
    from django.db.models.functions import Lower

    users = (
        get_user_model()
        .objects.annotate(name_lower=Lower("full_name"))
        .filter(name_lower__in=list(names), is_active=True)
    )
    by_name: dict[str, list] = {}
    for user in users:
        by_name.setdefault(user.name_lower, []).append(user)
    return {name: people[0] for name, people in by_name.items() if len(people) == 1}


def mentioned_users(text: str):
    """People named as ``@Firstname`` or ``@Firstname Lastname`` (by full name, one query;
    at most 20 names a post)."""
    return list(_people_named(sorted(_mention_names(text))[:20]).values())


def mention_links(viewer, people: dict, *, absolute: bool = False) -> dict[str, str]:
    """Of ``people`` (from :func:`mention_people`), the page address of each one whose page
    ``viewer`` may see (their privacy choice); the others stay plain text. No queries."""
    from django.urls import reverse

    from core.email import absolute_url
    from members.selectors.directory import can_view_person

    links = {}
    for name, person in people.items():
        if can_view_person(viewer, person):
            url = reverse("members:person", kwargs={"pk": person.pk})
            links[name] = absolute_url(url) if absolute else url
    return links


_TAG_RE = re.compile(r"(<[^>]*>)")
_NO_LINKS_IN = {"a", "code", "pre"}


def link_mentions(html: str, links: dict[str, str]) -> str:
    """``html`` (sanitised by ``core.markdown.render_markdown``) with each ``@Name`` in
    ``links`` made a link to that person's page; text in links and code is left alone. The
    result is sanitised again, so a mistake here can never let markup through."""
    import html as htmlmod

    import nh3
    from django.utils.safestring import mark_safe

    from core.markdown import ALLOWED_TAGS

    if not links or "@" not in html:
        return html

    def replace(match):
        words = match.group(1).split(" ")
        full, first = " ".join(words).lower(), words[0].lower()
        if full in links:
            name, rest = match.group(1), ""
        elif first in links:
            name, rest = words[0], match.group(1)[len(words[0]) :]
        else:
            return htmlmod.escape(match.group(0), quote=False)
        url = links[name.lower()]
        return f'<a href="{htmlmod.escape(url)}">@{htmlmod.escape(name, quote=False)}</a>' + (
            htmlmod.escape(rest, quote=False)
        )

    out, inside = [], 0
    for part in _TAG_RE.split(str(html)):
        if part.startswith("<"):
            tag = re.match(r"</?([a-zA-Z0-9]+)", part)
            if tag and tag.group(1).lower() in _NO_LINKS_IN:
                inside += -1 if part.startswith("</") else 1
            out.append(part)
        elif inside or "@" not in part:
            out.append(part)
        else:
            text = htmlmod.unescape(part)
            pieces, last = [], 0
            for match in MENTION_RE.finditer(text):
                pieces.append(htmlmod.escape(text[last : match.start()], quote=False))
                pieces.append(replace(match))
                last = match.end()
            pieces.append(htmlmod.escape(text[last:], quote=False))
            out.append("".join(pieces))
    cleaned = nh3.clean(
        "".join(out),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
    return mark_safe(cleaned)  # noqa: S308


def post_html(text: str) -> str:
    """A post's Markdown as sanitised HTML, stored with the post when it is written."""
    from core.markdown import render_markdown

    return str(render_markdown(text))


def render_post(text: str, links: dict[str, str], html: str = "") -> str:
    """A post's safe HTML, with visible @mentions linked (see :func:`mention_links`).
    ``html`` is the post's stored ``body_html``; without it the text is rendered now."""
    from django.utils.safestring import mark_safe

    from core.markdown import render_markdown

    # Stored HTML came out of the sanitiser when the post was written.
    rendered = mark_safe(html) if html else render_markdown(text)  # noqa: S308
    return link_mentions(rendered, links)


# --- Rate limits ----------------------------------------------------------------------------

RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RateLimited(GroupError):
    """Too many posts or reports in a short time; ``str(error)`` says how long to wait."""


def parse_rate(text: str) -> list[tuple[int, int]]:
    """``"6/m,60/h"`` → ``[(6, 60), (60, 3600)]``: at most N in each period (``s``, ``m``,
    ``h``, ``d``, optionally with a number: ``10/5m``). An empty text means no limit."""
    from django.core.exceptions import ImproperlyConfigured

    limits = []
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        match = re.fullmatch(r"(\d+)/(\d*)([smhd])", item)
        if not match:
            raise ImproperlyConfigured(f"Not a rate limit: {item!r} (e.g. 6/m or 60/h)")
        limits.append((int(match[1]), int(match[2] or 1) * RATE_PERIODS[match[3]]))
    return limits


def _period_text(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            if unit == "day":
                return ngettext("a day", "%(n)s days", n) % {"n": n}
            if unit == "hour":
                return ngettext("an hour", "%(n)s hours", n) % {"n": n}
            return ngettext("a minute", "%(n)s minutes", n) % {"n": n}
    return _("%(n)s seconds") % {"n": seconds}


def _check_rate(user, setting: str, default: str, count_since, message) -> None:
    """Raise ``RateLimited`` when ``count_since(start)`` has reached a limit. Counted in the
    database, so the limit holds however many web processes there are. Coordinators are
    never limited."""
    from django.conf import settings

    from core.permissions import is_coordinator

    if is_coordinator(user):
        return
    now = timezone.now()
    for count, seconds in parse_rate(getattr(settings, setting, default)):
        if count_since(now - timedelta(seconds=seconds)) >= count:
            raise RateLimited(message(count) % {"count": count, "period": _period_text(seconds)})


def _check_post_rate(user) -> None:
    _check_rate(
        user, "GROUPS_RATE_LIMIT_POSTS", "6/m,60/h",
        lambda since: Thread.objects.filter(author=user, created_at__gte=since).count()
        + Reply.objects.filter(author=user, created_at__gte=since).count(),
        lambda n: ngettext(
            "You have posted %(count)s time in %(period)s, which is as many as we allow. "
            "Please wait a little and try again: what you wrote is still here.",
            "You have posted %(count)s times in %(period)s, which is as many as we allow. "
            "Please wait a little and try again: what you wrote is still here.", n),
    )  # fmt: skip


def _check_report_rate(user) -> None:
    _check_rate(
        user, "GROUPS_RATE_LIMIT_REPORTS", "10/h",
        lambda since: Report.objects.filter(reporter=user, created_at__gte=since).count(),
        lambda n: ngettext(
            "You have sent %(count)s report in %(period)s, which is as many as we allow. "
            "Please wait a little and try again, or contact a coordinator.",
            "You have sent %(count)s reports in %(period)s, which is as many as we allow. "
            "Please wait a little and try again, or contact a coordinator.", n),
    )  # fmt: skip


def _needs_hold(user, group: Group) -> bool:
    from django.conf import settings

    hold = group.hold_first_posts or getattr(settings, "GROUPS_HOLD_FIRST_POSTS", False)
    if not hold or perms.can_moderate(user, group):
        return False
    has_posted = (
        Thread.objects.filter(group=group, author=user, is_held=False).exists()
        or Reply.objects.filter(thread__group=group, author=user, is_held=False).exists()
    )
    return not has_posted


def _save_attachments(thread: Thread, reply: Reply | None, files) -> None:
    from groups.attachments import prepare

    if files and not thread.has_attachments:
        Thread.objects.filter(pk=thread.pk).update(has_attachments=True)
        thread.has_attachments = True
    for upload in files or ():
        # Uploads, or what the form already made of them; pictures are stored as a
        # re-encoded copy without EXIF or GPS data either way.
        info = upload if isinstance(upload, dict) else prepare(upload)
        Attachment.objects.create(
            thread=thread,
            reply=reply,
            file=info["file"],
            original_name=info["name"],
            content_type=info["content_type"],
            size=info["size"],
            is_image=info["is_image"],
        )


def _announce(kind: str, pk: int) -> None:
    from groups.tasks import notify_post

    transaction.on_commit(lambda: notify_post.enqueue(kind=kind, pk=pk))


@transaction.atomic
def thread_create(
    *,
    author,
    group: Group,
    title: str,
    body: str,
    kind: str = ThreadKind.DISCUSSION,
    event=None,
    resource=None,
    resource_url: str = "",
    attachments=(),
) -> Thread:
    """Start a thread. Held for approval when the group holds a new member's first post.
    Raises ``RateLimited`` past ``GROUPS_RATE_LIMIT_POSTS``."""
    if not perms.can_post(author, group):
        raise GroupError(_("Join the group to start a thread."))
    _check_post_rate(author)
    thread = Thread.objects.create(
        group=group,
        author=author,
        title=title,
        body=body,
        body_html=post_html(body),
        kind=kind,
        event=event if kind == ThreadKind.EVENT else None,
        resource=resource if kind == ThreadKind.RESOURCE else None,
        resource_url=resource_url if kind == ThreadKind.RESOURCE else "",
        is_held=_needs_hold(author, group),
    )
    _save_attachments(thread, None, attachments)
    search.search_index_update(thread)
    if not thread.is_held:
        _announce("thread", thread.pk)
    return thread


@transaction.atomic
def thread_edit(*, user, thread: Thread, title: str, body: str) -> Thread:
    if not perms.can_edit_post(user, thread):
        raise GroupError(_("You can only edit your own posts."))
    thread.title, thread.body, thread.edited_at = title, body, timezone.now()
    thread.body_html = post_html(body)
    thread.save(update_fields=["title", "body", "body_html", "edited_at"])
    search.search_index_update(thread)
    return thread


@transaction.atomic
def reply_create(
    *,
    author,
    thread: Thread,
    body: str,
    quoted: Reply | None = None,
    attachments=(),
    via_email: bool = False,
) -> Reply:
    """Reply to a thread, quoting another reply if chosen; notifies by task after commit.
    Raises ``RateLimited`` past ``GROUPS_RATE_LIMIT_POSTS``."""
    thread = Thread.objects.select_for_update().select_related("group").get(pk=thread.pk)
    if not perms.can_post(author, thread.group):
        raise GroupError(_("Join the group to reply."))
    _check_post_rate(author)
    if thread.is_locked and not perms.can_moderate(author, thread.group):
        raise GroupError(_("This thread is locked: no more replies."))
    if thread.is_hidden or thread.is_held:
        raise GroupError(_("This thread is not open for replies."))
    if quoted is not None and quoted.thread_id != thread.pk:
        quoted = None
    reply = Reply.objects.create(
        thread=thread,
        author=author,
        body=body,
        body_html=post_html(body),
        quoted=quoted,
        via_email=via_email,
        is_held=_needs_hold(author, thread.group),
    )
    _save_attachments(thread, reply, attachments)
    if not reply.is_held:
        _published(reply)
    search.search_index_update(thread)
    return reply


def _published(reply: Reply) -> None:
    Thread.objects.filter(pk=reply.thread_id).update(
        reply_count=F("reply_count") + 1, last_activity_at=reply.created_at
    )
    _announce("reply", reply.pk)


@transaction.atomic
def reply_edit(*, user, reply: Reply, body: str) -> Reply:
    if not perms.can_edit_post(user, reply):
        raise GroupError(_("You can only edit your own posts."))
    reply.body, reply.edited_at = body, timezone.now()
    reply.body_html = post_html(body)
    reply.save(update_fields=["body", "body_html", "edited_at"])
    search.search_index_update(reply.thread)
    return reply


@transaction.atomic
def reply_accept(*, user, reply: Reply) -> None:
    """The asker (or a host) marks the answer to a question."""
    thread = reply.thread
    if thread.kind != ThreadKind.QUESTION:
        raise GroupError(_("Only a question can have an accepted answer."))
    if thread.author_id != user.pk and not perms.can_moderate(user, thread.group):
        raise GroupError(_("Only the person who asked can accept an answer."))
    thread.accepted_reply = reply
    thread.save(update_fields=["accepted_reply"])


# --- Moderation -----------------------------------------------------------------------------

THREAD_ACTIONS = ("pin", "unpin", "lock", "unlock", "hide", "restore", "approve")


@transaction.atomic
def thread_moderate(*, actor, thread: Thread, action: str, reason: str = "") -> None:
    if not perms.can_moderate(actor, thread.group) or action not in THREAD_ACTIONS:
        raise GroupError(_("Only hosts and coordinators can do that."))
    changes = {
        "pin": {"is_pinned": True},
        "unpin": {"is_pinned": False},
        "lock": {"is_locked": True},
        "unlock": {"is_locked": False},
        "hide": {"is_hidden": True},
        "restore": {"is_hidden": False},
        "approve": {"is_held": False},
    }[action]
    was_held = thread.is_held
    for field, value in changes.items():
        setattr(thread, field, value)
    thread.save(update_fields=list(changes))
    audit_log(actor=actor, action=f"groups.thread.{action}", target=thread, reason=reason)
    if action == "approve" and was_held:
        _announce("thread", thread.pk)
    if action in ("hide", "restore"):
        _resolve_reports(actor, Report.objects.filter(thread=thread, reply=None))


@transaction.atomic
def thread_move(*, actor, thread: Thread, group: Group) -> None:
    if not (perms.can_moderate(actor, thread.group) and perms.can_moderate(actor, group)):
        raise GroupError(_("You can only move threads between groups you host."))
    old = thread.group
    thread.group = group
    thread.save(update_fields=["group"])
    audit_log(actor=actor, action="groups.thread.move", target=thread, old=old.pk, new=group.pk)


@transaction.atomic
def reply_moderate(*, actor, reply: Reply, action: str, reason: str = "") -> None:
    group = reply.thread.group
    if not perms.can_moderate(actor, group) or action not in ("hide", "restore", "approve"):
        raise GroupError(_("Only hosts and coordinators can do that."))
    if action == "approve":
        if reply.is_held:
            reply.is_held = False
            reply.save(update_fields=["is_held"])
            _published(reply)
    else:
        reply.is_hidden = action == "hide"
        reply.save(update_fields=["is_hidden"])
        _resolve_reports(actor, Report.objects.filter(reply=reply))
    audit_log(actor=actor, action=f"groups.reply.{action}", target=reply, reason=reason)


def _resolve_reports(actor, reports) -> None:
    reports.filter(status=ReportStatus.OPEN).update(
        status=ReportStatus.RESOLVED, resolved_at=timezone.now(), resolved_by=actor
    )


@transaction.atomic
def report_create(*, reporter, thread: Thread, reply: Reply | None, reason: str) -> Report:
    """Report a post to its group's hosts. Raises ``RateLimited`` past
    ``GROUPS_RATE_LIMIT_REPORTS``."""
    _check_report_rate(reporter)
    return Report.objects.create(reporter=reporter, thread=thread, reply=reply, reason=reason)


@transaction.atomic
def report_dismiss(*, actor, report: Report) -> None:
    if not perms.can_moderate(actor, report.thread.group):
        raise GroupError(_("Only hosts and coordinators can do that."))
    _resolve_reports(actor, Report.objects.filter(pk=report.pk))
    audit_log(actor=actor, action="groups.report.dismiss", target=report.thread)


# --- Notifications --------------------------------------------------------------------------


def notifications_mark_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())


def unsubscribe_token(user_pk: int, stream: str) -> str:
    """A signed token for a one-click unsubscribe from ``stream`` (``group:<pk>``,
    ``digest:daily``, ``digest:weekly`` or ``mentions``)."""
    return signing.dumps({"u": user_pk, "s": stream}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str]:
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return int(data["u"]), str(data["s"])


@transaction.atomic
def unsubscribe(*, token: str) -> str:
    """Stop the emails of one stream for the person in ``token``; returns the stream name
    for the message. Raises ``signing.BadSignature`` for a bad token."""
    user_pk, stream = unsubscribe_read(token)
    user = get_user_model().objects.get(pk=user_pk)
    if stream == MENTIONS_STREAM:
        row = person_settings(user)
        row.mention_emails = False
        row.save(update_fields=["mention_emails"])
        return _("mentions and replies to your threads")
    if stream.startswith("digest:"):
        frequency = stream.removeprefix("digest:")
        if frequency not in (Frequency.DAILY, Frequency.WEEKLY):
            raise signing.BadSignature("unknown stream")
        Membership.objects.filter(user=user, email_frequency=frequency).update(
            email_frequency=Frequency.NONE
        )
        row = person_settings(user)
        if row.network_frequency == frequency:
            row.network_frequency = Frequency.NONE
            row.save(update_fields=["network_frequency"])
        return _("your daily digest") if frequency == Frequency.DAILY else _("your weekly digest")
    group = Group.objects.get(pk=int(stream.removeprefix("group:")))
    if group.is_network_wide:
        row = person_settings(user)
        row.network_frequency = Frequency.NONE
        row.save(update_fields=["network_frequency"])
    else:
        Membership.objects.filter(group=group, user=user).update(email_frequency=Frequency.NONE)
    return group.name


# --- Reply by email -------------------------------------------------------------------------


def _reply_mac(user_pk: int, thread_pk: int) -> str:
    return salted_hmac(REPLY_SALT, f"{user_pk}-{thread_pk}").hexdigest()[:20]


def reply_address(user_pk: int, thread_pk: int) -> str:
    """The signed address a person replies to: only they can post with it, only in that
    thread. Lower-case hex, so providers that fold case do no harm."""
    from django.conf import settings

    domain = getattr(settings, "GROUPS_REPLY_DOMAIN", "reply.example.org")
    return f"reply-{user_pk}-{thread_pk}-{_reply_mac(user_pk, thread_pk)}@{domain}"


REPLY_ADDRESS_RE = re.compile(r"reply-(\d+)-(\d+)-([0-9a-f]{20})@", re.IGNORECASE)
REPLY_ABOVE = "## Reply above this line ##"
_QUOTE_HEADER = re.compile(r"^(On .+ wrote:|-----Original Message-----|From: .+)$", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The new part of an email reply: everything above the quoted original."""
    lines = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if REPLY_ABOVE.strip("# ") in stripped or _QUOTE_HEADER.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        if stripped == "--":  # a signature follows
            break
        lines.append(line)
    return "\n".join(lines).strip()


def reply_from_email(*, recipients: list[str], text: str) -> Reply | None:
    """Post an emailed reply. The address must carry a valid signature for a person who may
    still post in the thread; anything else is dropped (returns ``None``)."""
    for address in recipients:
        match = REPLY_ADDRESS_RE.search(address or "")
        if not match:
            continue
        user_pk, thread_pk, mac = int(match[1]), int(match[2]), match[3].lower()
        if not constant_time_compare(mac, _reply_mac(user_pk, thread_pk)):
            continue
        body = strip_quoted(text)
        user = get_user_model().objects.filter(pk=user_pk).first()
        thread = Thread.objects.select_related("group").filter(pk=thread_pk).first()
        if not body or user is None or thread is None:
            return None
        try:
            return reply_create(author=user, thread=thread, body=body, via_email=True)
        except GroupError:
            return None
    return None


# --- Communities of practice ----------------------------------------------------------------


@transaction.atomic
def challenge_save(*, user, group: Group, question: str) -> Challenge:
    if not group.is_cohort or not perms.is_group_member(user, group):
        raise GroupError(_("Only members of this cohort can write a challenge."))
    challenge, _created = Challenge.objects.update_or_create(
        group=group, user=user, defaults={"question": question, "updated_at": timezone.now()}
    )
    return challenge


@transaction.atomic
def challenge_update_add(*, user, challenge: Challenge, body: str) -> ChallengeUpdate:
    if challenge.user_id != user.pk:
        raise GroupError(_("You can only add updates to your own challenge."))
    Challenge.objects.filter(pk=challenge.pk).update(updated_at=timezone.now())
    return ChallengeUpdate.objects.create(challenge=challenge, body=body)


def cohort_learning_draft(group: Group) -> str:
    """A starting text for the learning a cohort shares: each challenge and its updates."""
    lines = []
    for challenge in Challenge.objects.filter(group=group).prefetch_related("updates"):
        lines.append(f"## {challenge.question.splitlines()[0][:200]}")
        lines.extend(f"- {update.body}" for update in challenge.updates.all())
        lines.append("")
    return "\n".join(lines).strip()


@transaction.atomic
def cohort_learning_share(*, actor, group: Group, title: str, summary: str, body: str):
    """Put what the cohort agreed to share into the learning library, as a case study for
    members (waiting for a coordinator's approval unless a coordinator shares it)."""
    from learning.models import ResourceKind, ResourceVisibility
    from learning.services import resource_submit

    if not group.is_cohort or not perms.can_moderate(actor, group):
        raise GroupError(_("Only the cohort's hosts can share its learning."))
    resource = resource_submit(
        submitted_by=actor,
        data={
            "title": title,
            "summary": summary,
            "body": body,
            "kind": ResourceKind.CASE_STUDY,
            "visibility": ResourceVisibility.MEMBERS,
        },
    )
    audit_log(
        actor=actor, action="groups.cohort.share_learning", target=group, resource=resource.pk
    )
    return resource


@transaction.atomic
def digests_set(*, user, enabled: bool) -> None:
    """Turn the person's group digests off (daily and weekly become "no emails") or back on
    (groups and defaults set to "no emails" become weekly); "every post" is left alone.
    Used by the newsletter's preference centre."""
    old, new = (Frequency.NONE, Frequency.WEEKLY) if enabled else (None, Frequency.NONE)
    digest = (Frequency.DAILY, Frequency.WEEKLY)
    rows = Membership.objects.filter(user=user)
    rows.filter(email_frequency__in=[old] if old else digest).update(email_frequency=new)
    row = person_settings(user)
    for name in ("default_frequency", "network_frequency"):
        if getattr(row, name) in ([old] if old else digest):
            setattr(row, name, new)
    row.save(update_fields=["default_frequency", "network_frequency"])
