"""Joining the network, mounted at /join/ (namespace "joining")."""

from django.urls import path

from members.views import joining as views

app_name = "joining"

urlpatterns = [
    path("", views.start, name="start"),
    path("organisation/", views.apply_organisation, name="organisation"),
    path("individual/", views.apply_individual, name="individual"),
    path("received/", views.received, name="received"),
    path("welcome/", views.welcome, name="welcome"),
    path("organisations/", views.find_organisation, name="find_organisation"),
    path("organisations/<slug:slug>/ask/", views.ask_to_join, name="ask_to_join"),
    path("organisations/<slug:slug>/invite/", views.invite, name="invite"),
    path("organisations/<slug:slug>/leave/", views.leave_organisation, name="leave_organisation"),
    path("organisations/<slug:slug>/people/<int:pk>/role/", views.set_role, name="set_role"),
    path("requests/", views.join_requests, name="requests"),
    path("requests/<int:pk>/approve/", views.request_approve, name="request_approve"),
    path("requests/<int:pk>/decline/", views.request_decline, name="request_decline"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("leave/", views.leave, name="leave"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path("confirm-details/<str:token>/", views.listing_confirm, name="listing_confirm"),
]
