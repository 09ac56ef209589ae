"""The library's pages: who sees what, files only through the permission-checked download."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from core.models import AuditEntry
from core.search import search_index_update
from learning.models import ResourceKind, ResourceStatus, ResourceVisibility, Theme
from learning.tests.factories import ResourceFactory
from learning.tests.helpers import PDF_BYTES, pdf

pytestmark = pytest.mark.django_db


def _get_file(client, url):
    """GET a download and close it (a FileResponse holds the file open until closed)."""
    response = client.get(url)
    if response.status_code == 200:
        response.content_bytes = b"".join(response.streaming_content)
        response.close()
    return response


def _with_file(visibility, **kwargs):
    resource = ResourceFactory(visibility=visibility, **kwargs)
    resource.file.save("guide.pdf", pdf(), save=False)
    resource.file_content_type = "application/pdf"
    resource.file_size = len(PDF_BYTES)
    resource.save()
    return resource


def test_members_only_resource_and_file_are_never_served_to_a_visitor(client, member):
    resource = _with_file(ResourceVisibility.MEMBERS, title="Members-only welcome guide")
    page = reverse("learning:detail", kwargs={"slug": resource.slug})
    download = reverse("learning:download", kwargs={"slug": resource.slug})

    assert client.get(page).status_code == 404
    assert client.get(download).status_code == 404
    assert "Members-only welcome guide" not in client.get(reverse("learning:list")).text

    client.force_login(member)
    assert client.get(page).status_code == 200
    response = _get_file(client, download)
    assert response.status_code == 200
    assert response.content_bytes == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_files_are_stored_outside_media_root_and_have_no_direct_url(client):
    resource = _with_file(ResourceVisibility.MEMBERS)
    stored = Path(resource.file.path)
    assert stored.exists()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    assert media_root not in stored.resolve().parents
    with pytest.raises(ValueError):
        resource.file.url  # noqa: B018 - the property is what is tested
    # Even with the development media server on, the file's name under MEDIA_URL is nothing.
    with override_settings(DEBUG=True):
        assert client.get(settings.MEDIA_URL + resource.file.name).status_code == 404


def test_public_file_is_served_to_a_visitor(client):
    resource = _with_file(ResourceVisibility.PUBLIC)
    response = _get_file(client, reverse("learning:download", kwargs={"slug": resource.slug}))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("status", [ResourceStatus.PENDING, ResourceStatus.DRAFT])
def test_unpublished_resources_are_seen_only_by_their_author_and_coordinators(
    client, member, coordinator, status
):
    resource = _with_file(ResourceVisibility.PUBLIC, status=status, submitted_by=member)
    other = ResourceFactory(status=status)
    for slug in (resource.slug, other.slug):
        assert client.get(reverse("learning:detail", kwargs={"slug": slug})).status_code == 404
    client.force_login(member)
    assert client.get(reverse("learning:detail", kwargs={"slug": resource.slug})).status_code == 200
    assert client.get(reverse("learning:detail", kwargs={"slug": other.slug})).status_code == 404
    client.force_login(coordinator)
    download = reverse("learning:download", kwargs={"slug": resource.slug})
    assert _get_file(client, download).status_code == 200


def test_library_search_and_filters(client):
    space = Theme.objects.get(slug="consider-your-space")
    time = Theme.objects.get(slug="allow-enough-time")
    for title, kind, themes in [
        ("Choosing a community hall", ResourceKind.GUIDE, [space]),
        ("A lunch club case study", ResourceKind.CASE_STUDY, [space, time]),
        ("Webinar on volunteering", ResourceKind.RECORDING, [time]),
    ]:
        resource = ResourceFactory(title=title, kind=kind, themes=themes)
        search_index_update(resource)
    url = reverse("learning:list")
    assert "3 resources found" in client.get(url).text
    found = client.get(url, {"q": "hall"}).text
    assert "Choosing a community hall" in found and "lunch club" not in found
    found = client.get(url, {"theme": "allow-enough-time", "kind": "case_study"}).text
    assert "1 resource found" in found and "A lunch club case study" in found
    # a chip removes one filter
    assert "Remove this filter:" in found
    # a bad choice is dropped with a message, not an error page
    response = client.get(url, {"kind": "nonsense"})
    assert response.status_code == 200 and "Choose one of the options in the list." in response.text
    # htmx gets only the fragment
    fragment = client.get(url, {"q": "webinar"}, headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and "Webinar on volunteering" in fragment


def test_theme_page_shows_the_network_words_and_its_case_studies(client):
    space = Theme.objects.get(slug="consider-your-space")
    ResourceFactory(title="Our warm hall", kind=ResourceKind.CASE_STUDY, themes=[space])
    ResourceFactory(title="Hall checklist", themes=[space])
    ResourceFactory(title="Members-only hall notes", themes=[space], visibility="members")
    text = client.get(space.get_absolute_url()).text
    assert "a space intentionally selected to be accessible and facilitate connection" in text
    assert "Our warm hall" in text and "Hall checklist" in text
    assert "Members-only hall notes" not in text


def test_related_resources_share_a_theme(client):
    space = Theme.objects.get(slug="consider-your-space")
    time = Theme.objects.get(slug="allow-enough-time")
    resource = ResourceFactory(themes=[space])
    ResourceFactory(title="Related by space", themes=[space])
    ResourceFactory(title="Unrelated by time", themes=[time])
    ResourceFactory(title="Hidden related", themes=[space], visibility="members")
    text = client.get(resource.get_absolute_url()).text
    assert "Related by space" in text
    assert "Unrelated by time" not in text and "Hidden related" not in text


def test_coordinator_sees_which_themes_lack_examples(client, coordinator):
    space = Theme.objects.get(slug="consider-your-space")
    ResourceFactory(kind=ResourceKind.CASE_STUDY, themes=[space])
    ResourceFactory(kind=ResourceKind.CASE_STUDY, themes=[space], status=ResourceStatus.PENDING)
    client.force_login(coordinator)
    response = client.get(reverse("learning:theme_gaps"))
    rows = {t.slug: (t.case_study_count, t.resource_count) for t in response.context["themes"]}
    assert rows["consider-your-space"] == (1, 1)
    assert rows["allow-enough-time"] == (0, 0)
    assert len(rows) == 7
    assert response.context["themes"][-1].slug == "consider-your-space"  # fewest first


def test_member_reports_a_broken_resource_and_coordinator_resolves_it(client, member, coordinator):
    resource = ResourceFactory()
    client.force_login(member)
    url = reverse("learning:report", kwargs={"slug": resource.slug})
    response = client.post(url, {})
    assert "Choose what is wrong." in response.text
    response = client.post(url, {"reason": "broken", "note": "The link goes nowhere."})
    assert response.status_code == 302
    client.force_login(coordinator)
    queue = client.get(reverse("learning:queue"))
    [report] = queue.context["reports"]
    assert report.note == "The link goes nowhere."
    client.post(reverse("learning:report_resolve", kwargs={"pk": report.pk}))
    assert client.get(reverse("learning:queue")).context["reports"] == []


@override_settings(LANGUAGE_CODE="en-gb")
def test_rss_feed_has_only_public_published_resources(client):
    ResourceFactory(title="Public and published")
    ResourceFactory(title="Members only", visibility=ResourceVisibility.MEMBERS)
    ResourceFactory(title="Still pending", status=ResourceStatus.PENDING)
    ResourceFactory(title="Sent back", status=ResourceStatus.DRAFT)
    response = client.get(reverse("learning:feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    text = response.text
    assert "Public and published" in text
    for hidden in ("Members only", "Still pending", "Sent back"):
        assert hidden not in text


def test_coordinator_edits_and_adds_themes(client, coordinator):
    client.force_login(coordinator)
    url = reverse("learning:theme_edit", kwargs={"slug": "allow-enough-time"})
    response = client.post(url, {"name": "", "summary": "", "explanation": "", "position": 6})
    assert "This field is required." in response.text
    response = client.post(
        url,
        {
            "name": "Allow enough time",
            "summary": "Trust takes time.",
            "explanation": "x",
            "position": 6,
        },
    )
    assert response.status_code == 302
    assert Theme.objects.get(slug="allow-enough-time").summary == "Trust takes time."
    client.post(
        reverse("learning:theme_add"),
        {"name": "Keep in touch", "summary": "", "explanation": "", "position": 8},
    )
    assert Theme.objects.get(slug="keep-in-touch").position == 8
    assert AuditEntry.objects.filter(action="learning.theme.create").count() == 1
    assert AuditEntry.objects.filter(action="learning.theme.update").count() == 1
