from django.urls import path

from learning import views
from learning.feeds import NewResourcesFeed

app_name = "learning"

urlpatterns = [
    path("", views.library, name="list"),
    path("feed/", NewResourcesFeed(), name="feed"),
    path("share/", views.submit, name="submit"),
    path("mine/", views.mine, name="mine"),
    path("themes/", views.themes, name="themes"),
    path("themes/<slug:slug>/", views.theme, name="theme"),
    path("review/", views.queue, name="queue"),
    path("review/themes/", views.theme_gaps, name="theme_gaps"),
    path("review/themes/new/", views.theme_edit, name="theme_add"),
    path("review/themes/<slug:slug>/edit/", views.theme_edit, name="theme_edit"),
    path("review/reports/<int:pk>/resolve/", views.report_resolve, name="report_resolve"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/download/", views.download, name="download"),
    path("<slug:slug>/report/", views.report, name="report"),
    path("<slug:slug>/approve/", views.approve, name="approve"),
    path("<slug:slug>/reject/", views.reject, name="reject"),
]
