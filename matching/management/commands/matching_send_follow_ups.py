from django.core.management.base import BaseCommand

from matching.services import FOLLOW_UP_AFTER_DAYS, follow_ups_send


class Command(BaseCommand):
    help = (
        "Ask both sides of introductions accepted some weeks ago whether they led to working "
        "together (each introduction once). Safe to run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--after-days", type=int, default=FOLLOW_UP_AFTER_DAYS)

    def handle(self, *args, after_days, **options):
        count = follow_ups_send(after_days=after_days)
        self.stdout.write(f"Follow-up sent for {count} introduction(s).")
