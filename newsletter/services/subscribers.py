"""Writes about subscribers and their consent. Each function is one transaction; emails are
sent by a background task once it commits.

Every opt-in and opt-out writes a :class:`ConsentRecord` with the exact words the person was
shown, so we can say later when, how and to what someone agreed. Answers to the public never
reveal whether an address is subscribed: the person learns that only from their own mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.base_user import BaseUserManager
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.email import send_email_on_commit
from newsletter import links
from newsletter.models import ConsentRecord, Stream, Subscriber, Suppression

Action = ConsentRecord.Action
Method = ConsentRecord.Method

STREAMS = tuple(Stream.values)  # ("newsletter", "events", "digests")

# No more than one subscription email (confirmation, "already subscribed", preference link)
# to one address in this many seconds, so nobody can use the form to flood a mailbox.
EMAIL_INTERVAL = timedelta(minutes=5)

# The words people are shown, stored with each consent record. Change them here and the new
# wording is what gets recorded from then on.
SUBSCRIBE_WORDING = (
    "We will email you what you tick below. We will send you an email first to check that "
    "the address is yours. Every email has a link to change what you get or to stop. We use "
    "your address for nothing else and never share it."
)
STREAM_WORDING = {
    Stream.NEWSLETTER: "The fortnightly newsletter: news, resources, events and opportunities "
    "from the network.",
    Stream.EVENTS: "Event announcements: an email when a new event is open for booking.",
    Stream.DIGESTS: "Group digests: a summary of new posts in the groups you belong to "
    "(for members of the network).",
}
CONFIRM_WORDING = "Yes, send me the emails I asked for."
JOIN_WORDING = (
    "Send me the network’s fortnightly newsletter (news, resources, events and "
    "opportunities). You can stop it at any time from your account or from any newsletter."
)
PREFERENCES_WORDING = (
    "Choose what you would like to receive. Untick everything to stop all our emails."
)
ACCOUNT_VERIFIED_WORDING = "Confirmed the email address of their account on joining."
ACCOUNT_WORDING = "Receive the fortnightly newsletter"
UNSUBSCRIBE_WORDING = "Unsubscribe: stop sending me {streams}."
ONE_CLICK_WORDING = "One-click unsubscribe requested by the mail program (RFC 8058)."


def stream_wording(stream: str) -> str:
    return STREAM_WORDING[Stream(stream)]


def normalise_email(email: str) -> str:
    """The address as typed, trimmed, with its domain in lower case."""
    return BaseUserManager.normalize_email((email or "").strip())


def find_by_email(email: str) -> Subscriber | None:
    return Subscriber.objects.filter(email__iexact=normalise_email(email)).first()


def _record(
    subscriber: Subscriber,
    *,
    stream: str,
    action: str,
    method: str,
    text_shown: str,
    issue=None,
) -> ConsentRecord:
    return ConsentRecord.objects.create(
        subscriber=subscriber,
        stream=stream,
        action=action,
        method=method,
        text_shown=text_shown,
        issue=issue,
    )


def _may_email(subscriber: Subscriber, now) -> bool:
    """True (and noted) if we have not sent this address a subscription email lately."""
    last = subscriber.confirmation_sent_at
    if last is not None and now - last < EMAIL_INTERVAL:
        return False
    subscriber.confirmation_sent_at = now
    subscriber.save(update_fields=["confirmation_sent_at"])
    return True


def _send(subscriber: Subscriber, template: str, **context) -> None:
    send_email_on_commit(
        to=subscriber.email,
        template=f"newsletter/{template}",
        context={"name": subscriber.name, **context},
    )


def _lock(subscriber: Subscriber) -> Subscriber:
    return (
        Subscriber.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=subscriber.pk)
    )


# --- Subscribing (double opt-in) ------------------------------------------------------------


@dataclass(frozen=True)
class SubscribeOutcome:
    """What happened, for tests and logs. The page shown to the person is the same whatever
    it says, so that nobody learns from it whether an address is on our list."""

    subscriber: Subscriber
    created: bool
    emailed: str  # "confirm", "already_subscribed" or "" (nothing sent)


@transaction.atomic
def subscriber_subscribe(
    *,
    email: str,
    streams: list[str] | tuple[str, ...],
    name: str = "",
    text_shown: str = SUBSCRIBE_WORDING,
    method: str = Method.SUBSCRIBE_FORM,
) -> SubscribeOutcome:
    """Someone asks for ``streams`` on the public form.

    A new or unconfirmed address gets the streams it asked for (not yet sendable) and an
    email with a confirmation link. A confirmed address keeps its settings and gets an email
    with a link to its preference centre instead, so a stranger cannot change them. Addresses
    stopped by a bounce or complaint are sent nothing. At most one email per address every
    :data:`EMAIL_INTERVAL`. Each stream asked for writes an opt-in consent record.
    """
    streams = [Stream(stream).value for stream in streams]
    if not streams:
        raise ValueError("Choose at least one stream.")
    email = normalise_email(email)
    name = " ".join((name or "").split())[:150]
    now = timezone.now()
    created = False
    subscriber = Subscriber.objects.select_for_update().filter(email__iexact=email).first()
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=email,
                    name=name,
                    wants_newsletter=False,
                    wants_events=False,
                    wants_digests=False,
                    created_at=now,
                )
                created = True
        except IntegrityError:  # the same address, sent twice at once
            subscriber = Subscriber.objects.select_for_update().get(email__iexact=email)

    if subscriber.suppression:
        return SubscribeOutcome(subscriber, created, "")

    if subscriber.confirmed_at is not None:
        emailed = ""
        if _may_email(subscriber, now):
            _send(
                subscriber,
                "already_subscribed",
                preferences_url=links.preferences_url(subscriber),
            )
            emailed = "already_subscribed"
        return SubscribeOutcome(subscriber, created, emailed)

    # Unconfirmed: what they ask for now replaces what they asked for before.
    for stream in STREAMS:
        setattr(subscriber, f"wants_{stream}", stream in streams)
    if name:
        subscriber.name = name
    subscriber.save(update_fields=["name", *(f"wants_{stream}" for stream in STREAMS)])
    for stream in streams:
        _record(
            subscriber,
            stream=stream,
            action=Action.OPT_IN,
            method=method,
            text_shown=f"{text_shown}\n\n[x] {stream_wording(stream)}",
        )
    emailed = ""
    if _may_email(subscriber, now):
        _send(
            subscriber,
            "confirm_subscription",
            confirm_url=links.confirm_url(subscriber),
            streams=[str(Stream(stream).label) for stream in streams],
        )
        emailed = "confirm"
    return SubscribeOutcome(subscriber, created, emailed)


@transaction.atomic
def subscriber_confirm(
    *,
    subscriber: Subscriber,
    text_shown: str = CONFIRM_WORDING,
    method: str = Method.CONFIRM_LINK,
) -> bool:
    """The person pressed "Confirm" on the page their confirmation link opened. Returns False
    if they had already confirmed (nothing changes). A member's account with the same email
    address is linked."""
    subscriber = _lock(subscriber)
    if subscriber.confirmed_at is not None:
        return False
    subscriber.confirmed_at = timezone.now()
    fields = ["confirmed_at"]
    if subscriber.user_id is None:
        from members.models import User

        user = User.objects.filter(
            email__iexact=subscriber.email, newsletter_subscriber__isnull=True
        ).first()
        if user is not None:
            subscriber.user = user
            fields.append("user")
    subscriber.save(update_fields=fields)
    for stream in STREAMS:
        if getattr(subscriber, f"wants_{stream}"):
            _record(
                subscriber,
                stream=stream,
                action=Action.CONFIRM,
                method=method,
                text_shown=text_shown,
            )
    if subscriber.user_id is not None:
        _sync_member(subscriber)
    return True


@transaction.atomic
def subscriber_request_preferences_link(*, email: str) -> bool:
    """Email the preference-centre link to ``email`` if it is on our list (at most once every
    :data:`EMAIL_INTERVAL`). Returns whether an email was sent; the page shown does not say."""
    subscriber = (
        Subscriber.objects.select_for_update().filter(email__iexact=normalise_email(email)).first()
    )
    if subscriber is None or subscriber.suppression:
        return False
    if not _may_email(subscriber, timezone.now()):
        return False
    if subscriber.confirmed_at is None:
        # Not confirmed yet: the useful link is the confirmation one.
        _send(
            subscriber,
            "confirm_subscription",
            confirm_url=links.confirm_url(subscriber),
            streams=[str(Stream(s).label) for s in STREAMS if getattr(subscriber, f"wants_{s}")],
        )
    else:
        _send(subscriber, "preferences_link", preferences_url=links.preferences_url(subscriber))
    return True


# --- Preferences and leaving ----------------------------------------------------------------


def _sync_member(subscriber: Subscriber) -> None:
    """Keep the member's account in step with their subscriber row (the row is the truth):
    ``User.newsletter_opt_in`` mirrors ``wants_newsletter``."""
    user = subscriber.user
    if user is None:
        return
    if user.newsletter_opt_in != subscriber.wants_newsletter:
        user.newsletter_opt_in = subscriber.wants_newsletter
        user.save(update_fields=["newsletter_opt_in"])


def _set_digests(subscriber: Subscriber, enabled: bool) -> None:
    if subscriber.user_id is None:
        return
    from groups.services import digests_set

    digests_set(user=subscriber.user, enabled=enabled)


@transaction.atomic
def subscriber_set_preferences(
    *,
    subscriber: Subscriber,
    streams: list[str] | tuple[str, ...],
    method: str = Method.PREFERENCE_CENTRE,
    text_shown: str = "",
) -> list[str]:
    """Receive exactly ``streams`` from now on. Each stream that changes writes an opt-in or
    opt-out consent record with the words shown for it. For a member, group digests follow
    onto their group email settings and the newsletter onto their account. Returns the
    streams that changed."""
    wanted = {Stream(stream).value for stream in streams}
    subscriber = _lock(subscriber)
    if subscriber.user is not None and subscriber.user.is_member:
        # For a member, "group digests" is what their group email settings really do.
        from groups.selectors import digests_enabled

        subscriber.wants_digests = digests_enabled(subscriber.user)
    changed = []
    for stream in STREAMS:
        now_wants = stream in wanted
        if getattr(subscriber, f"wants_{stream}") == now_wants:
            continue
        setattr(subscriber, f"wants_{stream}", now_wants)
        changed.append(stream)
        mark = "[x]" if now_wants else "[ ]"
        _record(
            subscriber,
            stream=stream,
            action=Action.OPT_IN if now_wants else Action.OPT_OUT,
            method=method,
            text_shown=f"{text_shown}\n\n{mark} {stream_wording(stream)}".strip(),
        )
        if stream == Stream.DIGESTS:
            _set_digests(subscriber, now_wants)
    if changed:
        subscriber.save(update_fields=[f"wants_{stream}" for stream in changed])
        _sync_member(subscriber)
    return changed


@transaction.atomic
def subscriber_unsubscribe(
    *,
    subscriber: Subscriber,
    stream: str = Stream.NEWSLETTER,
    method: str,
    issue=None,
    text_shown: str | None = None,
) -> bool:
    """Stop ``stream`` for this subscriber (``stream="all"`` stops every stream). Writes an
    opt-out consent record (naming ``issue`` when its unsubscribe link was used) for each
    stream that was on. Returns False when there was nothing to stop, so a mail program that
    POSTs twice records one opt-out."""
    streams = STREAMS if stream == "all" else (Stream(stream).value,)
    if text_shown is None:
        text_shown = (
            ONE_CLICK_WORDING
            if method == Method.ONE_CLICK
            else UNSUBSCRIBE_WORDING.format(
                streams=", ".join(str(Stream(s).label) for s in streams)
            )
        )
    subscriber = _lock(subscriber)
    changed = [s for s in streams if getattr(subscriber, f"wants_{s}")]
    for s in changed:
        setattr(subscriber, f"wants_{s}", False)
        _record(
            subscriber,
            stream=s,
            action=Action.OPT_OUT,
            method=method,
            text_shown=text_shown,
            issue=issue,
        )
        if s == Stream.DIGESTS:
            _set_digests(subscriber, False)
    if changed:
        subscriber.save(update_fields=[f"wants_{s}" for s in changed])
        _sync_member(subscriber)
    return bool(changed)


@transaction.atomic
def subscriber_suppress(*, subscriber: Subscriber, reason: str) -> bool:
    """Stop sending anything to this address (a hard bounce, a spam complaint or a
    coordinator's decision). A complaint also counts as opting out of every stream. Returns
    False if it was already stopped."""
    reason = Suppression(reason).value
    if not reason:
        raise ValueError("Give a reason to stop sending.")
    subscriber = _lock(subscriber)
    if subscriber.suppression:
        return False
    subscriber.suppression = reason
    subscriber.suppressed_at = timezone.now()
    subscriber.save(update_fields=["suppression", "suppressed_at"])
    if reason == Suppression.COMPLAINT:
        subscriber_unsubscribe(
            subscriber=subscriber,
            stream="all",
            method=Method.BOUNCE,
            text_shown=_("Marked our email as spam."),
        )
    return True


@transaction.atomic
def subscriber_unsuppress(*, subscriber: Subscriber) -> None:
    """Send to this address again (a coordinator fixed a mistaken bounce)."""
    Subscriber.objects.filter(pk=subscriber.pk).update(
        suppression=Suppression.NONE, suppressed_at=None, soft_bounces=0
    )


# --- Members --------------------------------------------------------------------------------


def _member_row(user) -> Subscriber | None:
    """The member's subscriber row: linked to the account, or else an unlinked row with the
    same address (which is then linked)."""
    subscriber = Subscriber.objects.select_for_update().filter(user=user).first()
    if subscriber is None:
        subscriber = (
            Subscriber.objects.select_for_update()
            .filter(email__iexact=user.email, user__isnull=True)
            .first()
        )
        if subscriber is not None:
            subscriber.user = user
            subscriber.save(update_fields=["user"])
    return subscriber


def _email_verified(user) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


@transaction.atomic
def member_subscription_start(*, user, text_shown: str = JOIN_WORDING) -> Subscriber | None:
    """A member's account has become active: if they ticked the newsletter box when they
    joined, they get a subscriber row linked to their account and a consent record. It is
    confirmed at once if their account's address is verified, otherwise when they verify it
    (:func:`member_email_confirmed`). Does nothing if they did not tick the box or already
    have a row, so it is safe to call on every activation."""
    if not user.newsletter_opt_in:
        return None
    verified = _email_verified(user)
    subscriber = _member_row(user)
    if subscriber is not None:
        if verified and subscriber.confirmed_at is None and not subscriber.suppression:
            subscriber_confirm(
                subscriber=subscriber, method=Method.JOIN_FORM, text_shown=ACCOUNT_VERIFIED_WORDING
            )
        return subscriber
    subscriber = Subscriber.objects.create(
        email=user.email,
        name=user.full_name,
        user=user,
        wants_newsletter=True,
        confirmed_at=timezone.now() if verified else None,
    )
    _record(
        subscriber,
        stream=Stream.NEWSLETTER,
        action=Action.OPT_IN,
        method=Method.JOIN_FORM,
        text_shown=text_shown,
    )
    return subscriber


def member_wants_newsletter(user) -> bool:
    """What the member's account settings show: their subscriber row if they have one,
    otherwise the choice they made when joining."""
    subscriber = Subscriber.objects.filter(user=user).only("wants_newsletter").first()
    if subscriber is not None:
        return subscriber.wants_newsletter and not subscriber.suppression
    return user.newsletter_opt_in


@transaction.atomic
def member_subscriber_ensure(*, user) -> Subscriber:
    """The member's subscriber row, linked to their account: an existing row for their
    address is linked, or a confirmed one that wants nothing yet is made (their address was
    confirmed when they signed up). Writes no consent record: nothing is switched on."""
    subscriber = _member_row(user)
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=user.email,
                    name=user.full_name,
                    user=user,
                    wants_newsletter=False,
                    confirmed_at=timezone.now(),
                )
        except IntegrityError:  # made by a request at the same moment
            subscriber = _member_row(user)
    elif subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at"])
    return subscriber


@transaction.atomic
def member_newsletter_set(
    *, user, wants: bool, text_shown: str = ACCOUNT_WORDING, method: str = Method.ACCOUNT
) -> Subscriber:
    """A member ticks or clears "receive the newsletter" (account settings): their subscriber
    row and their account change together, with a consent record. Other streams stay."""
    subscriber = member_subscriber_ensure(user=user)
    streams = [s for s in STREAMS if getattr(subscriber, f"wants_{s}") and s != Stream.NEWSLETTER]
    if wants:
        streams.append(Stream.NEWSLETTER)
    subscriber_set_preferences(
        subscriber=subscriber, streams=streams, method=method, text_shown=text_shown
    )
    subscriber.refresh_from_db()
    _sync_member(subscriber)
    return subscriber


@transaction.atomic
def member_email_confirmed(*, user) -> None:
    """The member confirmed an email address for their account (allauth), which may now be
    their primary one. Their subscriber row follows the new address (unless another row
    already has it) and, if they opted in when joining, is confirmed."""
    subscriber = Subscriber.objects.select_for_update().filter(user=user).first()
    if subscriber is None:
        return
    if (
        subscriber.email.lower() != user.email.lower()
        and not Subscriber.objects.filter(email__iexact=user.email)
        .exclude(pk=subscriber.pk)
        .exists()
    ):
        subscriber.email = user.email
        subscriber.save(update_fields=["email"])
    if (
        subscriber.confirmed_at is None
        and subscriber.email.lower() == user.email.lower()
        and subscriber.consents.filter(method=Method.JOIN_FORM).exists()
        and _email_verified(user)
    ):
        subscriber_confirm(
            subscriber=subscriber, method=Method.JOIN_FORM, text_shown=ACCOUNT_VERIFIED_WORDING
        )
