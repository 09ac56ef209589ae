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

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from django.db import connections, router
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value

from core import geo, search
from core.pagination import paginate_keyset_request, row_after
from core.permissions import is_coordinator, is_member
from members import cache as directory_cache
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
    people_search_normalise,
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
    # The directory data version these were loaded at (None: not known), so that the list's
    # query can reuse other per-version summaries (``_near_groups``, ``_term_sizes``).
    version: int | None = None

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
        version=version,
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


@lru_cache(maxsize=4096)
def town_for(outcode: str) -> str:
    """The town of a postcode district ("" when unknown); no query (the districts are a file
    read once, so this is kept per outcode)."""
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


# How many matches the directory counts at most (the view's COUNT_LIMIT): the list's queries
# use the same capped count to choose how to read a page, so it is counted once.
COUNT_CAP = 1000


@dataclass
class DirectoryQuery:
    """A filtered list and the ordering to page it by (for ``core.pagination``).

    ``queryset.order_by(*ordering)`` is the whole list (the CSV export reads it so). ``page``
    and ``count`` give the same rows in the same order; subclasses only choose cheaper ways to
    read them for the kinds of list that would otherwise read every match (see below).
    """

    queryset: QuerySet
    ordering: tuple[str, ...]
    near: tuple[float, float] | None = None
    _counts: dict = field(default_factory=dict, init=False, repr=False)

    def page(self, request, *, per_page: int, carry: dict | None = None):
        """The page of the list that ``request``'s cursor points at (keyset pagination);
        ``carry`` goes into its links' cursors (``core.pagination.carried``)."""
        return paginate_keyset_request(
            request,
            self.paged_queryset(per_page),
            ordering=self.ordering,
            per_page=per_page,
            fetch=self.fetch,
            carry=carry,
        )

    def paged_queryset(self, per_page: int) -> QuerySet:
        return self.queryset

    def fetch(self, queryset: QuerySet, *, forward: bool, values, limit: int) -> list:
        return list(queryset[:limit])

    def known_count(self, limit: int, count: int) -> None:
        """``count`` (up to ``limit + 1``) is already known, e.g. carried from the page before:
        ``count(limit)`` gives it without counting."""
        self._counts[limit] = count

    def count(self, limit: int) -> int:
        """How many rows match, counting no further than ``limit + 1`` (counted once per
        limit: a page may already have needed it)."""
        if limit not in self._counts:
            self._counts[limit] = self._count(limit)
        return self._counts[limit]

    def _count(self, limit: int) -> int:
        """``count`` without the memo (subclasses count more cheaply where they can)."""
        return count_up_to(self.counted_queryset(), limit)

    def counted_queryset(self) -> QuerySet:
        return self.queryset


# --- Filters: read the rarest tag first when matches are few ----------------------------------

_TAG_RELATIONS = (("focus", "focus_areas"), ("audience", "audiences"), ("region", "regions"))
_term_sizes_memo: tuple[int, dict] | None = None


def _term_sizes(version: int | None) -> dict:
    """How many organisations have each focus area, audience and region, by ``(kind, pk)``: one
    grouped query, kept per data ``version``. Only an estimate is needed (to choose which tag to
    read first), so unlisted organisations count too."""
    global _term_sizes_memo
    memo = _term_sizes_memo
    if version is not None and memo is not None and memo[0] == version:
        return memo[1]
    connection = connections[router.db_for_read(Organisation)]
    quote = connection.ops.quote_name
    parts, params = [], []
    for kind, relation in _TAG_RELATIONS:
        through = Organisation._meta.get_field(relation).remote_field.through
        column = through._meta.get_field(relation_target_field(relation)).column
        parts.append(
            f"SELECT %s, {quote(column)}, COUNT(*) FROM {quote(through._meta.db_table)}"  # noqa: S608
            f" GROUP BY {quote(column)}"
        )
        params.append(kind)
    sizes: dict = {}
    with connection.cursor() as cursor:
        # Only the models' own table and column names are put into the SQL.
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, pk, n in cursor.fetchall():
            sizes[(kind, pk)] = n
    if version is not None:
        _term_sizes_memo = (version, sizes)
    return sizes


def relation_target_field(relation: str) -> str:
    """The through table's field that points at the tag ("focusarea", "audience", "region")."""
    return Organisation._meta.get_field(relation).m2m_reverse_field_name()


@dataclass
class FilteredDirectoryQuery(DirectoryQuery):
    """The list narrowed by tags (focus, audience, region), in name order.

    Walking the name index and testing each organisation is quick when many match, but a
    sparse combination would read every listed organisation to find a few (or none), and both
    databases' planners expect matches to be spread evenly, so they walk it anyway. So the
    matches' ids are first read from the rarest of the chosen tags' table (``counted``: one row
    per match, stopping at the cap when matches are many). That gives the capped count, and
    when there are no more than the cap, the page is sorted from just those ids; otherwise
    matches are plentiful and the name walk finds a page soon.
    """

    counted: QuerySet | None = None  # organisation ids of the matches, from the rarest tag
    plain: QuerySet | None = None  # the listed organisations before the tag filters
    _ids: list | None = field(default=None, init=False, repr=False)

    def _matches(self) -> list:
        """Up to ``COUNT_CAP + 1`` ids of matching organisations (one query, kept)."""
        if self._ids is None:
            self._ids = list(
                self.counted.order_by().values_list("organisation_id", flat=True)[: COUNT_CAP + 1]
            )
        return self._ids

    def _count(self, limit: int) -> int:
        found = len(self._matches())
        if found <= COUNT_CAP:  # every match is known
            return min(found, limit + 1)
        if limit + 1 <= found:
            return limit + 1
        return super()._count(limit)

    def paged_queryset(self, per_page: int) -> QuerySet:
        ids = self._matches()
        if len(ids) > COUNT_CAP:
            return self.queryset  # plenty: the name order finds a page soon
        return self.plain.filter(pk__in=ids)


# --- Area served and staff size: counted from a grouped count ---------------------------------

_column_counts_memo: tuple[int, dict] | None = None


def _column_counts(version: int) -> dict:
    """How many listed organisations have each (area served, staff size): one grouped query,
    kept per data ``version`` (any write to organisations changes it)."""
    global _column_counts_memo
    memo = _column_counts_memo
    if memo is not None and memo[0] == version:
        return memo[1]
    counts = {
        (area, size): n
        for area, size, n in Organisation.objects.filter(status=MembershipStatus.ACTIVE)
        .order_by()
        .values_list("area_served", "staff_size")
        .annotate(n=Count("id"))
    }
    _column_counts_memo = (version, counts)
    return counts


@dataclass
class ColumnDirectoryQuery(DirectoryQuery):
    """Listed organisations in name order, narrowed by area served and staff size or not at
    all. A page walks the name index and soon finds its rows; the count comes from the grouped
    counts kept per data version, so a rare pair ("national", "250+") is not counted by
    reading every organisation."""

    area: str = ""
    size: str = ""
    version: int | None = None

    def _count(self, limit: int) -> int:
        if self.version is None:
            return super()._count(limit)
        total = sum(
            n
            for (area, size), n in _column_counts(self.version).items()
            if (not self.area or area == self.area) and (not self.size or size == self.size)
        )
        return min(total, limit + 1)


# --- Words: read the ranks in turn ------------------------------------------------------------


@dataclass
class SearchDirectoryQuery(DirectoryQuery):
    """A search's list in (rank, name, pk) order, read rank by rank on PostgreSQL.

    Ranking every match before taking a page costs as much as the matches are many ("people"
    matches 40,000 organisations), but a page needs only its rows, and within a rank they are
    in name order. So the ranks are read in turn from the cursor's, each for the rows still
    needed, until the page is full. How a rank is read depends on its size, looked up from the
    full-text index capped at ``COUNT_CAP`` (``search_tier_ids``): a small rank is read from
    its ids; a large one by walking the name index and testing each organisation
    (``search_tiers``), which finds a page soon because matches are dense. Rows, order and
    cursors are exactly those of the ranked query. The capped count is made the same way: from
    the ids when every rank is small, else by testing organisations until the cap. SQLite
    reads its matches as ids from FTS5 cheaply, so there the ranked query is kept.
    """

    searched: QuerySet | None = None  # the list before the words (other filters applied)
    q: str = ""
    tiers: list = field(default_factory=list)  # [(rank, queryset)] from search_tiers
    _ids: dict = field(default_factory=dict, init=False, repr=False)

    def _tier_ids(self, number: int) -> list | None:
        """The ids of rank ``number``'s matches, or ``None`` when there are more than the cap."""
        if number not in self._ids:
            ids = search.search_tier_ids(
                Organisation, self.q, number, limit=COUNT_CAP + 1, using=self.searched.db
            )
            self._ids[number] = ids if len(ids) <= COUNT_CAP else None
        return self._ids[number]

    def fetch(self, queryset: QuerySet, *, forward: bool, values, limit: int) -> list:
        rows: list = []
        for number, tier in self.tiers if forward else self.tiers[::-1]:
            if values is not None and ((number < values[0]) if forward else (number > values[0])):
                continue  # the cursor is past this rank
            ids = self._tier_ids(number)
            if ids == []:
                continue
            if ids is not None:
                tier = self.searched.filter(pk__in=ids).annotate(
                    search_rank=Value(number, output_field=IntegerField())
                )
            if values is not None and number == values[0]:
                tier = tier.filter(row_after(("name", "pk"), values[1:], forward=forward))
            ordering = ("name", "pk") if forward else ("-name", "-pk")
            rows += tier.order_by(*ordering)[: limit - len(rows)]
            if len(rows) >= limit:
                break
        return rows

    def counted_queryset(self) -> QuerySet:
        ids = []
        for number, _tier in self.tiers:
            found = self._tier_ids(number)
            if found is None:  # many: test organisations until the cap
                return search.search_exists(self.searched, self.q)
            ids += found
        return self.searched.filter(pk__in=ids)


# --- Near a place: read only the districts around the page --------------------------------------

_near_groups_memo: tuple[int, tuple] | None = None
# Python's and the database's haversine agree to far better than this (km); the rings are
# widened by it so that rounding never leaves out a row that belongs on a page.
_RING_SLACK_KM = 1e-6


def _near_groups(version: int | None) -> tuple:
    """Listed organisations with coordinates, grouped by (outward code, latitude, longitude):
    ``(outcodes, latitudes, longitudes, counts)`` (numpy arrays). Organisations take their
    district's centroid, so some 3,000 groups stand for 50,000 organisations. One grouped query,
    kept per data ``version`` (any write to organisations changes it)."""
    global _near_groups_memo
    memo = _near_groups_memo
    if version is not None and memo is not None and memo[0] == version:
        return memo[1]
    rows = list(
        Organisation.objects.filter(
            status=MembershipStatus.ACTIVE, latitude__isnull=False, longitude__isnull=False
        )
        .order_by()
        .values_list("outcode", "latitude", "longitude")
        .annotate(n=Count("id"))
    )
    groups = (
        np.array([row[0] for row in rows], dtype=object),
        np.array([row[1] for row in rows], dtype=float),
        np.array([row[2] for row in rows], dtype=float),
        np.array([row[3] for row in rows], dtype=np.int64),
    )
    if version is not None:
        _near_groups_memo = (version, groups)
    return groups


def _group_distances(lat: float, lon: float, lats, lons):
    """``geo.haversine_km`` from ``(lat, lon)`` to every group at once."""
    lat0, lon0 = math.radians(lat), math.radians(lon)
    lat_r, lon_r = np.radians(lats), np.radians(lons)
    h = (
        np.sin((lat_r - lat0) / 2) ** 2
        + math.cos(lat0) * np.cos(lat_r) * np.sin((lon_r - lon0) / 2) ** 2
    )
    return 2 * geo.EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


@dataclass
class NearDirectoryQuery(DirectoryQuery):
    """The list in distance order from ``near`` (then pk).

    Sorting every organisation by a computed distance costs the same on every page and grows
    with the directory. But organisations sit on about 3,000 district centroids, whose distances
    Python sorts in well under a millisecond. A page then asks the database only for the
    organisations in a *ring* of districts: from the cursor's distance out to the distance at
    which enough organisations lie (in from it, going back). The query keeps the true distance
    and the (distance, pk) order and cursor; the ring only adds ``outcode IN (...)`` and a
    distance bound, so it returns exactly the rows the whole list has there. When the ring
    holds too few rows after the other filters, it is widened (at most twice) and finally
    dropped, so a page is never short.
    """

    narrowed: bool = False  # other filters or words besides the place
    version: int | None = None
    _sorted: tuple | None = field(default=None, init=False, repr=False)

    def _groups_by_distance(self) -> tuple:
        if self._sorted is None:
            outcodes, lats, lons, counts = _near_groups(self.version)
            distances = _group_distances(*self.near, lats, lons)
            order = np.argsort(distances, kind="stable")
            self._sorted = (distances[order], outcodes[order], np.cumsum(counts[order]))
        return self._sorted

    def _count(self, limit: int) -> int:
        """With no other filter, every located listed organisation matches: the district
        groups (kept per data version) already count them, so no query is needed."""
        if self.narrowed or self.version is None:
            return super()._count(limit)
        cumulative = self._groups_by_distance()[2]
        total = int(cumulative[-1]) if len(cumulative) else 0
        return min(total, limit + 1)

    def _ring(self, *, forward: bool, edge: float | None, need: int) -> Q | None:
        """The condition for the districts holding the next ``need`` listed organisations past
        the cursor's distance ``edge``, or ``None`` when that is every district."""
        distances, outcodes, cumulative = self._groups_by_distance()
        size = len(distances)
        if size == 0:
            return None
        before = lambda i: int(cumulative[i - 1]) if i > 0 else 0  # noqa: E731
        if forward:
            start = 0 if edge is None else int(np.searchsorted(distances, edge - _RING_SLACK_KM))
            stop = int(np.searchsorted(cumulative, before(start) + need))  # holds `need`
            if stop >= size:  # to the end of the list
                if start == 0:
                    return None
                return Q(outcode__in=sorted(set(outcodes[start:].tolist())))
            bound = float(distances[stop]) + _RING_SLACK_KM
            stop = int(np.searchsorted(distances, bound + _RING_SLACK_KM, side="right"))
            return Q(outcode__in=sorted(set(outcodes[start:stop].tolist())), distance_km__lte=bound)
        stop = int(np.searchsorted(distances, edge + _RING_SLACK_KM, side="right"))
        if stop == 0:
            return Q(pk__in=[])
        wanted = before(stop) - need  # the ring starts where fewer than this lie inside it
        if wanted <= 0:
            return Q(outcode__in=sorted(set(outcodes[:stop].tolist())))
        start = int(np.searchsorted(cumulative, wanted, side="right"))
        bound = float(distances[start]) - _RING_SLACK_KM
        start = int(np.searchsorted(distances, bound - _RING_SLACK_KM))
        return Q(outcode__in=sorted(set(outcodes[start:stop].tolist())), distance_km__gte=bound)

    def fetch(self, queryset: QuerySet, *, forward: bool, values, limit: int) -> list:
        need = limit
        if self.narrowed:
            matches = self.count(COUNT_CAP)
            if matches <= COUNT_CAP:
                return list(queryset[:limit])  # few matches: their distances are cheap
            # More than COUNT_CAP of the listed organisations match: a ring holding this many
            # listed ones holds a page's worth on average, if the matches are spread evenly.
            cumulative = self._groups_by_distance()[2]
            listed = int(cumulative[-1]) if len(cumulative) else 0
            need = limit * max(1, math.ceil(listed / (COUNT_CAP + 1)))
        edge = float(values[0]) if values else None
        for _attempt in range(3):
            ring = self._ring(forward=forward, edge=edge, need=need)
            if ring is None:
                break
            rows = list(queryset.filter(ring)[:limit])
            if len(rows) >= limit or not _bounded(ring):
                return rows
            need *= 8
        return list(queryset[:limit])


def _bounded(ring: Q) -> bool:
    """Does the ring stop at a distance (so that rows may lie beyond it)?"""
    return any(
        isinstance(child, tuple) and child[0].startswith("distance_km") for child in ring.children
    )


def _data_version(terms: Taxonomy) -> int | None:
    """The directory data version the per-version summaries are kept at: the one the taxonomy
    was loaded at, else the current one (coordinators' pages, which are never cached)."""
    return terms.version if terms.version is not None else directory_cache.data_version()


def organisations_directory(
    *, viewer, filters: dict, terms: Taxonomy, for_export: bool = False
) -> DirectoryQuery:
    """Listed organisations matching ``filters`` (already validated by the filter form), with
    their tags prefetched. Ordered by distance ``near`` a place, else by relevance for a
    search, else by name. The page gets public columns only; an export gets every column."""
    queryset = Organisation.objects.filter(status=MembershipStatus.ACTIVE)
    if not for_export:
        queryset = queryset.only(*DIRECTORY_COLUMNS)
    chosen = []  # (kind, relation, term)
    for kind, relation in _TAG_RELATIONS:
        term = terms.term(kind, filters.get(kind, ""))
        if term is not None:
            chosen.append((kind, relation, term))
    plain = queryset
    for _kind, relation, term in chosen:
        # Tested per organisation (an index probe), so any tag can be read first, or none.
        queryset = queryset.filter(_has_tag(relation, term.pk))
    if filters.get("area"):
        queryset = queryset.filter(area_served=filters["area"])
        plain = plain.filter(area_served=filters["area"])
    if filters.get("size"):
        queryset = queryset.filter(staff_size=filters["size"])
        plain = plain.filter(staff_size=filters["size"])
    ordering: tuple[str, ...] = ("name", "pk")
    narrowed = bool(chosen or filters.get("area") or filters.get("size"))
    searched = None
    if filters.get("q"):
        searched = queryset
        queryset = search.search_filter(queryset, filters["q"])
        ordering = ("search_rank", "name", "pk")
        narrowed = True
    point = None
    if filters.get("near"):
        point = geo.centroid(filters["near"])
        if point is not None:
            queryset = geo.annotate_distance(queryset, *point)
            ordering = ("distance_km", "pk")
    if for_export:
        return DirectoryQuery(queryset=_with_tags(queryset), ordering=ordering, near=point)
    if point is not None:
        version = _data_version(terms)
        return NearDirectoryQuery(
            queryset=queryset, ordering=ordering, near=point, narrowed=narrowed, version=version
        )
    if searched is not None and connections[queryset.db].vendor == "postgresql":
        return SearchDirectoryQuery(
            queryset=queryset,
            ordering=ordering,
            searched=searched,
            q=filters["q"],
            tiers=search.search_tiers(searched, filters["q"]),
        )
    if chosen and not filters.get("q"):
        version = _data_version(terms)
        sizes = _term_sizes(version)
        _kind, relation, rarest = min(chosen, key=lambda c: sizes.get((c[0], c[2].pk), 0))
        counted = _tag_members(relation, rarest.pk).filter(
            organisation__status=MembershipStatus.ACTIVE,
            **{
                f"organisation__{column}": filters[name]
                for name, column in (("area", "area_served"), ("size", "staff_size"))
                if filters.get(name)
            },
        )
        for _kind, other_relation, term in chosen:
            if term is not rarest:
                counted = counted.filter(_has_tag(other_relation, term.pk, outer="organisation_id"))
        return FilteredDirectoryQuery(
            queryset=queryset,
            ordering=ordering,
            counted=counted,
            plain=plain,
        )
    if not chosen and not filters.get("q"):
        return ColumnDirectoryQuery(
            queryset=queryset,
            ordering=ordering,
            area=filters.get("area") or "",
            size=filters.get("size") or "",
            version=_data_version(terms),
        )
    return DirectoryQuery(queryset=queryset, ordering=ordering, near=point)


def _through(relation: str):
    return Organisation._meta.get_field(relation).remote_field.through


def _has_tag(relation: str, term_pk: int, *, outer: str = "pk") -> Exists:
    through = _through(relation)
    return Exists(
        through.objects.filter(
            organisation_id=OuterRef(outer), **{f"{relation_target_field(relation)}_id": term_pk}
        )
    )


def _tag_members(relation: str, term_pk: int) -> QuerySet:
    through = _through(relation)
    return through.objects.filter(**{f"{relation_target_field(relation)}_id": term_pk}).values(
        "organisation_id"
    )


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


@dataclass
class WordsFirstPeopleQuery(DirectoryQuery):
    """The people list narrowed by words. No index serves a word inside a name, role or bio,
    and the planner cannot tell how many people have it, so walking the name index for a rare
    word reads every person (slower than reading the table). So the matches' ids are read
    first, stopping at the cap (``COUNT_CAP``): that gives the count, and when there are no
    more than the cap the page is sorted from just those ids; otherwise matches are plentiful
    and the name walk finds a page soon."""

    _ids: list | None = field(default=None, init=False, repr=False)

    def _matches(self) -> list:
        if self._ids is None:
            self._ids = list(
                self.queryset.prefetch_related(None)
                .order_by()
                .values_list("pk", flat=True)[: COUNT_CAP + 1]
            )
        return self._ids

    def _count(self, limit: int) -> int:
        found = len(self._matches())
        if found <= COUNT_CAP or limit + 1 <= found:
            return min(found, limit + 1)
        return super()._count(limit)

    def paged_queryset(self, per_page: int) -> QuerySet:
        ids = self._matches()
        return self.queryset if len(ids) > COUNT_CAP else self.queryset.filter(pk__in=ids)


PEOPLE_SEARCH_WORDS = 8  # more words than this add nothing but cost
PEOPLE_SEARCH_CHARS = 500  # longer input is cut


def people_search_words(q: str) -> list[str]:
    """What the people list looks for in ``User.search_text``: each word typed, normalised the
    same way (``members.models.people_search_normalise``: no case, no accents), without
    repeats. Punctuation inside a word becomes a space ("O'Brien" looks for "o brien", which
    only a name with those two words in a row has); words with no letters or digits (emoji,
    punctuation) are dropped."""
    words = (people_search_normalise(word) for word in q[:PEOPLE_SEARCH_CHARS].split())
    return list(dict.fromkeys(word for word in words if word))[:PEOPLE_SEARCH_WORDS]


def people_directory(*, viewer, filters: dict, terms: Taxonomy) -> DirectoryQuery:
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
        words = people_search_words(q)
        if not words:  # only emoji or punctuation: nothing can match (never "everyone")
            queryset = queryset.none()
        for word in words:
            queryset = queryset.filter(search_text__contains=word)
    queryset = queryset.order_by("full_name", "id").prefetch_related(
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
    kind = WordsFirstPeopleQuery if q else DirectoryQuery
    return kind(queryset=queryset, ordering=("full_name", "pk"))


def people_cards(*, viewer, people) -> list[PersonCard]:
    return [
        _card(
            viewer,
            person,
            organisations=[m.organisation for m in getattr(person, "listed_memberships", [])],
        )
        for person in people
    ]
