"""Group and thread pages cost a fixed number of queries however many threads or replies
there are (issue 7: constant from 10 to 2,000 replies), on the first page and on later ones."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groups.models import Attachment, Reply, Thread
from groups.tests.factories import make_group, make_member, make_thread
from groups.views import REPLIES_PER_PAGE
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _add_replies(thread, count, authors):
    """``count`` more replies by several people, every tenth quoting the one before and some
    hidden (bulk: the page must not care how they were made)."""
    start = timezone.now() - timedelta(days=30)
    before = thread.replies.count()
    Reply.objects.bulk_create(
        Reply(
            thread=thread,
            author=authors[i % len(authors)],
            body=f"Reply {before + i} with **Markdown** and [a link](https://example.org/).",
            created_at=start + timedelta(minutes=before + i),
            is_hidden=(before + i) % 25 == 14,
        )
        for i in range(count)
    )
    pks = list(thread.replies.order_by("pk").values_list("pk", flat=True))
    Reply.objects.bulk_update(
        [Reply(pk=pk, quoted_id=pks[n - 1]) for n, pk in enumerate(pks) if n and n % 10 == 0],
        ["quoted"],
    )
    Thread.objects.filter(pk=thread.pk).update(reply_count=len(pks))


def _add_threads(group, count, authors):
    start = timezone.now() - timedelta(days=60)
    total = group.threads.count()
    Thread.objects.bulk_create(
        Thread(
            group=group,
            author=authors[i % len(authors)],
            title=f"Thread {total + i}",
            body="A *thread*.",
            created_at=start + timedelta(minutes=total + i),
            last_activity_at=start + timedelta(minutes=total + i),
            is_pinned=(total + i) % 500 == 1,
            is_hidden=(total + i) % 40 == 39,
        )
        for i in range(count)
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _next_url(client, url) -> str:
    page = client.get(url).context["page"]
    assert page.has_next
    return page.next_url


@pytest.fixture
def reader(client):
    group = make_group()
    person = make_member(group)
    client.force_login(person)
    return group, person


def test_thread_page_queries_do_not_grow_with_replies(client, reader, django_assert_num_queries):
    group, person = reader
    authors = [make_member(group) for _ in range(5)]
    thread = make_thread(group, author=authors[0])
    _add_replies(thread, 10, authors)
    url = thread.get_absolute_url()
    Thread.objects.filter(pk=thread.pk).update(has_attachments=True)  # as posting does
    Attachment.objects.create(
        thread=thread,
        reply=thread.replies.first(),
        file="groups/attachments/x",
        original_name="notes.pdf",
        content_type="application/pdf",
        size=10,
    )
    small = _queries(client, url)

    _add_replies(thread, 1990, [*authors, *(make_member(group) for _ in range(20))])
    assert thread.replies.count() == 2000
    with django_assert_num_queries(small):
        response = client.get(url)
    assert "Reply 0 with" in response.content.decode()
    later = _next_url(client, url)
    with django_assert_num_queries(small):
        response = client.get(later)
    second_page = f"Reply {REPLIES_PER_PAGE + 10} with"  # a reply from the second page
    assert response.status_code == 200 and second_page in response.content.decode()


def test_group_page_queries_do_not_grow_with_threads(client, reader, django_assert_num_queries):
    group, person = reader
    authors = [make_member(group) for _ in range(5)]
    _add_threads(group, 10, authors)
    url = group.get_absolute_url()
    small = _queries(client, url)

    _add_threads(group, 2990, [*authors, *(make_member(group) for _ in range(20))])
    busy = make_thread(group, author=authors[1], title="The busiest thread")
    _add_replies(busy, 2000, authors)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert "The busiest thread" in response.content.decode()
    later = _next_url(client, url)
    with django_assert_num_queries(small):
        assert client.get(later).status_code == 200


def test_a_host_sees_hidden_replies_at_the_same_cost(client, django_assert_num_queries):
    host = UserFactory()
    group = make_group(hosts=[host])
    thread = make_thread(group, author=host)
    client.force_login(host)
    _add_replies(thread, 10, [host])
    small = _queries(client, thread.get_absolute_url())
    _add_replies(thread, 500, [host, make_member(group)])
    with django_assert_num_queries(small):
        response = client.get(thread.get_absolute_url())
    assert "Reply 14 with" in response.content.decode()  # hidden, shown to its host


def test_posts_keep_their_html_and_older_posts_get_it_from_the_migration(client, reader):
    import importlib

    from django.apps import apps

    from groups import services

    group, person = reader
    thread = services.thread_create(author=person, group=group, title="Tea", body="**Bold** tea")
    assert thread.body_html == "<p><strong>Bold</strong> tea</p>\n"
    reply = services.reply_create(author=person, thread=thread, body="First _reply_")
    services.reply_edit(user=person, reply=reply, body="Edited _reply_")
    reply.refresh_from_db()
    assert reply.body_html == "<p>Edited <em>reply</em></p>\n"
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "<strong>Bold</strong> tea" in page and "Edited <em>reply</em>" in page

    # A post written before body_html existed is rendered by the migration.
    Reply.objects.filter(pk=reply.pk).update(body_html="")
    migration = importlib.import_module("groups.migrations.0003_post_body_html")
    migration.render_existing_posts(apps, None)
    reply.refresh_from_db()
    assert reply.body_html == "<p>Edited <em>reply</em></p>\n"


def test_invitations_waiting_before_email_invitations_existed_stay_listed(db):
    """Migration groups/0005 gives each invitation still waiting the row hosts' lists read."""
    import importlib

    from django.apps import apps

    from groups.models import EmailInvitation, Membership
    from groups.selectors import group_email_invitations
    from groups.tests.factories import make_group
    from members.tests.factories import UserFactory

    host = UserFactory()
    group = make_group(hosts=[host])
    invitee = UserFactory(email="Waiting@Example.org", email_visibility="hidden")
    Membership.objects.create(group=group, user=invitee, status="invited")
    assert not EmailInvitation.objects.exists()
    migration = importlib.import_module("groups.migrations.0005_email_invitations")
    migration.mark_pending_invitations(apps, None)
    (row,) = EmailInvitation.objects.all()
    assert (row.group, row.user, row.email) == (group, invitee, "waiting@example.org")
    assert Membership.objects.get(user=invitee).invited_by_email
    listed, _more = group_email_invitations(host, group)
    assert [invitation.email for invitation in listed] == ["waiting@example.org"]
