"""Demo accounts and organisations. Names are invented from word lists: never a real charity."""

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.text import slugify

from members.models import (
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
    User,
)

FIRST_NAMES = (
    "Aisha Alun Amara Amir Ann Beth Bronwen Callum Chidi Ciara Dafydd Deepa Eilidh Emeka Fatima "
    "Fiona Gareth Grace Hamish Hana Ifan Imran Isla Jamal Jean Kofi Leila Lowri Mairi Marek Maya "
    "Megan Niamh Nia Olu Owen Priya Rhys Rosa Ruth Sana Seren Siobhan Tariq Tom Una Wen Yusuf Zara"
).split()
LAST_NAMES = (
    "Adeyemi Ahmed Baker Begum Campbell Chen Davies Doherty Evans Fraser Green Griffiths Hughes "
    "Jones Kaur Kelly Khan Lewis MacLeod Mensah Morgan Murphy Nowak Okafor O'Brien Owen Patel "
    "Price Reid Roberts Robertson Shah Singh Smith Stewart Taylor Thomas Walsh Watson Williams"
).split()
PLACES = (
    "Ashby Bramwell Carrowmore Dunmere Eastholm Fernbridge Glenarrow Hartfield Inverbrae "
    "Kelsworth Langmoor Llanfair Marlow Netherby Oakhurst Penrhos Queensferry Redbrook "
    "Saltmarsh Thornbury Ulverdale Westerleigh Whitstow Yarrowdale Ynysmaen"
).split()
KINDS = [
    "Friendship Circle", "Community Hub", "Lunch Club", "Men's Shed", "Youth Project",
    "Befriending Service", "Memory Café", "Walking Group", "Arts Collective", "Welcome Centre",
    "Good Neighbours", "Community Garden", "Talking Café", "Carers' Network", "Tea & Chat",
    "Digital Buddies", "Bereavement Café", "Intergenerational Project", "Heritage Society",
    "Wellbeing Trust",
]  # fmt: skip
DESCRIPTIONS = [
    "We run weekly drop-in sessions where older neighbours can share a cup of tea and a chat.",
    "Volunteers visit people who live alone and phone them every week for a friendly catch-up.",
    "A welcoming space for young people aged 11 to 18 who feel isolated at school or at home.",
    "We help people get online with patient one-to-one support and loan tablets.",
    "Peer support groups for people who have lost someone close to them.",
    "Creative workshops that bring together people of all ages to make and share art.",
    "A garden where neighbours grow food together and share what they harvest.",
    "We welcome refugees and people seeking asylum with conversation clubs and meals.",
    "Dementia-friendly activities for people living with dementia and those who care for them.",
    "Walks, talks and trips that help men in later life build new friendships.",
]
POSTCODES = (
    "BS1 CF10 LS6 M14 NE1 EH8 G12 BT7 SA1 NR2 EX4 PL1 TR1 YO1 S10 L8 B15 NG7 CB1 OX4".split()
)


def _person_name(rng):
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def seed(ctx):
    rng = ctx.rng
    now = timezone.now()
    password = make_password("coalition-demo-2026")  # hashed once, shared by every demo account

    orgs = []
    used = set()
    for i in range(ctx.orgs):
        name = f"{rng.choice(PLACES)} {rng.choice(KINDS)}"
        if name in used:
            name = f"{name} {i + 1}"
        used.add(name)
        status = MembershipStatus.ACTIVE if rng.random() < 0.9 else MembershipStatus.PENDING
        orgs.append(
            Organisation(
                name=name,
                slug=slugify(name)[:200] or f"org-{i}",
                description=rng.choice(DESCRIPTIONS),
                postcode=rng.choice(POSTCODES),
                status=status,
                created_at=now,
            )
        )
    Organisation.objects.bulk_create(orgs, batch_size=2000)
    orgs = list(Organisation.objects.order_by("id"))

    fixed = [
        ("coordinator@example.org", "Cerys Coordinator", MembershipStatus.ACTIVE, True),
        ("orgadmin@example.org", "Olu Orgadmin", MembershipStatus.ACTIVE, False),
        ("member@example.org", "Maya Member", MembershipStatus.ACTIVE, False),
        ("pending@example.org", "Priya Pending", MembershipStatus.PENDING, False),
    ]
    users = [
        User(
            email=email,
            full_name=name,
            status=status,
            is_coordinator=coordinator,
            is_staff=coordinator,
            password=password,
            date_joined=now,
        )
        for email, name, status, coordinator in fixed
    ]
    for i in range(max(ctx.people - len(fixed), 0)):
        name = _person_name(rng)
        roll = rng.random()
        status = (
            MembershipStatus.ACTIVE
            if roll < 0.85
            else MembershipStatus.PENDING
            if roll < 0.92
            else MembershipStatus.LAPSED
        )
        email = f"{slugify(name).replace('-', '.')}.{i}@example.net"
        users.append(
            User(email=email, full_name=name, status=status, password=password, date_joined=now)
        )
    User.objects.bulk_create(users, batch_size=2000)
    users = list(User.objects.order_by("id").only("id", "email"))
    EmailAddress.objects.bulk_create(
        [EmailAddress(user_id=u.id, email=u.email, verified=True, primary=True) for u in users],
        batch_size=2000,
    )

    memberships = []
    if orgs:
        by_email = {u.email: u for u in users}
        memberships.append(
            OrganisationMembership(
                user=by_email["orgadmin@example.org"], organisation=orgs[0], role="admin"
            )
        )
        memberships.append(
            OrganisationMembership(user=by_email["member@example.org"], organisation=orgs[0])
        )
        for user in users[len(fixed) :]:
            if rng.random() < 0.8:  # most people belong to an organisation; some join alone
                memberships.append(
                    OrganisationMembership(
                        user=user,
                        organisation=rng.choice(orgs),
                        role=OrganisationRole.ADMIN if rng.random() < 0.2 else "member",
                    )
                )
    OrganisationMembership.objects.bulk_create(memberships, batch_size=5000, ignore_conflicts=True)
    ctx.made["organisations"] = len(orgs)
    ctx.made["users"] = len(users)
    ctx.log(f"  members: {len(orgs)} organisations, {len(users)} people")

    from members import demo_joining

    demo_joining.seed(ctx)
