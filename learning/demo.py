"""A plausible, fictional library: guides, toolkits, recordings of past webinars, reports and
case studies from demo organisations, tagged with the network's real 7 keys for connection.
One key is left without case studies so the coordinators' "which keys lack examples" page has
something to show; two submissions wait for approval; one link is dead; one report is open.
Written with bulk inserts; the same for a given seed."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.text import slugify

from core import search

GUIDES = [
    ("Choosing a room that feels like a living room", "guide", "consider-your-space"),
    ("A checklist for step-free, quiet meeting spaces", "toolkit", "consider-your-space"),
    (
        "Twenty activities that get people talking without pressure",
        "guide",
        "consider-your-activities",
    ),
    ("Walking groups: a starter kit", "toolkit", "consider-your-activities"),
    (
        "Sharing a venue with another charity: a template agreement",
        "template",
        "achieve-more-together-organisations",
    ),
    (
        "Co-designing activities with the people who come",
        "guide",
        "achieve-more-together-community",
    ),
    (
        "Welcome packs and name badges: the small things that matter",
        "guide",
        "pay-attention-to-the-small-things",
    ),
    ("Why short grants make connection harder", "research", "allow-enough-time"),
    (
        "Transport, cost and confidence: barriers to joining in",
        "report",
        "identify-barriers-to-participation",
    ),
    ("Easy-read invitation templates", "template", "identify-barriers-to-participation"),
    ("Loneliness research round-up", "research", "allow-enough-time"),
    (
        "A map of national helplines to signpost people to",
        "link",
        "identify-barriers-to-participation",
    ),
]
CASE_STUDIES = [
    (
        "Moving our craft club from a hall to a café",
        "consider-your-space",
        "We moved our weekly craft club from a large church hall to the back room of a café.",
        "Attendance doubled within two months; people stayed longer after the session.",
        "A smaller, warmer room felt less formal, and people felt safe and relaxed.",
    ),
    (
        "Cooking together with young carers",
        "consider-your-activities",
        "Instead of a discussion group we ran a cooking session each fortnight.",
        "Young people who never spoke in groups chatted while chopping and stirring.",
        "An activity gives people something to focus on, so talk comes naturally.",
    ),
    (
        "Two groups, one programme: a youth club and a care home",
        "achieve-more-together-organisations",
        "We paired up with a care home nearby to run intergenerational afternoons.",
        "Both organisations reached people they could not reach alone.",
        "Working with an organisation people already trust builds trust quickly.",
    ),
    (
        "Letting residents plan the summer fair",
        "achieve-more-together-community",
        "We handed the planning of our summer fair to a group of residents.",
        "More people came, and several volunteers stayed on afterwards.",
        "People who plan something feel invested in it.",
    ),
    (
        "A buddy at the door",
        "pay-attention-to-the-small-things",
        "A volunteer met every newcomer at the door and introduced them to one person.",
        "Far fewer newcomers left before the end of their first session.",
        "Small details give people the reassurance to come back.",
    ),
    (
        "Free taxis to the memory café",
        "identify-barriers-to-participation",
        "We paid for taxis for people who could not use the bus.",
        "Six people came who had never been able to before.",
        "Ask people what stops them coming; the answer is often practical.",
    ),
]


def seed(ctx):
    from events.models import Event, EventKind
    from learning.models import Licence, LinkStatus, Report, Resource, Theme
    from members.models import FocusArea, MembershipStatus, Organisation, User

    if Resource.objects.exists():
        ctx.log("  learning: the library already has resources; skipped")
        return
    rng = ctx.rng
    now = timezone.now()
    today = timezone.localdate()
    themes = {t.slug: t for t in Theme.objects.all()}
    focus_areas = list(FocusArea.objects.all())
    organisations = list(Organisation.objects.filter(status=MembershipStatus.ACTIVE)[:30])
    people = list(User.objects.filter(status=MembershipStatus.ACTIVE).order_by("id")[:20])
    webinars = list(
        Event.objects.filter(kind=EventKind.WEBINAR, starts_at__lt=now).order_by("-starts_at")[:4]
    )

    rows = []  # (resource, theme slugs, organisation or None)
    for n, (title, kind, theme) in enumerate(GUIDES):
        rows.append(
            (
                Resource(
                    title=title,
                    kind=kind,
                    summary=f"A short {kind.replace('_', ' ')} shared by a member of the network.",
                    body="Fictional demo content.\n\n- Read it with your team\n- Try one idea",
                    url=f"https://resources.example.org/{slugify(title)}",
                    visibility="public" if n % 3 else "members",
                    licence=Licence.CC_BY if n % 2 else Licence.ALL_RIGHTS,
                    last_checked_at=now - datetime.timedelta(days=rng.randint(1, 30)),
                    link_status=LinkStatus.DEAD if n == 4 else LinkStatus.OK,
                ),
                [theme],
                None,
            )
        )
    for title, theme, tried, happened, learned in CASE_STUDIES:
        rows.append(
            (
                Resource(
                    title=title,
                    kind="case_study",
                    summary=learned,
                    tried=tried,
                    happened=happened,
                    learned=learned,
                    visibility="public",
                    licence=Licence.CC_BY,
                ),
                [theme, rng.choice(list(themes))],
                rng.choice(organisations) if organisations else None,
            )
        )
    for event in webinars:
        rows.append(
            (
                Resource(
                    title=f"Recording: {event.title}",
                    kind="recording",
                    summary="The recording of a webinar for members.",
                    url=f"https://video.example.org/{event.pk}",
                    event=event,
                    visibility="members",
                    published_on=timezone.localdate(event.starts_at),
                ),
                [rng.choice(list(themes))],
                None,
            )
        )
    resources = []
    for n, (resource, _themes, _org) in enumerate(rows):
        resource.slug = slugify(resource.title)[:200]
        resource.status = "published"
        if resource.kind != "recording":
            resource.published_on = today - datetime.timedelta(days=rng.randint(0, 900))
        resource.published_at = now - datetime.timedelta(days=len(rows) - n)
        resource.submitted_by = people[n % len(people)] if people else None
        resources.append(resource)
    # Two submissions waiting for a coordinator.
    for title in ("Running a dementia-friendly disco", "Our warm spaces winter"):
        resources.append(
            Resource(
                title=title,
                slug=slugify(title),
                kind="case_study",
                summary="Waiting for approval.",
                tried="We tried something new.",
                happened="People came.",
                learned="Ask people what they want.",
                status="pending",
                visibility="public",
                published_on=today,
                submitted_by=people[-1] if people else None,
            )
        )
    Resource.objects.bulk_create(resources)
    Through = Resource.themes.through
    OrgThrough = Resource.organisations.through
    FocusThrough = Resource.focus_areas.through
    Through.objects.bulk_create(
        [
            Through(resource_id=r.pk, theme_id=themes[slug].pk)
            for r, (_res, slugs, _org) in zip(resources, rows, strict=False)
            for slug in dict.fromkeys(slugs)
        ],
        ignore_conflicts=True,
    )
    OrgThrough.objects.bulk_create(
        [
            OrgThrough(resource_id=r.pk, organisation_id=org.pk)
            for r, (_res, _slugs, org) in zip(resources, rows, strict=False)
            if org is not None
        ]
    )
    if focus_areas:
        FocusThrough.objects.bulk_create(
            [
                FocusThrough(resource_id=r.pk, focusarea_id=rng.choice(focus_areas).pk)
                for r in resources
            ]
        )
    Report.objects.create(
        resource=resources[1],
        reason="outdated",
        note="The venue list mentions a hall that has closed.",
        reported_by=people[0] if people else None,
    )
    search.search_index_rebuild(Resource)
    ctx.made["resources"] = len(resources)
    ctx.log(f"  learning: {len(resources)} resources")
