"""Offers and needs, suggestions, introductions, pairings and collaborations.

* A member lists **items**: support they can *offer* and support they *need*, each in a
  coordinator-edited **category** with a short description, for themselves or one of their
  organisations. An item is open, paused or closed; only open items are matched.
* **Suggestions** are computed in the background (``matching/scoring.py``) and stored, one row per
  (member, suggested member), with the item pair that explains why.
* An **introduction** is double opt-in: one member asks with a short message, the other accepts or
  declines. Only on acceptance does each receive the other's contact details.
* **Meet someone new** pairs members who opt in, each month, in twos or threes.
* A **collaboration** is two members who worked together: from a follow-up answer, a pairing or a
  coordinator's record. The network's collaboration rate is measured from these.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """A kind of support (funding advice, volunteers, venue or space...). Coordinators edit these;
    the defaults are seeded by a data migration."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("web address name"), max_length=80, unique=True)
    description = models.CharField(
        _("hint"),
        max_length=200,
        blank=True,
        help_text=_("One line shown under the name to help people choose."),
    )
    position = models.PositiveSmallIntegerField(_("position in lists"), default=0)
    is_active = models.BooleanField(
        _("offered as a choice"),
        default=True,
        help_text=_("Untick to stop people choosing it; items already in it keep it."),
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category of support")
        verbose_name_plural = _("categories of support")

    def __str__(self):
        return self.name


class ItemKind(models.TextChoices):
    OFFER = "offer", _("Support we can offer")
    NEED = "need", _("Support we are looking for")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class Item(models.Model):
    """One offer or need. ``embedding`` is the description's meaning as a vector (float16 bytes),
    filled by the background task; ``embedding_model`` says which model made it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matching_items"
    )
    organisation = models.ForeignKey(
        "members.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="matching_items",
        verbose_name=_("on behalf of"),
    )
    kind = models.CharField(_("offer or need"), max_length=5, choices=ItemKind.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    description = models.CharField(_("description"), max_length=300)
    status = models.CharField(
        _("status"), max_length=6, choices=ItemStatus.choices, default=ItemStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=60, blank=True, editable=False)
    # How alike the description is to everything (see matching/scoring.py: hub_scores).
    hub = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("offer or need")
        verbose_name_plural = _("offers and needs")
        indexes = [
            models.Index(fields=["status", "kind", "-updated_at", "-id"], name="item_board"),
            models.Index(fields=["owner", "status"], name="item_owner_status"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description[:60]}"

    @property
    def is_open(self):
        return self.status == ItemStatus.OPEN


class Suggestion(models.Model):
    """``other`` is worth meeting for ``member``, with the best item pair in each direction.

    ``their_offer``/``my_need``: they offer what I am looking for; ``my_offer``/``their_need``: I
    offer what they are looking for. Either pair may be empty. ``shared_focus`` and
    ``shared_audiences`` hold term names; ``distance_km`` is set when both work locally.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matching_suggestions"
    )
    other = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    their_offer = models.ForeignKey(
        Item, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    my_need = models.ForeignKey(
        Item, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    my_offer = models.ForeignKey(
        Item, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    their_need = models.ForeignKey(
        Item, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    shared_focus = models.JSONField(default=list, blank=True)
    shared_audiences = models.JSONField(default=list, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["member", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["member", "other"], name="one_suggestion_per_pair")
        ]
        indexes = [models.Index(fields=["member", "rank"], name="suggestion_member_rank")]

    def __str__(self):
        return f"{self.member} → {self.other} ({self.score:.2f})"


class IntroductionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Not this time")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Introduction(models.Model):
    """A request by ``requester`` to be introduced to ``recipient`` (double opt-in).

    ``share_*`` record which contact details each side agreed to pass on if accepted.
    """

    EXPIRES_AFTER_DAYS = 14

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="introductions_asked"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="introductions_received"
    )
    message = models.TextField(_("your message"), max_length=1000)
    about_item = models.ForeignKey(
        Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10,
        choices=IntroductionStatus.choices,
        default=IntroductionStatus.PENDING,
        db_index=True,
    )
    requester_shares_email = models.BooleanField(default=True)
    requester_shares_phone = models.BooleanField(default=False)
    recipient_shares_email = models.BooleanField(default=False)
    recipient_shares_phone = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    follow_up_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "recipient"],
                condition=Q(status="pending"),
                name="one_pending_introduction_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(requester=models.F("recipient")), name="no_self_introduction"
            ),
        ]

    def __str__(self):
        return f"{self.requester} → {self.recipient} ({self.get_status_display()})"

    def other_side(self, user):
        return self.recipient if user.pk == self.requester_id else self.requester


class FollowUpAnswer(models.TextChoices):
    YES = "yes", _("Yes, we worked together")
    IN_PROGRESS = "in_progress", _("We are working on something")
    NO = "no", _("No, not so far")


class FollowUp(models.Model):
    """One side's answer to "did this introduction lead to working together?"."""

    introduction = models.ForeignKey(
        Introduction, on_delete=models.CASCADE, related_name="follow_ups"
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    answer = models.CharField(max_length=12, choices=FollowUpAnswer.choices)
    note = models.CharField(_("anything to add"), max_length=300, blank=True)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["introduction", "respondent"], name="one_follow_up_per_side"
            )
        ]

    def __str__(self):
        return f"{self.respondent}: {self.get_answer_display()}"


class CollaborationSource(models.TextChoices):
    INTRODUCTION = "introduction", _("An introduction on this site")
    PAIRING = "pairing", _("Meet someone new")
    EVENT = "event", _("An event or get-together")
    GRANT = "grant", _("A grant programme")
    OTHER = "other", _("Somewhere else")


class Collaboration(models.Model):
    """Two members who worked together. ``member_a`` has the lower primary key, so a pair has one
    spelling; an introduction or pairing gives at most one collaboration."""

    member_a = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    member_b = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(
        _("where it came from"), max_length=12, choices=CollaborationSource.choices
    )
    introduction = models.OneToOneField(
        Introduction, on_delete=models.SET_NULL, null=True, blank=True, related_name="collaboration"
    )
    happened_on = models.DateField(_("when it started"), default=timezone.localdate, db_index=True)
    note = models.CharField(_("what they did together"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-happened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member_a__lt=models.F("member_b")), name="collaboration_pair_ordered"
            )
        ]

    def __str__(self):
        return f"{self.member_a} + {self.member_b} ({self.happened_on})"


class GroupSize(models.IntegerChoices):
    TWO = 2, _("Two of us: me and one other member")
    THREE = 3, _("Three of us: me and two other members")


class PairingPreference(models.Model):
    """A member's choice about the monthly "meet someone new" pairing."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pairing_preference"
    )
    opted_in = models.BooleanField(_("pair me with someone new each month"), default=False)
    group_size = models.PositiveSmallIntegerField(
        _("how many of you"), choices=GroupSize.choices, default=GroupSize.TWO
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.member}: {'in' if self.opted_in else 'out'} ({self.group_size})"


class PairingRound(models.Model):
    """One month's pairing. ``month`` is the first day of the month."""

    month = models.DateField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    check_in_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month"]

    def __str__(self):
        return self.month.strftime("%B %Y")


class PairingGroup(models.Model):
    round = models.ForeignKey(PairingRound, on_delete=models.CASCADE, related_name="groups")
    prompt = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.round}: group {self.pk}"


class MetAnswer(models.TextChoices):
    YES = "yes", _("Yes, we met")
    PLANNED = "planned", _("Not yet, but we have a date")
    NO = "no", _("No, we did not meet")


class PairingMember(models.Model):
    group = models.ForeignKey(PairingGroup, on_delete=models.CASCADE, related_name="members")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pairings"
    )
    met = models.CharField(max_length=8, choices=MetAnswer.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "member"], name="one_place_per_group")
        ]

    def __str__(self):
        return f"{self.member} in {self.group}"
