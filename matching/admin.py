from django.contrib import admin

from matching.models import (
    Category,
    Collaboration,
    FollowUp,
    Introduction,
    Item,
    PairingGroup,
    PairingMember,
    PairingPreference,
    PairingRound,
    Suggestion,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["description", "kind", "category", "owner", "status", "updated_at"]
    list_filter = ["kind", "status", "category"]
    search_fields = ["description", "owner__full_name", "owner__email"]
    raw_id_fields = ["owner", "organisation"]


@admin.register(Introduction)
class IntroductionAdmin(admin.ModelAdmin):
    list_display = ["requester", "recipient", "status", "created_at", "responded_at"]
    list_filter = ["status"]
    raw_id_fields = ["requester", "recipient", "about_item"]


@admin.register(Collaboration)
class CollaborationAdmin(admin.ModelAdmin):
    list_display = ["member_a", "member_b", "source", "happened_on"]
    list_filter = ["source"]
    raw_id_fields = ["member_a", "member_b", "introduction", "recorded_by"]


admin.site.register(FollowUp)
admin.site.register(PairingPreference)
admin.site.register(PairingRound)


class PairingMemberInline(admin.TabularInline):
    model = PairingMember
    raw_id_fields = ["member"]
    extra = 0


@admin.register(PairingGroup)
class PairingGroupAdmin(admin.ModelAdmin):
    inlines = [PairingMemberInline]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ["member", "rank", "other", "score", "computed_at"]
    raw_id_fields = ["member", "other", "their_offer", "my_need", "my_offer", "their_need"]
