"""Accounts, organisations and who belongs to which.

A ``User`` is one person's account: email is the login. Their membership of the network has a
status (pending until a coordinator approves, then active, lapsed or left). Organisations have
people through ``OrganisationMembership`` with a role: member or admin.
"""

import unicodedata
import uuid
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.search import normalise_text


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    ACTIVE = "active", _("Active")
    LAPSED = "lapsed", _("Lapsed")
    LEFT = "left", _("Left")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Anyone")
    MEMBERS = "members", _("Members of the network only")
    HIDDEN = "hidden", _("Nobody (hidden)")


def photo_upload_to(instance, filename):
    return f"people/{uuid.uuid4().hex}.jpg"


def logo_upload_to(instance, filename):
    return f"organisations/{uuid.uuid4().hex}.png"


class TaxonomyTerm(models.Model):
    """A coordinator-edited term: focus areas, audiences and regions share this shape."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("web address name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position in lists"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class FocusArea(TaxonomyTerm):
    class Meta(TaxonomyTerm.Meta):
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")


class Audience(TaxonomyTerm):
    class Meta(TaxonomyTerm.Meta):
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")


class Region(TaxonomyTerm):
    class Kind(models.TextChoices):
        NATION = "nation", _("Nation")
        REGION = "region", _("English region")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REGION)

    class Meta(TaxonomyTerm.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("nations and regions")


# What the people list searches (``User.search_text``), and how it is kept in step with them.
SEARCHED_FIELDS = ("full_name", "job_title", "bio")


# Latin letters that are not a plain letter plus an accent, so Unicode does not split them, but
# which people type as plain letters: "Łukasz" as "lukasz", "Søren" as "soren", "Işık" as "ISIK".
_PLAIN_LETTERS = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "æ": "ae", "œ": "oe", "þ": "th"}
)


def people_search_normalise(text: str | None) -> str:
    """``text`` as the people list compares it: case folded ("ß" is "ss"), accents removed
    ("ł" is "l" too), words of letters and digits separated by single spaces
    (``core.search.normalise_text``). What is stored and what is typed both go through this,
    so they always agree."""
    if not text:
        return ""
    if not text.isascii():  # Unicode's caseless match: NFKD before folding too ("𝐀" is "a")
        text = unicodedata.normalize("NFKD", text).casefold().translate(_PLAIN_LETTERS)
    return normalise_text(text)


def person_search_text(full_name: str, job_title: str, bio: str) -> str:
    """A person's name, role and bio as the people list searches them (``search_text``).
    Searching this rather than the fields themselves matches "emile" with "Émile" and "ÉMILE"
    with "émile" on both databases (SQLite's LIKE ignores case for ASCII letters only)."""
    return " ".join(filter(None, map(people_search_normalise, (full_name, job_title, bio))))


def _keeps_search_text(model) -> bool:
    # Historical models in migrations before members/0005 use this manager but lack the field.
    return any(f.name == "search_text" for f in model._meta.concrete_fields)


class UserQuerySet(models.QuerySet):
    """Bulk writes keep ``search_text`` in step too: ``bulk_create`` and ``bulk_update`` fill
    it from the objects, and an ``update()`` of a searched field recomputes it for the rows
    it changed. (``User.save`` does the same for one person.)"""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if _keeps_search_text(self.model):
            for obj in objs:
                obj.search_text = person_search_text(*(getattr(obj, f) for f in SEARCHED_FIELDS))
        return super().bulk_create(objs, *args, **kwargs)

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if _keeps_search_text(self.model) and not set(SEARCHED_FIELDS).isdisjoint(fields):
            for obj in objs:
                obj.search_text = person_search_text(*(getattr(obj, f) for f in SEARCHED_FIELDS))
            fields = [*fields, "search_text"] if "search_text" not in fields else fields
        return super().bulk_update(objs, fields, *args, **kwargs)

    bulk_update.alters_data = True

    def update(self, **kwargs):
        if (
            "search_text" in kwargs
            or set(SEARCHED_FIELDS).isdisjoint(kwargs)
            or not _keeps_search_text(self.model)
        ):
            return super().update(**kwargs)
        # The new values may be expressions, and the filter may no longer match once they are
        # written: lock and note the rows first, then write exactly those (a row another
        # transaction makes match meanwhile is not touched) and recompute their text.
        with transaction.atomic(using=self.db, savepoint=False):
            pks = sorted(self.select_for_update().order_by().values_list("pk", flat=True))
            people = self.model._base_manager.using(self.db)
            updated = 0
            for start in range(0, len(pks), REFRESH_BATCH):
                batch = people.filter(pk__in=pks[start : start + REFRESH_BATCH])
                updated += models.QuerySet.update(batch, **kwargs)
                refresh_search_text(batch)
        return updated

    update.alters_data = True


REFRESH_BATCH = 2000


def refresh_search_text(queryset) -> int:
    """Recompute ``search_text`` for the people in ``queryset``, ``REFRESH_BATCH`` at a time in
    id order; returns how many changed. For text written some other way, or after
    ``person_search_text`` changes."""
    writer = queryset.model._base_manager.using(queryset.db)
    changed_count, last = 0, None
    while True:
        rows = queryset.order_by("pk").only("pk", "search_text", *SEARCHED_FIELDS)
        if last is not None:
            rows = rows.filter(pk__gt=last)
        people = list(rows[:REFRESH_BATCH])
        if not people:
            return changed_count
        last = people[-1].pk
        changed = []
        for person in people:
            text = person_search_text(*(getattr(person, f) for f in SEARCHED_FIELDS))
            if text != person.search_text:
                person.search_text = text
                changed.append(person)
        if changed:
            writer.bulk_update(changed, ["search_text"])
            changed_count += len(changed)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_coordinator", True)
        extra_fields.setdefault("status", MembershipStatus.ACTIVE)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True, max_length=254)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    status = models.CharField(
        _("membership status"),
        max_length=10,
        choices=MembershipStatus.choices,
        default=MembershipStatus.PENDING,
        db_index=True,
    )
    is_coordinator = models.BooleanField(
        _("coordinator"),
        default=False,
        help_text=_("Coordinators are the network's staff: they approve, moderate and report."),
    )
    # The person's profile: what other people see depends on the visibility of each part.
    job_title = models.CharField(_("role"), max_length=150, blank=True)
    bio = models.TextField(_("about you"), max_length=2000, blank=True)
    photo = models.ImageField(_("photo"), upload_to=photo_upload_to, blank=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    profile_visibility = models.CharField(
        _("who can see your profile page"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
    )
    email_visibility = models.CharField(
        _("who can see your email address"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.HIDDEN,
    )
    phone_visibility = models.CharField(
        _("who can see your phone number"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.HIDDEN,
    )
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    focus_areas = models.ManyToManyField(
        "FocusArea", blank=True, related_name="people", verbose_name=_("focus areas")
    )
    newsletter_opt_in = models.BooleanField(_("receive the newsletter"), default=True)
    is_staff = models.BooleanField(_("can use the Django admin"), default=False)
    is_active = models.BooleanField(_("account enabled"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The name, role and bio as the people list searches them (``person_search_text``): kept
    # in step by ``save()`` and by the manager's bulk writes, never edited on its own.
    search_text = models.TextField(editable=False, blank=True, default="")

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]  # createsuperuser asks for a name too

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "email"]
        # The people list is read in (name, id) order, a page at a time (keyset pagination).
        indexes = [models.Index(fields=["full_name", "id"], name="user_name_id")]

    # A person's name shows wherever others see them (posts, digests, group hosts, lists), but
    # their email address only where they chose (``members.selectors.directory.visible_value``).
    # So someone with no name (made on the command line, say) is shown by number, never by email.
    @staticmethod
    def display_name(full_name: str, pk) -> str:
        return full_name or gettext("Member %(number)s") % {"number": pk}

    def __str__(self):
        return self.display_name(self.full_name, self.pk)

    def save(self, *args, **kwargs):
        # ``search_text`` is a copy of the searched fields, not business logic: deriving it here
        # (and in ``UserQuerySet``'s bulk writes) means no service, form, admin page or sign-up
        # can change a name and leave the search behind.
        if kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()
            if not deferred.issuperset(SEARCHED_FIELDS):  # else none of them can have changed
                self.search_text = self._search_text()
        else:
            update_fields = set(kwargs["update_fields"])
            if not update_fields.isdisjoint(SEARCHED_FIELDS):
                self.search_text = self._search_text()
                update_fields.add("search_text")
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    def _search_text(self) -> str:
        return person_search_text(self.full_name, self.job_title, self.bio)

    def get_full_name(self):
        return str(self)

    def get_short_name(self):
        words = self.full_name.split()
        return words[0] if words else str(self)

    @property
    def own_name(self) -> str:
        """The name, else the email address: only for the person themself (the "signed in as"
        message) and for coordinators (the audit log), who may see the address anyway."""
        return self.full_name or self.email

    def audit_label(self) -> str:
        return self.own_name

    @property
    def is_member(self):
        return self.is_active and self.status == MembershipStatus.ACTIVE


class AreaServed(models.TextChoices):
    LOCAL = "local", _("Local")
    REGIONAL = "regional", _("Regional")
    NATIONAL = "national", _("National")


class StaffSize(models.TextChoices):
    NONE = "0", _("No paid staff")
    UNDER_10 = "1-9", _("1 to 9")
    UNDER_50 = "10-49", _("10 to 49")
    UNDER_250 = "50-249", _("50 to 249")
    LARGE = "250+", _("250 or more")


class Turnover(models.TextChoices):
    UNDER_10K = "<10k", _("Under £10,000")
    UNDER_100K = "10k-100k", _("£10,000 to £100,000")
    UNDER_250K = "100k-250k", _("£100,000 to £250,000")
    UNDER_1M = "250k-1m", _("£250,000 to £1 million")
    OVER_1M = "1m+", _("Over £1 million")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("web address name"), max_length=220, unique=True)
    description = models.TextField(_("what you do"), max_length=5000, blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("public contact email"), blank=True)
    phone = models.CharField(_("public phone number"), max_length=30, blank=True)
    charity_number = models.CharField(_("charity number"), max_length=20, blank=True)
    company_number = models.CharField(_("company number"), max_length=20, blank=True)
    address = models.TextField(_("address"), max_length=500, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    # Derived from the postcode (district centroid), for "near a postcode" searches.
    outcode = models.CharField(max_length=5, blank=True, db_index=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    area_served = models.CharField(
        _("area served"), max_length=10, choices=AreaServed.choices, default=AreaServed.LOCAL
    )
    regions = models.ManyToManyField(
        Region, blank=True, related_name="organisations", verbose_name=_("nations and regions")
    )
    staff_size = models.CharField(
        _("paid staff"), max_length=10, choices=StaffSize.choices, blank=True
    )
    turnover = models.CharField(
        _("yearly turnover"), max_length=10, choices=Turnover.choices, blank=True
    )
    focus_areas = models.ManyToManyField(
        FocusArea, blank=True, related_name="organisations", verbose_name=_("focus areas")
    )
    audiences = models.ManyToManyField(
        Audience, blank=True, related_name="organisations", verbose_name=_("who you work with")
    )
    logo = models.ImageField(_("logo"), upload_to=logo_upload_to, blank=True)
    status = models.CharField(
        _("membership status"),
        max_length=10,
        choices=MembershipStatus.choices,
        default=MembershipStatus.PENDING,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    # Fresh listings: when someone last confirmed the details, and when we last asked.
    confirmed_at = models.DateTimeField(_("details last confirmed"), null=True, blank=True)
    confirmation_requested_at = models.DateTimeField(null=True, blank=True)
    people = models.ManyToManyField(
        User, through="OrganisationMembership", related_name="organisations"
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["status", "name", "id"], name="org_status_name"),
            models.Index(fields=["latitude", "longitude"], name="org_lat_lon"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("members:organisation", kwargs={"slug": self.slug})

    @property
    def is_listed(self):
        return self.status == MembershipStatus.ACTIVE

    # Fresh listings (members/services/listings.py): asked to confirm yearly, stale at 18 months.
    STALE_AFTER = timedelta(days=548)

    @property
    def last_confirmed_at(self):
        """When the details were last known to be right (approval counts as a confirmation)."""
        return self.confirmed_at or self.approved_at or self.created_at

    @property
    def is_stale(self):
        """A listed organisation whose details nobody has confirmed for 18 months."""
        return self.is_listed and self.last_confirmed_at < timezone.now() - self.STALE_AFTER


class OrganisationRole(models.TextChoices):
    MEMBER = "member", _("Member")
    ADMIN = "admin", _("Organisation admin")


class AffiliationStatus(models.TextChoices):
    REQUESTED = "requested", _("Asked to join")
    ACTIVE = "active", _("Active")


class OrganisationMembership(models.Model):
    """A person's place in an organisation. A request to join waits for an org admin."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="org_memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("role"), max_length=10, choices=OrganisationRole.choices, default=OrganisationRole.MEMBER
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AffiliationStatus.choices,
        default=AffiliationStatus.ACTIVE,
        db_index=True,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self):
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"


class Application(models.Model):
    """Someone asking to join the network, as an organisation or as an individual."""

    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("As an organisation")
        INDIVIDUAL = "individual", _("As an individual")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not approved")

    applicant = models.ForeignKey(User, on_delete=models.CASCADE, related_name="applications")
    kind = models.CharField(_("joining"), max_length=12, choices=Kind.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="applications"
    )
    why_join = models.TextField(_("why you would like to join"), max_length=2000, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(_("reason"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("application to join")

    def __str__(self):
        subject = self.organisation or self.applicant
        return f"{subject} ({self.get_status_display()})"


class Invitation(models.Model):
    """An organisation admin invites a colleague by email."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.organisation}"
