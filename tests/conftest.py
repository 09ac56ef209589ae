"""Fixtures for the cross-cutting tests in ``tests/`` (and the browser journeys below it)."""

import pytest

from tests.smtp import SMTPServer


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) with Django's SMTP backend pointed at it.

    Read what actually arrived with ``smtp_server.messages`` or ``smtp_server.wait_for(n)``;
    each is a :class:`tests.smtp.ReceivedMessage` (parsed message, raw bytes, text and HTML
    parts, links). Works for mail sent from a live server thread too: settings are global.
    """
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.host
        settings.EMAIL_PORT = server.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield server
