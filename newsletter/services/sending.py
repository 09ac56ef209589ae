"""Sending an issue: start (now or at a set time), then work through it in batches.

How a send stays idempotent and resumable:

* Starting a send writes one :class:`~newsletter.models.Delivery` row per recipient (unique per
  issue and subscriber, so doing it twice adds nobody twice) and moves the issue to SENDING.
* A worker *claims* a batch of pending rows (PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``;
  SQLite: one ``UPDATE ... WHERE id IN (subquery) AND status = 'pending'``), renders the issue
  once, personalises each message and sends them in id order over ONE connection, marking each
  row sent as soon as the mail server accepted it. So a worker killed at any moment leaves at
  most one message (the first still-claimed row of its batch) whose fate is unknown.
* A claim older than :data:`CLAIM_TIMEOUT` belongs to a dead worker: its rows go back to
  pending and are sent by the next worker. Only that first row can arrive twice, and only if
  the worker died in the instant between the server's "accepted" and the database's "sent"
  (it is noted on the row); everything the worker had not started is sent exactly once, and
  everything it recorded is never sent again. Temporary failures (4xx, a dropped connection) go back to pending and are retried a
  bounded number of times; permanent ones (5xx) are marked failed.
* When nothing is pending or claimed the issue is SENT.

The rate limit (``NEWSLETTER_RATE_PER_MINUTE``) is a sliding window counted in the database, so
it holds across any number of workers: a claim takes at most ``rate - (sent in the last minute
+ still claimed)`` rows, and the count and the claim happen under one lock.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_log
from core.email import absolute_url
from newsletter import links, rendering
from newsletter.models import Delivery, Issue, Subscriber
from newsletter.services import mime
from newsletter.tokens import make_token

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=15)  # a claim older than this belongs to a dead worker
MAX_ATTEMPTS = 5  # temporary failures before a delivery is given up as failed
RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60, 240)]
INSERT_CHUNK = 20_000  # subscriber ids per INSERT ... SELECT
UNCERTAIN = "sent again after its worker stopped mid-send: may have arrived twice"
WINDOW = timedelta(minutes=1)
# advisory lock key for the rate-limit window on PostgreSQL (any constant)
RATE_LOCK_KEY = 0x4E4C5254


class SendingError(Exception):
    """An action that does not fit the issue's state; the message is fit to show."""


class ConnectionTrouble(Exception):
    """The mail server could not be reached or dropped the connection."""


# Indirections so tests can drive the clock.
def now() -> datetime:
    return timezone.now()


def sleep(seconds: float) -> None:
    time.sleep(seconds)


# --- Starting, scheduling, testing ----------------------------------------------------------


def _locked(issue: Issue) -> Issue:
    return Issue.objects.select_for_update().get(pk=issue.pk)


def deliveries_materialise(*, issue: Issue) -> int:
    """One pending Delivery for every subscriber who wants the newsletter now, written by
    ``INSERT ... SELECT`` in chunks of subscriber ids; a subscriber who already has one for this
    issue is left alone (the unique constraint), so running it twice adds nobody twice.
    Returns the rows added."""
    before = Delivery.objects.filter(issue=issue).count()
    recipients = Subscriber.objects.wanting("newsletter")
    bounds = recipients.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0
    table = connection.ops.quote_name(Delivery._meta.db_table)
    low = bounds["low"]
    while low <= bounds["high"]:
        chunk = recipients.filter(pk__gte=low, pk__lt=low + INSERT_CHUNK).values(
            sid=F("pk"), semail=F("email")
        )
        select, params = chunk.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (issue_id, subscriber_id, email, status, claim, attempts, "  # noqa: S608
                "error, message_id, bounced, complained) "
                f"SELECT %s, s.sid, s.semail, %s, '', 0, '', '', '', FALSE FROM ({select}) s "
                "WHERE TRUE ON CONFLICT DO NOTHING",
                [issue.pk, Delivery.Status.PENDING, *params],
            )
        low += INSERT_CHUNK
    return Delivery.objects.filter(issue=issue).count() - before


def enqueue_workers(issue_pk: int, workers: int = 2) -> None:
    """Start ``workers`` chains of batch tasks for the issue (each re-enqueues itself)."""
    from newsletter.tasks import send_issue_batches

    for _ in range(workers):
        send_issue_batches.enqueue(issue_pk=issue_pk)


@transaction.atomic
def issue_send_now(*, issue: Issue, by=None, enqueue: bool = True) -> int:
    """Start sending a draft or scheduled issue to everyone who wants the newsletter. Returns
    the number of recipients. The worker tasks start once this transaction commits (unless
    ``enqueue`` is False: ``manage.py newsletter_send`` does the work itself)."""
    issue = _locked(issue)
    if issue.status not in (Issue.Status.DRAFT, Issue.Status.SCHEDULED):
        raise SendingError(
            f"Issue {issue.number} is {issue.get_status_display()}: it cannot be sent again."
        )
    was_scheduled = issue.status == Issue.Status.SCHEDULED
    issue.status = Issue.Status.SENDING
    issue.send_started_at = now()
    issue.save(update_fields=["status", "send_started_at"])
    deliveries_materialise(issue=issue)
    recipients = Delivery.objects.filter(issue=issue).count()
    audit_log(
        actor=by,
        action="newsletter.issue.send",
        target=issue,
        recipients=recipients,
        scheduled=was_scheduled,
    )
    if enqueue:
        transaction.on_commit(lambda: enqueue_workers(issue.pk))
    return recipients


@transaction.atomic
def issue_schedule(*, issue: Issue, when: datetime, by) -> Issue:
    """Send a draft (or re-time a scheduled issue) at ``when``, which must be in the future.
    ``manage.py newsletter_send_due``, run every minute, starts it."""
    issue = _locked(issue)
    if issue.status not in (Issue.Status.DRAFT, Issue.Status.SCHEDULED):
        raise SendingError(f"Issue {issue.number} has already been sent.")
    if when <= now():
        raise SendingError("Choose a time in the future.")
    issue.status = Issue.Status.SCHEDULED
    issue.scheduled_for = when
    issue.save(update_fields=["status", "scheduled_for"])
    audit_log(actor=by, action="newsletter.issue.schedule", target=issue, when=when.isoformat())
    return issue


@transaction.atomic
def issue_cancel_schedule(*, issue: Issue, by) -> Issue:
    """Back to draft: the scheduled send will not happen."""
    issue = _locked(issue)
    if issue.status != Issue.Status.SCHEDULED:
        raise SendingError(f"Issue {issue.number} is not scheduled.")
    issue.status = Issue.Status.DRAFT
    issue.scheduled_for = None
    issue.save(update_fields=["status", "scheduled_for"])
    audit_log(actor=by, action="newsletter.issue.unschedule", target=issue)
    return issue


def issue_send_test(*, issue: Issue, to_user) -> None:
    """Send one copy of the issue (subject marked as a test) to ``to_user`` once the
    transaction commits."""
    from newsletter.tasks import send_test_issue

    transaction.on_commit(lambda: send_test_issue.enqueue(issue_pk=issue.pk, user_pk=to_user.pk))


def send_test_copy(*, issue_pk: int, user_pk: int) -> int:
    """(Task body) render and send a test copy to a coordinator."""
    from django.contrib.auth import get_user_model

    issue = Issue.objects.get(pk=issue_pk)
    user = get_user_model().objects.get(pk=user_pk)
    subscriber = Subscriber.objects.filter(user=user).only("pk").first()
    rendered = rendered_issue(issue)
    subscriber_pk = subscriber.pk if subscriber else 0
    builder = MessageBuilder(issue, rendered, subject=f"[Test] {rendered.subject}")
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    message = builder.build(
        delivery_pk=0, subscriber_pk=subscriber_pk, email=user.email, name=name or ""
    )
    return message.send()


# --- Rendering once and building each message -----------------------------------------------

_render_cache: dict[tuple, rendering.RenderedIssue] = {}


def rendered_issue(issue: Issue) -> rendering.RenderedIssue:
    """The issue rendered once per process (per version of the issue), with its links sent
    through the click counter when NEWSLETTER_COUNT_CLICKS is on."""
    count_clicks = settings.NEWSLETTER_COUNT_CLICKS
    key = (issue.pk, issue.updated_at, issue.subject, count_clicks, settings.SITE_URL)
    cached = _render_cache.get(key)
    if cached is None:
        cached = rendering.render_issue(issue)
        if count_clicks:
            from newsletter.services.clicks import rewrite_links

            cached = rendering.RenderedIssue(
                subject=cached.subject, text=cached.text, html=rewrite_links(issue, cached.html)
            )
        if len(_render_cache) > 16:
            _render_cache.clear()
        _render_cache[key] = cached
    return cached


def _mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


CONTROL_CHARACTERS = dict.fromkeys(range(32), " ")


class MessageBuilder:
    """Makes each recipient's message from the issue rendered once (and, for the SMTP
    backend, its bytes from the issue serialised once: see newsletter/services/mime.py)."""

    LIST_UNSUBSCRIBE_POST = "List-Unsubscribe=One-Click"

    def __init__(self, issue: Issue, rendered: rendering.RenderedIssue, *, subject=None):
        self.issue_pk = issue.pk
        self.rendered = rendered
        self.subject = subject or rendered.subject
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self.domain = _mail_domain()
        self.mailto = settings.NEWSLETTER_UNSUBSCRIBE_EMAIL
        self.template = mime.IssueTemplate(
            rendered,
            from_email=self.from_email,
            subject=self.subject,
            headers={"List-Unsubscribe-Post": self.LIST_UNSUBSCRIBE_POST},
        )

        self._links = self._link_shapes()

    def _link_shapes(self):
        """The personal links' URLs around their token (from newsletter.links, checked once),
        so each message needs one signature per link and no URL resolving."""
        shapes = {}
        for name, make in (
            ("unsubscribe", lambda pk, token: links.unsubscribe_url(pk, self.issue_pk)),
            ("preferences", lambda pk, token: links.preferences_url(pk)),
        ):
            path = reverse(f"newsletter:{name}", kwargs={"token": "TOKEN"})
            prefix, _, suffix = absolute_url(path).partition("TOKEN")
            sample = make(1, None)
            if not (sample.startswith(prefix) and sample.endswith(suffix)):
                return None  # links are made some other way: ask newsletter.links each time
            shapes[name] = (prefix, suffix)
        return shapes

    def personal_links(self, subscriber_pk: int) -> tuple[str, str, str]:
        """(unsubscribe URL, its token, preferences URL) for one subscriber."""
        unsubscribe_token = make_token("unsubscribe", subscriber_pk, self.issue_pk)
        if self._links is None:
            return (
                links.unsubscribe_url(subscriber_pk, self.issue_pk),
                unsubscribe_token,
                links.preferences_url(subscriber_pk),
            )
        (u_prefix, u_suffix), (p_prefix, p_suffix) = (
            self._links["unsubscribe"],
            self._links["preferences"],
        )
        return (
            f"{u_prefix}{unsubscribe_token}{u_suffix}",
            unsubscribe_token,
            f"{p_prefix}{make_token('preferences', subscriber_pk)}{p_suffix}",
        )

    def message_id(self, delivery_pk: int) -> str:
        return f"<newsletter.{self.issue_pk}.{delivery_pk}.{secrets.token_hex(4)}@{self.domain}>"

    def build(self, *, delivery_pk, subscriber_pk, email, name, message_id=None):
        unsubscribe, token, preferences = self.personal_links(subscriber_pk)
        text, html = rendering.personalise(
            self.rendered,
            name=(name or "").translate(CONTROL_CHARACTERS),
            unsubscribe_url=unsubscribe,
            preferences_url=preferences,
        )
        list_unsubscribe = f"<{unsubscribe}>, <mailto:{self.mailto}?subject=unsubscribe-{token}>"
        message_id = message_id or self.message_id(delivery_pk)
        message = mime.NewsletterMessage(
            subject=self.subject,
            body=text,
            from_email=self.from_email,
            to=[email],
            headers={
                "List-Unsubscribe": list_unsubscribe,
                "List-Unsubscribe-Post": self.LIST_UNSUBSCRIBE_POST,
                "Message-ID": message_id,
            },
        )
        message.attach_alternative(html, "text/html")
        message.serialised = self.template.render(
            to=email,
            message_id=message_id,
            list_unsubscribe=list_unsubscribe,
            text=text,
            html=html,
        )
        return message


# --- Claiming, sending, finishing -----------------------------------------------------------


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def deliveries_release_stale(*, issue_pk: int | None = None) -> tuple[int, int]:
    """Return rows claimed by a worker that died to pending, to be sent by the next one. The
    first still-claimed row of each claim was the message in hand when the worker died; it is
    noted as possibly sent twice. Returns (released, noted)."""
    cutoff = now() - CLAIM_TIMEOUT
    stale = Delivery.objects.filter(status=Delivery.Status.CLAIMED, claimed_at__lt=cutoff)
    if issue_pk is not None:
        stale = stale.filter(issue_id=issue_pk)
    with transaction.atomic():
        firsts = list(
            stale.order_by()
            .values("claim")
            .annotate(first=Min("id"))
            .values_list("first", flat=True)
        )
        if not firsts:
            return 0, 0
        uncertain = Delivery.objects.filter(pk__in=firsts, status=Delivery.Status.CLAIMED).update(
            error=UNCERTAIN
        )
        released = stale.update(status=Delivery.Status.PENDING, claim="")
    if released or uncertain:
        logger.warning(
            "newsletter: resuming %s deliveries from dead workers (%s may arrive twice)",
            released,
            uncertain,
        )
    return released, uncertain


def _due(issue_pk: int):
    return Delivery.objects.filter(
        Q(retry_after__isnull=True) | Q(retry_after__lte=now()),
        issue_id=issue_pk,
        status=Delivery.Status.PENDING,
    )


@dataclass
class Claim:
    token: str = ""
    rows: list = field(default_factory=list)  # (pk, subscriber_pk, email, name)
    wait: float = 0.0  # seconds until the rate limit allows more (when rows is empty)


def _rate_allowance(rate: int) -> tuple[int, float]:
    """(messages that may be claimed now, seconds to wait if none). Call under the lock."""
    start = now() - WINDOW
    recent = Delivery.objects.filter(
        Q(status=Delivery.Status.CLAIMED) | Q(sent_at__gte=start)
    ).aggregate(n=Count("id"), oldest=Min("sent_at", filter=Q(sent_at__gte=start)))
    allowance = rate - recent["n"]
    if allowance > 0:
        return allowance, 0.0
    oldest = recent["oldest"]
    wait = (oldest + WINDOW - now()).total_seconds() if oldest else 1.0
    return 0, max(wait, 0.05)


def deliveries_claim(*, issue_pk: int, limit: int | None = None) -> Claim:
    """Claim up to ``limit`` (NEWSLETTER_BATCH_SIZE) due pending rows of the issue for this
    worker, within the rate limit. Two workers never claim the same row."""
    limit = limit or settings.NEWSLETTER_BATCH_SIZE
    rate = settings.NEWSLETTER_RATE_PER_MINUTE
    token = secrets.token_hex(16)
    with transaction.atomic():
        if rate:
            if _is_postgres():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RATE_LOCK_KEY])
            # (SQLite: the IMMEDIATE transaction already serialises writers.)
            allowance, wait = _rate_allowance(rate)
            if not allowance:
                return Claim(wait=wait)
            limit = min(limit, allowance)
        due = _due(issue_pk).order_by("id")
        claimed_at = now()
        if _is_postgres():
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
            if ids:
                Delivery.objects.filter(pk__in=ids).update(
                    status=Delivery.Status.CLAIMED, claim=token, claimed_at=claimed_at
                )
        else:
            Delivery.objects.filter(
                pk__in=due.values("id")[:limit], status=Delivery.Status.PENDING
            ).update(status=Delivery.Status.CLAIMED, claim=token, claimed_at=claimed_at)
    rows = list(
        Delivery.objects.filter(claim=token, status=Delivery.Status.CLAIMED)
        .order_by("id")
        .values_list("id", "subscriber_id", "email", "subscriber__name")
    )
    return Claim(token=token, rows=rows)


def _classify(exc: BaseException) -> str:
    """'permanent' (this recipient or message will never be accepted), 'temporary' (try this
    message again later) or 'connection' (the server is unreachable: stop the batch)."""
    from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return "permanent" if codes and all(code >= 500 for code in codes) else "temporary"
    if isinstance(exc, AnymailRecipientsRefused):
        return "permanent"
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPConnectError)):
        return "connection"  # refused at the door or our own address: nothing else will go
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code >= 500:
            return "permanent"
        if exc.smtp_code == 421:  # service closing the channel
            return "connection"
        return "temporary"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "connection"
    if isinstance(exc, (OSError, socket.timeout)):
        return "connection"
    if isinstance(exc, AnymailAPIError):
        return "temporary"
    if isinstance(exc, smtplib.SMTPException):
        return "temporary"
    raise exc


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    retry: int = 0
    released: int = 0
    trouble: str = ""


class _Marker:
    """Records each outcome straight away (one UPDATE, autocommitted)."""

    def __init__(self):
        self.table = Delivery._meta.db_table
        self.cursor = connection.cursor()
        if _is_postgres():
            # A worker that is killed loses nothing committed; only a crash of the database
            # server itself could lose the last few marks, and that is a restart anyway.
            self.cursor.execute("SET synchronous_commit TO OFF")

    def sent(self, pk: int, message_id: str) -> None:
        self.cursor.execute(
            f"UPDATE {self.table} SET status = %s, sent_at = %s, message_id = %s, claim = '', "  # noqa: S608
            "retry_after = NULL WHERE id = %s",
            [Delivery.Status.SENT, now(), message_id[:255], pk],
        )

    def close(self):
        if _is_postgres():
            self.cursor.execute("SET synchronous_commit TO DEFAULT")
        self.cursor.close()


def _retry_later(pk: int, error: str) -> None:
    row = Delivery.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 0
    attempts = row + 1
    if attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk=pk).update(
            status=Delivery.Status.FAILED, attempts=attempts, error=error[:500], claim=""
        )
        return
    Delivery.objects.filter(pk=pk).update(
        status=Delivery.Status.PENDING,
        attempts=attempts,
        error=error[:500],
        claim="",
        retry_after=now() + RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)],
    )


def _release(token: str) -> int:
    return Delivery.objects.filter(claim=token, status=Delivery.Status.CLAIMED).update(
        status=Delivery.Status.PENDING, claim=""
    )


def batch_send(
    *, issue: Issue, claim: Claim, stop_at: float | None = None, should_stop=None
) -> BatchResult:
    """Send the claimed rows in order over one connection, recording each outcome as soon as
    it is known. When ``stop_at`` (time.monotonic()) passes or ``should_stop()`` is true, what
    is left goes back to pending."""
    result = BatchResult()
    builder = MessageBuilder(issue, rendered_issue(issue))
    backend = get_connection()
    marker = _Marker()
    try:
        try:
            backend.open()
        except Exception as exc:  # noqa: BLE001 - classified below
            _classify(exc)
            result.trouble = f"{type(exc).__name__}: {exc}"
            result.released = _release(claim.token)
            return result
        for pk, subscriber_pk, email, name in claim.rows:
            out_of_time = stop_at is not None and time.monotonic() > stop_at
            if (out_of_time and result.sent + result.failed + result.retry) or (
                should_stop is not None and should_stop()
            ):  # (always at least one message per claim, so a send always moves on)
                result.released = _release(claim.token)
                break
            message_id = builder.message_id(pk)
            message = builder.build(
                delivery_pk=pk,
                subscriber_pk=subscriber_pk,
                email=email,
                name=name or "",
                message_id=message_id,
            )
            try:
                accepted = backend.send_messages([message])
            except Exception as exc:  # noqa: BLE001 - classified below
                error = f"{type(exc).__name__}: {exc}"
                try:
                    kind = _classify(exc)
                except Exception:
                    # An error we do not know (a bug, a custom backend): the backend said the
                    # message was not sent, so it and the rest go back, and the task fails.
                    Delivery.objects.filter(pk=pk).update(
                        status=Delivery.Status.PENDING,
                        claim="",
                        attempts=F("attempts") + 1,
                        error=error[:500],
                    )
                    _release(claim.token)
                    raise
                if kind == "permanent":
                    Delivery.objects.filter(pk=pk).update(
                        status=Delivery.Status.FAILED, error=error[:500], claim=""
                    )
                    result.failed += 1
                    continue
                if kind == "temporary":
                    _retry_later(pk, error)
                    result.retry += 1
                    continue
                # the connection is gone: this message and the rest go back, untouched
                Delivery.objects.filter(pk=pk).update(
                    status=Delivery.Status.PENDING, claim="", error=error[:500]
                )
                result.trouble = error
                result.released = _release(claim.token) + 1
                break
            if not accepted:
                _retry_later(pk, "not accepted by the email backend")
                result.retry += 1
                continue
            status = getattr(message, "anymail_status", None)
            provider_id = getattr(status, "message_id", None) if status else None
            marker.sent(pk, str(provider_id) if provider_id not in (None, "") else message_id)
            result.sent += 1
    finally:
        marker.close()
        try:
            backend.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail too
            logger.debug("newsletter: closing the mail connection failed", exc_info=True)
    return result


def issue_finish_if_done(*, issue_pk: int) -> bool:
    """Mark the issue SENT when no row is pending or claimed. Returns True when it is SENT."""
    open_rows = Delivery.objects.filter(
        issue_id=issue_pk, status__in=[Delivery.Status.PENDING, Delivery.Status.CLAIMED]
    )
    if open_rows.exists():
        return False
    Issue.objects.filter(pk=issue_pk, status=Issue.Status.SENDING).update(
        status=Issue.Status.SENT, sent_at=now()
    )
    return Issue.objects.filter(pk=issue_pk, status=Issue.Status.SENT).exists()


@dataclass
class WorkResult:
    sent: int = 0
    failed: int = 0
    retry: int = 0
    batches: int = 0
    done: bool = False  # the issue is SENT (nothing pending or claimed)
    more: bool = False  # due rows remain (stopped for time or the rate limit)
    wait: float = 0.0  # seconds until the rate limit or a retry allows more
    trouble: str = ""


def _next_retry_wait(issue_pk: int) -> float:
    soonest = (
        Delivery.objects.filter(issue_id=issue_pk, status=Delivery.Status.PENDING)
        .aggregate(t=Min("retry_after"))
        .get("t")
    )
    if soonest is None:
        return 0.0
    return max((soonest - now()).total_seconds(), 0.0)


def issue_work(
    *,
    issue_pk: int,
    budget: float | None = None,
    may_sleep: bool = False,
    max_sleep: float = 65.0,
    progress=None,
    should_stop=None,
) -> WorkResult:
    """Claim and send batches of the issue until nothing is due, ``budget`` seconds pass, or
    the mail server is in trouble. With ``may_sleep`` it waits out the rate limit itself
    (the shell command); otherwise it returns ``more`` and ``wait`` for the caller to
    re-enqueue. Idempotent: safe to run in any number of processes at once."""
    result = WorkResult()
    issue = Issue.objects.filter(pk=issue_pk).first()
    if issue is None or issue.status not in (Issue.Status.SENDING, Issue.Status.SENT):
        return result
    deliveries_release_stale(issue_pk=issue_pk)
    started = time.monotonic()
    stop_at = started + budget if budget is not None else None
    # stop sending from a claim well before another worker may take it as stale
    claim_deadline = CLAIM_TIMEOUT.total_seconds() / 2
    while True:
        if (stop_at is not None and time.monotonic() >= stop_at) or (
            should_stop is not None and should_stop()
        ):
            result.more = True
            break
        claim = deliveries_claim(issue_pk=issue_pk)
        if not claim.rows:
            if claim.wait:
                if may_sleep and claim.wait <= max_sleep:
                    sleep(claim.wait)
                    continue
                result.more, result.wait = True, claim.wait
                break
            result.done = issue_finish_if_done(issue_pk=issue_pk)
            if not result.done:
                result.wait = _next_retry_wait(issue_pk)
                result.more = (
                    _due(issue_pk).exists()
                    or Delivery.objects.filter(
                        issue_id=issue_pk, status=Delivery.Status.PENDING
                    ).exists()
                )
            break
        batch_stop = time.monotonic() + claim_deadline
        if stop_at is not None:
            batch_stop = min(batch_stop, stop_at)
        batch = batch_send(issue=issue, claim=claim, stop_at=batch_stop, should_stop=should_stop)
        result.batches += 1
        result.sent += batch.sent
        result.failed += batch.failed
        result.retry += batch.retry
        if progress is not None:
            progress(result)
        if batch.trouble:
            result.trouble = batch.trouble
            result.more, result.wait = True, 60.0
            break
    return result


# --- Cron: scheduled issues and stalled sends -----------------------------------------------


def issues_start_due() -> list[int]:
    """Start every scheduled issue whose time has come. Returns their primary keys."""
    started = []
    for issue in Issue.objects.filter(
        status=Issue.Status.SCHEDULED, scheduled_for__lte=now()
    ).order_by("scheduled_for"):
        try:
            issue_send_now(issue=issue, by=None)
        except SendingError:
            continue  # another run started it first
        started.append(issue.pk)
    return started


def issues_resume() -> list[int]:
    """Release dead workers' claims and start workers for every issue with rows due but no
    worker seen for a while (two minutes). Returns the issues resumed."""
    deliveries_release_stale()
    quiet_since = now() - timedelta(minutes=2)
    candidates = (
        Delivery.objects.filter(
            Q(retry_after__isnull=True) | Q(retry_after__lte=now()),
            status=Delivery.Status.PENDING,
            issue__status__in=[Issue.Status.SENDING, Issue.Status.SENT],
        )
        .order_by()
        .values_list("issue_id", flat=True)
        .distinct()
    )
    resumed = []
    for issue_pk in candidates:
        last = Delivery.objects.filter(issue_id=issue_pk).aggregate(
            claimed=Max("claimed_at"), sent=Max("sent_at")
        )
        recent = [t for t in last.values() if t is not None]
        if recent and max(recent) > quiet_since:
            continue  # a worker is on it
        transaction.on_commit(lambda pk=issue_pk: enqueue_workers(pk, workers=1))
        resumed.append(issue_pk)
    return resumed
