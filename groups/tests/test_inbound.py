import io

import pytest
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, inbound
from django.core import mail
from django.core.management import call_command

from groups import services
from groups.models import GroupKind, Reply
from groups.tests.factories import make_group, make_member, make_thread

pytestmark = pytest.mark.django_db


def _raw(to: str, text: str) -> bytes:
    return (
        f"From: Ann <ann@example.org>\r\nTo: {to}\r\nSubject: Re: thread\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"
    ).encode()


def test_reply_by_email_from_stdin_posts_only_the_new_text(monkeypatch):
    group = make_group()
    thread = make_thread(group)
    author = thread.author
    address = services.reply_address(author.pk, thread.pk)
    text = "Thanks, that helps.\r\n\r\nOn Tue, Ann wrote:\r\n> old text\r\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(_raw(address, text))))
    call_command("receive_group_reply", stdout=io.StringIO())
    reply = Reply.objects.get()
    assert reply.body == "Thanks, that helps." and reply.via_email and reply.author == author


def test_forged_or_altered_address_posts_nothing():
    group = make_group()
    thread = make_thread(group)
    other = make_member(group)
    good = services.reply_address(thread.author.pk, thread.pk)
    forged = good.replace(f"reply-{thread.author.pk}-", f"reply-{other.pk}-")
    assert services.reply_from_email(recipients=[forged], text="hi") is None
    assert services.reply_from_email(recipients=["someone@example.org"], text="hi") is None
    assert not Reply.objects.exists()


def test_a_person_removed_from_a_closed_group_cannot_reply_by_email():
    host = make_member(make_group())  # any user; becomes host below
    group = make_group(kind=GroupKind.CLOSED, hosts=[host])
    member = make_member(group)
    thread = make_thread(group, author=member)
    services.member_remove(actor=host, membership=member.group_memberships.get(group=group))
    address = services.reply_address(member.pk, thread.pk)
    assert services.reply_from_email(recipients=[address], text="still here?") is None


def test_anymail_inbound_webhook_signal_posts_the_reply():
    group = make_group()
    thread = make_thread(group)
    address = services.reply_address(thread.author.pk, thread.pk)
    message = AnymailInboundMessage.construct(
        to=address, from_email="ann@example.org", text="By webhook\n\n> quoted"
    )
    mail.outbox.clear()
    inbound.send(
        sender=object,
        event=AnymailInboundEvent(event_type="inbound", message=message),
        esp_name="Test",
    )
    assert Reply.objects.get().body == "By webhook"
