"""Run every minute (cron or a systemd timer): start scheduled issues whose time has come, and
resume sends whose worker died or whose retries are due."""

from django.core.management.base import BaseCommand

from newsletter.services import sending


class Command(BaseCommand):
    help = "Start scheduled newsletter issues that are due and resume stalled sends."

    def handle(self, *args, **options):
        started = sending.issues_start_due()
        resumed = sending.issues_resume()
        if started or resumed or options["verbosity"] > 1:
            self.stdout.write(
                f"Started {len(started)} scheduled issue(s); resumed {len(resumed)} send(s)."
            )
