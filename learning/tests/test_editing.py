"""Changing a resource after it was shared: the author fixes what a coordinator sent back,
and it returns to the queue; nobody else can change it."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEntry
from learning import services
from learning.models import ResourceKind, ResourceStatus, ResourceVisibility
from learning.tests.factories import ResourceFactory
from learning.tests.helpers import PDF_BYTES, pdf
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def form_data(resource, **changes):
    data = {
        "title": resource.title,
        "kind": resource.kind,
        "summary": resource.summary,
        "body": resource.body,
        "url": resource.url,
        "licence": resource.licence,
        "visibility": resource.visibility,
    }
    data.update(changes)
    return data


def edit_url(resource):
    return reverse("learning:edit", kwargs={"slug": resource.slug})


def test_returned_resource_is_changed_by_its_author_and_goes_back_to_the_queue(
    client, member, coordinator, django_capture_on_commit_callbacks
):
    resource = ResourceFactory(
        submitted_by=member,
        status=ResourceStatus.PENDING,
        published_at=None,
        url="https://example.org/old",
        visibility=ResourceVisibility.MEMBERS,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.resource_reject(resource=resource, by=coordinator, note="Add who it is for.")
    [email] = mail.outbox
    assert edit_url(resource) in email.body, "the email takes them straight to the form"

    client.force_login(member)
    page = client.get(edit_url(resource)).text
    assert "Add who it is for." in page and 'value="https://example.org/old"' in page

    response = client.post(
        edit_url(resource), form_data(resource, summary="For older people living alone.")
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.summary == "For older people living alone."
    assert resource.status == ResourceStatus.PENDING
    assert not AuditEntry.objects.filter(action="learning.resource.update").exists()
    # The detail page offers the change link to its author.
    assert edit_url(resource) in client.get(resource.get_absolute_url()).text


def test_bad_input_keeps_what_was_typed(client, member):
    resource = ResourceFactory(submitted_by=member, status=ResourceStatus.DRAFT)
    client.force_login(member)
    response = client.post(
        edit_url(resource), form_data(resource, title="", summary="Kept summary", url="")
    )
    assert response.status_code == 200
    assert "Enter a title." in response.text and "Kept summary" in response.text


def test_others_cannot_change_it_and_a_published_one_is_for_coordinators(
    client, member, coordinator
):
    resource = ResourceFactory(submitted_by=member, url="https://example.org/guide")
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(edit_url(resource)).status_code == 404
    client.force_login(member)
    assert client.get(edit_url(resource)).status_code == 404  # published: not without review
    client.force_login(coordinator)
    response = client.post(edit_url(resource), form_data(resource, title="Better title"))
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.title == "Better title" and resource.status == ResourceStatus.PUBLISHED
    assert AuditEntry.objects.filter(action="learning.resource.update").count() == 1


def test_the_file_is_kept_replaced_or_removed(client, member, django_capture_on_commit_callbacks):
    resource = ResourceFactory(submitted_by=member, status=ResourceStatus.DRAFT, url="")
    resource.file.save("guide.pdf", pdf(), save=True)
    first = resource.file.name
    client.force_login(member)
    # Keeping the file satisfies "a link, a file or a description".
    assert client.post(edit_url(resource), form_data(resource, body="")).status_code == 302
    resource.refresh_from_db()
    assert resource.file.name == first

    new = SimpleUploadedFile("new.pdf", PDF_BYTES, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit_url(resource), {**form_data(resource), "file": new})
    resource.refresh_from_db()
    assert resource.file.name != first and not resource.file.storage.exists(first)

    # A link as well as the file is refused until they say to drop the file.
    response = client.post(edit_url(resource), form_data(resource, url="https://example.org/x"))
    assert "Remove the current file" in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit_url(resource),
            form_data(resource, url="https://example.org/x", remove_file="on"),
        )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert not resource.file and resource.url == "https://example.org/x"
    assert resource.kind == ResourceKind.GUIDE
