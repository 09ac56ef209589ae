from datetime import timedelta
from itertools import islice

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from groups.models import Frequency
from groups.selectors import digest_recipients
from groups.tasks import DIGEST_BATCH, send_digest


class Command(BaseCommand):
    help = (
        "Queue the daily or weekly group digests (each person's once per period), in tasks of "
        f"{DIGEST_BATCH} people that build their digests together."
    )

    def add_arguments(self, parser):
        parser.add_argument("--daily", action="store_true")
        parser.add_argument("--weekly", action="store_true")

    def handle(self, *args, daily=False, weekly=False, **options):
        if daily == weekly:
            raise CommandError("Give exactly one of --daily or --weekly.")
        frequency = Frequency.DAILY if daily else Frequency.WEEKLY
        until = timezone.now().replace(minute=0, second=0, microsecond=0)
        since = until - timedelta(days=1 if daily else 7)
        people = tasks = 0
        recipients = digest_recipients(frequency=frequency, since=since, until=until)
        while batch := list(islice(recipients, DIGEST_BATCH)):
            send_digest.enqueue(
                user_pks=batch,
                frequency=frequency,
                since=since.isoformat(),
                until=until.isoformat(),
            )
            people += len(batch)
            tasks += 1
        self.stdout.write(f"Queued {frequency} digests for {people} people in {tasks} tasks.")
