"""Joining the network and leaving it.

* Applications: a person applies as an organisation or as an individual; a coordinator
  approves or rejects with a reason. Approval makes the person (and their organisation) active.
* Join requests: a person asks to join an organisation that is already a member; one of its
  admins (or a coordinator) approves or declines.
* Invitations: an organisation admin invites a colleague by email; the email carries a signed
  link that attaches whoever opens it to the organisation.
* Leaving: a member leaves the network, or one organisation.

Every function here is one transaction. Emails are queued with ``send_email_on_commit`` so
nothing is sent for a write that rolls back. Coordinator decisions are written to the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.core.context import request_context
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core import geo, search
from core.audit import audit_log
from core.email import absolute_url, send_email_on_commit
from members.models import (
    AffiliationStatus,
    Application,
    Invitation,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
    User,
)
from newsletter.services.subscribers import member_subscription_start

INVITATION_SALT = "members.invitation"
INVITATION_MAX_AGE = 60 * 60 * 24 * 14  # two weeks


class JoiningError(Exception):
    """A request that cannot be carried out; ``str(error)`` is a message for the person."""


class InvalidLink(JoiningError):
    """A signed link that was altered, has expired or has already been used."""

    def __init__(self, reason: str):
        self.reason = reason  # "tampered", "expired" or "used"
        super().__init__(reason)


@dataclass(frozen=True)
class NewAccount:
    """What a visitor types to create their account while applying."""

    full_name: str
    email: str
    password: str = field(repr=False)  # never in logs or tracebacks
    job_title: str = ""
    newsletter_opt_in: bool = True


# --- Helpers -------------------------------------------------------------------------------


def coordinator_emails() -> list[str]:
    return list(
        User.objects.filter(is_coordinator=True, is_active=True)
        .order_by("id")
        .values_list("email", flat=True)
    )


def organisation_admin_emails(organisation: Organisation) -> list[str]:
    """Active admins of ``organisation`` who are members of the network."""
    return list(
        User.objects.filter(
            org_memberships__organisation=organisation,
            org_memberships__role=OrganisationRole.ADMIN,
            org_memberships__status=AffiliationStatus.ACTIVE,
            status=MembershipStatus.ACTIVE,
            is_active=True,
        )
        .order_by("id")
        .values_list("email", flat=True)
    )


def _email_each(recipients, *, template: str, context: dict) -> None:
    """One message per person: recipients never see each other's addresses."""
    for email in dict.fromkeys(recipients):
        send_email_on_commit(to=email, template=template, context=context)


def email_taken(email: str) -> bool:
    email = email.strip()
    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


# Addresses under /members/ that are pages of their own, never an organisation's.
RESERVED_SLUGS = {"people", "export", "export-csv", "new", "edit", "search"}


# A turned-down or withdrawn organisation gives its address back and takes "rejected-<pk>"
# (``_release_slug``), so no new organisation may take an address of that shape.
_RELEASED_SLUG = re.compile(r"rejected-\d+")


def _slug_taken(slug: str) -> bool:
    return (
        slug in RESERVED_SLUGS
        or _RELEASED_SLUG.fullmatch(slug) is not None
        or Organisation.objects.filter(slug=slug).exists()
    )


def _unique_slug(name: str) -> str:
    base = slugify(name)[:200].strip("-") or "organisation"
    slug, n = base, 1
    while _slug_taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _release_slug(organisation: Organisation) -> None:
    """Give an unlisted, turned-down (or withdrawn) organisation's web address back: it must
    not keep a real one's name (the genuine organisation would otherwise become "name-2")."""
    slug, n = f"rejected-{organisation.pk}", 1
    while Organisation.objects.filter(slug=slug).exclude(pk=organisation.pk).exists():
        n += 1  # only if an address of this shape was taken before it was reserved
        slug = f"rejected-{organisation.pk}-{n}"
    organisation.slug = slug
    organisation.save(update_fields=["slug"])


def _location(postcode: str) -> dict:
    """Postcode fields for an organisation: the tidy postcode, its district and the district's
    centroid (for "near a postcode" searches) when the postcode data knows it."""
    fields = {"postcode": "", "outcode": "", "latitude": None, "longitude": None}
    if not (postcode or "").strip():
        return fields
    try:
        fields["postcode"] = geo.normalise_postcode(postcode)
        fields["outcode"] = geo.outward_code(postcode)
        found = geo.district(postcode)
    except geo.PostcodeError:  # the form checks it first; keep what was typed, unlocated
        fields["postcode"] = postcode.strip()[:10]
        return fields
    if found is not None:
        fields["latitude"], fields["longitude"] = found.latitude, found.longitude
    return fields


def _index_organisation(organisation: Organisation) -> None:
    """Keep the directory's full-text index in step (in the same transaction)."""
    search.search_index_update(organisation)


def _create_account(account: NewAccount) -> User:
    """A pending account with an unconfirmed email address, the way allauth's sign-up makes it."""
    user = User.objects.create_user(
        email=account.email.strip(),
        password=account.password,
        full_name=account.full_name.strip(),
        job_title=account.job_title.strip(),
        status=MembershipStatus.PENDING,
        newsletter_opt_in=account.newsletter_opt_in,
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    return user


def send_email_confirmation(request, user: User) -> None:
    """Send allauth's "confirm your email address" message for ``user``'s primary address.

    allauth 65 no longer exports ``send_email_confirmation``; this is the part of it we need:
    the same confirmation (HMAC key, same templates, same link) its sign-up sends. Our
    account adapter renders it now and sends it once the transaction commits."""
    address = EmailAddress.objects.filter(user=user, primary=True).first()
    if address is None or address.verified or request is None:
        return
    # allauth reads the request from a context variable its middleware sets; set it here too
    # so services called outside a request (tests, the shell) behave the same.
    with request_context(request):
        address.send_confirmation(request, signup=True)


def _account_exists(request, email: str) -> None:
    """Someone applied with an address that already has an account. To avoid telling a
    stranger who has an account, the page looks the same; the owner gets allauth's "you
    already have an account" email instead (sent once the transaction commits)."""
    if request is None:
        return
    with request_context(request):
        get_account_adapter(request).send_account_already_exists_mail(email)


def _application_received(application: Application) -> None:
    applicant = application.applicant
    context = {
        "name": applicant.get_short_name(),
        "kind": application.kind,
        "organisation": application.organisation.name if application.organisation else "",
    }
    send_email_on_commit(to=applicant.email, template="application_received", context=context)
    _email_each(
        coordinator_emails(),
        template="application_waiting",
        context={
            **context,
            "applicant": applicant.full_name or applicant.email,
            "url": absolute_url(reverse("coordinator:application", args=[application.pk])),
        },
    )


def pending_application_for(user: User) -> Application | None:
    if not user.is_authenticated:
        return None
    return (
        user.applications.filter(status=Application.Status.PENDING)
        .select_related("organisation")
        .first()
    )


def can_apply_as_individual(user: User) -> bool:
    """Visitors, and signed-in people who are not (or no longer) members."""
    if not user.is_authenticated:
        return True
    return not user.is_member and pending_application_for(user) is None


def can_apply_as_organisation(user: User) -> bool:
    """Anyone without an application waiting; members may add their organisation."""
    return not user.is_authenticated or pending_application_for(user) is None


# --- Applications ---------------------------------------------------------------------------


@transaction.atomic
def application_submit_organisation(
    *,
    applicant: User | None,
    new_account: NewAccount | None = None,
    request=None,
    name: str,
    description: str = "",
    website: str = "",
    postcode: str = "",
    area_served: str,
    regions=(),
    focus_areas=(),
    audiences=(),
    staff_size: str = "",
    turnover: str = "",
    why_join: str = "",
) -> Application | None:
    """Apply to join as an organisation: a pending organisation with the applicant as its
    admin, and a pending application for a coordinator.

    A visitor passes ``new_account`` instead of ``applicant``: the account is created (pending,
    email unconfirmed) and allauth's confirmation email is sent with ``request``. If that email
    address already has an account nothing is created and its owner is told by email; the
    function returns ``None`` so the caller shows the same page either way."""
    if applicant is None:
        if new_account is None:
            raise ValueError("Pass an applicant or a new account.")
        if email_taken(new_account.email):
            _account_exists(request, new_account.email.strip())
            return None
        applicant = _create_account(new_account)
        send_email_confirmation(request, applicant)
    elif not can_apply_as_organisation(applicant):
        raise JoiningError(_("You already have an application waiting for a decision."))

    now = timezone.now()
    organisation = Organisation.objects.create(
        name=name.strip(),
        slug=_unique_slug(name),
        description=description.strip(),
        website=website.strip(),
        area_served=area_served,
        staff_size=staff_size,
        turnover=turnover,
        status=MembershipStatus.PENDING,
        created_at=now,
        updated_at=now,
        **_location(postcode),
    )
    organisation.regions.set(regions)
    organisation.focus_areas.set(focus_areas)
    organisation.audiences.set(audiences)
    _index_organisation(organisation)
    OrganisationMembership.objects.create(
        user=applicant,
        organisation=organisation,
        role=OrganisationRole.ADMIN,
        status=AffiliationStatus.ACTIVE,
    )
    application = Application.objects.create(
        applicant=applicant,
        kind=Application.Kind.ORGANISATION,
        organisation=organisation,
        why_join=why_join.strip(),
    )
    _application_received(application)
    return application


@transaction.atomic
def application_submit_individual(
    *,
    applicant: User | None,
    new_account: NewAccount | None = None,
    request=None,
    why_join: str,
    focus_areas=(),
) -> Application | None:
    """Apply to join as an individual (same account rules as for organisations)."""
    if applicant is None:
        if new_account is None:
            raise ValueError("Pass an applicant or a new account.")
        if email_taken(new_account.email):
            _account_exists(request, new_account.email.strip())
            return None
        applicant = _create_account(new_account)
        send_email_confirmation(request, applicant)
    elif not can_apply_as_individual(applicant):
        raise JoiningError(_("You are already a member, or have an application waiting."))
    if focus_areas:
        applicant.focus_areas.add(*focus_areas)
    application = Application.objects.create(
        applicant=applicant, kind=Application.Kind.INDIVIDUAL, why_join=why_join.strip()
    )
    _application_received(application)
    return application


def _lock_pending(application: Application) -> Application:
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant", "organisation")
        .get(pk=application.pk)
    )
    if locked.status != Application.Status.PENDING:
        raise JoiningError(_("This application has already been decided."))
    return locked


@transaction.atomic
def application_approve(*, actor: User, application: Application) -> Application:
    """Approve: the applicant becomes an active member and, for an organisation, the
    organisation is listed (approved and confirmed today). Emails a welcome."""
    application = _lock_pending(application)
    now = timezone.now()
    applicant = application.applicant
    if applicant.status != MembershipStatus.ACTIVE:
        applicant.status = MembershipStatus.ACTIVE
        applicant.save(update_fields=["status"])
    member_subscription_start(user=applicant)
    organisation = application.organisation
    if organisation is not None:
        organisation.status = MembershipStatus.ACTIVE
        organisation.approved_at = now
        organisation.confirmed_at = now
        organisation.updated_at = now
        organisation.save(update_fields=["status", "approved_at", "confirmed_at", "updated_at"])
        _index_organisation(organisation)
    application.status = Application.Status.APPROVED
    application.decided_by = actor
    application.decided_at = now
    application.save(update_fields=["status", "decided_by", "decided_at"])
    audit_log(
        actor=actor,
        action="members.application.approve",
        target=application,
        kind=application.kind,
        applicant=applicant.email,
        organisation=organisation.name if organisation else "",
    )
    send_email_on_commit(
        to=applicant.email,
        template="application_approved",
        context={
            "name": applicant.get_short_name(),
            "organisation": organisation.name if organisation else "",
            "welcome_url": absolute_url(reverse("joining:welcome")),
        },
    )
    return application


@transaction.atomic
def application_reject(*, actor: User, application: Application, reason: str) -> Application:
    """Reject with a reason, which is sent to the applicant. Their account stays (pending) so
    they can apply again; a pending organisation stays unlisted."""
    reason = reason.strip()
    if not reason:
        raise JoiningError(_("Give a reason: it is sent to the applicant."))
    application = _lock_pending(application)
    application.status = Application.Status.REJECTED
    application.rejection_reason = reason
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "rejection_reason", "decided_by", "decided_at"])
    applicant = application.applicant
    organisation = application.organisation
    if organisation is not None and organisation.status == MembershipStatus.PENDING:
        _release_slug(organisation)
    audit_log(
        actor=actor,
        action="members.application.reject",
        target=application,
        kind=application.kind,
        applicant=applicant.email,
        organisation=organisation.name if organisation else "",
        reason=reason,
    )
    send_email_on_commit(
        to=applicant.email,
        template="application_rejected",
        context={
            "name": applicant.get_short_name(),
            "organisation": organisation.name if organisation else "",
            "reason": reason,
            "join_url": absolute_url(reverse("joining:start")),
        },
    )
    return application


# --- Requests to join an organisation -------------------------------------------------------


@transaction.atomic
def join_request_create(
    *,
    user: User | None,
    organisation: Organisation,
    new_account: NewAccount | None = None,
    request=None,
) -> OrganisationMembership | None:
    """Ask to join ``organisation``. Its admins are emailed (its coordinators when it has no
    admin). A visitor passes ``new_account``, as for applications."""
    if user is None:
        if new_account is None:
            raise ValueError("Pass a user or a new account.")
        if email_taken(new_account.email):
            _account_exists(request, new_account.email.strip())
            return None
        user = _create_account(new_account)
        send_email_confirmation(request, user)
    if not organisation.is_listed:
        raise JoiningError(_("This organisation is not a member of the network."))
    existing = OrganisationMembership.objects.filter(user=user, organisation=organisation).first()
    if existing is not None:
        raise JoiningError(
            _("You have already asked to join this organisation.")
            if existing.status == AffiliationStatus.REQUESTED
            else _("You are already part of this organisation.")
        )
    membership = OrganisationMembership.objects.create(
        user=user,
        organisation=organisation,
        role=OrganisationRole.MEMBER,
        status=AffiliationStatus.REQUESTED,
    )
    recipients = organisation_admin_emails(organisation) or coordinator_emails()
    _email_each(
        recipients,
        template="join_request_received",
        context={
            "person": user.full_name or user.email,
            "person_email": user.email,
            "job_title": user.job_title,
            "organisation": organisation.name,
            "url": absolute_url(reverse("joining:requests")),
        },
    )
    return membership


def _lock_request(membership: OrganisationMembership) -> OrganisationMembership:
    locked = (
        OrganisationMembership.objects.select_for_update(of=("self",))
        .select_related("user", "organisation")
        .filter(pk=membership.pk, status=AffiliationStatus.REQUESTED)
        .first()
    )
    if locked is None:
        raise JoiningError(_("This request has already been answered."))
    return locked


def _activate_through_organisation(user: User, organisation: Organisation) -> None:
    """Someone an admin of a member organisation vouches for becomes a member of the network
    (a coordinator has already approved the organisation). A lapsed member stays lapsed: that
    was a coordinator's decision."""
    if organisation.is_listed and user.status in (MembershipStatus.PENDING, MembershipStatus.LEFT):
        user.status = MembershipStatus.ACTIVE
        user.save(update_fields=["status"])
        member_subscription_start(user=user)


@transaction.atomic
def join_request_approve(
    *, actor: User, membership: OrganisationMembership
) -> OrganisationMembership:
    """An organisation admin (or coordinator) accepts a colleague into the organisation, once
    the colleague has confirmed their email address: until then anyone could have asked in
    someone else's name, and approval makes them a member of the network."""
    membership = _lock_request(membership)
    if not EmailAddress.objects.filter(
        user=membership.user, email__iexact=membership.user.email, verified=True
    ).exists():
        raise JoiningError(
            _(
                "%(person)s has not confirmed their email address yet. You can approve them "
                "once they have used the link we emailed them when they asked."
            )
            % {"person": membership.user}
        )
    membership.status = AffiliationStatus.ACTIVE
    membership.save(update_fields=["status"])
    _activate_through_organisation(membership.user, membership.organisation)
    audit_log(
        actor=actor,
        action="members.join_request.approve",
        target=membership.organisation,
        person=membership.user.email,
    )
    send_email_on_commit(
        to=membership.user.email,
        template="join_request_approved",
        context={
            "name": membership.user.get_short_name(),
            "organisation": membership.organisation.name,
            "url": absolute_url(reverse("joining:welcome")),
        },
    )
    return membership


@transaction.atomic
def organisation_set_role(
    *, actor: User, membership: OrganisationMembership, role: str
) -> OrganisationMembership:
    """Make a colleague an admin of their organisation, or a plain member again. Its admins
    and coordinators may; an organisation always keeps at least one admin (or it could not
    be edited, approve colleagues or confirm its listing). The person is emailed when they
    become an admin."""
    from core.permissions import can_manage_members

    if role not in OrganisationRole.values:
        raise ValueError(f"Unknown organisation role {role!r}")
    organisation = membership.organisation
    if not can_manage_members(actor, organisation):
        raise JoiningError(_("Only its admins and the network’s coordinators can do that."))
    # Lock the organisation's people so two admins stepping down at once leave one.
    people = list(
        OrganisationMembership.objects.select_for_update()
        .filter(organisation=organisation, status=AffiliationStatus.ACTIVE)
        .select_related("user")
        .order_by("pk")
    )
    membership = next((m for m in people if m.pk == membership.pk), None)
    if membership is None:
        raise JoiningError(_("That person is not part of this organisation any more."))
    if membership.role == role:
        return membership
    # Only admins who can act count: a lapsed, departed or disabled one cannot.
    acting = [m for m in people if m.role == OrganisationRole.ADMIN and m.user.is_member]
    if role == OrganisationRole.MEMBER and acting == [membership]:
        raise JoiningError(
            _("%(person)s is its only admin. Make someone else an admin first.")
            % {"person": membership.user}
        )
    membership.role = role
    membership.save(update_fields=["role"])
    audit_log(
        actor=actor,
        action="members.organisation.role",
        target=organisation,
        person=membership.user.email,
        role=role,
    )
    if role == OrganisationRole.ADMIN and membership.user_id != actor.pk:
        send_email_on_commit(
            to=membership.user.email,
            template="organisation_admin",
            context={
                "name": membership.user.get_short_name(),
                "organisation": organisation.name,
                "edit_url": absolute_url(
                    reverse("members:organisation_edit", args=[organisation.slug])
                ),
                "requests_url": absolute_url(reverse("joining:requests")),
            },
        )
    return membership


@transaction.atomic
def join_request_decline(*, actor: User, membership: OrganisationMembership) -> None:
    """Turn down a request to join; the person is told (without a reason)."""
    membership = _lock_request(membership)
    user, organisation = membership.user, membership.organisation
    membership.delete()
    audit_log(
        actor=actor,
        action="members.join_request.decline",
        target=organisation,
        person=user.email,
    )
    send_email_on_commit(
        to=user.email,
        template="join_request_declined",
        context={"name": user.get_short_name(), "organisation": organisation.name},
    )


# --- Invitations ----------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The invitation a signed link points to. Raises :class:`InvalidLink` when the link was
    changed, is older than two weeks or was already used."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise InvalidLink("expired") from exc
    except signing.BadSignature as exc:
        raise InvalidLink("tampered") from exc
    if not isinstance(data, dict):
        raise InvalidLink("tampered")
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(pk=data.get("i"), email=data.get("e"))
        .first()
    )
    if invitation is None:
        raise InvalidLink("tampered")
    if invitation.accepted_at is not None:
        raise InvalidLink("used")
    return invitation


@transaction.atomic
def invitation_create(*, actor: User, organisation: Organisation, email: str) -> Invitation:
    """Invite a colleague: the email carries a signed link valid for two weeks. Only a listed
    organisation's people can be invited (not one waiting for approval or turned down).
    Inviting an address again, before it was accepted, sends the invitation again (with a
    fresh link) rather than listing it twice."""
    email = email.strip()
    if not organisation.is_listed:
        raise JoiningError(
            _("%(organisation)s is not a member of the network, so nobody can be invited to it.")
            % {"organisation": organisation.name}
        )
    if OrganisationMembership.objects.filter(
        organisation=organisation,
        user__email__iexact=email,
        status=AffiliationStatus.ACTIVE,
    ).exists():
        raise JoiningError(_("This person is already part of the organisation."))
    invitation = (
        Invitation.objects.select_for_update()
        .filter(organisation=organisation, email__iexact=email, accepted_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )
    if invitation is None:
        invitation = Invitation.objects.create(
            organisation=organisation, email=email, invited_by=actor
        )
    else:
        invitation.invited_by, invitation.created_at = actor, timezone.now()
        invitation.save(update_fields=["invited_by", "created_at"])
    audit_log(actor=actor, action="members.invitation.create", target=organisation, email=email)
    send_email_on_commit(
        to=email,
        template="invitation",
        context={
            "inviter": actor.full_name or actor.email,
            "organisation": organisation.name,
            "url": absolute_url(reverse("joining:invitation", args=[invitation_token(invitation)])),
            "days": INVITATION_MAX_AGE // (60 * 60 * 24),
        },
    )
    return invitation


def _accept(invitation: Invitation, user: User) -> None:
    membership, created = OrganisationMembership.objects.get_or_create(
        user=user,
        organisation=invitation.organisation,
        defaults={"role": OrganisationRole.MEMBER, "status": AffiliationStatus.ACTIVE},
    )
    if not created and membership.status != AffiliationStatus.ACTIVE:
        membership.status = AffiliationStatus.ACTIVE
        membership.save(update_fields=["status"])
    _activate_through_organisation(user, invitation.organisation)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> OrganisationMembership:
    """A signed-in person accepts: they join the organisation (active) and, if the
    organisation is a member and they were waiting, the network."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvalidLink("used")
    _accept(invitation, user)
    return OrganisationMembership.objects.get(user=user, organisation=invitation.organisation)


@transaction.atomic
def invitation_accept_with_new_account(
    *,
    invitation: Invitation,
    full_name: str,
    password: str,
    job_title: str = "",
    newsletter_opt_in: bool = True,
) -> User:
    """A visitor accepts by creating an account for the invited address. Opening the link
    proves they read that mailbox, so the address counts as confirmed."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvalidLink("used")
    if email_taken(invitation.email):
        raise JoiningError(_("An account already uses this email address: sign in to accept."))
    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        full_name=full_name.strip(),
        job_title=job_title.strip(),
        status=MembershipStatus.PENDING,
        newsletter_opt_in=newsletter_opt_in,
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    _accept(invitation, user)
    user.refresh_from_db(fields=["status"])
    return user


# --- Leaving --------------------------------------------------------------------------------


@transaction.atomic
def member_leave_network(*, user: User) -> User:
    """The person leaves the network: their status becomes "left" and they are taken off every
    organisation's list of people. Their account stays so they can sign in and rejoin."""
    organisations = list(user.org_memberships.values_list("organisation__name", flat=True))
    user.org_memberships.all().delete()
    previous = user.status
    user.status = MembershipStatus.LEFT
    user.save(update_fields=["status"])
    withdrawn = list(
        user.applications.filter(status=Application.Status.PENDING).select_related("organisation")
    )
    user.applications.filter(pk__in=[a.pk for a in withdrawn]).update(
        status=Application.Status.REJECTED,
        rejection_reason="Withdrawn by the applicant.",
        decided_at=timezone.now(),
    )
    for application in withdrawn:
        if application.organisation and application.organisation.status == MembershipStatus.PENDING:
            _release_slug(application.organisation)
    audit_log(
        actor=user,
        action="members.user.leave",
        target=user,
        previous=previous,
        organisations=organisations,
    )
    return user


@transaction.atomic
def application_withdraw(*, user: User) -> Application | None:
    """The applicant withdraws their application waiting for a decision: only that. A member
    applying to add another organisation stays a member of the network and of their other
    organisations; someone not yet a member keeps their account, to apply again. An
    organisation that was waiting for approval gives its address back and loses its people
    (only the applicant). Returns the application, or None if none was waiting."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(applicant=user, status=Application.Status.PENDING)
        .first()
    )
    if application is None:
        return None
    application.status = Application.Status.REJECTED
    application.rejection_reason = "Withdrawn by the applicant."
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "rejection_reason", "decided_at"])
    organisation = application.organisation
    if organisation is not None and organisation.status == MembershipStatus.PENDING:
        OrganisationMembership.objects.filter(organisation=organisation, user=user).delete()
        _release_slug(organisation)
    audit_log(
        actor=user,
        action="members.application.withdraw",
        target=application,
        organisation=organisation.name if organisation else "",
    )
    return application


@transaction.atomic
def member_leave_organisation(*, user: User, organisation: Organisation) -> None:
    """Leave one organisation (or withdraw a request to join it)."""
    deleted, _by_model = OrganisationMembership.objects.filter(
        user=user, organisation=organisation
    ).delete()
    if not deleted:
        raise JoiningError(_("You are not part of this organisation."))
    audit_log(actor=user, action="members.organisation.leave", target=organisation)


def is_only_admin(user: User, organisation: Organisation) -> bool:
    admins = OrganisationMembership.objects.filter(
        organisation=organisation, role=OrganisationRole.ADMIN, status=AffiliationStatus.ACTIVE
    )
    return admins.filter(user=user).exists() and not admins.filter(~Q(user=user)).exists()


# --- Coordinators ---------------------------------------------------------------------------


@transaction.atomic
def organisation_set_status(*, actor: User, organisation: Organisation, status: str) -> None:
    """A coordinator changes an organisation's membership status (audited)."""
    if status not in MembershipStatus.values:
        raise ValueError(f"Unknown membership status {status!r}")
    previous = organisation.status
    if previous == status:
        return
    organisation.status = status
    fields = ["status", "updated_at"]
    organisation.updated_at = timezone.now()
    if status == MembershipStatus.ACTIVE and organisation.approved_at is None:
        organisation.approved_at = organisation.confirmed_at = organisation.updated_at
        fields += ["approved_at", "confirmed_at"]
    organisation.save(update_fields=fields)
    _index_organisation(organisation)
    audit_log(
        actor=actor,
        action="members.organisation.status",
        target=organisation,
        previous=previous,
        status=status,
    )
