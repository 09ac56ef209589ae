from django.core.mail import EmailMultiAlternatives
from django_tasks import task

from core.email import send_email


@task(queue_name="email")
def deliver_email(*, to: list[str], template: str, context: dict, **kwargs) -> int:
    """Send one templated email. Context values are plain data, so the task can be retried."""
    return send_email(to=to, template=template, context=context, **kwargs)


@task(queue_name="email")
def deliver_rendered_email(
    *, subject: str, body: str, html: str, from_email: str, to: list[str], headers: dict
) -> int:
    """Send a message that was rendered earlier (e.g. by allauth during a request)."""
    message = EmailMultiAlternatives(subject, body, from_email, to, headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()
