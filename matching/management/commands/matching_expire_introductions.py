from django.core.management.base import BaseCommand

from matching.services import introductions_expire


class Command(BaseCommand):
    help = "Mark introduction requests that waited 14 days as expired. Safe to run often."

    def handle(self, *args, **options):
        count = introductions_expire()
        self.stdout.write(f"{count} introduction request(s) expired.")
