"""What a viewer may see of organisations and people, and the directory's lists.

Privacy is decided here and nowhere else:

* :func:`can_view_person` / :func:`people_visible_to` — whose page (and presence in any list) a
  viewer may see. ``public`` → anyone; ``members`` → active members and coordinators;
  ``hidden`` → only the person themselves and coordinators. A person whose membership is not
  active is shown only to themselves and coordinators.
* :func:`visible_value` — one contact field (email or phone) of a person, or ``""``: a field is
  never shown more widely than the page it sits on.

Every list here is fetched in a bounded number of queries that does not grow with the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from core import geo, search
from core.pagination import paginate_keyset_request
from core.permissions import is_coordinator, is_member
from members.models import (
    AffiliationStatus,
    Audience,
    FocusArea,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
    Region,
    User,
    Visibility,
)

PERSON_FIELDS = {"email", "phone"}


# --- Who can see what --------------------------------------------------------------------------


def visibility_levels_for(viewer) -> tuple[str, ...]:
    """The visibility values whose content ``viewer`` may see (ignoring "it is their own")."""
    if is_coordinator(viewer):
        return (Visibility.PUBLIC, Visibility.MEMBERS, Visibility.HIDDEN)
    if is_member(viewer):
        return (Visibility.PUBLIC, Visibility.MEMBERS)
    return (Visibility.PUBLIC,)


def _is_self(viewer, person) -> bool:
    return bool(viewer.is_authenticated and viewer.pk == person.pk)


def can_view_person(viewer, person) -> bool:
    """May ``viewer`` see ``person``'s page, or see them listed anywhere?"""
    if _is_self(viewer, person) or is_coordinator(viewer):
        return True
    if not person.is_member:
        return False
    return person.profile_visibility in visibility_levels_for(viewer)


def visible_value(viewer, person, field: str) -> str:
    """``person``'s ``email`` or ``phone`` if ``viewer`` may see it, else ``""``."""
    if field not in PERSON_FIELDS:
        raise ValueError(f"Not a person's contact field: {field!r}")
    if not can_view_person(viewer, person):
        return ""
    value = getattr(person, field) or ""
    if _is_self(viewer, person) or is_coordinator(viewer):
        return value
    if getattr(person, f"{field}_visibility") in visibility_levels_for(viewer):
        return value
    return ""


def people_visible_to(viewer, queryset: QuerySet[User] | None = None) -> QuerySet[User]:
    """``queryset`` (all people by default) narrowed to those ``viewer`` may see."""
    queryset = User.objects.all() if queryset is None else queryset
    if is_coordinator(viewer):
        return queryset
    allowed = Q(
        status=MembershipStatus.ACTIVE,
        is_active=True,
        profile_visibility__in=visibility_levels_for(viewer),
    )
    if viewer.is_authenticated:
        allowed |= Q(pk=viewer.pk)
    return queryset.filter(allowed)


def can_view_organisation(viewer, organisation) -> bool:
    """Listed organisations are public; others only to coordinators and their own people."""
    if organisation.is_listed or is_coordinator(viewer):
        return True
    return bool(
        viewer.is_authenticated
        and OrganisationMembership.objects.filter(
            organisation=organisation, user=viewer, status=AffiliationStatus.ACTIVE
        ).exists()
    )


# --- Taxonomy -----------------------------------------------------------------------------------


@dataclass
class Taxonomy:
    """Focus areas, audiences and regions, loaded once per request (three small queries)."""

    focus_areas: list[FocusArea]
    audiences: list[Audience]
    regions: list[Region]
    _by_slug: dict = field(default_factory=dict, repr=False)

    @property
    def focus_by_id(self) -> dict:
        return {t.pk: t for t in self.focus_areas}

    def term(self, kind: str, slug: str):
        if not self._by_slug:
            self._by_slug = {
                "focus": {t.slug: t for t in self.focus_areas},
                "audience": {t.slug: t for t in self.audiences},
                "region": {t.slug: t for t in self.regions},
            }
        return self._by_slug[kind].get(slug)


_taxonomy_memo: tuple[int, Taxonomy] | None = None


def taxonomy(*, version: int | None = None) -> Taxonomy:
    """The three lists (three small queries). With the directory's data ``version``
    (``members.cache.data_version``), this process reuses what it loaded at that version: any
    change to the lists changes the version."""
    global _taxonomy_memo
    memo = _taxonomy_memo
    if version is not None and memo is not None and memo[0] == version:
        return memo[1]
    loaded = Taxonomy(
        focus_areas=list(FocusArea.objects.all()),
        audiences=list(Audience.objects.all()),
        regions=list(Region.objects.all()),
    )
    if version is not None:
        _taxonomy_memo = (version, loaded)
    return loaded


# --- Organisations ------------------------------------------------------------------------------


def _with_tags(queryset: QuerySet[Organisation]) -> QuerySet[Organisation]:
    return queryset.prefetch_related(
        Prefetch("focus_areas", queryset=FocusArea.objects.order_by("position", "name")),
        Prefetch("audiences", queryset=Audience.objects.order_by("position", "name")),
        Prefetch("regions", queryset=Region.objects.order_by("position", "name")),
    )


DIRECTORY_COLUMNS = (
    "id",
    "name",
    "slug",
    "description",
    "website",
    "outcode",
    "latitude",
    "longitude",
    "area_served",
    "staff_size",
    "logo",
    "status",
    "created_at",
    "approved_at",
    "confirmed_at",
)


def town_for(outcode: str) -> str:
    """The town of a postcode district ("" when unknown); no query."""
    try:
        found = geo.district(outcode) if outcode else None
    except geo.PostcodeError:
        return ""
    return found.town if found else ""


def search_texts(*, name: str, tags: list[str], description: str, outcode: str) -> dict:
    """What the directory's ``?q=`` looks in, by weight: the name first, then the focus areas
    and the people it works with, then the description, then the town (from the postcode)."""
    return {"A": name, "B": " ".join(tags), "C": description, "D": town_for(outcode)}


def _organisation_texts(org) -> dict:
    return search_texts(
        name=org.name,
        tags=[t.name for t in org.focus_areas.all()] + [t.name for t in org.audiences.all()],
        description=org.description,
        outcode=org.outcode,
    )


def register_search() -> None:
    """Register organisations with ``core.search`` (from ``MembersConfig.ready``)."""
    search.register(
        Organisation,
        weights={
            weight: (lambda org, weight=weight: _organisation_texts(org)[weight])
            for weight in "ABCD"
        },
        queryset=lambda: Organisation.objects.only(
            "id", "name", "description", "outcode"
        ).prefetch_related("focus_areas", "audiences"),
    )


def count_up_to(queryset: QuerySet, limit: int) -> int:
    """How many rows ``queryset`` has, counting no further than ``limit + 1``: a long list costs
    no more to count than a list of ``limit`` (a result above ``limit`` means "more than")."""
    return queryset.order_by().values("pk")[: limit + 1].count()


@dataclass
class DirectoryQuery:
    """A filtered list and the ordering to page it by (for ``core.pagination``)."""

    queryset: QuerySet
    ordering: tuple[str, ...]
    near: tuple[float, float] | None = None

    def page(self, request, *, per_page: int):
        """The page of the list that ``request``'s cursor points at (keyset pagination)."""
        return paginate_keyset_request(
            request, self.queryset, ordering=self.ordering, per_page=per_page
        )

    def count(self, limit: int) -> int:
        """How many organisations match, counting no further than ``limit + 1``."""
        return count_up_to(self.queryset, limit)


def organisations_directory(
    *, viewer, filters: dict, terms: Taxonomy, for_export: bool = False
) -> DirectoryQuery:
    """Listed organisations matching ``filters`` (already validated by the filter form), with
    their tags prefetched. Ordered by distance ``near`` a place, else by relevance for a
    search, else by name. The page gets public columns only; an export gets every column."""
    queryset = Organisation.objects.filter(status=MembershipStatus.ACTIVE)
    if not for_export:
        queryset = queryset.only(*DIRECTORY_COLUMNS)
    for kind, relation in (
        ("focus", "focus_areas"),
        ("audience", "audiences"),
        ("region", "regions"),
    ):
        term = terms.term(kind, filters.get(kind, ""))
        if term is not None:
            # One value of an M2M: a plain join cannot duplicate rows.
            queryset = queryset.filter(**{relation: term.pk})
    if filters.get("area"):
        queryset = queryset.filter(area_served=filters["area"])
    if filters.get("size"):
        queryset = queryset.filter(staff_size=filters["size"])
    ordering: tuple[str, ...] = ("name", "pk")
    if filters.get("q"):
        queryset = search.search_filter(queryset, filters["q"])
        ordering = ("search_rank", "name", "pk")
    point = None
    if filters.get("near"):
        point = geo.centroid(filters["near"])
        if point is not None:
            queryset = geo.annotate_distance(queryset, *point)
            ordering = ("distance_km", "pk")
    if for_export:
        queryset = _with_tags(queryset)
    return DirectoryQuery(queryset=queryset, ordering=ordering, near=point)


def attach_focus_areas(organisations: list[Organisation], terms: Taxonomy) -> None:
    """Set ``focus_list`` on each organisation of a page (one light query: the terms are
    already in memory, so only pairs of ids are read)."""
    by_org: dict[int, list] = {org.pk: [] for org in organisations}
    focus_by_id = terms.focus_by_id
    if by_org:
        pairs = Organisation.focus_areas.through.objects.filter(
            organisation_id__in=list(by_org)
        ).values_list("organisation_id", "focusarea_id")
        for org_id, term_id in pairs:
            term = focus_by_id.get(term_id)
            if term is not None:
                by_org[org_id].append(term)
    order = {term.pk: i for i, term in enumerate(terms.focus_areas)}
    for org in organisations:
        org.focus_list = sorted(by_org[org.pk], key=lambda t: order[t.pk])


def organisation_for_page(*, viewer, slug: str) -> Organisation | None:
    """The organisation at ``slug`` if ``viewer`` may see its page, with tags prefetched."""
    organisation = _with_tags(Organisation.objects.filter(slug=slug)).first()
    if organisation is None or not can_view_organisation(viewer, organisation):
        return None
    return organisation


@dataclass
class PersonCard:
    """A person as ``viewer`` may see them: contact fields already filtered."""

    person: User
    email: str = ""
    phone: str = ""
    role: str = ""  # "admin" when shown on an organisation page
    organisations: list[Organisation] = field(default_factory=list)

    @property
    def is_hidden_profile(self) -> bool:
        return self.person.profile_visibility == Visibility.HIDDEN


def _card(viewer, person, **extra) -> PersonCard:
    return PersonCard(
        person=person,
        email=visible_value(viewer, person, "email"),
        phone=visible_value(viewer, person, "phone"),
        **extra,
    )


def organisation_people(*, viewer, organisation: Organisation) -> list[PersonCard]:
    """The organisation's people ``viewer`` may see (one query), admins first, then by name."""
    memberships = (
        OrganisationMembership.objects.filter(
            organisation=organisation,
            status=AffiliationStatus.ACTIVE,
            user__in=people_visible_to(viewer),
        )
        .select_related("user")
        .order_by("user__full_name", "user_id")
    )
    cards = [_card(viewer, m.user, role=m.role) for m in memberships]
    cards.sort(key=lambda card: card.role != OrganisationRole.ADMIN)  # stable: names stay sorted
    return cards


def person_for_page(*, viewer, pk: int) -> PersonCard | None:
    """``pk``'s page as ``viewer`` may see it, or ``None`` (shown as "not found")."""
    person = (
        people_visible_to(viewer, User.objects.filter(pk=pk))
        .prefetch_related(
            Prefetch("focus_areas", queryset=FocusArea.objects.order_by("position", "name"))
        )
        .first()
    )
    if person is None or not can_view_person(viewer, person):
        return None
    organisations = Organisation.objects.filter(
        memberships__user=person, memberships__status=AffiliationStatus.ACTIVE
    )
    if not is_coordinator(viewer):
        organisations = organisations.filter(status=MembershipStatus.ACTIVE)
    organisations = list(organisations.only("id", "name", "slug").order_by("name", "id"))
    return _card(viewer, person, organisations=organisations)


# --- People -------------------------------------------------------------------------------------

PEOPLE_COLUMNS = (
    "id",
    "full_name",
    "email",
    "job_title",
    "photo",
    "phone",
    "status",
    "is_active",
    "profile_visibility",
    "email_visibility",
    "phone_visibility",
)


def people_directory(*, viewer, filters: dict, terms: Taxonomy) -> QuerySet[User]:
    """People ``viewer`` may see, matching ``filters`` (``q``, ``focus``), ordered by name,
    with their focus areas and listed organisations prefetched."""
    queryset = people_visible_to(viewer, User.objects.only(*PEOPLE_COLUMNS))
    if not is_coordinator(viewer):
        # Only members of the network are listed (not applicants), even to themselves.
        queryset = queryset.filter(status=MembershipStatus.ACTIVE, is_active=True)
    term = terms.term("focus", filters.get("focus", ""))
    if term is not None:
        queryset = queryset.filter(focus_areas=term.pk)
    q = filters.get("q", "")
    if q:
        for word in q.split()[:8]:
            queryset = queryset.filter(
                Q(full_name__icontains=word) | Q(job_title__icontains=word) | Q(bio__icontains=word)
            )
    return queryset.order_by("full_name", "id").prefetch_related(
        Prefetch("focus_areas", queryset=FocusArea.objects.order_by("position", "name")),
        Prefetch(
            "org_memberships",
            queryset=OrganisationMembership.objects.filter(
                status=AffiliationStatus.ACTIVE, organisation__status=MembershipStatus.ACTIVE
            )
            .select_related("organisation")
            .only("id", "user_id", "role", "organisation__name", "organisation__slug"),
            to_attr="listed_memberships",
        ),
    )


def people_cards(*, viewer, people) -> list[PersonCard]:
    return [
        _card(
            viewer,
            person,
            organisations=[m.organisation for m in getattr(person, "listed_memberships", [])],
        )
        for person in people
    ]
