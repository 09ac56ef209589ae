"""The coordinators' screens, mounted at /coordinator/ (namespace "coordinator")."""

from django.urls import path

from members.views import coordinator as views

app_name = "coordinator"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("applications/", views.applications, name="applications"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/approve/", views.application_approve, name="application_approve"),
    path("applications/<int:pk>/reject/", views.application_reject, name="application_reject"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/", views.member, name="member"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("listings/", views.listings, name="listings"),
    path("listings/<int:pk>/ask/", views.listing_request, name="listing_request"),
    path("taxonomy/", views.taxonomy, name="taxonomy"),
    path("taxonomy/<slug:kind>/add/", views.term_add, name="term_add"),
    path("taxonomy/<slug:kind>/<int:pk>/", views.term_edit, name="term_edit"),
    path("taxonomy/<slug:kind>/<int:pk>/move/", views.term_move, name="term_move"),
    path("taxonomy/<slug:kind>/<int:pk>/delete/", views.term_delete, name="term_delete"),
    path("audit/", views.audit, name="audit"),
]
