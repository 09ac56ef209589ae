"""Suggestions kept in storage: worked out in the background, read by the page in a few queries.

* :func:`embed_missing` gives every open item lacking one its meaning vector.
* :func:`refresh_member` recomputes one member's suggestions after they change an item, and the
  rows of the people who would now (or no longer) see them.
* :func:`recompute_all` recomputes everyone's (nightly, or after a change of model or weights).

The scoring itself is ``matching/scoring.py``; this module only loads the network and writes rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.geo import PostcodeError, centroid
from matching import scoring, textmodel
from matching.models import (
    Collaboration,
    Introduction,
    IntroductionStatus,
    Item,
    ItemStatus,
    PairingMember,
    Suggestion,
)
from members.models import (
    AffiliationStatus,
    AreaServed,
    Audience,
    FocusArea,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    User,
    Visibility,
)

logger = logging.getLogger(__name__)
TOP_N = 10
EMBED_BATCH = 256


def embed_missing() -> int:
    """Embed open items that have no vector from the current model; returns how many."""
    done = 0
    while True:
        batch = list(
            Item.objects.filter(status=ItemStatus.OPEN)
            .exclude(embedding_model=textmodel.MODEL_ID, embedding__isnull=False)
            .only("id", "description")
            .order_by("id")[:EMBED_BATCH]
        )
        if not batch:
            return done
        vectors = textmodel.embed([item.description for item in batch])
        for item, vector in zip(batch, vectors, strict=True):
            item.embedding = textmodel.to_bytes(vector)
            item.embedding_model = textmodel.MODEL_ID
        Item.objects.bulk_update(batch, ["embedding", "embedding_model"])
        done += len(batch)


@dataclass
class LoadedNetwork:
    net: scoring.Network
    member_ids: np.ndarray
    index_of: dict[int, int]
    item_ids: np.ndarray
    focus_names: list[str]
    audience_names: list[str]
    suggestable: np.ndarray  # may be shown to other members


def _matched_items():
    return Item.objects.filter(
        status=ItemStatus.OPEN,
        owner__status=MembershipStatus.ACTIVE,
        owner__is_active=True,
        embedding_model=textmodel.MODEL_ID,
    )


def _save_hubs(item_ids: np.ndarray, hubs: np.ndarray) -> None:
    items = [Item(pk=int(pk), hub=float(h)) for pk, h in zip(item_ids, hubs, strict=True)]
    Item.objects.bulk_update(items, ["hub"], batch_size=1000)


def load_network(*, fresh_hubs: bool = False) -> LoadedNetwork:
    """The open items of active members and what the scorer needs about their owners, in a fixed
    number of queries (no IN lists: the owners are a subquery). Items without a hub score get one
    (all do when ``fresh_hubs``), and it is stored."""
    rows = list(
        _matched_items()
        .order_by("id")
        .values_list("id", "owner_id", "kind", "category_id", "embedding", "hub")
    )
    owners = User.objects.filter(pk__in=_matched_items().values("owner_id"))
    people = list(owners.order_by("pk").values_list("pk", "postcode", "profile_visibility"))
    member_ids = np.array([p[0] for p in people], dtype=np.int64)
    index_of = {pk: i for i, pk in enumerate(member_ids.tolist())}
    n = len(people)

    focus_terms = list(FocusArea.objects.order_by("pk").values_list("pk", "name"))
    audience_terms = list(Audience.objects.order_by("pk").values_list("pk", "name"))
    focus_bit = {pk: b for b, (pk, _name) in enumerate(focus_terms)}
    audience_bit = {pk: b for b, (pk, _name) in enumerate(audience_terms)}
    focus = np.zeros((n, max(1, (len(focus_terms) + 63) // 64)), dtype=np.uint64)
    audience = np.zeros((n, max(1, (len(audience_terms) + 63) // 64)), dtype=np.uint64)

    def set_bit(table, row, bit):
        table[row, bit // 64] |= np.uint64(1) << np.uint64(bit % 64)

    for user_id, focus_id in User.focus_areas.through.objects.filter(
        user_id__in=owners.values("pk")
    ).values_list("user_id", "focusarea_id"):
        set_bit(focus, index_of[user_id], focus_bit[focus_id])

    memberships = list(
        OrganisationMembership.objects.filter(
            user_id__in=owners.values("pk"),
            status=AffiliationStatus.ACTIVE,
            organisation__status=MembershipStatus.ACTIVE,
        )
        .order_by("created_at", "id")
        .values_list(
            "user_id",
            "organisation_id",
            "organisation__latitude",
            "organisation__longitude",
            "organisation__area_served",
        )
    )
    orgs_of: dict[int, list[int]] = {}
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    local = np.zeros(n, dtype=bool)
    has_org = np.zeros(n, dtype=bool)
    for user_id, org_id, org_lat, org_lon, area in memberships:
        i = index_of[user_id]
        orgs_of.setdefault(org_id, []).append(i)
        has_org[i] = True
        if area == AreaServed.LOCAL:
            local[i] = True
        if org_lat is not None and np.isnan(lat[i]):
            lat[i], lon[i] = org_lat, org_lon
    org_ids = Organisation.objects.filter(
        memberships__user_id__in=owners.values("pk"),
        memberships__status=AffiliationStatus.ACTIVE,
    ).values("pk")
    for org_id, focus_id in Organisation.focus_areas.through.objects.filter(
        organisation_id__in=org_ids
    ).values_list("organisation_id", "focusarea_id"):
        for i in orgs_of.get(org_id, ()):
            set_bit(focus, i, focus_bit[focus_id])
    for org_id, audience_id in Organisation.audiences.through.objects.filter(
        organisation_id__in=org_ids
    ).values_list("organisation_id", "audience_id"):
        for i in orgs_of.get(org_id, ()):
            set_bit(audience, i, audience_bit[audience_id])
    # People who join without an organisation: their own postcode, and they count as local.
    for i, (_pk, postcode, _visibility) in enumerate(people):
        if not has_org[i] and postcode:
            local[i] = True
        if np.isnan(lat[i]) and postcode:
            try:
                found = centroid(postcode)
            except PostcodeError:
                found = None
            if found:
                lat[i], lon[i] = found

    item_vectors = np.zeros((len(rows), textmodel.DIMENSIONS), dtype=np.float32)
    for j, row in enumerate(rows):
        vector = textmodel.from_bytes(row[4])
        if vector is not None:
            item_vectors[j] = vector
    item_vectors = textmodel.normalise(item_vectors) if len(rows) else item_vectors

    net = scoring.Network(
        focus=focus,
        audience=audience,
        lat=lat,
        lon=lon,
        local=local,
        item_member=np.array([index_of[r[1]] for r in rows], dtype=np.int64),
        item_kind=np.array(
            [scoring.OFFER if r[2] == "offer" else scoring.NEED for r in rows], dtype=np.int8
        ),
        item_category=np.array([r[3] for r in rows], dtype=np.int64),
        item_vectors=item_vectors,
        excluded=_excluded_keys(index_of, n),
    )
    item_ids = np.array([r[0] for r in rows], dtype=np.int64)
    hub = np.array([np.nan if r[5] is None else r[5] for r in rows], dtype=np.float32)
    missing = np.nonzero(np.isnan(hub))[0]
    if fresh_hubs or len(missing):
        targets = None if fresh_hubs else missing
        hub[targets if targets is not None else slice(None)] = scoring.hub_scores(net, targets)
        _save_hubs(
            item_ids if targets is None else item_ids[targets],
            hub if targets is None else hub[targets],
        )
    net.item_hub = hub
    return LoadedNetwork(
        net=net,
        member_ids=member_ids,
        index_of=index_of,
        item_ids=item_ids,
        focus_names=[name for _pk, name in focus_terms],
        audience_names=[name for _pk, name in audience_terms],
        suggestable=np.array([p[2] != Visibility.HIDDEN for p in people], dtype=bool),
    )


def _excluded_keys(index_of: dict[int, int], n: int) -> np.ndarray:
    """Pairs never suggested: asked (waiting), introduced, declined, collaborated or paired."""
    pairs = list(
        Introduction.objects.filter(
            status__in=[
                IntroductionStatus.PENDING,
                IntroductionStatus.ACCEPTED,
                IntroductionStatus.DECLINED,
            ]
        ).values_list("requester_id", "recipient_id")
    )
    pairs += list(Collaboration.objects.values_list("member_a_id", "member_b_id"))
    groups: dict[int, list[int]] = {}
    for group_id, member_id in PairingMember.objects.values_list("group_id", "member_id"):
        groups.setdefault(group_id, []).append(member_id)
    for people in groups.values():
        pairs += [(a, b) for a in people for b in people if a < b]
    keys = [
        min(index_of[a], index_of[b]) * n + max(index_of[a], index_of[b])
        for a, b in pairs
        if a in index_of and b in index_of
    ]
    return np.unique(np.array(keys, dtype=np.int64))


def _names(bits: np.ndarray, names: list[str]) -> list[str]:
    found = []
    for word_index, word in enumerate(bits.tolist()):
        while word:
            low = word & -word
            bit = low.bit_length() - 1
            index = word_index * 64 + bit
            if index < len(names):
                found.append(names[index])
            word ^= low
    return found


def _rows(loaded: LoadedNetwork, pairs: scoring.Pairs, ranks, now) -> list[Suggestion]:
    def item_pk(index):
        return int(loaded.item_ids[index]) if index >= 0 else None

    suggestions = []
    for j in range(len(pairs)):
        distance = float(pairs.distance_km[j])
        suggestions.append(
            Suggestion(
                member_id=int(loaded.member_ids[pairs.member[j]]),
                other_id=int(loaded.member_ids[pairs.other[j]]),
                rank=int(ranks[j]) + 1,
                score=round(float(pairs.score[j]), 4),
                their_offer_id=item_pk(pairs.their_offer[j]),
                my_need_id=item_pk(pairs.my_need[j]),
                my_offer_id=item_pk(pairs.my_offer[j]),
                their_need_id=item_pk(pairs.their_need[j]),
                shared_focus=_names(pairs.shared_focus[j], loaded.focus_names),
                shared_audiences=_names(pairs.shared_audience[j], loaded.audience_names),
                distance_km=None if np.isnan(distance) else round(distance, 1),
                computed_at=now,
            )
        )
    return suggestions


def recompute_all() -> int:
    """Everyone's suggestions from scratch; returns how many rows are stored."""
    embed_missing()
    loaded = load_network(fresh_hubs=True)
    pairs = scoring.score_pairs(loaded.net)
    pairs = pairs.take(loaded.suggestable[pairs.other]) if len(pairs) else pairs
    best = scoring.top_n(pairs, TOP_N)
    rows = _rows(loaded, best, scoring.rank_within_member(best), timezone.now())
    with transaction.atomic():
        Suggestion.objects.all().delete()
        Suggestion.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def refresh_member(member_id: int) -> None:
    """Recompute ``member_id``'s suggestions and fix the lists of the people they now suit (or no
    longer suit). Scores are symmetric, so the other side's rows come from the same pass."""
    embed_missing()
    loaded = load_network()
    now = timezone.now()
    index = loaded.index_of.get(member_id)
    if index is None:
        # No open items any more: they appear in nobody's suggestions and have none.
        with transaction.atomic():
            Suggestion.objects.filter(Q(member_id=member_id) | Q(other_id=member_id)).delete()
        return
    pairs = scoring.score_pairs(loaded.net, members=np.array([index]))
    if len(pairs):
        pairs = pairs.take(loaded.suggestable[pairs.other])
    mine = pairs.take(pairs.member == index)
    mine = scoring.top_n(mine, TOP_N)
    own_rows = _rows(loaded, mine, scoring.rank_within_member(mine), now)

    theirs = pairs.take(pairs.member != index)
    new_for_them = {
        row.member_id: row for row in _rows(loaded, theirs, np.zeros(len(theirs), int), now)
    }
    if not loaded.suggestable[index]:
        new_for_them = {}
    with transaction.atomic():
        Suggestion.objects.filter(member_id=member_id).delete()
        Suggestion.objects.bulk_create(own_rows)
        # People who listed the member but no longer match them.
        Suggestion.objects.filter(other_id=member_id).exclude(
            member_id__in=list(new_for_them)
        ).delete()
        if not new_for_them:
            return
        existing: dict[int, list[Suggestion]] = {}
        for row in Suggestion.objects.filter(member_id__in=list(new_for_them)).exclude(
            other_id=member_id
        ):
            existing.setdefault(row.member_id, []).append(row)
        replaced = []
        for other_id, new_row in new_for_them.items():
            merged = [*existing.get(other_id, []), new_row]
            merged.sort(key=lambda r: (-r.score, r.other_id))
            for rank, row in enumerate(merged[:TOP_N], start=1):
                row.pk = None
                row.rank = rank
                replaced.append(row)
        Suggestion.objects.filter(member_id__in=list(new_for_them)).delete()
        Suggestion.objects.bulk_create(replaced)
