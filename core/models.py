"""Cross-cutting records: the audit log of sensitive actions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who did what, to what, when. Actions are dotted codes, e.g. ``members.application.approve``."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_label}"


class SearchEntry(models.Model):
    """One searchable record's text, by weight, for ``core.search`` (which owns all access).

    The text is stored normalised (lower case, accents folded, words separated by spaces). The
    database's full-text index over it is created by migration ``0003_search`` outside Django's
    model state: an FTS5 table ``core_searchentry_fts`` kept in step by triggers on SQLite, and a
    generated ``document`` tsvector column with a GIN index on PostgreSQL. If you ever alter this
    model, check that migration's SQL still applies (SQLite rebuilds a table it alters, which
    drops its triggers).
    """

    model_label = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    text_a = models.TextField(blank=True, default="")
    text_b = models.TextField(blank=True, default="")
    text_c = models.TextField(blank=True, default="")
    text_d = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["model_label", "object_id"], name="core_searchentry_one_per_object"
            )
        ]

    def __str__(self):
        return f"{self.model_label} {self.object_id}"
