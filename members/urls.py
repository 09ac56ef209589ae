from django.urls import path

from members.views import account, directory, profiles

app_name = "members"

urlpatterns = [
    path("account/", account.account, name="account"),
    path("account/profile/", profiles.profile_edit, name="profile_edit"),
    path("members/", directory.directory, name="directory"),
    path("members/people/", directory.people, name="people"),
    path("members/people/<int:pk>/", profiles.person, name="person"),
    path("members/export.csv", directory.export_csv, name="export"),
    # Last: any other single path segment is an organisation's slug.
    path("members/<slug:slug>/", profiles.organisation, name="organisation"),
    path("members/<slug:slug>/edit/", profiles.organisation_edit, name="organisation_edit"),
]
