"""Benchmark: sending one newsletter issue to 100,000 subscribers, on SQLite and PostgreSQL.

For each database it seeds the subscribers into a database of its own
(``var/bench/newsletter.sqlite3``; PostgreSQL database ``bench_newsletter``), starts a local
SMTP sink (aiosmtpd in a separate process that counts messages and throws their bodies away,
on 127.0.0.1 only), and measures:

* the baseline: the same number of messages, built before the clock starts (the issue rendered
  and personalised for each subscriber, as the real send does), pushed through ONE smtplib
  connection: messages per second;
* the real send: ``manage.py newsletter_send <issue>`` in two processes at once (as two cores
  run two workers; ``--workers 1`` for one), from a draft to SENT: creating the delivery rows,
  claiming batches, rendering once, personalising and sending each message over one
  connection per batch, and recording each one as sent. Messages per second and total time.

It prints both rates and their ratio, and checks that the sink received exactly one message per
subscriber. Targets (issue 8): the whole send under 10 minutes on 2 cores, and at least half the
baseline's rate. Exit status 1 if a target is missed.

    .venv/bin/python bench/newsletter.py                           # both databases, 100,000
    .venv/bin/python bench/newsletter.py --databases sqlite --subscribers 10000
    .venv/bin/python bench/newsletter.py --databases postgresql --reuse --workers 1

``--reuse`` keeps an already-seeded database (same number of subscribers).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time

from _common import BENCH_DIR, PYTHON, ROOT, free_port, recreate_database, run

SQLITE_FILE = BENCH_DIR / "newsletter.sqlite3"
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_newsletter"
)

MAX_SECONDS = 600.0
RATIO_TARGET = 0.5


# --- The SMTP sink (its own process) -------------------------------------------------------------


def _sink(port: int, counter, ready) -> None:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class Counting:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


class Sink:
    def __init__(self):
        self.port = free_port()
        self.counter = multiprocessing.Value("q", 0)
        ready = multiprocessing.Event()
        self.process = multiprocessing.Process(
            target=_sink, args=(self.port, self.counter, ready), daemon=True
        )
        self.process.start()
        if not ready.wait(20):
            raise SystemExit("the SMTP sink did not start")

    @property
    def count(self) -> int:
        return self.counter.value

    def reset(self) -> None:
        with self.counter.get_lock():
            self.counter.value = 0

    def wait_for(self, count: int, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.count < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.count

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


# --- Database ----------------------------------------------------------------------------------


def django_env(database_url: str, sink_port: int = 0, batch: int = 0) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "EMAIL_", "ANYMAIL"))}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        COALITION_TESTING="false",
        TASKS_BACKEND="immediate",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
        NEWSLETTER_RATE_PER_MINUTE="0",
        NEWSLETTER_COUNT_CLICKS="false",
    )
    if sink_port:
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink_port))
    if batch:
        env["NEWSLETTER_BATCH_SIZE"] = str(batch)
    return env


def python(code: str, env: dict) -> str:
    out = run([PYTHON, "-c", code], env, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1] if out.strip() else ""


SETUP = "import django; django.setup()\n"

COUNT_CODE = SETUP + "from newsletter.models import Subscriber; print(Subscriber.objects.count())"

SEED_CODE = (
    SETUP
    + r"""
import sys
from django.utils import timezone
from newsletter.models import Subscriber
n = int(sys.argv[1])
now = timezone.now()
first = ["Ann", "Bob", "Cat", "Dev", "Eve", "Fay", "Gus", "Hal", "Ida", "Jo"]
for start in range(0, n, 5000):
    Subscriber.objects.bulk_create(
        [Subscriber(email=f"reader{i}@example.net", name=f"{first[i % 10]} {i}", confirmed_at=now)
         for i in range(start, min(n, start + 5000))],
        batch_size=5000,
    )
print(Subscriber.objects.count())
"""
)

# A fresh draft issue with a dozen items, like a real fortnight's; earlier runs' issues go.
ISSUE_CODE = (
    SETUP
    + r"""
from datetime import timedelta
from django.utils import timezone
from newsletter.models import Issue, IssueItem, Section
Issue.objects.all().delete()
issue = Issue.objects.create(
    number=1, subject="Network news: the fortnight in brief",
    intro="Welcome to this fortnight's news. **Thank you** to everyone who shared.\n\n"
          "A second paragraph with [a link](https://example.org/welcome/).",
    covers_since=timezone.now() - timedelta(days=14),
)
sections = list(Section)
IssueItem.objects.bulk_create(
    IssueItem(issue=issue, section=sections[i % len(sections)], position=i,
              title=f"Item {i}: a lunch club, a guide or a grant", url=f"https://example.org/{i}/",
              summary="A couple of sentences saying what this is and why it matters. " * 2)
    for i in range(12)
)
print(issue.pk)
"""
)

# Build every message first (render once, personalise each, as bytes), then time only the
# pushing of them through one smtplib connection.
BASELINE_CODE = (
    SETUP
    + r"""
import json, smtplib, sys, time
from django.conf import settings
from newsletter.models import Issue, Subscriber
from newsletter.services import sending
issue = Issue.objects.get(pk=int(sys.argv[1]))
port = int(sys.argv[2])
builder = sending.MessageBuilder(issue, sending.rendered_issue(issue))
rows = list(Subscriber.objects.order_by("pk").values_list("pk", "email", "name"))
t0 = time.perf_counter()
built = []
for pk, email, name in rows:
    message = builder.build(delivery_pk=pk, subscriber_pk=pk, email=email, name=name)
    built.append((email, message.message().as_bytes(linesep="\r\n")))
build_seconds = time.perf_counter() - t0
size = sum(len(raw) for _e, raw in built) / len(built)
sender = settings.DEFAULT_FROM_EMAIL
smtp = smtplib.SMTP("127.0.0.1", port)
t0 = time.perf_counter()
for email, raw in built:
    smtp.sendmail(sender, [email], raw)
seconds = time.perf_counter() - t0
smtp.quit()
print(json.dumps({"count": len(built), "seconds": seconds, "build_seconds": build_seconds,
                  "bytes": size}))
"""
)

STATUS_CODE = (
    SETUP
    + r"""
import json, sys
from django.db.models import Count
from newsletter.models import Delivery, Issue
issue = Issue.objects.get(pk=int(sys.argv[1]))
counts = dict(Delivery.objects.filter(issue=issue).values_list("status").annotate(n=Count("id")))
duplicates = (Delivery.objects.filter(issue=issue).values("subscriber").annotate(n=Count("id"))
              .filter(n__gt=1).count())
print(json.dumps({"status": issue.status, "counts": counts, "duplicates": duplicates}))
"""
)


def prepare(name: str, database_url: str, args) -> dict:
    env = django_env(database_url)
    if args.reuse:
        try:
            if int(python(COUNT_CODE, env) or -1) == args.subscribers:
                print(f"[{name}] reusing the seeded database")
                return env
        except subprocess.CalledProcessError:
            pass
    recreate_database(name, database_url, SQLITE_FILE)
    print(f"[{name}] migrating and seeding {args.subscribers} subscribers...")
    started = time.monotonic()
    run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
    run([PYTHON, "-c", SEED_CODE, str(args.subscribers)], env, capture_output=True)
    print(f"[{name}] seeded in {time.monotonic() - started:.0f}s")
    return env


def bench_database(name: str, database_url: str, args) -> bool:
    env = prepare(name, database_url, args)
    sink = Sink()
    try:
        issue_pk = int(python(ISSUE_CODE, env))
        # (a) the baseline
        out = run(
            [PYTHON, "-c", BASELINE_CODE, str(issue_pk), str(sink.port)],
            env,
            capture_output=True,
            text=True,
        ).stdout
        base = json.loads(out.strip().splitlines()[-1])
        base_rate = base["count"] / base["seconds"]
        received = sink.wait_for(base["count"])
        sink.reset()

        # (b) the real send, from a draft to sent
        send_env = django_env(database_url, sink.port, args.batch)
        cmd = [PYTHON, "manage.py", "newsletter_send", str(issue_pk), "--quiet-progress"]
        started = time.monotonic()
        workers = [subprocess.Popen(cmd, cwd=ROOT, env=send_env, stdout=subprocess.PIPE, text=True)]
        for _ in range(args.workers - 1):
            time.sleep(0.5)  # the first one starts the issue; the others join in
            workers.append(
                subprocess.Popen(cmd, cwd=ROOT, env=send_env, stdout=subprocess.PIPE, text=True)
            )
        outputs = [worker.communicate()[0] for worker in workers]
        total = time.monotonic() - started
        if any(worker.returncode for worker in workers):
            print("\n".join(outputs))
            raise SystemExit("newsletter_send failed")
        sent = sink.wait_for(args.subscribers)
        status = json.loads(python(STATUS_CODE.replace("sys.argv[1]", str(issue_pk)), env))
    finally:
        sink.stop()

    rate = sent / total if total else 0.0
    ratio = rate / base_rate if base_rate else 0.0
    print(
        f"\n== {name}: {args.subscribers} subscribers, {args.workers} sending process(es), "
        f"batch {args.batch or 'default'}; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        f"baseline: {base['count']} pre-built messages ({base['bytes'] / 1024:.1f} KiB each, "
        f"built in {base['build_seconds']:.1f}s beforehand) through one smtplib connection: "
        f"{base['seconds']:.1f}s, {base_rate:.0f} messages/s (sink received {received})"
    )
    print(
        f"newsletter_send: {sent} messages in {total:.1f}s (from draft to sent, including "
        f"creating the delivery rows): {rate:.0f} messages/s"
    )
    print(f"ratio to the baseline: {ratio:.2f}")
    print(
        f"issue: {status['status']}, deliveries {status['counts']}, duplicates {status['duplicates']}"
    )
    checks = [
        (f"whole send {total:.0f}s < {MAX_SECONDS:.0f}s", total < MAX_SECONDS),
        (f"ratio {ratio:.2f} >= {RATIO_TARGET}", ratio >= RATIO_TARGET),
        (
            f"every subscriber exactly once: sink got {sent} of {args.subscribers}, "
            f"{status['duplicates']} duplicate rows, issue {status['status']}",
            sent == args.subscribers and not status["duplicates"] and status["status"] == "sent",
        ),
    ]
    ok = True
    for text, passed in checks:
        print(f"  {'PASS' if passed else 'MISS'}  {text}")
        ok = ok and passed
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="newsletter_send processes")
    parser.add_argument(
        "--batch", type=int, default=0, help="NEWSLETTER_BATCH_SIZE (default: the setting's)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep an already-seeded database")
    args = parser.parse_args(argv)
    ok = True
    for name in [d.strip() for d in args.databases.split(",") if d.strip()]:
        if name == "sqlite":
            url = f"sqlite:///{SQLITE_FILE}"
        elif name in ("postgresql", "postgres"):
            name, url = "postgresql", POSTGRES_URL
        else:
            raise SystemExit(f"Unknown database {name!r}: use sqlite and/or postgresql.")
        ok = bench_database(name, url, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
