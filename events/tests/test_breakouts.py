"""The breakout planner: rooms of the asked sizes, constraints honoured, new people met, and
history remembered between plans."""

from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import breakouts, services
from events.breakouts import Problem, design_rounds, evaluate, plan, room_sizes
from events.models import BreakoutPlacement, BreakoutRoom
from events.tests.factories import EventFactory
from members.tests.factories import UserFactory


def pair_counts(rounds):
    counts = Counter()
    for rooms in rounds:
        for room in rooms:
            counts.update(combinations(sorted(room), 2))
    return counts


def check_shape(result, people, room_size, rounds):
    assert len(result.rounds) == rounds
    for rooms in result.rounds:
        everyone = sorted(p for room in rooms for p in room)
        assert everyone == list(range(people)), "everyone in exactly one room each round"
        sizes = sorted((len(room) for room in rooms), reverse=True)
        assert sizes == room_sizes(people, room_size)
        assert max(sizes) <= room_size and max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize(
    ("people", "room_size", "expected"),
    [
        (20, 4, [4] * 5),
        (22, 4, [4, 4, 4, 4, 3, 3]),
        (5, 4, [3, 2]),
        (3, 6, [3]),
        (7, 2, [2, 2, 2, 1]),
    ],
)
def test_room_sizes_are_as_even_as_possible(people, room_size, expected):
    assert room_sizes(people, room_size) == expected


@settings(max_examples=25, deadline=None)
@given(
    people=st.integers(min_value=2, max_value=40),
    room_size=st.integers(min_value=2, max_value=7),
    rounds=st.integers(min_value=1, max_value=4),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_any_plan_has_the_asked_shape(people, room_size, rounds, seed):
    result = plan(Problem(people, room_size, rounds), seed=seed, time_budget=0.5)
    check_shape(result, people, room_size, rounds)


@pytest.mark.parametrize(("people", "room_size", "rounds"), [(20, 4, 5), (32, 4, 8), (15, 3, 5)])
def test_no_pair_meets_twice_where_that_is_possible(people, room_size, rounds):
    result = plan(Problem(people, room_size, rounds), seed=1, time_budget=5)
    check_shape(result, people, room_size, rounds)
    assert max(pair_counts(result.rounds).values()) == 1
    assert result.repeats == 0
    assert result.new_pairs == rounds * sum(s * (s - 1) // 2 for s in result.sizes)


def test_the_affine_design_never_repeats_a_pair():
    for people, room_size in [(20, 4), (30, 4), (49, 7), (27, 3)]:
        design = design_rounds(people, room_size, 99)
        assert design is not None
        assert max(pair_counts(design).values()) == 1
    assert design_rounds(120, 6, 8) is None  # 20 rooms: not a prime power


def test_without_the_design_annealing_alone_also_finds_repeat_free_rooms():
    result = plan(Problem(20, 4, 4), seed=3, time_budget=4, use_design=False)
    assert result.repeats == 0


def test_the_same_seed_gives_the_same_plan():
    problem = Problem(18, 4, 3, traits=[{i % 3} for i in range(18)])
    one = plan(problem, seed=7, time_budget=10, max_iterations=30_000)
    two = plan(problem, seed=7, time_budget=10, max_iterations=30_000)
    assert one.rounds == two.rounds


def test_keep_together_and_keep_apart_are_honoured_in_every_round():
    together = [(0, 1), (2, 3), (3, 4)]  # 2, 3 and 4 form one group of three
    apart = [(0, 5), (1, 6), (2, 7), (5, 6)]
    result = plan(
        Problem(16, 4, 4, keep_together=together, keep_apart=apart), seed=2, time_budget=3
    )
    check_shape(result, 16, 4, 4)
    assert result.together_broken == 0 and result.apart_broken == 0
    for rooms in result.rounds:
        room_of = {p: i for i, room in enumerate(rooms) for p in room}
        assert all(room_of[a] == room_of[b] for a, b in together)
        assert all(room_of[a] != room_of[b] for a, b in apart)


def test_history_is_avoided():
    # Last time 0-3, 4-7, 8-11 and 12-15 shared rooms: now each room takes one from each.
    groups = [range(0, 4), range(4, 8), range(8, 12), range(12, 16)]
    met = [(a, b, 1) for group in groups for a, b in combinations(group, 2)]
    result = plan(Problem(16, 4, 1, met=met), seed=0, time_budget=3)
    assert result.repeats_history == 0
    for room in result.rounds[0]:
        assert sorted(p // 4 for p in room) == [0, 1, 2, 3]


def test_unavoidable_repeats_are_as_few_as_possible_and_the_search_stops():
    # Two groups of eight who all met: a room of four holds at least two pairs who met.
    groups = [range(0, 8), range(8, 16)]
    met = [(a, b, 1) for group in groups for a, b in combinations(group, 2)]
    result = plan(Problem(16, 4, 1, met=met), seed=0, time_budget=60)
    assert result.repeats_history == 8
    # It gives up after a few cycles without improvement, long before the time budget.
    assert result.iterations <= 20 * 50_000


def test_regions_and_focus_areas_are_mixed():
    traits = [{f"r{i % 4}"} for i in range(16)]  # four regions, four people each
    result = plan(Problem(16, 4, 1, traits=traits), seed=0, time_budget=3)
    assert result.similarity == 0
    for room in result.rounds[0]:
        assert len({i % 4 for i in room}) == 4


def test_a_repeat_never_buys_a_better_mix():
    # Two people who met before share every trait with nobody else: meeting again is worse.
    traits = [{"x"} if i < 12 else {"y"} for i in range(16)]
    result = plan(Problem(16, 4, 1, traits=traits, met=[(0, 12, 1)]), seed=0, time_budget=2)
    assert result.repeats == 0


def test_evaluate_scores_a_given_plan():
    problem = Problem(4, 2, 2, met=[(0, 1, 1)], keep_apart=[(2, 3)])
    scores = evaluate(problem, [[[0, 1], [2, 3]], [[0, 2], [1, 3]]])
    assert scores["repeats_history"] == 1
    assert scores["apart_broken"] == 1
    assert scores["new_pairs"] == 3


# --- Stored rooms ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_planned_rooms_are_stored_and_the_next_plan_gives_new_people_to_meet(coordinator):
    people = UserFactory.create_batch(16)
    first = EventFactory(kind="get-together", capacity=20)
    for person in people:
        services.event_register(event=first, user=person)
    plan_one = services.breakout_plan_create(
        event=first,
        actor=coordinator,
        sessions=list(first.sessions.all()),
        room_size=4,
        rounds_per_session=2,
    )
    assert BreakoutRoom.objects.filter(plan=plan_one).count() == 8
    assert BreakoutPlacement.objects.filter(room__plan=plan_one).count() == 32
    assert plan_one.figures["repeats"] == 0

    # Next month: the same people. The plan avoids everyone they met last time.
    from datetime import timedelta

    later = first.starts_at + timedelta(days=28)
    second = EventFactory(kind="get-together", starts_at=later, ends_at=later + timedelta(hours=1))
    for person in people:
        services.event_register(event=second, user=person)
    plan_two = services.breakout_plan_create(
        event=second,
        actor=coordinator,
        sessions=list(second.sessions.all()),
        room_size=4,
        rounds_per_session=2,
    )
    assert plan_two.figures["repeats_history"] == 0
    met_before = {
        frozenset(pair)
        for room in BreakoutRoom.objects.filter(plan=plan_one).prefetch_related("placements")
        for pair in combinations([p.person_key for p in room.placements.all()], 2)
    }
    for room in BreakoutRoom.objects.filter(plan=plan_two).prefetch_related("placements"):
        for pair in combinations([p.person_key for p in room.placements.all()], 2):
            assert frozenset(pair) not in met_before

    # Planning the same session again replaces its rooms.
    services.breakout_plan_create(
        event=second, actor=coordinator, sessions=list(second.sessions.all()), room_size=4
    )
    assert BreakoutRoom.objects.filter(session__event=second).count() == 4


@pytest.mark.django_db
def test_a_fixed_series_is_planned_all_at_once(coordinator):
    event = EventFactory(kind="community-of-practice", sessions=6, capacity=15)
    people = UserFactory.create_batch(15)
    for person in people:
        services.event_register(event=event, user=person)
    registrations = list(event.registrations.order_by("id"))
    together = [(registrations[0].pk, registrations[1].pk)]
    apart = [(registrations[2].pk, registrations[3].pk)]
    plan_ = services.breakout_plan_create(
        event=event,
        actor=coordinator,
        sessions=list(event.sessions.all()),
        room_size=3,
        keep_together=together,
        keep_apart=apart,
    )
    rooms = list(BreakoutRoom.objects.filter(plan=plan_).prefetch_related("placements"))
    assert len(rooms) == 6 * 5
    assert {room.session.number for room in rooms} == {1, 2, 3, 4, 5, 6}
    assert plan_.figures["together_broken"] == 0 and plan_.figures["apart_broken"] == 0
    for room in rooms:
        ids = {p.registration_id for p in room.placements.all()}
        assert len(ids) == 3
        assert (registrations[0].pk in ids) == (registrations[1].pk in ids)
        assert not {registrations[2].pk, registrations[3].pk} <= ids


@pytest.mark.django_db
def test_traits_come_from_organisations_regions_and_focus_areas():
    from events import selectors
    from members.models import FocusArea, Region
    from members.tests.factories import MembershipFactory, OrganisationFactory

    region = Region.objects.create(name="Test region", slug="test-region")
    focus = FocusArea.objects.create(name="Test focus", slug="test-focus")
    organisation = OrganisationFactory()
    organisation.regions.add(region)
    person = UserFactory()
    person.focus_areas.add(focus)
    MembershipFactory(user=person, organisation=organisation)
    event = EventFactory()
    registration = services.event_register(event=event, user=person)
    guest = services.event_register(event=event, name="Guest", email="guest@example.org")
    [traits, guest_traits] = selectors.breakout_traits([registration, guest])
    assert traits == {f"r{region.pk}", f"f{focus.pk}"}
    assert guest_traits == frozenset()


def test_weights_keep_repeats_dominant():
    assert breakouts.REPEAT > 100 * breakouts.SIMILAR
    assert breakouts.APART > 100 * breakouts.REPEAT
