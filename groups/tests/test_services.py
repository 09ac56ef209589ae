import pytest

from core.models import AuditEntry
from groups import services
from groups.models import GroupKind, Membership, MembershipStatus, Thread, ThreadKind
from groups.tests.factories import make_group, make_member, make_thread
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_open_group_join_and_leave():
    group = make_group()
    user = UserFactory()
    membership = services.group_join(user=user, group=group)
    assert membership.status == MembershipStatus.ACTIVE
    services.group_leave(user=user, group=group)
    assert not Membership.objects.filter(group=group, user=user).exists()


def test_closed_group_join_is_a_request_until_a_host_approves():
    host = UserFactory()
    group = make_group(kind=GroupKind.CLOSED, hosts=[host])
    user = UserFactory()
    membership = services.group_join(user=user, group=group)
    assert membership.status == MembershipStatus.REQUESTED
    assert host.group_notifications.filter(kind="request").exists()
    with pytest.raises(services.GroupError):
        services.thread_create(author=user, group=group, title="t", body="b")
    services.membership_approve(actor=host, membership=membership)
    assert Membership.objects.get(pk=membership.pk).status == MembershipStatus.ACTIVE


def test_private_group_needs_an_invitation():
    host = UserFactory()
    group = make_group(kind=GroupKind.PRIVATE, hosts=[host])
    user = UserFactory()
    with pytest.raises(services.GroupError):
        services.group_join(user=user, group=group)
    with pytest.raises(services.GroupError):
        services.group_invite(actor=user, group=group, user=UserFactory())
    services.group_invite(actor=host, group=group, user=user)
    assert services.group_join(user=user, group=group).status == MembershipStatus.ACTIVE
    assert AuditEntry.objects.filter(action="groups.member.invite").exists()


def test_network_wide_space_needs_no_joining():
    group = make_group(is_network_wide=True)
    thread = services.thread_create(author=UserFactory(), group=group, title="Hello", body="Hi")
    assert thread.pk


def test_edit_marks_the_post_edited():
    group = make_group()
    thread = make_thread(group)
    assert thread.edited_at is None
    services.thread_edit(user=thread.author, thread=thread, title="New title", body="New")
    thread.refresh_from_db()
    assert thread.edited_at and thread.title == "New title"
    with pytest.raises(services.GroupError):
        services.thread_edit(user=UserFactory(), thread=thread, title="x", body="x")


def test_reply_counts_and_quoting():
    group = make_group()
    thread = make_thread(group)
    first = services.reply_create(author=make_member(group), thread=thread, body="One")
    second = services.reply_create(
        author=make_member(group), thread=thread, body="Two", quoted=first
    )
    thread.refresh_from_db()
    assert thread.reply_count == 2
    assert second.quoted == first


def test_locked_thread_refuses_replies_but_hosts_can():
    host = UserFactory()
    group = make_group(hosts=[host])
    thread = make_thread(group)
    services.thread_moderate(actor=host, thread=thread, action="lock")
    with pytest.raises(services.GroupError):
        services.reply_create(author=make_member(group), thread=thread, body="late")
    services.reply_create(author=host, thread=thread, body="Closing note")
    assert AuditEntry.objects.filter(action="groups.thread.lock").exists()


def test_pin_and_accepted_answer():
    host = UserFactory()
    group = make_group(hosts=[host])
    question = make_thread(group, kind=ThreadKind.QUESTION)
    reply = services.reply_create(author=make_member(group), thread=question, body="Answer")
    with pytest.raises(services.GroupError):
        services.reply_accept(user=UserFactory(), reply=reply)
    services.reply_accept(user=question.author, reply=reply)
    services.thread_moderate(actor=host, thread=question, action="pin")
    question.refresh_from_db()
    assert question.accepted_reply == reply and question.is_pinned
    with pytest.raises(services.GroupError):
        services.thread_moderate(actor=reply.author, thread=question, action="pin")


def test_first_post_of_a_new_member_is_held_when_the_group_says_so():
    host = UserFactory()
    group = make_group(hosts=[host], hold_first_posts=True)
    member = make_member(group)
    thread = make_thread(group, author=member)
    assert thread.is_held
    services.thread_moderate(actor=host, thread=thread, action="approve")
    second = make_thread(group, author=member, title="Second")
    assert not second.is_held


def test_move_and_remove_member_are_audited():
    host = UserFactory()
    one, two = make_group(hosts=[host]), make_group(hosts=[host])
    thread = make_thread(one)
    services.thread_move(actor=host, thread=thread, group=two)
    assert Thread.objects.get(pk=thread.pk).group == two
    membership = Membership.objects.get(group=one, user=thread.author)
    services.member_remove(actor=host, membership=membership, reason="spam")
    assert {"groups.thread.move", "groups.member.remove"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_event_thread_links_the_real_event():
    from events.tests.factories import EventFactory

    group = make_group()
    event = EventFactory()
    thread = make_thread(group, kind=ThreadKind.EVENT, event=event)
    assert thread.event == event
    assert event.discussion_threads.get() == thread


def test_mentions_by_full_name_and_unique_first_name():
    ann = UserFactory(full_name="Ann Example")
    UserFactory(full_name="Bob Smith")
    UserFactory(full_name="Bob Jones")
    found = services.mentioned_users("Thanks @Ann Example and @Bob, see email@example.org")
    assert found == [ann]


def test_group_invite_refuses_someone_the_host_may_not_see():
    from members.models import Visibility

    host = UserFactory()
    group = make_group(kind=GroupKind.PRIVATE, hosts=[host])
    hidden = UserFactory(profile_visibility=Visibility.HIDDEN)
    with pytest.raises(services.GroupError, match="Choose a member from the list"):
        services.group_invite(actor=host, group=group, user=hidden)
    assert not Membership.objects.filter(group=group, user=hidden).exists()


def test_group_invite_by_email_records_every_address_and_invites_only_members():
    from groups.models import EmailInvitation, Notification

    host = UserFactory()
    group = make_group(kind=GroupKind.PRIVATE, hosts=[host])
    member = UserFactory()
    lapsed = UserFactory(status="lapsed")
    for email in (f"  {member.email.upper()} ", lapsed.email, "nobody@example.org"):
        services.group_invite_by_email(actor=host, group=group, email=email)
    services.group_invite_by_email(actor=host, group=group, email=member.email)  # again
    assert set(EmailInvitation.objects.values_list("email", flat=True)) == {
        member.email, lapsed.email, "nobody@example.org"
    }  # fmt: skip
    membership = Membership.objects.get(group=group, user=member)
    assert membership.status == MembershipStatus.INVITED and membership.invited_by_email
    assert Notification.objects.filter(recipient=member, kind="invite").count() == 1
    assert not Membership.objects.filter(group=group, user=lapsed).exists()
    assert services.group_join(user=member, group=group).status == MembershipStatus.ACTIVE
    with pytest.raises(services.GroupError):
        services.group_invite_by_email(actor=member, group=group, email="x@example.org")
    assert AuditEntry.objects.filter(action="groups.member.invite_email").count() == 4
