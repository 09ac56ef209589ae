from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Everything matching needs once a day, for a timer: expire old requests, send follow-ups, "
        "draw the monthly pairing when due and recompute suggestions."
    )

    def handle(self, *args, **options):
        for name in (
            "matching_expire_introductions",
            "matching_send_follow_ups",
            "matching_monthly_pairing",
            "matching_recompute_suggestions",
        ):
            call_command(name, stdout=self.stdout)
