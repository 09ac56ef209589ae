from django.conf import settings
from django.core.management.base import BaseCommand

from core.management.commands.seed_demo import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demo accounts you can sign in with."

    def handle(self, *args, **options):
        from members.models import User

        existing = set(
            User.objects.filter(email__in=[e for e, _ in DEMO_LOGINS]).values_list(
                "email", flat=True
            )
        )
        if not existing:
            return
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"{settings.SITE_NAME} demo logins"))
        self.stdout.write(f"  (password for each: {DEMO_PASSWORD})")
        for email, label in DEMO_LOGINS:
            if email in existing:
                self.stdout.write(f"  {label:<32} {email}")
        self.stdout.write("")
