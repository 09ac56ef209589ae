"""Reads for the library. Who may see a resource is decided here (:func:`can_view_resource`,
:func:`resources_visible_to`) and nowhere else; every list is fetched in a bounded number of
queries that does not grow with the library."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from core import search
from core.permissions import is_coordinator, is_member
from learning.models import (
    LinkStatus,
    Report,
    Resource,
    ResourceKind,
    ResourceStatus,
    ResourceVisibility,
    Theme,
)
from members.models import Audience, FocusArea

LIST_COLUMNS = (
    "id",
    "title",
    "slug",
    "summary",
    "kind",
    "published_on",
    "visibility",
    "status",
    "link_status",
)


# --- Who can see what ---------------------------------------------------------------------------


def visibility_levels_for(viewer) -> tuple[str, ...]:
    if is_member(viewer):
        return (ResourceVisibility.PUBLIC, ResourceVisibility.MEMBERS)
    return (ResourceVisibility.PUBLIC,)


def can_view_resource(viewer, resource: Resource) -> bool:
    """Published resources by visibility; unpublished ones only to coordinators and whoever
    submitted them. A members-only resource's file follows the same rule."""
    if is_coordinator(viewer):
        return True
    if resource.status != ResourceStatus.PUBLISHED:
        return bool(viewer.is_authenticated and resource.submitted_by_id == viewer.pk)
    return resource.visibility in visibility_levels_for(viewer)


def can_edit_resource(viewer, resource: Resource) -> bool:
    """Coordinators edit any resource. Whoever shared it edits it while it is a draft (sent
    back to them) or waiting for approval, and afterwards too if they may publish directly."""
    if is_coordinator(viewer):
        return True
    if not viewer.is_authenticated or resource.submitted_by_id != viewer.pk:
        return False
    if resource.status != ResourceStatus.PUBLISHED:
        return True
    from learning.services import can_publish_directly

    return can_publish_directly(viewer)


def resources_visible_to(viewer, queryset: QuerySet | None = None) -> QuerySet:
    """Published resources ``viewer`` may see (lists show only published ones, to everyone)."""
    queryset = Resource.objects.all() if queryset is None else queryset
    return queryset.filter(
        status=ResourceStatus.PUBLISHED, visibility__in=visibility_levels_for(viewer)
    )


# --- Search -------------------------------------------------------------------------------------


def _texts(resource: Resource) -> dict:
    return {
        "A": resource.title,
        "B": [t.name for t in resource.themes.all()]
        + [t.name for t in resource.focus_areas.all()]
        + [str(resource.get_kind_display())],
        "C": " ".join([resource.summary, resource.tried, resource.happened, resource.learned]),
        "D": " ".join([resource.body, *(o.name for o in resource.organisations.all())]),
    }


def register_search() -> None:
    """Register resources with ``core.search`` (from ``LearningConfig.ready``)."""
    search.register(
        Resource,
        weights={w: (lambda r, w=w: _texts(r)[w]) for w in "ABCD"},
        queryset=lambda: Resource.objects.prefetch_related(
            "themes", "focus_areas", "organisations"
        ),
    )


# --- The library --------------------------------------------------------------------------------


@dataclass
class Terms:
    """Themes, focus areas and audiences, loaded once per request (three small queries)."""

    themes: list[Theme]
    focus_areas: list[FocusArea]
    audiences: list[Audience]

    def term(self, kind: str, slug: str):
        terms = {"theme": self.themes, "focus": self.focus_areas, "audience": self.audiences}
        return next((t for t in terms[kind] if t.slug == slug), None)


def terms() -> Terms:
    return Terms(
        themes=list(Theme.objects.all()),
        focus_areas=list(FocusArea.objects.all()),
        audiences=list(Audience.objects.all()),
    )


DATE_RANGES = {"month": 31, "year": 366, "3years": 3 * 366}
SORTS = {
    "newest": ("-published_on", "-pk"),
    "oldest": ("published_on", "pk"),
    "title": ("title", "pk"),
}


@dataclass
class LibraryQuery:
    queryset: QuerySet
    ordering: tuple[str, ...]


def with_themes(queryset: QuerySet) -> QuerySet:
    """Each resource's themes in one extra query per page, however long the page."""
    return queryset.prefetch_related(
        Prefetch("themes", queryset=Theme.objects.only("id", "name", "slug", "position"))
    )


def resources_library(*, viewer, filters: dict, terms: Terms) -> LibraryQuery:
    """Published resources ``viewer`` may see matching ``filters`` (validated by the filter
    form): words (``q``), ``kind``, ``theme``, ``focus``, ``audience``, ``date`` (within the last
    month, year or 3 years) and ``sort`` (relevance for a search, else newest first)."""
    queryset = resources_visible_to(viewer, Resource.objects.only(*LIST_COLUMNS))
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    for kind, relation in (
        ("theme", "themes"),
        ("focus", "focus_areas"),
        ("audience", "audiences"),
    ):
        term = terms.term(kind, filters.get(kind, ""))
        if term is not None:
            queryset = queryset.filter(**{relation: term.pk})
    if filters.get("date") in DATE_RANGES:
        since = timezone.localdate() - datetime.timedelta(days=DATE_RANGES[filters["date"]])
        queryset = queryset.filter(published_on__gte=since)
    ordering = SORTS.get(filters.get("sort", ""), SORTS["newest"])
    if filters.get("q"):
        queryset = search.search_filter(queryset, filters["q"])
        if not filters.get("sort"):
            ordering = ("search_rank", *SORTS["newest"])
    return LibraryQuery(queryset=with_themes(queryset), ordering=ordering)


def resource_for_page(*, viewer, slug: str) -> Resource | None:
    """The resource at ``slug`` with its tags, if ``viewer`` may see it."""
    resource = (
        Resource.objects.filter(slug=slug)
        .select_related("event", "submitted_by")
        .prefetch_related("themes", "focus_areas", "audiences", "organisations")
        .first()
    )
    if resource is None or not can_view_resource(viewer, resource):
        return None
    return resource


def related_resources(*, viewer, resource: Resource, limit: int = 4) -> list[Resource]:
    """Up to ``limit`` other resources sharing a theme or a focus area, newest first (one
    query; the tags are already prefetched on ``resource``)."""
    theme_ids = [t.pk for t in resource.themes.all()]
    focus_ids = [t.pk for t in resource.focus_areas.all()]
    if not theme_ids and not focus_ids:
        return []
    matches = Resource.objects.filter(
        Q(themes__in=theme_ids) | Q(focus_areas__in=focus_ids)
    ).values("pk")
    return list(
        resources_visible_to(viewer, Resource.objects.only(*LIST_COLUMNS))
        .filter(pk__in=matches)
        .exclude(pk=resource.pk)
        .order_by("-published_on", "-pk")[:limit]
    )


def theme_resources(*, viewer, theme: Theme, case_studies: bool) -> QuerySet:
    """Published resources tagged with ``theme`` that ``viewer`` may see: the case studies, or
    everything else."""
    queryset = resources_visible_to(viewer, Resource.objects.only(*LIST_COLUMNS)).filter(
        themes=theme
    )
    if case_studies:
        return queryset.filter(kind=ResourceKind.CASE_STUDY)
    return queryset.exclude(kind=ResourceKind.CASE_STUDY)


def theme_gaps() -> list[Theme]:
    """Every theme with how many published resources and case studies show it, fewest first
    (one query): where the framework lacks examples."""
    published = Q(resources__status=ResourceStatus.PUBLISHED)
    return list(
        Theme.objects.annotate(
            resource_count=Count("resources", filter=published),
            case_study_count=Count(
                "resources", filter=published & Q(resources__kind=ResourceKind.CASE_STUDY)
            ),
        ).order_by("case_study_count", "resource_count", "position", "name")
    )


def review_queue() -> dict:
    """The coordinators' queue: submissions waiting, open reports, dead links (bounded lists)."""
    return {
        "pending": list(
            Resource.objects.filter(status=ResourceStatus.PENDING)
            .select_related("submitted_by")
            .order_by("created_at", "id")[:100]
        ),
        "reports": list(
            Report.objects.filter(resolved_at__isnull=True)
            .select_related("resource", "reported_by")
            .order_by("created_at", "id")[:100]
        ),
        "dead_links": list(
            Resource.objects.filter(
                status=ResourceStatus.PUBLISHED, link_status=LinkStatus.DEAD
            ).order_by("last_checked_at", "id")[:100]
        ),
    }


def resources_submitted_by(user) -> list[Resource]:
    return list(
        Resource.objects.filter(submitted_by=user).only(*LIST_COLUMNS).order_by("-created_at")[:200]
    )


def feed_items(limit: int = 30) -> list[Resource]:
    """The newest public published resources, for the RSS feed."""
    return list(
        Resource.objects.filter(
            status=ResourceStatus.PUBLISHED, visibility=ResourceVisibility.PUBLIC
        ).order_by("-published_at", "-id")[:limit]
    )


# --- For other apps' pages (the lead wires these in) ----------------------------------------------


def recordings_for_event(event, viewer=None) -> list[Resource]:
    """Published recordings of ``event`` that ``viewer`` may see (public ones only when no
    viewer is given), for the event's page."""
    levels = visibility_levels_for(viewer) if viewer is not None else (ResourceVisibility.PUBLIC,)
    return list(
        Resource.objects.filter(
            event=event,
            kind=ResourceKind.RECORDING,
            status=ResourceStatus.PUBLISHED,
            visibility__in=levels,
        ).order_by("-published_on", "-id")
    )


def case_studies_for_organisation(organisation, viewer=None) -> list[Resource]:
    """Published case studies from ``organisation`` that ``viewer`` may see (public ones only
    when no viewer is given), for its profile page."""
    levels = visibility_levels_for(viewer) if viewer is not None else (ResourceVisibility.PUBLIC,)
    return list(
        Resource.objects.filter(
            organisations=organisation,
            kind=ResourceKind.CASE_STUDY,
            status=ResourceStatus.PUBLISHED,
            visibility__in=levels,
        )
        .only(*LIST_COLUMNS)
        .order_by("-published_on", "-id")[:20]
    )
