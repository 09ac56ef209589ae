import itertools
import random
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from matching import pairing, services
from matching.models import PairingGroup, PairingMember, PairingPreference, PairingRound, Suggestion
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _opt_in(people, size):
    for person in people:
        services.pairing_preference_set(member=person, opted_in=True, group_size=size)


def _groups(pairing_round):
    return [
        sorted(pm.member_id for pm in group.members.all())
        for group in pairing_round.groups.prefetch_related("members")
    ]


def test_groups_follow_each_persons_choice_and_are_announced(django_capture_on_commit_callbacks):
    twos, threes = UserFactory.create_batch(4), UserFactory.create_batch(6)
    _opt_in(twos, 2)
    _opt_in(threes, 3)
    UserFactory()  # not opted in
    with django_capture_on_commit_callbacks(execute=True):
        pairing_round = services.pairing_run(month=date(2026, 3, 1), seed=1)
    groups = _groups(pairing_round)
    assert sorted(len(g) for g in groups) == [2, 2, 3, 3]
    two_ids = {p.pk for p in twos}
    for group in groups:
        assert (set(group) <= two_ids) == (len(group) == 2)
    assert len(mail.outbox) == 10
    message = mail.outbox[0]
    assert message.subject == "Meet someone new this month"
    assert "A question to start with:" in message.body
    group_of_first = next(
        g for g in groups if UserFactory._meta.model.objects.get(email=message.to[0]).pk in g
    )
    others = UserFactory._meta.model.objects.filter(pk__in=group_of_first).exclude(
        email=message.to[0]
    )
    for other in others:
        assert other.email in message.body


def test_a_month_is_drawn_once():
    _opt_in(UserFactory.create_batch(4), 2)
    assert services.pairing_run(month=date(2026, 3, 1), seed=1) is not None
    assert services.pairing_run(month=date(2026, 3, 20), seed=2) is None
    assert PairingRound.objects.count() == 1


def test_nobody_meets_the_same_person_twice():
    people = UserFactory.create_batch(6)
    _opt_in(people, 2)
    seen = set()
    for month in range(1, 8):
        groups = _groups(services.pairing_run(month=date(2026, month, 1), seed=month))
        if month == 1:
            assert len(groups) == 3  # everyone is paired in the first month
        for group in groups:
            for pair in itertools.combinations(group, 2):
                assert pair not in seen
                seen.add(pair)
    assert len(seen) >= 12  # of the 15 possible pairs; then nobody new is left for some


def test_good_suggestions_are_preferred():
    a, b, c, d = people = UserFactory.create_batch(4)
    _opt_in(people, 2)
    Suggestion.objects.create(member=a, other=c, rank=1, score=2.0)
    Suggestion.objects.create(member=b, other=d, rank=1, score=2.0)
    for seed in range(5):
        PairingRound.objects.all().delete()
        groups = _groups(services.pairing_run(month=date(2026, 3, 1), seed=seed))
        assert sorted(groups) == sorted([sorted([a.pk, c.pk]), sorted([b.pk, d.pk])])


def test_draw_groups_leaves_out_who_cannot_be_placed():
    rng = random.Random(0)
    groups = pairing.draw_groups([1, 2, 3], 2, scores={}, past=set(), rng=rng)
    assert len(groups) == 1
    groups = pairing.draw_groups([1, 2, 3, 4, 5], 3, scores={}, past={(1, 2)}, rng=rng)
    assert len(groups) == 1 and not {1, 2} <= set(groups[0])


def test_check_ins_are_sent_once_and_answered_by_link(client, django_capture_on_commit_callbacks):
    people = UserFactory.create_batch(2)
    _opt_in(people, 2)
    pairing_round = services.pairing_run(month=date(2026, 3, 1), seed=1)
    PairingRound.objects.filter(pk=pairing_round.pk).update(
        created_at=timezone.now() - timedelta(days=22)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.pairing_check_ins_send() == 2
    assert services.pairing_check_ins_send() == 0
    link = next(line for line in mail.outbox[0].body.split() if "met=yes" in line)
    path = link.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200
    client.post(path.split("?")[0], {"met": "yes"})
    assert PairingMember.objects.filter(met="yes").count() == 1


def test_the_monthly_command_is_safe_to_run_daily(capsys):
    _opt_in(UserFactory.create_batch(2), 2)
    call_command("matching_monthly_pairing", "--seed", "1")
    call_command("matching_monthly_pairing", "--seed", "1")
    assert PairingGroup.objects.count() == 1
    out = capsys.readouterr().out
    assert "Drew 1 group(s)" in out and "already been drawn" in out
    assert PairingPreference.objects.count() == 2
