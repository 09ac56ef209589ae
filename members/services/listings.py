"""Fresh listings: every organisation confirms its details once a year.

Once a listing's details were last confirmed more than 12 months ago (approval counts as a
confirmation), its admins get an email with a signed "still correct" link that works without
signing in, and a link to edit. We ask at most once every 30 days. A listing nobody has
confirmed for 18 months is *stale* (``Organisation.is_stale``): the directory says so and
coordinators see it on their listings page.

The link opens a page that shows the details and one button; the button (a POST) confirms.
Confirming on the GET itself would be one click fewer, but mail scanners (Outlook Safe Links,
corporate gateways) open every link in a message, so a GET that confirms would mark listings
fresh that no person ever looked at, and "fresh" would mean nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone

from core.audit import audit_log
from core.email import absolute_url, send_email_on_commit
from members.models import MembershipStatus, Organisation
from members.services.joining import InvalidLink, organisation_admin_emails

CONFIRM_EVERY = timedelta(days=365)
ASK_AGAIN_AFTER = timedelta(days=30)
STALE_AFTER = Organisation.STALE_AFTER
LINK_SALT = "members.listing-confirm"
LINK_MAX_AGE = timedelta(days=60)


def with_last_confirmed(queryset):
    """Annotate ``last_confirmed`` (confirmed, else approved, else created) for filtering."""
    return queryset.annotate(last_confirmed=Coalesce("confirmed_at", "approved_at", "created_at"))


def organisations_due_for_confirmation(*, now=None):
    """Listed organisations last confirmed over 12 months ago and not asked in 30 days."""
    now = now or timezone.now()
    return (
        with_last_confirmed(Organisation.objects.filter(status=MembershipStatus.ACTIVE))
        .filter(last_confirmed__lt=now - CONFIRM_EVERY)
        .filter(
            Q(confirmation_requested_at__isnull=True)
            | Q(confirmation_requested_at__lt=now - ASK_AGAIN_AFTER)
        )
        .order_by("last_confirmed", "id")
    )


def organisations_stale(*, now=None):
    """Listed organisations nobody has confirmed for 18 months, oldest first."""
    now = now or timezone.now()
    return (
        with_last_confirmed(Organisation.objects.filter(status=MembershipStatus.ACTIVE))
        .filter(last_confirmed__lt=now - STALE_AFTER)
        .order_by("last_confirmed", "id")
    )


def confirmation_token(organisation: Organisation) -> str:
    return signing.dumps({"o": organisation.pk}, salt=LINK_SALT)


def organisation_from_token(token: str) -> Organisation:
    """The organisation a "still correct" link is for; raises :class:`InvalidLink` if the link
    was altered or is older than 60 days."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise InvalidLink("expired") from exc
    except signing.BadSignature as exc:
        raise InvalidLink("tampered") from exc
    organisation = (
        Organisation.objects.filter(pk=data.get("o") if isinstance(data, dict) else None)
        .prefetch_related("focus_areas", "audiences", "regions")
        .first()
    )
    if organisation is None:
        raise InvalidLink("tampered")
    return organisation


def edit_url(organisation: Organisation) -> str:
    """Where an admin edits the organisation (the profile editor when it exists)."""
    try:
        return reverse("members:organisation_edit", kwargs={"slug": organisation.slug})
    except NoReverseMatch:
        return reverse("members:account")


@transaction.atomic
def listing_confirm(*, organisation: Organisation, actor=None) -> Organisation:
    """Record that the details are still correct (idempotent: it only moves the date on)."""
    now = timezone.now()
    Organisation.objects.filter(pk=organisation.pk).update(confirmed_at=now)
    organisation.confirmed_at = now
    audit_log(actor=actor, action="members.organisation.confirm", target=organisation)
    return organisation


@transaction.atomic
def listing_request_confirmation(*, organisation_id: int, now=None, force: bool = False) -> bool:
    """Email the organisation's admins (or its public address when it has none) asking them
    to confirm its details. Returns whether an email was queued.

    The row is locked and re-checked, so two runs at once still send one email; ``force``
    (a coordinator's "ask now") skips the 12-month and 30-day rules."""
    now = now or timezone.now()
    candidates = Organisation.objects.select_for_update().filter(pk=organisation_id)
    if not force:
        candidates = candidates.filter(
            pk__in=organisations_due_for_confirmation(now=now).values("pk")
        )
    organisation = candidates.first()
    if organisation is None:
        return False
    recipients = organisation_admin_emails(organisation)
    if not recipients and organisation.email:
        recipients = [organisation.email]
    # Marked as asked even when nobody can be emailed, so it is not retried daily; the
    # coordinators' stale listings page shows it once it is 18 months old.
    Organisation.objects.filter(pk=organisation.pk).update(confirmation_requested_at=now)
    context = {
        "organisation": organisation.name,
        "last_confirmed": dateformat.format(
            timezone.localtime(organisation.last_confirmed_at), "j F Y"
        ),
        "confirm_url": absolute_url(
            reverse("joining:listing_confirm", args=[confirmation_token(organisation)])
        ),
        "edit_url": absolute_url(edit_url(organisation)),
        "days": LINK_MAX_AGE.days,
    }
    for email in dict.fromkeys(recipients):
        send_email_on_commit(to=email, template="listing_confirmation", context=context)
    return bool(recipients)


def request_confirmations(*, now=None, limit: int | None = None) -> int:
    """Ask every organisation that is due; returns how many emails were queued. Safe to run
    as often as you like: an organisation asked in the last 30 days is skipped."""
    now = now or timezone.now()
    ids = organisations_due_for_confirmation(now=now).values_list("pk", flat=True)
    if limit is not None:
        ids = ids[:limit]
    return sum(listing_request_confirmation(organisation_id=pk, now=now) for pk in list(ids))


@transaction.atomic
def listing_request_now(*, actor, organisation: Organisation) -> None:
    """A coordinator asks one organisation to confirm its details now, whatever the dates
    (audited; the email is queued once the transaction commits)."""
    from members.tasks import request_listing_confirmation

    audit_log(actor=actor, action="members.organisation.confirm_request", target=organisation)
    transaction.on_commit(lambda: request_listing_confirmation.enqueue(organisation.pk))
