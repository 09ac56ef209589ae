"""The breakout planner: rooms that give people new people to meet.

Given ``n`` people, a room size ``k`` and a number of rounds, put everyone in a room in every
round so that

1. rooms are as even as possible and never bigger than ``k`` (``ceil(n/k)`` rooms per round);
2. "keep apart" pairs never share a room and "keep together" pairs always do (hard: honoured
   whenever the sizes allow it);
3. as few pairs as possible meet again, counting both earlier rounds of this plan and the
   history of who has already shared a room (a pair meeting a third time costs more than a
   second time, so unavoidable repeats are spread out);
4. people from the same region or focus area are spread across rooms (a soft preference, far
   weaker than 3).

This is the social golfer problem with history and side constraints. The method is a greedy
construction followed by simulated annealing over swaps of two people between rooms in the same
round (which keeps the sizes), with a fixed seed so the same input gives the same plan, and a
time budget. It stops early once a plan with no repeat and no broken constraint is found and
nothing soft is left to improve. See docs/decisions/0004-events.md and bench/breakouts.py.

Pure Python and no Django, so the benchmark and the unit tests run it directly.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

REPEAT = 1000  # cost of a pair's second meeting (third: 2000, fourth: 3000...)
APART = 1_000_000  # a keep-apart pair in the same room
TOGETHER = 1_000_000  # a keep-together pair in different rooms
# Annealing temperatures, in cost units: while repeats remain, hot enough to accept the odd
# extra repeat; afterwards only the soft mix is tuned and repeats are never let back in.
T_HARD_START, T_HARD_END = 0.5 * 1000, 0.1 * 1000
T_SOFT_START, T_SOFT_END = 3.0, 0.2
FOCUS = 0.9
STALE_CYCLES = 8  # cycles without improvement before the search gives up
TRACE = False
SOFT_CYCLES = 3  # cycles spent on the mix of regions and focus areas once nothing hard is left  # how often a move must involve someone in a repeat, while there are any
SIMILAR = 1  # per region or focus area two people in a room share


@dataclass
class Problem:
    people: int
    room_size: int
    rounds: int = 1
    # (i, j, times): pairs that have already shared a room, and how often.
    met: Sequence[tuple[int, int, int]] = ()
    # For each person, the regions and focus areas they stand for (any hashable labels).
    traits: Sequence[Iterable] = ()
    keep_together: Sequence[tuple[int, int]] = ()
    keep_apart: Sequence[tuple[int, int]] = ()


@dataclass
class Result:
    rounds: list[list[list[int]]]  # rounds -> rooms -> people (sorted)
    repeats_within: int  # pair meetings beyond the first, within this plan
    repeats_history: int  # meetings in this plan of pairs who had met before
    new_pairs: int  # distinct pairs meeting for the first time
    together_broken: int
    apart_broken: int
    similarity: int  # shared traits summed over every pair in every room
    seconds: float
    iterations: int
    sizes: list[int] = field(default_factory=list)

    @property
    def repeats(self) -> int:
        return self.repeats_within + self.repeats_history

    def figures(self) -> dict:
        return {
            "rooms_per_round": len(self.rounds[0]) if self.rounds else 0,
            "sizes": self.sizes,
            "repeats": self.repeats,
            "repeats_within": self.repeats_within,
            "repeats_history": self.repeats_history,
            "new_pairs": self.new_pairs,
            "together_broken": self.together_broken,
            "apart_broken": self.apart_broken,
            "similarity": self.similarity,
            "seconds": round(self.seconds, 3),
        }


def room_sizes(people: int, room_size: int) -> list[int]:
    """``ceil(people/room_size)`` rooms whose sizes differ by at most one, largest first."""
    if people <= 0:
        return []
    if room_size < 2:
        raise ValueError("A room needs space for at least 2 people.")
    rooms = math.ceil(people / room_size)
    base, extra = divmod(people, rooms)
    return [base + 1] * extra + [base] * (rooms - extra)


def _groups(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Keep-together pairs joined into groups (union-find); singletons included."""
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    groups = {}
    for person in range(n):
        groups.setdefault(find(person), []).append(person)
    return list(groups.values())


# --- Affine designs -------------------------------------------------------------------------
# When the number of rooms q is a prime power and rooms hold at most q people, the rooms of
# round w can be the "lines" x = c + a_i * w over the finite field GF(q): two people meet in at
# most one of the first q rounds. That is a perfect start for the annealing (for 20 people in
# 4s over 5 rounds, or 32 in 4s over 8, it is already a plan without a repeat).

RELABELLINGS = 12  # random relabellings of a design tried against history and constraints


def _prime_power(q: int) -> tuple[int, int] | None:
    """``(p, m)`` with ``p**m == q`` and ``p`` prime, or ``None``."""
    if q < 2:
        return None
    for p in range(2, q + 1):
        if q % p == 0:
            m = 0
            while q % p == 0:
                q //= p
                m += 1
            return (p, m) if q == 1 else None
    return None


def _poly_mod(a: list[int], f: list[int], p: int) -> list[int]:
    """``a`` modulo the monic ``f`` over GF(p); coefficients lowest degree first."""
    a = list(a)
    while len(a) >= len(f):
        lead = a[-1] % p
        if lead:
            shift = len(a) - len(f)
            for i, coefficient in enumerate(f):
                a[shift + i] = (a[shift + i] - lead * coefficient) % p
        a.pop()
    return a


def _irreducible(p: int, m: int) -> list[int]:
    """A monic irreducible polynomial of degree ``m`` over GF(p), by trial division."""
    from itertools import product

    def monic(degree):
        for low in product(range(p), repeat=degree):
            yield [*low, 1]

    for low in product(range(p), repeat=m):
        f = [*low, 1]
        if f[0] == 0:
            continue
        if all(any(_poly_mod(f, g, p)) for degree in range(1, m // 2 + 1) for g in monic(degree)):
            return f
    raise ValueError(f"No irreducible polynomial of degree {m} over GF({p})")


class _Field:
    """GF(p**m) with elements 0..q-1 (base-p digits are polynomial coefficients)."""

    def __init__(self, p: int, m: int):
        self.p, self.m, self.q = p, m, p**m
        f = _irreducible(p, m) if m > 1 else [0, 1]
        digits = [self._digits(x) for x in range(self.q)]
        self.add = [[self._number([(a + b) % p for a, b in zip(x, y, strict=True)])
                     for y in digits] for x in digits]  # fmt: skip
        self.mul = [[0] * self.q for _ in range(self.q)]
        for i, x in enumerate(digits):
            for j, y in enumerate(digits):
                product_ = [0] * (2 * m - 1)
                for a, xa in enumerate(x):
                    for b, yb in enumerate(y):
                        product_[a + b] = (product_[a + b] + xa * yb) % p
                reduced = _poly_mod(product_, f, p) if m > 1 else [product_[0] % p]
                self.mul[i][j] = self._number(reduced + [0] * (m - len(reduced)))

    def _digits(self, x: int) -> list[int]:
        return [(x // self.p**i) % self.p for i in range(self.m)]

    def _number(self, digits: list[int]) -> int:
        return sum(d * self.p**i for i, d in enumerate(digits))


def design_rounds(people: int, room_size: int, rounds: int) -> list[list[list[int]]] | None:
    """Up to ``min(rounds, q)`` rounds in which no pair meets twice, for ``q`` rooms a prime
    power with ``room_size <= q``; the sizes match ``room_sizes``. ``None`` otherwise."""
    sizes = room_sizes(people, room_size)
    q = len(sizes)
    power = _prime_power(q)
    k = max(sizes) if sizes else 0
    if power is None or k > q or k < 2:
        return None
    field_ = _Field(*power)
    missing = q * k - people  # empty places, all in the last row so rooms stay even
    cell_person = {}
    number = 0
    for row in range(k):
        for x in range(q):
            if row == k - 1 and x >= q - missing:
                continue
            cell_person[(row, x)] = number
            number += 1
    plan_ = []
    for w in range(min(rounds, q)):
        rooms = []
        for c in range(q):
            room = []
            for row in range(k):
                x = field_.add[c][field_.mul[row][w]]
                person = cell_person.get((row, x))
                if person is not None:
                    room.append(person)
            rooms.append(room)
        rooms.sort(key=len, reverse=True)
        plan_.append(rooms)
    return plan_


def evaluate(problem: Problem, rounds: Sequence[Sequence[Sequence[int]]]) -> dict:
    """Score a plan (also one made elsewhere, e.g. a random one in the benchmark)."""
    n = problem.people
    history = {}
    for a, b, times in problem.met:
        if a != b and times > 0:
            key = (min(a, b), max(a, b))
            history[key] = history.get(key, 0) + times
    together = _together_keys(problem)
    apart = {(min(a, b), max(a, b)) for a, b in problem.keep_apart if a != b}
    traits = [frozenset(t) for t in problem.traits] if problem.traits else [frozenset()] * n
    counts: dict[tuple[int, int], int] = {}
    similarity = apart_broken = together_broken = 0
    for rooms in rounds:
        where = {}
        for number, room in enumerate(rooms):
            for person in room:
                where[person] = number
            for i, a in enumerate(room):
                for b in room[i + 1 :]:
                    key = (min(a, b), max(a, b))
                    counts[key] = counts.get(key, 0) + 1
                    similarity += len(traits[a] & traits[b])
                    apart_broken += key in apart
        together_broken += sum(1 for a, b in together if where.get(a) != where.get(b))
    repeats_within = repeats_history = new_pairs = 0
    for key, times in counts.items():
        if key in together:
            continue  # colleagues kept together are not "meeting again"
        if history.get(key, 0):
            repeats_history += times
        else:
            new_pairs += 1
            repeats_within += times - 1
    return {
        "repeats_within": repeats_within,
        "repeats_history": repeats_history,
        "new_pairs": new_pairs,
        "together_broken": together_broken,
        "apart_broken": apart_broken,
        "similarity": similarity,
    }


class _Search:
    """The annealing state: rooms per round, each person's room, and how often pairs met."""

    def __init__(self, problem: Problem, rng: random.Random):
        self.problem = problem
        self.rng = rng
        n = self.n = problem.people
        self.sizes = room_sizes(n, problem.room_size)
        # Static cost of two people sharing a room: shared traits, keep-apart, keep-together.
        self.static = [[0] * n for _ in range(n)]
        self.has_soft = False
        if problem.traits:
            traits = [frozenset(t) for t in problem.traits]
            for a in range(n):
                row = self.static[a]
                for b in range(a + 1, n):
                    shared = len(traits[a] & traits[b])
                    if shared:
                        row[b] = self.static[b][a] = SIMILAR * shared
                        self.has_soft = True
        self.no_repeat = [[False] * n for _ in range(n)]
        for a, b in {(min(a, b), max(a, b)) for a, b in problem.keep_apart if a != b}:
            self.static[a][b] += APART
            self.static[b][a] += APART
        # Everyone in a keep-together group (a, b and c when a-b and b-c are pairs) is pulled
        # together, and their meetings are not repeats.
        together = _together_keys(problem)
        for a, b in together:
            self.static[a][b] -= TOGETHER
            self.static[b][a] -= TOGETHER
            self.no_repeat[a][b] = self.no_repeat[b][a] = True
        self.together_pairs = len(together)
        # How often each pair has met (history, then each round of the plan as it is built).
        self.met = [[0] * n for _ in range(n)]
        for a, b, times in problem.met:
            if a != b and times > 0 and not self.no_repeat[a][b]:
                self.met[a][b] += times
                self.met[b][a] += times
        self.groups = _groups(n, problem.keep_together)
        self.rooms: list[list[list[int]]] = []
        self.where: list[list[int]] = []

    def pair_cost(self, a: int, b: int) -> int:
        """What adding a meeting of a and b costs, given how often they have met."""
        return self.static[a][b] + REPEAT * self.met[a][b]

    def _add_round(self, rooms: list[list[int]]) -> None:
        where = [0] * self.n
        for number, room in enumerate(rooms):
            for i, a in enumerate(room):
                where[a] = number
                for b in room[i + 1 :]:
                    self.met[a][b] += 1
                    self.met[b][a] += 1

        self.rooms.append(rooms)
        self.where.append(where)

    def greedy_round(self) -> list[list[int]]:
        """Place keep-together groups (largest first), then people, each where they add the
        least cost; ties are broken at random."""
        sizes = self.sizes
        rooms: list[list[int]] = [[] for _ in sizes]
        groups = sorted(self.groups, key=lambda g: (-len(g), self.rng.random()))
        for group in groups:
            best, best_cost = None, None
            order = list(range(len(rooms)))
            self.rng.shuffle(order)
            for number in order:
                room = rooms[number]
                if len(room) + len(group) > sizes[number]:
                    continue
                cost = sum(self.pair_cost(a, b) for a in group for b in room)
                if best_cost is None or cost < best_cost:
                    best, best_cost = number, cost
            if best is None:
                # The group does not fit whole anywhere: split it over the emptiest rooms.
                for person in group:
                    number = max(range(len(rooms)), key=lambda r: sizes[r] - len(rooms[r]))
                    rooms[number].append(person)
            else:
                rooms[best].extend(group)
        return rooms

    def build(self, use_design: bool = True) -> None:
        """Start from the better of a greedy plan and (when the sizes allow one) an affine
        design under a few random relabellings of the people."""
        candidates = []
        self.from_design = False  # started from a design that covers only some rounds
        design = (
            design_rounds(self.n, self.problem.room_size, self.problem.rounds)
            if use_design
            else None
        )
        if design:
            for _ in range(RELABELLINGS):
                labels = list(range(self.n))
                self.rng.shuffle(labels)
                candidates.append(
                    [[[labels[p] for p in room] for room in rooms] for rooms in design]
                )
        best_cost, best_rounds = None, None
        for rounds in [None, *candidates]:
            trial = _Search.__new__(_Search)
            trial.__dict__.update(self.__dict__)
            trial.met = [list(row) for row in self.met]
            trial.rooms, trial.where = [], []
            if rounds is None:
                for _ in range(self.problem.rounds):
                    trial._add_round(trial.greedy_round())
            else:
                for rooms in rounds:
                    trial._add_round([list(room) for room in rooms])
                for _ in range(self.problem.rounds - len(rounds)):
                    trial._add_round(trial.greedy_round())
            cost = trial.cost()
            if best_cost is None or cost < best_cost:
                best_cost, best_rounds = cost, trial
                self.from_design = rounds is not None and len(rounds) < self.problem.rounds
        self.met, self.rooms, self.where = best_rounds.met, best_rounds.rooms, best_rounds.where

    def swap_delta(self, r: int, a: int, b: int) -> int:
        where = self.where[r]
        room_a, room_b = self.rooms[r][where[a]], self.rooms[r][where[b]]
        met, static = self.met, self.static
        delta = 0
        row_a, row_b = met[a], met[b]
        static_a, static_b = static[a], static[b]
        for x in room_a:
            if x != a:
                # a leaves x; b joins x
                delta -= static_a[x] + REPEAT * (row_a[x] - 1)
                delta += static_b[x] + REPEAT * row_b[x]
        for y in room_b:
            if y != b:
                delta -= static_b[y] + REPEAT * (row_b[y] - 1)
                delta += static_a[y] + REPEAT * row_a[y]
        return delta

    def swap(self, r: int, a: int, b: int) -> None:
        where = self.where[r]
        na, nb = where[a], where[b]
        room_a, room_b = self.rooms[r][na], self.rooms[r][nb]
        met = self.met
        for x in room_a:
            if x != a:
                met[a][x] -= 1
                met[x][a] -= 1
                met[b][x] += 1
                met[x][b] += 1
        for y in room_b:
            if y != b:
                met[b][y] -= 1
                met[y][b] -= 1
                met[a][y] += 1
                met[y][a] += 1
        room_a[room_a.index(a)] = b
        room_b[room_b.index(b)] = a
        where[a], where[b] = nb, na

    def cost(self) -> int:
        """The whole objective (used to check the running total, and after restarts)."""
        total = 0
        for rooms in self.rooms:
            for room in rooms:
                for i, a in enumerate(room):
                    for b in room[i + 1 :]:
                        total += self.static[a][b]
        n = self.n
        for a in range(n):
            row = self.met[a]
            for b in range(a + 1, n):
                times = row[b]
                if times > 1:
                    total += REPEAT * times * (times - 1) // 2
        return total

    def snapshot(self):
        return [[list(room) for room in rooms] for rooms in self.rooms]


def _history_floor(problem: Problem) -> int:
    """The part of the objective that history alone fixes (pairs that met twice before)."""
    counts = {}
    for a, b, times in problem.met:
        if a != b and times > 0:
            key = (min(a, b), max(a, b))
            counts[key] = counts.get(key, 0) + times
    together = _together_keys(problem)
    return sum(
        REPEAT * t * (t - 1) // 2 for key, t in counts.items() if t > 1 and key not in together
    )


def _together_keys(problem: Problem) -> set[tuple[int, int]]:
    """Every pair inside a keep-together group, ``(low, high)``."""
    keys = set()
    for group in _groups(problem.people, problem.keep_together):
        keys.update(combinations(sorted(group), 2))
    return keys


def _target(search: _Search) -> int:
    """The best cost any plan could have: every keep-together pair together in every round
    (their meetings count as meetings, not repeats, but the objective still adds them up),
    no other repeat, no broken constraint; plus what history alone fixes."""
    rounds = search.problem.rounds
    pairs = search.together_pairs
    return (
        -TOGETHER * pairs * rounds
        + REPEAT * pairs * rounds * (rounds - 1) // 2
        + _history_floor(search.problem)
    )


def plan(
    problem: Problem,
    *,
    seed: int = 0,
    time_budget: float = 3.0,
    max_iterations: int | None = None,
    cycle: int = 50_000,
    use_design: bool = True,
) -> Result:
    """Plan every round of ``problem``. The same ``seed`` gives the same plan unless the time
    budget cuts the search short (``max_iterations`` bounds it in steps instead).
    ``use_design=False`` starts from the greedy plan only (the benchmark compares both)."""
    started = time.perf_counter()
    n = problem.people
    if n == 0 or problem.rounds <= 0:
        return Result([], 0, 0, 0, 0, 0, 0, 0.0, 0, [])
    rng = random.Random(seed)
    search = _Search(problem, rng)
    search.build(use_design=use_design)
    sizes = search.sizes
    best_rounds = search.snapshot()
    iterations = 0
    if len(sizes) > 1:
        deadline = started + time_budget
        budget = max_iterations or 10**9
        # A design that covers only some rounds can be a trap: give it half the time, then
        # try the greedy start too if anything hard is left, and keep the better plan.
        first_deadline = started + time_budget / 2 if search.from_design else deadline
        best_rounds, iterations = _anneal(
            search, rng, deadline=first_deadline, budget=budget, cycle=cycle
        )
        if search.from_design and _hard_left(search, best_rounds) and iterations < budget:
            other = _Search(problem, rng)
            other.build(use_design=False)
            other_rounds, more = _anneal(
                other, rng, deadline=deadline, budget=budget - iterations, cycle=cycle
            )
            iterations += more
            if (
                _restore(problem, rng, other_rounds).cost()
                < _restore(problem, rng, best_rounds).cost()
            ):
                best_rounds = other_rounds
    final = [[sorted(room) for room in rooms] for rooms in best_rounds]
    scores = evaluate(problem, final)
    return Result(
        rounds=final,
        seconds=time.perf_counter() - started,
        iterations=iterations,
        sizes=sizes,
        **scores,
    )


def _anneal(search: _Search, rng: random.Random, *, deadline: float, budget: int, cycle: int):
    """Simulated annealing in cycles: each cools from hot to cold, starting from the best plan
    so far. Stops at the budget, or once nothing hard is left to fix (no repeat, every
    constraint kept) and, if there is a soft mix to improve, a whole cycle did not improve it."""
    problem = search.problem
    n, rounds = problem.people, problem.rounds
    target = _target(search)
    current = search.cost()
    best, best_rounds = current, search.snapshot()
    hot = (T_HARD_START, T_HARD_END)
    soft = (T_SOFT_START, T_SOFT_END)
    randrange, random_, exp, clock = rng.randrange, rng.random, math.exp, time.perf_counter
    iterations = stale = soft_cycles = 0
    soft_part = _soft_part(problem)
    hard_left = best - soft_part(best_rounds) > target
    while iterations < budget and clock() < deadline:
        if not hard_left and not search.has_soft:
            break
        if not hard_left:
            soft_cycles += 1
        focus = FOCUS if hard_left else 0.0
        t_start, t_end = hot if hard_left else soft
        cooling = (t_end / t_start) ** (1 / cycle)
        best_before = best
        temperature = t_start
        where_by_round = search.where
        steps = min(cycle, budget - iterations)
        for step in range(steps):
            temperature *= cooling
            r = randrange(rounds)
            a = randrange(n)
            b = randrange(n)
            where = where_by_round[r]
            if where[a] == where[b]:
                continue
            if focus and random_() < focus:
                # Mostly move people who are in a repeat or break a constraint.
                row = search.met[a]
                room = search.rooms[r][where[a]]
                if not any(row[x] > 1 or search.static[a][x] >= APART for x in room if x != a):
                    continue
            delta = search.swap_delta(r, a, b)
            if delta <= 0 or random_() < exp(-delta / temperature):
                search.swap(r, a, b)
                current += delta
                if current < best:
                    best, best_rounds = current, search.snapshot()
                    if best <= target and not search.has_soft:
                        break
            if not step & 1023 and clock() > deadline:
                break
        iterations += step + 1
        stale = stale + 1 if best >= best_before else 0
        hard_left = best - soft_part(best_rounds) > target
        if TRACE:
            print("cycle", iterations, best, soft_part(best_rounds), target, hard_left, stale)
        if not hard_left and (not search.has_soft or stale or soft_cycles >= SOFT_CYCLES):
            break
        if stale >= STALE_CYCLES:
            break  # the best plan has not improved for a while: repeats are unavoidable
        search = _restore(problem, rng, best_rounds)
        current = best
    return best_rounds, iterations


def _hard_left(search: _Search, rounds) -> bool:
    """Whether ``rounds`` still has an avoidable repeat or a broken constraint (as far as the
    bound can tell)."""
    return _restore(search.problem, search.rng, rounds).cost() - _soft_part(search.problem)(
        rounds
    ) > _target(search)


def _soft_part(problem: Problem):
    """A function giving the soft (region and focus mix) part of a plan's cost, so that the
    rest, the hard part, can be compared with what is achievable."""
    if not problem.traits:
        return lambda rounds: 0
    return lambda rounds: SIMILAR * evaluate(problem, rounds)["similarity"]


def _restore(problem: Problem, rng: random.Random, rounds) -> _Search:
    search = _Search(problem, rng)
    for rooms in rounds:
        search._add_round([list(room) for room in rooms])
    return search
