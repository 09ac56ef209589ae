"""Joining the network: applications, join requests, invitations, leaving."""

import re
import time
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from django.core import mail, signing
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from hypothesis import event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from core.models import AuditEntry
from members.models import (
    Application,
    Audience,
    FocusArea,
    Invitation,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    User,
)
from members.services import joining
from members.tests.factories import PASSWORD as PASSWORD_FACTORY
from members.tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

PASSWORD = "violet-harbour-lantern-42"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # allauth keeps its sign-up rate limit in the cache


def org_form_data(**overrides):
    data = {
        "name": "Hartfield Tea & Chat",
        "description": "Weekly tea afternoons for neighbours who live alone.",
        "website": "hartfield-tea.example.org",
        "postcode": "ls1 4ap",
        "area_served": "local",
        "focus_areas": [str(FocusArea.objects.order_by("position").first().pk)],
        "audiences": [str(Audience.objects.order_by("position").first().pk)],
        "staff_size": "1-9",
        "turnover": "<10k",
        "why_join": "To meet others doing the same.",
        "full_name": "Ann Example",
        "job_title": "Volunteer coordinator",
        "email": "ann@example.org",
        "password": PASSWORD,
    }
    data.update(overrides)
    return data


def individual_form_data(**overrides):
    data = {
        "full_name": "Idris Example",
        "email": "idris@example.org",
        "password": PASSWORD,
        "why_join": "I run a walking group in my village.",
        "focus_areas": [str(FocusArea.objects.order_by("position").first().pk)],
    }
    data.update(overrides)
    return data


def html_of(message):
    assert message.alternatives, "every email is multipart"
    content, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return content


def by_template_subject(subject_fragment):
    return [m for m in mail.outbox if subject_fragment in m.subject]


# --- Applying -------------------------------------------------------------------------------


def test_the_start_page_offers_the_three_ways_to_join(client, db):
    response = client.get(reverse("joining:start"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "As an organisation" in content
    assert "As an individual" in content
    assert "already a member" in content
    response = client.post(reverse("joining:start"), {"kind": "organisation"})
    assert response["Location"] == reverse("joining:organisation")
    response = client.post(reverse("joining:start"), {"kind": "existing"})
    assert response["Location"] == reverse("joining:find_organisation")
    response = client.post(reverse("joining:start"), {})
    assert "Choose how you would like to join" in response.content.decode()


def test_a_visitor_applies_as_an_organisation(client, db, django_capture_on_commit_callbacks):
    coordinators = [CoordinatorFactory(), CoordinatorFactory()]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("joining:organisation"), org_form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("joining:received")

    user = User.objects.get(email="ann@example.org")
    assert user.status == MembershipStatus.PENDING
    assert user.full_name == "Ann Example"
    assert user.job_title == "Volunteer coordinator"
    assert user.check_password(PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert address.primary and not address.verified

    organisation = Organisation.objects.get(name="Hartfield Tea & Chat")
    assert organisation.status == MembershipStatus.PENDING
    assert organisation.slug == "hartfield-tea-chat"
    assert organisation.postcode == "LS1 4AP"  # tidied
    assert organisation.outcode == "LS1"
    assert organisation.latitude is not None  # located from the shipped postcode districts
    assert organisation.website == "https://hartfield-tea.example.org"
    assert organisation.focus_areas.count() == 1
    assert organisation.approved_at is None
    membership = OrganisationMembership.objects.get(user=user, organisation=organisation)
    assert membership.role == "admin" and membership.status == "active"
    application = Application.objects.get(applicant=user)
    assert application.kind == "organisation"
    assert application.organisation == organisation
    assert application.status == "pending"
    assert application.why_join == "To meet others doing the same."

    # allauth's confirmation, our "received", and one note to each coordinator
    to_ann = [m for m in mail.outbox if m.to == ["ann@example.org"]]
    assert any("/accounts/confirm-email/" in m.body for m in to_ann)
    received = [m for m in to_ann if "received your application" in m.subject]
    assert len(received) == 1
    assert "Hartfield Tea &amp; Chat" in html_of(received[0])
    assert "Hartfield Tea & Chat" in received[0].body
    waiting = by_template_subject("New application to join")
    assert sorted(m.to[0] for m in waiting) == sorted(c.email for c in coordinators)
    url = reverse("coordinator:application", args=[application.pk])
    assert all(url in m.body and url in html_of(m) for m in waiting)

    page = client.get(reverse("joining:received"))
    assert "ann@example.org" in page.content.decode()
    assert "Application received" in page.content.decode()


def test_a_visitor_applies_as_an_individual(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("joining:individual"), individual_form_data())
    assert response.status_code == 302
    user = User.objects.get(email="idris@example.org")
    application = Application.objects.get(applicant=user)
    assert application.kind == "individual" and application.organisation is None
    assert user.focus_areas.count() == 1
    assert not Organisation.objects.exists()
    assert len(by_template_subject("received your application")) == 1


def test_an_organisation_postcode_follows_one_rule_when_joining_and_when_editing(client, db):
    """A postcode we cannot place would keep the organisation out of every search near a
    postcode without anyone knowing; the first half alone is fine (no premises), and an
    organisation that joined with it can later save other changes."""
    response = client.post(reverse("joining:organisation"), org_form_data(postcode="ZZ9 9ZZ"))
    assert response.status_code == 200
    assert "We could not find where ZZ9 9ZZ is. Check it and try again." in (
        response.content.decode()
    )
    assert not Organisation.objects.exists()

    response = client.post(reverse("joining:organisation"), org_form_data(postcode="ls1"))
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert (organisation.postcode, organisation.outcode) == ("LS1", "LS1")
    assert organisation.latitude is not None

    coordinator = CoordinatorFactory()
    joining.application_approve(actor=coordinator, application=Application.objects.get())
    client.force_login(organisation.memberships.get().user)
    edit = reverse("members:organisation_edit", args=[organisation.slug])
    form = client.get(edit).context["form"]
    data = {
        name: form[name].value() if form[name].value() is not None else ""
        for name in form.fields
        if name != "logo"
    }
    data["description"] = "Now meeting on Thursdays too."
    response = client.post(edit, data)
    assert response.status_code == 302, response.context["form"].errors
    response = client.post(edit, {**data, "postcode": "ZZ9 9ZZ"})
    assert "We could not find where ZZ9 9ZZ is" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.description == "Now meeting on Thursdays too."
    assert organisation.postcode == "LS1"


def test_errors_keep_everything_typed_and_say_what_to_fix(client, db):
    data = org_form_data(name="", postcode="12345", website="not a website at all")
    response = client.post(reverse("joining:organisation"), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert "Enter your organisation’s name" in content
    assert "Enter a real UK postcode, like LS1 4AP" in content
    assert 'href="#id_name"' in content  # the summary links to the field
    for field in ("description", "full_name", "job_title", "email", "why_join"):
        assert escape(data[field]) in content, field
    assert 'value="12345"' in content
    # a password that passed its checks is kept, so it need not be typed again...
    assert f'value="{PASSWORD}"' in content
    assert "no-store" in response["Cache-Control"]  # ...and the page is never cached
    # the chosen boxes stay ticked
    soup = BeautifulSoup(content, "html.parser")
    assert soup.find("input", attrs={"name": "staff_size", "value": "1-9"}).has_attr("checked")
    chosen = soup.find("input", attrs={"name": "focus_areas", "value": data["focus_areas"][0]})
    assert chosen.has_attr("checked")
    assert not User.objects.exists() and not Organisation.objects.exists()


def test_a_weak_password_is_refused_and_not_sent_back(client, db):
    response = client.post(reverse("joining:individual"), individual_form_data(password="12345"))
    content = response.content.decode()
    assert "This password is too short" in content
    assert 'value="12345"' not in content
    assert not User.objects.exists()


def test_over_long_fields_get_a_plain_message_and_keep_every_word(client, db):
    long_reason = ("We run tea afternoons. " * 100).strip()  # 2,299 characters
    response = client.post(
        reverse("joining:organisation"), org_form_data(name="x" * 201, why_join=long_reason)
    )
    content = response.content.decode()
    assert "Organisation name must be 200 characters or fewer. You have used 201." in content
    # A field asked as a question is called "your answer", not by its question.
    assert "Your answer must be 2000 characters or fewer. You have used 2299." in content
    # The browser is not told the limit, so it cannot silently cut what is pasted in; what
    # was typed comes back whole, to be shortened by the person.
    soup = BeautifulSoup(content, "html.parser")
    reason = soup.find("textarea", attrs={"name": "why_join"})
    assert not reason.has_attr("maxlength")
    assert reason.get_text().strip() == long_reason
    assert not soup.find("input", attrs={"name": "name"}).has_attr("maxlength")


def test_an_address_that_already_has_an_account_gives_nothing_away(
    client, db, django_capture_on_commit_callbacks
):
    UserFactory(email="ann@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("joining:organisation"), org_form_data())
    assert response["Location"] == reverse("joining:received")  # the same page as ever
    assert not Organisation.objects.exists()
    assert not Application.objects.exists()
    assert len(mail.outbox) == 1  # allauth's "you already have an account" message
    assert mail.outbox[0].to == ["ann@example.org"]
    assert "already" in mail.outbox[0].body.lower()


def test_signed_in_people_apply_without_account_fields(
    client, pending_user, django_capture_on_commit_callbacks
):
    client.force_login(pending_user)
    page = client.get(reverse("joining:individual"))
    assert 'name="password"' not in page.content.decode()
    assert "You are signed in as" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("joining:individual"), {"why_join": "Running a lunch club."})
    assert response.status_code == 302
    assert Application.objects.get(applicant=pending_user).kind == "individual"
    assert User.objects.count() == 1
    # one application at a time: the start page now says it is waiting
    page = client.get(reverse("joining:start"))
    assert "Your application is waiting for a decision" in page.content.decode()
    assert client.get(reverse("joining:individual"))["Location"] == reverse("joining:start")


def test_members_may_add_an_organisation_but_not_apply_again_themselves(client, member):
    client.force_login(member)
    assert client.get(reverse("joining:individual"))["Location"] == reverse("joining:start")
    assert client.get(reverse("joining:organisation")).status_code == 200
    assert "You are already a member" in client.get(reverse("joining:start")).content.decode()


def test_account_creation_shares_allauths_signup_rate_limit(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/m/ip"}
    client.post(reverse("joining:individual"), individual_form_data())
    response = client.post(
        reverse("joining:individual"), individual_form_data(email="second@example.org")
    )
    assert response.status_code == 429
    content = response.content.decode()
    assert "Wait a few minutes" in content
    assert escape("I run a walking group in my village.") in content  # nothing lost
    assert User.objects.count() == 1


# --- Deciding -------------------------------------------------------------------------------


def make_org_application(email="ann@example.org", name="Hartfield Tea & Chat"):
    return joining.application_submit_organisation(
        applicant=None,
        new_account=joining.NewAccount(full_name="Ann Example", email=email, password=PASSWORD),
        name=name,
        description="Tea afternoons.",
        postcode="LS1 4AP",
        area_served="local",
        focus_areas=FocusArea.objects.all()[:2],
    )


def test_approval_activates_the_person_and_lists_the_organisation(
    coordinator, django_capture_on_commit_callbacks
):
    application = make_org_application()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        joining.application_approve(actor=coordinator, application=application)
    application.refresh_from_db()
    assert application.status == "approved"
    assert application.decided_by == coordinator and application.decided_at
    applicant = application.applicant
    applicant.refresh_from_db()
    assert applicant.status == MembershipStatus.ACTIVE
    organisation = Organisation.objects.get(pk=application.organisation_id)
    assert organisation.status == MembershipStatus.ACTIVE
    assert organisation.approved_at and organisation.confirmed_at
    assert not organisation.is_stale

    entry = AuditEntry.objects.get(action="members.application.approve")
    assert entry.actor == coordinator
    assert entry.target_id == str(application.pk)
    assert entry.data["organisation"] == "Hartfield Tea & Chat"

    (message,) = mail.outbox
    assert message.to == ["ann@example.org"]
    assert "approved" in message.subject
    welcome = "http://127.0.0.1:8000" + reverse("joining:welcome")  # SITE_URL: absolute link
    assert welcome in message.body and welcome in html_of(message)
    assert "Hartfield Tea & Chat is now a member" in message.body
    assert "Hartfield Tea &amp; Chat is now a member" in html_of(message)


def test_approval_puts_the_organisation_in_the_search_index(coordinator):
    from core.models import SearchEntry

    application = make_org_application()
    joining.application_approve(actor=coordinator, application=application)
    assert SearchEntry.objects.filter(object_id=application.organisation_id).exists()


def test_rejection_needs_a_reason_and_sends_it(coordinator, django_capture_on_commit_callbacks):
    application = make_org_application()
    with pytest.raises(joining.JoiningError):
        joining.application_reject(actor=coordinator, application=application, reason="  ")
    mail.outbox.clear()
    reason = "We could not find <any> sign of this group's work."
    with django_capture_on_commit_callbacks(execute=True):
        joining.application_reject(actor=coordinator, application=application, reason=reason)
    application.refresh_from_db()
    assert application.status == "rejected"
    assert application.rejection_reason == reason
    rejected = Organisation.objects.get(pk=application.organisation_id)
    assert rejected.status == "pending"
    # Its web address is freed for the genuine organisation of that name.
    assert rejected.slug == f"rejected-{rejected.pk}"
    again = make_org_application(email="genuine@example.org")
    assert again.organisation.name == rejected.name
    assert again.organisation.slug == slugify(rejected.name)
    entry = AuditEntry.objects.get(action="members.application.reject")
    assert entry.data["reason"] == reason
    (message,) = mail.outbox
    assert "not been approved" in message.subject
    assert reason in message.body
    assert escape(reason) in html_of(message)  # escaped in HTML, never interpreted
    assert reverse("joining:start") in message.body


def test_no_applicant_can_take_the_address_a_rejection_gives_back(coordinator, client):
    """An organisation named "Rejected 7" must not block turning down organisation 7 (it
    was an error page) nor squat the address that rejection uses."""
    first = make_org_application(email="first@example.org", name="Tea & Chat")
    squatter = make_org_application(
        email="squat@example.org", name=f"Rejected {first.organisation_id}"
    )
    assert squatter.organisation.slug == f"rejected-{first.organisation_id}-2"
    client.force_login(coordinator)
    response = client.post(
        reverse("coordinator:application_reject", args=[first.pk]),
        {"reason": "Not a community group."},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "rejected"
    assert Organisation.objects.get(pk=first.organisation_id).slug == (
        f"rejected-{first.organisation_id}"
    )


def test_withdrawing_an_organisation_application_gives_its_address_back(client, db):
    application = make_org_application()
    client.force_login(application.applicant)
    client.post(reverse("joining:withdraw"))
    withdrawn = Organisation.objects.get(pk=application.organisation_id)
    assert not withdrawn.memberships.exists()
    assert withdrawn.slug == f"rejected-{withdrawn.pk}"
    genuine = make_org_application(email="genuine@example.org")
    assert genuine.organisation.slug == slugify(withdrawn.name)


def test_an_application_is_decided_once(coordinator):
    application = make_org_application()
    joining.application_approve(actor=coordinator, application=application)
    with pytest.raises(joining.JoiningError):
        joining.application_reject(actor=coordinator, application=application, reason="No")
    with pytest.raises(joining.JoiningError):
        joining.application_approve(actor=coordinator, application=application)
    assert AuditEntry.objects.filter(action__startswith="members.application").count() == 1


def test_the_welcome_page(client, db):
    person = UserFactory()
    org = OrganisationFactory()
    MembershipFactory(user=person, organisation=org, role="admin")
    client.force_login(person)
    content = client.get(reverse("joining:welcome")).content.decode()
    assert "Welcome to" in content
    assert "Complete your profile" in content
    assert reverse("joining:invite", args=[org.slug]) in content
    pending = UserFactory(status="pending")
    joining.application_submit_individual(applicant=pending, why_join="Hello")
    client.force_login(pending)
    content = client.get(reverse("joining:welcome")).content.decode()
    assert "is waiting for a coordinator" in content
    assert client.logout() is None
    assert client.get(reverse("joining:welcome")).status_code == 302


# --- Asking to join an organisation ---------------------------------------------------------


def test_a_visitor_asks_to_join_a_member_organisation(
    client, org_admin, organisation, django_capture_on_commit_callbacks
):
    found = client.get(reverse("joining:find_organisation"), {"q": organisation.name[:8]})
    assert reverse("joining:ask_to_join", args=[organisation.slug]) in found.content.decode()
    data = {
        "full_name": "Colin Colleague",
        "job_title": "Volunteer",
        "email": "colin@example.org",
        "password": PASSWORD,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("joining:ask_to_join", args=[organisation.slug]), data)
    assert response["Location"] == reverse("joining:received")
    colin = User.objects.get(email="colin@example.org")
    request = OrganisationMembership.objects.get(user=colin)
    assert request.status == "requested" and request.role == "member"
    (to_admin,) = [m for m in mail.outbox if m.to == [org_admin.email]]
    assert "Colin Colleague has asked to join" in to_admin.subject
    assert reverse("joining:requests") in to_admin.body
    assert "colin@example.org" in html_of(to_admin)
    assert "Request sent" in client.get(reverse("joining:received")).content.decode()


def test_org_admins_approve_requests_for_their_own_organisation_only(
    client, org_admin, organisation, django_capture_on_commit_callbacks
):
    person = UserFactory(status="pending")
    request = joining.join_request_create(user=person, organisation=organisation)
    other_org = OrganisationFactory()
    other_request = joining.join_request_create(user=UserFactory(), organisation=other_org)

    client.force_login(org_admin)
    page = client.get(reverse("joining:requests")).content.decode()
    assert person.email in page
    assert other_request.user.email not in page
    assert (
        client.post(reverse("joining:request_approve", args=[other_request.pk])).status_code == 403
    )
    assert (
        client.post(reverse("joining:request_decline", args=[other_request.pk])).status_code == 403
    )

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("joining:request_approve", args=[request.pk]))
    assert response.status_code == 302
    request.refresh_from_db()
    person.refresh_from_db()
    assert request.status == "active"
    assert person.status == MembershipStatus.ACTIVE  # vouched for by a member organisation
    assert AuditEntry.objects.filter(
        action="members.join_request.approve", actor=org_admin
    ).exists()
    (message,) = mail.outbox
    assert message.to == [person.email]
    assert f"You are now part of {organisation.name}" == message.subject


def test_a_plain_member_cannot_see_or_answer_requests(client, member, organisation):
    request = joining.join_request_create(user=UserFactory(), organisation=organisation)
    client.force_login(member)
    assert client.get(reverse("joining:requests")).status_code == 403
    assert client.post(reverse("joining:request_approve", args=[request.pk])).status_code == 403


def test_a_request_is_approved_only_once_its_email_address_is_confirmed(
    client, org_admin, organisation
):
    """Anyone can ask to join in someone else's name; approving that would make a member."""
    request = joining.join_request_create(
        user=None,
        organisation=organisation,
        new_account=joining.NewAccount(
            full_name="Not Really Ann", email="ann@example.org", password=PASSWORD
        ),
    )
    client.force_login(org_admin)
    page = BeautifulSoup(client.get(reverse("joining:requests")).content, "html.parser")
    assert "Not confirmed yet" in page.select_one(".result-list li").get_text()
    response = client.post(reverse("joining:request_approve", args=[request.pk]), follow=True)
    assert "has not confirmed their email address yet" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "requested"
    assert User.objects.get(email="ann@example.org").status == MembershipStatus.PENDING
    EmailAddress.objects.filter(email="ann@example.org").update(verified=True)
    page = BeautifulSoup(client.get(reverse("joining:requests")).content, "html.parser")
    assert "Not confirmed yet" not in page.select_one(".result-list li").get_text()
    client.post(reverse("joining:request_approve", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == "active"


def test_coordinators_answer_requests_for_organisations_without_admins(
    client, coordinator, organisation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = joining.join_request_create(user=UserFactory(), organisation=organisation)
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    client.force_login(coordinator)
    # Declining emails the person at once and cannot be undone: the button asks first.
    page = BeautifulSoup(client.get(reverse("joining:requests")).content, "html.parser")
    decline = page.find("form", action=reverse("joining:request_decline", args=[request.pk]))
    assert decline.button["data-confirm"] == (
        f"Decline {request.user.full_name}’s request? We will email them that it was declined."
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("joining:request_decline", args=[request.pk]))
    assert not OrganisationMembership.objects.filter(pk=request.pk).exists()
    assert "did not approve" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="members.join_request.decline").exists()


def test_an_admin_makes_a_colleague_an_admin_who_is_told_by_email(
    client, org_admin, organisation, django_capture_on_commit_callbacks
):
    colleague = MembershipFactory(
        organisation=organisation, user=UserFactory(full_name="Ife Bello")
    )
    client.force_login(org_admin)
    page = BeautifulSoup(client.get(reverse("joining:requests")).content, "html.parser")
    url = reverse("joining:set_role", args=[organisation.slug, colleague.pk])
    form = page.find("form", action=url)
    assert form.find("input", attrs={"name": "role"})["value"] == "admin"
    assert form.button.get_text(" ", strip=True) == "Make an admin : Ife Bello"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"role": "admin"}, follow=True)
    assert "Ife Bello is now an admin of" in response.content.decode()
    colleague.refresh_from_db()
    assert colleague.role == "admin"
    (message,) = mail.outbox
    assert message.to == [colleague.user.email]
    assert message.subject.endswith(f"You are now an admin of {organisation.name}")
    edit = reverse("members:organisation_edit", args=[organisation.slug])
    assert edit in message.body and edit in html_of(message)
    entry = AuditEntry.objects.get(action="members.organisation.role")
    assert entry.actor == org_admin and entry.data == {
        "person": colleague.user.email,
        "role": "admin",
    }
    # The new admin can now edit the organisation; the first one can step down.
    client.force_login(colleague.user)
    assert client.get(edit).status_code == 200
    client.force_login(org_admin)
    own = OrganisationMembership.objects.get(user=org_admin, organisation=organisation)
    client.post(reverse("joining:set_role", args=[organisation.slug, own.pk]), {"role": "member"})
    own.refresh_from_db()
    assert own.role == "member"


def test_the_admins_people_page_costs_the_same_queries_however_many_people(
    client, org_admin, organisation
):
    """Requests waiting, each organisation's people and its invitations: no query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n):
        for _ in range(n):
            MembershipFactory(organisation=organisation)
            joining.join_request_create(user=UserFactory(), organisation=organisation)
            joining.invitation_create(
                actor=org_admin, organisation=organisation, email=f"{UserFactory().pk}@example.org"
            )

    client.force_login(org_admin)

    def count():
        client.get(reverse("joining:requests"))  # warm the per-process caches
        with CaptureQueriesContext(connection) as queries:
            page = BeautifulSoup(client.get(reverse("joining:requests")).content, "html.parser")
        return len(queries), page

    add(1)
    small, page = count()
    assert len(page.select("form[action$='/role/']")) == 2  # the admin and one colleague
    add(5)
    large, page = count()
    assert len(page.select("form[action$='/role/']")) == 7
    assert len(page.select(".result-list h2")) == 6  # the requests waiting
    assert large == small


def test_an_organisation_always_keeps_an_admin(client, org_admin, organisation):
    own = OrganisationMembership.objects.get(user=org_admin, organisation=organisation)
    client.force_login(org_admin)
    response = client.post(
        reverse("joining:set_role", args=[organisation.slug, own.pk]),
        {"role": "member"},
        follow=True,
    )
    assert "is its only admin. Make someone else an admin first." in response.content.decode()
    own.refresh_from_db()
    assert own.role == "admin"
    with pytest.raises(joining.JoiningError):
        joining.organisation_set_role(actor=org_admin, membership=own, role="member")


def test_an_admin_who_cannot_act_does_not_count_as_the_one_left(client, org_admin, organisation):
    lapsed = MembershipFactory(
        organisation=organisation, user=UserFactory(status="lapsed"), role="admin"
    )
    own = OrganisationMembership.objects.get(user=org_admin, organisation=organisation)
    with pytest.raises(joining.JoiningError):
        joining.organisation_set_role(actor=org_admin, membership=own, role="member")
    # The lapsed one may be made a member again: the organisation keeps an admin who can act.
    joining.organisation_set_role(actor=org_admin, membership=lapsed, role="member")
    lapsed.refresh_from_db()
    assert lapsed.role == "member"


def test_stepping_down_asks_first_and_ends_on_the_account_page(client, org_admin, organisation):
    other = MembershipFactory(organisation=organisation, role="admin")
    own = OrganisationMembership.objects.get(user=org_admin, organisation=organisation)
    client.force_login(org_admin)
    url = reverse("joining:set_role", args=[organisation.slug, own.pk])
    page = BeautifulSoup(client.get(reverse("joining:requests")).content, "html.parser")
    button = page.find("form", action=url).button
    assert button["data-confirm"].startswith(f"Stop being an admin of {organisation.name}?")
    assert button.get_text(" ", strip=True) == f"Stop being an admin of {organisation.name}"
    response = client.post(url, {"role": "member"})
    assert response["Location"] == reverse("members:account")  # no longer theirs to manage
    assert client.get(response["Location"]).status_code == 200
    other.refresh_from_db()
    assert other.role == "admin"


def test_only_people_who_can_edit_an_organisation_get_the_link(client, db):
    application = make_org_application()  # its applicant is its admin, not yet a member
    client.force_login(application.applicant)
    page = client.get(reverse("members:account")).content.decode()
    edit = reverse("members:organisation_edit", args=[application.organisation.slug])
    assert edit not in page and client.get(edit).status_code == 403


def test_only_its_admins_and_coordinators_appoint_admins(client, organisation, coordinator):
    colleague = MembershipFactory(organisation=organisation)
    url = reverse("joining:set_role", args=[organisation.slug, colleague.pk])
    other_admin = UserFactory()
    MembershipFactory(user=other_admin, organisation=OrganisationFactory(), role="admin")
    for outsider in (colleague.user, other_admin):
        client.force_login(outsider)
        assert client.post(url, {"role": "admin"}).status_code == 403
    colleague.refresh_from_db()
    assert colleague.role == "member"
    # A coordinator does it from the organisation's coordinator page and goes back there.
    client.force_login(coordinator)
    page = client.get(reverse("coordinator:organisation", args=[organisation.pk]))
    assert url in page.content.decode()
    response = client.post(url, {"role": "admin", "back": "coordinator"})
    assert response["Location"] == reverse("coordinator:organisation", args=[organisation.pk])
    colleague.refresh_from_db()
    assert colleague.role == "admin"
    # Nonsense is refused with a message, not an error page.
    response = client.post(url, {"role": "owner"}, follow=True)
    assert "Choose whether they are an admin or a member." in response.content.decode()


def test_asking_twice_or_to_join_a_pending_organisation_is_refused(client, member):
    pending_org = OrganisationFactory(status="pending")
    client.force_login(member)
    assert client.get(reverse("joining:ask_to_join", args=[pending_org.slug])).status_code == 404
    org = OrganisationFactory()
    client.post(reverse("joining:ask_to_join", args=[org.slug]))
    client.post(reverse("joining:ask_to_join", args=[org.slug]))
    assert OrganisationMembership.objects.filter(user=member).count() == 1
    page = client.get(reverse("joining:ask_to_join", args=[org.slug])).content.decode()
    assert "You have already asked to join" in page


# --- Invitations ----------------------------------------------------------------------------


def invite(org_admin, organisation, email="newbie@example.org"):
    return joining.invitation_create(actor=org_admin, organisation=organisation, email=email)


def test_an_org_admin_invites_a_colleague_by_email(
    client, org_admin, organisation, django_capture_on_commit_callbacks
):
    client.force_login(org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("joining:invite", args=[organisation.slug]), {"email": "newbie@example.org"}
        )
    assert response["Location"] == reverse("joining:requests")
    invitation = Invitation.objects.get()
    assert invitation.invited_by == org_admin
    (message,) = mail.outbox
    assert message.to == ["newbie@example.org"]
    (token,) = re.findall(r"/join/invitations/([^/\s]+)/", message.body)
    assert joining.invitation_from_token(token) == invitation
    assert reverse("joining:invitation", args=[token]) in html_of(message)
    assert f"invited you to join {organisation.name}" in message.subject
    assert AuditEntry.objects.filter(action="members.invitation.create").exists()


def test_inviting_an_address_again_resends_rather_than_listing_it_twice(
    client, org_admin, organisation, django_capture_on_commit_callbacks
):
    client.force_login(org_admin)
    url = reverse("joining:invite", args=[organisation.slug])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "newbie@example.org"})
        client.post(url, {"email": "Newbie@Example.org"})
    invitation = Invitation.objects.get()
    assert len(mail.outbox) == 2
    tokens = [re.findall(r"/join/invitations/([^/\s]+)/", m.body)[0] for m in mail.outbox]
    assert [joining.invitation_from_token(t) for t in tokens] == [invitation, invitation]
    page = BeautifulSoup(client.get(reverse("joining:requests")).content, "html.parser")
    listed = [li.get_text() for li in page.select("main li") if "invited on" in li.get_text()]
    assert len(listed) == 1 and listed[0].startswith("newbie@example.org: invited on")


def test_nobody_is_invited_to_an_organisation_that_is_not_listed(client, member):
    """One waiting for approval, or turned down, whose admin is a member for other reasons."""
    turned_down = OrganisationFactory(status="pending")
    MembershipFactory(user=member, organisation=turned_down, role="admin")
    client.force_login(member)
    response = client.post(
        reverse("joining:invite", args=[turned_down.slug]), {"email": "someone@example.org"}
    )
    assert response.status_code == 200
    assert "is not a member of the network, so nobody can be invited to it." in (
        response.content.decode()
    )
    assert not Invitation.objects.exists() and mail.outbox == []


def test_only_the_organisations_admins_may_invite(client, org_admin, member):
    other = OrganisationFactory()
    client.force_login(org_admin)
    assert client.get(reverse("joining:invite", args=[other.slug])).status_code == 403
    client.force_login(member)
    assert client.get(reverse("joining:invite", args=[other.slug])).status_code == 403


def test_a_visitor_accepts_an_invitation_by_creating_an_account(client, org_admin, organisation):
    invitation = invite(org_admin, organisation)
    url = reverse("joining:invitation", args=[joining.invitation_token(invitation)])
    page = client.get(url).content.decode()
    assert "Create your account to accept" in page
    assert "newbie@example.org" in page
    # errors keep what was typed
    response = client.post(url, {"full_name": "Nia Newbie", "password": ""})
    assert 'value="Nia Newbie"' in response.content.decode()

    response = client.post(url, {"full_name": "Nia Newbie", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("joining:welcome")
    nia = User.objects.get(email="newbie@example.org")
    assert nia.status == MembershipStatus.ACTIVE  # the organisation is a member
    assert EmailAddress.objects.get(user=nia).verified  # the link proved the address
    assert OrganisationMembership.objects.get(user=nia, organisation=organisation).status == (
        "active"
    )
    assert int(client.session["_auth_user_id"]) == nia.pk  # signed in
    invitation.refresh_from_db()
    assert invitation.accepted_by == nia and invitation.accepted_at
    # the link works once
    again = client.get(url)
    assert again.status_code == 400
    assert "already been used" in again.content.decode()


def test_a_signed_in_person_accepts_an_invitation(client, org_admin, organisation, member):
    invitation = invite(org_admin, organisation, email=member.email)
    url = reverse("joining:invitation", args=[joining.invitation_token(invitation)])
    client.force_login(member)
    assert "Accept the invitation" in client.get(url).content.decode()
    assert client.post(url)["Location"] == reverse("joining:welcome")
    assert OrganisationMembership.objects.filter(user=member, organisation=organisation).exists()


def test_an_invited_address_with_an_account_is_asked_to_sign_in(client, org_admin, organisation):
    existing = UserFactory(email="known@example.org")
    invitation = invite(org_admin, organisation, email=existing.email)
    url = reverse("joining:invitation", args=[joining.invitation_token(invitation)])
    page = client.get(url).content.decode()
    assert "Sign in to accept" in page
    assert 'name="password"' not in page
    client.post(url, {"full_name": "Intruder", "password": PASSWORD})
    assert User.objects.filter(email="known@example.org").count() == 1


def test_tampered_invitation_links_are_refused_clearly(client, org_admin, organisation):
    invitation = invite(org_admin, organisation)
    token = joining.invitation_token(invitation)
    other = invite(org_admin, organisation, email="other@example.org")
    forged = signing.dumps({"i": other.pk, "e": "newbie@example.org"}, salt="wrong-salt")
    for bad in (token[:-2] + "xx", token.replace(":", "-", 1), forged, "nonsense"):
        response = client.get(reverse("joining:invitation", args=[bad]))
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
        assert client.post(reverse("joining:invitation", args=[bad])).status_code == 400
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_expired_invitation_links_are_refused_clearly(client, org_admin, organisation, monkeypatch):
    invitation = invite(org_admin, organisation)
    url = reverse("joining:invitation", args=[joining.invitation_token(invitation)])
    later = time.time() + joining.INVITATION_MAX_AGE + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get(url)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()


# --- Leaving --------------------------------------------------------------------------------


def test_a_member_leaves_the_network_after_a_confirmation_page(client, org_admin, organisation):
    client.force_login(org_admin)
    page = client.get(reverse("joining:leave"))
    assert "Are you sure you want to leave the network?" in page.content.decode()
    assert organisation.name in page.content.decode()
    assert org_admin.status == MembershipStatus.ACTIVE  # nothing changed on GET
    response = client.post(reverse("joining:leave"))
    assert response.status_code == 302
    org_admin.refresh_from_db()
    assert org_admin.status == MembershipStatus.LEFT
    assert not OrganisationMembership.objects.filter(user=org_admin).exists()
    entry = AuditEntry.objects.get(action="members.user.leave")
    assert entry.actor == org_admin and entry.data["organisations"] == [organisation.name]
    # and they can apply again
    assert client.get(reverse("joining:individual")).status_code == 200


def test_a_member_leaves_one_organisation(client, member, organisation):
    MembershipFactory(user=member, organisation=organisation)
    client.force_login(member)
    url = reverse("joining:leave_organisation", args=[organisation.slug])
    assert f"leave {organisation.name}" in client.get(url).content.decode()
    client.post(url)
    assert not OrganisationMembership.objects.filter(user=member).exists()
    member.refresh_from_db()
    assert member.status == MembershipStatus.ACTIVE  # still in the network
    assert client.get(url).status_code == 404


def test_the_only_admin_is_warned_before_leaving(client, org_admin, organisation):
    client.force_login(org_admin)
    page = client.get(reverse("joining:leave_organisation", args=[organisation.slug]))
    assert "You are its only admin" in page.content.decode()


def test_leaving_withdraws_a_waiting_application(client, pending_user):
    joining.application_submit_individual(applicant=pending_user, why_join="Hello")
    client.force_login(pending_user)
    client.post(reverse("joining:leave"))
    assert not Application.objects.filter(status="pending").exists()


def _status_panel(client):
    page = BeautifulSoup(client.get(reverse("members:account")).content, "html.parser")
    panel = page.select_one("#membership-status")
    return page, panel


def test_an_applicant_sees_their_waiting_application_and_nothing_contradicting_it(client, db):
    application = make_org_application()
    client.force_login(application.applicant)
    page, panel = _status_panel(client)
    assert panel.h2.get_text() == "Your application is waiting for a decision"
    assert "for Hartfield Tea & Chat to join the network" in panel.get_text()
    assert [a.get_text() for a in panel.select("a")] == ["Withdraw your application"]
    links = [a.get_text() for a in page.select("main a")]
    assert "Apply to join the network" not in links
    assert not [text for text in links if text.startswith("Leave")]


def test_someone_with_only_an_account_is_offered_to_apply(client, pending_user):
    client.force_login(pending_user)
    page, panel = _status_panel(client)
    assert panel.h2.get_text() == "You are not a member of the network yet"
    apply = panel.select_one("a.button")
    assert (apply.get_text(), apply["href"]) == ("Apply to join the network", "/join/")
    assert "Withdraw your application" not in page.get_text()


def test_someone_who_left_or_lapsed_is_offered_to_apply_again(client, db):
    for status, heading in [
        ("left", "You have left the network"),
        ("lapsed", "Your membership has lapsed"),
    ]:
        person = UserFactory(status=status)
        client.force_login(person)
        _page, panel = _status_panel(client)
        assert panel.h2.get_text() == heading
        assert panel.select_one("a.button").get_text() == "Apply to join again"


def test_someone_waiting_for_their_organisation_is_told_so(client, pending_user, organisation):
    MembershipFactory(user=pending_user, organisation=organisation, status="requested")
    client.force_login(pending_user)
    page, panel = _status_panel(client)
    assert panel.h2.get_text() == "Waiting for your organisation"
    assert f"You asked to join {organisation.name}." in panel.get_text()
    assert f"Withdraw your request to join {organisation.name}" in page.get_text()


def test_members_see_no_status_panel_and_admins_can_edit_their_organisation(
    client, org_admin, organisation
):
    client.force_login(org_admin)
    page, panel = _status_panel(client)
    assert panel is None
    edit = page.find("a", string=f"edit {organisation.name}’s details")
    assert edit["href"] == reverse("members:organisation_edit", args=[organisation.slug])
    assert page.find("a", string=organisation.name)["href"] == organisation.get_absolute_url()


def test_signing_in_leads_non_members_to_where_their_membership_stands(
    client, pending_user, member
):
    for person, landing in [(pending_user, reverse("members:account")), (member, "/")]:
        response = client.post(
            reverse("account_login"), {"login": person.email, "password": "x" * 3}
        )
        assert response.status_code == 200  # a wrong password: no redirect
        response = client.post(
            reverse("account_login"), {"login": person.email, "password": PASSWORD_FACTORY}
        )
        assert response.status_code == 302 and response["Location"] == landing
        client.logout()
    # A link that asked for a page still wins.
    response = client.post(
        reverse("account_login") + "?next=/members/",
        {"login": pending_user.email, "password": PASSWORD_FACTORY},
    )
    assert response["Location"] == "/members/"


def test_withdrawing_an_application_is_called_that(client, db):
    application = make_org_application()
    client.force_login(application.applicant)
    account = BeautifulSoup(client.get(reverse("members:account")).content, "html.parser")
    link = account.select_one("#membership-status a")
    assert (link.get_text(), link["href"]) == (
        "Withdraw your application",
        reverse("joining:withdraw"),
    )
    page = client.get(reverse("joining:withdraw")).content.decode()
    assert "Are you sure you want to withdraw your application?" in page
    assert "Hartfield Tea &amp; Chat will not be added to the directory" in page
    assert "Leave the network" not in page  # neither the title nor the button
    response = client.post(reverse("joining:withdraw"), follow=True)
    assert "Your application is withdrawn." in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    assert application.applicant.status == MembershipStatus.PENDING  # an account, to apply again
    assert AuditEntry.objects.filter(action="members.application.withdraw").exists()
    # Nothing is waiting any more: the page says so rather than withdrawing anything else.
    response = client.get(reverse("joining:withdraw"), follow=True)
    assert "You have no application waiting for a decision." in response.content.decode()


def test_a_member_withdrawing_an_application_for_another_organisation_stays_a_member(
    client, org_admin, organisation
):
    """Withdrawing is not leaving: the member keeps the network and their organisation."""
    application = joining.application_submit_organisation(
        applicant=org_admin,
        new_account=None,
        name="Second Venture",
        description="Another group.",
        postcode="LS1 4AP",
        area_served="local",
    )
    client.force_login(org_admin)
    account = BeautifulSoup(client.get(reverse("members:account")).content, "html.parser")
    assert account.select_one("#membership-status h2").get_text() == (
        "Your application is waiting for a decision"
    )
    assert account.find("a", string="Leave the network")  # still theirs to choose
    page = client.get(reverse("joining:withdraw")).content.decode()
    assert "You stay a member of the network, and of your organisations." in page
    client.post(reverse("joining:withdraw"))
    org_admin.refresh_from_db()
    assert org_admin.status == MembershipStatus.ACTIVE
    assert OrganisationMembership.objects.filter(
        user=org_admin, organisation=organisation, role="admin"
    ).exists()
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    assert not OrganisationMembership.objects.filter(
        user=org_admin, organisation=application.organisation
    ).exists()


def test_leaving_lists_requests_apart_from_organisations(client, member, organisation):
    other = OrganisationFactory(name="Second Chances Café")
    MembershipFactory(user=member, organisation=organisation)
    MembershipFactory(user=member, organisation=other, status="requested")
    client.force_login(member)
    page = BeautifulSoup(client.get(reverse("joining:leave")).content, "html.parser")
    taken_off, withdrawn = page.select("main > ul > li > ul")
    assert [li.get_text() for li in taken_off.select("li")] == [organisation.name]
    assert [li.get_text() for li in withdrawn.select("li")] == ["Second Chances Café"]


# --- The service layer's own guarantees -----------------------------------------------------


def test_organisation_slugs_are_unique_and_never_empty(db):
    first = make_org_application(email="a@example.org", name="Tea & Chat")
    second = make_org_application(email="b@example.org", name="Tea & Chat")
    third = make_org_application(email="c@example.org", name="☕☕")
    assert first.organisation.slug == "tea-chat"
    assert second.organisation.slug == "tea-chat-2"
    assert third.organisation.slug == "organisation"


def test_applications_are_emailed_only_once_committed(db, django_capture_on_commit_callbacks):
    CoordinatorFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_org_application()
    assert callbacks and mail.outbox == []


def test_an_invitations_age_comes_from_its_signed_link(db, org_admin, organisation):
    invitation = invite(org_admin, organisation)
    token = joining.invitation_token(invitation)
    assert joining.invitation_from_token(token) == invitation
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    assert joining.invitation_from_token(token) == invitation  # the signature carries the age


# --- Fuzzing the join forms -----------------------------------------------------------------

TEXT_FIELDS = {
    "organisation": [
        "name", "description", "website", "postcode", "why_join", "full_name", "job_title",
        "email",
    ],
    "individual": ["full_name", "email", "why_join"],
}  # fmt: skip


def _choice_or_junk(values):
    return st.one_of(st.sampled_from(values), st.text(max_size=12))


def _form_data():
    text = st.text(max_size=300)
    pk_or_junk = st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str), st.text(max_size=8)
    )
    return st.fixed_dictionaries(
        {
            "name": text,
            "description": st.text(max_size=6000),
            "website": st.one_of(text, st.just("example.org")),
            "postcode": st.one_of(text, st.sampled_from(["LS1 4AP", "sw1a1aa", "ZZ99 9ZZ"])),
            "area_served": _choice_or_junk(["local", "regional", "national"]),
            "staff_size": _choice_or_junk(["", "0", "1-9", "250+"]),
            "turnover": _choice_or_junk(["", "<10k", "1m+"]),
            "focus_areas": st.lists(st.one_of(pk_or_junk, st.just("1")), max_size=3),
            "audiences": st.lists(pk_or_junk, max_size=3),
            "regions": st.lists(pk_or_junk, max_size=3),
            "why_join": st.text(max_size=2100),
            "full_name": text,
            "job_title": text,
            "email": st.one_of(text, st.emails().map(str)),
            "password": st.one_of(text, st.just(PASSWORD)),
        }
    )


class TestJoinFormsFuzz(HypothesisTestCase):
    """Whatever is typed, the forms answer with a page (never a server error), and a page
    that comes back with errors still holds everything that was typed."""

    @given(kind=st.sampled_from(["organisation", "individual"]), data=_form_data())
    @hypothesis_settings(max_examples=80, deadline=None)
    def test_random_input_never_breaks_the_form_and_keeps_what_was_typed(self, kind, data):
        cache.clear()
        response = self.client.post(reverse(f"joining:{kind}"), data)
        event(f"status {response.status_code}")
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert response["Location"] == reverse("joining:received")
            return
        content = response.content.decode()
        assert "There is a problem" in content
        for name in TEXT_FIELDS[kind]:
            assert escape(data[name]) in content, name


def test_an_id_too_big_for_the_database_is_an_unknown_choice_not_a_crash(client, db):
    # Found by the fuzz test below: SQLite raised OverflowError for this id (a 500).
    response = client.post(
        reverse("joining:organisation"), org_form_data(regions=["9223372036854775808"])
    )
    assert response.status_code == 200
    assert "Choose only from the options shown" in response.content.decode()


def test_an_organisation_called_people_does_not_hide_behind_the_people_page(db):
    from members.services.joining import _unique_slug

    assert _unique_slug("People") == "people-2"
