from django_tasks import task

from core.email import send_email


@task(queue_name="email")
def deliver_email(*, to: list[str], template: str, context: dict, **kwargs) -> int:
    """Send one templated email. Context values are plain data, so the task can be retried."""
    return send_email(to=to, template=template, context=context, **kwargs)
