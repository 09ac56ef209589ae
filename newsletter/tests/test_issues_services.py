"""Starting, refreshing and editing an issue (newsletter/services/issues.py) and what the draft
gathers (newsletter/selectors/drafting.py). The archive is public, so above all: a closed or
private group's post, an invited-only or draft event, an unpublished resource or a pending
organisation never reaches a draft."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from events.models import EventStatus, EventVisibility
from events.tests.factories import EventFactory
from groups.models import Group, GroupKind, Thread, ThreadKind
from learning.models import ResourceStatus, ResourceVisibility
from learning.tests.factories import ResourceFactory
from members.models import MembershipStatus
from members.tests.factories import OrganisationFactory, UserFactory
from newsletter.models import Issue, IssueItem, Section
from newsletter.selectors.drafting import draft_candidates
from newsletter.services import issues as services
from newsletter.tests.factories import IssueFactory, IssueItemFactory

pytestmark = pytest.mark.django_db

_groups = {"n": 0}


def group(kind=GroupKind.OPEN, *, network_wide=False):
    _groups["n"] += 1
    return Group.objects.create(
        name=f"Group {_groups['n']}",
        slug=f"nl-group-{_groups['n']}",
        kind=kind,
        is_network_wide=network_wide,
    )


def thread(in_group, title, *, kind=ThreadKind.OPPORTUNITY, **fields):
    return Thread.objects.create(
        group=in_group, author=UserFactory(), kind=kind, title=title, body="**Bold** words.",
        **fields,
    )  # fmt: skip


def titles(issue, section=None):
    items = issue.items.all() if section is None else issue.items.filter(section=section)
    return set(items.values_list("title", flat=True))


# --- What a draft gathers -------------------------------------------------------------------


def test_a_draft_gathers_upcoming_events_new_resources_group_news_and_new_members(coordinator):
    now = timezone.now()
    EventFactory(title="Public get-together")
    EventFactory(title="Members' webinar", visibility=EventVisibility.MEMBERS)
    ResourceFactory(title="Guide to welcoming spaces")
    ResourceFactory(title="Members' toolkit", visibility=ResourceVisibility.MEMBERS)
    thread(group(), "Volunteer coordinator job")
    thread(group(network_wide=True, kind=GroupKind.CLOSED), "Network-wide news", kind="event")
    thread(group(), "Pinned announcement", kind=ThreadKind.DISCUSSION, is_pinned=True)
    OrganisationFactory(
        name="Harbour Lunch Club",
        description="Lunches for older people on the coast.\nSecond line.",
        approved_at=now - timedelta(days=2),
    )

    issue = services.issue_start(actor=coordinator)

    # Members-only events and resources stay out: the issue also goes to public subscribers
    # and its archive page is public.
    assert titles(issue, Section.EVENTS) == {"Public get-together"}
    assert titles(issue, Section.RESOURCES) == {"Guide to welcoming spaces"}
    assert titles(issue, Section.OPPORTUNITIES) == {"Volunteer coordinator job"}
    assert titles(issue, Section.NEWS) == {"Network-wide news", "Pinned announcement"}
    assert titles(issue, Section.MEMBERS) == {"Harbour Lunch Club"}
    club = issue.items.get(title="Harbour Lunch Club")
    assert club.summary == "Lunches for older people on the coast."
    assert club.url.startswith("http") and club.url.endswith("/harbour-lunch-club/")
    assert issue.items.get(title="Public get-together").when is not None
    news = issue.items.get(title="Pinned announcement")
    assert news.summary == "Bold words."  # plain text, no Markdown
    assert all(item.included for item in issue.items.all())
    assert all(item.url.startswith("http://") for item in issue.items.all())


def test_a_closed_or_private_groups_posts_never_reach_a_draft(coordinator):
    thread(group(GroupKind.CLOSED), "Closed group secret opportunity")
    thread(group(GroupKind.PRIVATE), "Private group news", kind="event")
    thread(group(GroupKind.PRIVATE), "Private pinned", kind="discussion", is_pinned=True)
    cohort = Group.objects.create(name="Cohort", slug="cohort", kind="closed", is_cohort=True)
    thread(cohort, "Cohort resource", kind="resource")
    open_group = group()
    thread(open_group, "Hidden post", is_hidden=True)
    thread(open_group, "Held post", is_held=True)
    thread(open_group, "An ordinary question", kind=ThreadKind.QUESTION)
    thread(open_group, "An unpinned chat", kind=ThreadKind.DISCUSSION)

    issue = services.issue_start(actor=coordinator)

    assert titles(issue) == set()


def test_a_draft_leaves_out_what_the_public_should_not_see_or_is_old(coordinator):
    now = timezone.now()
    EventFactory(title="Invited only", visibility=EventVisibility.INVITED)
    EventFactory(title="Draft event", status=EventStatus.DRAFT)
    EventFactory(title="Cancelled", status=EventStatus.CANCELLED)
    EventFactory(
        title="Already started",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    # Far ahead and created before the last issue: it was in an earlier issue.
    EventFactory(
        title="Far ahead, old news",
        starts_at=now + timedelta(days=90),
        ends_at=now + timedelta(days=90, hours=1),
        created_at=now - timedelta(days=30),
    )
    ResourceFactory(title="Pending guide", status=ResourceStatus.PENDING, published_at=None)
    ResourceFactory(title="Old guide", published_at=now - timedelta(days=40))
    OrganisationFactory(name="Pending org", status=MembershipStatus.PENDING, approved_at=now)
    OrganisationFactory(name="Long-time member", approved_at=now - timedelta(days=400))
    old = group()
    thread(old, "Old opportunity", created_at=now - timedelta(days=20))

    issue = services.issue_start(actor=coordinator)

    assert titles(issue) == set()


def test_a_far_off_event_created_since_the_last_issue_is_in(coordinator):
    now = timezone.now()
    EventFactory(
        title="Spring conference",
        starts_at=now + timedelta(days=120),
        ends_at=now + timedelta(days=120, hours=6),
    )
    assert titles(services.issue_start(actor=coordinator)) == {"Spring conference"}


# --- Numbers and what each issue covers ---------------------------------------------------------


def test_numbers_increment_and_each_issue_covers_since_the_last_one_was_sent(coordinator):
    before = timezone.now()
    first = services.issue_start(actor=coordinator)
    assert first.number == 1
    assert first.subject == "Coalition newsletter #1"
    assert first.status == Issue.Status.DRAFT
    assert first.created_by == coordinator
    fortnight = before - timedelta(days=14)
    assert abs((first.covers_since - fortnight).total_seconds()) < 60

    sent_at = timezone.now() - timedelta(days=3)
    Issue.objects.filter(pk=first.pk).update(status=Issue.Status.SENT, sent_at=sent_at)
    second = services.issue_start(actor=coordinator)
    assert second.number == 2
    assert second.covers_since == sent_at
    third = services.issue_start(actor=coordinator)
    assert third.number == 3
    assert third.covers_since == sent_at  # issue 2 is not sent yet


def test_the_next_number_follows_the_highest_even_with_gaps(coordinator):
    IssueFactory(number=41)
    assert services.issue_start(actor=coordinator).number == 42


# --- Refreshing ---------------------------------------------------------------------------------


def test_refresh_adds_only_what_is_new_and_never_duplicates(coordinator):
    EventFactory(title="First event")
    issue = services.issue_start(actor=coordinator)
    dropped = issue.items.get()
    services.item_set_included(item=dropped, actor=coordinator, included=False)

    assert services.issue_refresh(issue=issue, actor=coordinator) == 0
    assert issue.items.count() == 1

    EventFactory(title="Second event")
    ResourceFactory(title="New guide")
    assert services.issue_refresh(issue=issue, actor=coordinator) == 2
    assert services.issue_refresh(issue=issue, actor=coordinator) == 0
    assert sorted(titles(issue)) == ["First event", "New guide", "Second event"]
    # A dropped item stays dropped: refreshing does not bring it back.
    dropped.refresh_from_db()
    assert dropped.included is False
    # New items go at the end of their section.
    assert issue.items.get(title="Second event").position == 1


def test_a_sent_issue_cannot_be_refreshed_or_changed(coordinator):
    issue = IssueFactory(status=Issue.Status.SENT, sent_at=timezone.now())
    item = IssueItemFactory(issue=issue)
    with pytest.raises(services.IssueError):
        services.issue_refresh(issue=issue, actor=coordinator)
    with pytest.raises(services.IssueError):
        services.issue_update(issue=issue, actor=coordinator, subject="x", intro="")
    with pytest.raises(services.IssueError):
        services.item_set_included(item=item, actor=coordinator, included=False)
    with pytest.raises(services.IssueError):
        services.item_move(item=item, actor=coordinator, direction="up")
    with pytest.raises(services.IssueError):
        services.item_update(item=item, actor=coordinator, title="x", summary="")
    with pytest.raises(services.IssueError):
        services.item_add(issue=issue, actor=coordinator, section="news", title="x")
    item.refresh_from_db()
    assert item.included and item.title.startswith("News from the network")


# --- Editing ------------------------------------------------------------------------------------


def test_moving_items_within_a_section(coordinator):
    issue = IssueFactory()
    a, b, c = (IssueItemFactory(issue=issue, section="news", position=5, title=t) for t in "ABC")
    other = IssueItemFactory(issue=issue, section="events", position=0, title="E")

    def order():
        return list(issue.items.filter(section="news").order_by("position", "id").values_list(
            "title", flat=True
        ))  # fmt: skip

    services.item_move(item=c, actor=coordinator, direction="up")
    assert order() == ["A", "C", "B"]
    services.item_move(item=a, actor=coordinator, direction="up")  # already first
    assert order() == ["A", "C", "B"]
    services.item_move(item=a, actor=coordinator, direction="down")
    assert order() == ["C", "A", "B"]
    services.item_move(item=b, actor=coordinator, direction="down")  # already last
    assert order() == ["C", "A", "B"]
    other.refresh_from_db()
    assert other.position == 0
    with pytest.raises(services.IssueError):
        services.item_move(item=a, actor=coordinator, direction="sideways")


def test_adding_and_editing_items_and_the_introduction(coordinator):
    issue = IssueFactory()
    IssueItemFactory(issue=issue, section="news", position=3)
    item = services.item_add(
        issue=issue,
        actor=coordinator,
        section="news",
        title="Our AGM",
        summary="Come along.",
        url="https://example.org/agm",
    )
    assert item.position == 4 and item.source == "" and item.included
    first = services.item_add(issue=issue, actor=coordinator, section="events", title="Walk")
    assert first.position == 0
    services.item_update(item=item, actor=coordinator, title="Our AGM, 3 March", summary="")
    item.refresh_from_db()
    assert item.title == "Our AGM, 3 March" and item.summary == ""
    services.issue_update(issue=issue, actor=coordinator, subject="New subject", intro="*Hi*")
    issue.refresh_from_db()
    assert (issue.subject, issue.intro) == ("New subject", "*Hi*")
    with pytest.raises(services.IssueError):
        services.item_add(issue=issue, actor=coordinator, section="gossip", title="x")


def test_a_custom_item_does_not_clash_with_the_source_constraint(coordinator):
    issue = IssueFactory()
    for _ in range(3):
        services.item_add(issue=issue, actor=coordinator, section="news", title="Same")
    assert issue.items.count() == 3


# --- Only coordinators ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "org_admin", "pending_user"])
def test_only_coordinators_can_do_any_of_it(role, request):
    person = request.getfixturevalue(role)
    issue = IssueFactory()
    item = IssueItemFactory(issue=issue)
    calls = [
        lambda: services.issue_start(actor=person),
        lambda: services.issue_refresh(issue=issue, actor=person),
        lambda: services.issue_update(issue=issue, actor=person, subject="x", intro=""),
        lambda: services.item_set_included(item=item, actor=person, included=False),
        lambda: services.item_move(item=item, actor=person, direction="up"),
        lambda: services.item_update(item=item, actor=person, title="x", summary=""),
        lambda: services.item_add(issue=issue, actor=person, section="news", title="x"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert Issue.objects.count() == 1
    assert IssueItem.objects.count() == 1


def test_drafting_takes_four_queries_however_much_is_new(django_assert_num_queries):
    for n in range(5):
        EventFactory()
        ResourceFactory()
        OrganisationFactory(approved_at=timezone.now())
        thread(group(), f"Opportunity {n}")
    with django_assert_num_queries(4):
        assert len(draft_candidates(since=timezone.now() - timedelta(days=14))) == 20
