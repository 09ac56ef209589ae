"""Reads for the coordinators' screens. Each list fetches what its page shows in a fixed
number of queries, however many rows there are."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from core.models import AuditEntry
from members.models import (
    AffiliationStatus,
    Application,
    Audience,
    FocusArea,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    Region,
    User,
    people_search_normalise,
)
from members.services.listings import organisations_due_for_confirmation, organisations_stale

TAXONOMIES = {
    "focus-areas": FocusArea,
    "audiences": Audience,
    "regions": Region,
}


def dashboard_figures() -> dict:
    """The dashboard's numbers, in five queries."""
    people = dict(
        User.objects.filter(is_active=True)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    organisations = dict(
        Organisation.objects.values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        "applications_waiting": Application.objects.filter(
            status=Application.Status.PENDING
        ).count(),
        "requests_waiting": OrganisationMembership.objects.filter(
            status=AffiliationStatus.REQUESTED
        ).count(),
        "stale_listings": organisations_stale().count(),
        "by_status": [
            {
                "status": value,
                "label": label,
                "people": people.get(value, 0),
                "organisations": organisations.get(value, 0),
            }
            for value, label in MembershipStatus.choices
        ],
    }


def applications(*, status: str = Application.Status.PENDING):
    """Applications with a given status, oldest first (the queue), with what the queue shows."""
    return (
        Application.objects.filter(status=status)
        .select_related("applicant", "organisation", "decided_by")
        .annotate(
            email_confirmed=Count(
                "applicant__emailaddress", filter=Q(applicant__emailaddress__verified=True)
            )
        )
        .order_by("created_at", "id")
    )


def application_detail(pk: int) -> Application | None:
    return (
        Application.objects.select_related("applicant", "organisation", "decided_by")
        .prefetch_related(
            "organisation__focus_areas",
            "organisation__audiences",
            "organisation__regions",
            "applicant__focus_areas",
        )
        .filter(pk=pk)
        .first()
    )


def applicant_email_confirmed(user: User) -> bool:
    return user.emailaddress_set.filter(email__iexact=user.email, verified=True).exists()


def members(*, status: str = "", q: str = ""):
    """People, filtered by membership status and by words in their name, role, bio or email, with their
    organisations prefetched (three queries per page, however many people)."""
    people = User.objects.filter(is_active=True)
    if status in MembershipStatus.values:
        people = people.filter(status=status)
    for word in q.split()[:5]:
        # A name, role or bio word as the people list matches it (no case, no accents, on
        # both databases), or part of an email address as typed.
        found = Q(email__icontains=word)
        text = people_search_normalise(word)
        if text:
            found |= Q(search_text__contains=text)
        people = people.filter(found)
    return people.prefetch_related(
        Prefetch(
            "org_memberships",
            queryset=OrganisationMembership.objects.select_related("organisation").order_by(
                "organisation__name"
            ),
        )
    ).order_by("full_name", "email", "id")


def member_detail(pk: int) -> User | None:
    return (
        User.objects.prefetch_related(
            Prefetch(
                "org_memberships",
                queryset=OrganisationMembership.objects.select_related("organisation"),
            ),
            "focus_areas",
            Prefetch("applications", queryset=Application.objects.select_related("organisation")),
        )
        .filter(pk=pk)
        .first()
    )


def organisations(*, status: str = "", q: str = ""):
    """Organisations by status and words in the name, with how many people each has."""
    orgs = Organisation.objects.all()
    if status in MembershipStatus.values:
        orgs = orgs.filter(status=status)
    for word in q.split()[:5]:
        orgs = orgs.filter(name__icontains=word)
    return orgs.annotate(
        people_count=Count("memberships", filter=Q(memberships__status=AffiliationStatus.ACTIVE))
    ).order_by("name", "id")


def organisation_detail(pk: int) -> Organisation | None:
    return (
        Organisation.objects.prefetch_related(
            "focus_areas",
            "audiences",
            "regions",
            Prefetch(
                "memberships",
                queryset=OrganisationMembership.objects.select_related("user").order_by(
                    "user__full_name"
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )


def listings_stale():
    return organisations_stale()


def listings_due():
    return organisations_due_for_confirmation()


def taxonomy(model):
    """Every term of one taxonomy with how many organisations and people use it."""
    terms = model.objects.annotate(organisations_count=Count("organisations", distinct=True))
    if hasattr(model, "people"):
        terms = terms.annotate(people_count=Count("people", distinct=True))
    return terms.order_by("position", "name")


def taxonomy_usage(term) -> dict:
    usage = {"organisations": term.organisations.count()}
    if hasattr(term, "people"):
        usage["people"] = term.people.count()
    return usage


def audit_entries(*, action: str = ""):
    entries = AuditEntry.objects.select_related("actor")
    if action:
        entries = entries.filter(action__startswith=action)
    return entries.order_by("-created_at", "-id")


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())
