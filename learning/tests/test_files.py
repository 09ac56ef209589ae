"""Bad uploads are refused with a clear message beside the file field; good ones pass."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from learning import files
from learning.models import Resource
from learning.tests.helpers import docx, pdf, png

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("upload", "content_type"),
    [
        (pdf(), "application/pdf"),
        (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (png(), "image/png"),
        (SimpleUploadedFile("old.doc", files.OLE_MAGIC + b"\0" * 100), "application/msword"),
    ],
)
def test_allowed_files_pass(upload, content_type):
    assert files.validate_resource_file(upload) == content_type


BAD = [
    (SimpleUploadedFile("setup.exe", b"MZ\x90\x00"), "The file must be a PDF, a Word"),
    (SimpleUploadedFile("no-extension", b"%PDF-1.4"), "The file must be a PDF, a Word"),
    (
        SimpleUploadedFile("guide.pdf", b"<html><script>alert(1)</script>"),
        "its contents are not a .pdf file",
    ),
    (
        SimpleUploadedFile("plan.docx", b"PK\x03\x04 not really a zip"),
        "its contents are not a .docx file",
    ),
    (docx("sheet.xlsx"), "its contents are not a .xlsx file"),
    (
        SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n garbage"),
        "must be a picture in JPEG, PNG, GIF or WebP",
    ),
    (SimpleUploadedFile("empty.pdf", b""), "The file is empty."),
]


@pytest.mark.parametrize(("upload", "message"), BAD)
def test_bad_uploads_get_a_clear_message_beside_the_field(client, member, upload, message):
    client.force_login(member)
    response = client.post(
        reverse("learning:submit"),
        {
            "title": "A guide",
            "kind": "guide",
            "summary": "S",
            "licence": "cc-by-4.0",
            "visibility": "public",
            "file": upload,
        },
    )
    assert response.status_code == 200
    assert message in response.text
    assert 'href="#id_file"' in response.text  # the error summary links to the field
    # what they typed is kept
    assert 'value="A guide"' in response.text
    assert not Resource.objects.exists()


def test_too_large_files_are_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 10)
    with pytest.raises(files.ValidationError, match="smaller than 20 MB"):
        files.validate_resource_file(pdf())
