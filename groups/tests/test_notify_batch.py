""" "Every post" emails go out in batches over one connection to the mail server, each person's
message once (``claim_delivery``), proven against a real SMTP server on 127.0.0.1."""

import smtplib

import pytest

from groups import services, tasks
from groups.models import Delivery, Frequency
from groups.tasks import notify_post
from groups.tests.factories import make_group, make_member, make_thread
from tests.conftest import smtp_server  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_connections(monkeypatch):
    opened = []

    class CountingSMTP(smtplib.SMTP):
        def __init__(self, *args, **kwargs):
            opened.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(smtplib, "SMTP", CountingSMTP)
    return opened


def test_every_subscriber_gets_exactly_one_message_over_one_connection(
    smtp_server,  # noqa: F811
    smtp_connections,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(tasks, "NOTIFY_BATCH", 2)  # 5 people: batches of 2, 2 and 1
    sent_batches = []
    real_send = smtplib.SMTP.sendmail

    def counting_sendmail(self, *args, **kwargs):
        sent_batches.append(id(self))
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "sendmail", counting_sendmail)
    group = make_group()
    keen = [make_member(group) for _ in range(5)]
    for person in keen:
        services.membership_frequency_set(user=person, group=group, frequency=Frequency.EVERY_POST)
    quiet = make_member(group)  # the default: a daily digest, no email per post

    with django_capture_on_commit_callbacks(execute=True):
        thread = make_thread(group, title="Winter plans")
    messages = smtp_server.wait_for(5)
    assert sorted(m.rcpt_tos for m in messages) == sorted((p.email,) for p in keen)
    assert quiet.email not in {m.rcpt_tos[0] for m in messages}
    assert all("Winter plans" in m.subject and m.html and m.text for m in messages)
    assert len(smtp_connections) == 1 and len(set(sent_batches)) == 1

    # The task running again (a retry, a second worker) sends nobody anything.
    assert notify_post.call(kind="thread", pk=thread.pk) == 0
    assert len(smtp_server.messages) == 5
    assert Delivery.objects.filter(key=f"post:thread:{thread.pk}").count() == 5


def test_returns_the_number_sent_with_the_locmem_backend(django_capture_on_commit_callbacks):
    from django.core import mail

    group = make_group()
    for _ in range(3):
        services.membership_frequency_set(
            user=make_member(group), group=group, frequency=Frequency.EVERY_POST
        )
    thread = make_thread(group)
    mail.outbox.clear()
    assert notify_post.call(kind="thread", pk=thread.pk) == 3
    assert len(mail.outbox) == 3
    assert notify_post.call(kind="thread", pk=thread.pk) == 0
