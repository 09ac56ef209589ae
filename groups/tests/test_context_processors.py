import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from groups.context_processors import notifications
from groups.models import Notification
from groups.tests.factories import make_group, make_thread

pytestmark = pytest.mark.django_db


def test_unread_count_for_members_only():
    group = make_group()
    thread = make_thread(group)
    Notification.objects.create(recipient=thread.author, kind="reply", group=group, thread=thread)
    request = RequestFactory().get("/")
    request.user = thread.author
    unread = notifications(request)["groups_unread"]  # lazy: no query unless shown
    assert str(unread) == "1" and unread
    request.user = AnonymousUser()
    assert notifications(request) == {}
