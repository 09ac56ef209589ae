from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from groups import selectors, services
from groups.models import Delivery, Frequency, GroupKind, Notification, Thread
from groups.tasks import notify_post, send_digest
from groups.tests.factories import make_group, make_member, make_thread
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def test_mention_notifies_in_site_and_by_email_with_unsubscribe_and_reply_address(on_commit):
    group = make_group()
    ann = make_member(group, UserFactory(full_name="Ann Example"))
    thread = make_thread(group, author=ann)
    bob = make_member(group)
    mail.outbox.clear()
    reply = on_commit(
        services.reply_create, author=bob, thread=thread, body="Good idea @Ann Example"
    )
    note = Notification.objects.get(recipient=ann)
    assert note.kind == "mention" and note.reply == reply
    assert selectors.unread_count(ann) == 1
    [message] = mail.outbox
    assert message.to == [ann.email]
    assert message.reply_to[0].startswith(f"reply-{ann.pk}-{thread.pk}-")
    assert "List-Unsubscribe" in message.extra_headers
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Good idea" in message.body
    assert message.alternatives and "Good idea" in message.alternatives[0][0]


def test_a_post_is_emailed_once_even_when_the_task_runs_again(on_commit):
    group = make_group()
    keen = make_member(group)
    services.membership_frequency_set(user=keen, group=group, frequency=Frequency.EVERY_POST)
    mail.outbox.clear()
    thread = on_commit(make_thread, group)
    assert [m.to for m in mail.outbox] == [[keen.email]]
    assert notify_post.call(kind="thread", pk=thread.pk) == 0
    assert len(mail.outbox) == 1
    assert Delivery.objects.filter(recipient=keen).count() == 1


def test_closed_group_content_never_reaches_non_members(on_commit):
    outsider = UserFactory(full_name="Olive Outsider")
    group = make_group(kind=GroupKind.CLOSED)
    thread = make_thread(group, author=make_member(group))
    mail.outbox.clear()
    on_commit(
        services.reply_create,
        author=thread.author,
        thread=thread,
        body="Private matter, cc @Olive Outsider",
    )
    assert not Notification.objects.filter(recipient=outsider).exists()
    assert mail.outbox == []


def test_one_click_unsubscribe_stops_that_stream_only(on_commit):
    group = make_group()
    keen = make_member(group)
    services.membership_frequency_set(user=keen, group=group, frequency=Frequency.EVERY_POST)
    mail.outbox.clear()
    on_commit(make_thread, group)
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = Client().post("/" + path)  # a mail provider's one-click POST: no CSRF, no login
    assert response.status_code == 200
    assert keen.group_memberships.get(group=group).email_frequency == Frequency.NONE
    assert services.person_settings(keen).mention_emails  # other streams untouched
    assert Client().post("/groups/unsubscribe/forged/").status_code == 400


def _window():
    until = timezone.now() + timedelta(minutes=1)
    return until - timedelta(days=1), until


def test_digest_groups_threads_by_group_newest_first_and_is_sent_once(on_commit):
    reader = UserFactory()
    one, two = make_group(name="Youth loneliness"), make_group(name="Intergenerational")
    for g in (one, two):
        make_member(g, reader)
        services.membership_frequency_set(user=reader, group=g, frequency=Frequency.DAILY)
    old = make_thread(one, title="Older thread")
    long_body = "word " * 300
    make_thread(two, title="Newer thread", body=long_body)
    services.reply_create(author=make_member(one), thread=old, body="A short reply in full.")
    since, until = _window()
    mail.outbox.clear()
    sent = send_digest.call(
        user_pk=reader.pk, frequency="daily", since=since.isoformat(), until=until.isoformat()
    )
    assert sent == 1
    [message] = mail.outbox
    body = message.body
    assert body.index("Youth loneliness") < body.index("Intergenerational")  # newest activity
    assert "A short reply in full." in body
    assert "Read the rest:" in body  # the long post is cut, with a link
    assert "List-Unsubscribe" in message.extra_headers
    again = send_digest.call(
        user_pk=reader.pk, frequency="daily", since=since.isoformat(), until=until.isoformat()
    )
    assert again == 0 and len(mail.outbox) == 1
    # One click on the digest's List-Unsubscribe stops that digest from every group.
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert Client().post("/" + url.split("://", 1)[1].split("/", 1)[1]).status_code == 200
    assert set(reader.group_memberships.values_list("email_frequency", flat=True)) == {"none"}


def test_empty_digest_is_not_sent():
    reader = UserFactory()
    group = make_group()
    make_member(group, reader)
    since, until = _window()
    mail.outbox.clear()
    assert (
        send_digest.call(
            user_pk=reader.pk, frequency="daily", since=since.isoformat(), until=until.isoformat()
        )
        == 0
    )
    assert mail.outbox == []


def test_digest_leaves_out_groups_the_reader_has_left_and_private_groups():
    reader = UserFactory()
    private = make_group(kind=GroupKind.PRIVATE)
    make_thread(private, title="Secret plans")
    opened = make_group()
    make_member(opened, reader)
    make_thread(opened, title="Open news")
    since, until = _window()
    digest = selectors.digest_for(user_pk=reader.pk, frequency="daily", since=since, until=until)
    titles = [t.thread.title for g in digest.groups for t in g.threads]
    assert titles == ["Open news"]


def test_send_digests_command_queues_only_people_with_news(capsys):
    group = make_group()
    reader = make_member(group)
    quiet = make_member(make_group())  # a member of a group with nothing new
    thread = make_thread(group)
    # The command covers the day up to the last whole hour.
    earlier = timezone.now() - timedelta(hours=2)
    Thread.objects.filter(pk=thread.pk).update(created_at=earlier, last_activity_at=earlier)
    mail.outbox.clear()
    call_command("send_digests", "--daily")
    recipients = {m.to[0] for m in mail.outbox}
    assert reader.email in recipients and quiet.email not in recipients
    assert all("daily digest" in m.subject for m in mail.outbox)
    call_command("send_digests", "--daily")  # run again: nothing goes twice
    assert {m.to[0] for m in mail.outbox} == recipients and len(mail.outbox) == len(recipients)
    assert "Queued" in capsys.readouterr().out


def test_notifications_page_lists_and_marks_read(client, on_commit):
    group = make_group()
    ann = make_member(group, UserFactory(full_name="Ann Example"))
    thread = make_thread(group, author=ann)
    on_commit(services.reply_create, author=make_member(group), thread=thread, body="hi")
    client.force_login(ann)
    response = client.get("/groups/notifications/")
    assert response.status_code == 200 and thread.title in response.content.decode()
    client.post("/groups/notifications/")
    assert selectors.unread_count(ann) == 0


def test_notifications_from_a_group_one_has_left_stop_showing(client, on_commit):
    group = make_group(kind=GroupKind.CLOSED)
    ann = make_member(group, UserFactory(full_name="Ann Example"))
    thread = make_thread(group, author=ann, title="Closed matters")
    on_commit(services.reply_create, author=make_member(group), thread=thread, body="hi")
    assert selectors.unread_count(ann) == 2  # the invitation and the reply
    services.group_leave(user=ann, group=group)
    assert selectors.unread_count(ann) == 1  # the invitation only
    client.force_login(ann)
    assert "Closed matters" not in client.get("/groups/notifications/").content.decode()
