"""Fresh listings: the yearly "are these details still correct?" email and stale listings."""

import re
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from members.models import Organisation
from members.services import listings
from members.tasks import request_listing_confirmations
from members.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

NOW = timezone.now()


def months_ago(months):
    return NOW - timedelta(days=round(months * 30.5))


def org_with_admin(confirmed_months_ago, *, asked_days_ago=None, status="active", admins=1):
    organisation = OrganisationFactory(
        status=status,
        confirmed_at=months_ago(confirmed_months_ago),
        confirmation_requested_at=(
            NOW - timedelta(days=asked_days_ago) if asked_days_ago is not None else None
        ),
    )
    for _ in range(admins):
        MembershipFactory(user=UserFactory(), organisation=organisation, role="admin")
    return organisation


def html_of(message):
    content, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return content


def test_which_organisations_are_due(db):
    due = org_with_admin(13)
    asked_long_ago = org_with_admin(14, asked_days_ago=45)
    org_with_admin(11)  # confirmed within the year
    org_with_admin(13, asked_days_ago=10)  # asked recently
    org_with_admin(13, status="pending")  # not listed
    never_confirmed = OrganisationFactory(created_at=months_ago(20))  # falls back to created
    approved_recently = OrganisationFactory(created_at=months_ago(20), approved_at=months_ago(2))
    result = set(listings.organisations_due_for_confirmation())
    assert result == {due, asked_long_ago, never_confirmed}
    assert approved_recently not in result


def test_the_task_emails_each_due_organisations_admins_once(db, django_capture_on_commit_callbacks):
    due = org_with_admin(13, admins=2)
    org_with_admin(2)
    with django_capture_on_commit_callbacks(execute=True):
        assert request_listing_confirmations.call() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        due.memberships.values_list("user__email", flat=True)
    )
    message = mail.outbox[0]
    assert f"Are the details for {due.name} still correct?" == message.subject
    due.refresh_from_db()
    assert due.confirmation_requested_at is not None
    (token,) = re.findall(r"/join/confirm-details/([^/\s]+)/", message.body)
    assert listings.organisation_from_token(token) == due
    assert reverse("joining:listing_confirm", args=[token]) in html_of(message)
    assert listings.edit_url(due) in message.body
    assert "60 days" in message.body

    # running again (the daily timer, or a retry) sends nothing more
    with django_capture_on_commit_callbacks(execute=True):
        assert request_listing_confirmations.enqueue().return_value == 0
    assert len(mail.outbox) == 2


def test_an_organisation_without_admins_is_asked_at_its_public_address(
    db, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory(confirmed_at=months_ago(13), email="hello@example.org")
    nobody = OrganisationFactory(confirmed_at=months_ago(13))
    with django_capture_on_commit_callbacks(execute=True):
        listings.request_confirmations()
    assert [m.to for m in mail.outbox] == [["hello@example.org"]]
    nobody.refresh_from_db()
    assert nobody.confirmation_requested_at is not None  # not retried every day
    organisation.refresh_from_db()


def test_the_management_command_runs_the_task(db, django_capture_on_commit_callbacks):
    org_with_admin(13)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("request_listing_confirmations", stdout=out)
    assert "Asked 1 organisation(s)" in out.getvalue()
    assert len(mail.outbox) == 1
    out = StringIO()
    call_command("request_listing_confirmations", stdout=out)
    assert "Asked 0 organisation(s)" in out.getvalue()


def test_the_link_shows_the_details_and_a_button_and_the_button_confirms(client, db):
    organisation = org_with_admin(13)
    organisation.description = "Tea and a chat on Tuesdays."
    organisation.save()
    before = organisation.confirmed_at
    url = reverse("joining:listing_confirm", args=[listings.confirmation_token(organisation)])

    page = client.get(url)  # not signed in
    assert page.status_code == 200
    content = page.content.decode()
    assert "Tea and a chat on Tuesdays." in content
    assert "Yes, these details are correct" in content
    assert "no-store" in page["Cache-Control"]
    organisation.refresh_from_db()
    assert organisation.confirmed_at == before  # a mail scanner opening the link changes nothing

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    organisation.refresh_from_db()
    assert organisation.confirmed_at > before
    assert timezone.now() - organisation.confirmed_at < timedelta(minutes=1)
    entry = AuditEntry.objects.get(action="members.organisation.confirm")
    assert entry.actor is None and entry.target_id == str(organisation.pk)
    assert "You have confirmed the details are correct" in client.get(url).content.decode()
    # pressing it twice is harmless
    assert client.post(url).status_code == 302
    assert organisation not in set(listings.organisations_due_for_confirmation())


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: signing.dumps({"o": 1}, salt="some-other-purpose"),
        lambda token: "not-a-token",
    ],
)
def test_tampered_links_are_refused(client, db, mangle):
    organisation = org_with_admin(13)
    before = organisation.confirmed_at
    url = reverse(
        "joining:listing_confirm", args=[mangle(listings.confirmation_token(organisation))]
    )
    response = client.get(url)
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert client.post(url).status_code == 400
    organisation.refresh_from_db()
    assert organisation.confirmed_at == before


def test_a_link_for_another_organisation_cannot_be_forged(client, db):
    mine, theirs = org_with_admin(13), org_with_admin(13)
    token = listings.confirmation_token(mine)
    payload, _, signature = token.partition(":")
    forged_payload = signing.dumps({"o": theirs.pk}, salt=listings.LINK_SALT).partition(":")[0]
    url = reverse("joining:listing_confirm", args=[f"{forged_payload}:{signature}"])
    assert client.post(url).status_code == 400


def test_expired_links_are_refused(client, db, monkeypatch):
    organisation = org_with_admin(13)
    url = reverse("joining:listing_confirm", args=[listings.confirmation_token(organisation)])
    later = time.time() + listings.LINK_MAX_AGE.total_seconds() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get(url)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert client.post(url).status_code == 400


def test_stale_listings(client, coordinator):
    stale = org_with_admin(19)
    fresh = org_with_admin(17)
    never = OrganisationFactory(created_at=months_ago(30))
    pending = org_with_admin(30, status="pending")
    assert stale.is_stale and never.is_stale
    assert not fresh.is_stale and not pending.is_stale
    assert list(listings.organisations_stale()) == [never, stale]

    client.force_login(coordinator)
    page = client.get(reverse("coordinator:listings"))
    assert list(page.context["page"]) == [never, stale]
    content = page.content.decode()
    assert stale.name in content and fresh.name not in content
    # all three listed organisations are over 12 months and nobody has asked them yet
    assert page.context["due_count"] == 3 == Organisation.objects.filter(status="active").count()


def test_a_coordinator_asks_an_organisation_now(
    client, coordinator, django_capture_on_commit_callbacks
):
    organisation = org_with_admin(3)  # not due, but a coordinator may ask any time
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("coordinator:listing_request", args=[organisation.pk]))
    assert response["Location"] == reverse("coordinator:listings")
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="members.organisation.confirm_request").exists()
