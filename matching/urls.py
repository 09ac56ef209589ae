from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("", views.board, name="board"),
    path("yours/", views.my_items, name="my_items"),
    path("yours/new/", views.item_create, name="item_create"),
    path("yours/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("yours/<int:pk>/status/", views.item_status, name="item_status"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("people/<int:pk>/introduce/", views.introduction_request, name="introduction_request"),
    path("introductions/", views.introductions, name="introductions"),
    path("introductions/<int:pk>/", views.introduction_detail, name="introduction"),
    path(
        "introductions/<int:pk>/withdraw/",
        views.introduction_withdraw,
        name="introduction_withdraw",
    ),
    path(
        "introductions/answer/<str:token>/",
        views.introduction_respond_link,
        name="introduction_respond_link",
    ),
    path("follow-up/<str:token>/", views.follow_up, name="follow_up"),
    path("meet-someone-new/", views.pairing, name="pairing"),
    path(
        "meet-someone-new/check-in/<str:token>/",
        views.pairing_check_in,
        name="pairing_check_in",
    ),
    path("coordinator/health/", views.health, name="health"),
    path(
        "coordinator/collaborations/new/",
        views.collaboration_create,
        name="collaboration_create",
    ),
    path("coordinator/categories/", views.categories, name="categories"),
    path("coordinator/categories/<int:pk>/", views.category_edit, name="category_edit"),
]
