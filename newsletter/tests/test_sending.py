"""Sending an issue: materialising recipients, the batch worker, the real SMTP round trip,
interrupted and resumed sends, temporary and permanent failures, the rate limit, scheduling,
the commands and the coordinator's views."""

from __future__ import annotations

import smtplib
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from newsletter.models import ConsentRecord, Delivery, Issue, Subscriber, Suppression
from newsletter.services import sending
from newsletter.tests.factories import IssueFactory, IssueItemFactory, SubscriberFactory
from tests import conftest as shared_fixtures

pytestmark = pytest.mark.django_db

smtp_server = shared_fixtures.smtp_server  # the real SMTP server on 127.0.0.1 (aiosmtpd)

ISSUE_URL = "/newsletter/manage/{pk}/"


@pytest.fixture
def issue(db):
    issue = IssueFactory(subject="Network news")
    IssueItemFactory(issue=issue, title="Lunch club opens", url="https://example.org/lunch/")
    IssueItemFactory(issue=issue, title="Gardening grant", url="https://example.org/grant/")
    return issue


class FakeClock:
    """Stands in for sending.now() and sending.sleep(): sleeping moves time on."""

    def __init__(self):
        self.current = timezone.now()
        self.slept = 0.0

    def now(self):
        return self.current

    def sleep(self, seconds):
        self.slept += seconds
        self.current += timedelta(seconds=seconds)

    def advance(self, **kwargs):
        self.current += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(sending, "now", fake.now)
    monkeypatch.setattr(sending, "sleep", fake.sleep)
    return fake


def received_by(server) -> Counter:
    return Counter(address.lower() for m in server.messages for address in m.rcpt_tos)


# --- Starting a send ----------------------------------------------------------------------------


def test_send_now_makes_one_delivery_per_subscriber_who_wants_it_and_never_twice(
    issue, coordinator, django_capture_on_commit_callbacks
):
    wanting = SubscriberFactory.create_batch(3)
    SubscriberFactory(confirmed_at=None)  # has not confirmed
    SubscriberFactory(suppression=Suppression.HARD_BOUNCE)  # bounced before
    SubscriberFactory(wants_newsletter=False, wants_events=True)  # only events
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        count = sending.issue_send_now(issue=issue, by=coordinator)
    assert count == 3
    assert len(callbacks) == 1  # the workers start after the commit
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENDING and issue.send_started_at
    assert set(Delivery.objects.values_list("subscriber_id", flat=True)) == {s.pk for s in wanting}
    # Doing it again (a retried task, a second process) adds nobody twice.
    assert sending.deliveries_materialise(issue=issue) == 0
    assert Delivery.objects.count() == 3
    entry = AuditEntry.objects.get(action="newsletter.issue.send")
    assert entry.actor == coordinator and entry.data["recipients"] == 3
    with pytest.raises(sending.SendingError):
        sending.issue_send_now(issue=issue, by=coordinator)


def test_materialising_many_recipients_uses_bulk_inserts(issue, django_assert_max_num_queries):
    Subscriber.objects.bulk_create(
        Subscriber(email=f"bulk{n}@example.net", confirmed_at=timezone.now()) for n in range(30_000)
    )
    # a few INSERT ... SELECT statements, not one per row (nor per few dozen rows)
    with django_assert_max_num_queries(6):
        added = sending.deliveries_materialise(issue=issue)
    assert added == 30_000
    assert sending.deliveries_materialise(issue=issue) == 0


# --- The whole way through a real SMTP server ----------------------------------------------------


def test_every_recipient_gets_exactly_one_personal_multipart_message_with_unsubscribe_headers(
    issue,
    coordinator,
    smtp_server,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.NEWSLETTER_BATCH_SIZE = 3
    settings.NEWSLETTER_UNSUBSCRIBE_EMAIL = "leave@example.org"
    people = [SubscriberFactory(name=f"Reader{n}") for n in range(7)]
    with django_capture_on_commit_callbacks(execute=True):
        sending.issue_send_now(issue=issue, by=coordinator)

    messages = smtp_server.wait_for(7)
    assert received_by(smtp_server) == Counter(p.email for p in people)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT and issue.sent_at
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 7

    by_address = {m.rcpt_tos[0]: m for m in messages}
    for person in people:
        message = by_address[person.email]
        assert message.subject == "Network news"
        assert message.message.get_content_type() == "multipart/alternative"
        assert f"Hello {person.name}," in message.text
        assert f"Hello {person.name}," in message.html
        assert "Lunch club opens" in message.html and "https://example.org/lunch/" in message.text
        assert "%%" not in message.text + message.html  # no placeholder left
        https, mailto = [
            part.strip().strip("<>") for part in message.message["List-Unsubscribe"].split(",")
        ]
        assert https.startswith("http") and "/newsletter/unsubscribe/" in https
        assert mailto.startswith("mailto:leave@example.org?subject=unsubscribe-")
        assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # the same personal unsubscribe link is in the body, and the preference centre too
        assert https in message.links
        message.link_containing("/newsletter/preferences/")
        delivery = Delivery.objects.get(subscriber=person)
        assert delivery.message_id == message.message["Message-ID"]

    # The mail program's one-click unsubscribe: a POST without login, cookie or CSRF token.
    leaver = people[2]
    https = by_address[leaver.email].message["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    path = https.removeprefix(settings.SITE_URL)
    response = Client(enforce_csrf_checks=True).post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    leaver.refresh_from_db()
    assert leaver.wants_newsletter is False
    record = ConsentRecord.objects.get(subscriber=leaver, action=ConsentRecord.Action.OPT_OUT)
    assert record.issue == issue


# --- Interrupted and resumed ----------------------------------------------------------------------


class WorkerDied(BaseException):
    """Stands for the worker being killed: nothing in the sending code catches it."""


class DiesBackend(SMTPBackend):
    """Really sends, but the process 'dies' when it is about to send message number
    ``die_at`` (or, with ``after_accept``, just after the server accepted it, before the
    worker could record it)."""

    die_at = 0
    after_accept = False
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == type(self).die_at and not type(self).after_accept:
            raise WorkerDied
        count = super().send_messages(messages)
        if type(self).calls == type(self).die_at:
            raise WorkerDied
        return count


class RaisesBackend(SMTPBackend):
    """A backend that fails with an error nobody expected after ``ok`` messages."""

    ok = 0
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls > type(self).ok:
            raise RuntimeError("something broke in the backend")
        return super().send_messages(messages)


class DropsConnectionBackend(SMTPBackend):
    """The mail server goes away after ``fail_after`` messages."""

    fail_after = 0
    sent_so_far = 0

    def send_messages(self, messages):
        if type(self).sent_so_far >= type(self).fail_after:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        type(self).sent_so_far += len(messages)
        return super().send_messages(messages)


def _start(issue, coordinator):
    sending.issue_send_now(issue=issue, by=coordinator, enqueue=False)


def _kill_halfway(issue, coordinator, settings, *, after_accept):
    settings.NEWSLETTER_BATCH_SIZE = 20
    people = SubscriberFactory.create_batch(20)
    _start(issue, coordinator)
    settings.EMAIL_BACKEND = f"{__name__}.DiesBackend"
    DiesBackend.die_at, DiesBackend.after_accept, DiesBackend.calls = 11, after_accept, 0
    with pytest.raises(WorkerDied):
        sending.issue_work(issue_pk=issue.pk)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 10
    assert Delivery.objects.filter(status=Delivery.Status.CLAIMED).count() == 10
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    return people


def test_a_worker_killed_halfway_is_resumed_and_nobody_gets_two(
    issue, coordinator, smtp_server, settings, clock
):
    people = _kill_halfway(issue, coordinator, settings, after_accept=False)
    assert len(smtp_server.messages) == 10
    # Another worker straight away leaves the dead worker's claim alone...
    sending.issue_work(issue_pk=issue.pk)
    assert len(smtp_server.messages) == 10
    # ...and once the claim is stale, the cron command hands it back and the rest goes out.
    clock.advance(minutes=16)
    call_command("newsletter_send_due")
    call_command("newsletter_send", issue.pk, "--quiet-progress")
    smtp_server.wait_for(20)
    assert received_by(smtp_server) == Counter(p.email for p in people)  # exactly one each
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 20


def test_a_worker_killed_between_accepted_and_recorded_sends_that_one_message_again(
    issue, coordinator, smtp_server, settings, clock
):
    # The one case no mail sender can tell apart: the server took message 11, the worker
    # died before writing that down. It is sent again (better twice than never), and noted.
    people = _kill_halfway(issue, coordinator, settings, after_accept=True)
    assert len(smtp_server.wait_for(11)) == 11
    clock.advance(minutes=16)
    call_command("newsletter_send", issue.pk, "--quiet-progress")
    smtp_server.wait_for(21)
    counts = received_by(smtp_server)
    assert set(counts) == {p.email for p in people}
    [(twice, _n)] = [(address, n) for address, n in counts.items() if n == 2]
    assert sum(counts.values()) == 21
    assert Delivery.objects.get(email=twice).error == sending.UNCERTAIN
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 20


def test_a_backend_error_halfway_leaves_the_rest_for_the_next_run(
    issue, coordinator, smtp_server, settings
):
    settings.NEWSLETTER_BATCH_SIZE = 20
    people = SubscriberFactory.create_batch(20)
    _start(issue, coordinator)
    settings.EMAIL_BACKEND = f"{__name__}.RaisesBackend"
    RaisesBackend.ok, RaisesBackend.calls = 10, 0
    with pytest.raises(RuntimeError):
        call_command("newsletter_send", issue.pk, "--quiet-progress")
    assert len(smtp_server.wait_for(10)) == 10
    assert not Delivery.objects.filter(status=Delivery.Status.CLAIMED).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    call_command("newsletter_send", issue.pk, "--quiet-progress")  # resumed at once
    smtp_server.wait_for(20)
    assert received_by(smtp_server) == Counter(p.email for p in people)


def test_a_send_cut_off_by_the_mail_server_resumes_where_it_stopped(
    issue,
    coordinator,
    smtp_server,
    settings,
):
    settings.NEWSLETTER_BATCH_SIZE = 8
    people = SubscriberFactory.create_batch(16)
    _start(issue, coordinator)
    settings.EMAIL_BACKEND = f"{__name__}.DropsConnectionBackend"
    DropsConnectionBackend.fail_after, DropsConnectionBackend.sent_so_far = 8, 0
    with pytest.raises(CommandError, match="run this command again"):
        call_command("newsletter_send", issue.pk, "--quiet-progress")
    assert len(smtp_server.wait_for(8)) == 8
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 8
    assert not Delivery.objects.filter(status=Delivery.Status.CLAIMED).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    call_command("newsletter_send", issue.pk, "--quiet-progress")
    smtp_server.wait_for(16)
    assert received_by(smtp_server) == Counter(p.email for p in people)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT


def test_the_command_starts_a_draft_and_prints_progress(issue, smtp_server, settings):
    settings.NEWSLETTER_BATCH_SIZE = 2
    SubscriberFactory.create_batch(5)
    from io import StringIO

    out = StringIO()
    call_command("newsletter_send", issue.pk, stdout=out)
    assert "Started issue" in out.getvalue()
    assert "5 sent, 0 failed, 0 to go" in out.getvalue()
    assert len(smtp_server.wait_for(5)) == 5
    with pytest.raises(CommandError):
        call_command("newsletter_send", 999999)


# --- Failures ---------------------------------------------------------------------------------


class PickyBackend(LocmemBackend):
    """Refuses gone@ for good (550) and busy@ for now (451)."""

    def send_messages(self, messages):
        for message in messages:
            if message.to[0].startswith("gone@"):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
            if message.to[0].startswith("busy@") and not getattr(PickyBackend, "relent", False):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (451, b"Try again later")})
        return super().send_messages(messages)


def test_permanent_failures_are_failed_and_temporary_ones_retried_later(
    issue, coordinator, settings, clock
):
    settings.EMAIL_BACKEND = f"{__name__}.PickyBackend"
    PickyBackend.relent = False
    SubscriberFactory(email="gone@example.net")
    SubscriberFactory(email="busy@example.net")
    SubscriberFactory.create_batch(3)
    _start(issue, coordinator)
    sending.issue_work(issue_pk=issue.pk)
    gone = Delivery.objects.get(email="gone@example.net")
    busy = Delivery.objects.get(email="busy@example.net")
    assert gone.status == Delivery.Status.FAILED and "550" in gone.error
    assert busy.status == Delivery.Status.PENDING and busy.attempts == 1
    assert busy.retry_after > clock.now()
    assert len(mail.outbox) == 3
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENDING  # busy@ is still to go

    sending.issue_work(issue_pk=issue.pk)  # too early: nothing new
    assert len(mail.outbox) == 3
    clock.advance(minutes=2)
    PickyBackend.relent = True
    sending.issue_work(issue_pk=issue.pk)
    assert [m.to for m in mail.outbox[3:]] == [["busy@example.net"]]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT


def test_temporary_failures_give_up_after_a_few_attempts(issue, coordinator, settings, clock):
    settings.EMAIL_BACKEND = f"{__name__}.PickyBackend"
    PickyBackend.relent = False
    SubscriberFactory(email="busy@example.net")
    _start(issue, coordinator)
    for _ in range(sending.MAX_ATTEMPTS + 1):
        sending.issue_work(issue_pk=issue.pk)
        clock.advance(hours=5)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == sending.MAX_ATTEMPTS
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT


# --- The rate limit -------------------------------------------------------------------------------


def test_the_rate_limit_holds_in_every_minute(issue, coordinator, settings, clock):
    settings.NEWSLETTER_RATE_PER_MINUTE = 10
    settings.NEWSLETTER_BATCH_SIZE = 50
    SubscriberFactory.create_batch(25)
    call_command("newsletter_send", issue.pk, "--quiet-progress")
    assert len(mail.outbox) == 25
    times = sorted(Delivery.objects.values_list("sent_at", flat=True))
    for start in times:
        in_window = [t for t in times if start <= t < start + timedelta(minutes=1)]
        assert len(in_window) <= 10
    # 25 messages at 10 a minute: at least two full minutes of waiting
    assert clock.slept >= 120
    assert times[-1] - times[0] >= timedelta(minutes=2)


def test_without_a_rate_limit_nothing_waits(issue, coordinator, settings, clock):
    settings.NEWSLETTER_RATE_PER_MINUTE = 0
    SubscriberFactory.create_batch(25)
    call_command("newsletter_send", issue.pk, "--quiet-progress")
    assert len(mail.outbox) == 25 and clock.slept == 0


# --- Scheduling and the cron command ----------------------------------------------------------


def test_a_scheduled_issue_is_sent_by_the_cron_command_when_its_time_comes(
    issue, coordinator, clock, django_capture_on_commit_callbacks
):
    SubscriberFactory.create_batch(2)
    sending.issue_schedule(issue=issue, when=clock.now() + timedelta(hours=1), by=coordinator)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SCHEDULED
    with django_capture_on_commit_callbacks(execute=True):
        call_command("newsletter_send_due")
    assert mail.outbox == []
    clock.advance(minutes=61)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("newsletter_send_due")
    assert len(mail.outbox) == 2
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT
    assert AuditEntry.objects.filter(action="newsletter.issue.schedule").exists()
    assert AuditEntry.objects.get(action="newsletter.issue.send").data["scheduled"] is True


def test_a_schedule_in_the_past_or_after_sending_is_refused(issue, coordinator, clock):
    with pytest.raises(sending.SendingError):
        sending.issue_schedule(issue=issue, when=clock.now() - timedelta(minutes=1), by=coordinator)
    sending.issue_schedule(issue=issue, when=clock.now() + timedelta(days=1), by=coordinator)
    sending.issue_cancel_schedule(issue=issue, by=coordinator)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and issue.scheduled_for is None
    with pytest.raises(sending.SendingError):
        sending.issue_cancel_schedule(issue=issue, by=coordinator)


# --- The coordinator's views -------------------------------------------------------------------


def test_send_now_view_sends_and_goes_back_to_the_issue(
    issue, coordinator, client, django_capture_on_commit_callbacks
):
    SubscriberFactory.create_batch(2)
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("newsletter:send_now", kwargs={"pk": issue.pk}))
    assert response.status_code == 302
    assert response["Location"] == ISSUE_URL.format(pk=issue.pk)
    assert len(mail.outbox) == 2
    # a second press does nothing but say so
    response = client.post(reverse("newsletter:send_now", kwargs={"pk": issue.pk}), follow=True)
    assert "cannot be sent again" in response.content.decode()
    assert len(mail.outbox) == 2


def test_only_coordinators_may_send(issue, member, client):
    SubscriberFactory()
    client.force_login(member)
    for name in ("send_now", "test_send", "schedule", "cancel_schedule"):
        assert (
            client.post(reverse(f"newsletter:{name}", kwargs={"pk": issue.pk})).status_code == 403
        )
    assert not Delivery.objects.exists()


def test_test_send_view_sends_one_copy_to_the_coordinator(
    issue, coordinator, client, django_capture_on_commit_callbacks
):
    SubscriberFactory.create_batch(3)
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("newsletter:test_send", kwargs={"pk": issue.pk}))
    assert response["Location"] == ISSUE_URL.format(pk=issue.pk)
    [message] = mail.outbox
    assert message.to == [coordinator.email]
    assert message.subject == "[Test] Network news"
    assert "List-Unsubscribe" in message.extra_headers
    assert not Delivery.objects.exists()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT


def test_schedule_view_keeps_what_was_typed_and_explains_a_time_in_the_past(
    issue, coordinator, client
):
    client.force_login(coordinator)
    url = reverse("newsletter:schedule", kwargs={"pk": issue.pk})
    response = client.post(url, {"send_at": "2020-01-02T09:30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a date and time in the future." in page
    assert 'value="2020-01-02T09:30"' in page
    response = client.post(url, {"send_at": "not a date"})
    assert "Enter a real date and time" in response.content.decode()
    assert 'value="not a date"' in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT

    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT09:00")
    response = client.post(url, {"send_at": later})
    assert response["Location"] == ISSUE_URL.format(pk=issue.pk)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SCHEDULED
    assert timezone.localtime(issue.scheduled_for).strftime("%Y-%m-%dT%H:%M") == later

    response = client.post(reverse("newsletter:cancel_schedule", kwargs={"pk": issue.pk}))
    assert response["Location"] == ISSUE_URL.format(pk=issue.pk)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT


def test_progress_polls_while_sending_and_stops_when_done(issue, coordinator, client):
    people = SubscriberFactory.create_batch(4)
    _start(issue, coordinator)
    Delivery.objects.filter(subscriber=people[0]).update(status=Delivery.Status.SENT)
    Delivery.objects.filter(subscriber=people[1]).update(status=Delivery.Status.FAILED)
    client.force_login(coordinator)
    url = reverse("newsletter:progress", kwargs={"pk": issue.pk})

    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 3s"' in fragment and "<html" not in fragment
    assert '<progress id="send-progress-bar" max="4" value="2"' in fragment
    assert "<strong>1</strong> sent" in fragment and "<strong>2</strong> still to send" in fragment

    page = client.get(url).content.decode()  # without JavaScript: a page with a refresh link
    assert "<html" in page and "Refresh to see how far it has got" in page

    sending.issue_work(issue_pk=issue.pk)
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and "Sending finished" in fragment


# --- Each copy's bytes, made from the issue serialised once ----------------------------------


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("Network news", "Ann"),
        (
            "Newyddion y rhwydwaith: ŵyl, café & “quotes” — a very long subject line " * 2,
            "Siân <b>&",
        ),
    ],
)
def test_a_copy_made_from_the_template_is_the_message_django_would_make(issue, subject, name):
    import email
    import email.policy

    from django.core.mail import EmailMultiAlternatives

    issue.subject = subject
    issue.save()
    builder = sending.MessageBuilder(issue, sending.rendered_issue(issue))
    message = builder.build(delivery_pk=7, subscriber_pk=3, email="ann@example.net", name=name)
    assert message.serialised is not None  # the fast path was taken
    fast = email.message_from_bytes(
        message.message().as_bytes(linesep="\r\n"), policy=email.policy.default
    )
    slow = email.message_from_bytes(
        EmailMultiAlternatives.message(message).as_bytes(linesep="\r\n"),
        policy=email.policy.default,
    )
    for header in ("Subject", "From", "To", "Message-ID", "List-Unsubscribe-Post", "MIME-Version"):
        assert str(fast[header]) == str(slow[header]), header
    assert str(fast["List-Unsubscribe"]).replace(" ", "") == str(slow["List-Unsubscribe"]).replace(
        " ", ""
    )
    assert fast["Date"]
    assert fast.get_content_type() == slow.get_content_type() == "multipart/alternative"
    for kind in ("plain", "html"):
        fast_part = fast.get_body(preferencelist=(kind,))
        slow_part = slow.get_body(preferencelist=(kind,))
        assert fast_part.get_content() == slow_part.get_content()
        assert fast_part["Content-Type"] == slow_part["Content-Type"]
    assert name.split()[0] in fast.get_body(preferencelist=("plain",)).get_content()


def test_a_non_ascii_address_falls_back_to_djangos_own_serialisation(issue):
    builder = sending.MessageBuilder(issue, sending.rendered_issue(issue))
    message = builder.build(delivery_pk=1, subscriber_pk=1, email="siân@example.net", name="S")
    assert message.serialised is None
    assert b"List-Unsubscribe" in message.message().as_bytes()


# --- Through the real background path and an anymail provider --------------------------------


@pytest.mark.django_db(transaction=True)  # the worker commits and reconnects as in production
def test_the_database_task_backend_sends_in_chained_batches(issue, coordinator, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }
    settings.NEWSLETTER_BATCH_SIZE = 4
    people = SubscriberFactory.create_batch(10)
    sending.issue_send_now(issue=issue, by=coordinator)
    assert mail.outbox == []  # only queued so far
    call_command(
        "db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--no-reload", "-v0"
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT


def test_with_an_anymail_backend_the_providers_message_id_is_kept(issue, coordinator, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    SubscriberFactory.create_batch(3)
    _start(issue, coordinator)
    sending.issue_work(issue_pk=issue.pk)
    assert len(mail.outbox) == 3
    # anymail's test backend numbers its messages 0, 1, 2 as a provider would give ids
    assert sorted(Delivery.objects.values_list("message_id", flat=True)) == ["0", "1", "2"]
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_mail_server_that_is_down_loses_nothing(issue, coordinator, settings):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    SubscriberFactory.create_batch(3)
    with pytest.raises(CommandError, match="mail server is in trouble"):
        call_command("newsletter_send", issue.pk, "--quiet-progress")
    assert Delivery.objects.filter(status=Delivery.Status.PENDING, attempts=0).count() == 3
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENDING
