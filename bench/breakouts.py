"""Benchmark: the breakout planner (``events/breakouts.py``) on standard instances.

    .venv/bin/python bench/breakouts.py            # every instance
    .venv/bin/python bench/breakouts.py --quick    # the three required ones only

Each instance is a social golfer problem: ``n`` people, rooms of ``k``, ``R`` rounds; the best
possible plan has no pair of people in a room together twice. For each, it reports:

* **planner**: repeated pairs (pair meetings beyond the first) in the product's plan and the time
  it took (the product's default path: an affine design over GF(q) as a start when the number of
  rooms q is a prime power, then simulated annealing);
* **annealing only**: the same search started from the greedy plan, without the design, to show
  what the search alone achieves;
* **random**: the mean repeated pairs of random allocations (20 of them), the baseline;
* **best known**: the best known result for the same sizes from the social golfer literature, or
  the counting bound: with m rooms per round, R * m * C(k,2) pair meetings happen, and there are
  only C(n,2) pairs, so at least max(0, that difference) meetings must repeat; and each person
  meets R*(k-1) others, at most n-1.

Then a realistic monthly get-together: 23 people (rooms of 4, two rounds) with history from
three earlier months, regions and focus areas, two keep-together and two keep-apart pairs.

Targets (issue 5): no repeated pair where a repeat-free solution is known, each plan < 5 s.
The bench is standalone (no database); ``make bench`` runs it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from itertools import combinations
from math import comb
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events.breakouts import Problem, evaluate, plan, room_sizes  # noqa: E402

TIME_BUDGET = 5.0
SEED = 2021

# (people, room size, rounds, what is known)
INSTANCES = [
    (
        20,
        4,
        5,
        "0: exists (5 groups of 4 for 5 rounds; the affine design over GF(5) is one)",
    ),
    (
        32,
        4,
        8,
        "0: exists (32 golfers, 8 groups of 4 are solved for 10 rounds, Aguado 2004)",
    ),
    (
        120,
        6,
        8,
        "0: not excluded (counting bound: 8 x 5 = 40 <= 119 others; 23 rounds at most)",
    ),
]
STRETCH = [
    (32, 4, 10, "0: exists (Aguado 2004, by construction); hard for local search"),
    (15, 3, 7, "0: exists (Kirkman's schoolgirls, 1850)"),
    (
        36,
        6,
        5,
        "> 0: impossible past 3 rounds (no 2 orthogonal Latin squares of order 6, Tarry 1900)",
    ),
]


def counting_bound(people: int, room_size: int, rounds: int) -> int:
    sizes = room_sizes(people, room_size)
    meetings = rounds * sum(comb(s, 2) for s in sizes)
    return max(0, meetings - comb(people, 2))


def random_plan(people: int, room_size: int, rounds: int, rng: random.Random):
    sizes = room_sizes(people, room_size)
    result = []
    for _ in range(rounds):
        order = list(range(people))
        rng.shuffle(order)
        rooms, start = [], 0
        for size in sizes:
            rooms.append(order[start : start + size])
            start += size
        result.append(rooms)
    return result


def check(result, people: int, room_size: int, rounds: int) -> None:
    """The plan is a real allocation: everyone once per round, rooms of the asked sizes."""
    assert len(result.rounds) == rounds
    for rooms in result.rounds:
        assert sorted(p for room in rooms for p in room) == list(range(people))
        assert sorted(map(len, rooms), reverse=True) == room_sizes(people, room_size)


def run_instance(people, room_size, rounds, known):
    problem = Problem(people=people, room_size=room_size, rounds=rounds)
    started = time.perf_counter()
    result = plan(problem, seed=SEED, time_budget=TIME_BUDGET)
    seconds = time.perf_counter() - started
    check(result, people, room_size, rounds)
    alone = plan(problem, seed=SEED, time_budget=TIME_BUDGET, use_design=False)
    check(alone, people, room_size, rounds)
    rng = random.Random(SEED)
    randoms = [
        evaluate(problem, random_plan(people, room_size, rounds, rng))["repeats_within"]
        for _ in range(20)
    ]
    return {
        "instance": f"{people} in {room_size}s x {rounds}",
        "planner": result.repeats,
        "seconds": seconds,
        "alone": alone.repeats,
        "alone_seconds": alone.seconds,
        "random": statistics.mean(randoms),
        "bound": counting_bound(people, room_size, rounds),
        "known": known,
    }


def realistic():
    """A monthly get-together: history from three earlier months, traits and constraints."""
    rng = random.Random(SEED)
    people, room_size, rounds = 23, 4, 2
    met = []
    for _month in range(3):
        came = rng.sample(range(people), 18)
        for start in range(0, 18, 4):
            met.extend((a, b, 1) for a, b in combinations(came[start : start + 4], 2))
    traits = [{f"region{rng.randrange(5)}", f"focus{rng.randrange(6)}"} for _ in range(people)]
    problem = Problem(
        people=people,
        room_size=room_size,
        rounds=rounds,
        met=met,
        traits=traits,
        keep_together=[(0, 1), (5, 6)],
        keep_apart=[(2, 3), (10, 11)],
    )
    result = plan(problem, seed=SEED, time_budget=TIME_BUDGET)
    check(result, people, room_size, rounds)
    baseline = [evaluate(problem, random_plan(people, room_size, rounds, rng)) for _ in range(20)]
    return result, baseline


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the three required instances")
    args = parser.parse_args(argv)
    instances = INSTANCES if args.quick else INSTANCES + STRETCH
    print(f"Breakout planner benchmark (seed {SEED}, time budget {TIME_BUDGET:.0f} s per plan)")
    print()
    header = (
        f"{'instance':<16} {'planner':>8} {'time':>7} {'anneal only':>12} {'time':>7} "
        f"{'random':>7} {'bound':>6}  best known"
    )
    print(header)
    print("-" * len(header))
    failures = []
    for people, room_size, rounds, known in instances:
        row = run_instance(people, room_size, rounds, known)
        print(
            f"{row['instance']:<16} {row['planner']:>8} {row['seconds']:>6.2f}s "
            f"{row['alone']:>12} {row['alone_seconds']:>6.2f}s {row['random']:>7.1f} "
            f"{row['bound']:>6}  {row['known']}"
        )
        required = (people, room_size, rounds, known) in INSTANCES
        if required and (row["planner"] > 0 or row["seconds"] >= TIME_BUDGET + 0.5):
            failures.append(row["instance"])
    print()
    print("repeated pairs: pair meetings beyond the first (0 is perfect); random: mean of 20.")

    result, baseline = realistic()
    print()
    print("A monthly get-together: 23 people in rooms of 4, 2 rounds, 3 months of history,")
    print("5 regions and 6 focus areas, 2 keep-together and 2 keep-apart pairs")
    mean = {key: statistics.mean(b[key] for b in baseline) for key in baseline[0]}
    print(
        f"  planner: {result.repeats_history} meetings with someone met before, "
        f"{result.repeats_within} repeats within the plan, "
        f"{result.together_broken + result.apart_broken} constraints broken, "
        f"shared region/focus {result.similarity}, {result.seconds:.2f}s"
    )
    print(
        f"  random:  {mean['repeats_history']:.1f} meetings with someone met before, "
        f"{mean['repeats_within']:.1f} repeats within the plan, "
        f"{mean['together_broken'] + mean['apart_broken']:.1f} constraints broken, "
        f"shared region/focus {mean['similarity']:.1f}"
    )
    print()
    if failures:
        print(f"TARGET MISSED for: {', '.join(failures)}")
        return 1
    print("Target met: no repeated pair on the required instances, each plan under 5 s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
