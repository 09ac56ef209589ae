"""Benchmark: group pages and daily digests (issue 7), on SQLite and on PostgreSQL.

For each database it seeds, with ``bulk_create``, into a database of its own
(``var/bench/groups.sqlite3``; PostgreSQL database ``bench_groups``):

* a group with 10,000 threads (three pinned), one of them with 2,000 replies (some quoting);
* 100,000 active members, each subscribed daily to two of 40 groups that each had 5 threads
  of activity in the last day (a few new replies each); one in ten also chose the network-wide
  space daily.

Pages: it serves the app with gunicorn (2 sync workers, DEBUG off) and from another process,
signed in as a member of the big group (a session cookie), sends requests over 8 keep-alive
connections. It measures req/s and latency percentiles of ``/healthz`` (the baseline, one
``SELECT 1``), the group page (first and last page of its threads) and the 2,000-reply thread
(first and last page of replies), and prints each page's req/s as a ratio of the baseline's,
and the CPU time gunicorn's workers spent per request ("CPU ms": what a page costs whatever
else the machine is doing; with 8 connections on 2 workers, p95 is roughly 4-5 times it on an
otherwise idle machine). Targets: p95 under 100 ms at 8 connections; the last page no more
than twice as slow as the first (p50).

Digests: with the database tasks backend it times ``manage.py send_digests --daily`` (find
the recipients and queue their digests, in tasks of 500 people), then two ``db_worker --batch``
processes (one per core) draining the queue: each task builds its people's digests (a fixed
number of queries per batch) and hands the emails to the email backend (a backend that renders
each message to bytes and drops it). Baseline in the same run: ``bulk_create`` of one row per
member (100,000 rows), i.e. touching every member once. Target: queue + build + hand over under
10 minutes on 2 cores. It also prints the CPU time the command and the workers used (not
PostgreSQL's own), and from it the time on two otherwise idle cores.

    .venv/bin/python bench/groups.py                           # both databases, full size
    .venv/bin/python bench/groups.py --databases sqlite --reuse --seconds 5
    .venv/bin/python bench/groups.py --databases postgresql --reuse --skip-digests
    .venv/bin/python bench/groups.py --databases sqlite --members 20000   # quicker digests
    BENCH_GROUPS_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/bench_groups \\
        .venv/bin/python bench/groups.py --databases postgresql

``--reuse`` keeps an already-seeded database of the same size (seeding takes a minute or two);
the digest activity is moved to the last day before each run. Exit status 1 if a target is
missed.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and its name would hide the
# ``groups`` app: put the project root there instead.
_HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(_HERE.parent)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from django.core.mail.backends.base import BaseEmailBackend  # noqa: E402

from bench._common import (  # noqa: E402
    BENCH_DIR,
    PYTHON,
    ROOT,
    collectstatic,
    django_env,
    free_port,
    maintain,
    measure,
    process_tree_cpu,
    recreate_database,
    run,
    start_server,
)

SQLITE_FILE = BENCH_DIR / "groups.sqlite3"
POSTGRES_URL = os.environ.get(
    "BENCH_GROUPS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_groups"
)
P95_TARGET_MS = 100.0
LAST_PAGE_TARGET = 2.0
DIGEST_TARGET_S = 600.0

BIG_SLUG = "bench-big"
ACTIVE_GROUPS = 40
ACTIVE_THREADS_PER_GROUP = 5
GROUPS_PER_MEMBER = 2


class DiscardingEmailBackend(BaseEmailBackend):
    """Renders every message to bytes, as an SMTP backend must, then drops it."""

    def send_messages(self, email_messages):
        for message in email_messages:
            message.message().as_bytes()
        return len(email_messages)


# --- Inside Django (``seed``, ``prepare-digests``, ``baseline``, ``urls``) -------------------


def _setup():
    import django

    django.setup()


BODY = (
    "Thanks for sharing this. We tried something **similar** at our drop-in: a *walk and talk* "
    "on Tuesdays, then tea. Numbers grew slowly; word of mouth mattered most.\n\n"
    "- ask people what they would like\n- keep it regular\n- follow up with a phone call\n\n"
    "More in [our notes](https://example.org/notes)."
)


def seed(members: int, threads: int, replies: int) -> None:
    _setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from groups.models import (
        Frequency,
        Group,
        GroupKind,
        Membership,
        MembershipRole,
        PersonSettings,
        Reply,
        Thread,
        ThreadKind,
    )
    from groups.services import post_html

    User = get_user_model()
    now = timezone.now()
    kinds = list(ThreadKind.values)
    started = time.monotonic()
    with transaction.atomic():
        password = make_password("bench-password-not-secret")
        User.objects.bulk_create(
            (
                User(
                    email=f"member{i}@bench.example",
                    full_name=f"Member {i} Bench",
                    status="active",
                    password=password,
                    date_joined=now - timedelta(days=400),
                )
                for i in range(members)
            ),
            batch_size=5000,
        )
        pks = list(User.objects.order_by("pk").values_list("pk", flat=True))
        network = Group.objects.filter(is_network_wide=True).first() or Group.objects.create(
            name="Everyone", slug="everyone", is_network_wide=True
        )
        big = Group.objects.create(name="Bench: a busy group", slug=BIG_SLUG, kind=GroupKind.OPEN)
        active = Group.objects.bulk_create(
            Group(name=f"Bench: active group {g}", slug=f"bench-active-{g}", kind=GroupKind.OPEN)
            for g in range(ACTIVE_GROUPS)
        )
        active = list(Group.objects.filter(slug__startswith="bench-active-").order_by("pk"))
        # The viewer (pks[0]) is a plain member of the big group; pks[1] hosts it.
        Membership.objects.bulk_create(
            [
                Membership(group=big, user_id=pks[0], email_frequency=Frequency.NONE),
                Membership(group=big, user_id=pks[1], role=MembershipRole.HOST),
            ]
        )
        Membership.objects.bulk_create(
            (
                Membership(
                    group=active[(i * GROUPS_PER_MEMBER + j) % ACTIVE_GROUPS],
                    user_id=pk,
                    email_frequency=Frequency.DAILY,
                )
                for i, pk in enumerate(pks)
                for j in range(GROUPS_PER_MEMBER)
            ),
            batch_size=5000,
        )
        PersonSettings.objects.bulk_create(
            (PersonSettings(user_id=pk, network_frequency=Frequency.DAILY) for pk in pks[::10]),
            batch_size=5000,
        )
        # The big group: old threads, an hour apart, newest first; three pinned.
        Thread.objects.bulk_create(
            (
                Thread(
                    group=big,
                    author_id=pks[2 + i % 500],
                    kind=kinds[i % len(kinds)],
                    title=f"Thread {i}: how do you reach people who live alone?",
                    body=BODY,
                    body_html=post_html(BODY),
                    created_at=now - timedelta(days=2, hours=i + 1),
                    last_activity_at=now - timedelta(days=2, hours=i),
                    reply_count=i % 7,
                    is_pinned=i in (50, 500, 5000),
                )
                for i in range(threads - 1)
            ),
            batch_size=2000,
        )
        start = now - timedelta(days=40)
        long = Thread.objects.create(
            group=big,
            author_id=pks[2],
            title="A long conversation: 2,000 replies",
            body=BODY,
            body_html=post_html(BODY),
            created_at=start,
            last_activity_at=start + timedelta(minutes=replies),
            reply_count=replies,
        )
        Reply.objects.bulk_create(
            (
                Reply(
                    thread=long,
                    author_id=pks[2 + i % 300],
                    body=f"Reply {i}. " + BODY,
                    body_html=post_html(f"Reply {i}. " + BODY),
                    created_at=start + timedelta(minutes=i + 1),
                )
                for i in range(replies)
            ),
            batch_size=2000,
        )
        first_replies = list(
            Reply.objects.filter(thread=long).order_by("pk").values_list("pk", flat=True)
        )
        quoting = [
            Reply(pk=pk, quoted_id=first_replies[n - 1])
            for n, pk in enumerate(first_replies)
            if n and n % 10 == 0
        ]
        Reply.objects.bulk_update(quoting, ["quoted"], batch_size=1000)
        # Digest news: in each active group (and the network space), threads active today,
        # some new, with a few replies each (some long enough to be cut in the digest).
        news_threads = []
        for g, group in enumerate([*active, network]):
            for t in range(ACTIVE_THREADS_PER_GROUP):
                hours = 2 + (g + t) % 20
                news_threads.append(
                    Thread(
                        group=group,
                        author_id=pks[(g * 7 + t) % len(pks)],
                        title=f"News {g}.{t}: a new lunch club",
                        body=BODY if t % 2 else BODY * 4,
                        body_html=post_html(BODY if t % 2 else BODY * 4),
                        created_at=now - timedelta(hours=hours if t % 2 else 30),
                        last_activity_at=now - timedelta(hours=hours),
                    )
                )
        Thread.objects.bulk_create(news_threads)
        news = Thread.objects.filter(group__in=[*active, network]).order_by("pk")
        Reply.objects.bulk_create(
            Reply(
                thread=thread,
                author_id=pks[(thread.pk * 13 + r) % len(pks)],
                body=f"Reply {r}: " + (BODY if r % 3 else BODY * 4),
                body_html=post_html(f"Reply {r}: " + (BODY if r % 3 else BODY * 4)),
                created_at=thread.last_activity_at - timedelta(minutes=10 * (r + 1)),
            )
            for thread in news
            for r in range(thread.pk % 6)
        )
    print(f"seeded {members} members, {threads} threads, {replies} replies in "
          f"{time.monotonic() - started:.0f}s")  # fmt: skip


def seeded_size() -> str:
    _setup()
    from django.contrib.auth import get_user_model

    from groups.models import Reply, Thread

    big = Thread.objects.filter(group__slug=BIG_SLUG)
    longest = Reply.objects.filter(thread__in=big).count()
    return f"{get_user_model().objects.count()}/{big.count()}/{longest}"


def page_urls() -> dict:
    """The viewer's session cookie and the URLs of the pages to measure."""
    _setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from core import pagination
    from groups import selectors
    from groups.models import Group, Thread
    from groups.views import REPLIES_PER_PAGE, REPLY_ORDERING, THREAD_ORDERING

    viewer = get_user_model().objects.order_by("pk").first()
    client = Client()
    client.force_login(viewer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    group = Group.objects.get(slug=BIG_SLUG)
    long = Thread.objects.filter(group=group).order_by("-reply_count").first()

    def last_page(queryset, ordering, per_page) -> tuple[int, str]:
        count = queryset.count()
        start = ((count - 1) // per_page) * per_page
        keys = [k.lstrip("-") for k in ordering]
        row = queryset.order_by(*ordering).values_list(*keys)[start - 1]
        cursor = pagination._encode("next", start // per_page + 1, ordering, list(row))
        return count, cursor

    threads, thread_cursor = last_page(
        selectors.group_threads(viewer, group), THREAD_ORDERING, pagination.DEFAULT_PER_PAGE
    )
    replies, reply_cursor = last_page(
        selectors.thread_replies(viewer, long), REPLY_ORDERING, REPLIES_PER_PAGE
    )
    group_url = group.get_absolute_url()
    thread_url = long.get_absolute_url()
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
        "threads": threads,
        "replies": replies,
        "group_first": group_url,
        "group_last": f"{group_url}?cursor={thread_cursor}",
        "thread_first": thread_url,
        "thread_last": f"{thread_url}?cursor={reply_cursor}",
    }


def prepare_digests() -> None:
    """Move the digest news into the last day (relative to now) and forget earlier runs."""
    _setup()
    from datetime import timedelta

    from django.db.models import F, Max
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from groups.models import Delivery, Group, Reply, Thread

    news = Group.objects.filter(slug__startswith="bench-active-") | Group.objects.filter(
        is_network_wide=True
    )
    threads = Thread.objects.filter(group__in=news)
    latest = threads.aggregate(m=Max("last_activity_at"))["m"]
    shift = timezone.now() - timedelta(hours=2) - latest
    threads.update(
        created_at=F("created_at") + shift, last_activity_at=F("last_activity_at") + shift
    )
    Reply.objects.filter(thread__in=threads).update(created_at=F("created_at") + shift)
    Delivery.objects.filter(key__startswith="digest:").delete()
    DBTaskResult.objects.all().delete()


def baseline(members: int) -> float:
    """Seconds to bulk-insert one row per member (and remove them again)."""
    _setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from groups.models import Delivery

    pks = list(get_user_model().objects.order_by("pk").values_list("pk", flat=True)[:members])
    started = time.perf_counter()
    with transaction.atomic():
        Delivery.objects.bulk_create(
            (Delivery(recipient_id=pk, key="bench:baseline") for pk in pks), batch_size=5000
        )
    elapsed = time.perf_counter() - started
    Delivery.objects.filter(key="bench:baseline").delete()
    return elapsed


def digest_outcome() -> dict:
    _setup()
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from groups.models import Delivery

    statuses = dict(DBTaskResult.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return {
        "sent": Delivery.objects.filter(key__startswith="digest:").count(),
        "tasks": statuses,
    }


# --- Orchestration -------------------------------------------------------------------------------


def _children_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes: unlike wall time,
    hardly changed by other work on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def internal(command: str, env: dict, *args: str) -> str:
    out = run([PYTHON, __file__, command, *args], env, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1] if out.strip() else ""


def prepare(name: str, database_url: str, args) -> dict:
    env = django_env(database_url)
    size = f"{args.members}/{args.threads}/{args.replies}"
    if args.reuse:
        try:
            if internal("seeded-size", env) == size:
                print(f"[{name}] reusing the seeded database")
                run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
                maintain(name, env)
                return env
        except subprocess.CalledProcessError:
            pass
    recreate_database(name, database_url, SQLITE_FILE)
    print(f"[{name}] migrating and seeding {size} (members/threads/replies)...")
    run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
    run([PYTHON, __file__, "seed", str(args.members), str(args.threads), str(args.replies)], env)
    maintain(name, env)
    return env


def bench_pages(name: str, env: dict, args) -> tuple[bool, list[str]]:
    urls = json.loads(internal("urls", env))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, worker_class=args.worker_class)
    headers = {"Cookie": urls["cookie"]}
    scenarios = [
        ("trivial view (/healthz)", ["/healthz"]),
        (f"group page, first (of {urls['threads']} threads)", [urls["group_first"]]),
        ("group page, last", [urls["group_last"]]),
        (f"thread page, first (of {urls['replies']} replies)", [urls["thread_first"]]),
        ("thread page, last", [urls["thread_last"]]),
        ("trivial view again", ["/healthz"]),
    ]
    opts = {"concurrency": args.concurrency, "headers": headers}
    results = {}
    try:
        for _label, paths in scenarios:  # warm every code path first
            measure(base, paths, seconds=1, **opts)
        for label, paths in scenarios:
            cpu = process_tree_cpu(server.pid)
            results[label] = measure(base, paths, seconds=args.seconds, **opts)
            cpu = process_tree_cpu(server.pid) - cpu
            results[label]["cpu_ms"] = 1000 * cpu / max(1, results[label]["requests"])
    finally:
        server.terminate()
        server.wait(timeout=30)
    baseline_rps = (
        results["trivial view (/healthz)"]["rps"] + results["trivial view again"]["rps"]
    ) / 2
    lines = [
        f"== {name} pages: gunicorn 2 {args.worker_class} workers; {args.concurrency} "
        f"connections, {args.seconds}s each; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs",
        f"{'page':<40} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'ratio':>6} "
        f"{'CPU ms':>6} err",
    ]
    ok = True
    for label, r in results.items():
        ratio = r["rps"] / baseline_rps if baseline_rps else 0.0
        lines.append(
            f"{label:<40} {r['rps']:7.1f} {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} "
            f"{ratio:6.2f} {r['cpu_ms']:6.1f} {len(r['errors'])}"
        )
        if r["errors"]:
            ok = False
            lines.append(f"    errors, e.g. {r['errors'][:3]}")
    checks = []
    pages = [label for label in results if label.startswith(("group", "thread"))]
    for label in pages:
        p95 = results[label]["p95"]
        checks.append((f"{label}: p95 {p95:.0f} ms < {P95_TARGET_MS:.0f} ms", p95 < P95_TARGET_MS))
    for kind in ("group page", "thread page"):
        first = next(v for k, v in results.items() if k.startswith(f"{kind}, first"))
        slower = results[f"{kind}, last"]["p50"] / first["p50"]
        checks.append(
            (f"{kind}: last / first (p50) {slower:.2f} <= {LAST_PAGE_TARGET}", slower <= 2.0)
        )
    for text, passed in checks:
        lines.append(f"  {'PASS' if passed else 'MISS'}  {text}")
        ok = ok and passed
    print("\n".join(lines), flush=True)
    return ok, lines


def bench_digests(name: str, env: dict, args) -> tuple[bool, list[str]]:
    run([PYTHON, __file__, "prepare-digests"], env)
    base = float(internal("baseline", env, str(args.members)))
    worker_env = {
        **env,
        "TASKS_BACKEND": "database",
        "EMAIL_BACKEND": "bench.groups.DiscardingEmailBackend",
    }
    cpu_before = _children_cpu()
    started = time.monotonic()
    out = run(
        [PYTHON, "manage.py", "send_digests", "--daily"],
        worker_env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    queued = time.monotonic() - started
    queued_cpu = _children_cpu() - cpu_before
    worker = [
        PYTHON, "manage.py", "db_worker", "--queue-name", "email", "--batch",
        "--no-startup-delay", "--no-reload", "--interval", "0.1",
    ]  # fmt: skip
    started = time.monotonic()
    workers = [
        subprocess.Popen([*worker, "--worker-id", f"bench-{n}"], cwd=ROOT, env=worker_env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for n in range(2)
    ]  # fmt: skip
    for process in workers:
        process.wait()
    built = time.monotonic() - started
    built_cpu = _children_cpu() - cpu_before - queued_cpu
    outcome = json.loads(internal("digest-outcome", env))
    total = queued + built
    lines = [
        f"== {name} daily digests: {args.members} members, each in {GROUPS_PER_MEMBER} of "
        f"{ACTIVE_GROUPS} active groups; 2 db_worker processes; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        f"   {out}",
        f"{'step':<50} {'seconds':>8} {'ratio':>7} {'CPU s':>7}",
        f"{'baseline: bulk-insert one row per member':<50} {base:8.1f} {1:7.1f}",
        f"{'send_digests --daily (find people, queue tasks)':<50} {queued:8.1f} "
        f"{queued / base:7.1f} {queued_cpu:7.1f}",
        f"{'2 workers: build digests, hand emails over':<50} {built:8.1f} "
        f"{built / base:7.1f} {built_cpu:7.1f}",
        f"{'total':<50} {total:8.1f} {total / base:7.1f} {queued_cpu + built_cpu:7.1f}",
        f"   CPU per digest sent: {1000 * built_cpu / max(1, outcome['sent']):.2f} ms (workers); "
        f"workers on 2 idle cores: about {queued + built_cpu / 2:.0f} s",
        f"   {outcome['sent']} digests sent; tasks by status {outcome['tasks']}",
    ]
    ok = total < DIGEST_TARGET_S and set(outcome["tasks"]) <= {"SUCCESSFUL"}
    lines.append(
        f"  {'PASS' if ok else 'MISS'}  total {total:.0f} s < {DIGEST_TARGET_S:.0f} s, "
        "every task successful"
    )
    for process in workers:
        said = process.stderr.read().splitlines()
        errors = [line for line in said if " INFO " not in line and line.strip()]
        if errors:
            lines.append("    worker said: " + "\n".join(errors[-10:]))
    print("\n".join(lines), flush=True)
    return ok, lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    seeder = sub.add_parser("seed", help="(internal)")
    for arg in ("members", "threads", "replies"):
        seeder.add_argument(arg, type=int)
    sub.add_parser("seeded-size", help="(internal)")
    sub.add_parser("urls", help="(internal)")
    sub.add_parser("prepare-digests", help="(internal)")
    sub.add_parser("digest-outcome", help="(internal)")
    base = sub.add_parser("baseline", help="(internal)")
    base.add_argument("members", type=int)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--replies", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--reuse", action="store_true", help="keep an already-seeded database")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-digests", action="store_true")
    args = parser.parse_args(argv)

    if args.command == "seed":
        seed(args.members, args.threads, args.replies)
        return 0
    if args.command == "seeded-size":
        print(seeded_size())
        return 0
    if args.command == "urls":
        print(json.dumps(page_urls()))
        return 0
    if args.command == "prepare-digests":
        prepare_digests()
        return 0
    if args.command == "baseline":
        print(baseline(args.members))
        return 0
    if args.command == "digest-outcome":
        print(json.dumps(digest_outcome()))
        return 0

    ok = True
    report: list[str] = []
    if not args.skip_pages:
        collectstatic()
    for name in args.databases.split(","):
        name = name.strip()
        url = f"sqlite:///{SQLITE_FILE}" if name == "sqlite" else POSTGRES_URL
        env = prepare(name, url, args)
        if not args.skip_pages:
            passed, lines = bench_pages(name, env, args)
            ok, report = ok and passed, report + lines
        if not args.skip_digests:
            passed, lines = bench_digests(name, env, args)
            ok, report = ok and passed, report + lines
    print("\n" + "\n".join(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
