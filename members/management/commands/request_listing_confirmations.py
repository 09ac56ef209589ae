"""Ask organisations to confirm their details (run daily from cron or a systemd timer)."""

from django.core.management.base import BaseCommand

from members.tasks import request_listing_confirmations


class Command(BaseCommand):
    help = (
        "Email every organisation whose details were last confirmed over 12 months ago (and "
        "that was not asked in the last 30 days) a link to confirm them. Safe to run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the task for a worker instead of running it in this process.",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = request_listing_confirmations.enqueue()
            self.stdout.write(f"Queued the task ({result.id}).")
            return
        sent = request_listing_confirmations.call()
        self.stdout.write(
            self.style.SUCCESS(f"Asked {sent} organisation(s) to confirm their details.")
        )
