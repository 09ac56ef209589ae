"""Attachments to posts: pictures (JPEG, PNG, GIF, WebP, checked by decoding them) and
documents (PDF, Word, Excel, PowerPoint, OpenDocument, plain text and CSV, checked by their
contents, not their names). Files are served only through ``groups.views.attachment``, which
checks that the person may read the thread. Pictures are stored as a fresh copy re-encoded from
their pixels (``members.images.picture_from_upload``): no EXIF, GPS position or comments survive."""

from __future__ import annotations

import zipfile
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from members.images import picture_from_upload, validate_image

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
               ".gif": "image/gif", ".webp": "image/webp"}  # fmt: skip
OOXML = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF = {
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
TEXT = {".txt": "text/plain", ".csv": "text/csv"}


def _name(upload) -> str:
    return PurePath(upload.name or "file").name[:200]


def _suffix(upload) -> str:
    return PurePath(_name(upload)).suffix.lower()


def validate_attachment(upload) -> None:
    """Raise ``ValidationError`` with a plain-English message unless ``upload`` is an allowed
    picture or document, within the size limit, whose contents match its type."""
    suffix = _suffix(upload)
    name = _name(upload)
    if suffix in IMAGE_TYPES:
        try:
            validate_image(upload)
        except ValidationError as error:
            # Name the file: a post can carry several.
            raise ValidationError(
                "%(name)s: %(problem)s", code=error.code,
                params={"name": name, "problem": " ".join(error.messages)},
            ) from None  # fmt: skip
        return
    wrong = ValidationError(
        _("%(name)s is not a valid %(kind)s file.") % {"name": name, "kind": suffix[1:].upper()},
        code="invalid_document",
    )
    if suffix not in {".pdf", *OOXML, *ODF, *TEXT}:
        raise ValidationError(
            _(
                "%(name)s cannot be attached. Attach a picture (JPEG, PNG, GIF or WebP) or a "
                "document (PDF, Word, Excel, PowerPoint, OpenDocument, text or CSV)."
            )
            % {"name": name},
            code="invalid_type",
        )
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("%(name)s must be smaller than 10 MB.") % {"name": name}, code="too_large"
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if suffix == ".pdf":
        if not head.startswith(b"%PDF-"):
            raise wrong
    elif suffix in OOXML or suffix in ODF:
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            raise wrong from None
        finally:
            upload.seek(0)
        if suffix in OOXML and "[Content_Types].xml" not in names:
            raise wrong
        if suffix in ODF and "mimetype" not in names:
            raise wrong
    else:
        data = upload.read(MAX_DOCUMENT_BYTES + 1)
        upload.seek(0)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise wrong from None
        if b"\x00" in data:
            raise wrong


def describe(upload) -> dict:
    """Name, content type and kind of a validated upload (the type from its checked suffix,
    never from what the browser claimed)."""
    suffix = _suffix(upload)
    types = {**IMAGE_TYPES, ".pdf": "application/pdf", **OOXML, **ODF, **TEXT}
    return {
        "name": _name(upload),
        "content_type": types.get(suffix, "application/octet-stream"),
        "is_image": suffix in IMAGE_TYPES,
    }


PICTURE_MAX_SIDE = 2000


def prepare(upload) -> dict:
    """What to store for a validated upload: documents as sent; pictures re-encoded without
    metadata (and no larger than 2,000 pixels a side), their name and type following the new
    file (a PNG or GIF becomes a PNG, a JPEG stays a JPEG)."""
    info = describe(upload)
    if not info["is_image"]:
        return {**info, "file": upload, "size": upload.size}
    picture = picture_from_upload(upload, max_side=PICTURE_MAX_SIDE)
    suffix = PurePath(picture.name).suffix
    stem = PurePath(info["name"]).stem[: 200 - len(suffix)] or "picture"
    return {
        **info,
        "file": picture,
        "name": stem + suffix,
        "content_type": IMAGE_TYPES[suffix],
        "size": picture.size,
    }
