import sys

from django.core.management.base import BaseCommand

from groups.inbound import reply_from_raw


class Command(BaseCommand):
    help = "Post a reply to a group thread from an email message read on standard input."

    def add_arguments(self, parser):
        parser.add_argument("--recipient", default="", help="The envelope recipient, if known.")

    def handle(self, *args, recipient="", **options):
        raw = sys.stdin.buffer.read()
        reply = reply_from_raw(raw, envelope_recipient=recipient)
        if reply is None:
            self.stderr.write("Not posted: no valid reply address, or nothing to post.")
            return
        self.stdout.write(f"Posted reply {reply.pk} in thread {reply.thread_id}.")
