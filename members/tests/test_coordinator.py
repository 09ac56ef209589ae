"""The coordinators' screens: only coordinators get in; every action is audited."""

import pytest
from allauth.account.utils import user_display
from bs4 import BeautifulSoup
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.audit import audit_log
from core.models import AuditEntry
from members.models import (
    Application,
    FocusArea,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    Region,
    User,
)
from members.services import joining
from members.tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)


@pytest.fixture
def application(db):
    return joining.application_submit_organisation(
        applicant=None,
        new_account=joining.NewAccount(
            full_name="Ann Applicant", email="ann@example.org", password="violet-harbour-42"
        ),
        name="Oakhurst Memory Café",
        description="A monthly café for people living with dementia.",
        postcode="EX4 3SR",
        area_served="local",
        focus_areas=FocusArea.objects.all()[:1],
    )


def pages(application, person, organisation):
    focus = FocusArea.objects.first()
    return {
        "coordinator:dashboard": [],
        "coordinator:applications": [],
        "coordinator:application": [application.pk],
        "coordinator:members": [],
        "coordinator:member": [person.pk],
        "coordinator:member_edit": [person.pk],
        "coordinator:organisations": [],
        "coordinator:organisation": [organisation.pk],
        "coordinator:listings": [],
        "coordinator:taxonomy": [],
        "coordinator:term_add": ["focus-areas"],
        "coordinator:term_edit": ["focus-areas", focus.pk],
        "coordinator:term_delete": ["focus-areas", focus.pk],
        "coordinator:audit": [],
    }


POST_ONLY = {
    "coordinator:application_approve",
    "coordinator:application_reject",
    "coordinator:listing_request",
    "coordinator:term_move",
}


def test_every_coordinator_page_is_for_coordinators_only(
    client, application, member, org_admin, organisation, coordinator
):
    urls = {
        name: reverse(name, args=args)
        for name, args in pages(application, member, organisation).items()
    }
    urls["coordinator:application_approve"] = reverse(
        "coordinator:application_approve", args=[application.pk]
    )
    urls["coordinator:application_reject"] = reverse(
        "coordinator:application_reject", args=[application.pk]
    )
    urls["coordinator:listing_request"] = reverse(
        "coordinator:listing_request", args=[organisation.pk]
    )
    urls["coordinator:term_move"] = reverse(
        "coordinator:term_move", args=["focus-areas", FocusArea.objects.first().pk]
    )
    from members import urls_coordinator

    assert {f"coordinator:{p.name}" for p in urls_coordinator.urlpatterns} == set(urls)

    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        assert client.post(url).status_code == 302, name
    for user in (member, org_admin, UserFactory(status="pending")):
        client.force_login(user)
        for name, url in urls.items():
            assert client.get(url).status_code == 403, (name, user)
            assert client.post(url, {"reason": "x", "status": "left"}).status_code == 403, name
    client.force_login(coordinator)
    for name, url in urls.items():
        expected = 405 if name in POST_ONLY else 200
        assert client.get(url).status_code == expected, name
    # nothing a non-coordinator posted had any effect
    application.refresh_from_db()
    assert application.status == "pending"
    assert not AuditEntry.objects.filter(action__startswith="members.application").exists()


def test_the_dashboard_counts(client, coordinator, application, organisation):
    UserFactory(status="lapsed")
    client.force_login(coordinator)
    response = client.get(reverse("coordinator:dashboard"))
    figures = response.context["figures"]
    assert figures["applications_waiting"] == 1
    rows = {row["status"]: row for row in figures["by_status"]}
    assert rows["lapsed"]["people"] == 1
    assert rows["pending"]["people"] == 1  # the applicant
    assert rows["active"]["people"] == 1  # the coordinator
    assert rows["pending"]["organisations"] == 1
    assert rows["active"]["organisations"] == 1


def test_a_coordinator_approves_from_the_queue(
    client, coordinator, application, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    queue = client.get(reverse("coordinator:applications")).content.decode()
    assert "Oakhurst Memory Café" in queue
    assert "Not yet" in queue  # email address not confirmed yet
    detail = client.get(reverse("coordinator:application", args=[application.pk]))
    assert "A monthly café for people living with dementia." in detail.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("coordinator:application_approve", args=[application.pk]))
    assert response["Location"] == reverse("coordinator:applications")
    application.refresh_from_db()
    assert application.status == "approved"
    assert Organisation.objects.get(pk=application.organisation_id).status == "active"
    assert AuditEntry.objects.get(action="members.application.approve").actor == coordinator
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]
    assert list(client.get(reverse("coordinator:applications")).context["page"]) == []
    decided = client.get(reverse("coordinator:applications"), {"status": "approved"})
    assert list(decided.context["page"]) == [application]


def test_rejecting_needs_a_reason(
    client, coordinator, application, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    url = reverse("coordinator:application_reject", args=[application.pk])
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 200
    assert "Enter the reason: it is sent to the applicant" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "pending"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "We only take groups based in the UK."})
    application.refresh_from_db()
    assert application.status == "rejected"
    assert "We only take groups based in the UK." in mail.outbox[0].body
    entry = AuditEntry.objects.get(action="members.application.reject")
    assert entry.data["reason"] == "We only take groups based in the UK."


def test_the_member_list_filters_and_searches(client, coordinator):
    # The coordinator's random name must not match the searches below.
    coordinator.full_name = "Cerys Coordinator"
    coordinator.save(update_fields=["full_name"])
    UserFactory(full_name="Bronwen Evans", email="bronwen@example.org", status="lapsed")
    UserFactory(full_name="Gareth Evans", email="gareth@example.org", status="active")
    UserFactory(full_name="Zara Khan", email="zk@elsewhere.example", status="active")
    client.force_login(coordinator)

    def names(**params):
        response = client.get(reverse("coordinator:members"), params)
        return [p.full_name for p in response.context["page"]]

    assert names(q="evans") == ["Bronwen Evans", "Gareth Evans"]
    assert names(q="evans", status="lapsed") == ["Bronwen Evans"]
    assert names(q="elsewhere") == ["Zara Khan"]
    assert names(q="nobody") == []
    # Accents and case as the people list treats them, and part of an address as typed.
    UserFactory(full_name="Siân Ó Briain", email="sian@example.org", status="active")
    assert names(q="SIAN briain") == ["Siân Ó Briain"]
    assert names(q="sian@example") == ["Siân Ó Briain"]
    assert "Zara Khan" in names(status="")
    assert "Zara Khan" in names(status="not-a-status")  # a bad filter is ignored, not a 500


def test_the_member_list_pages_through_everyone(client, coordinator):
    User.objects.bulk_create(
        [User(email=f"p{i:03}@example.org", full_name=f"Person {i:03}") for i in range(60)]
    )
    client.force_login(coordinator)
    seen, url = [], reverse("coordinator:members")
    while url:
        response = client.get(url)
        page = response.context["page"]
        seen += [p.email for p in page]
        url = page.next_url
    assert len(seen) == len(set(seen)) == 61


def _make_people(n, *, start=0):
    """``n`` people, one organisation per ten of them, everyone in an organisation."""
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(name=f"Bulk Org {i}", slug=f"bulk-org-{i}")
            for i in range(start // 10, (start + n) // 10)
        ]
    )
    people = User.objects.bulk_create(
        [
            User(email=f"bulk{i}@example.org", full_name=f"Bulk Person {i}")
            for i in range(start, start + n)
        ]
    )
    OrganisationMembership.objects.bulk_create(
        [
            OrganisationMembership(user=person, organisation=orgs[i % len(orgs)])
            for i, person in enumerate(people)
        ]
    )


@pytest.mark.parametrize("url_name", ["coordinator:members", "coordinator:organisations"])
def test_list_query_counts_do_not_grow_with_the_data(client, coordinator, url_name):
    client.force_login(coordinator)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            first = client.get(reverse(url_name), {"q": "bulk"})
            assert first.status_code == 200
            assert first.context["page"].has_next == (User.objects.count() > 26)
            assert client.get(reverse(url_name), {"status": "active"}).status_code == 200
            assert (
                client.get(first.context["page"].next_url or reverse(url_name)).status_code == 200
            )
        return len(captured)

    _make_people(10)
    with_10 = queries()
    _make_people(490, start=10)
    assert User.objects.filter(email__startswith="bulk").count() == 500
    assert queries() == with_10


def test_changing_a_members_status_is_audited(client, coordinator, member):
    client.force_login(coordinator)
    url = reverse("coordinator:member", args=[member.pk])
    assert "Change their membership status" in client.get(url).content.decode()
    response = client.post(url, {"status": "lapsed"})
    assert response["Location"] == url
    member.refresh_from_db()
    assert member.status == MembershipStatus.LAPSED
    entry = AuditEntry.objects.get(action="members.user.status")
    assert entry.actor == coordinator
    assert entry.data == {"previous": "active", "status": "lapsed"}
    # "pending" is not a status a coordinator sets by hand
    response = client.post(url, {"status": "pending"})
    assert response.status_code == 200
    assert "Choose one of the options shown" in response.content.decode()


def test_changing_an_organisations_status_is_audited(client, coordinator, organisation):
    client.force_login(coordinator)
    url = reverse("coordinator:organisation", args=[organisation.pk])
    client.post(url, {"status": "left"})
    organisation.refresh_from_db()
    assert organisation.status == "left"
    entry = AuditEntry.objects.get(action="members.organisation.status")
    assert entry.data == {"previous": "active", "status": "left"}


def test_coordinators_edit_anyones_profile(client, coordinator, organisation, member):
    client.force_login(coordinator)
    page = client.get(reverse("coordinator:organisation", args=[organisation.pk]))
    # organisations: the profile editor in members/urls.py, which lets coordinators in
    assert page.context["edit_url"] == reverse(
        "members:organisation_edit", args=[organisation.slug]
    )
    assert client.get(page.context["edit_url"]).status_code == 200

    url = reverse("coordinator:member_edit", args=[member.pk])
    assert client.get(reverse("coordinator:member", args=[member.pk])).context["edit_url"] == url
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "photo"}
    data.update(full_name="Corrected Name", focus_areas=[])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    member.refresh_from_db()
    assert member.full_name == "Corrected Name"
    entry = AuditEntry.objects.get(action="members.person.update")
    assert entry.actor == coordinator and "full_name" in entry.data["fields"]
    # a mistake keeps what was typed and changes nothing
    response = client.post(url, {**data, "full_name": "x" * 151})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.full_name == "Corrected Name"


# --- Taxonomy -------------------------------------------------------------------------------


def test_adding_renaming_and_deleting_terms(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("coordinator:term_add", args=["focus-areas"]), {"name": "  Men's   sheds "}
    )
    assert response.status_code == 302
    term = FocusArea.objects.get(name="Men's sheds")
    assert term.slug == "mens-sheds"
    assert FocusArea.objects.order_by("position", "name").last() == term  # added at the end

    duplicate = client.post(
        reverse("coordinator:term_add", args=["focus-areas"]), {"name": "men's SHEDS"}
    )
    assert "There is already one called" in duplicate.content.decode()

    client.post(reverse("coordinator:term_edit", args=["focus-areas", term.pk]), {"name": "Sheds"})
    term.refresh_from_db()
    assert term.name == "Sheds" and term.slug == "mens-sheds"  # links keep working

    org = OrganisationFactory()
    org.focus_areas.add(term)
    warning = client.get(reverse("coordinator:term_delete", args=["focus-areas", term.pk]))
    assert "It is in use." in warning.content.decode()
    assert "1 organisation chose it" in warning.content.decode()
    client.post(reverse("coordinator:term_delete", args=["focus-areas", term.pk]))
    assert not FocusArea.objects.filter(pk=term.pk).exists()
    assert org.focus_areas.count() == 0

    actions = list(
        AuditEntry.objects.filter(actor=coordinator).order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "members.focusarea.create",
        "members.focusarea.update",
        "members.focusarea.delete",
    ]
    assert AuditEntry.objects.get(action="members.focusarea.delete").data["organisations"] == 1


def test_regions_have_a_kind(client, coordinator):
    client.force_login(coordinator)
    client.post(reverse("coordinator:term_add", args=["regions"]), {"name": "Isle of Man"})
    assert (
        "Choose an option"
        in client.post(
            reverse("coordinator:term_add", args=["regions"]), {"name": "Jersey"}
        ).content.decode()
    )
    client.post(
        reverse("coordinator:term_add", args=["regions"]), {"name": "Jersey", "kind": "nation"}
    )
    assert Region.objects.get(name="Jersey").kind == "nation"
    assert not Region.objects.filter(name="Isle of Man").exists()


def test_reordering_terms(client, coordinator):
    client.force_login(coordinator)
    first, second = FocusArea.objects.order_by("position", "name")[:2]
    url = reverse("coordinator:term_move", args=["focus-areas", second.pk])
    response = client.post(url, {"direction": "up"})
    assert response["Location"].endswith("#focus-areas")
    assert list(FocusArea.objects.order_by("position", "name")[:2]) == [second, first]
    # the first term cannot go further up; nothing breaks
    client.post(url, {"direction": "up"})
    assert FocusArea.objects.order_by("position", "name")[0] == second
    assert AuditEntry.objects.filter(action="members.focusarea.move").count() == 1
    taxonomy = client.get(reverse("coordinator:taxonomy")).content.decode()
    assert taxonomy.index(second.name) < taxonomy.index(first.name)


def test_an_unknown_taxonomy_is_not_found(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("coordinator:term_add", args=["colours"])).status_code == 404


# --- Audit log ------------------------------------------------------------------------------


def test_the_audit_log_shows_who_did_what_and_filters_by_action(client, coordinator, member):
    audit_log(
        actor=coordinator,
        action="members.user.status",
        target=member,
        previous="active",
        status="lapsed",
    )
    audit_log(actor=coordinator, action="members.application.approve", target=member)
    audit_log(
        actor=coordinator,
        action="members.person.update",
        target=member,
        fields=["focus_areas", "job_title"],
    )
    audit_log(actor=coordinator, action="somewhere.new.thing", target=member, note="kept")
    client.force_login(coordinator)
    page = BeautifulSoup(client.get(reverse("coordinator:audit")).content, "html.parser")
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")] for tr in page.select("tbody tr")
    ]
    # Newest first; actions and details in words, not codes.
    assert [row[2] for row in rows] == [
        "somewhere.new.thing",  # no words for it: shown as it is
        "Profile edited",
        "Application approved",
        "Member status changed",
    ]
    assert rows[1][4] == "What changed: focus areas, job title"
    assert rows[3][4] == "Before: active Now: lapsed"
    assert rows[0][4] == "Note: kept"
    assert {row[1] for row in rows} == {str(coordinator)} and rows[0][3] == str(member)
    options = [o.get_text() for o in page.select("select[name=action] option")]
    assert options[:3] == ["All actions", "Application approved", "Member status changed"]
    filtered = client.get(reverse("coordinator:audit"), {"action": "members.user.status"})
    assert [e.action for e in filtered.context["page"]] == ["members.user.status"]
    # an action that is not in the list is refused by the form, showing everything
    assert client.get(reverse("coordinator:audit"), {"action": "x"}).status_code == 200


def test_coordinators_can_answer_any_join_request(client, coordinator):
    org = OrganisationFactory()
    admin = UserFactory()
    MembershipFactory(user=admin, organisation=org, role="admin")
    request = joining.join_request_create(user=UserFactory(), organisation=org)
    client.force_login(coordinator)
    assert request.user.email in client.get(reverse("joining:requests")).content.decode()
    client.post(reverse("joining:request_approve", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == "active"


def test_pending_applications_list_oldest_first(client, coordinator):
    for i in range(3):
        joining.application_submit_individual(
            applicant=UserFactory(status="pending", full_name=f"Applicant {i}"), why_join="Hi"
        )
    client.force_login(coordinator)
    page = client.get(reverse("coordinator:applications")).context["page"]
    assert [a.applicant.full_name for a in page] == ["Applicant 0", "Applicant 1", "Applicant 2"]
    assert Application.objects.count() == 3


def test_renaming_a_term_updates_the_search_index(client, coordinator):
    from core import search
    from members.services import profiles

    organisation = OrganisationFactory(name="Penrhos Walking Group")
    term = FocusArea.objects.get(name="Heritage")
    organisation.focus_areas.add(term)
    profiles._reindex(organisation)  # as the profile editor leaves it
    client.force_login(coordinator)
    client.post(
        reverse("coordinator:term_edit", args=["focus-areas", term.pk]),
        {"name": "Local history"},
    )
    found = search.search_filter(Organisation.objects.all(), "local history")
    assert list(found) == [organisation]
    client.post(reverse("coordinator:term_delete", args=["focus-areas", term.pk]))
    assert not search.search_filter(Organisation.objects.all(), "local history").exists()


def _make_queue(n, start):
    """``n`` waiting applications (half as organisations), their audit entries, and stale
    listings."""
    from datetime import timedelta

    from django.utils import timezone

    from members.models import Application

    long_ago = timezone.now() - timedelta(days=800)
    people = User.objects.bulk_create(
        [
            User(email=f"queue{i}@example.org", full_name=f"Queue Person {i}", status="pending")
            for i in range(start, start + n)
        ]
    )
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Queue Org {i}",
                slug=f"queue-org-{i}",
                status="active",
                created_at=long_ago,
                approved_at=long_ago,
            )
            for i in range(start, start + n)
        ]
    )
    Application.objects.bulk_create(
        [
            Application(
                applicant=person,
                kind="organisation" if i % 2 else "individual",
                organisation=orgs[i] if i % 2 else None,
            )
            for i, person in enumerate(people)
        ]
    )
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(actor=person, action="members.test.bulk", target_label=person.full_name)
            for person in people
        ]
    )


@pytest.mark.parametrize(
    "url_name", ["coordinator:applications", "coordinator:audit", "coordinator:listings"]
)
def test_queue_and_log_query_counts_do_not_grow_with_the_data(client, coordinator, url_name):
    client.force_login(coordinator)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(url_name)).status_code == 200
        return len(captured)

    _make_queue(10, 0)
    few = queries()
    _make_queue(300, 10)
    many = queries()
    assert many == few


def test_people_without_a_name_are_named_by_address_only_where_coordinators_look(db, client):
    """Others see a person without a name as "Member N" (never their address); the audit log,
    which only coordinators read, names them by address so that the record says who it was."""
    boss = CoordinatorFactory(full_name="", email="boss@example.org")
    target = UserFactory(full_name="", email="nameless@example.org")
    audit_log(actor=boss, action="members.user.status", target=target, status="lapsed")
    client.force_login(boss)
    page = client.get(reverse("coordinator:audit")).content.decode()
    assert "boss@example.org" in page and "nameless@example.org" in page
    assert str(target) == f"Member {target.pk}"
    # "You are signed in as ..." is said only to the person themself.
    assert user_display(target) == "nameless@example.org"


def test_createsuperuser_asks_for_a_name(db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="full_name"):
        call_command("createsuperuser", interactive=False, email="c@example.org", verbosity=0)
    call_command(
        "createsuperuser",
        interactive=False,
        email="c@example.org",
        full_name="Cara Coordinator",
        verbosity=0,
    )
    assert str(User.objects.get(email="c@example.org")) == "Cara Coordinator"
