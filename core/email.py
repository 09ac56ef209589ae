"""Every email the site sends goes through here: multipart (text and HTML) from templates that
share one layout (``emails/layout.txt`` and ``emails/layout.html``).

A message is written as two templates, ``emails/<name>.txt`` and ``emails/<name>.html``, each
extending its layout, plus ``emails/<name>_subject.txt``. Services call :func:`send_email` from
a background task, or :func:`send_email_on_commit` to queue one once the transaction commits.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.html import escape, linebreaks, urlize
from django.utils.safestring import mark_safe


def base_context() -> dict:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
    }


def absolute_url(path: str) -> str:
    """An absolute URL on this site for ``path`` (emails must never carry relative links)."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path


def html_from_text(text: str, subject: str = "") -> str:
    """Wrap a plain-text body in the HTML layout: paragraphs kept, links made clickable."""
    body = mark_safe(linebreaks(urlize(escape(text), nofollow=False)))  # noqa: S308
    return render_to_string(
        "emails/layout.html", {**base_context(), "subject": subject, "text_as_html": body}
    )


def build_email(
    *,
    to: list[str] | str,
    template: str,
    context: dict | None = None,
    headers: dict | None = None,
    reply_to: list[str] | None = None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    """Render ``emails/<template>`` into a multipart message (not sent)."""
    ctx = {**base_context(), **(context or {})}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
    ctx["subject"] = subject
    text = render_to_string(f"emails/{template}.txt", ctx).strip() + "\n"
    html = render_to_string(f"emails/{template}.html", ctx)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to] if isinstance(to, str) else list(to),
        headers=headers or {},
        reply_to=reply_to,
    )
    message.attach_alternative(html, "text/html")
    return message


def send_email(**kwargs) -> int:
    """Render and send one message now; returns the number sent (0 or 1)."""
    return build_email(**kwargs).send()


def send_email_on_commit(*, to, template: str, context: dict | None = None, **kwargs) -> None:
    """Queue a message to be rendered and sent by a background task after this transaction
    commits. ``context`` must be JSON-serialisable (pass primary keys, not objects)."""
    from core.tasks import deliver_email

    recipients = [to] if isinstance(to, str) else list(to)
    transaction.on_commit(
        lambda: deliver_email.enqueue(
            to=recipients, template=template, context=context or {}, **kwargs
        )
    )


def send_message_on_commit(message: EmailMultiAlternatives) -> None:
    """Queue an already-rendered message to be sent by a background task after commit."""
    from core.tasks import deliver_rendered_email

    html = next((c for c, mimetype in message.alternatives if mimetype == "text/html"), "")
    payload = {
        "subject": message.subject,
        "body": message.body,
        "html": html,
        "from_email": message.from_email,
        "to": list(message.to),
        "headers": dict(message.extra_headers),
    }
    transaction.on_commit(lambda: deliver_rendered_email.enqueue(**payload))
