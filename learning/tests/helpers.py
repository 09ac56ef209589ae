"""Small valid and invalid files for upload tests, made in memory."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="guide.pdf", data=PDF_BYTES):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def docx(name="plan.docx"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return SimpleUploadedFile(name, buffer.getvalue())


def png(name="poster.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def bulk_resources(count, *, start=0, themes=(), visibility="public"):
    """``count`` published resources in a few bulk inserts, each tagged with every theme given,
    then indexed for search."""
    import datetime

    from core.search import search_index_rebuild
    from learning.models import Resource, ResourceKind

    kinds = list(ResourceKind.values)
    today = datetime.date(2026, 1, 1)
    resources = Resource.objects.bulk_create(
        Resource(
            title=f"Lunch club guide {n}",
            slug=f"lunch-club-guide-{n}",
            summary="How to start a lunch club.",
            kind=kinds[n % len(kinds)],
            visibility=visibility,
            status="published",
            published_on=today - datetime.timedelta(days=n % 700),
        )
        for n in range(start, start + count)
    )
    Through = Resource.themes.through
    Through.objects.bulk_create(
        Through(resource_id=r.pk, theme_id=t.pk) for r in resources for t in themes
    )
    search_index_rebuild(Resource)
    return resources
