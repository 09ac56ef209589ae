"""Who is worth meeting: the scoring behind suggestions, in plain numpy (no Django here).

The same code runs in the background task (``matching/services.py``) and in the benchmark
(``bench/matching.py``), so the figures the benchmark reports are the product's.

How a pair of members is scored
-------------------------------
1. **Item pairs.** For every open need and every open offer of another member::

       text = cosine(meaning of the need, meaning of the offer)
          − HUB_WEIGHT × (hub score of the need + hub score of the offer)   (see hub_scores)
          + CATEGORY_WEIGHT if same category

   Each need keeps its ``K`` best offers and each offer its ``K`` best needs (both directions, so
   neither side's list crowds the other out). So that a good match next door is not crowded out
   by slightly better wording far away, members who both work locally are also compared with
   the items in their own and the neighbouring map cells (``CELL_DEGREES``; each item's
   ``K_LOCAL`` best there). Pairs below
   ``MIN_TEXT`` are dropped.
2. **Member pairs.** ``they_offer`` is the best pair where the other member offers what I need,
   ``i_offer`` the best where I offer what they need; the pair's text score is the larger plus
   ``MUTUAL_WEIGHT`` times the smaller (helping each other beats helping one way).
3. **Weights.** The text score is multiplied by
   ``1 + FOCUS_WEIGHT × shared focus areas (up to 3) + AUDIENCE_WEIGHT × shared audiences
   (up to 2) + NEAR_WEIGHT × exp(−distance / NEAR_KM) − FAR_WEIGHT × min(1, distance / FAR_KM)``,
   the distance terms only when both work locally and both places are known (two local groups
   at opposite ends of the country can rarely share a hall or volunteers).
4. Pairs already introduced, declined or otherwise excluded are removed; each member keeps the
   ``top_n`` best.

Scores are symmetric: A's score for B is B's score for A.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CATEGORY_WEIGHT = 0.25
MIN_TEXT = 0.3
HUB_K = 10
HUB_MIN_ITEMS = 50
HUB_WEIGHT = 0.5
MUTUAL_WEIGHT = 0.3
FOCUS_WEIGHT = 0.12
AUDIENCE_WEIGHT = 0.08
NEAR_WEIGHT = 0.4
NEAR_KM = 25.0
FAR_WEIGHT = 0.2
FAR_KM = 200.0
K = 40
K_LOCAL = 50
CHUNK = 1024
CELL_DEGREES = (0.4, 0.6)  # latitude, longitude: about 44 km × 40 km in Britain
EARTH_RADIUS_KM = 6371.0088

OFFER, NEED = 0, 1


@dataclass
class Network:
    """Everything the scorer needs, as arrays indexed by member and by item.

    ``focus`` and ``audience`` are bit sets, one row of uint64 words per member (term ``t`` is
    bit ``t % 64`` of word ``t // 64``). ``lat``/``lon`` are NaN when unknown; ``local`` is True
    for members whose work is local. ``item_vectors`` rows are L2-normalised.
    """

    focus: np.ndarray
    audience: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    local: np.ndarray
    item_member: np.ndarray
    item_kind: np.ndarray
    item_category: np.ndarray
    item_vectors: np.ndarray
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Unordered member-index pairs that must not be suggested, as ``min * n + max`` keys."""
    item_hub: np.ndarray | None = None
    """Each item's mean cosine to its ``HUB_K`` most similar items of the other kind (see
    :func:`hub_scores`); ``None`` means no correction."""

    @property
    def n_members(self) -> int:
        return len(self.lat)


def bitset(term_indexes, words: int) -> np.ndarray:
    """One bit-set row for a member with the given term indexes."""
    row = np.zeros(words, dtype=np.uint64)
    for t in term_indexes:
        row[t // 64] |= np.uint64(1) << np.uint64(t % 64)
    return row


def pair_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Unordered pair keys (for ``Network.excluded``)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    return np.minimum(a, b) * n + np.maximum(a, b)


@dataclass
class Pairs:
    """Scored member pairs, one row per (member, other), from ``member``'s point of view.

    Item columns are item indexes or -1: ``their_offer``/``my_need`` when they offer what I need,
    ``my_offer``/``their_need`` when I offer what they need. ``distance_km`` is NaN unless both
    work locally with known places.
    """

    member: np.ndarray
    other: np.ndarray
    score: np.ndarray
    their_offer: np.ndarray
    my_need: np.ndarray
    my_offer: np.ndarray
    their_need: np.ndarray
    shared_focus: np.ndarray  # uint64 bit-set rows
    shared_audience: np.ndarray
    distance_km: np.ndarray

    def __len__(self):
        return len(self.member)

    def take(self, index) -> Pairs:
        return Pairs(**{name: getattr(self, name)[index] for name in self.__dataclass_fields__})


def hub_scores(net: Network, items: np.ndarray | None = None, k: int | None = None) -> np.ndarray:
    """For ``items`` (all by default), the mean cosine to their ``k`` most similar items of the
    other kind.

    Some descriptions ("We can offer help for our group") are a little similar to almost
    everything and would crowd the specific ones out of everyone's list (the "hubness" of
    embedding spaces). Scoring subtracts ``HUB_WEIGHT`` × both items' hub scores (less the
    network's average, to keep the scale of a cosine) from their cosine: CSLS (Conneau et al.,
    2018), so a pair counts for how much more alike they are than each is to its usual neighbours.
    """
    k = k or HUB_K
    all_items = np.arange(len(net.item_member))
    items = all_items if items is None else np.asarray(items, dtype=np.int64)
    hub = np.zeros(len(items), dtype=np.float32)
    for kind, other in ((NEED, OFFER), (OFFER, NEED)):
        rows = np.nonzero(net.item_kind[items] == kind)[0]
        targets = all_items[net.item_kind == other]
        if not len(rows) or not len(targets):
            continue
        kk = min(k, len(targets))
        tv = net.item_vectors[targets]
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            scores = net.item_vectors[items[chunk]] @ tv.T
            best = np.partition(scores, len(targets) - kk, axis=1)[:, len(targets) - kk :]
            hub[chunk] = best.mean(axis=1)
    return hub


def _centred_hub(net: Network) -> np.ndarray | None:
    """Hub scores less their mean; ``None`` (no correction) in a network too small for the
    scores to mean anything."""
    if (
        net.item_hub is None
        or min(int((net.item_kind == OFFER).sum()), int((net.item_kind == NEED).sum()))
        < HUB_MIN_ITEMS
    ):
        return None
    return (net.item_hub - net.item_hub.mean()).astype(np.float32)


class _Targets:
    """Target items' columns gathered once, for scoring many chunks of queries against them."""

    def __init__(self, net: Network, t: np.ndarray, hub):
        self.vectors_t = np.ascontiguousarray(net.item_vectors[t].T)
        self.category = net.item_category[t]
        self.member = net.item_member[t]
        self.hub = None if hub is None else (HUB_WEIGHT * hub[t]).astype(np.float32)


def _text_scores(net: Network, q: np.ndarray, targets: _Targets, hub=None) -> np.ndarray:
    """Text scores of query items ``q`` (rows) against ``targets`` (columns), in place."""
    scores = net.item_vectors[q] @ targets.vectors_t
    if hub is not None:
        scores -= (HUB_WEIGHT * hub[q]).astype(np.float32)[:, None]
        scores -= targets.hub[None, :]
    same = net.item_category[q][:, None] == targets.category[None, :]
    np.add(scores, np.float32(CATEGORY_WEIGHT), out=scores, where=same)
    scores[net.item_member[q][:, None] == targets.member[None, :]] = -np.inf  # not oneself
    return scores


def _item_candidates(net: Network, queries: np.ndarray, targets: np.ndarray, k: int, hub=None):
    """For each query item, its ``k`` best target items by text score (≥ ``MIN_TEXT``)."""
    if len(queries) == 0 or len(targets) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    k = min(k, len(targets))
    gathered = _Targets(net, targets, hub)
    out_q, out_t, out_s = [], [], []
    for start in range(0, len(queries), CHUNK):
        q = queries[start : start + CHUNK]
        scores = _text_scores(net, q, gathered, hub)
        if k < len(targets):
            best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        else:
            best = np.broadcast_to(np.arange(len(targets)), scores.shape)
        best_scores = np.take_along_axis(scores, best, axis=1)
        keep = best_scores >= MIN_TEXT
        rows = np.nonzero(keep)[0]
        out_q.append(q[rows])
        out_t.append(targets[best[keep]])
        out_s.append(best_scores[keep].astype(np.float32))
    return np.concatenate(out_q), np.concatenate(out_t), np.concatenate(out_s)


def _local_candidates(net: Network, query_items: np.ndarray, hub=None):
    """Every (need, offer) pair between items of local members in neighbouring map cells, scored
    like ``_item_candidates`` (≥ ``MIN_TEXT``). Cells are small, so this is cheap."""
    n_items = len(net.item_member)
    owner = net.item_member
    usable = net.local[owner] & ~np.isnan(net.lat[owner])
    if not usable.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    items = np.arange(n_items)[usable]
    cell_lat = np.floor(net.lat[owner[items]] / CELL_DEGREES[0]).astype(np.int64)
    cell_lon = np.floor(net.lon[owner[items]] / CELL_DEGREES[1]).astype(np.int64)
    cells: dict[tuple[int, int], np.ndarray] = {}
    keys = list(zip(cell_lat.tolist(), cell_lon.tolist(), strict=True))
    order = sorted(range(len(items)), key=keys.__getitem__)
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and keys[order[end]] == keys[order[start]]:
            end += 1
        cells[keys[order[start]]] = items[[order[i] for i in range(start, end)]]
        start = end
    wanted = np.zeros(n_items, dtype=bool)
    wanted[query_items] = True
    out_n, out_o, out_s = [], [], []
    for (a, b), here in cells.items():
        queries = here[wanted[here]]
        if not len(queries):
            continue
        around = [
            cells[(a + da, b + db)]
            for da in (-1, 0, 1)
            for db in (-1, 0, 1)
            if (a + da, b + db) in cells
        ]
        targets = np.concatenate(around)
        for q_kind, t_kind in ((NEED, OFFER), (OFFER, NEED)):
            q = queries[net.item_kind[queries] == q_kind]
            t = targets[net.item_kind[targets] == t_kind]
            if not len(q) or not len(t):
                continue
            scores = _text_scores(net, q, _Targets(net, t, hub), hub)
            if scores.shape[1] > K_LOCAL:
                # Only each item's best neighbours, so the work grows with the network, not
                # with the square of how crowded a city is.
                cut = np.partition(scores, scores.shape[1] - K_LOCAL, axis=1)[:, -K_LOCAL]
                scores[scores < cut[:, None]] = -np.inf
            rows, cols = np.nonzero(scores >= MIN_TEXT)
            needs, offers = (q[rows], t[cols]) if q_kind == NEED else (t[cols], q[rows])
            out_n.append(needs)
            out_o.append(offers)
            out_s.append(scores[rows, cols].astype(np.float32))
    if not out_n:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    return np.concatenate(out_n), np.concatenate(out_o), np.concatenate(out_s)


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def _popcount(rows: np.ndarray) -> np.ndarray:
    return np.bitwise_count(rows).sum(axis=1).astype(np.int64)


def score_pairs(net: Network, members: np.ndarray | None = None, k: int = K) -> Pairs:
    """Every scored pair that involves an item of ``members`` (all members when ``None``).

    Rows are given from both sides' points of view, so updating one member's suggestions also
    gives the rows needed to update the people who would now see them.
    """
    n = net.n_members
    items = np.arange(len(net.item_member))
    if members is not None:
        wanted = np.zeros(n, dtype=bool)
        wanted[np.asarray(members, dtype=np.int64)] = True
        query_items = items[wanted[net.item_member]]
    else:
        query_items = items
    offers = items[net.item_kind == OFFER]
    needs = items[net.item_kind == NEED]
    q_needs = query_items[net.item_kind[query_items] == NEED]
    q_offers = query_items[net.item_kind[query_items] == OFFER]

    # Item pairs (need, offer, text score), from the needs' side and from the offers' side.
    hub = _centred_hub(net)
    n1, o1, s1 = _item_candidates(net, q_needs, offers, k, hub)
    o2, n2, s2 = _item_candidates(net, q_offers, needs, k, hub)
    n3, o3, s3 = _local_candidates(net, query_items, hub)
    need_item = np.concatenate([n1, n2, n3])
    offer_item = np.concatenate([o1, o2, o3])
    text = np.concatenate([s1, s2, s3])
    if len(text):
        # The passes may find the same item pair.
        key = need_item * len(items) + offer_item
        _, first = np.unique(key, return_index=True)
        need_item, offer_item, text = need_item[first], offer_item[first], text[first]

    # Each item pair seen from both sides: the need's owner ("they offer") and the offer's owner
    # ("I offer").
    need_owner = net.item_member[need_item]
    offer_owner = net.item_member[offer_item]
    member = np.concatenate([need_owner, offer_owner])
    other = np.concatenate([offer_owner, need_owner])
    direction = np.concatenate([np.zeros(len(text), np.int8), np.ones(len(text), np.int8)])
    need_col = np.concatenate([need_item, need_item])
    offer_col = np.concatenate([offer_item, offer_item])
    text2 = np.concatenate([text, text])

    # Best item pair per (member, other, direction).
    directed = (member * n + other) * 2 + direction
    order = np.lexsort((-text2, directed))
    directed, member, other, direction = (
        directed[order],
        member[order],
        other[order],
        direction[order],
    )
    need_col, offer_col, text2 = need_col[order], offer_col[order], text2[order]
    first = np.ones(len(directed), dtype=bool)
    first[1:] = directed[1:] != directed[:-1]
    member, other, direction = member[first], other[first], direction[first]
    need_col, offer_col, text2 = need_col[first], offer_col[first], text2[first]

    # Combine the two directions of each (member, other).
    pair = member * n + other
    starts = np.ones(len(pair), dtype=bool)
    starts[1:] = pair[1:] != pair[:-1]
    group = np.cumsum(starts) - 1
    g = int(group[-1]) + 1 if len(group) else 0
    they = np.full(g, -np.inf, dtype=np.float32)
    mine = np.full(g, -np.inf, dtype=np.float32)
    their_offer = np.full(g, -1, dtype=np.int64)
    my_need = np.full(g, -1, dtype=np.int64)
    my_offer = np.full(g, -1, dtype=np.int64)
    their_need = np.full(g, -1, dtype=np.int64)
    d0 = direction == 0
    they[group[d0]] = text2[d0]
    their_offer[group[d0]] = offer_col[d0]
    my_need[group[d0]] = need_col[d0]
    d1 = ~d0
    mine[group[d1]] = text2[d1]
    my_offer[group[d1]] = offer_col[d1]
    their_need[group[d1]] = need_col[d1]
    g_member = member[starts]
    g_other = other[starts]
    high = np.maximum(they, mine)
    low = np.minimum(they, mine)
    text_score = high + MUTUAL_WEIGHT * np.where(np.isfinite(low), low, 0.0)

    # Drop excluded pairs.
    if len(net.excluded):
        keep = ~np.isin(pair_keys(g_member, g_other, n), net.excluded)
        g_member, g_other, text_score = g_member[keep], g_other[keep], text_score[keep]
        their_offer, my_need = their_offer[keep], my_need[keep]
        my_offer, their_need = my_offer[keep], their_need[keep]

    # Member weights: shared focus and audiences, nearness when both work locally.
    shared_focus = net.focus[g_member] & net.focus[g_other]
    shared_audience = net.audience[g_member] & net.audience[g_other]
    distance = np.full(len(g_member), np.nan)
    both_local = net.local[g_member] & net.local[g_other]
    known = both_local & ~np.isnan(net.lat[g_member]) & ~np.isnan(net.lat[g_other])
    if known.any():
        distance[known] = _haversine_km(
            net.lat[g_member[known]],
            net.lon[g_member[known]],
            net.lat[g_other[known]],
            net.lon[g_other[known]],
        )
    known_distance = np.nan_to_num(distance)
    nearness = np.where(
        np.isnan(distance),
        0.0,
        NEAR_WEIGHT * np.exp(-known_distance / NEAR_KM)
        - FAR_WEIGHT * np.minimum(1.0, known_distance / FAR_KM),
    )
    factor = (
        1.0
        + FOCUS_WEIGHT * np.minimum(_popcount(shared_focus), 3)
        + AUDIENCE_WEIGHT * np.minimum(_popcount(shared_audience), 2)
        + nearness
    )
    return Pairs(
        member=g_member,
        other=g_other,
        score=(text_score * factor).astype(np.float32),
        their_offer=their_offer,
        my_need=my_need,
        my_offer=my_offer,
        their_need=their_need,
        shared_focus=shared_focus,
        shared_audience=shared_audience,
        distance_km=distance,
    )


def top_n(pairs: Pairs, n: int = 10) -> Pairs:
    """Each member's ``n`` best rows, best first (ties broken by the other's index)."""
    if not len(pairs):
        return pairs
    order = np.lexsort((pairs.other, -pairs.score, pairs.member))
    member = pairs.member[order]
    starts = np.ones(len(member), dtype=bool)
    starts[1:] = member[1:] != member[:-1]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(member)), 0))
    rank = np.arange(len(member)) - group_start
    return pairs.take(order[rank < n])


def rank_within_member(pairs: Pairs) -> np.ndarray:
    """0-based rank of each row within its member, for rows already sorted by ``top_n``."""
    member = pairs.member
    starts = np.ones(len(member), dtype=bool)
    starts[1:] = member[1:] != member[:-1]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(member)), 0))
    return np.arange(len(member)) - group_start
