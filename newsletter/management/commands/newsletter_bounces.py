"""Read one message from standard input, as a local mail server delivers it to a pipe: a bounce
report (RFC 3464 delivery status notification) marks hard and soft bounces; a message to
NEWSLETTER_UNSUBSCRIBE_EMAIL with the token in its subject unsubscribes. Always exits 0, so the
mail server never bounces a bounce."""

import sys

from django.core.management.base import BaseCommand

from newsletter.services.bounces import handle_raw_message

MAX_BYTES = 10 * 1024 * 1024


class Command(BaseCommand):
    help = "Read a bounce report or an unsubscribe email from standard input."

    def add_arguments(self, parser):
        parser.add_argument(
            "--recipient", default="", help="The envelope recipient, if the mail server knows it."
        )

    def handle(self, *args, recipient="", **options):
        raw = sys.stdin.buffer.read(MAX_BYTES)
        outcome = handle_raw_message(raw, envelope_recipient=recipient)
        self.stdout.write(
            f"{outcome['reports']} report(s), {outcome['recorded']} recorded; "
            f"unsubscribed: {'yes' if outcome['unsubscribed'] else 'no'}."
        )
