"""Find, and with --delete remove, uploaded files that no database row points to.

Files are written during a request before its transaction commits; when the transaction then
rolls back (an error, a lost race) the file stays on disk with nothing pointing to it. Replaced
files are deleted after commit by the services, so only such leftovers should ever be found.

Only the folders that upload fields write into are scanned, and only files older than
``--older-than`` hours, so an upload in progress is never touched.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from datetime import timedelta

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models
from django.utils import timezone


def upload_folders() -> dict:
    """{storage: {"folders": {top-level folder, ...}, "fields": [(model, field name), ...]}}"""
    found: dict = defaultdict(lambda: {"folders": set(), "fields": []})
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.FileField):
                continue
            entry = found[field.storage]
            entry["fields"].append((model, field.name))
            upload_to = field.upload_to
            sample = upload_to(None, "file") if callable(upload_to) else upload_to
            folder = sample.strip("/").split("/")[0]
            if folder:
                entry["folders"].add(folder)
    return found


def walk(storage, folder: str):
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield posixpath.join(folder, name)
    for directory in directories:
        yield from walk(storage, posixpath.join(folder, directory))


def orphans(*, older_than: timedelta):
    """(storage, name) of each file under an upload folder that no row refers to."""
    cutoff = timezone.now() - older_than
    for storage, entry in upload_folders().items():
        referenced = set()
        for model, name in entry["fields"]:
            referenced.update(
                model._default_manager.exclude(**{name: ""}).values_list(name, flat=True)
            )
        for folder in sorted(entry["folders"]):
            for path in walk(storage, folder):
                if path in referenced:
                    continue
                if storage.get_modified_time(path) > cutoff:
                    continue
                yield storage, path


class Command(BaseCommand):
    help = "List uploaded files that nothing refers to (left by rolled-back uploads); --delete removes them."

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="Delete them (default: list).")
        parser.add_argument(
            "--older-than",
            type=float,
            default=24,
            help="Only files older than this many hours (default 24).",
        )

    def handle(self, *args, delete, older_than, **options):
        count = 0
        for storage, path in orphans(older_than=timedelta(hours=older_than)):
            count += 1
            if delete:
                storage.delete(path)
            self.stdout.write(("deleted " if delete else "") + path)
        verb = "Deleted" if delete else "Found"
        self.stdout.write(f"{verb} {count} file(s) that no record refers to.")
