"""Django admin for the newsletter: a fallback for coordinators and developers. Consent records
are evidence, so they can be read but never added, changed or deleted here."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from newsletter.models import (
    ConsentRecord,
    Delivery,
    Issue,
    IssueItem,
    LinkClick,
    Subscriber,
    Suppression,
)
from newsletter.services import subscribers as services


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ConsentInline(ReadOnlyInline):
    model = ConsentRecord
    fields = ["created_at", "stream", "action", "method", "issue", "text_shown"]
    readonly_fields = fields


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "name",
        "user",
        "confirmed_at",
        "wants_newsletter",
        "wants_events",
        "wants_digests",
        "suppression",
    ]
    list_filter = ["wants_newsletter", "wants_events", "wants_digests", "suppression"]
    search_fields = ["email", "name"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "confirmed_at",
        "confirmation_sent_at",
        "suppressed_at",
        "soft_bounces",
        # Choices change through the preference centre so each one has a consent record.
        "wants_newsletter",
        "wants_events",
        "wants_digests",
        "suppression",
    ]
    inlines = [ConsentInline]
    actions = ["stop_sending", "send_again"]

    @admin.action(description=_("Stop sending to these addresses"))
    def stop_sending(self, request, queryset):
        stopped = sum(
            services.subscriber_suppress(subscriber=s, reason=Suppression.ADMIN) for s in queryset
        )
        messages.success(request, _("%(n)s addresses stopped.") % {"n": stopped})

    @admin.action(description=_("Send to these addresses again (after a mistaken bounce)"))
    def send_again(self, request, queryset):
        for subscriber in queryset:
            services.subscriber_unsuppress(subscriber=subscriber)
        messages.success(request, _("%(n)s addresses restored.") % {"n": queryset.count()})


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subscriber", "stream", "action", "method", "issue"]
    list_filter = ["stream", "action", "method"]
    search_fields = ["subscriber__email"]
    date_hierarchy = "created_at"
    list_select_related = ["subscriber", "issue"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IssueItemInline(admin.TabularInline):
    model = IssueItem
    extra = 0
    fields = ["section", "position", "included", "title", "url", "source"]


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["number", "subject", "status", "scheduled_for", "sent_at"]
    list_filter = ["status"]
    search_fields = ["subject"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["send_started_at", "sent_at", "created_at", "updated_at"]
    inlines = [IssueItemInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["email", "issue", "status", "sent_at", "attempts", "bounced", "complained"]
    list_filter = ["status", "bounced", "complained"]
    search_fields = ["email", "message_id"]
    raw_id_fields = ["issue", "subscriber"]
    list_select_related = ["issue"]

    def has_add_permission(self, request):
        return False


@admin.register(LinkClick)
class LinkClickAdmin(admin.ModelAdmin):
    list_display = ["issue", "url", "count"]
    list_select_related = ["issue"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
