from django.core.management.base import BaseCommand

from learning.tasks import check_resource_link, resources_due_for_check


class Command(BaseCommand):
    help = "Check the links of published resources not checked in 25 days (run it monthly)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the checks for the task workers instead of running them now.",
        )

    def handle(self, *args, queue, **options):
        ids = resources_due_for_check()
        for resource_id in ids:
            if queue:
                check_resource_link.enqueue(resource_id)
            else:
                check_resource_link.call(resource_id)
        self.stdout.write(f"{'Queued' if queue else 'Checked'} {len(ids)} links.")
