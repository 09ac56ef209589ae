"""Coordinators edit the taxonomy: focus areas, audiences, nations and regions.

A term's web address name (slug) is made once, from its first name, and kept when it is
renamed, so saved searches and links such as ``/members/?focus=older-people`` keep working.
Every change is written to the audit log.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from core import search
from core.audit import audit_log
from members.models import Organisation


def _action(model, verb: str) -> str:
    return f"members.{model._meta.model_name}.{verb}"


def _reindex(organisation_ids) -> None:
    """Organisations are found by their terms' names: refresh their search entries."""
    if not organisation_ids:
        return
    index = search.get_index(Organisation)
    for organisation in index.get_queryset().filter(pk__in=organisation_ids):
        search.search_index_update(organisation)


def _unique_slug(model, name: str) -> str:
    base = slugify(name)[:90].strip("-") or "term"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def term_create(*, actor, model, name: str, kind: str | None = None):
    """Add a term at the end of its list."""
    last = model.objects.aggregate(last=Max("position"))["last"]
    term = model(name=name, slug=_unique_slug(model, name), position=(last or 0) + 1)
    if kind:
        term.kind = kind
    term.save()
    audit_log(actor=actor, action=_action(model, "create"), target=term, name=name)
    return term


@transaction.atomic
def term_update(*, actor, term, name: str, kind: str | None = None):
    """Rename a term (its slug stays the same)."""
    previous = term.name
    term.name = name
    fields = ["name"]
    if kind:
        term.kind = kind
        fields.append("kind")
    term.save(update_fields=fields)
    if previous != name:
        _reindex(list(term.organisations.values_list("pk", flat=True)))
    audit_log(
        actor=actor, action=_action(type(term), "update"), target=term, previous=previous, name=name
    )
    return term


@transaction.atomic
def term_move(*, actor, term, direction: str):
    """Move a term one place up or down its list (positions are renumbered 0, 1, 2...)."""
    model = type(term)
    terms = list(model.objects.select_for_update().order_by("position", "name", "pk"))
    index = next(i for i, t in enumerate(terms) if t.pk == term.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(terms):
        return term
    terms[index], terms[other] = terms[other], terms[index]
    for position, t in enumerate(terms):
        t.position = position
    model.objects.bulk_update(terms, ["position"])
    audit_log(actor=actor, action=_action(model, "move"), target=term, direction=direction)
    return term


@transaction.atomic
def term_delete(*, actor, term) -> None:
    """Delete a term. Organisations and people using it simply lose it (the page before
    says how many)."""
    model = type(term)
    usage = {"organisations": term.organisations.count()}
    if hasattr(term, "people"):
        usage["people"] = term.people.count()
    audit_log(actor=actor, action=_action(model, "delete"), target=term, name=term.name, **usage)
    ids = list(term.organisations.values_list("pk", flat=True))
    term.delete()
    _reindex(ids)
