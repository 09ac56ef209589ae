"""Rate limits on posting and reporting: counted in the database (so they hold across web
processes), set by GROUPS_RATE_LIMIT_POSTS and GROUPS_RATE_LIMIT_REPORTS; going over them
gives a clear message, never a 500, and keeps what was typed."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from groups import services
from groups.models import Reply, Report, Thread
from groups.tests.factories import make_group, make_member, make_thread
from members.tests.factories import CoordinatorFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def test_parse_rate():
    assert services.parse_rate("6/m, 60/h") == [(6, 60), (60, 3600)]
    assert services.parse_rate("10/5m,100/d") == [(10, 300), (100, 86400)]
    assert services.parse_rate("") == []
    with pytest.raises(ImproperlyConfigured):
        services.parse_rate("six a minute")


@given(st.text(max_size=30))
def test_parse_rate_never_fails_otherwise(text):
    try:
        limits = services.parse_rate(text)
    except ImproperlyConfigured:
        return
    assert all(count >= 0 and seconds > 0 for count, seconds in limits)


def test_posting_past_the_limit_is_refused_with_a_message_and_the_text_kept(client, settings):
    settings.GROUPS_RATE_LIMIT_POSTS = "2/m"
    group = make_group()
    thread = make_thread(group)  # the author's first post
    client.force_login(thread.author)
    assert client.post(f"/groups/threads/{thread.pk}/reply/", {"body": "Two"}).status_code == 302
    response = client.post(f"/groups/threads/{thread.pk}/reply/", {"body": "Three, kept"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "You have posted 2 times in a minute" in page
    assert "Three, kept" in page
    assert Reply.objects.count() == 1

    response = client.post(
        f"/groups/{group.slug}/new/",
        {"kind": "discussion", "title": "My new title", "body": "My new body"},
    )
    assert response.status_code == 429
    page = response.content.decode()
    assert "You have posted 2 times in a minute" in page
    assert 'value="My new title"' in page and "My new body" in page
    assert Thread.objects.count() == 1


def test_with_htmx_the_refusal_comes_back_in_the_reply_form(client, settings):
    settings.GROUPS_RATE_LIMIT_POSTS = "1/h"
    group = make_group()
    thread = make_thread(group)
    client.force_login(thread.author)
    response = client.post(
        f"/groups/threads/{thread.pk}/reply/", {"body": "Kept words"}, headers=HX
    )
    assert response.status_code == 200  # htmx swaps only successful answers
    page = response.content.decode()
    assert page.startswith('<section id="reply-form"') and "<html" not in page
    assert "You have posted 1 time in an hour" in page
    assert "Kept words" in page


def test_the_window_slides(client, settings):
    settings.GROUPS_RATE_LIMIT_POSTS = "1/h"
    group = make_group()
    thread = make_thread(group)
    Thread.objects.filter(pk=thread.pk).update(created_at=timezone.now() - timedelta(hours=2))
    reply = services.reply_create(author=thread.author, thread=thread, body="Fine again")
    assert reply.pk
    with pytest.raises(services.RateLimited):
        services.reply_create(author=thread.author, thread=thread, body="Too soon")


def test_coordinators_are_not_limited(settings):
    settings.GROUPS_RATE_LIMIT_POSTS = "1/h"
    coordinator = CoordinatorFactory()
    group = make_group(hosts=[coordinator])
    for n in range(3):
        make_thread(group, author=coordinator, title=f"Notice {n}")
    assert Thread.objects.count() == 3


def test_reporting_past_the_limit_is_refused_with_a_message(client, settings):
    settings.GROUPS_RATE_LIMIT_REPORTS = "2/h"
    group = make_group()
    thread = make_thread(group)
    replies = [
        services.reply_create(author=make_member(group), thread=thread, body=f"Reply {n}")
        for n in range(3)
    ]
    client.force_login(make_member(group))
    for reply in replies[:2]:
        field = f"report-reply-{reply.pk}-reason"
        url = f"/groups/replies/{reply.pk}/report/"
        assert client.post(url, {field: "Unkind"}).status_code == 302
    reply = replies[2]
    field = f"report-reply-{reply.pk}-reason"
    url = f"/groups/replies/{reply.pk}/report/"
    response = client.post(url, {field: "Also unkind, kept"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "You have sent 2 reports in an hour" in page and "Also unkind, kept" in page
    response = client.post(url, {field: "Also unkind, kept"}, headers=HX)
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert "You have sent 2 reports in an hour" in response.content.decode()
    assert Report.objects.count() == 2


def test_an_emailed_reply_past_the_limit_is_dropped_not_an_error(settings):
    settings.GROUPS_RATE_LIMIT_POSTS = "1/h"
    group = make_group()
    thread = make_thread(group)
    address = services.reply_address(thread.author.pk, thread.pk)
    assert services.reply_from_email(recipients=[address], text="Too many") is None
    assert not Reply.objects.exists()
