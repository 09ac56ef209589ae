"""Counting clicks on an issue's links, per link and never per person (only when
NEWSLETTER_COUNT_CLICKS is on). Links in the HTML are rewritten once, when the issue is
rendered for sending, to ``/newsletter/click/<token>/``; the token is signed and names the
issue and the link's address, and the redirect only goes to addresses that are in that issue.
"""

from __future__ import annotations

import html
import re

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse

from core.email import absolute_url
from newsletter import rendering
from newsletter.models import Issue, LinkClick

SALT = "newsletter.click.link"
HREF = re.compile(r'href="(https?://[^"]+)"')
_links_cache: dict[tuple, frozenset] = {}


def click_token(issue_pk: int, url: str) -> str:
    return signing.dumps([issue_pk, url], salt=SALT, compress=True)


def read_click_token(token: str) -> tuple[int, str] | None:
    try:
        payload = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not isinstance(payload[0], int)
        or isinstance(payload[0], bool)
        or not isinstance(payload[1], str)
    ):
        return None
    return payload[0], payload[1]


def issue_links(issue: Issue) -> frozenset[str]:
    """Every http(s) link in the issue as rendered (its items, its introduction, the layout)."""
    key = (issue.pk, issue.updated_at)
    found = _links_cache.get(key)
    if found is None:
        rendered = rendering.render_issue(issue)
        found = frozenset(html.unescape(url) for url in HREF.findall(rendered.html))
        found |= {item.url for item in issue.items.all() if item.included and item.url}
        if len(_links_cache) > 64:
            _links_cache.clear()
        _links_cache[key] = found
    return found


def rewrite_links(issue: Issue, rendered_html: str) -> str:
    """The issue's HTML with each http(s) link sent through the click counter. Personal
    links (placeholders, filled in per recipient) are left alone."""

    def replace(match):
        url = html.unescape(match.group(1))
        path = reverse("newsletter:click", kwargs={"token": click_token(issue.pk, url)})
        return f'href="{html.escape(absolute_url(path))}"'

    return HREF.sub(replace, rendered_html)


def click_target(token: str, *, count: bool) -> str | None:
    """Where a click token leads (only to a link that is in its issue), counting the click
    when ``count``; None for a forged token or a link that is not in the issue."""
    data = read_click_token(token)
    if data is None:
        return None
    issue_pk, url = data
    issue = Issue.objects.filter(
        pk=issue_pk, status__in=[Issue.Status.SENDING, Issue.Status.SENT]
    ).first()
    if issue is None or url not in issue_links(issue):
        return None
    if count:
        link_click_count(issue=issue, url=url)
    return url


def link_click_count(*, issue: Issue, url: str) -> None:
    """Add one to the link's count (atomic, safe under concurrent clicks)."""
    if LinkClick.objects.filter(issue=issue, url=url).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            LinkClick.objects.create(issue=issue, url=url, count=1)
    except IntegrityError:  # someone else created it in the meantime
        LinkClick.objects.filter(issue=issue, url=url).update(count=F("count") + 1)
