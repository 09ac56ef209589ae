"""Bounces, complaints and the mailto: unsubscribe: anymail's webhooks (a real Postmark
tracking webhook request, and the signals), and a local mail server's bounce messages through
``manage.py newsletter_bounces``."""

from __future__ import annotations

import base64
import io
import json
import sys
from datetime import timedelta
from email import message_from_string
from email.message import EmailMessage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent, inbound, tracking
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from newsletter.models import ConsentRecord, Delivery, Issue, Subscriber, Suppression
from newsletter.services import bounces, sending
from newsletter.tests.factories import IssueFactory, SubscriberFactory
from newsletter.tokens import make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_issue(coordinator, settings):
    """An issue sent to three subscribers through the locmem backend."""
    issue = IssueFactory()
    people = [
        SubscriberFactory(email="ann@example.net"),
        SubscriberFactory(email="bob@example.net"),
        SubscriberFactory(email="cat@example.net"),
    ]
    sending.issue_send_now(issue=issue, by=coordinator, enqueue=False)
    sending.issue_work(issue_pk=issue.pk)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT
    issue.people = people
    return issue


def _delivery(email):
    return Delivery.objects.get(email=email)


def _track(event_type, **kwargs):
    tracking.send(
        sender=object,
        event=AnymailTrackingEvent(event_type=event_type, **kwargs),
        esp_name="Test",
    )


# --- anymail tracking events ---------------------------------------------------------------------


def test_a_hard_bounce_stops_all_mail_to_the_address(sent_issue):
    delivery = _delivery("ann@example.net")
    _track("bounced", message_id=delivery.message_id, recipient="ann@example.net")
    delivery.refresh_from_db()
    assert delivery.bounced == "hard"
    ann = Subscriber.objects.get(email="ann@example.net")
    assert ann.suppression == Suppression.HARD_BOUNCE
    assert ann not in Subscriber.objects.wanting("newsletter")
    # the next issue is not sent to her
    nxt = IssueFactory()
    sending.issue_send_now(issue=nxt, by=None, enqueue=False)
    assert not Delivery.objects.filter(issue=nxt, email="ann@example.net").exists()


def test_a_report_is_matched_by_recipient_when_the_provider_has_its_own_message_id(sent_issue):
    _track("rejected", message_id="provider-id-123", recipient="BOB@example.net")
    assert _delivery("bob@example.net").bounced == "hard"
    assert Subscriber.objects.get(email="bob@example.net").suppression == Suppression.HARD_BOUNCE


def test_a_complaint_suppresses_and_opts_out(sent_issue):
    delivery = _delivery("cat@example.net")
    _track("complained", message_id=delivery.message_id, recipient="cat@example.net")
    delivery.refresh_from_db()
    assert delivery.complained
    cat = Subscriber.objects.get(email="cat@example.net")
    assert cat.suppression == Suppression.COMPLAINT and not cat.wants_newsletter


def test_soft_bounces_are_retried_later_and_three_in_a_row_stop_the_address(
    sent_issue, monkeypatch
):
    delivery = _delivery("bob@example.net")
    _track("deferred", message_id=delivery.message_id, recipient="bob@example.net")
    _track("deferred", message_id=delivery.message_id, recipient="bob@example.net")  # repeated
    delivery.refresh_from_db()
    bob = Subscriber.objects.get(email="bob@example.net")
    assert delivery.bounced == "soft" and bob.soft_bounces == 1
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.retry_after > sending.now() + timedelta(minutes=30)
    assert not bob.suppression

    # when the retry is due, the cron command sends it again (the issue stays sent)
    later = delivery.retry_after + timedelta(minutes=1)
    monkeypatch.setattr(sending, "now", lambda: later)
    mail.outbox.clear()
    sending.issue_work(issue_pk=sent_issue.pk)
    assert [m.to for m in mail.outbox] == [["bob@example.net"]]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT

    for _ in range(2):  # two more soft bounces, on later issues
        issue = IssueFactory()
        sending.issue_send_now(issue=issue, by=None, enqueue=False)
        sending.issue_work(issue_pk=issue.pk)
        _track(
            "deferred",
            message_id=Delivery.objects.get(issue=issue, email="bob@example.net").message_id,
            recipient="bob@example.net",
        )
    bob.refresh_from_db()
    assert bob.soft_bounces == 3 and bob.suppression == Suppression.HARD_BOUNCE


def test_a_delivery_report_resets_the_soft_bounce_count(sent_issue):
    Subscriber.objects.filter(email="ann@example.net").update(soft_bounces=2)
    _track("delivered", message_id=_delivery("ann@example.net").message_id)
    assert Subscriber.objects.get(email="ann@example.net").soft_bounces == 0


def test_opens_clicks_and_unknown_messages_are_ignored(sent_issue):
    _track("opened", message_id=_delivery("ann@example.net").message_id)
    _track("bounced", message_id="nobody-knows", recipient="stranger@example.org")
    assert not Subscriber.objects.exclude(suppression="").exists()


def test_a_real_postmark_bounce_webhook_is_recorded(sent_issue, client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    delivery = _delivery("ann@example.net")
    # what anymail's Postmark backend would have stored from the API's answer
    Delivery.objects.filter(pk=delivery.pk).update(
        message_id="883953f4-6105-42a2-a16a-77a8eac79483"
    )
    payload = {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": "HardBounce",
        "TypeCode": 1,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Email": "ann@example.net",
        "BouncedAt": "2026-11-25T10:00:00Z",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Inactive": True,
        "CanActivate": True,
    }
    auth = base64.b64encode(b"hook:secret").decode()
    response = client.post(
        reverse("anymail:postmark_tracking_webhook"),
        data=json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Basic {auth}"},
    )
    assert response.status_code == 200
    assert _delivery("ann@example.net").bounced == "hard"
    assert Subscriber.objects.get(email="ann@example.net").suppression == Suppression.HARD_BOUNCE


# --- Bounce messages from a local mail server (RFC 3464) -----------------------------------------


def dsn(*, recipient, status, action="failed", message_id="", headers_only=False) -> bytes:
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "MAILER-DAEMON@mail.example.org"
    report["To"] = "hello@example.org"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.attach(
        MIMEText("I'm sorry to have to inform you that your message could not be delivered.")
    )
    status_part = MIMEMultipart("delivery-status")  # replaced below with the real type
    fields = (
        "Reporting-MTA: dns; mail.example.org\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Original-Recipient: rfc822;{recipient}\n"
        f"Action: {action}\n"
        f"Status: {status}\n"
        f"Diagnostic-Code: smtp; {status.replace('.', '')[:3]} mailbox trouble\n"
    )
    del status_part
    blocks = [message_from_string(block) for block in fields.split("\n\n")]
    status_part = MIMEMessage(blocks[0], "delivery-status")
    status_part.set_payload(blocks)
    report.attach(status_part)
    original = EmailMessage()
    original["From"] = "hello@example.org"
    original["To"] = recipient
    original["Subject"] = "Network news"
    original["Message-ID"] = message_id
    original.set_content("Hello")
    if headers_only:
        part = MIMEText(str(original).split("\n\n")[0], "rfc822-headers")
        report.attach(part)
    else:
        report.attach(MIMEMessage(original))
    return report.as_bytes()


def test_parse_dsn_reads_recipient_status_and_the_original_message_id():
    [hard] = bounces.parse_dsn(dsn(recipient="ann@example.net", status="5.1.1", message_id="<a@b>"))
    assert (hard.kind, hard.recipient, hard.status, hard.message_id) == (
        "hard",
        "ann@example.net",
        "5.1.1",
        "<a@b>",
    )
    [soft] = bounces.parse_dsn(
        dsn(
            recipient="bob@example.net",
            status="4.2.2",
            action="delayed",
            headers_only=True,
            message_id="<c@d>",
        )
    )
    assert (soft.kind, soft.message_id) == ("soft", "<c@d>")
    assert bounces.parse_dsn(b"From: x@example.org\n\nnot a report") == []


def _pipe(monkeypatch, raw: bytes, *args) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("newsletter_bounces", *args, stdout=out)
    return out.getvalue()


def test_the_bounce_command_records_a_hard_bounce_from_a_real_report(sent_issue, monkeypatch):
    delivery = _delivery("cat@example.net")
    output = _pipe(
        monkeypatch,
        dsn(recipient="cat@example.net", status="5.1.1", message_id=delivery.message_id),
    )
    assert "1 recorded" in output
    delivery.refresh_from_db()
    assert delivery.bounced == "hard"
    assert Subscriber.objects.get(email="cat@example.net").suppression == Suppression.HARD_BOUNCE


def test_the_bounce_command_takes_a_soft_bounce_and_shrugs_at_junk(sent_issue, monkeypatch):
    delivery = _delivery("ann@example.net")
    _pipe(
        monkeypatch,
        dsn(
            recipient="ann@example.net",
            status="4.2.2",
            action="delayed",
            message_id=delivery.message_id,
        ),
    )
    delivery.refresh_from_db()
    assert delivery.bounced == "soft" and delivery.status == Delivery.Status.PENDING
    assert "0 report(s)" in _pipe(monkeypatch, b"\x00\xff garbage \r\n\r\n")


def test_the_bounce_command_also_takes_mail_to_the_unsubscribe_address(
    sent_issue, monkeypatch, settings
):
    settings.NEWSLETTER_UNSUBSCRIBE_EMAIL = "leave@example.org"
    bob = Subscriber.objects.get(email="bob@example.net")
    token = make_token("unsubscribe", bob.pk, sent_issue.pk)
    raw = f"From: bob@example.net\nTo: leave@example.org\nSubject: unsubscribe-{token}\n\n\n"
    assert "unsubscribed: yes" in _pipe(monkeypatch, raw.encode())
    bob.refresh_from_db()
    assert not bob.wants_newsletter


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=2000))
def test_parse_dsn_never_raises_on_junk_bytes(raw):
    assert isinstance(bounces.parse_dsn(raw), list)


@hsettings(max_examples=150, deadline=None)
@given(
    recipient=st.text(max_size=60),
    status=st.text(max_size=20),
    action=st.text(max_size=20),
    boundary_junk=st.text(max_size=200),
)
def test_parse_dsn_never_raises_on_malformed_reports(recipient, status, action, boundary_junk):
    raw = (
        'Content-Type: multipart/report; report-type=delivery-status; boundary="XX"\n\n'
        "--XX\nContent-Type: text/plain\n\nsorry\n"
        "--XX\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; x\n\nFinal-Recipient: {recipient}\nAction: {action}\n"
        f"Status: {status}\n{boundary_junk}\n--XX--\n"
    )
    outcomes = bounces.parse_dsn(raw.encode("utf-8", "surrogateescape"))
    assert all(o.kind in ("hard", "soft", "delivered") for o in outcomes)


# --- The mailto: unsubscribe through anymail's inbound webhook -----------------------------------


def _inbound(to, subject):
    message = AnymailInboundMessage.construct(
        to=to, from_email="someone@example.net", subject=subject, text=""
    )
    inbound.send(
        sender=object,
        event=AnymailInboundEvent(event_type="inbound", message=message),
        esp_name="Test",
    )


def test_mail_to_the_unsubscribe_address_unsubscribes_the_token_in_the_subject(
    sent_issue, settings
):
    settings.NEWSLETTER_UNSUBSCRIBE_EMAIL = "leave@example.org"
    ann = Subscriber.objects.get(email="ann@example.net")
    token = make_token("unsubscribe", ann.pk, sent_issue.pk)
    _inbound("Leave <LEAVE@example.org>", f"unsubscribe-{token}")
    ann.refresh_from_db()
    assert not ann.wants_newsletter
    record = ConsentRecord.objects.get(subscriber=ann, action=ConsentRecord.Action.OPT_OUT)
    assert record.method == ConsentRecord.Method.MAILTO and record.issue == sent_issue


def test_other_inbound_mail_and_forged_tokens_are_ignored(sent_issue, settings):
    settings.NEWSLETTER_UNSUBSCRIBE_EMAIL = "leave@example.org"
    bob = Subscriber.objects.get(email="bob@example.net")
    token = make_token("unsubscribe", bob.pk, sent_issue.pk)
    _inbound("someone-else@example.org", f"unsubscribe-{token}")  # not our address
    _inbound("leave@example.org", f"unsubscribe-{token[:-3]}abc")  # forged
    _inbound("leave@example.org", f"unsubscribe-{make_token('preferences', bob.pk)}")  # wrong kind
    _inbound("leave@example.org", "hello")
    bob.refresh_from_db()
    assert bob.wants_newsletter
    assert not ConsentRecord.objects.filter(action=ConsentRecord.Action.OPT_OUT).exists()
