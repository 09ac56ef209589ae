from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from matching import selectors, services
from matching.models import Introduction, IntroductionStatus
from matching.tests.factories import ItemFactory
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _introduce(a, b, *, answer=None, days_ago=30):
    introduction = services.introduction_request(
        requester=a, recipient=b, message="Hello, shall we talk about working together?"
    )
    services.introduction_accept(
        introduction=introduction, by=b, now=timezone.now() - timedelta(days=days_ago)
    )
    if answer:
        services.follow_up_answer(introduction=introduction, respondent=a, answer=answer)
    return introduction


def test_the_collaboration_rate_moves_with_follow_up_answers():
    old = timezone.now() - timedelta(days=400)
    people = UserFactory.create_batch(10, date_joined=old)
    assert selectors.network_health().rate == 0.0
    _introduce(people[0], people[1], answer="yes")
    health = selectors.network_health()
    assert health.rate == 20.0 and health.collaborators == 2 and health.active_members == 10
    assert health.asked == 1 and health.accepted == 1 and health.fruitful == 1
    _introduce(people[2], people[3], answer="no")
    health = selectors.network_health()
    assert health.rate == 20.0 and health.asked == 2 and health.fruitful == 1
    assert len(health.trend) == 12 and health.trend[-1].rate == 20.0
    assert health.trend[0].rate == 0.0  # a year ago nobody had collaborated
    assert len(health.edges) == 1 and health.total_edges == 1


def test_old_collaborations_fall_out_of_the_rate(coordinator):
    old = timezone.now() - timedelta(days=800)
    a, b = UserFactory.create_batch(2, date_joined=old)
    services.collaboration_record(
        recorded_by=coordinator,
        member_a=a,
        member_b=b,
        source="grant",
        happened_on=timezone.localdate() - timedelta(days=400),
    )
    health = selectors.network_health()
    assert health.collaborators == 0
    assert health.trend[0].collaborators == 2  # a year ago it was recent


def test_quiet_members_are_those_with_no_interaction_for_90_days():
    long_ago = timezone.now() - timedelta(days=200)
    UserFactory(full_name="Quinn Quiet", date_joined=long_ago, last_login=long_ago)
    UserFactory(full_name="Lou Login", date_joined=long_ago, last_login=timezone.now())
    lister = UserFactory(full_name="Lee Lister", date_joined=long_ago)
    ItemFactory(owner=lister)
    asker, asked = UserFactory.create_batch(2, date_joined=long_ago)
    services.introduction_request(
        requester=asker, recipient=asked, message="Hello, shall we talk about working together?"
    )
    UserFactory(full_name="New Person")  # joined recently
    health = selectors.network_health()
    assert [p.full_name for p in health.quiet] == ["Quinn Quiet"]
    assert health.quiet_count == 1


def test_health_queries_do_not_grow_with_the_data(coordinator):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            selectors.network_health()
        return len(ctx.captured_queries)

    people = UserFactory.create_batch(4)
    _introduce(people[0], people[1], answer="yes")
    few = count()
    more = UserFactory.create_batch(10)
    for a, b in zip(more[::2], more[1::2], strict=True):
        _introduce(a, b, answer="in_progress")
    assert count() == few


def test_the_daily_command_runs_every_job(two_members, capsys):
    hana, rhys = two_members
    Introduction.objects.create(
        requester=hana,
        recipient=rhys,
        message="An old request nobody answered",
        created_at=timezone.now() - timedelta(days=20),
        expires_at=timezone.now() - timedelta(days=6),
    )
    call_command("matching_daily")
    out = capsys.readouterr().out
    assert "1 introduction request(s) expired." in out
    assert "Follow-up sent for 0 introduction(s)." in out
    assert "suggestion(s) stored" in out
    assert Introduction.objects.get().status == IntroductionStatus.EXPIRED
