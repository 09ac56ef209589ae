"""Writes to organisation and person profiles, photos and logos. Each function is one
transaction; files replaced by a new upload are deleted only once the change has committed."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core import geo, search
from core.audit import audit_log
from core.permissions import is_coordinator, is_org_admin
from members import images
from members.models import Audience, FocusArea, Organisation, Region, User, Visibility

ORGANISATION_FIELDS = frozenset(
    {
        "name",
        "description",
        "website",
        "email",
        "phone",
        "charity_number",
        "company_number",
        "address",
        "postcode",
        "area_served",
        "staff_size",
        "turnover",
    }
)
ORGANISATION_TAGS = {"regions": Region, "focus_areas": FocusArea, "audiences": Audience}
logger = logging.getLogger(__name__)
PERSON_FIELDS = frozenset(
    {
        "full_name",
        "job_title",
        "bio",
        "phone",
        "postcode",
        "profile_visibility",
        "email_visibility",
        "phone_visibility",
    }
)
VISIBILITY_FIELDS = ("profile_visibility", "email_visibility", "phone_visibility")


def _delete_file_on_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def _locate(organisation: Organisation) -> None:
    """Outcode and district centroid from the postcode (cleared when there is none)."""
    organisation.outcode = ""
    organisation.latitude = organisation.longitude = None
    if not organisation.postcode:
        return
    try:
        found = geo.district(organisation.postcode)
        organisation.outcode = geo.outward_code(organisation.postcode)
    except geo.PostcodeError:
        return
    if found is not None:
        organisation.latitude, organisation.longitude = found.latitude, found.longitude


def _reindex(organisation: Organisation) -> None:
    """Keep the full-text index in step with the organisation (same transaction)."""
    search.search_index_update(organisation)


def _audit_if_coordinator_edit(*, actor: User, organisation: Organisation, action: str, **data):
    """Coordinators editing an organisation they do not administer leave an audit entry."""
    if is_coordinator(actor) and not is_org_admin(actor, organisation):
        audit_log(actor=actor, action=action, target=organisation, **data)


@transaction.atomic
def organisation_update(
    *,
    actor: User,
    organisation: Organisation,
    changes: Mapping[str, Any],
) -> Organisation:
    """Change an organisation's details and tags (``regions``, ``focus_areas``, ``audiences``
    as iterables of terms or primary keys). A new postcode moves it on the map; the search
    index follows. Saved by one of its own admins, it counts as confirming the listing is
    correct; a coordinator's correction does not (the organisation has confirmed nothing)."""
    unknown = set(changes) - ORGANISATION_FIELDS - set(ORGANISATION_TAGS)
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} with organisation_update")
    changed = sorted(
        name
        for name in ORGANISATION_FIELDS & set(changes)
        if getattr(organisation, name) != changes[name]
    )
    for name in ORGANISATION_FIELDS & set(changes):
        setattr(organisation, name, changes[name])
    if "postcode" in changes:
        _locate(organisation)
    now = timezone.now()
    organisation.updated_at = now
    if is_org_admin(actor, organisation):
        organisation.confirmed_at = now
    organisation.save()
    for relation in ORGANISATION_TAGS:
        if relation in changes:
            new_pks = set(_pks(changes[relation]))
            manager = getattr(organisation, relation)
            if set(manager.values_list("pk", flat=True)) != new_pks:
                manager.set(new_pks)
                changed.append(relation)
    _reindex(organisation)
    if changed:
        _audit_if_coordinator_edit(
            actor=actor,
            organisation=organisation,
            action="members.organisation.update",
            fields=sorted(changed),
        )
    return organisation


def _pks(items: Iterable) -> list[int]:
    return [getattr(item, "pk", item) for item in items]


@transaction.atomic
def organisation_set_logo(*, actor: User, organisation: Organisation, upload) -> Organisation:
    """Store a cleaned copy of ``upload`` (at most 400 px, PNG, no metadata) as the logo.
    ``upload`` must already have passed ``members.images.validate_image``."""
    old = organisation.logo.name
    organisation.logo.save("logo.png", images.logo_from_upload(upload), save=False)
    organisation.updated_at = timezone.now()
    organisation.save(update_fields=["logo", "updated_at"])
    _delete_file_on_commit(old)
    _audit_if_coordinator_edit(
        actor=actor, organisation=organisation, action="members.organisation.logo"
    )
    return organisation


@transaction.atomic
def organisation_remove_logo(*, actor: User, organisation: Organisation) -> Organisation:
    old = organisation.logo.name
    organisation.logo = ""
    organisation.updated_at = timezone.now()
    organisation.save(update_fields=["logo", "updated_at"])
    _delete_file_on_commit(old)
    _audit_if_coordinator_edit(
        actor=actor, organisation=organisation, action="members.organisation.logo_removed"
    )
    return organisation


@transaction.atomic
def person_update_profile(
    *,
    actor: User,
    person: User,
    changes: Mapping[str, Any],
) -> User:
    """Change a person's profile and who can see it (``focus_areas`` as terms or keys).
    A coordinator changing someone else's profile leaves an audit entry."""
    unknown = set(changes) - PERSON_FIELDS - {"focus_areas"}
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} with person_update_profile")
    for name in VISIBILITY_FIELDS:
        if name in changes and changes[name] not in Visibility.values:
            raise ValueError(f"Unknown visibility {changes[name]!r} for {name}")
    changed = sorted(
        name for name in PERSON_FIELDS & set(changes) if getattr(person, name) != changes[name]
    )
    narrowed = (
        _VISIBILITY_RANK[changes.get("profile_visibility", person.profile_visibility)]
        > (_VISIBILITY_RANK[person.profile_visibility])
    )
    for name in PERSON_FIELDS & set(changes):
        setattr(person, name, changes[name])
    update_fields = sorted(PERSON_FIELDS & set(changes))
    if narrowed and person.photo:
        _move_photo(person)
        update_fields.append("photo")
    person.save(update_fields=update_fields or None)
    if "focus_areas" in changes:
        new_pks = set(_pks(changes["focus_areas"]))
        if set(person.focus_areas.values_list("pk", flat=True)) != new_pks:
            person.focus_areas.set(new_pks)
            changed.append("focus_areas")
    if actor.pk != person.pk and changed:
        audit_log(actor=actor, action="members.person.update", target=person, fields=changed)
    return person


# Wider to narrower audience: a page that becomes less visible must not keep its photo's address.
_VISIBILITY_RANK = {Visibility.PUBLIC: 0, Visibility.MEMBERS: 1, Visibility.HIDDEN: 2}


def _move_photo(person: User) -> None:
    """Give the photo a new random file name and delete the old file after commit.

    Photos are served from public media under unguessable names; someone who saw the page
    while it was visible could otherwise still fetch the photo after the person hid it."""
    old = person.photo.name
    try:
        with default_storage.open(old, "rb") as handle:
            person.photo.save("photo.jpg", handle, save=False)
    except FileNotFoundError:  # e.g. a database restored without its media: no photo left
        logger.warning("Photo %s of person %s is missing; cleared.", old, person.pk)
        person.photo = ""
        return
    _delete_file_on_commit(old)


@transaction.atomic
def person_set_photo(*, actor: User, person: User, upload) -> User:
    """Store a 400 × 400 JPEG of ``upload`` without metadata as the person's photo.
    ``upload`` must already have passed ``members.images.validate_image``."""
    old = person.photo.name
    person.photo.save("photo.jpg", images.photo_from_upload(upload), save=False)
    person.save(update_fields=["photo"])
    _delete_file_on_commit(old)
    if actor.pk != person.pk:
        audit_log(actor=actor, action="members.person.photo", target=person)
    return person


@transaction.atomic
def person_remove_photo(*, actor: User, person: User) -> User:
    old = person.photo.name
    person.photo = ""
    person.save(update_fields=["photo"])
    _delete_file_on_commit(old)
    if actor.pk != person.pk:
        audit_log(actor=actor, action="members.person.photo_removed", target=person)
    return person
