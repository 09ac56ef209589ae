from django.urls import path

from groups import views

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="list"),
    path("new/", views.group_new, name="new"),
    path("search/", views.thread_search, name="search"),
    path("notifications/", views.notifications, name="notifications"),
    path("settings/", views.person_settings, name="settings"),
    path("moderation/", views.moderation_queue, name="queue"),
    path("reports/<int:pk>/dismiss/", views.report_dismiss, name="report_dismiss"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("threads/<int:pk>/", views.thread_detail, name="thread"),
    path("threads/<int:pk>/reply/", views.reply_new, name="reply"),
    path("threads/<int:pk>/edit/", views.thread_edit, name="thread_edit"),
    path("threads/<int:pk>/moderate/", views.thread_moderate, name="thread_moderate"),
    path("threads/<int:pk>/move/", views.thread_move, name="thread_move"),
    path("threads/<int:pk>/report/", views.thread_report, name="thread_report"),
    path("replies/<int:pk>/edit/", views.reply_edit, name="reply_edit"),
    path("replies/<int:pk>/accept/", views.reply_accept, name="reply_accept"),
    path("replies/<int:pk>/moderate/", views.reply_moderate, name="reply_moderate"),
    path("replies/<int:pk>/report/", views.reply_report, name="reply_report"),
    path("challenges/<int:pk>/update/", views.challenge_update, name="challenge_update"),
    path("<slug:slug>/", views.group_detail, name="detail"),
    path("<slug:slug>/edit/", views.group_edit, name="edit"),
    path("<slug:slug>/join/", views.group_join, name="join"),
    path("<slug:slug>/leave/", views.group_leave, name="leave"),
    path("<slug:slug>/members/", views.group_members, name="members"),
    path(
        "<slug:slug>/members/<int:pk>/<str:action>/",
        views.membership_action,
        name="membership_action",
    ),
    path("<slug:slug>/emails/", views.group_emails, name="emails"),
    path("<slug:slug>/new/", views.thread_new, name="thread_new"),
    path("<slug:slug>/challenges/", views.challenges, name="challenges"),
    path("<slug:slug>/share-learning/", views.share_learning, name="share_learning"),
]
