"""The library: resources (guides, recordings, case studies...), the learning framework's themes,
and reports of broken or outdated resources."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from learning.storage import private_storage


class Theme(models.Model):
    """One part of the network's learning framework (seeded with the 7 keys for connection)."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    slug = models.SlugField(_("web address name"), max_length=150, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    explanation = models.TextField(
        _("explanation"), blank=True, help_text=_("In the network's own words. Markdown.")
    )
    position = models.PositiveSmallIntegerField(_("position in lists"), default=0)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("learning:theme", kwargs={"slug": self.slug})


class ResourceKind(models.TextChoices):
    GUIDE = "guide", _("Guide")
    TOOLKIT = "toolkit", _("Toolkit")
    RECORDING = "recording", _("Recording")
    REPORT = "report", _("Report")
    CASE_STUDY = "case_study", _("Case study")
    TEMPLATE = "template", _("Template")
    RESEARCH = "research", _("Research")
    LINK = "link", _("External link")


class ResourceVisibility(models.TextChoices):
    PUBLIC = "public", _("Anyone")
    MEMBERS = "members", _("Members of the network only")


class ResourceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Waiting for approval")
    PUBLISHED = "published", _("Published")


class LinkStatus(models.TextChoices):
    UNCHECKED = "unchecked", _("Not checked yet")
    OK = "ok", _("Working")
    DEAD = "dead", _("Not working")


class Licence(models.TextChoices):
    ALL_RIGHTS = "all-rights-reserved", _("All rights reserved (ask before reusing)")
    CC_BY = "cc-by-4.0", _("Creative Commons Attribution 4.0 (CC BY)")
    CC_BY_SA = "cc-by-sa-4.0", _("Creative Commons Attribution-ShareAlike 4.0 (CC BY-SA)")
    CC_BY_NC = "cc-by-nc-4.0", _("Creative Commons Attribution-NonCommercial 4.0 (CC BY-NC)")
    OGL = "ogl-3.0", _("Open Government Licence 3.0")


def resource_file_upload_to(instance, filename: str) -> str:
    # A random folder per upload: names never clash or reveal each other.
    return f"resources/{uuid.uuid4().hex}/{get_valid_filename(filename)[-100:]}"


class Resource(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("web address name"), max_length=220, unique=True)
    summary = models.CharField(
        _("summary"), max_length=300, help_text=_("One or two sentences for lists.")
    )
    body = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=ResourceKind.choices)
    url = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(
        _("file"),
        upload_to=resource_file_upload_to,
        storage=private_storage,
        max_length=300,
        blank=True,
    )
    file_content_type = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    organisations = models.ManyToManyField(
        "members.Organisation",
        blank=True,
        related_name="resources",
        verbose_name=_("organisations"),
    )
    focus_areas = models.ManyToManyField(
        "members.FocusArea", blank=True, related_name="resources", verbose_name=_("focus areas")
    )
    audiences = models.ManyToManyField(
        "members.Audience", blank=True, related_name="resources", verbose_name=_("audiences")
    )
    themes = models.ManyToManyField(
        Theme, blank=True, related_name="resources", verbose_name=_("themes")
    )
    event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recordings",
        verbose_name=_("event"),
    )
    published_on = models.DateField(_("date"), default=timezone.localdate)
    licence = models.CharField(
        _("licence"), max_length=30, choices=Licence.choices, default=Licence.ALL_RIGHTS
    )
    visibility = models.CharField(
        _("who can see it"),
        max_length=10,
        choices=ResourceVisibility.choices,
        default=ResourceVisibility.MEMBERS,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ResourceStatus.choices,
        default=ResourceStatus.PENDING,
    )
    # Case studies: what the organisation tried, what happened, what they learned.
    tried = models.TextField(_("what they tried"), blank=True)
    happened = models.TextField(_("what happened"), blank=True)
    learned = models.TextField(_("what they learned"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources_submitted",
        verbose_name=_("submitted by"),
    )
    review_note = models.TextField(_("note from the coordinator"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    link_status = models.CharField(
        _("link status"), max_length=10, choices=LinkStatus.choices, default=LinkStatus.UNCHECKED
    )

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["-published_on", "-id"]
        indexes = [
            models.Index(
                fields=["status", "visibility", "published_on", "id"], name="resource_library"
            ),
            models.Index(fields=["status", "title", "id"], name="resource_title"),
            models.Index(fields=["kind", "status"], name="resource_kind"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("learning:detail", kwargs={"slug": self.slug})

    @property
    def is_case_study(self) -> bool:
        return self.kind == ResourceKind.CASE_STUDY

    @property
    def is_published(self) -> bool:
        return self.status == ResourceStatus.PUBLISHED

    @property
    def file_name(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""


class ReportReason(models.TextChoices):
    BROKEN = "broken", _("The link or file does not work")
    OUTDATED = "outdated", _("It is out of date")


class Report(models.Model):
    """Someone says a resource is broken or outdated; coordinators resolve it."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(_("what is wrong"), max_length=10, choices=ReportReason.choices)
    note = models.TextField(_("more detail"), max_length=2000, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="report_open")]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.resource}"
