"""Attached pictures are stored as clean copies (no EXIF, no GPS position); bad pictures get a
message beside the field and what was typed is kept."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from groups.models import Attachment, Reply, Thread
from groups.tests.factories import make_group, make_member, make_thread

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def jpeg_with_gps(size=(64, 48)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.5)  # somebody's home
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="JPEG", exif=exif, comment=b"home")
    return out.getvalue()


def post_thread(client, group, *files, title="Our garden", body="Look at **this**"):
    return client.post(
        f"/groups/{group.slug}/new/",
        {"kind": "discussion", "title": title, "body": body, "attachments": list(files)},
    )


def stored_bytes(attachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


def test_the_fixture_really_carries_gps_data():
    image = Image.open(io.BytesIO(jpeg_with_gps()))
    assert image.getexif().get_ifd(GPS_IFD)[2] == (51.0, 30.0, 12.5)


def test_a_jpeg_is_stored_without_exif_or_gps(client):
    group = make_group()
    client.force_login(make_member(group))
    upload = SimpleUploadedFile("garden.jpg", jpeg_with_gps(), content_type="image/jpeg")
    assert post_thread(client, group, upload).status_code == 302
    attachment = Attachment.objects.get()
    data = stored_bytes(attachment)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert not image.getexif()
    assert "exif" not in image.info and "comment" not in image.info
    assert b"Exif" not in data and b"PhoneMaker" not in data
    assert (attachment.original_name, attachment.content_type) == ("garden.jpg", "image/jpeg")
    assert attachment.size == len(data) and attachment.is_image


def test_a_reply_picture_is_cleaned_too_and_a_png_stays_a_png(client):
    group = make_group()
    thread = make_thread(group)
    client.force_login(thread.author)
    out = io.BytesIO()
    info = Image.new("RGBA", (30, 30), (0, 0, 0, 0))
    info.save(out, format="PNG", pnginfo=_png_text("Location", "51.5,-0.12"))
    client.post(
        f"/groups/threads/{thread.pk}/reply/",
        {"body": "Map", "attachments": [SimpleUploadedFile("map.png", out.getvalue())]},
    )
    attachment = Attachment.objects.get(reply=Reply.objects.get())
    data = stored_bytes(attachment)
    assert b"51.5" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "RGBA" and not image.text
    assert attachment.content_type == "image/png"


def test_a_large_picture_is_scaled_down():
    from groups.attachments import PICTURE_MAX_SIDE, prepare

    out = io.BytesIO()
    Image.new("RGB", (4000, 1000), (1, 2, 3)).save(out, format="JPEG")
    info = prepare(SimpleUploadedFile("wide.jpeg", out.getvalue()))
    assert Image.open(info["file"]).size == (PICTURE_MAX_SIDE, PICTURE_MAX_SIDE // 4)
    assert info["name"] == "wide.jpg"


def _png_text(key, value):
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    meta.add_text(key, value)
    return meta


def _bomb() -> bytes:
    # 14,000 × 14,000 one-bit pixels: a few kilobytes on disk, beyond Pillow's own bomb limit.
    out = io.BytesIO()
    Image.new("1", (14_000, 14_000)).save(out, format="PNG")
    return out.getvalue()


def _oversized() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="JPEG")
    return out.getvalue() + b"\0" * (5 * 1024 * 1024)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("holiday.jpg", lambda: b"just some text, not a picture\n", "must be a picture"),
        ("huge.jpg", _oversized, "must be smaller than 5 MB"),
        ("bomb.png", _bomb, "The picture is too large"),
    ],
    ids=["text-renamed-jpg", "over-5-MB", "decompression-bomb"],
)
def test_bad_pictures_get_a_message_beside_the_field_and_the_text_is_kept(
    client, name, content, message
):
    group = make_group()
    client.force_login(make_member(group))
    upload = SimpleUploadedFile(name, content(), content_type="image/jpeg")
    response = post_thread(client, group, upload, title="Kept title", body="Kept *body* text")
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    # The message names the file and sits with the attachments field.
    start = page.index('<p class="field-error" id="id_attachments_error">')
    beside = page[start : page.index("</p>", start)]
    assert f"{name}: " in beside and message in beside
    assert 'value="Kept title"' in page and "Kept *body* text" in page
    assert not Thread.objects.exists() and not Attachment.objects.exists()


def test_the_service_cleans_pictures_it_is_given_directly():
    from groups import services

    group = make_group()
    author = make_member(group)
    upload = SimpleUploadedFile("direct.jpg", jpeg_with_gps())
    services.thread_create(
        author=author, group=group, title="Direct", body="b", attachments=[upload]
    )
    data = stored_bytes(Attachment.objects.get())
    assert b"Exif" not in data and not Image.open(io.BytesIO(data)).getexif()
