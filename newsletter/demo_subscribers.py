"""The demo network's subscribers: every active member who opted in, plus about forty members
of the public (a few still unconfirmed, one who unsubscribed, one whose address bounced)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

FIRST = [
    "Aled", "Bethan", "Chidi", "Dawn", "Eilidh", "Farah", "Gareth", "Hana", "Imran", "Joy",
    "Kofi", "Lowri", "Maya", "Niamh", "Owen", "Priya", "Rhys", "Sade", "Tom", "Uzma",
]  # fmt: skip
LAST = [
    "Ahmed", "Brown", "Campbell", "Davies", "Evans", "Francis", "Green", "Hughes", "Iqbal",
    "Jones", "Khan", "Lewis", "Morgan", "Nowak", "Owusu", "Patel", "Roberts", "Smith",
]  # fmt: skip
DOMAINS = ["example.net", "example.com", "example.org"]
PUBLIC = 40


def seed(ctx):
    """Subscribers: members who opted in and members of the public."""
    from members.models import MembershipStatus, User
    from newsletter.models import ConsentRecord, Subscriber, Suppression
    from newsletter.services.subscribers import (
        CONFIRM_WORDING,
        JOIN_WORDING,
        STREAM_WORDING,
        SUBSCRIBE_WORDING,
        UNSUBSCRIBE_WORDING,
    )

    if Subscriber.objects.exists():
        ctx.log("  newsletter: there are subscribers already; skipped")
        return
    rng = ctx.rng
    now = timezone.now().replace(microsecond=0)
    Action, Method = ConsentRecord.Action, ConsentRecord.Method

    members = list(
        User.objects.filter(status=MembershipStatus.ACTIVE, is_active=True, newsletter_opt_in=True)
        .order_by("pk")
        .values_list("pk", "email", "full_name", "date_joined")
    )
    rows = [
        Subscriber(
            email=email,
            name=name,
            user_id=pk,
            wants_newsletter=True,
            wants_events=rng.random() < 0.4,
            wants_digests=False,
            created_at=joined,
            confirmed_at=joined,
        )
        for pk, email, name, joined in members
    ]
    taken = {email.lower() for _pk, email, _n, _j in members}
    plan = []  # (subscriber, kind) for the public
    for n in range(PUBLIC):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{n}@{rng.choice(DOMAINS)}".lower()
        if email in taken:
            continue
        taken.add(email)
        created = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 600))
        kind = (
            "pending"
            if n % 10 == 3
            else "unsubscribed"
            if n == 7
            else "bounced"
            if n == 11
            else "confirmed"
        )
        subscriber = Subscriber(
            email=email,
            name=first if rng.random() < 0.7 else "",
            wants_newsletter=kind != "unsubscribed",
            wants_events=rng.random() < 0.5,
            created_at=created,
            confirmed_at=None if kind == "pending" else created + timedelta(minutes=12),
            confirmation_sent_at=created,
            suppression=Suppression.HARD_BOUNCE if kind == "bounced" else "",
            suppressed_at=now - timedelta(days=20) if kind == "bounced" else None,
        )
        rows.append(subscriber)
        plan.append((subscriber, kind))
    Subscriber.objects.bulk_create(rows, batch_size=500)

    # bulk_create sets primary keys on both databases we support (PostgreSQL, SQLite 3.35+).
    by_email = dict(Subscriber.objects.values_list("email", "pk"))
    consents = [
        ConsentRecord(
            subscriber_id=by_email[email],
            stream="newsletter",
            action=Action.OPT_IN,
            method=Method.JOIN_FORM,
            text_shown=JOIN_WORDING,
            created_at=joined,
        )
        for _pk, email, _name, joined in members
    ]
    for subscriber, kind in plan:
        pk = by_email[subscriber.email]
        streams = ["newsletter"] + (["events"] if subscriber.wants_events else [])
        for stream in streams:
            consents.append(
                ConsentRecord(
                    subscriber_id=pk,
                    stream=stream,
                    action=Action.OPT_IN,
                    method=Method.SUBSCRIBE_FORM,
                    text_shown=f"{SUBSCRIBE_WORDING}\n\n[x] {STREAM_WORDING[stream]}",
                    created_at=subscriber.created_at,
                )
            )
            if subscriber.confirmed_at:
                consents.append(
                    ConsentRecord(
                        subscriber_id=pk,
                        stream=stream,
                        action=Action.CONFIRM,
                        method=Method.CONFIRM_LINK,
                        text_shown=CONFIRM_WORDING,
                        created_at=subscriber.confirmed_at,
                    )
                )
        if kind == "unsubscribed":
            consents.append(
                ConsentRecord(
                    subscriber_id=pk,
                    stream="newsletter",
                    action=Action.OPT_OUT,
                    method=Method.UNSUBSCRIBE_LINK,
                    text_shown=UNSUBSCRIBE_WORDING.format(streams="the fortnightly newsletter"),
                    created_at=now - timedelta(days=30),
                )
            )
    ConsentRecord.objects.bulk_create(consents, batch_size=1000)
    ctx.made["subscribers"] = len(rows)
    ctx.log(
        f"  newsletter: {len(members)} members and {len(plan)} members of the public subscribed"
    )
