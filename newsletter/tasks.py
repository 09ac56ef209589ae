"""Background tasks for sending the newsletter. They take primary keys and are idempotent:
each claims what is still pending, so running one twice sends nobody twice."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from newsletter.services import sending

# One task sends for at most this long, then hands over to a fresh task, so other email on
# the queue (confirmations, password resets) is not held up behind a long send.
TASK_BUDGET_SECONDS = 30.0
# The task waits out short rate-limit pauses; longer ones are re-enqueued for later (or left
# to `manage.py newsletter_send_due`, which resumes stalled sends every minute).
MAX_DEFER_SECONDS = 120.0


@task(queue_name="email")
def send_issue_batches(*, issue_pk: int) -> dict:
    """Send batches of the issue for up to TASK_BUDGET_SECONDS, then enqueue the next task
    if anything is still due. Marks the issue sent when nothing is left."""
    backend = send_issue_batches.get_backend()
    result = sending.issue_work(
        issue_pk=issue_pk,
        budget=TASK_BUDGET_SECONDS,
        # a backend that cannot defer (the immediate one) waits here instead
        may_sleep=not backend.supports_defer,
    )
    if result.more and result.wait <= MAX_DEFER_SECONDS:
        if result.wait and backend.supports_defer:
            later = timezone.now() + timedelta(seconds=result.wait)
            send_issue_batches.using(run_after=later).enqueue(issue_pk=issue_pk)
        elif not result.wait and not result.trouble:
            send_issue_batches.enqueue(issue_pk=issue_pk)  # out of time: carry on at once
        # otherwise (a backend that cannot wait) `newsletter_send_due` resumes it when due
    return {
        "sent": result.sent,
        "failed": result.failed,
        "retry": result.retry,
        "done": result.done,
        "trouble": result.trouble,
    }


@task(queue_name="email")
def send_test_issue(*, issue_pk: int, user_pk: int) -> int:
    """One test copy of the issue for a coordinator."""
    return sending.send_test_copy(issue_pk=issue_pk, user_pk=user_pk)
