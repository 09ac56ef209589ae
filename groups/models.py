"""Interest groups, threads, replies, notifications, moderation and communities of practice.

A ``Group`` is open (any member joins), closed (hosts approve requests) or private (invitation
only, never listed). One group is the network-wide space (``is_network_wide``): every active
member belongs to it without a ``Membership`` row. A ``Thread`` has ``Reply`` rows in order; both
hold Markdown that ``core.markdown`` renders safely. ``Notification`` is the in-site list;
``Delivery`` records every email sent so a task that runs twice sends nothing twice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groups.storage import private_storage


class GroupKind(models.TextChoices):
    OPEN = "open", _("Open: any member can join")
    CLOSED = "closed", _("Closed: hosts approve requests to join")
    PRIVATE = "private", _("Private: by invitation only, not listed")


class Frequency(models.TextChoices):
    EVERY_POST = "every", _("An email for every post")
    DAILY = "daily", _("A daily digest")
    WEEKLY = "weekly", _("A weekly digest")
    NONE = "none", _("No emails")


class Group(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("web address name"), max_length=150, unique=True)
    purpose = models.TextField(_("purpose"), max_length=2000, blank=True)
    kind = models.CharField(
        _("who can join"), max_length=10, choices=GroupKind.choices, default=GroupKind.OPEN
    )
    is_network_wide = models.BooleanField(_("network-wide space"), default=False)
    is_cohort = models.BooleanField(
        _("community of practice cohort"),
        default=False,
        help_text=_("A closed group where each participant brings a challenge question."),
    )
    hold_first_posts = models.BooleanField(
        _("hold a new member's first post for approval"), default=False
    )
    events = models.ManyToManyField(
        "events.Event", blank=True, related_name="discussion_groups", verbose_name=_("events")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("groups:detail", kwargs={"slug": self.slug})


class MembershipRole(models.TextChoices):
    HOST = "host", _("Host")
    MEMBER = "member", _("Member")


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", _("Member")
    REQUESTED = "requested", _("Asked to join")
    INVITED = "invited", _("Invited")


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(
        max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    status = models.CharField(
        max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    email_frequency = models.CharField(
        _("emails from this group"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.DAILY,
    )
    # The invitation went to an email address a host typed. Until the person accepts, they
    # are listed by name only to hosts who may see that address: otherwise the list would
    # pair an address someone hid with their name (``groups.selectors.group_members``).
    invited_by_email = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="groups_membership_unique")
        ]
        indexes = [
            models.Index(fields=["group", "status", "email_frequency"]),
            # A group page's hosts, among thousands of members.
            models.Index(fields=["group", "role", "status"], name="groups_memb_group_role"),
        ]

    def __str__(self):
        return f"{self.user} in {self.group}"


class EmailInvitation(models.Model):
    """An invitation a host sent to an email address, whoever (if anyone) it belongs to.

    Every address typed gets a row, known or not, so the group's list of invitations looks the
    same either way. ``user`` is the member the address matched when it was sent; the list
    names them only to a host who may see that person's email address."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="email_invitations")
    email = models.EmailField(_("email address"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "email"], name="groups_email_invitation_once")
        ]

    def __str__(self):
        return f"EmailInvitation {self.pk}"


class PersonSettings(models.Model):
    """A person's own defaults: how often new groups email them, and whether @mentions do."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_settings"
    )
    default_frequency = models.CharField(
        _("emails from groups you join"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.DAILY,
    )
    network_frequency = models.CharField(
        _("emails from the network-wide space"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.WEEKLY,
    )
    mention_emails = models.BooleanField(
        _("email me when someone mentions me or replies to my thread"), default=True
    )

    def __str__(self):
        return f"PersonSettings {self.pk}"


class ThreadKind(models.TextChoices):
    DISCUSSION = "discussion", _("Discussion")
    QUESTION = "question", _("Question")
    EVENT = "event", _("Event")
    RESOURCE = "resource", _("Resource")
    OPPORTUNITY = "opportunity", _("Opportunity")


class Thread(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="group_threads",
    )
    kind = models.CharField(
        _("type of post"), max_length=12, choices=ThreadKind.choices, default=ThreadKind.DISCUSSION
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), max_length=20000)
    # The body as safe HTML, rendered once when it is written (groups.services.post_html):
    # pages of 2,000 replies must not run Markdown for every reply on every view.
    body_html = models.TextField(blank=True, editable=False)
    event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="discussion_threads",
        verbose_name=_("event"),
    )
    resource = models.ForeignKey(
        "learning.Resource",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="discussion_threads",
        verbose_name=_("library entry"),
    )
    resource_url = models.URLField(_("link to the resource"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    reply_count = models.PositiveIntegerField(default=0)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    is_hidden = models.BooleanField(default=False)
    is_held = models.BooleanField(default=False)
    accepted_reply = models.ForeignKey(
        "Reply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once the opening post or a reply has had an attachment: most threads never have
    # one, and their pages then skip looking them up.
    has_attachments = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-is_pinned", "-last_activity_at", "-pk"]
        indexes = [
            models.Index(fields=["group", "-is_pinned", "-last_activity_at", "-id"]),
            # A group page's latest resources; the threads active in a digest's window.
            models.Index(fields=["group", "kind", "-created_at"], name="groups_thread_group_kind"),
            models.Index(fields=["last_activity_at"], name="groups_thread_activity"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("groups:thread", kwargs={"pk": self.pk})


class Reply(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="group_replies",
    )
    body = models.TextField(_("reply"), max_length=20000)
    body_html = models.TextField(blank=True, editable=False)  # as Thread.body_html
    quoted = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    is_held = models.BooleanField(default=False)
    via_email = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "created_at", "id"])]
        verbose_name_plural = _("replies")

    def __str__(self):
        return f"Reply {self.pk} to {self.thread_id}"

    def get_absolute_url(self):
        return reverse("groups:thread", kwargs={"pk": self.thread_id}) + f"#reply-{self.pk}"


def attachment_upload_to(instance, filename):
    # Random names outside MEDIA_ROOT, served only through the permission-checking view.
    return f"groups/attachments/{uuid.uuid4().hex}"


class Attachment(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="attachments")
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_upload_to, storage=private_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    is_image = models.BooleanField(default=False)

    def __str__(self):
        return self.original_name


class NotificationKind(models.TextChoices):
    POST = "post", _("New post")
    REPLY = "reply", _("Reply to your thread")
    MENTION = "mention", _("Mention")
    REQUEST = "request", _("Request to join")
    INVITE = "invite", _("Invitation")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_notifications"
    )
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, null=True, on_delete=models.CASCADE, related_name="+")
    reply = models.ForeignKey(Reply, null=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            # A task that runs twice notifies nobody twice.
            models.UniqueConstraint(
                fields=["recipient", "kind", "reply"],
                condition=models.Q(reply__isnull=False),
                name="groups_notification_reply_once",
            ),
            models.UniqueConstraint(
                fields=["recipient", "kind", "thread"],
                condition=models.Q(reply__isnull=True, thread__isnull=False),
                name="groups_notification_thread_once",
            ),
        ]

    def __str__(self):
        return f"Notification {self.pk}"


class Delivery(models.Model):
    """One email sent to one person, recorded before sending: the key names what it was
    (``post:reply:42``, ``digest:daily:2026-11-25``) so nothing is ever sent twice."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=100)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="groups_delivery_once")
        ]

    def __str__(self):
        return f"Delivery {self.pk}"


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Waiting")
    RESOLVED = "resolved", _("Dealt with")


class Report(models.Model):
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reports")
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.TextField(_("what is wrong with this post?"), max_length=2000)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Report {self.pk}"


class Challenge(models.Model):
    """A cohort participant's challenge question, with their updates between sessions."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="challenges")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_challenges"
    )
    question = models.TextField(_("your challenge question"), max_length=2000)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="groups_challenge_unique")
        ]
        ordering = ["updated_at", "pk"]

    def __str__(self):
        return f"Challenge {self.pk}"


class ChallengeUpdate(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="updates")
    body = models.TextField(_("update"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"ChallengeUpdate {self.pk}"
