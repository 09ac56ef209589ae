from django.contrib import admin

from learning.models import Report, Resource, Theme


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "status", "visibility", "published_on", "link_status")
    list_filter = ("status", "kind", "visibility", "link_status")
    search_fields = ("title",)
    raw_id_fields = ("submitted_by", "event", "organisations")
    filter_horizontal = ("themes", "focus_areas", "audiences")
    readonly_fields = ("last_checked_at", "link_status")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("resource", "reason", "created_at", "resolved_at")
    raw_id_fields = ("resource", "reported_by", "resolved_by")
