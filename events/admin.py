from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from events import services
from events.models import (
    BreakoutPlan,
    ConversationPrompt,
    Event,
    EventStatus,
    Feedback,
    Registration,
    Series,
    Session,
)


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "visibility", "starts_at", "capacity"]
    list_filter = ["status", "kind", "visibility", "format"]
    search_fields = ["title", "summary"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["created_by", "host_organisation", "invitees"]
    readonly_fields = ["starts_at", "ends_at", "sequence", "published_at", "cancelled_at"]
    inlines = [SessionInline]
    actions = ["schedule_next_six"]

    @admin.action(description=_("Create the next 6 events of its series from this one"))
    def schedule_next_six(self, request, queryset):
        for event in queryset.select_related("series"):
            if event.series is None or not event.series.rule:
                messages.error(request, _("%(event)s has no repeating series.") % {"event": event})
                continue
            made = services.series_schedule(
                series=event.series, template=event, count=6, actor=request.user
            )
            messages.success(
                request,
                _("%(n)s events created in %(series)s.") % {"n": len(made), "series": event.series},
            )

    def has_delete_permission(self, request, obj=None):
        # Published events are cancelled (people are told), not deleted.
        return obj is None or obj.status in (EventStatus.DRAFT, EventStatus.REJECTED)


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "rule_label"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "event", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "event__title"]
    raw_id_fields = ["event", "user"]

    def has_change_permission(self, request, obj=None):
        # Places change only through the services, which keep capacity and the waitlist right.
        return False


@admin.register(ConversationPrompt)
class ConversationPromptAdmin(admin.ModelAdmin):
    list_display = ["text", "position", "is_active"]
    list_editable = ["position", "is_active"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["event", "rating", "comment", "created_at"]
    raw_id_fields = ["event", "registration"]


@admin.register(BreakoutPlan)
class BreakoutPlanAdmin(admin.ModelAdmin):
    list_display = ["event", "created_at", "room_size", "rounds_per_session"]
    raw_id_fields = ["event", "created_by"]
