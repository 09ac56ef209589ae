"""Demo data for joining: an application waiting for a coordinator from every pending
organisation's admin and from every waiting person who has not asked to join an organisation
(``members.demo`` makes those requests), a few decided applications, an invitation, and
listings of every age so that some are due their yearly confirmation and some are stale.
Called at the end of ``members.demo.seed``; everything is written with bulk inserts and a few
UPDATEs (at most one per day), so it costs the same for 60 organisations as for 50,000. All
names are invented."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.text import slugify

from core.models import AuditEntry
from members.demo import _person_name
from members.models import (
    AffiliationStatus,
    Application,
    FocusArea,
    Invitation,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
    User,
)

WHY_JOIN = [
    "We would love to learn from other groups tackling loneliness in their area.",
    "Our volunteers want to meet people doing similar work and share ideas.",
    "We are a small group and would value being part of a bigger network.",
    "I run a weekly walking group and want to connect with others doing the same.",
    "We hope to find partners for a joint funding bid next year.",
]
CHUNK = 900  # stays under every database's limit on query parameters


def _update_in_chunks(ids, **values):
    for start in range(0, len(ids), CHUNK):
        Organisation.objects.filter(pk__in=ids[start : start + CHUNK]).update(**values)


def _listing_ages(ctx, now):
    """Most listings confirmed in the last year; some due their yearly email (12-17 months);
    about one in ten stale (over 18 months), some of those asked already and silent."""
    rng = ctx.rng
    by_age: dict[int, list[int]] = {}
    ids = list(
        Organisation.objects.filter(status=MembershipStatus.ACTIVE)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for pk in ids:
        roll = rng.random()
        if roll < 0.75:
            months = rng.randint(0, 11)
        elif roll < 0.9:
            months = rng.randint(12, 17)
        else:
            months = rng.randint(19, 36)
        by_age.setdefault(months, []).append(pk)
    stale = 0
    for months, pks in sorted(by_age.items()):
        when = now - timedelta(days=months * 30 + 3)
        values = {"confirmed_at": when, "approved_at": when, "created_at": when}
        if months >= 19:
            stale += len(pks)
            values["confirmation_requested_at"] = now - timedelta(days=45)
        _update_in_chunks(pks, **values)
    return stale


def _date_pending_organisations(pending_orgs, dates):
    """A pending organisation was made when its application was sent: one UPDATE per day."""
    by_day: dict = {}
    for org, when in zip(pending_orgs, dates, strict=True):
        by_day.setdefault(when, []).append(org.pk)
    for when, pks in sorted(by_day.items()):
        _update_in_chunks(pks, created_at=when, updated_at=when)


def seed(ctx):
    rng = ctx.rng
    now = timezone.now()
    password = make_password("coalition-demo-2026")
    stale = _listing_ages(ctx, now)

    orgs = list(Organisation.objects.order_by("id").only("id", "name", "status"))
    if not orgs:
        return
    home_org = orgs[0]  # the demo organisation admin's organisation
    pending_orgs = [o for o in orgs if o.status == MembershipStatus.PENDING]
    coordinator = User.objects.filter(email="coordinator@example.org").first()
    org_admin = User.objects.filter(email="orgadmin@example.org").first()

    # New people: one applicant per pending organisation (its admin, who made it when applying),
    # someone asking to join the demo admin's organisation, and two individuals whose
    # applications were decided.
    def new_person(label, status=MembershipStatus.PENDING, joined=None):
        name = _person_name(rng)
        return User(
            email=f"{slugify(name).replace('-', '.')}.{label}@example.net",
            full_name=name,
            status=status,
            job_title=rng.choice(["Volunteer coordinator", "Trustee", "Project worker", ""]),
            password=password,
            date_joined=joined or now - timedelta(days=rng.randint(1, 20)),
        )

    applied_at = [now - timedelta(days=rng.randint(1, 14)) for _ in pending_orgs]
    _date_pending_organisations(pending_orgs, applied_at)
    applicants = [new_person(f"applicant{i}", joined=when) for i, when in enumerate(applied_at)]
    requester = new_person("request")
    approved_person = new_person("approved", MembershipStatus.ACTIVE)
    rejected_person = new_person("rejected")
    # bulk_create fills each person's search_text too (members.models.UserQuerySet).
    created = User.objects.bulk_create(
        [*applicants, requester, approved_person, rejected_person], batch_size=500
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in created],
        batch_size=500,
    )
    applicants = created[: len(pending_orgs)]
    requester, approved_person, rejected_person = created[len(pending_orgs) :]

    OrganisationMembership.objects.bulk_create(
        [
            *(
                OrganisationMembership(
                    user=user,
                    organisation=org,
                    role=OrganisationRole.ADMIN,
                    status=AffiliationStatus.ACTIVE,
                    created_at=when,
                )
                for user, org, when in zip(applicants, pending_orgs, applied_at, strict=True)
            ),
            OrganisationMembership(
                user=requester,
                organisation=home_org,
                role=OrganisationRole.MEMBER,
                status=AffiliationStatus.REQUESTED,
                created_at=now - timedelta(days=2),
            ),
        ],
        batch_size=500,
        ignore_conflicts=True,
    )

    applications = [
        Application(
            applicant=user,
            kind=Application.Kind.ORGANISATION,
            organisation=org,
            why_join=rng.choice(WHY_JOIN),
            created_at=when,
        )
        for user, org, when in zip(applicants, pending_orgs, applied_at, strict=True)
    ]
    # Everyone else waiting who has not asked to join an organisation (members.demo gave about
    # half of them a request) has applied as an individual: the "pending" demo login too.
    waiting_people = list(
        User.objects.filter(status=MembershipStatus.PENDING, org_memberships__isnull=True)
        .exclude(pk__in=[u.pk for u in created])
        .order_by("id")
        .only("id", "email", "full_name")
    )
    applications += [
        Application(
            applicant=user,
            kind=Application.Kind.INDIVIDUAL,
            why_join=rng.choice(WHY_JOIN),
            created_at=now - timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 23)),
        )
        for user in waiting_people
    ]
    decided_at = now - timedelta(days=20)
    applications += [
        Application(
            applicant=approved_person,
            kind=Application.Kind.INDIVIDUAL,
            why_join=rng.choice(WHY_JOIN),
            status=Application.Status.APPROVED,
            decided_by=coordinator,
            decided_at=decided_at,
            created_at=decided_at - timedelta(days=3),
        ),
        Application(
            applicant=rejected_person,
            kind=Application.Kind.INDIVIDUAL,
            why_join="Selling advertising to charities.",
            status=Application.Status.REJECTED,
            rejection_reason=(
                "The network is for people and groups who bring others together; we could "
                "not see how your work does that. You are welcome to apply again."
            ),
            decided_by=coordinator,
            decided_at=decided_at,
            created_at=decided_at - timedelta(days=2),
        ),
        # Turned down, they took up the invitation to apply again, so they wait once more.
        Application(
            applicant=rejected_person,
            kind=Application.Kind.INDIVIDUAL,
            why_join=(
                "Since applying I have started a weekly coffee morning for neighbours who live "
                "alone, and would like to learn from other groups."
            ),
            created_at=now - timedelta(days=3),
        ),
    ]
    made = Application.objects.bulk_create(applications, batch_size=500)
    focus = list(FocusArea.objects.order_by("position")[:3])
    if focus:
        through = User.focus_areas.through
        through.objects.bulk_create(
            [through(user_id=u.pk, focusarea_id=rng.choice(focus).pk) for u in waiting_people],
            batch_size=500,
            ignore_conflicts=True,
        )

    if org_admin is not None:
        Invitation.objects.create(
            organisation=home_org,
            email="new.colleague@example.net",
            invited_by=org_admin,
            created_at=now - timedelta(days=1),
        )
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=coordinator,
                action=(
                    "members.application.approve"
                    if a.status == Application.Status.APPROVED
                    else "members.application.reject"
                ),
                target_type="members.application",
                target_id=str(a.pk),
                target_label=str(a.applicant)[:255],
                data={"kind": a.kind, "applicant": a.applicant.email}
                | ({"reason": a.rejection_reason} if a.rejection_reason else {}),
                created_at=a.decided_at,
            )
            for a in made
            if a.status != Application.Status.PENDING and a.pk is not None
        ]
    )
    waiting = sum(a.status == Application.Status.PENDING for a in applications)
    requests = OrganisationMembership.objects.filter(status=AffiliationStatus.REQUESTED).count()
    ctx.made["applications"] = waiting
    ctx.log(
        f"  joining: {waiting} applications waiting, {requests} requests to join, 1 invitation, "
        f"{stale} stale listings"
    )
