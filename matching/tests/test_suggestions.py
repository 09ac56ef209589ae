"""Suggestions with the real text model: different words, same meaning."""

import numpy as np
import pytest

from matching import services, suggestions, textmodel
from matching.models import Suggestion
from matching.selectors import suggestions_for
from matching.tests.factories import ItemFactory, category
from members.models import Visibility

pytestmark = pytest.mark.django_db


def test_the_model_finds_meaning_behind_different_words():
    hall, room, bids = textmodel.embed(
        [
            "We can lend our church hall",
            "Looking for a free room for a weekly group",
            "Happy to review your funding applications",
        ]
    )
    assert hall @ room > hall @ bids + 0.05
    assert np.linalg.norm(hall) == pytest.approx(1.0, abs=1e-4)
    assert textmodel.from_bytes(textmodel.to_bytes(hall)) @ hall == pytest.approx(1.0, abs=1e-2)


def _planted(two_members, another_member):
    hana, rhys = two_members
    hall = ItemFactory(
        owner=hana,
        kind="offer",
        category=category("venue-or-space"),
        description="We can lend our church hall on weekday mornings",
    )
    room = ItemFactory(
        owner=rhys,
        kind="need",
        category=category("partnership"),
        description="Looking for a free room for a weekly group",
    )
    ItemFactory(
        owner=another_member,
        kind="offer",
        category=category("digital-skills"),
        description="I build simple websites for small charities",
    )
    return hall, room


def test_a_planted_pair_is_suggested_with_the_reason(two_members, another_member):
    hana, rhys = two_members
    hall, room = _planted(two_members, another_member)
    suggestions.recompute_all()
    cards = suggestions_for(rhys)
    assert [c.person for c in cards] == [hana]
    reasons = " ".join(cards[0].reasons)
    assert "They offer venue or space, which may help with what you need" in reasons
    assert "You both work locally, about 3 km apart." in reasons
    assert [c.person for c in suggestions_for(hana)] == [rhys]
    assert "They are looking for partnership on a project" in suggestions_for(hana)[0].reasons[0]
    stored = Suggestion.objects.get(member=rhys)
    assert stored.their_offer == hall and stored.my_need == room


def test_a_change_refreshes_both_sides(
    two_members, another_member, django_capture_on_commit_callbacks
):
    hana, rhys = two_members
    hall, _room = _planted(two_members, another_member)
    with django_capture_on_commit_callbacks(execute=True):
        services.item_create(
            owner=another_member,
            kind="need",
            category=category("venue-or-space"),
            description="We need somewhere to meet every Tuesday for our coffee morning",
        )
    assert hana in [c.person for c in suggestions_for(another_member)]
    assert another_member in [c.person for c in suggestions_for(hana)]
    with django_capture_on_commit_callbacks(execute=True):
        services.item_set_status(item=hall, actor=hana, status="paused")
    assert hana not in [c.person for c in suggestions_for(another_member)]
    assert not Suggestion.objects.filter(other=hana).exists()
    assert not Suggestion.objects.filter(member=hana).exists()


def test_introduced_declined_and_hidden_people_are_left_out(two_members, another_member):
    hana, rhys = two_members
    _planted(two_members, another_member)
    suggestions.recompute_all()
    introduction = services.introduction_request(
        requester=rhys, recipient=hana, message="Could we talk about your hall, please?"
    )
    assert suggestions_for(rhys) == []  # asked: waiting
    services.introduction_decline(introduction=introduction, by=hana)
    suggestions.recompute_all()
    assert suggestions_for(rhys) == [] and suggestions_for(hana) == []

    Suggestion.objects.all().delete()
    introduction.delete()
    hana.profile_visibility = Visibility.HIDDEN
    hana.save()
    suggestions.recompute_all()
    assert suggestions_for(rhys) == []  # hidden people are not suggested to others
    assert [c.person for c in suggestions_for(hana)] == [rhys]  # but see their own


def test_items_of_former_members_are_not_matched(two_members, another_member):
    hana, rhys = two_members
    _planted(two_members, another_member)
    hana.status = "lapsed"
    hana.save()
    suggestions.recompute_all()
    assert suggestions_for(rhys) == []
