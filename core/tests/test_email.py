from django.core import mail

from core.email import build_email, html_from_text, send_email_on_commit


def test_html_from_text_wraps_text_in_the_site_layout_with_clickable_links(settings):
    settings.SITE_NAME = "Test Network"
    html = html_from_text("Hello <there>\n\nVisit https://example.org/x", subject="Hi")
    assert "Test Network" in html
    assert "&lt;there&gt;" in html  # text is escaped, never interpreted
    assert '<a href="https://example.org/x"' in html


def test_templated_emails_are_multipart(tmp_path, settings):
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "hello_subject.txt").write_text("Hello {{ name }}")
    (tmp_path / "emails" / "hello.txt").write_text(
        '{% extends "emails/layout.txt" %}{% block body %}Hi {{ name }}{% endblock %}'
    )
    (tmp_path / "emails" / "hello.html").write_text(
        '{% extends "emails/layout.html" %}{% block body %}<p>Hi {{ name }}</p>{% endblock %}'
    )
    base = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**base, "DIRS": [tmp_path, *base["DIRS"]]}]
    message = build_email(to="a@example.org", template="hello", context={"name": "Ann"})
    assert message.subject == "Hello Ann"
    assert "Hi Ann" in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert "<p>Hi Ann</p>" in message.alternatives[0].content
    assert message.to == ["a@example.org"]


def test_emails_queued_on_commit_are_sent_by_the_task(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_email_on_commit(
            to="b@example.org",
            template="test_message",
            context={"body": "This is a test message."},
        )
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["b@example.org"]
    assert "This is a test message." in sent.body
    assert "This is a test message." in sent.alternatives[0].content


def test_nothing_is_sent_if_the_transaction_rolls_back(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_email_on_commit(to="c@example.org", template="test_message", context={})
    assert len(callbacks) == 1
    assert mail.outbox == []
