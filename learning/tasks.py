"""The monthly link check. Tasks take primary keys and are safe to run twice.

Schedule ``manage.py check_resource_links`` monthly (cron or a systemd timer); it queues one
``check_resource_link`` per published resource with a link that was not checked in the last 25
days. Each check is one HEAD request (then GET, for servers that refuse HEAD) with a short
timeout; a link is dead after a 4xx/5xx answer or no answer at all.
"""

from __future__ import annotations

import datetime
import urllib.error
import urllib.request

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from learning.models import Resource, ResourceStatus
from learning.services import resource_link_checked

TIMEOUT_SECONDS = 10
RECHECK_AFTER = datetime.timedelta(days=25)
USER_AGENT = "CoalitionLinkChecker/1.0 (+checks links in a community network's library)"


def link_works(url: str) -> bool:
    """Does ``url`` answer with a success (after redirects)? Never raises."""
    if not url.lower().startswith(("http://", "https://")):
        return False
    # Only http(s) reaches urllib (checked above), so no file: or custom schemes.
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(  # noqa: S310
            url, method=method, headers={"User-Agent": USER_AGENT}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                return 200 <= response.status < 400
        except urllib.error.HTTPError as error:
            if method == "HEAD" and error.code in (403, 405, 501):
                continue  # some servers refuse HEAD: try GET
            return False
        except (urllib.error.URLError, OSError, ValueError):
            return False
    return False


@task()
def check_resource_link(resource_id: int) -> None:
    resource = Resource.objects.filter(pk=resource_id).only("id", "url").first()
    if resource is None or not resource.url:
        return
    resource_link_checked(resource_id=resource_id, working=link_works(resource.url))


def resources_due_for_check() -> list[int]:
    cutoff = timezone.now() - RECHECK_AFTER
    return list(
        Resource.objects.filter(status=ResourceStatus.PUBLISHED)
        .exclude(url="")
        .filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=cutoff))
        .order_by("id")
        .values_list("id", flat=True)
    )


@task()
def check_resource_links() -> int:
    """Queue a check of every link due for one; returns how many were queued."""
    ids = resources_due_for_check()
    for resource_id in ids:
        check_resource_link.enqueue(resource_id)
    return len(ids)
