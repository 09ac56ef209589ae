"""The newsletter's past issues in the demo network: three sent issues (so the archive has
content) drawn from the demo's events, resources, group posts and members, and a draft
started the way a coordinator would start one. The same every time for a given seed; sent
demo issues have no deliveries (nobody was really emailed)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.email import absolute_url

INTROS = [
    "Welcome to the first newsletter from the network. Every fortnight we gather what members "
    "have shared: **events** coming up, new **resources** in the library, news and "
    "opportunities from the groups, and the organisations who have just joined.\n\n"
    "Tell us what you would like to see here: reply to this email.",
    "Thank you to everyone who came to the get-together last week. Twenty-three organisations "
    "joined us to talk about reaching people who never come to anything.\n\n"
    "This fortnight: a new guide to running welcoming spaces, and three new members.",
    "The evenings are drawing in, which for many of the people we work with means a harder "
    "few months. Here is what the network is doing about it.\n\n"
    "- Share your winter plans in the network-wide space\n"
    "- Book a place at the next webinar",
]

SUBJECTS = [
    "Welcome to the network's newsletter",
    "Welcoming spaces, new members and a get-together",
    "Winter plans across the network",
]


def _items_for(issue, k: int) -> list:
    """A few of each kind of item, a different slice of the demo data for each issue."""
    from events.models import Event, EventStatus, EventVisibility
    from groups.models import Thread, ThreadKind
    from learning.models import Resource, ResourceStatus, ResourceVisibility
    from members.models import MembershipStatus, Organisation
    from newsletter.models import IssueItem, Section
    from newsletter.selectors.drafting import announceable_threads_q, one_line, plain_excerpt

    items = []

    def add(section, title, summary, url, source, when=None):
        position = sum(1 for i in items if i.section == section)
        items.append(
            IssueItem(
                issue=issue,
                section=section,
                position=position,
                title=title[:300],
                summary=summary[:2000],
                url=url,
                when=when,
                source=source,
            )
        )

    events = Event.objects.filter(
        status=EventStatus.PUBLISHED, visibility=EventVisibility.PUBLIC
    ).order_by("starts_at", "pk")[k * 2 : k * 2 + 2]
    for event in events:
        add(
            Section.EVENTS,
            event.title,
            event.summary,
            absolute_url(event.get_absolute_url()),
            f"events.event:{event.pk}",
            event.starts_at,
        )
    resources = Resource.objects.filter(
        status=ResourceStatus.PUBLISHED, visibility=ResourceVisibility.PUBLIC
    ).order_by("pk")[k * 3 : k * 3 + 3]
    for resource in resources:
        add(
            Section.RESOURCES,
            resource.title,
            resource.summary,
            absolute_url(resource.get_absolute_url()),
            f"learning.resource:{resource.pk}",
        )
    threads = Thread.objects.filter(announceable_threads_q()).order_by("pk")[k * 2 : k * 2 + 2]
    for thread in threads:
        add(
            Section.OPPORTUNITIES if thread.kind == ThreadKind.OPPORTUNITY else Section.NEWS,
            thread.title,
            plain_excerpt(thread.body),
            absolute_url(thread.get_absolute_url()),
            f"groups.thread:{thread.pk}",
        )
    organisations = Organisation.objects.filter(status=MembershipStatus.ACTIVE).order_by("pk")[
        k * 3 : k * 3 + 3
    ]
    for organisation in organisations:
        add(
            Section.MEMBERS,
            organisation.name,
            one_line(organisation.description),
            absolute_url(organisation.get_absolute_url()),
            f"members.organisation:{organisation.pk}",
        )
    return items


def seed(ctx):
    """A few sent issues for the archive, and a draft."""
    from members.models import User
    from newsletter.models import Issue, IssueItem
    from newsletter.services.issues import issue_start

    if Issue.objects.exists():
        return  # seeded already (issue numbers are unique): keep what is there
    coordinator = User.objects.filter(is_coordinator=True, is_active=True).order_by("pk").first()
    now = timezone.now().replace(second=0, microsecond=0)
    items = []
    for k, (subject, intro) in enumerate(zip(SUBJECTS, INTROS, strict=True)):
        sent_at = now - timedelta(days=14 * (len(SUBJECTS) - k))
        issue = Issue.objects.create(
            number=k + 1,
            subject=subject,
            intro=intro,
            status=Issue.Status.SENT,
            covers_since=sent_at - timedelta(days=14),
            send_started_at=sent_at,
            sent_at=sent_at,
            created_by=coordinator,
            created_at=sent_at - timedelta(days=2),
            updated_at=sent_at,
        )
        items.extend(_items_for(issue, k))
    IssueItem.objects.bulk_create(items)
    made = len(SUBJECTS)
    if coordinator is not None:
        draft = issue_start(actor=coordinator, now=now)
        draft.intro = "A draft: drop what does not belong, move the best items up, then preview."
        draft.save(update_fields=["intro"])
        made += 1
    ctx.made["newsletter_issues"] = made
    ctx.log(f"  newsletter: {made} issues, {len(SUBJECTS)} of them sent")
