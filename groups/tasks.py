"""Background tasks: they take primary keys, and record each delivery (``Delivery``) before
sending, so a task that runs twice sends nothing twice."""

from __future__ import annotations

from datetime import datetime

from django.core.mail import get_connection
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


NOTIFY_BATCH = 100  # messages per send_messages() call on the one connection


@task(queue_name="email")
def notify_post(*, kind: str, pk: int) -> int:
    """Tell people about a new thread or reply: in-site notifications for mentions and replies
    to one's thread, and an email to each person who asked for every post or was mentioned.
    The emails go in batches over one connection to the mail server; each is claimed
    (``claim_delivery``) before it is sent, so a task that runs again sends none twice.
    Returns the number of emails sent."""
    from groups.services import mention_people

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
    if not audience.emails:
        return 0
    people = mention_people([post.body])  # once for every recipient
    sent = 0
    with get_connection() as connection:
        for start in range(0, len(audience.emails), NOTIFY_BATCH):
            batch = [
                emails.post_email(
                    user=user, post=post, thread=thread, stream=stream, mentioned=people
                )
                for user, stream in audience.emails[start : start + NOTIFY_BATCH]
                if claim_delivery(user.pk, f"post:{kind}:{pk}")
            ]
            if batch:
                sent += connection.send_messages(batch) or 0
    return sent


DIGEST_BATCH = 500  # people per ``send_digest`` task


@task(queue_name="email")
def send_digest(
    *, frequency: str, since: str, until: str, user_pks: list[int] = (), user_pk: int = 0
) -> int:
    """Send the daily or weekly digest for the window to each of ``user_pks`` (``user_pk``:
    one person, as tasks queued before batching did), once each; nothing to anyone whose
    digest is empty. The digests of a batch are built together in a fixed number of queries
    and go out over one connection to the mail server. Returns the number sent."""
    start, end = datetime.fromisoformat(since), datetime.fromisoformat(until)
    pks = list(user_pks) or ([user_pk] if user_pk else [])
    digests = selectors.digests_for(user_pks=pks, frequency=frequency, since=start, until=end)
    key = f"digest:{frequency}:{end.date().isoformat()}"
    due = [d for d in digests.values() if d.groups]
    if not due:
        return 0
    gone = set(
        Delivery.objects.filter(recipient_id__in=[d.user.pk for d in due], key=key).values_list(
            "recipient_id", flat=True
        )
    )
    sent, merged = 0, {}  # people with the same news share one rendering
    with get_connection() as connection:
        for digest in due:
            if digest.user.pk in gone or not claim_delivery(digest.user.pk, key):
                continue
            message = emails.digest_email(digest, merged=merged)
            message.connection = connection
            sent += message.send()
    return sent
