"""The public archive of sent issues and its RSS feed (mounted at /newsletter/)."""

from django.urls import path

from newsletter.feeds import IssuesFeed
from newsletter.views import archive as views

urlpatterns = [
    path("", views.archive, name="archive"),
    path("feed/", IssuesFeed(), name="feed"),
    path("<int:number>/", views.archive_issue, name="archive_issue"),
]
