"""Build a fictional but realistic network, the same every time for a given ``--seed``.

Each app that has demo data provides ``<app>/demo.py`` with ``seed(ctx)``; they run in the order
of INSTALLED_APPS and share one :class:`DemoContext` (the random generator and what earlier apps
made). Large data sets are written with bulk inserts so the 50,000-organisation benchmark data
set takes a minute or so, not an hour.
"""

import importlib
import random
import time
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_PASSWORD = "coalition-demo-2026"  # noqa: S105 - documented demo login, never production

DEMO_LOGINS = [
    ("coordinator@example.org", "Coordinator (network staff)"),
    ("orgadmin@example.org", "Organisation admin"),
    ("member@example.org", "Member"),
    ("pending@example.org", "Applicant awaiting approval"),
]


@dataclass
class DemoContext:
    rng: random.Random
    orgs: int
    people: int
    stdout: object = None
    made: dict = field(default_factory=dict)

    def log(self, message):
        if self.stdout is not None:
            self.stdout.write(message)


class Command(BaseCommand):
    help = "Fill the database with a fictional demo network (deterministic for a given --seed)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2020, help="Random seed (default 2020).")
        parser.add_argument("--orgs", type=int, default=60, help="Organisations to create.")
        parser.add_argument("--people", type=int, default=150, help="People to create.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already has accounts (used by `make run`).",
        )

    def handle(self, *args, seed, orgs, people, if_empty, **options):
        from members.models import User

        if User.objects.exists():
            if if_empty:
                self.stdout.write("The database already has data; not adding the demo network.")
                return
            raise CommandError(
                "The database already has accounts: seed_demo fills an empty database. "
                "Use a new database (e.g. DATABASE_URL=sqlite:///var/demo.sqlite3), "
                "or empty this one first with `manage.py flush`."
            )
        started = time.monotonic()
        ctx = DemoContext(rng=random.Random(seed), orgs=orgs, people=people, stdout=self.stdout)
        with transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                module.seed(ctx)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo network ready ({orgs} organisations, {people} people, "
                f"seed {seed}) in {time.monotonic() - started:.1f}s."
            )
        )
