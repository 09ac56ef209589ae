from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("past/", views.event_list_past, name="past"),
    path("month/", views.event_month, name="month"),
    path("feed.ics", views.feed_public, name="feed"),
    path("feed/<str:token>.ics", views.feed_personal, name="feed_personal"),
    path("calendar-feed/", views.feed_settings, name="feed_settings"),
    path("mine/", views.my_events, name="mine"),
    path("new/", views.event_new, name="new"),
    path("review/", views.review_queue, name="review"),
    path("prompts/", views.prompts_edit, name="prompts"),
    path("series/<slug:slug>/", views.series_detail, name="series"),
    path("cancel/<str:token>/", views.cancel_link, name="cancel_link"),
    path("confirm/<str:token>/", views.confirm_email, name="confirm_email"),
    path("feedback/<str:token>/", views.feedback_link, name="feedback_link"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>.ics", views.event_ics, name="ics"),
    path("<int:pk>/register/", views.register, name="register"),
    path("<int:pk>/cancel-place/", views.cancel_registration, name="cancel_registration"),
    path("<int:pk>/edit/", views.event_edit, name="edit"),
    path("<int:pk>/publish/", views.event_publish, name="publish"),
    path("<int:pk>/reject/", views.event_reject, name="reject"),
    path("<int:pk>/cancel/", views.event_cancel, name="cancel_event"),
    path("<int:pk>/attendees/", views.attendees, name="attendees"),
    path("<int:pk>/attendees.csv", views.attendees_csv, name="attendees_csv"),
    path("<int:pk>/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/feedback/", views.feedback, name="feedback"),
    path("<int:pk>/feedback/results/", views.feedback_results, name="feedback_results"),
    path("<int:pk>/host/", views.host, name="host"),
    path("<int:pk>/breakouts/", views.breakouts, name="breakouts"),
]
