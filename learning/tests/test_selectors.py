"""The library's pages cost the same number of queries however many resources there are.

10 against 1,000 here (a unit test must stay fast); the selectors are built so 10,000 costs the
same (no query per row: themes are prefetched once per page, counts are one query)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from learning.models import Resource, Theme
from learning.tests.helpers import bulk_resources

pytestmark = pytest.mark.django_db
HTMX = {"headers": {"HX-Request": "true"}}


def _queries(client, url, **kwargs):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "query",
    ["", "?q=lunch+club", "?theme=consider-your-space&sort=title", "?kind=guide&date=3years"],
)
@pytest.mark.parametrize("role", ["visitor", "member"])
def test_library_query_count_does_not_grow(client_for, query, role):
    client = client_for(role)
    themes = list(Theme.objects.filter(slug__in=["consider-your-space", "allow-enough-time"]))
    url = reverse("learning:list") + query
    bulk_resources(10, themes=themes)
    small = _queries(client, url)
    small_htmx = _queries(client, url, **HTMX)
    bulk_resources(990, start=10, themes=themes)
    assert Resource.objects.count() == 1000
    assert _queries(client, url) == small
    assert _queries(client, url, **HTMX) == small_htmx
    assert small <= 12


def test_theme_page_and_resource_page_query_counts_do_not_grow(client):
    theme = Theme.objects.get(slug="consider-your-space")
    [first] = bulk_resources(1, themes=[theme])
    bulk_resources(9, start=1, themes=[theme])
    theme_small = _queries(client, theme.get_absolute_url())
    detail_small = _queries(client, first.get_absolute_url())
    bulk_resources(990, start=10, themes=[theme])
    assert _queries(client, theme.get_absolute_url()) == theme_small
    assert _queries(client, first.get_absolute_url()) == detail_small


def test_next_links_walk_every_resource_once(client):
    bulk_resources(45)
    seen, url, pages = [], reverse("learning:list") + "?sort=title", 0
    while url:
        response = client.get(url)
        pages += 1
        seen += [r.pk for r in response.context["page"]]
        url = response.context["page"].next_url
    assert pages == 3 and len(seen) == len(set(seen)) == 45
