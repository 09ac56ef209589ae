"""Send an issue from a shell: start it (if it is a draft or scheduled), then work through
its recipients in batches in this process until none is left, printing progress. Safe to run
again after an interruption, or alongside the background workers: each recipient is sent to
once."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand, CommandError

from newsletter.models import Issue
from newsletter.selectors.figures import issue_progress
from newsletter.services import sending

# Pending rows waiting this long or less for a retry are waited for; longer, the command ends
# and `manage.py newsletter_send_due` (every minute) resumes them when they are due.
MAX_RETRY_WAIT = 300.0


class Command(BaseCommand):
    help = "Send a newsletter issue now, in this process (resumes an interrupted send)."

    def add_arguments(self, parser):
        parser.add_argument("issue_id", type=int, help="The issue's id (as in its page's URL).")
        parser.add_argument(
            "--quiet-progress", action="store_true", help="Print only the final figures."
        )

    def handle(self, *args, issue_id, quiet_progress=False, **options):
        issue = Issue.objects.filter(pk=issue_id).first()
        if issue is None:
            raise CommandError(f"There is no issue with id {issue_id}.")
        if issue.status in (Issue.Status.DRAFT, Issue.Status.SCHEDULED):
            try:
                count = sending.issue_send_now(issue=issue, by=None, enqueue=False)
            except sending.SendingError:
                pass  # another process started it a moment ago: help it along
            else:
                self.stdout.write(f"Started issue #{issue.number}: {count} recipients.")
        stop = {"asked": False}

        def ask_to_stop(signum, frame):
            stop["asked"] = True  # finish the message in hand, then hand the rest back

        previous = signal.signal(signal.SIGTERM, ask_to_stop)
        started = time.monotonic()
        last_print = [0.0]

        def report(result):
            if quiet_progress or time.monotonic() - last_print[0] < 2:
                return
            last_print[0] = time.monotonic()
            p = issue_progress(issue)
            self.stdout.write(
                f"  {p.sent} sent, {p.failed} failed, {p.remaining} to go "
                f"({p.percent}%, {time.monotonic() - started:.0f}s)"
            )

        try:
            while True:
                result = sending.issue_work(
                    issue_pk=issue.pk,
                    may_sleep=True,
                    progress=report,
                    should_stop=lambda: stop["asked"],
                )
                if stop["asked"]:
                    raise CommandError("Stopped; run the command again to carry on.")
                if result.trouble:
                    raise CommandError(
                        f"The mail server is in trouble ({result.trouble}). Nothing was lost: "
                        "run this command again to carry on from where it stopped."
                    )
                if result.done or not result.more:
                    break
                if result.wait > MAX_RETRY_WAIT:
                    self.stdout.write(
                        "Some messages wait to be tried again later; "
                        "`manage.py newsletter_send_due` will send them when they are due."
                    )
                    break
                sending.sleep(max(result.wait, 0.1))
        finally:
            signal.signal(signal.SIGTERM, previous)
        issue.refresh_from_db()
        p = issue_progress(issue)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Issue #{issue.number} is {issue.get_status_display()}: {p.sent} sent, "
            f"{p.failed} failed, {p.remaining} to go, in {elapsed:.1f}s."
        )
