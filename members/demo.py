"""Demo accounts and organisations. Names are invented from word lists: never a real charity.

Everything is written with bulk inserts (50,000 organisations and 100,000 people take a minute
or two), then the search index is built in one pass. Places are real postcode districts from
``core/data/uk-outcodes.csv`` (see ``core/data/README.md`` for its origin) so that "near a
postcode" works; the rest of each postcode is made up.
"""

import csv
import math
import time
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection, connections, router
from django.utils import timezone
from django.utils.text import slugify

from core import geo, search
from members.models import (
    AffiliationStatus,
    AreaServed,
    Audience,
    FocusArea,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
    Region,
    StaffSize,
    Turnover,
    User,
    Visibility,
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
# Invented place names: a first part and an ending ("Ashbrook", "Fernleigh").
PLACE_STARTS = (
    "Ash Bram Carrow Dun East Fern Glen Hart Inver Kels Lang Llan Marl Nether Oak Pen Queens Red "
    "Salt Thorn Ulver Wester Whit Yarrow Ynys Alder Birch Cal Elm Hazel Kirk Lark Moss Rook Stan "
    "Wil Brack Cold Har Lin"
).split()
PLACE_ENDS = (
    "by bridge brook combe dale ford field ham haven holm hurst leigh mere moor more ton wick "
    "worth stow marsh"
).split()
KINDS = [
    "Friendship Circle", "Community Hub", "Lunch Club", "Men's Shed", "Youth Project",
    "Befriending Service", "Memory Café", "Walking Group", "Arts Collective", "Welcome Centre",
    "Good Neighbours", "Community Garden", "Talking Café", "Carers' Network", "Tea & Chat",
    "Digital Buddies", "Bereavement Café", "Intergenerational Project", "Heritage Society",
    "Wellbeing Trust",
]  # fmt: skip
QUALIFIERS = ["Old Town", "Riverside", "Northside", "Southside", "Hillside", "Village", "Valley"]
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
DESCRIPTION_ENDINGS = [
    "Everyone is welcome, and the first visit is always free.",
    "Most of our team are volunteers from the neighbourhood.",
    "We work closely with local GP surgeries and social prescribers.",
    "Sessions run in English and Welsh.",
    "We offer transport for people who find it hard to get out.",
    "We started during the pandemic and have kept going ever since.",
    "Our activities are free, accessible and run in step-free venues.",
    "",
]
STREETS = (
    "High Street|Church Lane|Station Road|Mill Lane|Park Road|Victoria Road|Chapel Street|"
    "Market Place|School Lane|The Green"
).split("|")
JOB_TITLES = [
    "Volunteer coordinator", "Befriending lead", "Community development worker", "Chief executive",
    "Project manager", "Trustee", "Volunteer", "Youth worker", "Outreach worker",
    "Activities coordinator", "Development manager", "Chair", "Wellbeing practitioner",
    "Social prescribing link worker", "Fundraising officer", "Dementia support worker",
]  # fmt: skip
BIOS = [
    "I look after our volunteers and love hearing how other groups keep people coming back.",
    "Happy to share what we have learnt about running a lunch club on a tiny budget.",
    "Interested in intergenerational projects and how to reach young people who feel alone.",
    "I run our befriending service and would like to meet others doing telephone befriending.",
    "Ask me about digital inclusion, tablet loans and helping people get online safely.",
    "I have worked in community development for ten years, mostly in rural areas.",
    "Keen to connect with groups supporting refugees and people seeking asylum.",
    "",
]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# Rough centres of the English regions, to give each English district a plausible region.
ENGLISH_REGION_CENTRES = {
    "north-east": (54.9, -1.8),
    "north-west": (53.8, -2.7),
    "yorkshire-and-the-humber": (53.8, -1.2),
    "east-midlands": (52.9, -0.9),
    "west-midlands": (52.5, -2.2),
    "east-of-england": (52.2, 0.5),
    "london": (51.5, -0.12),
    "south-east": (51.2, -0.6),
    "south-west": (50.9, -3.4),
}
NATIONS = {
    "England": "england",
    "Scotland": "scotland",
    "Wales": "wales",
    "Northern Ireland": "northern-ireland",
}
BATCH = 5000


def _insert(model, columns, rows):
    """Insert plain rows straight into ``model``'s table (both databases; many times faster
    than ``bulk_create`` for narrow tables). Values must already be in database form."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    # Table and column names come from the models; every value is a query parameter.
    table, names = quote(model._meta.db_table), ", ".join(map(quote, columns))
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
    count = 0
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


def _chunks(rows):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _person_name(rng):
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _districts():
    """Real postcode districts: (outcode, latitude, longitude, town, nation slug)."""
    rows = []
    with geo.DATA_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            nation = NATIONS.get((row.get("country_name") or "").strip())
            if nation and row.get("latitude"):
                rows.append(
                    (
                        row["postcode"].strip().upper(),
                        float(row["latitude"]),
                        float(row["longitude"]),
                        (row.get("city") or row.get("county") or "").strip(),
                        nation,
                    )
                )
    return rows


def _english_region(lat, lon):
    return min(
        ENGLISH_REGION_CENTRES,
        key=lambda slug: math.dist((lat, lon * 0.62), _scaled(ENGLISH_REGION_CENTRES[slug])),
    )


def _scaled(point):
    return point[0], point[1] * 0.62  # a degree of longitude is ~0.62 of one of latitude here


def _weighted(rng, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def _postcode(rng, outcode):
    return f"{outcode} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _phone(rng):
    # 01632 960xxx is reserved by Ofcom for drama: never a real line.
    return f"01632 960{rng.randint(0, 999):03d}"


def _sample_ids(rng, ids, low, high, favourite=None, favourite_share=0.0):
    chosen = set(rng.sample(ids, rng.randint(low, min(high, len(ids))))) if ids else set()
    if favourite is not None and rng.random() < favourite_share:
        chosen.add(favourite)
    return chosen


def _organisations(ctx, now, districts, region_ids, focus_ids, audience_ids):
    rng = ctx.rng
    orgs, tags = [], []
    used_names, used_slugs = set(), set()
    loneliness = focus_ids[0] if focus_ids else None
    for i in range(ctx.orgs):
        outcode, lat, lon, town, nation = rng.choice(districts)
        place = f"{rng.choice(PLACE_STARTS)}{rng.choice(PLACE_ENDS)}"
        name = f"{place} {rng.choice(KINDS)}"
        if name in used_names:
            name = f"{place} {rng.choice(QUALIFIERS)} {name.removeprefix(place + ' ')}"
        if name in used_names:
            name = f"{name} {town}" if town else f"{name} {i + 1}"
        if name in used_names:
            name = f"{name} {i + 1}"
        used_names.add(name)
        slug = slugify(name)[:200] or f"org-{i}"
        if slug in used_slugs or slug == "people":
            slug = f"{slug[:190]}-{i + 1}"
        used_slugs.add(slug)
        status = (
            MembershipStatus.ACTIVE
            if i == 0 or rng.random() < 0.9
            else _weighted(rng, [(MembershipStatus.PENDING, 6), (MembershipStatus.LAPSED, 4)])
        )
        created = now - timedelta(days=rng.randint(10, 5 * 365), minutes=rng.randint(0, 1440))
        approved = created + timedelta(days=rng.randint(1, 14))
        if status == MembershipStatus.PENDING:
            approved = None
        # About one listing in ten has gone unconfirmed for more than 18 months.
        confirmed = None
        if approved is not None:
            age = (now - approved).days
            confirmed = (
                approved
                if rng.random() < 0.1
                else now - timedelta(days=rng.randint(0, max(0, min(age, 540))))
            )
        area = _weighted(
            rng, [(AreaServed.LOCAL, 70), (AreaServed.REGIONAL, 20), (AreaServed.NATIONAL, 10)]
        )
        size = _weighted(
            rng,
            [
                (StaffSize.NONE, 25),
                (StaffSize.UNDER_10, 35),
                (StaffSize.UNDER_50, 22),
                (StaffSize.UNDER_250, 12),
                (StaffSize.LARGE, 6),
            ],
        )
        turnover = {
            StaffSize.NONE: Turnover.UNDER_10K,
            StaffSize.UNDER_10: Turnover.UNDER_100K,
            StaffSize.UNDER_50: Turnover.UNDER_250K,
            StaffSize.UNDER_250: Turnover.UNDER_1M,
            StaffSize.LARGE: Turnover.OVER_1M,
        }[size]
        if rng.random() < 0.3:
            turnover = rng.choice(Turnover.values)
        web = slug[:40].strip("-")
        orgs.append(
            Organisation(
                name=name,
                slug=slug,
                description=" ".join(
                    filter(None, [rng.choice(DESCRIPTIONS), rng.choice(DESCRIPTION_ENDINGS)])
                ),
                website=f"https://{web}.example.org" if rng.random() < 0.8 else "",
                email=f"hello@{web}.example.org" if rng.random() < 0.6 else "",
                phone=_phone(rng) if rng.random() < 0.5 else "",
                charity_number=str(rng.randint(1_000_000, 1_199_999)) if rng.random() < 0.6 else "",
                address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}\n{town or place}",
                postcode=_postcode(rng, outcode),
                outcode=outcode,
                latitude=lat,
                longitude=lon,
                area_served=area,
                staff_size=size if rng.random() < 0.9 else "",
                turnover=turnover if rng.random() < 0.8 else "",
                status=status,
                created_at=created,
                updated_at=confirmed or created,
                approved_at=approved,
                confirmed_at=confirmed,
            )
        )
        regions = {region_ids[nation]} if nation in region_ids else set()
        if nation == "england" and area != AreaServed.NATIONAL:
            regions.add(region_ids.get(_english_region(lat, lon)))
        if area == AreaServed.NATIONAL and rng.random() < 0.5:
            regions |= {region_ids[n] for n in NATIONS.values() if n in region_ids}
        tags.append(
            (
                regions - {None},
                _sample_ids(rng, focus_ids, 1, 3, loneliness, 0.5),
                _sample_ids(rng, audience_ids, 1, 3),
            )
        )
    Organisation.objects.bulk_create(orgs, batch_size=BATCH)
    ids = list(Organisation.objects.order_by("id").values_list("id", flat=True))
    through = [
        (Organisation.regions.through, "region_id"),
        (Organisation.focus_areas.through, "focusarea_id"),
        (Organisation.audiences.through, "audience_id"),
    ]
    for position, (model, column) in enumerate(through):
        _insert(
            model,
            ["organisation_id", column],
            (
                (org_id, term)
                for org_id, org_tags in zip(ids, tags, strict=True)
                for term in sorted(org_tags[position])
            ),
        )
    for org, org_id in zip(orgs, ids, strict=True):
        org.pk = org_id
    return orgs, tags


def _people(ctx, now, password, districts, focus_ids):
    rng = ctx.rng
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
            job_title="Network coordinator" if coordinator else rng.choice(JOB_TITLES),
            profile_visibility=Visibility.MEMBERS,
        )
        for email, name, status, coordinator in fixed
    ]
    visibilities = [
        # (page, email, phone, weight): most people let members see their page.
        ((Visibility.MEMBERS, Visibility.HIDDEN, Visibility.HIDDEN), 35),
        ((Visibility.MEMBERS, Visibility.MEMBERS, Visibility.HIDDEN), 25),
        ((Visibility.PUBLIC, Visibility.MEMBERS, Visibility.HIDDEN), 12),
        ((Visibility.PUBLIC, Visibility.PUBLIC, Visibility.HIDDEN), 5),
        ((Visibility.MEMBERS, Visibility.MEMBERS, Visibility.MEMBERS), 10),
        ((Visibility.HIDDEN, Visibility.HIDDEN, Visibility.HIDDEN), 13),
    ]
    person_focus = []
    for i in range(max(ctx.people - len(fixed), 0)):
        name = _person_name(rng)
        roll = rng.random()
        status = (
            MembershipStatus.ACTIVE
            if roll < 0.85
            else MembershipStatus.PENDING
            if roll < 0.92
            else MembershipStatus.LAPSED
            if roll < 0.97
            else MembershipStatus.LEFT
        )
        page, email_vis, phone_vis = _weighted(rng, visibilities)
        email = f"{slugify(name).replace('-', '.')}.{i}@example.net"
        users.append(
            User(
                email=email,
                full_name=name,
                status=status,
                password=password,
                date_joined=now - timedelta(days=rng.randint(0, 5 * 365)),
                job_title=rng.choice(JOB_TITLES) if rng.random() < 0.85 else "",
                bio=rng.choice(BIOS),
                phone=f"07700 900{rng.randint(0, 999):03d}" if rng.random() < 0.5 else "",
                postcode=_postcode(rng, rng.choice(districts)[0]) if rng.random() < 0.6 else "",
                profile_visibility=page,
                email_visibility=email_vis,
                phone_visibility=phone_vis,
            )
        )
        person_focus.append(_sample_ids(rng, focus_ids, 0, 3))
    _at_least_a_few(rng, users[len(fixed) :], (MembershipStatus.LAPSED, MembershipStatus.LEFT))
    # bulk_create fills each person's search_text too (members.models.UserQuerySet).
    User.objects.bulk_create(users, batch_size=BATCH)
    users = list(User.objects.order_by("id").only("id", "email", "status"))
    _insert(
        EmailAddress,
        ["user_id", "email", "verified", "primary"],
        ((u.id, u.email, True, True) for u in users),
    )
    _insert(
        User.focus_areas.through,
        ["user_id", "focusarea_id"],
        (
            (user.id, term)
            for user, terms in zip(users[len(fixed) :], person_focus, strict=True)
            for term in sorted(terms)
        ),
    )
    return users, len(fixed)


def _at_least_a_few(rng, people, statuses, few=2):
    """Even a small demo has a few people who lapsed and a few who left: some active people
    are given each status that chance gave to fewer than ``few``."""
    for status in statuses:
        missing = few - sum(person.status == status for person in people)
        active = [p for p in people if p.status == MembershipStatus.ACTIVE]
        if missing > 0 and len(active) > 10 * few:
            for person in rng.sample(active, missing):
                person.status = status


def _memberships(ctx, now, orgs, users, fixed_count):
    """Who belongs to which organisation, as the joining services would have left it: most
    members and lapsed members belong to an organisation that is not waiting for approval (a
    pending organisation has only its applicant, made by ``demo_joining``); about half the
    people waiting have asked to join a member organisation (the others have applied as
    individuals, in ``demo_joining``); people who left belong to none (leaving takes them off
    every organisation)."""
    rng = ctx.rng
    memberships = []
    if not orgs:
        return memberships
    created = connection.ops.adapt_datetimefield_value(now)
    org_ids = [org.pk for org in orgs if org.status != MembershipStatus.PENDING]
    listed_ids = [org.pk for org in orgs if org.status == MembershipStatus.ACTIVE]
    active, requested = AffiliationStatus.ACTIVE.value, AffiliationStatus.REQUESTED.value
    member, admin = OrganisationRole.MEMBER.value, OrganisationRole.ADMIN.value
    by_email = {u.email: u for u in users}
    memberships.append((by_email["orgadmin@example.org"].pk, orgs[0].pk, admin, active, created))
    memberships.append((by_email["member@example.org"].pk, orgs[0].pk, member, active, created))
    for user in users[fixed_count:]:
        if user.status == MembershipStatus.PENDING:
            if listed_ids and rng.random() < 0.5:
                asked = now - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23))
                memberships.append(
                    (
                        user.pk,
                        rng.choice(listed_ids),
                        member,
                        requested,
                        connection.ops.adapt_datetimefield_value(asked),
                    )
                )
        elif user.status != MembershipStatus.LEFT and org_ids and rng.random() < 0.8:
            # Most people belong to an organisation; some join alone.
            role = admin if rng.random() < 0.2 else member
            memberships.append((user.pk, rng.choice(org_ids), role, active, created))
    return memberships


def seed(ctx):
    now = timezone.now()
    password = make_password("coalition-demo-2026")  # hashed once, shared by every demo account
    districts = _districts()
    region_ids = dict(Region.objects.values_list("slug", "id"))
    focus_ids = list(FocusArea.objects.order_by("position", "id").values_list("id", flat=True))
    audience_ids = list(Audience.objects.order_by("position", "id").values_list("id", flat=True))

    started = time.monotonic()
    orgs, _tags = _organisations(ctx, now, districts, region_ids, focus_ids, audience_ids)
    orgs_done = time.monotonic()
    users, fixed_count = _people(ctx, now, password, districts, focus_ids)
    people_done = time.monotonic()

    memberships = _memberships(ctx, now, orgs, users, fixed_count)
    _insert(
        OrganisationMembership,
        ["user_id", "organisation_id", "role", "status", "created_at"],
        memberships,
    )
    memberships_done = time.monotonic()
    indexed = search.search_index_rebuild(Organisation, batch_size=BATCH)
    ctx.made["organisations"] = len(orgs)
    ctx.made["users"] = len(users)
    ctx.log(
        f"  members: {len(orgs)} organisations ({orgs_done - started:.1f}s), "
        f"{len(users)} people ({people_done - orgs_done:.1f}s), memberships "
        f"({memberships_done - people_done:.1f}s), {indexed} indexed for search "
        f"({time.monotonic() - memberships_done:.1f}s)"
    )

    from members import demo_joining

    demo_joining.seed(ctx)
