"""Background tasks: they take primary keys, and record each delivery (``Delivery``) before
sending, so a task that runs twice sends nothing twice."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django_tasks import task

from groups import emails, selectors
from groups.models import Delivery, Notification


def claim_delivery(user_pk: int, key: str) -> bool:
    """Record that ``key`` goes to the person; ``False`` if it already went."""
    try:
        with transaction.atomic():
            Delivery.objects.create(recipient_id=user_pk, key=key)
    except IntegrityError:
        return False
    return True


@task(queue_name="email")
def notify_post(*, kind: str, pk: int) -> int:
    """Tell people about a new thread or reply: in-site notifications for mentions and replies
    to one's thread, and an email to each person who asked for every post or was mentioned.
    Returns the number of emails sent."""
    audience = selectors.post_audience(kind=kind, pk=pk)
    if audience is None:
        return 0
    post, thread = audience.post, audience.thread
    reply = post if kind == "reply" else None
    notes = [
        Notification(
            recipient_id=user.pk,
            kind=note_kind,
            group_id=thread.group_id,
            thread=thread,
            reply=reply,
            actor_id=post.author_id,
        )
        for user, note_kind in audience.in_site
    ]
    Notification.objects.bulk_create(notes, ignore_conflicts=True)
    sent = 0
    for user, stream in audience.emails:
        if claim_delivery(user.pk, f"post:{kind}:{pk}"):
            sent += emails.post_email(user=user, post=post, thread=thread, stream=stream).send()
    return sent


@task(queue_name="email")
def send_digest(*, user_pk: int, frequency: str, since: str, until: str) -> int:
    """Send one person's daily or weekly digest for the window, once; nothing if empty."""
    start, end = datetime.fromisoformat(since), datetime.fromisoformat(until)
    digest = selectors.digest_for(user_pk=user_pk, frequency=frequency, since=start, until=end)
    if digest is None or not digest.groups:
        return 0
    if not claim_delivery(user_pk, f"digest:{frequency}:{end.date().isoformat()}"):
        return 0
    return emails.digest_email(digest).send()
