"""Writes for the library: each in a transaction, keeping the search index up to date.

Who publishes directly: coordinators always. With the setting ``LEARNING_TRUSTED_PUBLISH`` on
(off by default), organisation admins — people an organisation and the coordinators have
already vouched for — are trusted too; everyone else's submissions wait for a coordinator's
approval. (A setting rather than a per-person flag: the network is small, and the people who
should publish directly are exactly its organisation admins.)
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from core.audit import audit_log
from core.email import absolute_url, send_email_on_commit
from core.permissions import is_coordinator, is_org_admin
from core.search import search_index_update
from learning.models import LinkStatus, Report, Resource, ResourceStatus, Theme

M2M_FIELDS = ("organisations", "focus_areas", "audiences", "themes")


def can_publish_directly(user) -> bool:
    """Coordinators, and organisation admins when ``LEARNING_TRUSTED_PUBLISH`` is on."""
    if is_coordinator(user):
        return True
    return bool(getattr(settings, "LEARNING_TRUSTED_PUBLISH", False)) and is_org_admin(user)


# Addresses under /resources/ that a resource's slug must not take.
RESERVED_SLUGS = {"feed", "share", "mine", "themes", "review"}


def _unique_slug(title: str) -> str:
    base = slugify(title)[:200] or "resource"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Resource.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def resource_submit(*, submitted_by, data: dict, upload=None, content_type: str = "") -> Resource:
    """Create a resource from a member's validated form ``data`` (model fields and the
    many-to-many lists). It is published at once if ``submitted_by`` may publish directly,
    else it waits for approval. ``upload`` is an already validated file."""
    data = dict(data)
    related = {name: data.pop(name, None) or [] for name in M2M_FIELDS}
    publish = can_publish_directly(submitted_by)
    now = timezone.now()
    with transaction.atomic():
        resource = Resource(
            **data,
            slug=_unique_slug(data["title"]),
            submitted_by=submitted_by,
            status=ResourceStatus.PUBLISHED if publish else ResourceStatus.PENDING,
            published_at=now if publish else None,
            created_at=now,
            updated_at=now,
        )
        if upload is not None:
            resource.file = upload
            resource.file_content_type = content_type
            resource.file_size = upload.size
        resource.save()
        for name, values in related.items():
            getattr(resource, name).set(values)
        search_index_update(resource)
    return resource


def resource_update(
    *,
    resource: Resource,
    by,
    data: dict,
    upload=None,
    content_type: str = "",
    remove_file: bool = False,
) -> Resource:
    """Change a resource from the edit form's validated ``data``. A new ``upload`` replaces
    the file (the old one is deleted after commit). When its author changes a draft or a
    waiting resource and may not publish directly, it goes (back) to the coordinators'
    queue; a coordinator's edit of someone else's resource is audited."""
    data = dict(data)
    related = {name: data.pop(name, None) for name in M2M_FIELDS}
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        old_file = resource.file.name if resource.file and (upload or remove_file) else ""
        for name, value in data.items():
            setattr(resource, name, value)
        if upload is not None:
            resource.file = upload
            resource.file_content_type = content_type
            resource.file_size = upload.size
        elif remove_file:
            resource.file = ""
            resource.file_content_type = ""
            resource.file_size = None
        resubmitted = (
            resource.status != ResourceStatus.PUBLISHED
            and resource.submitted_by_id == by.pk
            and not can_publish_directly(by)
        )
        if resubmitted:
            resource.status = ResourceStatus.PENDING
        resource.updated_at = timezone.now()
        resource.save()
        for name, values in related.items():
            if values is not None:
                getattr(resource, name).set(values)
        search_index_update(resource)
        if old_file:
            storage = resource.file.storage
            transaction.on_commit(lambda: storage.delete(old_file))
        if by.pk != resource.submitted_by_id:
            audit_log(actor=by, action="learning.resource.update", target=resource)
    return resource


def _tell_submitter(resource: Resource, template: str, **extra) -> None:
    person = resource.submitted_by
    if person is None or not person.email:
        return
    send_email_on_commit(
        to=person.email,
        template=template,
        context={
            "name": person.get_short_name(),
            "title": resource.title,
            "url": absolute_url(resource.get_absolute_url()),
            **extra,
        },
    )


def resource_approve(*, resource: Resource, by) -> Resource:
    """Publish a waiting resource (audited). Approving a published one changes nothing."""
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        if resource.status == ResourceStatus.PUBLISHED:
            return resource
        now = timezone.now()
        resource.status = ResourceStatus.PUBLISHED
        resource.published_at = now
        resource.updated_at = now
        resource.review_note = ""
        resource.save(update_fields=["status", "published_at", "updated_at", "review_note"])
        audit_log(actor=by, action="learning.resource.approve", target=resource)
        search_index_update(resource)
        _tell_submitter(resource, "learning/resource_approved")
    return resource


def resource_reject(*, resource: Resource, by, note: str = "") -> Resource:
    """Send a submission back to its author as a draft, with the coordinator's note (audited)."""
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        resource.status = ResourceStatus.DRAFT
        resource.published_at = None
        resource.review_note = note
        resource.updated_at = timezone.now()
        resource.save(update_fields=["status", "published_at", "review_note", "updated_at"])
        audit_log(actor=by, action="learning.resource.reject", target=resource, note=note)
        _tell_submitter(
            resource,
            "learning/resource_returned",
            note=note,
            edit_url=absolute_url(reverse("learning:edit", kwargs={"slug": resource.slug})),
        )
    return resource


def report_create(*, resource: Resource, reported_by, reason: str, note: str = "") -> Report:
    """Record that a resource is broken or outdated, for the coordinators' queue."""
    return Report.objects.create(
        resource=resource,
        reported_by=reported_by if reported_by.is_authenticated else None,
        reason=reason,
        note=note,
    )


def report_resolve(*, report: Report, by) -> Report:
    """Close a report (audited); resolving a resolved one changes nothing."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.resolved_at is None:
            report.resolved_at = timezone.now()
            report.resolved_by = by
            report.save(update_fields=["resolved_at", "resolved_by"])
            audit_log(actor=by, action="learning.report.resolve", target=report.resource)
    return report


def resource_link_checked(*, resource_id: int, working: bool) -> None:
    """Record the outcome of checking a resource's link (one query)."""
    Resource.objects.filter(pk=resource_id).update(
        link_status=LinkStatus.OK if working else LinkStatus.DEAD,
        last_checked_at=timezone.now(),
    )


def theme_save(*, theme: Theme, by) -> Theme:
    """Create or change a theme of the learning framework (audited). A new theme's address is
    made from its name and never changes, so links to it keep working."""
    with transaction.atomic():
        created = theme.pk is None
        if created:
            base = slugify(theme.name)[:140] or "theme"
            slug, n = base, 2
            while Theme.objects.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            theme.slug = slug
        theme.save()
        audit_log(
            actor=by,
            action="learning.theme.create" if created else "learning.theme.update",
            target=theme,
        )
    return theme
