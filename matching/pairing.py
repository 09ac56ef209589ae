"""Meet someone new: each month, members who opted in are put in twos or threes.

* People who chose twos are paired with each other; people who chose threes are grouped in threes.
  Whoever is left over (one person in twos, or one or two in threes) waits for next month, first
  in the queue then.
* Good suggestions come first: a partner the scorer suggested is preferred, best score first;
  otherwise someone at random, so everyone gets a chance of meeting someone new.
* Nobody meets someone they have been grouped with before.
* Each group is emailed with a prompt for a first conversation, and everyone's email address is
  shared within the group (they agreed to this when opting in).
"""

from __future__ import annotations

import random
from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.email import absolute_url, send_email_on_commit
from matching.models import (
    PairingGroup,
    PairingMember,
    PairingPreference,
    PairingRound,
    Suggestion,
)
from members.models import MembershipStatus

PROMPTS = [
    gettext_noop("What is one thing that went better than you expected this year?"),
    gettext_noop("Who first got you involved in community work, and how?"),
    gettext_noop("What does a good week look like for the people you support?"),
    gettext_noop("What is the small thing that makes a newcomer feel welcome at your sessions?"),
    gettext_noop("If you had one extra day a month, what would you try?"),
    gettext_noop("What is something you have learned from the people you work with?"),
    gettext_noop("Which barrier to taking part would you most like to remove, and how?"),
]


def _past_pairs() -> set[tuple[int, int]]:
    groups: dict[int, list[int]] = {}
    for group_id, member_id in PairingMember.objects.values_list("group_id", "member_id"):
        groups.setdefault(group_id, []).append(member_id)
    return {(a, b) for people in groups.values() for a in people for b in people if a < b}


def _key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def draw_groups(
    people: list[int],
    size: int,
    *,
    scores: dict[tuple[int, int], float],
    past: set[tuple[int, int]],
    rng: random.Random,
) -> list[list[int]]:
    """Groups of ``size`` from ``people`` (a greedy draw): the person with the fewest possible
    partners chooses first, taking the best-scored partners who are new to everyone in the
    group. Nobody is grouped with someone from ``past``; leftovers are not grouped."""
    pool = list(people)
    rng.shuffle(pool)
    free = set(pool)

    def fresh(a, b):
        return _key(a, b) not in past

    def options(person):
        return [other for other in free if other != person and fresh(person, other)]

    groups = []
    while len(free) >= size:
        person = min(free, key=lambda p: (len(options(p)), pool.index(p)))
        group = [person]
        while len(group) < size:
            candidates = [
                other
                for other in free
                if other not in group and all(fresh(member, other) for member in group)
            ]
            if not candidates:
                break
            jitter = {c: rng.random() for c in candidates}
            candidates.sort(
                key=lambda c: (-sum(scores.get(_key(m, c), 0.0) for m in group), jitter[c])
            )
            group.append(candidates[0])
        if len(group) < size:
            free.discard(person)  # nobody new is left for them this month
            continue
        groups.append(group)
        free.difference_update(group)
    return groups


def _month_start(day: date) -> date:
    return day.replace(day=1)


def run_round(*, month: date | None = None, seed: int | None = None) -> PairingRound | None:
    month = _month_start(month or timezone.localdate())
    if PairingRound.objects.filter(month=month).exists():
        return None
    rng = random.Random(seed if seed is not None else month.toordinal())
    preferences = list(
        PairingPreference.objects.filter(
            opted_in=True, member__status=MembershipStatus.ACTIVE, member__is_active=True
        ).values_list("member_id", "group_size")
    )
    opted = [member_id for member_id, _size in preferences]
    scores = {
        _key(a, b): score
        for a, b, score in Suggestion.objects.filter(
            member_id__in=opted, other_id__in=opted
        ).values_list("member_id", "other_id", "score")
    }
    past = _past_pairs()
    # Whoever waited last month goes first this month.
    waited = set()
    last = PairingRound.objects.filter(month__lt=month).order_by("-month").first()
    if last is not None:
        grouped = set(
            PairingMember.objects.filter(group__round=last).values_list("member_id", flat=True)
        )
        waited = {m for m in opted if m not in grouped}
    groups = []
    for size in (2, 3):
        people = sorted(
            (m for m, s in preferences if s == size), key=lambda m: (m not in waited, m)
        )
        groups += draw_groups(people, size, scores=scores, past=past, rng=rng)
    try:
        with transaction.atomic():
            pairing_round = PairingRound.objects.create(month=month)
            for people in groups:
                group = PairingGroup.objects.create(round=pairing_round, prompt=rng.choice(PROMPTS))
                PairingMember.objects.bulk_create(
                    [PairingMember(group=group, member_id=m) for m in people]
                )
                _announce(group)
    except IntegrityError:
        return None  # another run drew this month's groups at the same moment
    return pairing_round


def _announce(group: PairingGroup) -> None:
    places = list(group.members.select_related("member"))
    for place in places:
        others = [p.member for p in places if p.member_id != place.member_id]
        send_email_on_commit(
            to=place.member.email,
            template="matching/pairing_announce",
            context={
                "name": place.member.get_short_name(),
                "others": [
                    {
                        "name": o.get_full_name(),
                        "email": o.email,
                        "profile_url": absolute_url(reverse("members:person", kwargs={"pk": o.pk})),
                    }
                    for o in others
                ],
                "prompt": _(group.prompt),
                "pairing_url": absolute_url(reverse("matching:pairing")),
            },
        )


def groups_for(member) -> list[PairingGroup]:
    """The member's groups, newest first, with the people in them (two queries)."""
    return list(
        PairingGroup.objects.filter(members__member=member)
        .select_related("round")
        .prefetch_related("members__member")
        .order_by("-round__month")[:6]
    )
