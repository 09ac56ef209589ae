"""Submitting, approving and rejecting resources; who may publish directly; the audit trail."""

import pytest
from django.urls import reverse

from core.models import AuditEntry
from core.search import search_filter
from learning import services
from learning.models import Resource, ResourceKind, ResourceStatus, Theme
from learning.tests.helpers import pdf
from members.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _data(**overrides):
    data = {
        "title": "Our welcoming lunch club",
        "kind": ResourceKind.CASE_STUDY,
        "summary": "A weekly lunch that made strangers into friends.",
        "tried": "Cooking together.",
        "happened": "People came back.",
        "learned": "Food breaks the ice.",
        "visibility": "public",
        "themes": list(
            Theme.objects.filter(slug__in=["consider-your-activities", "allow-enough-time"])
        ),
    }
    data.update(overrides)
    return data


def test_a_members_submission_waits_for_approval_then_is_published(
    member, coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    resource = services.resource_submit(submitted_by=member, data=_data())
    assert resource.status == ResourceStatus.PENDING
    assert resource.published_at is None
    assert resource.slug == "our-welcoming-lunch-club"
    assert resource.themes.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.resource_approve(resource=resource, by=coordinator)
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.PUBLISHED
    [message] = mailoutbox
    assert message.to == [member.email]
    assert message.subject == "“Our welcoming lunch club” is published"
    assert resource.get_absolute_url() in message.body
    assert message.alternatives  # multipart
    assert resource.published_at is not None
    entry = AuditEntry.objects.get(action="learning.resource.approve")
    assert entry.actor == coordinator and entry.target_id == str(resource.pk)
    # searchable by its structured parts
    assert list(search_filter(Resource.objects.all(), "ice breaks")) == [resource]


def test_rejection_sends_it_back_with_a_note_and_is_audited(
    member, coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    resource = services.resource_submit(submitted_by=member, data=_data())
    with django_capture_on_commit_callbacks(execute=True):
        services.resource_reject(resource=resource, by=coordinator, note="Add a photo credit.")
    [message] = mailoutbox
    assert "Add a photo credit." in message.body
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.DRAFT
    assert resource.review_note == "Add a photo credit."
    entry = AuditEntry.objects.get(action="learning.resource.reject")
    assert entry.data == {"note": "Add a photo credit."}


def test_coordinators_publish_directly(coordinator):
    resource = services.resource_submit(submitted_by=coordinator, data=_data())
    assert resource.status == ResourceStatus.PUBLISHED


def test_org_admins_publish_directly_only_with_the_trusted_setting(settings, organisation):
    admin = MembershipFactory(organisation=organisation, role="admin").user
    settings.LEARNING_TRUSTED_PUBLISH = False
    assert services.resource_submit(submitted_by=admin, data=_data()).status == "pending"
    settings.LEARNING_TRUSTED_PUBLISH = True
    assert services.resource_submit(submitted_by=admin, data=_data()).status == "published"


def test_slugs_are_unique_and_avoid_the_librarys_own_addresses(member):
    first = services.resource_submit(submitted_by=member, data=_data(title="Feed"))
    second = services.resource_submit(submitted_by=member, data=_data(title="Feed"))
    assert first.slug == "feed-2" and second.slug == "feed-3"


def test_submit_view_case_study_needs_its_parts(client, member):
    client.force_login(member)
    response = client.post(
        reverse("learning:submit"),
        {
            "title": "A case",
            "kind": "case_study",
            "summary": "S",
            "licence": "cc-by-4.0",
            "visibility": "public",
        },
    )
    assert response.status_code == 200
    for message in ("Say what you tried.", "Say what happened.", "Say what you learned."):
        assert message in response.text
    assert response.text.count("There is a problem") == 1


def test_submit_view_with_a_file(client, member):
    client.force_login(member)
    response = client.post(
        reverse("learning:submit"),
        {
            "title": "Hall checklist",
            "kind": "guide",
            "summary": "Checks before opening.",
            "licence": "cc-by-4.0",
            "visibility": "members",
            "file": pdf("checklist.pdf"),
        },
    )
    resource = Resource.objects.get(title="Hall checklist")
    assert response.status_code == 302 and response["Location"] == resource.get_absolute_url()
    assert resource.status == ResourceStatus.PENDING
    assert resource.file_content_type == "application/pdf"
    assert resource.file_name == "checklist.pdf"


def test_ids_too_big_for_the_database_are_a_message_not_a_server_error(client, member):
    client.force_login(member)
    huge = str(2**70)
    response = client.post(
        reverse("learning:submit"),
        {
            "title": "A guide",
            "kind": "guide",
            "summary": "S",
            "url": "https://example.org/",
            "licence": "cc-by-4.0",
            "visibility": "public",
            "themes": [huge],
            "event": huge,
        },
    )
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert not Resource.objects.exists()
