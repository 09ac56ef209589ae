"""Benchmark: the member directory under load, on SQLite and on PostgreSQL.

For each database it seeds 50,000 organisations and 100,000 people (``seed_demo``) into a
database of its own (``var/bench/directory.sqlite3``; PostgreSQL database ``bench``), serves
the app with gunicorn (2 workers, as in docs/deploy.md, DEBUG off, the default local-memory
cache in each worker), and from another process sends requests over 8 concurrent keep-alive
connections (threads + http.client, loopback only, bounded by time and count). It measures
requests per second and latency percentiles of a trivial view of the same app (``/healthz``:
one ``SELECT 1``), the baseline, measured first and last, and of the directory:

* **search** (``?q=``), **filtered** (focus, audience, region, area, size) and **near**
  (``?near=``) pages, each from a pool of some 200 different queries built from the seeded
  words, taxonomy and postcode districts, measured three ways:

  - *cold*: every request is one nobody asked before (a unique, ignored ``nocache=`` parameter
    is added), so it is never served from the directory's cache: the full cost of a page;
  - *warm*: requests picked at random from 100 queries of the pool that were all served
    (8 times over) just before, so nearly all come from the cache;
  - *mixed*: a realistic stream (3x as long), measured first on an empty cache: the pool of 600
    queries with Zipf-distributed popularity (a few searches are common, most are rare); then
    the same again, starting from the cache the first run left;

* the first and the last page of a long result (every listed organisation; a search; near a
  postcode), cold and warm.

Each figure is printed with its ratio to the baseline's requests per second. Targets (issue 3):
p95 under 100 ms at 8 connections, a ratio of at least 0.25 (search and filtered pages), and
the last page of a long result no more than twice as slow as the first (no deep OFFSET
scans); the long result's first and last pages are held to the p95 target too, cold. The checks are printed for cold, warm and mixed figures separately; the exit status
is 1 if any misses.

    .venv/bin/python bench/directory.py                    # both databases, full size
    .venv/bin/python bench/directory.py --databases sqlite --reuse --seconds 5
    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/...

``--reuse`` keeps an already-seeded database (seeding takes a minute or two).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from _common import (
    BENCH_DIR,
    PYTHON,
    django_env,
    free_port,
    maintain,
    recreate_database,
    run,
    start_server,
)
from _common import measure as _measure

SQLITE_FILE = BENCH_DIR / "directory.sqlite3"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench")

P95_TARGET_MS = 100.0
RATIO_TARGET = 0.25
LAST_PAGE_TARGET = 2.0

POOL_SIZE = 200  # different queries of each kind
WARM_POOL = 100  # of which the warm runs use this many


# --- Orchestration ------------------------------------------------------------------------------


def organisation_count(env: dict) -> int:
    code = (
        "import django; django.setup(); from members.models import Organisation; "
        "print(Organisation.objects.count())"
    )
    try:
        out = run([PYTHON, "-c", code], env, capture_output=True, text=True).stdout
    except subprocess.CalledProcessError:
        return -1
    return int(out.strip() or -1)


def prepare(name: str, database_url: str, args) -> dict:
    env = django_env(database_url)
    if args.reuse and organisation_count(env) == args.orgs:
        print(f"[{name}] reusing the seeded database")
        # New migrations, and the directory cache's triggers (members.cache.install).
        run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
        maintain(name, env)
        return env
    recreate_database(name, database_url, SQLITE_FILE)
    print(f"[{name}] migrating and seeding {args.orgs} organisations, {args.people} people...")
    started = time.monotonic()
    run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
    run(
        [PYTHON, "manage.py", "seed_demo", "--orgs", str(args.orgs), "--people", str(args.people)],
        env,
    )
    maintain(name, env)
    print(f"[{name}] seeded in {time.monotonic() - started:.0f}s")
    return env


PAGE_URLS_CODE = r"""
import json
import sys
from urllib.parse import urlencode
import django
django.setup()
from core import geo, pagination, search
from members.forms import DirectoryFilterForm
from members.selectors import directory
from django.contrib.auth.models import AnonymousUser

def last_page(query):
    terms = directory.taxonomy()
    form = DirectoryFilterForm(query, taxonomy=terms)
    found = directory.organisations_directory(
        viewer=AnonymousUser(), filters=form.valid_filters(), terms=terms
    )
    count = found.queryset.count()
    per_page = 20
    start = ((count - 1) // per_page) * per_page
    if start == 0:
        return {"count": count, "query": urlencode(query)}
    # A deep link to the last page (a bookmark, a shared URL): its cursor carries no count, so
    # the page counts its matches, as a first page does. (Following "Next" is cheaper: the
    # link carries the count, see members.views.directory._count_carry.)
    keys = [k.lstrip("-") for k in found.ordering]
    row = found.queryset.order_by(*found.ordering).values_list(*keys)[start - 1]
    cursor = pagination._encode("next", start // per_page + 1, found.ordering, list(row))
    return {"count": count, "query": urlencode({**query, "cursor": cursor})}

def pools(size):
    import random
    import re

    from members import demo
    from members.models import AreaServed, StaffSize

    rng = random.Random(2024)
    words = set()
    for text in [*demo.KINDS, *demo.QUALIFIERS, *demo.DESCRIPTIONS]:
        for word in re.findall(r"[a-z]+", text.lower()):
            if len(word) >= 4 and word not in search.STOP_WORDS:
                words.add(word)
    towns = sorted({d.town.lower() for d in geo._districts().values() if d.town})
    words = sorted(words)
    kinds = sorted({k.lower().replace("'", "").replace("&", "") for k in demo.KINDS})
    searches = set()
    while len(searches) < size:
        roll = rng.random()
        if roll < 0.4:
            q = rng.choice(words)
        elif roll < 0.6:
            q = rng.choice(kinds)
        elif roll < 0.8:
            q = f"{rng.choice(words)} {rng.choice(towns)}"
        else:
            q = rng.choice(towns)
        searches.add(" ".join(q.split()))
    terms = directory.taxonomy()
    choices = {
        "focus": [t.slug for t in terms.focus_areas],
        "audience": [t.slug for t in terms.audiences],
        "region": [t.slug for t in terms.regions],
        "area": [v for v, _ in AreaServed.choices],
        "size": [v for v, _ in StaffSize.choices],
    }
    filters = set()
    while len(filters) < size:
        names = rng.sample(sorted(choices), rng.choice([1, 1, 2, 2, 3]))
        filters.add(urlencode(sorted((n, rng.choice(choices[n])) for n in names)))
    outcodes = sorted(geo._districts())
    near = rng.sample(outcodes, size)
    return {
        "search": [urlencode({"q": q}) for q in sorted(searches)],
        "filtered": sorted(filters),
        "near": [urlencode({"near": n}) for n in near],
    }

print(json.dumps({
    "all": last_page({}),
    "search": last_page({"q": "club"}),
    "near": last_page({"near": "LS6"}),
    "pools": pools(int(sys.argv[1])),
}))
"""


def page_urls(env: dict) -> dict:
    out = run(
        [PYTHON, "-c", PAGE_URLS_CODE, str(POOL_SIZE)], env, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(base: str, paths: list[str], args, seconds=None, **how) -> dict:
    """``_common.measure`` with this run's concurrency, duration and request cap."""
    return _measure(
        base,
        paths,
        concurrency=args.concurrency,
        seconds=seconds or args.seconds,
        max_requests=args.max_requests,
        **how,
    )


def serve_all(base: str, paths: list[str]) -> None:
    """Request each path 8 times over a few connections (so that both workers, whichever gets
    which request, will most likely have served it): the warm runs' pool."""
    parts = urlsplit(base)

    def worker(chunk):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        for path in chunk:
            conn.request("GET", path, headers={"Host": "127.0.0.1"})
            conn.getresponse().read()
        conn.close()

    chunks = [paths[i::4] * 8 for i in range(4)]
    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def bench_database(name: str, database_url: str, args) -> bool:
    env = prepare(name, database_url, args)
    urls = page_urls(env)
    pools = {
        kind: [f"/members/?{query}" for query in queries] for kind, queries in urls["pools"].items()
    }
    everything = [path for kind in ("search", "filtered", "near") for path in pools[kind]]
    import random

    random.Random(7).shuffle(everything)  # popularity (for Zipf) unrelated to kind
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, worker_class=args.worker_class, threads=args.threads)
    long_lists = [
        (f"all (of {urls['all']['count']})", "/members/", f"/members/?{urls['all']['query']}"),
        (
            f"search 'club' (of {urls['search']['count']})",
            "/members/?q=club",
            f"/members/?{urls['search']['query']}",
        ),
        (
            f"near LS6 (of {urls['near']['count']})",
            "/members/?near=LS6",
            f"/members/?{urls['near']['query']}",
        ),
    ]
    results: dict[str, dict] = {}
    try:
        # Warm the code paths (not the cache: every request here is unique).
        for kind in ("search", "filtered", "near"):
            measure(base, pools[kind], args, seconds=1, unique=True, seed=99)
        measure(base, ["/healthz"], args, seconds=1)
        results["trivial view (/healthz)"] = measure(base, ["/healthz"], args)
        # A realistic stream first, on an empty cache.
        results["mixed: Zipf over all 3 pools, cache empty"] = measure(
            base, everything, args, order="zipf", seconds=args.seconds * 3
        )
        results["mixed: the same again, as the cache was left"] = measure(
            base, everything, args, order="zipf", seconds=args.seconds * 3, seed=6
        )
        for kind in ("search", "filtered", "near"):
            results[f"{kind}: cold (never asked before)"] = measure(
                base, pools[kind], args, unique=True, seed=2
            )
        for label, first, last in long_lists:
            results[f"{label}, first page, cold"] = measure(
                base, [first], args, unique=True, seed=3
            )
            results[f"{label}, last page, cold"] = measure(base, [last], args, unique=True, seed=4)
        for kind in ("search", "filtered", "near"):
            warm = pools[kind][:WARM_POOL]
            serve_all(base, warm)
            results[f"{kind}: warm (100 queries, served before)"] = measure(
                base, warm, args, order="random", seed=5
            )
        for label, first, last in long_lists:
            serve_all(base, [first, last])
            results[f"{label}, first page, warm"] = measure(base, [first], args)
            results[f"{label}, last page, warm"] = measure(base, [last], args)
        results["trivial view again"] = measure(base, ["/healthz"], args)
    finally:
        server.terminate()
        server.wait(timeout=30)

    baseline = (
        results["trivial view (/healthz)"]["rps"] + results["trivial view again"]["rps"]
    ) / 2
    load_average = os.getloadavg()[0]
    print(
        f"\n== {name}: {args.orgs} organisations, {args.people} people; gunicorn 2 "
        f"{args.worker_class} workers; {args.concurrency} connections, {args.seconds}s each; "
        f"load average {load_average:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'page':<52} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'ratio':>6} err")
    ok = True
    for label, r in results.items():
        ratio = r["rps"] / baseline if baseline else 0.0
        print(
            f"{label:<52} {r['rps']:7.1f} {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} "
            f"{ratio:6.2f} {len(r['errors'])}"
        )
        if r["errors"]:
            ok = False
            print(f"    errors, e.g. {r['errors'][:3]}")
    checks = []
    targeted = [
        f"{kind}: {how}"
        for how in ("cold (never asked before)", "warm (100 queries, served before)")
        for kind in ("search", "filtered", "near")
    ]
    targeted[:0] = [
        "mixed: Zipf over all 3 pools, cache empty",
        "mixed: the same again, as the cache was left",
    ]
    for label in targeted:
        r = results[label]
        ratio = r["rps"] / baseline
        checks.append(
            (
                f"{label}: p95 {r['p95']:.0f} ms < {P95_TARGET_MS:.0f} ms, "
                f"ratio {ratio:.2f} >= {RATIO_TARGET}",
                r["p95"] < P95_TARGET_MS and ratio >= RATIO_TARGET,
            )
        )
    for label, _first, _last in long_lists:  # cold: what the database does (warm: both cached)
        first = results[f"{label}, first page, cold"]
        last = results[f"{label}, last page, cold"]
        for which, r in (("first", first), ("last", last)):
            checks.append(
                (
                    f"{label}, {which} page, cold: p95 {r['p95']:.0f} ms < {P95_TARGET_MS:.0f} ms",
                    r["p95"] < P95_TARGET_MS,
                )
            )
        slower = last["p50"] / first["p50"]
        checks.append(
            (
                f"{label} cold: last page / first page (p50) {slower:.2f} <= {LAST_PAGE_TARGET}",
                slower <= LAST_PAGE_TARGET,
            )
        )
    for text, passed in checks:
        print(f"  {'PASS' if passed else 'MISS'}  {text}")
        ok = ok and passed
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--orgs", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--reuse", action="store_true", help="keep an already-seeded database")
    args = parser.parse_args(argv)

    ok = True
    # Static files are served by whitenoise from the collected, hashed copies when DEBUG is off.
    run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], django_env("sqlite://"))
    for name in args.databases.split(","):
        name = name.strip()
        url = f"sqlite:///{SQLITE_FILE}" if name == "sqlite" else POSTGRES_URL
        ok = bench_database(name, url, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
