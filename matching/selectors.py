"""Every read in matching, each in a bounded number of queries that does not grow with the data.

Privacy: people appear on the board and in suggestions only if the directory lets the viewer see
them (``members.selectors.directory.people_visible_to``); no contact detail is read here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.geo import PostcodeError, annotate_distance, centroid
from matching.models import (
    Category,
    Collaboration,
    CollaborationSource,
    FollowUp,
    FollowUpAnswer,
    Introduction,
    IntroductionStatus,
    Item,
    ItemStatus,
    PairingMember,
    Suggestion,
)
from members.models import (
    AffiliationStatus,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    User,
)
from members.selectors.directory import people_visible_to

BOARD_NEAR_KM = 40
NEAR_REASON_KM = 60


# --- The board ---------------------------------------------------------------------------------


def categories(active_only: bool = True) -> list[Category]:
    queryset = Category.objects.all()
    return list(queryset.filter(is_active=True) if active_only else queryset)


def board_items(*, viewer, filters: dict) -> QuerySet[Item]:
    """Open offers and needs of people ``viewer`` may see, matching ``filters`` (validated by
    ``BoardFilterForm``): ``q`` words, ``kind``, ``category`` (a Category), ``focus`` (a
    FocusArea), ``region`` (a Region), ``near`` (a postcode; within 40 km of an organisation
    that has a place, nearest first). Newest first otherwise."""
    items = Item.objects.filter(
        status=ItemStatus.OPEN,
        owner__in=people_visible_to(viewer, User.objects.filter(status=MembershipStatus.ACTIVE)),
    ).select_related("owner", "category", "organisation")
    if filters.get("kind"):
        items = items.filter(kind=filters["kind"])
    if filters.get("category"):
        items = items.filter(category=filters["category"])
    if filters.get("focus"):
        focus = filters["focus"]
        items = items.filter(
            Q(owner__focus_areas=focus)
            | Q(organisation__focus_areas=focus)
            | Q(
                organisation__isnull=True,
                owner__org_memberships__organisation__focus_areas=focus,
            )
        )
    if filters.get("region"):
        items = items.filter(
            Q(organisation__regions=filters["region"])
            | Q(
                organisation__isnull=True,
                owner__org_memberships__organisation__regions=filters["region"],
            )
        )
    for word in (filters.get("q") or "").split()[:8]:
        items = items.filter(Q(description__icontains=word) | Q(category__name__icontains=word))
    if filters.get("focus") or filters.get("region"):
        items = items.distinct()
    place = None
    if filters.get("near"):
        try:
            place = centroid(filters["near"])
        except PostcodeError:
            place = None
    if place is not None:
        items = annotate_distance(
            items,
            *place,
            lat_field="organisation__latitude",
            lon_field="organisation__longitude",
            within_km=BOARD_NEAR_KM,
        ).order_by("distance_km", "-updated_at", "-id")
    else:
        items = items.order_by("-updated_at", "-id")
    return items


def items_of(member) -> list[Item]:
    """All of ``member``'s offers and needs, open first (one query)."""
    return list(
        Item.objects.filter(owner=member)
        .select_related("category", "organisation")
        .order_by("status", "kind", "-updated_at", "-id")
    )


def item_for_owner(*, viewer, pk: int) -> Item | None:
    return Item.objects.filter(pk=pk, owner=viewer).select_related("category").first()


def organisations_of(member) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            memberships__user=member, memberships__status=AffiliationStatus.ACTIVE
        )
        .only("id", "name", "slug")
        .order_by("name", "id")
    )


# --- Suggestions -------------------------------------------------------------------------------


@dataclass
class SuggestionCard:
    """One suggested person with the reasons, already worded for the viewer."""

    person: User
    organisation: Organisation | None
    reasons: list[str]
    score: float
    their_offer: Item | None = None
    their_need: Item | None = None


def _reasons(s: Suggestion) -> list[str]:
    reasons = []
    if s.their_offer_id and s.my_need_id:
        offer, need = s.their_offer, s.my_need
        if offer.category_id == need.category_id:
            reasons.append(
                _("They offer %(category)s, which you are looking for.")
                % {"category": offer.category.name.lower()}
            )
        else:
            reasons.append(
                _("They offer %(category)s, which may help with what you need: “%(need)s”.")
                % {"category": offer.category.name.lower(), "need": need.description}
            )
    if s.my_offer_id and s.their_need_id:
        offer, need = s.my_offer, s.their_need
        if offer.category_id == need.category_id:
            reasons.append(
                _("They are looking for %(category)s, which you offer.")
                % {"category": need.category.name.lower()}
            )
        else:
            reasons.append(
                _(
                    "They are looking for %(category)s, which what you offer may help with: “%(offer)s”."
                )
                % {"category": need.category.name.lower(), "offer": offer.description}
            )
    if s.shared_focus:
        reasons.append(_("You both work on %(focus)s.") % {"focus": _join(s.shared_focus).lower()})
    if s.shared_audiences:
        reasons.append(
            _("You both work with %(audiences)s.")
            % {"audiences": _join(s.shared_audiences).lower()}
        )
    if s.distance_km is not None and s.distance_km <= NEAR_REASON_KM:
        reasons.append(
            _("You both work locally, about %(km)s km apart.")
            % {"km": max(1, round(s.distance_km))}
        )
    return reasons


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _introduced_with(viewer) -> QuerySet:
    """Everyone ``viewer`` has asked, been asked by (still waiting or answered yes or no)."""
    live = [IntroductionStatus.PENDING, IntroductionStatus.ACCEPTED, IntroductionStatus.DECLINED]
    return Introduction.objects.filter(status__in=live).filter(
        Q(requester=viewer, recipient=OuterRef("other"))
        | Q(recipient=viewer, requester=OuterRef("other"))
    )


def suggestions_for(viewer, limit: int = 10) -> list[SuggestionCard]:
    """``viewer``'s stored suggestions, best first, without people they have since asked, been
    asked by or cannot see; two queries whatever the data."""
    visible = people_visible_to(viewer, User.objects.filter(status=MembershipStatus.ACTIVE))
    rows = (
        Suggestion.objects.filter(member=viewer, other__in=visible)
        .exclude(Exists(_introduced_with(viewer)))
        .select_related(
            "other",
            "their_offer__category",
            "my_need__category",
            "my_offer__category",
            "their_need__category",
        )
        .prefetch_related(
            Prefetch(
                "other__org_memberships",
                queryset=OrganisationMembership.objects.filter(
                    status=AffiliationStatus.ACTIVE,
                    organisation__status=MembershipStatus.ACTIVE,
                )
                .select_related("organisation")
                .order_by("created_at", "id"),
                to_attr="listed_memberships",
            )
        )
        .order_by("rank", "-score")[:limit]
    )
    cards = []
    for s in rows:
        memberships = s.other.listed_memberships
        cards.append(
            SuggestionCard(
                person=s.other,
                organisation=memberships[0].organisation if memberships else None,
                reasons=_reasons(s),
                score=s.score,
                their_offer=s.their_offer,
                their_need=s.their_need,
            )
        )
    return cards


# --- Introductions -----------------------------------------------------------------------------


def introductions_for(viewer) -> dict[str, list[Introduction]]:
    """Requests ``viewer`` received that wait for them, and the latest they asked and received;
    three queries."""
    base = Introduction.objects.select_related("requester", "recipient").order_by(
        "-created_at", "-id"
    )
    now = timezone.now()
    return {
        "waiting": list(
            base.filter(recipient=viewer, status=IntroductionStatus.PENDING, expires_at__gt=now)
        ),
        "asked": list(base.filter(requester=viewer)[:50]),
        "received": list(
            base.filter(recipient=viewer).exclude(
                status=IntroductionStatus.PENDING, expires_at__gt=now
            )[:50]
        ),
    }


def introduction_for_participant(*, viewer, pk: int) -> Introduction | None:
    return (
        Introduction.objects.filter(pk=pk)
        .filter(Q(requester=viewer) | Q(recipient=viewer))
        .select_related("requester", "recipient", "about_item__category")
        .first()
    )


def introduction_limits(viewer) -> dict:
    from matching import services

    now = timezone.now()
    open_count = Introduction.objects.filter(
        requester=viewer, status=IntroductionStatus.PENDING, expires_at__gt=now
    ).count()
    return {"open": open_count, "max_open": services.MAX_OPEN_REQUESTS}


# --- Network health ----------------------------------------------------------------------------


def _active_members() -> QuerySet[User]:
    return User.objects.filter(status=MembershipStatus.ACTIVE, is_active=True)


def _months_back(today: date, months: int) -> date:
    year, month = today.year, today.month - months
    while month <= 0:
        month += 12
        year -= 1
    day = min(today.day, 28)
    return date(year, month, day)


@dataclass
class HealthPoint:
    month_end: date
    rate: float  # 0..100
    collaborators: int
    members: int


@dataclass
class GraphNode:
    pk: int
    label: str
    x: float
    y: float
    degree: int


@dataclass
class GraphEdge:
    a: GraphNode
    b: GraphNode
    count: int
    sources: list[str] = field(default_factory=list)


@dataclass
class NetworkHealth:
    rate: float
    collaborators: int
    active_members: int
    trend: list[HealthPoint]
    asked: int
    accepted: int
    fruitful: int
    quiet_count: int
    quiet: list[User]
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    graph_size: int
    total_edges: int
    recent: list[Collaboration]

    CHART_WIDTH = 640
    CHART_HEIGHT = 240
    CHART_TOP = 20
    CHART_BOTTOM = 40
    CHART_LEFT = 44

    def bars(self) -> list[dict]:
        """Geometry for the trend chart: one bar per month, the scale 0–100 %."""
        plot_height = self.CHART_HEIGHT - self.CHART_TOP - self.CHART_BOTTOM
        step = (self.CHART_WIDTH - self.CHART_LEFT - 10) / max(1, len(self.trend))
        bars = []
        for i, point in enumerate(self.trend):
            height = round(plot_height * point.rate / 100, 1)
            x = round(self.CHART_LEFT + i * step + step * 0.15, 1)
            bars.append(
                {
                    "point": point,
                    "x": x,
                    "width": round(step * 0.7, 1),
                    "y": round(self.CHART_TOP + plot_height - height, 1),
                    "height": height,
                    "label_x": round(x + step * 0.35, 1),
                    "label_y": self.CHART_HEIGHT - self.CHART_BOTTOM + 18,
                    "value_y": round(self.CHART_TOP + plot_height - height - 4, 1),
                }
            )
        return bars

    def gridlines(self) -> list[dict]:
        plot_height = self.CHART_HEIGHT - self.CHART_TOP - self.CHART_BOTTOM
        return [
            {"value": v, "y": round(self.CHART_TOP + plot_height * (1 - v / 100), 1)}
            for v in (0, 25, 50, 75, 100)
        ]


def _rate_at(day: date) -> HealthPoint:
    """The collaboration rate on ``day``: members who had joined by then (and are active now) with
    a collaboration in the 12 months up to it. (Past statuses are not kept, so today's status
    stands in for the status then.)"""
    since = _months_back(day, 12)
    members = _active_members().filter(date_joined__date__lte=day)
    window = Collaboration.objects.filter(happened_on__gt=since, happened_on__lte=day)
    collaborators = members.filter(
        Q(pk__in=window.values("member_a_id")) | Q(pk__in=window.values("member_b_id"))
    ).count()
    total = members.count()
    return HealthPoint(
        month_end=day,
        rate=round(100 * collaborators / total, 1) if total else 0.0,
        collaborators=collaborators,
        members=total,
    )


def _month_ends(today: date, count: int) -> list[date]:
    ends = []
    year, month = today.year, today.month
    for _i in range(count - 1):
        month -= 1
        if month == 0:
            month, year = 12, year - 1
        next_month = date(year + (month // 12), month % 12 + 1, 1)
        ends.append(next_month - timedelta(days=1))
    return [*reversed(ends), today]


GRAPH_MAX_NODES = 40
GRAPH_SIZE = 400


def _graph(collaborations: list[tuple[int, int, str]], names: dict[int, str]):
    degree: dict[int, int] = {}
    edges: dict[tuple[int, int], list[str]] = {}
    for a, b, source in collaborations:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
        edges.setdefault((a, b), []).append(source)
    shown = sorted(degree, key=lambda pk: (-degree[pk], names.get(pk, ""), pk))[:GRAPH_MAX_NODES]
    # A circle, ordered so that people who worked together sit near each other where possible.
    order: list[int] = []
    remaining = set(shown)
    while remaining:
        start = min(remaining, key=lambda pk: (-degree[pk], pk))
        stack = [start]
        while stack:
            pk = stack.pop()
            if pk not in remaining:
                continue
            remaining.discard(pk)
            order.append(pk)
            stack.extend(
                sorted(
                    (b if a == pk else a for (a, b) in edges if pk in (a, b)),
                    key=lambda other: -degree.get(other, 0),
                )
            )
    centre, radius = GRAPH_SIZE / 2, GRAPH_SIZE / 2 - 60
    nodes = {}
    for i, pk in enumerate(order):
        angle = 2 * math.pi * i / max(1, len(order)) - math.pi / 2
        nodes[pk] = GraphNode(
            pk=pk,
            label=names.get(pk, str(pk)),
            x=round(centre + radius * math.cos(angle), 1),
            y=round(centre + radius * math.sin(angle), 1),
            degree=degree[pk],
        )
    graph_edges = [
        GraphEdge(
            a=nodes[a],
            b=nodes[b],
            count=len(sources),
            sources=sorted({str(CollaborationSource(s).label) for s in sources}),
        )
        for (a, b), sources in edges.items()
        if a in nodes and b in nodes
    ]
    graph_edges.sort(key=lambda e: (e.a.label, e.b.label))
    return list(nodes.values()), graph_edges, len(edges)


def network_health(*, today: date | None = None, quiet_days: int = 90) -> NetworkHealth:
    """The figures on the coordinators' network health page, in about 40 queries whatever the
    size of the network (12 for the trend, each a count)."""
    today = today or timezone.localdate()
    since = _months_back(today, 12)
    trend = [_rate_at(day) for day in _month_ends(today, 12)]
    now_point = trend[-1]

    year_intros = Introduction.objects.filter(created_at__date__gt=since)
    asked = year_intros.count()
    accepted = year_intros.filter(status=IntroductionStatus.ACCEPTED).count()
    fruitful = (
        year_intros.filter(status=IntroductionStatus.ACCEPTED)
        .filter(
            Exists(
                FollowUp.objects.filter(
                    introduction=OuterRef("pk"),
                    answer__in=[FollowUpAnswer.YES, FollowUpAnswer.IN_PROGRESS],
                )
            )
        )
        .count()
    )

    cutoff = timezone.now() - timedelta(days=quiet_days)
    quiet_qs = (
        _active_members()
        .filter(date_joined__lt=cutoff)
        .exclude(last_login__gte=cutoff)
        .exclude(pk__in=Item.objects.filter(updated_at__gte=cutoff).values("owner_id"))
        .exclude(pk__in=Introduction.objects.filter(created_at__gte=cutoff).values("requester_id"))
        .exclude(pk__in=Introduction.objects.filter(created_at__gte=cutoff).values("recipient_id"))
        .exclude(
            pk__in=PairingMember.objects.filter(group__created_at__gte=cutoff).values("member_id")
        )
    )
    quiet_count = quiet_qs.count()
    quiet = list(
        quiet_qs.only("id", "full_name", "email", "last_login", "date_joined").order_by(
            "last_login", "full_name", "id"
        )[:50]
    )

    year_collaborations = list(
        Collaboration.objects.filter(happened_on__gt=since).values_list(
            "member_a_id", "member_b_id", "source"
        )
    )
    people_ids = {a for a, _b, _s in year_collaborations} | {b for _a, b, _s in year_collaborations}
    names = dict(
        User.objects.filter(
            Q(pk__in=Collaboration.objects.filter(happened_on__gt=since).values("member_a_id"))
            | Q(pk__in=Collaboration.objects.filter(happened_on__gt=since).values("member_b_id"))
        ).values_list("pk", "full_name")
    )
    names = {pk: (names.get(pk) or _("Member %(pk)s") % {"pk": pk}) for pk in people_ids}
    nodes, edges, total_edges = _graph(year_collaborations, names)
    recent = list(
        Collaboration.objects.select_related("member_a", "member_b").order_by(
            "-happened_on", "-id"
        )[:20]
    )
    return NetworkHealth(
        rate=now_point.rate,
        collaborators=now_point.collaborators,
        active_members=now_point.members,
        trend=trend,
        asked=asked,
        accepted=accepted,
        fruitful=fruitful,
        quiet_count=quiet_count,
        quiet=quiet,
        nodes=nodes,
        edges=edges,
        graph_size=GRAPH_SIZE,
        total_edges=total_edges,
        recent=recent,
    )
