"""Serialising 100,000 copies of one issue quickly.

Python's email package spends ~1.5 ms turning each multipart message into bytes (header
folding, boundary search, line-by-line writing), more than the SMTP exchange itself. Every copy
of an issue is the same message but for a few personal strings, so the issue is serialised
ONCE by Django (with placeholders, a fixed boundary) and each copy's bytes are that template
with the placeholders filled in. The result is a message Django would have made: same headers,
same parts, 8bit UTF-8 bodies.

This is only an optimisation of ``message().as_bytes()`` (what the SMTP, file and console
backends call); the message keeps its normal attributes, so anymail backends, which read
``body``/``alternatives``/``extra_headers``, are unaffected. Whenever the template cannot be
used safely (a body Django would encode as quoted-printable, non-ASCII addresses or links),
the message falls back to Django's own serialisation.
"""

from __future__ import annotations

import secrets
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from newsletter import rendering

# Template lines longer than this could pass RFC 5322's 998 once personal links are in.
MAX_TEMPLATE_LINE = 700
PERSONAL_HEADERS = {b"to", b"message-id", b"list-unsubscribe", b"date"}


class _Serialised:
    """Stands in for the email.message.Message that Django's backends serialise."""

    def __init__(self, data: bytes):
        self.data = data  # with CRLF line endings

    def as_bytes(self, unixfrom=False, linesep="\n"):
        return self.data if linesep == "\r\n" else self.data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom=False, linesep="\n"):
        return self.as_bytes(linesep=linesep).decode("utf-8")

    def get_charset(self):
        return None


class NewsletterMessage(EmailMultiAlternatives):
    """An EmailMultiAlternatives whose bytes may come ready-made from an issue template."""

    serialised: bytes | None = None

    def message(self):
        if self.serialised is not None:
            return _Serialised(self.serialised)
        return super().message()


def _split_headers(head: bytes) -> list[tuple[bytes, bytes]]:
    """[(lower-case name, the header's raw lines)] of a CRLF header block."""
    headers: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and headers:
            name, raw = headers[-1]
            headers[-1] = (name, raw + b"\r\n" + line)
        elif line:
            headers.append((line.split(b":", 1)[0].strip().lower(), line))
    return headers


class IssueTemplate:
    """The issue serialised once; :meth:`render` makes one recipient's bytes."""

    def __init__(
        self, rendered: rendering.RenderedIssue, *, from_email: str, subject: str, headers: dict
    ):
        self.ok = False
        self.boundary = f"===============nl{secrets.token_hex(12)}=="
        probe = EmailMultiAlternatives(
            subject=subject,
            body=rendered.text,
            from_email=from_email,
            to=["to@example.invalid"],
            headers={**headers, "Message-ID": "<probe@example.invalid>", "Date": "probe"},
        )
        probe.attach_alternative(rendered.html, "text/html")
        message = probe.message()
        message.set_boundary(self.boundary)
        data = message.as_bytes(linesep="\r\n")
        head, sep, body = data.partition(b"\r\n\r\n")
        text = rendered.text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        html = rendered.html.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        if (
            not sep
            or body.count(text) != 1
            or body.count(html) != 1
            or body.count(self.boundary.encode()) != 3
            or b"Content-Transfer-Encoding: 8bit" not in body
            or b"quoted-printable" in body.lower()
            or max(len(line) for line in data.split(b"\r\n")) > MAX_TEMPLATE_LINE
        ):
            return  # Django would not make 8bit parts here: serialise normally
        before_text, _, rest = body.partition(text)
        between, _, after_html = rest.partition(html)
        self.fixed_headers = b"\r\n".join(
            raw for name, raw in _split_headers(head) if name not in PERSONAL_HEADERS
        )
        self.before_text, self.between, self.after_html = before_text, between, after_html
        self.date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME).encode()
        self.ok = True

    def render(self, *, to: str, message_id: str, list_unsubscribe: str, text: str, html: str):
        """The bytes of one copy, or None when it must be serialised the normal way."""
        if not self.ok or not (to.isascii() and list_unsubscribe.isascii()) or "\n" in to:
            return None
        crlf_text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        crlf_html = html.replace("\r\n", "\n").replace("\n", "\r\n")
        https, _, mailto = list_unsubscribe.partition(", ")
        return b"".join(
            (
                self.fixed_headers,
                b"\r\nTo: ",
                to.encode(),
                b"\r\nDate: ",
                self.date,
                b"\r\nMessage-ID: ",
                message_id.encode(),
                b"\r\nList-Unsubscribe: ",
                https.encode(),
                b",\r\n ",
                mailto.encode(),
                b"\r\n\r\n",
                self.before_text,
                crlf_text.encode(),
                self.between,
                crlf_html.encode(),
                self.after_html,
            )
        )
