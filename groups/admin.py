from django.contrib import admin

from groups.models import Challenge, EmailInvitation, Group, Membership, Report, Thread


class MembershipInline(admin.TabularInline):
    model = Membership
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_network_wide", "is_cohort"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    filter_horizontal = ["events"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "kind", "author", "created_at", "is_hidden"]
    list_filter = ["kind", "is_hidden", "is_pinned", "is_locked"]
    raw_id_fields = ["author", "event", "accepted_reply"]
    search_fields = ["title"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["thread", "reply", "status", "created_at"]
    raw_id_fields = ["reporter", "thread", "reply", "resolved_by"]


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["group", "user", "updated_at"]
    raw_id_fields = ["user"]


@admin.register(EmailInvitation)
class EmailInvitationAdmin(admin.ModelAdmin):
    list_display = ["group", "created_at"]
    raw_id_fields = ["group", "user", "invited_by"]
