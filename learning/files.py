"""Checking an uploaded resource file: its type by content (not by name alone) and its size.

Allowed: PDF (``%PDF-`` magic bytes), office documents (Word, Excel, PowerPoint in both the
modern zip formats and the old OLE ones; OpenDocument text, spreadsheets and presentations), and
pictures (decoded by Pillow via ``members.images.validate_image``). The extension must agree with
the content, so a renamed program or web page is refused with a clear message.
"""

from __future__ import annotations

import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from members.images import validate_image

MAX_FILE_BYTES = 20 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# extension -> (content type, how to check the content)
FILE_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "doc": ("application/msword", "ole"),
    "xls": ("application/vnd.ms-excel", "ole"),
    "ppt": ("application/vnd.ms-powerpoint", "ole"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ooxml:word/",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ooxml:xl/"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ooxml:ppt/",
    ),
    "odt": ("application/vnd.oasis.opendocument.text", "odf"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "odf"),
    "odp": ("application/vnd.oasis.opendocument.presentation", "odf"),
    "jpg": ("image/jpeg", "image"),
    "jpeg": ("image/jpeg", "image"),
    "png": ("image/png", "image"),
    "gif": ("image/gif", "image"),
    "webp": ("image/webp", "image"),
}
ALLOWED_TEXT = _(
    "The file must be a PDF, a Word, Excel or PowerPoint document, an OpenDocument file, or a "
    "picture (JPEG, PNG, GIF or WebP)."
)


def _mismatch(extension: str) -> ValidationError:
    return ValidationError(
        _(
            "The file is named .%(extension)s but its contents are not a .%(extension)s file. "
            "Save it again in that format, or choose another file."
        )
        % {"extension": extension},
        code="content_mismatch",
    )


def _check_zip(upload, extension: str, rule: str) -> None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if rule == "odf":
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                if mimetype != FILE_TYPES[extension][0]:
                    raise _mismatch(extension)
            elif "[Content_Types].xml" not in names or not any(
                n.startswith(rule.removeprefix("ooxml:")) for n in names
            ):
                raise _mismatch(extension)
    except (zipfile.BadZipFile, KeyError, OSError):
        raise _mismatch(extension) from None
    finally:
        upload.seek(0)


def validate_resource_file(upload) -> str:
    """Raise ``ValidationError`` with a plain-English message unless ``upload`` is an allowed
    type whose content matches its name and is no bigger than 20 MB. Returns the content type
    to store and serve it with."""
    name = getattr(upload, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FILE_TYPES:
        raise ValidationError(ALLOWED_TEXT, code="file_type")
    size = getattr(upload, "size", 0) or 0
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file must be smaller than 20 MB. Yours is %(size)s MB.")
            % {"size": f"{size / 1024 / 1024:.1f}"},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty. Choose another file."), code="empty")
    content_type, rule = FILE_TYPES[extension]
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if rule == "pdf":
        if not head.startswith(b"%PDF-"):
            raise _mismatch(extension)
    elif rule == "ole":
        if head != OLE_MAGIC:
            raise _mismatch(extension)
    elif rule == "image":
        validate_image(upload)
        upload.seek(0)
    else:
        if not head.startswith(b"PK\x03\x04"):
            raise _mismatch(extension)
        _check_zip(upload, extension, rule)
    return content_type
