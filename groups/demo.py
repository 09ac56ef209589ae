"""Fictional groups: the network-wide space, a youth loneliness network, intergenerational
connection, a closed group for small grant holders and a community-of-practice cohort, with
threads and replies. Written with bulk inserts; the same for a given seed."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core import search
from groups.models import (
    Challenge,
    Group,
    GroupKind,
    Membership,
    MembershipRole,
    Reply,
    Thread,
    ThreadKind,
)
from groups.services import post_html

GROUPS = [
    ("network", "Network-wide space", "News, questions and introductions for every member.",
     GroupKind.OPEN, True, False),
    ("youth-loneliness-network", "Youth loneliness network",
     "Members working with young people who feel isolated: what works, what does not.",
     GroupKind.OPEN, False, False),
    ("intergenerational-connection", "Intergenerational connection",
     "Bringing older and younger people together: projects, partners and pitfalls.",
     GroupKind.OPEN, False, False),
    ("grant-holders", "Small grant holders", "A closed space for this year's grantees.",
     GroupKind.CLOSED, False, False),
    ("community-of-practice-2026", "Community of practice 2026",
     "Six sessions; each participant brings a challenge and the cohort helps.",
     GroupKind.CLOSED, False, True),
]  # fmt: skip

THREADS = [
    (ThreadKind.QUESTION, "How do you reach young people who never come to anything?",
     "We run a Thursday drop-in but the young people we most want to meet never walk in. "
     "What has worked for you?"),
    (ThreadKind.DISCUSSION, "Tea and tech: older people teaching and learning",
     "Our sixth-formers help with phones; the older people teach them to bake. Both sides "
     "say it is the highlight of the week."),
    (ThreadKind.OPPORTUNITY, "Volunteer drivers wanted in the north east",
     "We have a small budget for mileage and need two more drivers for our lunch club."),
    (ThreadKind.RESOURCE, "Our guide to a welcoming first visit",
     "We wrote down the **small things** that make a first visit feel safe. Comments welcome."),
    (ThreadKind.DISCUSSION, "Keeping volunteers through the winter",
     "Numbers drop every January. What keeps your volunteers coming?"),
]  # fmt: skip

REPLIES = [
    "We went to where they already are: the skate park and the library. It took months.",
    "A named person who texts before the first visit made the biggest difference for us.",
    "Thank you, this is really useful. Could we talk at the next get-together?",
    "We pair new volunteers with an old hand for their first four sessions.",
    "Same here. A warm room and a hot drink helped more than anything we planned.",
]


def seed(ctx):
    from members.models import MembershipStatus, User

    rng = ctx.rng
    people = list(
        User.objects.filter(status=MembershipStatus.ACTIVE, is_active=True).order_by("id")[:80]
    )
    if len(people) < 6:
        ctx.log("  groups: not enough members; skipped")
        return
    now = timezone.now()
    groups = []
    for slug, name, purpose, kind, network, cohort in GROUPS:
        group, _ = Group.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "purpose": purpose, "kind": kind,
                      "is_network_wide": network, "is_cohort": cohort},
        )  # fmt: skip
        groups.append(group)
    memberships = []
    for group in groups:
        if group.is_network_wide:
            continue
        chosen = rng.sample(people, min(len(people), 15 if group.is_cohort else 25))
        for i, person in enumerate(chosen):
            memberships.append(
                Membership(group=group, user=person,
                           role=MembershipRole.HOST if i == 0 else MembershipRole.MEMBER)
            )  # fmt: skip
    Membership.objects.bulk_create(memberships, ignore_conflicts=True)
    threads = []
    for group in groups:
        for kind, title, body in rng.sample(THREADS, 3):
            started = now - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 23))
            threads.append(
                Thread(group=group, author=rng.choice(people), kind=kind, title=title, body=body,
                       body_html=post_html(body), created_at=started, last_activity_at=started)
            )  # fmt: skip
    threads = Thread.objects.bulk_create(threads)
    replies = []
    for thread in threads:
        count = rng.randint(0, 6)
        for i in range(count):
            body = rng.choice(REPLIES)
            replies.append(
                Reply(thread=thread, author=rng.choice(people), body=body, body_html=post_html(body),
                      created_at=thread.created_at + timedelta(hours=3 * (i + 1)))
            )  # fmt: skip
        thread.reply_count = count
        thread.last_activity_at = thread.created_at + timedelta(hours=3 * count)
    Reply.objects.bulk_create(replies)
    Thread.objects.bulk_update(threads, ["reply_count", "last_activity_at"])
    cohort = groups[-1]
    challenges = [
        Challenge(group=cohort, user=m.user, question=q)
        for m, q in zip(
            Membership.objects.filter(group=cohort).select_related("user")[:3],
            [
                "How do we keep people coming after the first visit?",
                "How can we measure loneliness without making people feel labelled?",
                "How do we share a building with another group without friction?",
            ],
            strict=False,
        )
    ]
    Challenge.objects.bulk_create(challenges, ignore_conflicts=True)
    search.search_index_rebuild(Group)
    search.search_index_rebuild(Thread)
    ctx.log(f"  groups: {len(groups)} groups, {len(threads)} threads, {len(replies)} replies")
