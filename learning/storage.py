"""Where uploaded resource files live: outside MEDIA_ROOT, so no web server or MEDIA_URL can
ever hand one out. The only way to a file is ``learning:download``, which checks who is asking.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileStorage(FileSystemStorage):
    """Files beside (never inside) MEDIA_ROOT: ``LEARNING_FILES_ROOT`` or ``<MEDIA_ROOT>/../private``.

    The location is read from settings on each use so tests that move MEDIA_ROOT move it too.
    ``url()`` refuses: these files have no public address."""

    @property
    def base_location(self):
        configured = getattr(settings, "LEARNING_FILES_ROOT", None)
        return str(configured or Path(settings.MEDIA_ROOT).parent / "private")

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Resource files have no public URL; link to learning:download.")


_storage = PrivateFileStorage()


def private_storage() -> PrivateFileStorage:
    """The storage for resource files (a callable, so migrations do not freeze a path)."""
    return _storage
