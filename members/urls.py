from django.urls import path

from members.views import account

app_name = "members"

urlpatterns = [
    path("account/", account.account, name="account"),
]
