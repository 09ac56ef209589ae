"""Bounces, complaints and the mailto: unsubscribe, whichever way they arrive: an email
provider's webhook (anymail's ``tracking`` and ``inbound`` signals, see newsletter/signals.py)
or a local mail server piping a message to ``manage.py newsletter_bounces``.

* A hard bounce (the address does not exist) or a complaint (marked as spam) stops all mail to
  the address (``subscriber_suppress``) and is counted on the issue's delivery.
* A soft bounce (mailbox full, server busy) is counted; the delivery is tried again later, a
  bounded number of times; SOFT_BOUNCE_LIMIT soft bounces in a row, across issues, stop the
  address as if it were a hard bounce. A successful delivery report resets the count.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses

from django.conf import settings
from django.db import transaction
from django.db.models import F

from newsletter.models import ConsentRecord, Delivery, Subscriber, Suppression
from newsletter.services import sending
from newsletter.services.subscribers import subscriber_suppress, subscriber_unsubscribe
from newsletter.tokens import read_token

logger = logging.getLogger(__name__)

HARD, SOFT, COMPLAINT, DELIVERED = "hard", "soft", "complaint", "delivered"
SOFT_BOUNCE_LIMIT = 3  # soft bounces in a row (across issues) that stop an address
SOFT_RETRIES = 2  # times a soft-bounced delivery is sent again
SOFT_RETRY_DELAYS = [timedelta(hours=1), timedelta(hours=6)]
STATUS_CODE = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
OUR_MESSAGE_ID = re.compile(r"<?newsletter\.(\d+)\.(\d+)\.[0-9a-f]+@[^>\s]+>?")
UNSUBSCRIBE_SUBJECT = re.compile(r"unsubscribe-([A-Za-z0-9_\-:]+)")


@dataclass(frozen=True)
class Outcome:
    kind: str  # HARD, SOFT, COMPLAINT or DELIVERED
    recipient: str = ""
    message_id: str = ""
    status: str = ""  # an RFC 3463 status such as 5.1.1, when known
    description: str = ""


def _clean_id(message_id: str) -> str:
    return (message_id or "").strip()


def find_delivery(*, message_id: str = "", recipient: str = "") -> Delivery | None:
    """The delivery a report is about: by the Message-ID (ours or the provider's), else the
    most recent delivery to the recipient's address."""
    message_id = _clean_id(message_id)
    if message_id:
        candidates = {message_id, message_id.strip("<>"), f"<{message_id.strip('<>')}>"}
        found = Delivery.objects.filter(message_id__in=candidates).first()
        if found is not None:
            return found
        ours = OUR_MESSAGE_ID.fullmatch(message_id.strip())
        if ours:
            found = Delivery.objects.filter(
                pk=int(ours.group(2)), issue_id=int(ours.group(1))
            ).first()
            if found is not None:
                return found
    if recipient:
        return (
            Delivery.objects.filter(email__iexact=recipient.strip())
            .order_by("-issue__number", "-id")
            .first()
        )
    return None


@transaction.atomic
def bounce_record(*, outcome: Outcome) -> Delivery | None:
    """Record one report about a message we sent (idempotent for repeated reports)."""
    delivery = find_delivery(message_id=outcome.message_id, recipient=outcome.recipient)
    subscriber = None
    if delivery is not None:
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        subscriber = Subscriber.objects.filter(pk=delivery.subscriber_id).first()
    elif outcome.recipient:
        subscriber = Subscriber.objects.filter(email__iexact=outcome.recipient.strip()).first()
    if subscriber is None:
        logger.info("newsletter: a %s report for an unknown message or address", outcome.kind)
        return None

    if outcome.kind == DELIVERED:
        Subscriber.objects.filter(pk=subscriber.pk).update(soft_bounces=0)
    elif outcome.kind == HARD:
        if delivery is not None and delivery.bounced != "hard":
            delivery.bounced = "hard"
            delivery.save(update_fields=["bounced"])
        subscriber_suppress(subscriber=subscriber, reason=Suppression.HARD_BOUNCE)
    elif outcome.kind == COMPLAINT:
        if delivery is not None and not delivery.complained:
            delivery.complained = True
            delivery.save(update_fields=["complained"])
        subscriber_suppress(subscriber=subscriber, reason=Suppression.COMPLAINT)
    elif outcome.kind == SOFT:
        _soft_bounce(delivery, subscriber)
    return delivery


def _soft_bounce(delivery: Delivery | None, subscriber: Subscriber) -> None:
    if delivery is not None and delivery.status != Delivery.Status.SENT:
        return  # already waiting to be sent again: the same report twice counts once
    Subscriber.objects.filter(pk=subscriber.pk).update(soft_bounces=F("soft_bounces") + 1)
    subscriber.refresh_from_db(fields=["soft_bounces"])
    if subscriber.soft_bounces >= SOFT_BOUNCE_LIMIT:
        subscriber_suppress(subscriber=subscriber, reason=Suppression.HARD_BOUNCE)
    if delivery is None:
        return
    delivery.bounced = "soft"
    fields = ["bounced"]
    if not subscriber.suppression and delivery.attempts < SOFT_RETRIES:
        # send it again later (the cron command resumes it, even for a sent issue)
        delivery.status = Delivery.Status.PENDING
        delivery.retry_after = (
            sending.now() + SOFT_RETRY_DELAYS[min(delivery.attempts, len(SOFT_RETRY_DELAYS) - 1)]
        )
        delivery.attempts += 1
        delivery.error = "soft bounce: sent again later"
        fields += ["status", "retry_after", "attempts", "error"]
    delivery.save(update_fields=fields)


# --- Reports from anymail (any provider) ------------------------------------------------------


def outcome_from_tracking(event) -> Outcome | None:
    """Our outcome for an anymail AnymailTrackingEvent, or None for events we ignore
    (opens and clicks are never tracked; queued/sent say nothing new)."""
    kind = {
        "bounced": HARD,
        "rejected": HARD,
        "deferred": SOFT,
        "complained": COMPLAINT,
        "delivered": DELIVERED,
    }.get(getattr(event, "event_type", None) or "")
    if kind is None:
        return None
    detail = " ".join(str(part) for part in (event.mta_response, event.description) if part)
    status = STATUS_CODE.search(detail)
    if kind == HARD and status and status.group(1) == "4":
        kind = SOFT  # a provider reporting a temporary failure as a bounce
    return Outcome(
        kind=kind,
        recipient=event.recipient or "",
        message_id=str(event.message_id or ""),
        status=status.group(0) if status else "",
        description=detail[:300],
    )


def handle_tracking_event(event) -> Delivery | None:
    outcome = outcome_from_tracking(event)
    if outcome is None:
        return None
    return bounce_record(outcome=outcome)


# --- Delivery status notifications from a local mail server (RFC 3464) ---------------------


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    return str(value).strip() if value is not None else ""


def _address(value: str) -> str:
    """'rfc822; ann@example.org' -> 'ann@example.org'."""
    value = value.partition(";")[2] if ";" in value else value
    value = value.strip().strip("<>").strip()
    return value if "@" in value and " " not in value and len(value) <= 254 else ""


def _original_message_id(message: Message) -> str:
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message) and inner.get("Message-ID"):
                return str(inner["Message-ID"]).strip()
        elif content_type == "text/rfc822-headers":
            headers = message_from_bytes(
                part.get_payload(decode=True) or b"", policy=policy.compat32
            )
            if headers.get("Message-ID"):
                return str(headers["Message-ID"]).strip()
    return ""


def _parse_dsn(raw: bytes) -> list[Outcome]:
    message = message_from_bytes(raw, policy=policy.compat32)
    if message.get_content_type() != "multipart/report":
        return []
    message_id = _original_message_id(message)
    outcomes = []
    for part in message.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks[1:]:  # the first block is about the message, the rest per recipient
            if not isinstance(block, Message):
                continue
            recipient = _address(_field(block, "Original-Recipient")) or _address(
                _field(block, "Final-Recipient")
            )
            action = _field(block, "Action").lower()
            status = STATUS_CODE.search(_field(block, "Status"))
            if not recipient or not status:
                continue
            if action == "delivered" or status.group(1) == "2":
                kind = DELIVERED
            else:  # RFC 3463: 5.x.x is permanent, 4.x.x temporary
                kind = HARD if status.group(1) == "5" else SOFT
            outcomes.append(
                Outcome(
                    kind=kind,
                    recipient=recipient,
                    message_id=message_id,
                    status=status.group(0),
                    description=_field(block, "Diagnostic-Code")[:300],
                )
            )
    return outcomes


def parse_dsn(raw: bytes) -> list[Outcome]:
    """The outcomes (one per recipient) in a delivery status notification (a multipart/report
    message, RFC 3464). Anything else, however malformed, gives an empty list: never raises."""
    try:
        return _parse_dsn(raw)
    except Exception:  # noqa: BLE001 - input comes from anyone who can send us mail
        logger.info("newsletter: could not read a bounce message", exc_info=True)
        return []


# --- The mailto: unsubscribe -------------------------------------------------------------------


def addressed_to_unsubscribe(recipients) -> bool:
    target = settings.NEWSLETTER_UNSUBSCRIBE_EMAIL.strip().lower()
    return any((address or "").strip().lower() == target for address in recipients)


def unsubscribe_by_email(*, recipients, subject: str) -> bool:
    """Unsubscribe the subscriber named by the signed token in the subject of a message to
    NEWSLETTER_UNSUBSCRIBE_EMAIL (the mailto: in List-Unsubscribe). Returns True if someone
    was unsubscribed; anything else (another address, no or a forged token) is ignored."""
    if not addressed_to_unsubscribe(recipients):
        return False
    match = UNSUBSCRIBE_SUBJECT.search(subject or "")
    if not match:
        return False
    data = read_token("unsubscribe", match.group(1))
    if data is None:
        return False
    subscriber = Subscriber.objects.filter(pk=data.subscriber_pk).first()
    if subscriber is None:
        return False
    from newsletter.models import Issue

    issue = Issue.objects.filter(pk=data.issue_pk).first() if data.issue_pk else None
    return subscriber_unsubscribe(
        subscriber=subscriber,
        stream="newsletter",
        method=ConsentRecord.Method.MAILTO,
        issue=issue,
    )


def handle_raw_message(raw: bytes, envelope_recipient: str = "") -> dict:
    """What ``manage.py newsletter_bounces`` does with one message from the mail server: a
    bounce report is recorded; a message to the unsubscribe address unsubscribes."""
    outcomes = parse_dsn(raw)
    recorded = 0
    for outcome in outcomes:
        if bounce_record(outcome=outcome) is not None:
            recorded += 1
    unsubscribed = False
    if not outcomes:
        try:
            message = message_from_bytes(raw, policy=policy.compat32)
            headers = [
                str(v)
                for name in ("Delivered-To", "X-Original-To", "To", "Cc")
                for v in message.get_all(name, [])
            ]
            recipients = ([envelope_recipient] if envelope_recipient else []) + [
                address for _name, address in getaddresses(headers)
            ]
            subject = str(message.get("Subject") or "")
        except Exception:  # noqa: BLE001 - junk in, nothing done
            recipients, subject = [], ""
        unsubscribed = unsubscribe_by_email(recipients=recipients, subject=subject)
    return {"reports": len(outcomes), "recorded": recorded, "unsubscribed": unsubscribed}
