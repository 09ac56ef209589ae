"""The monthly link check, with the network replaced: tests never touch the network."""

import datetime
import urllib.error
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from learning import tasks
from learning.models import LinkStatus
from learning.tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db


class FakeResponse:
    def __init__(self, status):
        self.status = status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def fake_urlopen(answers):
    """``urlopen`` answering each URL from ``answers`` (a status, or an exception)."""

    def urlopen(request, timeout):
        assert timeout <= 10
        answer = answers[request.full_url]
        if isinstance(answer, Exception):
            raise answer
        if answer >= 400:
            raise urllib.error.HTTPError(request.full_url, answer, "error", {}, None)
        return FakeResponse(answer)

    return urlopen


def test_command_flags_dead_links_and_records_when_each_was_checked():
    good = ResourceFactory(url="https://example.org/good")
    gone = ResourceFactory(url="https://example.org/gone")
    down = ResourceFactory(url="https://example.invalid/down")
    no_link = ResourceFactory(url="")
    answers = {
        good.url: 200,
        gone.url: 404,
        down.url: urllib.error.URLError("no such host"),
    }
    with mock.patch.object(tasks.urllib.request, "urlopen", fake_urlopen(answers)):
        call_command("check_resource_links", stdout=mock.MagicMock())
    for resource in (good, gone, down, no_link):
        resource.refresh_from_db()
    assert good.link_status == LinkStatus.OK and good.last_checked_at is not None
    assert gone.link_status == LinkStatus.DEAD
    assert down.link_status == LinkStatus.DEAD
    assert no_link.last_checked_at is None


def test_head_refused_falls_back_to_get():
    calls = []

    def urlopen(request, timeout):
        calls.append(request.get_method())
        if request.get_method() == "HEAD":
            raise urllib.error.HTTPError(request.full_url, 405, "no HEAD", {}, None)
        return FakeResponse(200)

    with mock.patch.object(tasks.urllib.request, "urlopen", urlopen):
        assert tasks.link_works("https://example.org/x") is True
    assert calls == ["HEAD", "GET"]


def test_only_links_not_checked_recently_are_due_and_the_task_queues_them():
    recent = ResourceFactory(url="https://example.org/a", last_checked_at=timezone.now())
    old = ResourceFactory(
        url="https://example.org/b",
        last_checked_at=timezone.now() - datetime.timedelta(days=40),
    )
    pending = ResourceFactory(url="https://example.org/c", status="pending")
    assert tasks.resources_due_for_check() == [old.pk]
    with mock.patch.object(tasks.urllib.request, "urlopen", fake_urlopen({old.url: 200})):
        result = tasks.check_resource_links.enqueue()
    assert result.return_value == 1
    old.refresh_from_db()
    assert old.link_status == LinkStatus.OK
    assert recent.pk != pending.pk


def test_non_web_links_are_dead_without_a_request():
    with mock.patch.object(tasks.urllib.request, "urlopen") as urlopen:
        assert tasks.link_works("file:///etc/passwd") is False
    urlopen.assert_not_called()
