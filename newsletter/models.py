"""The fortnightly newsletter: subscribers and their consent, issues and their items, and one
delivery row per recipient of each issue (which makes sending idempotent and resumable)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Stream(models.TextChoices):
    """What a subscriber can ask to receive; each is opted into and out of separately."""

    NEWSLETTER = "newsletter", _("the fortnightly newsletter")
    EVENTS = "events", _("event announcements")
    DIGESTS = "digests", _("group digests")


class Suppression(models.TextChoices):
    NONE = "", _("none")
    HARD_BOUNCE = "hard_bounce", _("the address does not exist (hard bounce)")
    COMPLAINT = "complaint", _("marked our email as spam")
    ADMIN = "admin", _("stopped by a coordinator")


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def sendable(self):
        """Confirmed, not suppressed by a bounce or complaint."""
        return self.confirmed().filter(suppression=Suppression.NONE)

    def wanting(self, stream: str):
        return self.sendable().filter(**{f"wants_{stream}": True})


class Subscriber(models.Model):
    """One email address that may receive the newsletter and announcements.

    A member's subscriber row is linked to their account; a member of the public has none.
    ``confirmed_at`` is empty until the double opt-in link is used (members are confirmed by
    their verified account email). Links in emails carry a signed token of the primary key.
    """

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="newsletter_subscriber",
    )
    wants_newsletter = models.BooleanField(_("the fortnightly newsletter"), default=True)
    wants_events = models.BooleanField(_("event announcements"), default=False)
    wants_digests = models.BooleanField(_("group digests"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    suppression = models.CharField(
        _("stopped because"), max_length=20, choices=Suppression.choices, blank=True, default=""
    )
    suppressed_at = models.DateTimeField(null=True, blank=True)
    soft_bounces = models.PositiveSmallIntegerField(default=0)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        indexes = [
            models.Index(
                fields=["id"],
                name="newsletter_sendable_idx",
                condition=Q(confirmed_at__isnull=False, suppression="", wants_newsletter=True),
            )
        ]

    def __str__(self):
        return self.email


class ConsentRecord(models.Model):
    """Every opt-in and opt-out: when, how, and the exact words the person was shown."""

    class Action(models.TextChoices):
        OPT_IN = "opt_in", _("opted in")
        CONFIRM = "confirm", _("confirmed (double opt-in)")
        OPT_OUT = "opt_out", _("opted out")

    class Method(models.TextChoices):
        SUBSCRIBE_FORM = "subscribe_form", _("public subscribe form")
        JOIN_FORM = "join_form", _("joining the network")
        ACCOUNT = "account", _("account settings")
        PREFERENCE_CENTRE = "preference_centre", _("preference centre")
        CONFIRM_LINK = "confirm_link", _("confirmation link")
        UNSUBSCRIBE_LINK = "unsubscribe_link", _("unsubscribe link")
        ONE_CLICK = "one_click", _("one-click unsubscribe from the mail program")
        MAILTO = "mailto", _("unsubscribe email")
        BOUNCE = "bounce", _("bounce or complaint")
        COORDINATOR = "coordinator", _("by a coordinator")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    stream = models.CharField(max_length=20, choices=Stream.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    method = models.CharField(max_length=20, choices=Method.choices)
    text_shown = models.TextField(_("words shown"), blank=True)
    issue = models.ForeignKey(
        "Issue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consents",
        help_text=_("The issue whose unsubscribe link was used, if any."),
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.stream} ({self.get_method_display()})"


class Issue(models.Model):
    """One numbered issue of the newsletter, from draft to sent."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")

    number = models.PositiveIntegerField(_("issue number"), unique=True)
    subject = models.CharField(_("subject line"), max_length=150)
    intro = models.TextField(
        _("introduction"), blank=True, max_length=10000, help_text=_("Markdown.")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    covers_since = models.DateTimeField(
        _("what is new since"), help_text=_("The draft gathers what was added after this.")
    )
    scheduled_for = models.DateTimeField(_("send at"), null=True, blank=True)
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("newsletter issue")
        verbose_name_plural = _("newsletter issues")
        ordering = ["-number"]

    def __str__(self):
        return f"#{self.number} {self.subject}"

    def get_absolute_url(self):
        return reverse("newsletter:archive_issue", kwargs={"number": self.number})


class Section(models.TextChoices):
    EVENTS = "events", _("Coming up")
    RESOURCES = "resources", _("New in the library")
    NEWS = "news", _("Member news")
    OPPORTUNITIES = "opportunities", _("Opportunities")
    MEMBERS = "members", _("New members")


class IssueItem(models.Model):
    """One entry in an issue, copied from its source when the draft was made so the archive
    stays as it was sent even if the source changes later."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="items")
    section = models.CharField(max_length=20, choices=Section.choices)
    position = models.PositiveIntegerField(default=0)
    included = models.BooleanField(default=True)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, max_length=2000)
    url = models.URLField(max_length=500, blank=True)
    when = models.DateTimeField(null=True, blank=True, help_text=_("For events: when it starts."))
    source = models.CharField(
        max_length=50, blank=True, help_text=_("Where it came from, e.g. 'events.event:12'.")
    )

    class Meta:
        ordering = ["section", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "source"],
                condition=~Q(source=""),
                name="newsletter_item_once_per_source",
            )
        ]

    def __str__(self):
        return self.title


class Delivery(models.Model):
    """One recipient of one issue. Created for every recipient when sending starts; a worker
    claims a batch, sends, and records the outcome, so a restart sends each pending row once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        CLAIMED = "claimed", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    email = models.EmailField(max_length=254)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which worker's batch holds the row while it is claimed (random, per claim).
    claim = models.CharField(max_length=32, blank=True, default="")
    # A row sent back to pending (temporary error, soft bounce) waits until then.
    retry_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    bounced = models.CharField(
        max_length=10,
        blank=True,
        choices=[("", "-"), ("soft", _("soft bounce")), ("hard", _("hard bounce"))],
    )
    complained = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="newsletter_delivery_once")
        ]
        indexes = [
            models.Index(fields=["issue", "status", "id"]),
            # the rate limit counts what went out in the last minute
            models.Index(fields=["sent_at"], name="newsletter_delivery_sent_idx"),
        ]

    def __str__(self):
        return f"{self.email} ({self.status})"


class LinkClick(models.Model):
    """Clicks on one link of one issue, counted without recording who clicked (only when
    NEWSLETTER_COUNT_CLICKS is on)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="clicks")
    url = models.URLField(max_length=500)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "url"], name="newsletter_click_once")
        ]

    def __str__(self):
        return f"{self.url}: {self.count}"
