"""delete_orphan_files: leftovers of rolled-back uploads go; files rows point to stay."""

import os
import time
from io import StringIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from members.tests.factories import UserFactory


def run(*args):
    out = StringIO()
    call_command("delete_orphan_files", *args, stdout=out)
    return out.getvalue()


def age(name, hours):
    path = default_storage.path(name)
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_only_old_files_nothing_refers_to_are_listed_and_deleted(db):
    person = UserFactory()
    person.photo.save("photo.jpg", ContentFile(b"kept"), save=True)
    orphan = default_storage.save("people/left-by-a-rollback.jpg", ContentFile(b"orphan"))
    fresh = default_storage.save("people/upload-in-progress.jpg", ContentFile(b"new"))
    for name in (person.photo.name, orphan):
        age(name, 48)

    listed = run()
    assert orphan in listed and "Found 1 file" in listed
    assert person.photo.name not in listed and fresh not in listed
    assert default_storage.exists(orphan), "listing alone deletes nothing"

    assert "Deleted 1 file" in run("--delete")
    assert not default_storage.exists(orphan)
    assert default_storage.exists(person.photo.name) and default_storage.exists(fresh)
    assert "Found 0 file" in run()


def test_private_folders_are_scanned_too(db):
    from groups.storage import private_storage

    orphan = private_storage.save("groups/attachments/abandoned", ContentFile(b"x"))
    path = private_storage.path(orphan)
    os.utime(path, (time.time() - 90000, time.time() - 90000))
    assert orphan in run()
    run("--delete")
    assert not private_storage.exists(orphan)
