"""Photos and logos: only real pictures, not too big, resized, cleaned, stored via storage."""

import io

import pytest
from bs4 import BeautifulSoup
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from members.images import MAX_UPLOAD_BYTES
from members.models import Organisation
from members.services import profiles as services
from members.tests.factories import UserFactory

PROFILE = "/account/profile/"


def picture(fmt="JPEG", size=(1200, 800), mode="RGB", color=(200, 30, 30), **save):
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def with_gps_exif():
    image = Image.new("RGB", (900, 600), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS: latitude
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, comment=b"secret comment")
    return buffer.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def profile_post(member, **extra):
    data = {
        "full_name": member.full_name,
        "job_title": "Volunteer",
        "bio": "",
        "phone": "",
        "postcode": "",
        "focus_areas": [],
        "profile_visibility": "members",
        "email_visibility": "hidden",
        "phone_visibility": "hidden",
    }
    data.update(extra)
    return data


def stored_files(prefix):
    try:
        return default_storage.listdir(prefix)[1]
    except FileNotFoundError:
        return []


def error_for(response, field):
    page = BeautifulSoup(response.content, "html.parser")
    error = page.select_one(f"#id_{field}_error")
    return error.get_text(" ", strip=True) if error else None


# --- Photos -------------------------------------------------------------------------------------


def test_a_photo_is_cropped_to_a_400_pixel_square_jpeg_without_metadata(client, member):
    client.force_login(member)
    original = with_gps_exif()
    assert b"SecretCameraMaker" in original and b"secret comment" in original
    response = client.post(PROFILE, profile_post(member, photo=upload(original)))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.photo.name.startswith("people/") and member.photo.name.endswith(".jpg")
    with default_storage.open(member.photo.name) as handle:
        stored = handle.read()
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (400, 400)
    assert not image.getexif()
    assert b"SecretCameraMaker" not in stored and b"secret comment" not in stored
    # The photo is shown on the person's page.
    page = client.get(reverse("members:person", kwargs={"pk": member.pk})).content.decode()
    assert member.photo.url in page


def test_a_new_photo_replaces_and_deletes_the_old_one(
    client, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, profile_post(member, photo=upload(picture())))
    member.refresh_from_db()
    first = member.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, profile_post(member, photo=upload(picture(fmt="PNG"), "b.png")))
    member.refresh_from_db()
    assert member.photo.name != first
    assert not default_storage.exists(first) and default_storage.exists(member.photo.name)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, profile_post(member, remove_photo="on"))
    member.refresh_from_db()
    assert not member.photo
    assert stored_files("people") == []


def save_public_photo(client, member, on_commit) -> None:
    """Sign ``member`` in and give them a photo on a public page (files written on commit)."""
    client.force_login(member)
    with on_commit(execute=True):
        client.post(
            PROFILE, profile_post(member, profile_visibility="public", photo=upload(picture()))
        )
    member.refresh_from_db()


def test_hiding_a_profile_moves_its_photo_so_an_address_seen_earlier_stops_working(
    client, member, django_capture_on_commit_callbacks
):
    save_public_photo(client, member, django_capture_on_commit_callbacks)
    seen_while_public = member.photo.name
    # Saving again with the same visibility keeps the address (no needless copies).
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, profile_post(member, profile_visibility="public"))
    member.refresh_from_db()
    assert member.photo.name == seen_while_public
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, profile_post(member, profile_visibility="hidden"))
    member.refresh_from_db()
    assert member.photo and member.photo.name != seen_while_public
    assert not default_storage.exists(seen_while_public)
    assert default_storage.exists(member.photo.name)
    assert stored_files("people") == [member.photo.name.removeprefix("people/")]


def test_hiding_a_profile_whose_photo_file_is_gone_saves_and_drops_the_photo(
    client, member, django_capture_on_commit_callbacks
):
    """After a restore without the media files, say: no error page, the photo is cleared."""
    save_public_photo(client, member, django_capture_on_commit_callbacks)
    default_storage.delete(member.photo.name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PROFILE, profile_post(member, profile_visibility="hidden"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.profile_visibility == "hidden" and not member.photo


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"This is a text file, not a picture.\n" * 10, "holiday.jpg", "must be a picture"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "broken.png", "must be a picture"),
        (picture()[:300], "truncated.jpg", "must be a picture"),
        (picture(fmt="BMP"), "old.bmp", "must be a picture in JPEG, PNG, GIF or WebP"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "logo.svg", "must be a picture"),
    ],
)
def test_files_that_are_not_pictures_are_refused_with_a_clear_message(
    client, member, data, name, message
):
    client.force_login(member)
    response = client.post(
        PROFILE, profile_post(member, job_title="Kept title", photo=upload(data, name))
    )
    assert response.status_code == 200
    assert message in error_for(response, "photo")
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one("#id_job_title")["value"] == "Kept title"
    member.refresh_from_db()
    assert not member.photo and member.job_title != "Kept title"
    assert stored_files("people") == []


def test_a_file_over_5_mb_is_refused(client, member):
    client.force_login(member)
    big = picture() + b"\x00" * (MAX_UPLOAD_BYTES + 1)
    response = client.post(PROFILE, profile_post(member, photo=upload(big)))
    assert "must be smaller than 5 MB" in error_for(response, "photo")


@pytest.mark.parametrize("side", [6000, 20000])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, member, side):
    """A tiny file that claims a huge number of pixels (here 36 and 400 million)."""
    client.force_login(member)
    bomb = picture(fmt="PNG", size=(side, side), mode="1", color=0, optimize=True)
    assert len(bomb) < 2 * 1024 * 1024
    response = client.post(PROFILE, profile_post(member, photo=upload(bomb, "bomb.png")))
    assert "picture is too large" in error_for(response, "photo")


def test_transparent_and_animated_pictures_are_accepted(client, member):
    client.force_login(member)
    frames = [Image.new("P", (300, 200), i) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    response = client.post(PROFILE, profile_post(member, photo=upload(buffer.getvalue(), "a.gif")))
    assert response.status_code == 302
    rgba = picture(fmt="PNG", mode="RGBA", color=(0, 0, 0, 0))
    response = client.post(PROFILE, profile_post(member, photo=upload(rgba, "clear.png")))
    assert response.status_code == 302
    member.refresh_from_db()
    with default_storage.open(member.photo.name) as handle:
        image = Image.open(handle)
        image.load()
    assert image.mode == "RGB" and image.getpixel((10, 10)) == (255, 255, 255)


# --- Logos --------------------------------------------------------------------------------------


def test_a_logo_keeps_its_shape_and_transparency_within_400_pixels(client, organisation, org_admin):
    client.force_login(org_admin)
    edit = reverse("members:organisation_edit", kwargs={"slug": organisation.slug})
    logo = picture(fmt="PNG", size=(1000, 500), mode="RGBA", color=(0, 80, 0, 128))
    data = {
        "name": organisation.name,
        "area_served": "local",
        "logo": upload(logo, "logo.png", "image/png"),
    }
    response = client.post(edit, data)
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.logo.name.startswith("organisations/")
    with default_storage.open(organisation.logo.name) as handle:
        image = Image.open(handle)
        image.load()
    assert image.format == "PNG" and image.size == (400, 200) and image.mode == "RGBA"
    page = client.get(organisation.get_absolute_url()).content.decode()
    assert organisation.logo.url in page


def test_a_fake_logo_is_refused(client, organisation, org_admin):
    client.force_login(org_admin)
    edit = reverse("members:organisation_edit", kwargs={"slug": organisation.slug})
    data = {
        "name": "Typed Name Kept",
        "area_served": "local",
        "logo": upload(b"GIF89a but really text", "logo.gif", "image/gif"),
    }
    response = client.post(edit, data)
    assert "must be a picture" in error_for(response, "logo")
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one("#id_name")["value"] == "Typed Name Kept"
    assert not Organisation.objects.get(pk=organisation.pk).logo


def test_services_store_through_the_default_storage(organisation, org_admin):
    services.organisation_set_logo(
        actor=org_admin,
        organisation=organisation,
        upload=upload(picture(fmt="PNG"), "x.png", "image/png"),
    )
    assert default_storage.exists(organisation.logo.name)
    person = UserFactory()
    services.person_set_photo(actor=person, person=person, upload=upload(picture()))
    assert default_storage.exists(person.photo.name)
