"""The coordinators' pages for composing issues (mounted at /newsletter/manage/)."""

from django.urls import path

from newsletter.views import issues as views

urlpatterns = [
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.issue_new, name="issue_new"),
    path("manage/<int:pk>/", views.issue_edit, name="issue"),
    path("manage/<int:pk>/refresh/", views.issue_refresh, name="issue_refresh"),
    path("manage/<int:pk>/items/add/", views.item_add, name="item_add"),
    path("manage/<int:pk>/items/<int:item_pk>/", views.item_edit, name="item_edit"),
    path("manage/<int:pk>/items/<int:item_pk>/include/", views.item_include, name="item_include"),
    path("manage/<int:pk>/items/<int:item_pk>/move/", views.item_move, name="item_move"),
    path("manage/<int:pk>/preview/", views.issue_preview, name="issue_preview"),
    path("manage/<int:pk>/preview/html/", views.issue_preview_html, name="issue_preview_html"),
]
