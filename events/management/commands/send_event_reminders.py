from django.core.management.base import BaseCommand

from events.services import reminders_queue_due


class Command(BaseCommand):
    help = (
        "Queue the event reminders that are due (24 hours and 1 hour before each session). "
        "Run it every few minutes from a timer; each reminder is recorded, so none goes twice."
    )

    def handle(self, *args, **options):
        queued = reminders_queue_due()
        if options["verbosity"] > 0:
            self.stdout.write(f"Queued {queued} reminder(s).")
