"""The scorer on small hand-made networks (no model: vectors are written out)."""

import numpy as np
import pytest

from matching import scoring


def _net(items, *, members=4, focus=None, local=None, lat=None, lon=None, excluded=()):
    """``items``: (member, kind, category, vector)."""
    vectors = np.array([v for *_rest, v in items], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    words = np.zeros((members, 1), dtype=np.uint64)
    focus_rows = words.copy()
    for m, terms in (focus or {}).items():
        focus_rows[m] = scoring.bitset(terms, 1)
    n = members
    return scoring.Network(
        focus=focus_rows,
        audience=words.copy(),
        lat=np.array(lat if lat else [np.nan] * n, dtype=float),
        lon=np.array(lon if lon else [np.nan] * n, dtype=float),
        local=np.array(local if local else [False] * n),
        item_member=np.array([i[0] for i in items]),
        item_kind=np.array([i[1] for i in items], dtype=np.int8),
        item_category=np.array([i[2] for i in items]),
        item_vectors=vectors,
        excluded=scoring.pair_keys(
            np.array([a for a, _b in excluded], dtype=np.int64),
            np.array([b for _a, b in excluded], dtype=np.int64),
            n,
        ),
    )


OFFER, NEED = scoring.OFFER, scoring.NEED
HALL, ROOM, BIDS, CODE = [1, 0, 0], [0.9, 0.3, 0], [0, 1, 0], [0, 0, 1]


def _score(pairs, member, other):
    rows = np.nonzero((pairs.member == member) & (pairs.other == other))[0]
    return float(pairs.score[rows[0]]) if len(rows) else None


def test_complementary_members_are_scored_from_both_sides_and_symmetrically():
    net = _net([(0, OFFER, 1, HALL), (1, NEED, 1, ROOM), (2, NEED, 2, CODE)])
    pairs = scoring.score_pairs(net)
    a, b = _score(pairs, 0, 1), _score(pairs, 1, 0)
    assert a is not None and a == pytest.approx(b)
    assert _score(pairs, 0, 2) is None  # a hall does not meet a need for code
    row = np.nonzero((pairs.member == 1) & (pairs.other == 0))[0][0]
    assert pairs.their_offer[row] == 0 and pairs.my_need[row] == 1
    assert pairs.my_offer[row] == -1


def test_the_category_counts_and_so_does_meaning_across_categories():
    same_category = _net([(0, OFFER, 1, HALL), (1, NEED, 1, [0.2, 0.98, 0])])
    other_category = _net([(0, OFFER, 1, HALL), (1, NEED, 2, [0.2, 0.98, 0])])
    assert _score(scoring.score_pairs(same_category), 0, 1) is not None
    assert _score(scoring.score_pairs(other_category), 0, 1) is None
    close_meaning = _net([(0, OFFER, 1, HALL), (1, NEED, 2, ROOM)])
    assert _score(scoring.score_pairs(close_meaning), 0, 1) is not None


def test_helping_each_other_beats_helping_one_way():
    net = _net(
        [
            (0, OFFER, 1, HALL),
            (0, NEED, 2, BIDS),
            (1, NEED, 1, ROOM),
            (1, OFFER, 2, BIDS),
            (2, NEED, 1, ROOM),
        ],
    )
    pairs = scoring.score_pairs(net)
    assert _score(pairs, 0, 1) > _score(pairs, 0, 2)


def test_shared_focus_and_nearness_raise_the_score():
    items = [(0, OFFER, 1, HALL), (1, NEED, 1, ROOM), (2, NEED, 1, ROOM), (3, NEED, 1, ROOM)]
    net = _net(
        items,
        focus={0: [1, 2], 2: [1, 2]},
        local=[True, True, True, True],
        lat=[53.8, 50.4, 50.4, 53.81],
        lon=[-1.55, -4.1, -4.1, -1.56],
    )
    pairs = scoring.score_pairs(net)
    plain, focus, near = _score(pairs, 0, 1), _score(pairs, 0, 2), _score(pairs, 0, 3)
    assert focus > plain and near > plain
    row = np.nonzero((pairs.member == 0) & (pairs.other == 3))[0][0]
    assert pairs.distance_km[row] < 2


def test_excluded_pairs_and_oneself_are_never_suggested():
    net = _net([(0, OFFER, 1, HALL), (0, NEED, 1, ROOM), (1, NEED, 1, ROOM)], excluded=[(1, 0)])
    pairs = scoring.score_pairs(net)
    assert len(pairs) == 0


def test_top_n_keeps_the_best_per_member_in_order():
    items = [(0, NEED, 1, ROOM)] + [(m, OFFER, 1, [1, 0.05 * m, 0]) for m in range(1, 8)]
    pairs = scoring.top_n(scoring.score_pairs(_net(items, members=8)), 3)
    mine = pairs.take(pairs.member == 0)
    assert list(mine.other) == [7, 6, 5]  # the closest in meaning to the need first
    assert list(scoring.rank_within_member(mine)) == [0, 1, 2]


def test_scoring_one_member_gives_the_same_rows_as_everyone():
    rng = np.random.default_rng(1)
    items = [
        (
            int(rng.integers(0, 20)),
            int(rng.integers(0, 2)),
            int(rng.integers(0, 3)),
            rng.normal(size=8),
        )
        for _ in range(60)
    ]
    net = _net(items, members=20)
    everyone = scoring.score_pairs(net, k=100)
    one = scoring.score_pairs(net, members=np.array([5]), k=100)
    for member, other, score in zip(one.member, one.other, one.score, strict=True):
        assert _score(everyone, member, other) == pytest.approx(float(score))


def test_a_description_alike_to_everything_does_not_crowd_out_a_specific_one():
    rng = np.random.default_rng(3)

    def unit(v):
        return v / np.linalg.norm(v)

    common = unit(rng.normal(size=80))  # what every need has in common (the wording)
    needs = [common + 0.8 * unit(rng.normal(size=80)) for _ in range(60)]
    generic = common  # a little like every need
    specific = 0.1 * common + (needs[0] - common) / 0.8  # like need 0 only, in other words
    others = [rng.normal(size=80) for _ in range(58)]
    items = (
        [(1 + i, NEED, 1, v) for i, v in enumerate(needs)]
        + [(61, OFFER, 1, generic), (62, OFFER, 1, specific)]
        + [(63 + i, OFFER, 2, v) for i, v in enumerate(others)]
    )
    net = _net(items, members=63 + len(others))
    plain = scoring.score_pairs(net)
    assert _score(plain, 1, 61) > _score(plain, 1, 62)  # the generic one wins without correction
    net.item_hub = scoring.hub_scores(net)
    corrected = scoring.score_pairs(net)
    assert _score(corrected, 1, 62) > _score(corrected, 1, 61)


def test_a_match_next_door_is_not_crowded_out_by_better_wording_far_away():
    far = [(m, OFFER, 1, [1, 0.05 * m, 0]) for m in range(1, 5)]
    items = [(0, NEED, 1, ROOM), *far, (5, OFFER, 1, [0.6, 0.8, 0])]
    lat = [53.80, 50.1, 50.2, 50.3, 50.4, 53.81]
    lon = [-1.55, -5.0, -5.0, -5.0, -5.0, -1.56]
    net = _net(items, members=6, local=[True] * 6, lat=lat, lon=lon)
    pairs = scoring.score_pairs(net, k=2)  # each need keeps only its 2 best offers nationally
    assert _score(pairs, 0, 5) is not None
    best = scoring.top_n(pairs, 1)
    assert list(best.take(best.member == 0).other) == [5]
