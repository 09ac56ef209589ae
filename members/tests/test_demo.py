"""The members app's demo data (``members/demo.py``, ``members/demo_joining.py``): a network in
the state the joining services would leave it, so nobody waits where no one can see them."""

import random

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.management.commands.seed_demo import DemoContext
from members import demo
from members.models import (
    AffiliationStatus,
    Application,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
    User,
)
from members.selectors import coordinator

PENDING = MembershipStatus.PENDING
WAITING = Application.Status.PENDING


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--seed", "11", "--orgs", "150", "--people", "200", verbosity=0)


def _pending_applications():
    return list(Application.objects.filter(status=WAITING).select_related("organisation"))


def test_every_pending_organisation_has_an_application_from_its_only_admin(seeded):
    pending = set(Organisation.objects.filter(status=PENDING).values_list("pk", flat=True))
    assert len(pending) >= 5
    by_org = {}
    for application in _pending_applications():
        if application.kind == Application.Kind.ORGANISATION:
            by_org.setdefault(application.organisation_id, []).append(application)
    assert set(by_org) == pending
    assert all(len(found) == 1 for found in by_org.values())
    people = {}
    for m in OrganisationMembership.objects.filter(organisation_id__in=pending):
        people.setdefault(m.organisation_id, []).append(m)
    for org_id, (application,) in by_org.items():
        (membership,) = people[org_id]  # nobody joins an organisation before it is approved
        assert membership.user_id == application.applicant_id
        assert membership.role == OrganisationRole.ADMIN
        assert membership.status == AffiliationStatus.ACTIVE
        org = application.organisation
        assert org.created_at == application.created_at and org.approved_at is None


def test_every_pending_person_has_an_application_or_a_request_to_join(seeded):
    pending = set(User.objects.filter(status=PENDING).values_list("pk", flat=True))
    applied = {a.applicant_id for a in _pending_applications()}
    requests = list(
        OrganisationMembership.objects.filter(status=AffiliationStatus.REQUESTED).select_related(
            "organisation", "user"
        )
    )
    asked = {m.user_id for m in requests}
    assert pending - applied - asked == set()
    assert len(asked) >= 3 and len(pending & applied) >= 3
    # Requests are to listed organisations, from people waiting, as members.
    assert all(m.organisation.status == MembershipStatus.ACTIVE for m in requests)
    assert all(m.role == OrganisationRole.MEMBER for m in requests)
    assert {m.user.status for m in requests} == {PENDING}
    # Nobody waiting already belongs to a listed organisation; each waits for one thing only.
    assert not OrganisationMembership.objects.filter(
        user__status=PENDING,
        status=AffiliationStatus.ACTIVE,
        organisation__status=MembershipStatus.ACTIVE,
    ).exists()
    assert not asked & applied
    assert len(applied) == len(_pending_applications())  # one waiting application each


def test_the_coordinators_queue_shows_everyone_waiting(seeded):
    queue = list(coordinator.applications())
    assert {a.applicant.status for a in queue} == {PENDING}
    assert len(queue) == len(_pending_applications())
    figures = coordinator.dashboard_figures()
    assert figures["applications_waiting"] == len(queue)
    assert figures["requests_waiting"] >= 3


def test_some_people_have_lapsed_and_some_have_left(seeded):
    left = User.objects.filter(status=MembershipStatus.LEFT)
    assert left.count() >= 2
    assert User.objects.filter(status=MembershipStatus.LAPSED).count() >= 2
    # Leaving takes a person off every organisation and withdraws what was waiting.
    assert not OrganisationMembership.objects.filter(user__in=left).exists()
    assert not Application.objects.filter(applicant__in=left, status=WAITING).exists()


def test_a_small_demo_still_has_people_who_lapsed_and_left(db):
    call_command("seed_demo", "--seed", "1", "--orgs", "10", "--people", "40", verbosity=0)
    for status in (MembershipStatus.LAPSED, MembershipStatus.LEFT):
        assert User.objects.filter(status=status).count() >= 2


def test_waiting_people_see_what_they_wait_for_on_their_account_page(client, seeded):
    def heading(user):
        client.force_login(user)
        page = BeautifulSoup(client.get(reverse("members:account")).content, "html.parser")
        return page.select_one("#membership-status h2").get_text(strip=True)

    requester = User.objects.filter(
        status=PENDING, org_memberships__status=AffiliationStatus.REQUESTED
    ).first()
    assert heading(requester) == "Waiting for your organisation"
    for kind in Application.Kind.values:
        applicant = Application.objects.filter(status=WAITING, kind=kind).first().applicant
        assert heading(applicant) == "Your application is waiting for a decision"
    assert heading(User.objects.get(email="pending@example.org")) == (
        "Your application is waiting for a decision"
    )


def _joining_snapshot():
    return (
        list(
            Application.objects.order_by("id").values_list(
                "applicant__email", "kind", "organisation__name", "status"
            )
        ),
        list(
            OrganisationMembership.objects.order_by("id").values_list(
                "user__email", "organisation__name", "role", "status"
            )
        ),
        list(User.objects.order_by("id").values_list("email", "status", "search_text")),
    )


def test_the_joining_demo_is_the_same_for_a_seed(db):
    def seeded_once():
        call_command("seed_demo", "--seed", "4", "--orgs", "60", "--people", "80", verbosity=0)
        snapshot = _joining_snapshot()
        Organisation.objects.all().delete()
        User.objects.all().delete()
        return snapshot

    assert seeded_once() == seeded_once()


def test_the_members_demo_does_not_query_once_per_row(db):
    """Demo data is written in bulk: ten times the organisations and people cost a handful of
    queries more (one UPDATE per day or month of age), not one or more per row."""

    def queries(orgs, people):
        ctx = DemoContext(rng=random.Random(3), orgs=orgs, people=people)
        with CaptureQueriesContext(connection) as captured:
            demo.seed(ctx)
        count = len(captured.captured_queries)
        Organisation.objects.all().delete()
        User.objects.all().delete()
        return count

    small = queries(40, 60)
    assert queries(400, 600) < small + 60
