"""Reads about subscribers: the one a signed link points to, what their preference centre
shows, and counts for coordinators."""

from __future__ import annotations

from django.db.models import Count, F, Q

from newsletter.models import Issue, Stream, Subscriber
from newsletter.tokens import read_token

STREAMS = tuple(Stream.values)


def subscriber_from_token(purpose: str, token: str) -> tuple[Subscriber, Issue | None] | None:
    """The subscriber (and issue, for unsubscribe links) a signed link names, or None when the
    link was changed, is for another purpose, has expired or names nobody any more."""
    data = read_token(purpose, token)
    if data is None:
        return None
    subscriber = Subscriber.objects.select_related("user").filter(pk=data.subscriber_pk).first()
    if subscriber is None:
        return None
    issue = None
    if data.issue_pk is not None:
        issue = Issue.objects.filter(pk=data.issue_pk).only("pk", "number", "subject").first()
    return subscriber, issue


def confirm_token_expired(token: str) -> bool:
    """True when a confirmation link was genuine but is too old (so the page can say so)."""
    from django.core import signing

    try:
        signing.loads(token, salt="newsletter.confirm")
    except signing.BadSignature:
        return False
    return read_token("confirm", token) is None


def offers_digests(subscriber: Subscriber | None, user=None) -> bool:
    """Group digests are for members of the network (they come from the groups they are in)."""
    user = user if user is not None else getattr(subscriber, "user", None)
    return bool(user is not None and user.is_member)


def preferences_initial(subscriber: Subscriber | None, user=None) -> list[str]:
    """The streams ticked when the preference centre opens: what is really sent (nothing
    without a subscriber row). For a member, group digests show what their group email
    settings do."""
    user = user if user is not None else getattr(subscriber, "user", None)
    if subscriber is None or subscriber.suppression:
        streams = []
    else:
        streams = [s for s in STREAMS if getattr(subscriber, f"wants_{s}")]
    if offers_digests(subscriber, user):
        from groups.selectors import digests_enabled

        streams = [s for s in streams if s != Stream.DIGESTS]
        if digests_enabled(user):
            streams.append(Stream.DIGESTS.value)
    return streams


def subscriber_counts() -> dict:
    """How many addresses there are in each state, and how many want each stream."""
    confirmed = Q(confirmed_at__isnull=False, suppression="")
    return Subscriber.objects.aggregate(
        total=Count("pk"),
        confirmed=Count("pk", filter=confirmed),
        pending=Count("pk", filter=Q(confirmed_at__isnull=True, suppression="")),
        suppressed=Count("pk", filter=~Q(suppression="")),
        members=Count("pk", filter=confirmed & Q(user__isnull=False)),
        **{
            f"wants_{s}": Count("pk", filter=confirmed & Q(**{f"wants_{s}": True})) for s in STREAMS
        },
    )


def subscriber_for_user(user) -> Subscriber | None:
    """The signed-in person's subscriber row: the one linked to their account, or else one
    with their address that is linked to nobody."""
    return (
        Subscriber.objects.filter(Q(user=user) | Q(email__iexact=user.email, user__isnull=True))
        .select_related("user")
        .order_by(F("user_id").desc(nulls_last=True))
        .first()
    )


def subscribers_for_coordinator(q: str = "", *, limit: int = 50) -> list[Subscriber]:
    """The newest subscribers (or those whose address or name contains ``q``), each with its
    latest consent record, in two queries however many there are."""
    from newsletter.models import ConsentRecord

    rows = Subscriber.objects.select_related("user").order_by("-created_at", "-pk")
    q = " ".join(q.split())[:100]
    if q:
        rows = rows.filter(Q(email__icontains=q) | Q(name__icontains=q))
    rows = list(rows[:limit])
    latest = {}
    for record in ConsentRecord.objects.filter(subscriber__in=[s.pk for s in rows]).order_by(
        "subscriber_id", "-created_at", "-pk"
    ):
        latest.setdefault(record.subscriber_id, record)
    for subscriber in rows:
        subscriber.latest_consent = latest.get(subscriber.pk)
    return rows
