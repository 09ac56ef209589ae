import time

from django.core.management.base import BaseCommand

from matching.suggestions import recompute_all


class Command(BaseCommand):
    help = "Recompute every member's suggestions from scratch (nightly, or after an upgrade)."

    def handle(self, *args, **options):
        started = time.monotonic()
        rows = recompute_all()
        self.stdout.write(f"{rows} suggestion(s) stored in {time.monotonic() - started:.1f}s.")
