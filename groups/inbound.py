"""Reply by email: anymail's inbound webhook (any provider) and ``manage.py
receive_group_reply`` (a message on standard input, for a local mail server) both end in
``services.reply_from_email``, which trusts only the signed reply address."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.utils import getaddresses

from groups import services


def handle_inbound(sender, event, esp_name, **kwargs):
    """anymail's ``inbound`` signal receiver."""
    message = event.message
    recipients = [a.addr_spec for a in (message.to or [])] + [
        a.addr_spec for a in (message.cc or [])
    ]
    envelope = getattr(message, "envelope_recipient", None)
    if envelope:
        recipients.insert(0, envelope)
    return services.reply_from_email(recipients=recipients, text=message.text or "")


def reply_from_raw(raw: bytes, envelope_recipient: str = ""):
    """Post the reply in a raw RFC 5322 message (as a mail server delivers it)."""
    message = message_from_bytes(raw, policy=policy.default)
    headers = [str(v) for name in ("Delivered-To", "X-Original-To", "To", "Cc")
               for v in message.get_all(name, [])]  # fmt: skip
    recipients = ([envelope_recipient] if envelope_recipient else []) + [
        addr for _name, addr in getaddresses(headers)
    ]
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    return services.reply_from_email(recipients=recipients, text=text)
