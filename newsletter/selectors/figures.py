"""What the coordinator sees about an issue's sending: progress while it goes out, and the
figures afterwards. Each is a fixed number of queries, however many recipients."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q

from newsletter.models import ConsentRecord, Delivery, Issue, LinkClick

S = Delivery.Status


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    failed: int
    remaining: int
    sending: bool

    @property
    def done(self) -> int:
        return self.sent + self.failed

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def issue_progress(issue: Issue) -> Progress:
    """Sent, failed and remaining recipients (one query)."""
    counts = Delivery.objects.filter(issue=issue).aggregate(
        total=Count("id"),
        sent=Count("id", filter=Q(status=S.SENT)),
        failed=Count("id", filter=Q(status=S.FAILED)),
        remaining=Count("id", filter=Q(status__in=[S.PENDING, S.CLAIMED])),
    )
    return Progress(**counts, sending=issue.status == Issue.Status.SENDING)


@dataclass(frozen=True)
class Figures:
    recipients: int
    sent: int
    delivered: int
    failed: int
    remaining: int
    bounced_hard: int
    bounced_soft: int
    complaints: int
    unsubscribed: int
    count_clicks: bool
    clicks: list = field(default_factory=list)  # [(url, count)], most clicked first

    @property
    def bounced(self) -> int:
        return self.bounced_hard + self.bounced_soft

    @property
    def total_clicks(self) -> int:
        return sum(count for _url, count in self.clicks)


def issue_figures(issue: Issue) -> Figures:
    """Recipients, delivered (sent and not hard-bounced), bounces, complaints, failures,
    opt-outs through this issue's links, and clicks per link (three queries)."""
    counts = Delivery.objects.filter(issue=issue).aggregate(
        recipients=Count("id"),
        sent=Count("id", filter=Q(status=S.SENT)),
        delivered=Count("id", filter=Q(status=S.SENT) & ~Q(bounced="hard")),
        failed=Count("id", filter=Q(status=S.FAILED)),
        remaining=Count("id", filter=Q(status__in=[S.PENDING, S.CLAIMED])),
        bounced_hard=Count("id", filter=Q(bounced="hard")),
        bounced_soft=Count("id", filter=Q(bounced="soft")),
        complaints=Count("id", filter=Q(complained=True)),
    )
    unsubscribed = (
        ConsentRecord.objects.filter(
            issue=issue, action=ConsentRecord.Action.OPT_OUT, stream="newsletter"
        )
        .values("subscriber")
        .distinct()
        .count()
    )
    clicks = list(
        LinkClick.objects.filter(issue=issue).order_by("-count", "url").values_list("url", "count")
    )
    return Figures(
        **counts,
        unsubscribed=unsubscribed,
        count_clicks=settings.NEWSLETTER_COUNT_CLICKS,
        clicks=clicks,
    )
