"""Benchmark: suggestions for offers and needs on a synthetic network of 10,000 and 50,000 members.

    .venv/bin/python bench/matching.py                 # both sizes
    .venv/bin/python bench/matching.py --sizes 10000   # one size

What it builds. Every member works somewhere in the UK (a real postcode district), locally or
not, with one or two focus areas. Some members are *planted pairs*: one offers something and the
other, in the same district, needs it, **written in different words** ("We can lend our church
hall on weekday mornings" / "Looking for a free room for a weekly group"); the pair's need is filed
under a different category a third of the time, as people do. Each planted theme is used by many
pairs across the country, so the planted partner is the right answer only if the text is
understood *and* nearness is weighed. Each planted member also has two neighbours in the same
district listing something else in the category the partner uses ("We can offer storage space
for equipment for our lunch club"), so nearness and category alone cannot find the partner.
Every other member lists one or two ordinary items built from templates that share many words
with the planted ones.

What it reports, for each size, for the product's scorer (``matching/scoring.py`` with the
sentence model of ``matching/textmodel.py``) and for a keyword-overlap baseline run through the
*same* scorer (item texts compared by shared content words, cosine of binary word vectors,
instead of by meaning; the hub correction, which exists for embeddings, is left out for it), and
for the model without its hub correction, to show what that adds:

* recall@5: the share of planted members whose planted partner is among their top 5;
* the time to recompute everyone's suggestions from stored vectors, hub scores included (what
  the nightly job and ``matching_recompute_suggestions`` do, less reading and writing rows), and
  one member's refresh (what a change triggers);
* the time to embed the texts (done once per item when it is saved), with the rate, and what
  embedding every item of a network with all-different texts would take at that rate.

Targets (issue 4): recall@5 ≥ 0.8 and ≥ 1.5 × the baseline's; all suggestions for 50,000
members in under 10 minutes on 2 cores. Nothing is downloaded; the model comes from a package.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching import scoring, textmodel  # noqa: E402

CATEGORIES = [
    "funding",
    "volunteers",
    "venue",
    "training",
    "mentoring",
    "digital",
    "evaluation",
    "partnership",
    "peer",
    "safeguarding",
    "promotion",
]
CAT = {name: i for i, name in enumerate(CATEGORIES)}

# Planted themes: (category, offers, needs). Offers and needs are written in different words.
THEMES = [
    ("venue", ["We can lend our church hall on weekday mornings", "Our community centre has a meeting room free most afternoons", "Happy to let local groups use our parish hall at no cost"],
     ["Looking for a free room for a weekly group", "We need somewhere to meet every Tuesday for our coffee morning", "Searching for a space to hold a regular drop-in session"]),
    ("venue", ["Our allotment and garden are open to other groups", "We have raised beds and a greenhouse other projects can use"],
     ["Looking for somewhere outdoors where people can grow vegetables", "We want to run gardening sessions but have no land"]),
    ("venue", ["Our commercial kitchen is free to use on Fridays", "We can share our catering kitchen and cooking equipment"],
     ["We need a place with an oven to run cooking classes", "Want to start a community cafe but have nowhere to cook"]),
    ("venue", ["Spare desks in our office for a small charity", "We can offer hot-desking in our shared workspace"],
     ["Our two workers need somewhere to sit and use a computer", "We work from our kitchen tables and need a base"]),
    ("volunteers", ["Our volunteers can drive people to appointments", "We have drivers with cars who could give lifts"],
     ["People can't get to our sessions without transport", "Our members need lifts because buses are rare here"]),
    ("volunteers", ["Students from our college want volunteering placements", "Our youth club members are looking for ways to give time"],
     ["We are short of helpers for our weekend events", "Need extra pairs of hands at our Saturday activities"]),
    ("volunteers", ["We can recruit and vet befrienders for you", "Our volunteer bureau matches people with local good causes"],
     ["Struggling to find enough people to visit lonely neighbours", "Our waiting list of isolated people is growing and we lack visitors"]),
    ("funding", ["I have written many successful grant applications and can review yours", "Experienced fundraiser offering feedback on applications to trusts"],
     ["We keep getting turned down by funders and want help with our bids", "First time applying for a grant and unsure how to write it"]),
    ("funding", ["We can share our list of local trusts and foundations", "I know which small funders support loneliness work"],
     ["Where can we find money to keep our project going next year?", "Our funding runs out in March and we don't know who to ask"]),
    ("funding", ["We can hold funds for an unincorporated group", "Our charity can be the lead applicant for groups without a bank account"],
     ["We are not a registered charity so funders won't give to us directly", "Need an organisation to receive a grant on our behalf"]),
    ("training", ["We run mental health first aid courses", "Can provide training on spotting signs of poor mental health"],
     ["Our staff don't know what to do when someone is struggling emotionally", "Volunteers need to learn how to support someone who is anxious or low"]),
    ("training", ["We deliver dementia awareness workshops", "Our team trains groups to be dementia friendly"],
     ["We want our cafe to welcome people with memory problems", "How can our club adapt for people living with Alzheimer's?"]),
    ("training", ["We can train your volunteers in active listening", "Workshops on having good conversations with lonely people"],
     ["Our befrienders need help knowing what to say on calls", "New volunteers feel awkward talking to strangers"]),
    ("training", ["We offer interpreters and translation for community groups", "Our volunteers speak Arabic, Farsi and Tigrinya and can translate"],
     ["Many of the refugees we work with speak little English", "Need help talking with families who have recently arrived in the UK"]),
    ("mentoring", ["I have run a charity for twenty years and can mentor new leaders", "Happy to be a sounding board for someone leading a small organisation"],
     ["I'm a new manager and would love advice from someone who has done it", "Feeling out of my depth running our group and want support"]),
    ("mentoring", ["I can mentor young people starting out in youth work", "Happy to support a young person into community work"],
     ["A young volunteer of ours wants to get into youth work", "Our apprentice needs someone to learn from"]),
    ("digital", ["We lend tablets and teach older people to use them", "Free one-to-one help with smartphones and video calls"],
     ["Many of our members have never used the internet", "Older people in our group can't join video calls"]),
    ("digital", ["I build simple websites for charities for free", "We can set up a website and teach you to update it"],
     ["Nobody can find us on the internet", "We need a proper web page so people can find our activities"]),
    ("digital", ["We can help set up databases and spreadsheets", "Data volunteer offering help with CRM systems"],
     ["Our member details are scattered across paper forms", "We lose track of who attends and need a better system"]),
    ("evaluation", ["We can help design questionnaires to show your impact", "Researcher offering support with measuring outcomes"],
     ["Funders want proof our work reduces loneliness and we don't know how to show it", "How do we demonstrate results to our trustees?"]),
    ("evaluation", ["I write case studies and impact reports", "We can turn your numbers and stories into an annual review"],
     ["We have lots of feedback but no time to write it up", "Need someone to put together our yearly summary for supporters"]),
    ("partnership", ["We'd like to team up with a care home on a joint project", "Keen to collaborate on bringing generations together"],
     ["Our nursery wants to connect children with older people", "Searching for a school to work with our older members"]),
    ("partnership", ["Our choir would love to perform for other groups", "Singing group happy to visit clubs and care homes"],
     ["We'd like entertainment at our Christmas lunch", "Residents would enjoy a live concert"]),
    ("partnership", ["We can lend a minibus with a driver", "Our accessible vehicle is available for day trips"],
     ["We want to take our members on an outing to the seaside", "Planning a coach trip but can't afford to hire one"]),
    ("peer", ["We run a monthly meet-up for people who coordinate befriending schemes", "Happy to share how we run our service with others doing similar work"],
     ["I feel alone in my job and want to talk to others doing the same thing", "Looking to swap ideas with someone running a similar project"]),
    ("peer", ["We can share our experience of running bereavement groups", "Happy to talk about how we set up our grief cafe"],
     ["We want to start something for people who have lost a partner", "Thinking of setting up support after a death in the family"]),
    ("peer", ["We run walking groups and can help you start one", "Our health walks leaders can train new leaders"],
     ["We want to get our members more active outdoors", "How do we begin regular strolls in the park for our group?"]),
    ("safeguarding", ["We can review your safeguarding policy", "Free help writing child and adult protection procedures"],
     ["We don't have proper procedures for protecting vulnerable people", "Our trustees asked us to get our protection policies in order"]),
    ("safeguarding", ["We process DBS checks for small charities", "Can handle criminal record checks for your volunteers"],
     ["Our volunteers need background checks before visiting homes", "How do we vet people who will work with children?"]),
    ("promotion", ["Our newsletter reaches 5,000 local people and can feature your events", "Happy to publicise other groups in our monthly bulletin"],
     ["Not enough people know about our sessions", "Attendance is low and we need to advertise"]),
    ("promotion", ["I'm a graphic designer and can make posters and leaflets", "We can design printed materials for free"],
     ["Our publicity looks homemade and we want something more professional", "Need an eye-catching poster for our open day"]),
    ("promotion", ["We have contacts at the local paper and radio", "Former journalist can help pitch your story to the media"],
     ["We'd love our project to be featured in the news", "Want to raise our profile through TV or radio"]),
]  # fmt: skip

# Ordinary items: templates × topics × groups. Their subjects differ from the planted themes
# (a planted theme's partner should be the right answer), but the wording shares many words with
# them ("We need help with ... for our lunch club").
OFFER_TEMPLATES = ["We can offer {t}", "Happy to help other groups with {t}", "Our team has experience of {t}", "We could share {t}"]  # fmt: skip
NEED_TEMPLATES = ["Looking for {t}", "We need help with {t}", "Can anyone help us with {t}?", "We would like support with {t}"]  # fmt: skip
TOPICS = {
    "funding": ["payroll and bookkeeping", "gift aid claims", "a reserves policy", "insurance for events"],
    "volunteers": ["volunteer expenses policies", "thanking our volunteers", "volunteer rotas", "a volunteer handbook"],
    "venue": ["storage space for equipment", "a stage for performances", "parking for a minibus", "a noticeboard in a busy place"],
    "training": ["food hygiene certificates", "fire safety training", "manual handling training", "data protection training"],
    "mentoring": ["mentoring for our treasurer", "coaching on chairing meetings", "advice on becoming a CIO", "planning a merger"],
    "digital": ["cyber security", "choosing accounting software", "a shared calendar", "an online booking system"],
    "evaluation": ["a theory of change", "running focus groups", "mapping local needs", "a survey of residents"],
    "partnership": ["a joint Christmas market", "a litter pick", "a festival stall", "a shared recycling scheme"],
    "peer": ["peer support for treasurers", "ideas for fundraising events", "notes on managing premises", "a network for trustees"],
    "safeguarding": ["lone working policies", "first aid kits and accident books", "risk assessments for trips", "a whistleblowing policy"],
    "promotion": ["photographs of our events", "a new logo", "a stall at the town fair", "a banner for our building"],
}  # fmt: skip
GROUPS = ["", " for our lunch club", " for our youth project", " for our befriending service", " for our memory cafe", " for our men's shed", " for our walking group", " for our carers' group"]  # fmt: skip

FOCUS_TERMS = 12
DECOYS = 2  # per side of each planted pair
STOP = set(
    "a an the and or of to for in on our we us i you your is are be can with at by it its from who "
    "what how do don't not no this that as into out up about some any has have would could like "
    "want need needs looking help other others happy anyone".split()
)


def districts() -> np.ndarray:
    rows = []
    with (ROOT / "core" / "data" / "uk-outcodes.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.append((float(row["latitude"]), float(row["longitude"])))
    return np.array(rows)


def build(size: int, planted_pairs: int, rng: np.random.Generator):
    """The synthetic network: member arrays, item texts and the planted (offerer, needer) pairs."""
    places = districts()
    place = rng.integers(0, len(places), size)
    lat, lon = places[place, 0].copy(), places[place, 1].copy()
    local = rng.random(size) < 0.7
    focus = np.zeros((size, 1), dtype=np.uint64)
    for m in range(size):
        focus[m] = scoring.bitset(rng.choice(FOCUS_TERMS, rng.integers(1, 3), replace=False), 1)
    audience = np.zeros((size, 1), dtype=np.uint64)

    item_member, item_kind, item_category, texts = [], [], [], []

    def add(member, kind, category, text):
        item_member.append(int(member))
        item_kind.append(kind)
        item_category.append(category)
        texts.append(text)

    def ordinary(kind, category):
        template = rng.choice(OFFER_TEMPLATES if kind == scoring.OFFER else NEED_TEMPLATES)
        return template.format(t=rng.choice(TOPICS[category])) + str(rng.choice(GROUPS))

    planted = []
    members = rng.permutation(size)
    used = 0
    for p in range(planted_pairs):
        offerer, needer = int(members[used]), int(members[used + 1])
        decoys = [int(m) for m in members[used + 2 : used + 2 + 2 * DECOYS]]
        used += 2 + 2 * DECOYS
        theme = THEMES[p % len(THEMES)]
        # Same district, all local: a hall is only useful near you.
        for m in [needer, *decoys]:
            lat[m], lon[m] = lat[offerer], lon[offerer]
        local[[offerer, needer, *decoys]] = True
        offer_category = CAT[theme[0]]
        need_category = offer_category
        if rng.random() < 1 / 3:
            need_category = int(
                rng.choice([c for c in range(len(CATEGORIES)) if c != offer_category])
            )
        add(offerer, scoring.OFFER, offer_category, str(rng.choice(theme[1])))
        add(needer, scoring.NEED, need_category, str(rng.choice(theme[2])))
        # Neighbours in the same categories who offer and need other things: nearness and the
        # category alone cannot tell the partner from them; only what the text means can.
        for i, m in enumerate(decoys):
            kind, category = (
                (scoring.OFFER, need_category) if i < DECOYS else (scoring.NEED, offer_category)
            )
            add(m, kind, category, ordinary(kind, CATEGORIES[category]))
        planted.append((offerer, needer))
    for m in members[used:]:
        for _i in range(int(rng.integers(1, 3))):
            kind = int(rng.integers(0, 2))
            category = str(rng.choice(CATEGORIES))
            add(m, kind, CAT[category], ordinary(kind, category))
    network = {
        "focus": focus,
        "audience": audience,
        "lat": lat,
        "lon": lon,
        "local": local,
        "item_member": np.array(item_member, dtype=np.int64),
        "item_kind": np.array(item_kind, dtype=np.int8),
        "item_category": np.array(item_category, dtype=np.int64),
    }
    return network, texts, planted


def keyword_vectors(texts: list[str]) -> np.ndarray:
    """The baseline's 'meaning': which content words a text has (binary, L2-normalised), so the
    dot product of two rows is their keyword overlap (|A ∩ B| / √(|A|·|B|))."""

    def words(text):
        found = set()
        for w in re.findall(r"[a-z']+", text.lower()):
            if w in STOP or len(w) < 3:
                continue
            found.add(w[:-1] if w.endswith("s") and len(w) > 4 else w)
        return found

    bags = [words(t) for t in texts]
    vocabulary = {w: i for i, w in enumerate(sorted(set().union(*bags)))}
    vectors = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
    for row, bag in enumerate(bags):
        for w in bag:
            vectors[row, vocabulary[w]] = 1.0
    return textmodel.normalise(vectors)


def recall_at_5(best: scoring.Pairs, planted) -> float:
    top5 = {}
    ranks = scoring.rank_within_member(best)
    for m, o, r in zip(best.member.tolist(), best.other.tolist(), ranks.tolist(), strict=True):
        if r < 5:
            top5.setdefault(m, set()).add(o)
    hits = sum((b in top5.get(a, ())) + (a in top5.get(b, ())) for a, b in planted)
    return hits / (2 * len(planted))


def run(size: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    planted_pairs = size // 25  # 4% of members: with their decoys, 24% of the network
    started = time.perf_counter()
    network, texts, planted = build(size, planted_pairs, rng)
    built = time.perf_counter() - started

    unique = sorted(set(texts))
    started = time.perf_counter()
    unique_vectors = textmodel.embed(unique)
    embed_seconds = time.perf_counter() - started
    row_of = {t: i for i, t in enumerate(unique)}
    index = np.array([row_of[t] for t in texts])
    # Stored vectors are float16, as in the database.
    model_vectors = unique_vectors.astype(np.float16).astype(np.float32)[index]

    results = {
        "members": size,
        "items": len(texts),
        "planted pairs": len(planted),
        "build s": built,
    }
    results["unique texts"] = len(unique)
    results["embed s"] = embed_seconds
    results["embed texts/s"] = len(unique) / embed_seconds
    runs = (
        ("model", model_vectors, True),
        ("model without hub correction", model_vectors, False),
        ("baseline", keyword_vectors(texts), False),
    )
    for name, vectors, hubs in runs:
        net = scoring.Network(item_vectors=textmodel.normalise(vectors), **network)
        started = time.perf_counter()
        if hubs:
            net.item_hub = scoring.hub_scores(net)
        pairs = scoring.score_pairs(net)
        best = scoring.top_n(pairs, 10)
        results[f"{name} recompute s"] = time.perf_counter() - started
        results[f"{name} recall@5"] = recall_at_5(best, planted)
        if name == "model":
            one = planted[0][1]
            started = time.perf_counter()
            scoring.top_n(scoring.score_pairs(net, members=np.array([one])), 10)
            results["model one member s"] = time.perf_counter() - started
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    textmodel.embed(["warm up"])  # load the model once, outside the timings
    ok = True
    for size in args.sizes:
        r = run(size, args.seed)
        ratio = r["model recall@5"] / max(r["baseline recall@5"], 1e-9)
        full_embed = r["items"] / r["embed texts/s"]
        print(f"== {size:,} members, {r['items']:,} items, {r['planted pairs']:,} planted pairs")
        print(
            f"  recall@5   model {r['model recall@5']:.3f}   keyword baseline {r['baseline recall@5']:.3f}   ratio {ratio:.2f}×"
        )
        print(
            f"             (the model without its hub correction: {r['model without hub correction recall@5']:.3f})"
        )
        print(
            f"  recompute all suggestions (from stored vectors): model {r['model recompute s']:.1f} s, baseline {r['baseline recompute s']:.1f} s"
        )
        print(f"  one member's refresh: {r['model one member s'] * 1000:.0f} ms")
        print(
            f"  embedding: {r['unique texts']:,} distinct texts in {r['embed s']:.1f} s ({r['embed texts/s']:.0f} texts/s); all {r['items']:,} items if every text differed: ~{full_embed / 60:.1f} min (once, as items are saved)"
        )
        total = r["model recompute s"] + full_embed
        print(f"  worst case, embedding every item and recomputing all: ~{total / 60:.1f} min")
        meets = r["model recall@5"] >= 0.8 and ratio >= 1.5 and r["model recompute s"] < 600
        print(
            f"  targets (recall@5 ≥ 0.8, ≥ 1.5× baseline, recompute < 10 min): {'met' if meets else 'NOT met'}"
        )
        ok &= meets
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
