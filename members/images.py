"""Photos and logos: check an upload really is a picture, then make a small, clean copy.

Checking happens in forms (:func:`validate_image`) so the message appears beside the field;
services call :func:`photo_from_upload` / :func:`logo_from_upload` to make what is stored. The
stored copy is always re-encoded by Pillow from the pixels alone, so nothing from the original
file survives: no EXIF (camera, GPS position), no comments, no colour profiles, no trailing data.
"""

from __future__ import annotations

import io
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# 25 megapixels is more than any phone camera; larger pictures are refused before their
# pixels are decoded (a small file can expand to gigabytes: a "decompression bomb").
MAX_PIXELS = 25_000_000
ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
PHOTO_SIZE = (400, 400)
LOGO_MAX_SIDE = 400


def validate_image(upload) -> None:
    """Raise ``ValidationError`` (with a plain-English message) unless ``upload`` is a JPEG,
    PNG, GIF or WebP picture no bigger than 5 MB and 25 million pixels that decodes cleanly."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file must be smaller than 5 MB. Yours is %(size)s MB.")
            % {"size": f"{size / 1024 / 1024:.1f}"},
            code="too_large",
        )
    _open_checked(upload)


def _open_checked(upload) -> Image.Image:
    """Open and fully decode ``upload``; every failure becomes one clear ValidationError."""
    not_a_picture = ValidationError(
        _("The file must be a picture in JPEG, PNG, GIF or WebP format."), code="invalid_image"
    )
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    upload.seek(0)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The file must be smaller than 5 MB."), code="too_large")
    try:
        with warnings.catch_warnings():
            # Pillow warns about very large images; we refuse them ourselves below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise not_a_picture
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _(
                        "The picture is too large (%(width)s × %(height)s pixels). Make it "
                        "smaller than 5,000 × 5,000 pixels and try again."
                    )
                    % {"width": width, "height": height},
                    code="too_many_pixels",
                )
            image.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise ValidationError(
            _("The picture is too large. Make it smaller than 5,000 × 5,000 pixels and try again."),
            code="too_many_pixels",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_a_picture from None
    return image


def _first_frame_rgb(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    image.seek(0)  # animated GIF/WebP: the first frame only
    image = ImageOps.exif_transpose(image)  # turn phone photos the right way up first
    if keep_alpha and (image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info):
        return image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Flatten transparency onto white (JPEG has none).
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _clean_copy(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels: no info dict, no EXIF, no ICC profile."""
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def photo_from_upload(upload) -> ContentFile:
    """A 400 × 400 JPEG of the centre of ``upload``, without metadata."""
    image = _first_frame_rgb(_open_checked(upload), keep_alpha=False)
    image = ImageOps.fit(image, PHOTO_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    _clean_copy(image).save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(out.getvalue(), name="photo.jpg")


def picture_from_upload(upload, *, max_side: int = 2000) -> ContentFile:
    """A copy of ``upload`` no wider or taller than ``max_side``, without metadata: a JPEG
    stays a JPEG; other pictures become PNG (the first frame of an animation)."""
    source = _open_checked(upload)
    as_jpeg = source.format == "JPEG"
    image = _first_frame_rgb(source, keep_alpha=not as_jpeg)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if as_jpeg:
        _clean_copy(image).save(out, format="JPEG", quality=85, optimize=True, progressive=True)
        return ContentFile(out.getvalue(), name="picture.jpg")
    _clean_copy(image).save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name="picture.png")


def logo_from_upload(upload) -> ContentFile:
    """A PNG no wider or taller than 400 pixels (proportions and transparency kept)."""
    image = _first_frame_rgb(_open_checked(upload), keep_alpha=True)
    image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    _clean_copy(image).save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name="logo.png")
