"""Receivers for anymail's webhook signals (connected in apps.py): delivery reports
(bounces, complaints) and mail to the newsletter's unsubscribe address. Each passes straight
to a service; messages for other purposes (e.g. replies to group emails) are ignored here."""

from __future__ import annotations

from newsletter.services import bounces


def handle_tracking(sender, event, esp_name, **kwargs):
    """anymail's ``tracking`` signal: bounced, rejected, deferred, complained, delivered."""
    return bounces.handle_tracking_event(event)


def handle_inbound(sender, event, esp_name, **kwargs):
    """anymail's ``inbound`` signal: only mail to NEWSLETTER_UNSUBSCRIBE_EMAIL is ours."""
    message = event.message
    if message is None:
        return False
    recipients = [a.addr_spec for a in (message.to or [])] + [
        a.addr_spec for a in (message.cc or [])
    ]
    envelope = getattr(message, "envelope_recipient", None)
    if envelope:
        recipients.insert(0, envelope)
    return bounces.unsubscribe_by_email(recipients=recipients, subject=message.subject or "")
