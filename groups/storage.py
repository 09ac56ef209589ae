"""Attachments live outside MEDIA_ROOT (``GROUPS_FILES_ROOT`` or ``<MEDIA_ROOT>/../private/groups``)
so no web server can hand one out: the only way to a file is ``groups:attachment``, which checks
that the person may read the thread."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible(path="groups.storage.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    @property
    def base_location(self):
        configured = getattr(settings, "GROUPS_FILES_ROOT", None)
        return str(configured or Path(settings.MEDIA_ROOT).parent / "private" / "groups")

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Group attachments have no public address; use groups:attachment.")


private_storage = PrivateStorage()
