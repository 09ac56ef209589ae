"""Digests built many people at a time (issue 7: 100,000 members in minutes): the same content
as one person's digest, a fixed number of queries per batch, each person's email once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groups import selectors, services, tasks
from groups.models import Delivery, Frequency, GroupKind, Reply, Thread
from groups.tasks import send_digest
from groups.tests.factories import make_group, make_member, make_thread
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _window():
    until = timezone.now() + timedelta(minutes=1)
    return until - timedelta(days=1), until


def _daily(group, user=None):
    user = make_member(group, user)
    services.membership_frequency_set(user=user, group=group, frequency=Frequency.DAILY)
    return user


def _send(people, since, until):
    return send_digest.call(
        user_pks=[p.pk for p in people],
        frequency="daily",
        since=since.isoformat(),
        until=until.isoformat(),
    )


def _titles(digest):
    return [(g.group.name, [t.thread.title for t in g.threads]) for g in digest.groups]


def test_a_batch_gives_each_person_only_their_own_groups_news():
    youth, elders = make_group(name="Youth"), make_group(name="Elders")
    secret = make_group(name="Secret", kind=GroupKind.PRIVATE)
    ann, bob = _daily(youth), _daily(elders)
    both = _daily(elders, _daily(youth))
    make_thread(youth, title="Youth news")
    make_thread(elders, title="Elders news")
    make_thread(secret, title="Secret plans")
    left = _daily(youth)
    services.group_leave(user=left, group=youth)
    lapsed = _daily(youth)
    lapsed.status = "lapsed"
    lapsed.save()
    since, until = _window()
    digests = selectors.digests_for(
        user_pks=[ann.pk, bob.pk, both.pk, left.pk, lapsed.pk],
        frequency="daily",
        since=since,
        until=until,
    )
    assert _titles(digests[ann.pk]) == [("Youth", ["Youth news"])]
    assert _titles(digests[bob.pk]) == [("Elders", ["Elders news"])]
    assert _titles(digests[both.pk]) == [("Elders", ["Elders news"]), ("Youth", ["Youth news"])]
    assert digests[left.pk].groups == []  # nothing: left the group
    assert lapsed.pk not in digests  # no longer a member: no digest at all

    mail.outbox.clear()
    assert _send([ann, bob, both, left, lapsed], since, until) == 3
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert set(bodies) == {ann.email, bob.email, both.email}
    assert "Youth news" in bodies[ann.email] and "Elders news" not in bodies[ann.email]
    assert all("Secret plans" not in body for body in bodies.values())


def test_a_batch_matches_one_persons_digest_newest_first_with_latest_replies():
    group, other = make_group(name="Busy"), make_group(name="Quiet")
    reader = _daily(other, _daily(group))
    quiet = make_thread(other, title="Quiet thread")
    busy = make_thread(group, title="Busy thread")
    for n in range(5):
        services.reply_create(author=make_member(group), thread=busy, body=f"Reply number {n}")
    Thread.objects.filter(pk=quiet.pk).update(last_activity_at=timezone.now() - timedelta(hours=3))
    since, until = _window()
    [entry, later] = selectors.digest_for(
        user_pk=reader.pk, frequency="daily", since=since, until=until
    ).groups
    assert (entry.group.name, later.group.name) == ("Busy", "Quiet")
    [item] = entry.threads
    assert [r.body for r in item.replies] == ["Reply number 2", "Reply number 3", "Reply number 4"]
    assert item.more_replies == 2 and item.is_new

    mail.outbox.clear()
    _send([reader, _daily(group)], since, until)
    body = next(m.body for m in mail.outbox if m.to == [reader.email])
    assert body.index("Busy thread") < body.index("Quiet thread")
    assert "Reply number 4" in body and "Reply number 1" not in body
    assert "and 2 earlier replies" in body


def test_old_threads_with_no_news_and_hidden_posts_stay_out():
    group = make_group()
    reader = _daily(group)
    old = make_thread(group, title="Old thread")
    earlier = timezone.now() - timedelta(days=3)
    Thread.objects.filter(pk=old.pk).update(created_at=earlier, last_activity_at=earlier)
    hidden = make_thread(group, title="Hidden thread")
    Thread.objects.filter(pk=hidden.pk).update(is_hidden=True)
    fresh = make_thread(group, title="Fresh thread")
    reply = services.reply_create(author=make_member(group), thread=fresh, body="Rude words")
    Reply.objects.filter(pk=reply.pk).update(is_hidden=True)
    since, until = _window()
    digest = selectors.digest_for(user_pk=reader.pk, frequency="daily", since=since, until=until)
    assert _titles(digest) == [(group.name, ["Fresh thread"])]
    assert digest.groups[0].threads[0].replies == []


def test_building_digests_costs_the_same_queries_for_3_or_30_people():
    groups = [make_group() for _ in range(3)]
    people = [_daily(groups[n % 3]) for n in range(30)]
    for g in groups:
        thread = make_thread(g)
        services.reply_create(author=make_member(g), thread=thread, body="News")
    since, until = _window()

    def count(batch):
        with CaptureQueriesContext(connection) as captured:
            digests = selectors.digests_for(
                user_pks=[p.pk for p in batch], frequency="daily", since=since, until=until
            )
        assert all(d.groups for d in digests.values()) and len(digests) == len(batch)
        return len(captured)

    assert count(people[:3]) == count(people)


def test_each_person_gets_a_batch_digest_once_even_when_tasks_run_again():
    group = make_group()
    people = [_daily(group) for _ in range(4)]
    make_thread(group, title="Once only")
    since, until = _window()
    Delivery.objects.create(
        recipient=people[0], key=f"digest:daily:{until.date().isoformat()}"
    )  # an earlier run sent the first person's already
    mail.outbox.clear()
    assert _send(people, since, until) == 3
    assert _send(people, since, until) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people[1:])


def test_command_queues_everyone_with_news_in_batches(monkeypatch, capsys):
    monkeypatch.setattr(tasks, "DIGEST_BATCH", 2)
    monkeypatch.setattr("groups.management.commands.send_digests.DIGEST_BATCH", 2)
    group = make_group()
    readers = [_daily(group) for _ in range(4)]  # plus the group's host, also daily
    quiet = _daily(make_group())
    thread = make_thread(group)
    earlier = timezone.now() - timedelta(hours=2)
    Thread.objects.filter(pk=thread.pk).update(created_at=earlier, last_activity_at=earlier)
    weekly = UserFactory()
    make_member(group, weekly)
    services.membership_frequency_set(user=weekly, group=group, frequency=Frequency.WEEKLY)
    mail.outbox.clear()
    call_command("send_digests", "--daily")
    out = capsys.readouterr().out
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert set(recipients) >= {r.email for r in readers}
    assert quiet.email not in recipients and weekly.email not in recipients
    assert len(recipients) == len(set(recipients))  # nobody twice
    assert "in 3 tasks" in out  # six people with news (readers, host, author), two a task


def test_people_sharing_news_get_the_same_email_as_rendered_alone():
    from groups import emails

    group = make_group(name="Tea & <talk>")
    people = [_daily(group, UserFactory(full_name=n)) for n in ("O'Brien <b>", "Zoë & co")]
    make_thread(group, title="Scones & jam", body="**Bold** <script>x</script> news")
    since, until = _window()
    digests = selectors.digests_for(
        user_pks=[p.pk for p in people], frequency="daily", since=since, until=until
    )
    merged = {}
    for person in people:
        alone = emails.digest_email(digests[person.pk])
        shared = emails.digest_email(digests[person.pk], merged=merged)
        assert shared.body == alone.body and shared.subject == alone.subject
        assert shared.alternatives == alone.alternatives
        assert shared.to == alone.to == [person.email]
        assert shared.extra_headers == alone.extra_headers
        assert "\ue000" not in shared.body + shared.alternatives[0][0]
    assert len(merged) == 1  # rendered once for both
