"""Email leaves the site over real SMTP as a multipart message a mail program can show."""

import pytest

from core.email import send_email


def test_site_email_arrives_over_smtp_with_text_and_html_parts(smtp_server, settings):
    settings.SITE_NAME = "Test Network"
    settings.SITE_URL = "https://network.example.org"
    settings.DEFAULT_FROM_EMAIL = "Test Network <hello@network.example.org>"

    sent = send_email(
        to="ann@example.org",
        template="test_message",
        context={"body": "Tea & cake at the Café, £5 — see you there."},
    )

    assert sent == 1
    [message] = smtp_server.wait_for(1)
    assert message.rcpt_tos == ("ann@example.org",)
    assert message.to == ["ann@example.org"]
    assert message.message["From"] == "Test Network <hello@network.example.org>"
    assert message.subject == "A test message from Test Network"

    assert message.message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]

    # The words reach the reader intact in both parts, escaped only in HTML.
    assert "Tea & cake at the Café, £5 — see you there." in message.text
    assert "Tea &amp; cake at the Café, £5 — see you there." in message.html
    assert "<&" not in message.text
    assert 'lang="en-GB"' in message.html
    # Every link is absolute, so it works from a mail program.
    assert message.links
    assert all(link.startswith("https://network.example.org") for link in message.links)
    # The raw bytes are kept too, exactly as they came over the wire.
    assert b"Subject: A test message from Test Network" in message.raw


def test_waiting_for_mail_that_never_comes_fails_with_what_did_arrive(smtp_server):
    with pytest.raises(AssertionError, match=r"Expected 1 email\(s\) .* 0 arrived: \[\]"):
        smtp_server.wait_for(1, timeout=0.1)
