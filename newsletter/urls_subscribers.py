"""Subscribing, confirming, the preference centre and unsubscribing (public, by signed link)."""

from django.urls import path

from newsletter.views import subscribers as views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/check-your-email/", views.subscribe_done, name="subscribe_done"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("preferences/", views.my_preferences, name="my_preferences"),
    path("preferences/send-link/", views.preferences_request, name="preferences_request"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("subscribers/", views.subscribers, name="subscribers"),  # coordinators
]
