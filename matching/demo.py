"""Demo offers and needs, a few introductions and collaborations, and suggestions for them.

Everything is fictional. Written with bulk inserts; suggestions are computed at the end for demo
networks of up to 3,000 people (larger ones: run ``manage.py matching_recompute_suggestions``).
"""

from datetime import timedelta

from django.utils import timezone

from matching.models import (
    Category,
    Collaboration,
    CollaborationSource,
    FollowUp,
    FollowUpAnswer,
    Introduction,
    IntroductionStatus,
    Item,
    ItemKind,
    PairingPreference,
)
from members.models import AffiliationStatus, MembershipStatus, OrganisationMembership, User

OFFERS = [
    ("venue-or-space", "We can lend our church hall on weekday mornings for community groups."),
    ("venue-or-space", "Our community centre has a meeting room free most Tuesday afternoons."),
    ("venue-or-space", "We have a garden with raised beds that other groups are welcome to use."),
    ("venue-or-space", "Our kitchen is free on Fridays if you want to run a cookery session."),
    ("funding-advice", "I have written lots of successful grant bids and am happy to read yours."),
    ("funding-advice", "We can share our list of local trusts that fund loneliness projects."),
    ("volunteers", "Our volunteer drivers can take people to groups and appointments."),
    ("volunteers", "Students from the local college are looking for volunteering placements."),
    ("training", "We run free dementia awareness sessions for staff and volunteers."),
    ("training", "We can train your volunteers in listening skills for phone befriending."),
    (
        "mentoring",
        "I have led a small charity for 15 years and would like to mentor a new manager.",
    ),
    ("digital-skills", "Our digital buddies help older people use tablets and video calls."),
    ("digital-skills", "I build simple websites for small charities, free of charge."),
    ("evaluation-and-impact", "We can help you design a short survey to show your impact."),
    ("partnership", "We would like to team up with a care home on an intergenerational project."),
    ("peer-support", "We meet monthly online with other befriending coordinators: come along."),
    ("peer-support", "Happy to share what we learned setting up our bereavement café."),
    ("safeguarding", "Our safeguarding lead can review policies for small groups."),
    ("promotion", "Our newsletter reaches 3,000 local people and can feature your activities."),
    ("promotion", "I am a graphic designer and can make posters and leaflets for you."),
]
NEEDS = [
    ("venue-or-space", "Looking for a free room for our weekly coffee morning."),
    ("venue-or-space", "We need somewhere outdoors where our members can grow vegetables."),
    ("venue-or-space", "We want to start a lunch club but have nowhere to cook."),
    ("funding-advice", "Our funding ends in March and we do not know who to ask next."),
    ("funding-advice", "First time applying for a grant and would love someone to check it."),
    ("volunteers", "People cannot get to our sessions because there are hardly any buses."),
    ("volunteers", "We need more helpers to set up and serve tea on Saturdays."),
    ("training", "Our café wants to welcome people who are becoming forgetful."),
    ("training", "New volunteers feel awkward on calls and do not know what to say."),
    ("mentoring", "I am new to running our group and would value advice from someone experienced."),
    ("digital-skills", "Many of our members have never been online and cannot join video calls."),
    ("digital-skills", "Nobody can find us on the internet: we need a simple web page."),
    ("evaluation-and-impact", "Funders want evidence that our work reduces loneliness."),
    ("partnership", "Our nursery would like to connect the children with older neighbours."),
    (
        "peer-support",
        "I feel alone in my role and would like to talk to others doing the same job.",
    ),
    ("peer-support", "We want to start something for people who have lost a partner."),
    ("safeguarding", "Our trustees asked us to get our protection policies in order."),
    ("promotion", "Not enough people know about our new walking group."),
    ("promotion", "Our leaflets look homemade and we would like something more professional."),
]


def seed(ctx):
    rng = ctx.rng
    now = timezone.now()
    categories = {c.slug: c for c in Category.objects.all()}
    if not categories:
        return
    people = list(
        User.objects.filter(status=MembershipStatus.ACTIVE, is_coordinator=False)
        .order_by("id")
        .values_list("id", "email")
    )
    if len(people) < 4:
        return
    org_of = dict(
        OrganisationMembership.objects.filter(
            status=AffiliationStatus.ACTIVE, organisation__status=MembershipStatus.ACTIVE
        )
        .order_by("id")
        .values_list("user_id", "organisation_id")
    )
    by_email = {email: pk for pk, email in people}
    items = []

    def add(user_id, kind, slug, text, days_ago):
        items.append(
            Item(
                owner_id=user_id,
                organisation_id=org_of.get(user_id),
                kind=kind,
                category=categories[slug],
                description=text,
                created_at=now - timedelta(days=days_ago),
                updated_at=now - timedelta(days=days_ago),
            )
        )

    # The demo member needs a room; someone else has a hall to lend: a match to show.
    member_id = by_email.get("member@example.org")
    others = [pk for pk, email in people if not email.endswith("@example.org")]
    if member_id:
        add(member_id, ItemKind.NEED, *NEEDS[0], 3)
        add(member_id, ItemKind.OFFER, *OFFERS[19], 3)
    if others:
        add(rng.choice(others), ItemKind.OFFER, *OFFERS[0], 10)
    for user_id, _email in people:
        if user_id == member_id or rng.random() > 0.45:
            continue
        for _i in range(rng.choice((1, 1, 2, 3))):
            kind = rng.choice((ItemKind.OFFER, ItemKind.NEED))
            slug, text = rng.choice(OFFERS if kind == ItemKind.OFFER else NEEDS)
            add(user_id, kind, slug, text, rng.randint(0, 200))
    Item.objects.bulk_create(items, batch_size=2000)

    # A year of introductions and collaborations, so the network health page has a story.
    pool = [pk for pk, _email in people]
    introductions = []
    for _i in range(min(len(pool) // 3, 400)):
        a, b = rng.sample(pool, 2)
        days_ago = rng.randint(1, 360)
        created = now - timedelta(days=days_ago)
        status = rng.choice(
            [IntroductionStatus.ACCEPTED] * 3
            + [IntroductionStatus.DECLINED, IntroductionStatus.EXPIRED]
        )
        if days_ago < 14 and rng.random() < 0.5:
            status = IntroductionStatus.PENDING
        introductions.append(
            Introduction(
                requester_id=a,
                recipient_id=b,
                message="We would love to hear how you run your sessions.",
                status=status,
                created_at=created,
                expires_at=created + timedelta(days=14),
                responded_at=None if status == IntroductionStatus.PENDING else created,
            )
        )
    Introduction.objects.bulk_create(introductions, batch_size=2000, ignore_conflicts=True)
    follow_ups, collaborations = [], []
    accepted = Introduction.objects.filter(status=IntroductionStatus.ACCEPTED).order_by("id")
    for intro in accepted:
        if rng.random() < 0.55:
            answer = rng.choice([FollowUpAnswer.YES, FollowUpAnswer.IN_PROGRESS])
            follow_ups.append(
                FollowUp(introduction=intro, respondent_id=intro.requester_id, answer=answer)
            )
            a, b = sorted((intro.requester_id, intro.recipient_id))
            collaborations.append(
                Collaboration(
                    member_a_id=a,
                    member_b_id=b,
                    source=CollaborationSource.INTRODUCTION,
                    introduction=intro,
                    happened_on=(intro.created_at + timedelta(days=21)).date(),
                )
            )
    for _i in range(min(len(pool) // 10, 100)):
        a, b = sorted(rng.sample(pool, 2))
        collaborations.append(
            Collaboration(
                member_a_id=a,
                member_b_id=b,
                source=rng.choice([CollaborationSource.EVENT, CollaborationSource.GRANT]),
                happened_on=(now - timedelta(days=rng.randint(1, 360))).date(),
            )
        )
    FollowUp.objects.bulk_create(follow_ups, batch_size=2000)
    Collaboration.objects.bulk_create(collaborations, batch_size=2000)
    PairingPreference.objects.bulk_create(
        [
            PairingPreference(member_id=pk, opted_in=True, group_size=rng.choice((2, 2, 3)))
            for pk in pool
            if rng.random() < 0.3
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    ctx.made["matching_items"] = len(items)
    ctx.log(f"  matching: {len(items)} offers and needs, {len(collaborations)} collaborations")
    if ctx.people <= 3000:
        from matching.suggestions import recompute_all

        rows = recompute_all()
        ctx.log(f"  matching: {rows} suggestions")
    else:
        ctx.log("  matching: run `manage.py matching_recompute_suggestions` for suggestions")
