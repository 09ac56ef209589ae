"""Sending issues, their progress, and the click counter (coordinators, except the click)."""

from django.urls import path

from newsletter.views import sending as views

urlpatterns = [
    path("manage/<int:pk>/send/", views.send_now, name="send_now"),
    path("manage/<int:pk>/send-test/", views.test_send, name="test_send"),
    path("manage/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("manage/<int:pk>/schedule/cancel/", views.cancel_schedule, name="cancel_schedule"),
    path("manage/<int:pk>/progress/", views.progress, name="progress"),
    path("click/<str:token>/", views.click, name="click"),
]
