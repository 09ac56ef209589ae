from django.core.management.base import BaseCommand

from core.email import send_email


class Command(BaseCommand):
    help = "Send a test message to check the email settings: manage.py send_test_email you@x.org"

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        send_email(to=email, template="test_message", context={})
        self.stdout.write(self.style.SUCCESS(f"Sent a test message to {email}."))
