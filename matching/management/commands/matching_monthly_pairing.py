from django.core.management.base import BaseCommand

from matching.services import pairing_check_ins_send, pairing_run


class Command(BaseCommand):
    help = (
        "Draw this month's 'meet someone new' groups if not drawn yet, and ask last rounds' "
        "groups whether they met. Safe to run daily: each happens once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=None, help="Random seed (for tests).")

    def handle(self, *args, seed, **options):
        pairing_round = pairing_run(seed=seed)
        if pairing_round is None:
            self.stdout.write("This month's pairing has already been drawn.")
        else:
            groups = pairing_round.groups.count()
            self.stdout.write(f"Drew {groups} group(s) for {pairing_round}.")
        asked = pairing_check_ins_send()
        self.stdout.write(f"Asked {asked} person(s) whether they met.")
