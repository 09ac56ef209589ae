"""A real SMTP server on loopback for tests that must prove an email was actually sent.

Django's ``mail.outbox`` shows what the site *meant* to send; this shows what arrived over the
wire: the MIME structure, headers and links a person's mail program would see. Use it through
the ``smtp_server`` fixture (``tests/conftest.py``), which also points Django's SMTP backend at
it::

    def test_something(smtp_server):
        ...  # make the site send a message
        [message] = smtp_server.wait_for(1)
        assert message.subject == "..."
        link = message.link_containing("/accounts/confirm-email/")

Nothing here touches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from html.parser import HTMLParser

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO; only problems are worth reading in a test's output.
logging.getLogger("mail.log").setLevel(logging.WARNING)

URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage = field(repr=False)

    @classmethod
    def from_bytes(cls, raw: bytes, *, mail_from: str = "", rcpt_tos=()) -> ReceivedMessage:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        return cls(mail_from=mail_from, rcpt_tos=tuple(rcpt_tos), raw=raw, message=parsed)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def to(self) -> list[str]:
        """The addresses in the To header (the envelope recipients are ``rcpt_tos``)."""
        header = self.message["To"]
        return [address.addr_spec for address in header.addresses] if header else []

    @property
    def text(self) -> str | None:
        return text_part(self.message)

    @property
    def html(self) -> str | None:
        return html_part(self.message)

    @property
    def links(self) -> list[str]:
        return links_in(self.message)

    def link_containing(self, fragment: str) -> str:
        """The one link (from either part) that contains ``fragment``; fails clearly if there
        is none or several different ones."""
        found = sorted({link for link in self.links if fragment in link})
        assert len(found) == 1, (
            f"Expected one link containing {fragment!r} in {self.subject!r}, found {found}. "
            f"All links: {self.links}"
        )
        return found[0]


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else None


def text_part(message: EmailMessage) -> str | None:
    """The text/plain body of ``message``, decoded, or None if it has none."""
    return _part(message, "plain")


def html_part(message: EmailMessage) -> str | None:
    """The text/html body of ``message``, decoded, or None if it has none."""
    return _part(message, "html")


class _HrefCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def html_links(html: str) -> list[str]:
    """Every ``<a href>`` in ``html``, in order."""
    collector = _HrefCollector()
    collector.feed(html)
    collector.close()
    return collector.hrefs


def text_links(text: str) -> list[str]:
    """Every http(s) URL in plain text, in order. Punctuation that ends a sentence, or a
    bracket around the URL, is not part of it."""
    return [url.rstrip(".,;:!?)") for url in URL_IN_TEXT.findall(text)]


def links_in(message: EmailMessage) -> list[str]:
    """Links from the text part, then from the HTML part, without duplicates."""
    links: list[str] = []
    text, html = text_part(message), html_part(message)
    for link in (text_links(text) if text else []) + (html_links(html) if html else []):
        if link not in links:
            links.append(link)
    return links


class _Collector:
    """aiosmtpd handler: keeps every message and wakes anyone waiting for one."""

    def __init__(self):
        self.messages: list[ReceivedMessage] = []
        self.condition = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        received = ReceivedMessage.from_bytes(
            envelope.original_content or envelope.content,
            mail_from=envelope.mail_from,
            rcpt_tos=envelope.rcpt_tos,
        )
        with self.condition:
            self.messages.append(received)
            self.condition.notify_all()
        return "250 Message accepted for delivery"


class _LoopbackController(Controller):
    """An aiosmtpd controller that may listen on port 0 (any free port): the real port is
    read from the bound socket before the controller checks the server is answering."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPServer:
    """An SMTP server on 127.0.0.1 that keeps what it receives. Start it, send mail to
    ``host``:``port``, read ``messages`` or ``wait_for(count)``, then stop it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._collector = _Collector()
        self._controller = _LoopbackController(self._collector, hostname=host, port=port)
        self.host = host

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> SMTPServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Everything received so far, oldest first (a copy)."""
        with self._collector.condition:
            return list(self._collector.messages)

    def messages_to(self, address: str) -> list[ReceivedMessage]:
        address = address.lower()
        return [m for m in self.messages if address in (r.lower() for r in m.rcpt_tos)]

    def clear(self) -> None:
        with self._collector.condition:
            self._collector.messages.clear()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages have arrived and return them all; fail with
        what did arrive if they do not come within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._collector.condition:
            while len(self._collector.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    arrived = [m.subject for m in self._collector.messages]
                    raise AssertionError(
                        f"Expected {count} email(s) at {self.host}:{self.port} within "
                        f"{timeout} s; {len(arrived)} arrived: {arrived}"
                    )
                self._collector.condition.wait(remaining)
            return list(self._collector.messages)
