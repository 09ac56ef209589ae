from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.models import AuditEntry
from matching import services
from matching.models import (
    Collaboration,
    FollowUp,
    Introduction,
    IntroductionStatus,
    Item,
    ItemStatus,
)
from matching.services import MatchingError
from matching.tests.factories import ItemFactory, category
from members.models import Visibility
from members.tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _ask(requester, recipient, **kwargs):
    return services.introduction_request(
        requester=requester,
        recipient=recipient,
        message="Hello, we run a lunch club and would love to talk about your hall.",
        **kwargs,
    )


# --- Offers and needs ---------------------------------------------------------------------------


def test_item_create_tidies_the_text_and_queues_a_refresh(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        item = services.item_create(
            owner=member,
            kind="need",
            category=category("venue-or-space"),
            description="  Looking for   a free room\n for a weekly group ",
        )
    assert item.description == "Looking for a free room for a weekly group"
    assert item.status == ItemStatus.OPEN
    assert len(callbacks) == 1  # the suggestions refresh, after commit


def test_item_for_an_organisation_needs_a_membership_of_it(member):
    other_org = OrganisationFactory()
    with pytest.raises(MatchingError):
        services.item_create(
            owner=member,
            kind="offer",
            category=category("training"),
            description="We run dementia awareness sessions",
            organisation=other_org,
        )
    mine = OrganisationFactory()
    MembershipFactory(user=member, organisation=mine)
    item = services.item_create(
        owner=member,
        kind="offer",
        category=category("training"),
        description="We run dementia awareness sessions",
        organisation=mine,
    )
    assert item.organisation == mine


def test_applicants_cannot_list_items(pending_user):
    with pytest.raises(MatchingError):
        services.item_create(
            owner=pending_user,
            kind="offer",
            category=category("training"),
            description="We run dementia awareness sessions",
        )


def test_changing_the_words_clears_the_old_meaning_but_status_changes_keep_it(member):
    item = ItemFactory(owner=member, embedding=b"x" * 768, embedding_model="m")
    services.item_set_status(item=item, actor=member, status="paused")
    item.refresh_from_db()
    assert item.status == ItemStatus.PAUSED and item.embedding_model == "m"
    services.item_update(
        item=item,
        actor=member,
        kind="offer",
        category=item.category,
        description="Our garden is open to other groups",
    )
    item.refresh_from_db()
    assert item.embedding is None and item.embedding_model == ""


def test_only_the_owner_or_a_coordinator_changes_an_item(member, another_member):
    item = ItemFactory(owner=member)
    with pytest.raises(MatchingError):
        services.item_set_status(item=item, actor=another_member, status="closed")
    services.item_set_status(item=item, actor=CoordinatorFactory(), status="closed")
    assert Item.objects.get(pk=item.pk).status == ItemStatus.CLOSED


def test_category_changes_are_audited(coordinator, member):
    created = services.category_save(actor=coordinator, name="Transport", slug="transport")
    services.category_save(actor=coordinator, category=created, is_active=False)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["matching.category.create", "matching.category.update"]
    with pytest.raises(MatchingError):
        services.category_save(actor=member, name="Other", slug="other")


# --- Introductions: double opt-in and privacy ----------------------------------------------------


def test_a_request_reveals_no_contact_details(two_members, django_capture_on_commit_callbacks):
    hana, rhys = two_members
    hana.email_visibility = Visibility.MEMBERS
    hana.save()
    with django_capture_on_commit_callbacks(execute=True):
        introduction = _ask(hana, rhys)
    assert introduction.status == IntroductionStatus.PENDING
    assert introduction.expires_at == introduction.created_at + timedelta(days=14)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rhys@example.org"]
    assert "Hana Hall" in message.subject
    assert "would love to talk about your hall" in message.body
    assert "/matching/introductions/answer/" in message.body
    for part in (message.body, message.alternatives[0][0]):
        assert "hana@example.org" not in part
        assert "0113 496 0000" not in part


def test_accepting_introduces_both_with_what_each_agreed_to_share(
    two_members, django_capture_on_commit_callbacks
):
    hana, rhys = two_members
    with django_capture_on_commit_callbacks(execute=True):
        introduction = _ask(hana, rhys, share_email=True, share_phone=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.introduction_accept(
            introduction=introduction, by=rhys, share_email=False, share_phone=True
        )
    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.ACCEPTED
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"hana@example.org", "rhys@example.org"}
    to_hana = by_recipient["hana@example.org"]
    # Rhys shared his phone, not his email (hidden on his profile by default).
    assert "0113 496 0999" in to_hana.body
    assert "rhys@example.org" not in to_hana.body
    to_rhys = by_recipient["rhys@example.org"]
    assert "hana@example.org" in to_rhys.body
    assert "0113 496 0000" not in to_rhys.body
    assert "Introducing Hana Hall" in to_rhys.subject
    assert to_rhys.alternatives[0][1] == "text/html"


def test_profile_visibility_still_applies_to_the_introduction(
    two_members, django_capture_on_commit_callbacks
):
    hana, rhys = two_members
    rhys.phone_visibility = Visibility.MEMBERS
    rhys.save()
    introduction = _ask(hana, rhys)
    with django_capture_on_commit_callbacks(execute=True):
        services.introduction_accept(
            introduction=introduction, by=rhys, share_email=False, share_phone=False
        )
    to_hana = next(m for m in mail.outbox if m.to == ["hana@example.org"])
    assert "0113 496 0999" in to_hana.body  # members may see it on his profile anyway
    assert "rhys@example.org" not in to_hana.body


def test_declining_is_silent(two_members, django_capture_on_commit_callbacks):
    hana, rhys = two_members
    introduction = _ask(hana, rhys)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.introduction_decline(introduction=introduction, by=rhys)
    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.DECLINED
    assert introduction.get_status_display() == "Not this time"
    assert mail.outbox == []
    with pytest.raises(MatchingError, match="not this time"):
        _ask(hana, rhys)


def test_only_the_recipient_answers_and_only_once(two_members, another_member):
    hana, rhys = two_members
    introduction = _ask(hana, rhys)
    with pytest.raises(MatchingError):
        services.introduction_accept(introduction=introduction, by=hana)
    with pytest.raises(MatchingError):
        services.introduction_decline(introduction=introduction, by=another_member)
    services.introduction_accept(introduction=introduction, by=rhys)
    with pytest.raises(MatchingError):
        services.introduction_decline(introduction=introduction, by=rhys)
    with pytest.raises(MatchingError, match="already been introduced"):
        _ask(rhys, hana)


def test_requests_expire_after_14_days(two_members):
    hana, rhys = two_members
    introduction = _ask(hana, rhys)
    assert services.introductions_expire(now=timezone.now() + timedelta(days=13)) == 0
    later = timezone.now() + timedelta(days=14, minutes=1)
    assert services.introductions_expire(now=later) == 1
    assert services.introductions_expire(now=later) == 0  # idempotent
    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.EXPIRED
    with pytest.raises(MatchingError):
        services.introduction_accept(introduction=introduction, by=rhys)
    _ask(hana, rhys)  # they may ask again


def test_an_expired_request_cannot_be_accepted_even_before_the_job_runs(two_members):
    hana, rhys = two_members
    introduction = _ask(hana, rhys)
    with pytest.raises(MatchingError, match="expired"):
        services.introduction_accept(
            introduction=introduction, by=rhys, now=timezone.now() + timedelta(days=15)
        )


def test_limits_on_open_requests(member):
    others = UserFactory.create_batch(services.MAX_OPEN_REQUESTS + 1)
    now = timezone.now()
    for day, other in enumerate(others[: services.MAX_OPEN_REQUESTS]):
        # One a day, so the daily limit does not bite first.
        _ask(member, other, now=now - timedelta(days=day + 1, hours=1))
    with pytest.raises(MatchingError, match="waiting for an answer"):
        _ask(member, others[-1], now=now)
    Introduction.objects.filter(recipient=others[0]).update(status=IntroductionStatus.DECLINED)
    _ask(member, others[-1], now=now)


def test_limits_per_day(member):
    others = UserFactory.create_batch(services.MAX_REQUESTS_PER_DAY + 1)
    for other in others[: services.MAX_REQUESTS_PER_DAY]:
        introduction = _ask(member, other)
        services.introduction_withdraw(introduction=introduction, by=member)
    with pytest.raises(MatchingError, match="today"):
        _ask(member, others[-1])
    _ask(member, others[-1], now=timezone.now() + timedelta(days=1, minutes=1))


def test_a_recipient_cannot_be_swamped(member):
    askers = UserFactory.create_batch(services.MAX_WAITING_FOR_RECIPIENT + 1)
    for asker in askers[:-1]:
        _ask(asker, member)
    with pytest.raises(MatchingError, match="many requests"):
        _ask(askers[-1], member)


def test_no_duplicate_or_self_or_hidden_requests(two_members):
    hana, rhys = two_members
    with pytest.raises(MatchingError):
        _ask(hana, hana)
    _ask(hana, rhys)
    with pytest.raises(MatchingError, match="already waiting"):
        _ask(rhys, hana)
    hidden = UserFactory(profile_visibility=Visibility.HIDDEN)
    with pytest.raises(MatchingError):
        _ask(hana, hidden)
    with pytest.raises(MatchingError):
        _ask(hana, UserFactory(status="lapsed"))


# --- Follow-up and collaborations -----------------------------------------------------------------


def _accepted(hana, rhys, days_ago=50):
    introduction = _ask(hana, rhys)
    services.introduction_accept(
        introduction=introduction, by=rhys, now=timezone.now() - timedelta(days=days_ago)
    )
    introduction.refresh_from_db()
    return introduction


def test_follow_ups_go_once_to_both_sides_after_six_weeks(
    two_members, django_capture_on_commit_callbacks
):
    hana, rhys = two_members
    recent = _accepted(hana, rhys, days_ago=10)
    other = UserFactory()
    due = _accepted(other, hana, days_ago=43)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.follow_ups_send() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.follow_ups_send() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([other.email, hana.email])
    body = mail.outbox[0].body
    assert "/matching/follow-up/" in body and "?answer=yes" in body and "?answer=no" in body
    recent.refresh_from_db()
    due.refresh_from_db()
    assert recent.follow_up_sent_at is None and due.follow_up_sent_at is not None


def test_a_yes_records_one_collaboration_and_a_later_no_removes_it(two_members):
    hana, rhys = two_members
    introduction = _accepted(hana, rhys)
    services.follow_up_answer(
        introduction=introduction, respondent=hana, answer="yes", note="A joint walking group"
    )
    services.follow_up_answer(introduction=introduction, respondent=rhys, answer="in_progress")
    assert Collaboration.objects.count() == 1
    collaboration = Collaboration.objects.get()
    assert collaboration.member_a_id < collaboration.member_b_id
    assert collaboration.note == "A joint walking group"
    assert FollowUp.objects.count() == 2
    services.follow_up_answer(introduction=introduction, respondent=hana, answer="no")
    assert Collaboration.objects.count() == 1  # Rhys still says in progress
    services.follow_up_answer(introduction=introduction, respondent=rhys, answer="no")
    assert Collaboration.objects.count() == 0


def test_only_the_pair_answers_a_follow_up(two_members, another_member):
    hana, rhys = two_members
    introduction = _accepted(hana, rhys)
    with pytest.raises(MatchingError):
        services.follow_up_answer(
            introduction=introduction, respondent=another_member, answer="yes"
        )


def test_coordinators_record_collaborations_from_elsewhere(coordinator, two_members, member):
    hana, rhys = two_members
    collaboration = services.collaboration_record(
        recorded_by=coordinator,
        member_a=rhys,
        member_b=hana,
        source="event",
        happened_on=timezone.localdate(),
        note="Met at the spring get-together",
    )
    assert {collaboration.member_a, collaboration.member_b} == {hana, rhys}
    assert AuditEntry.objects.filter(action="matching.collaboration.record").exists()
    with pytest.raises(MatchingError):
        services.collaboration_record(
            recorded_by=member,
            member_a=rhys,
            member_b=hana,
            source="event",
            happened_on=timezone.localdate(),
        )
