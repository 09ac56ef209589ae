"""The public archive: every sent issue as a web page, listed newest first, and an RSS feed.
Nothing here is personal: no names, no unsubscribe or preference links, no tracked links."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from core.pagination import paginate_keyset_request
from newsletter.rendering import issue_context
from newsletter.selectors import archive as selectors
from newsletter.selectors.drafting import plain_excerpt

PER_PAGE = 12


def archive(request):
    page = paginate_keyset_request(
        request, selectors.archive_issues(), ordering=("-number", "-pk"), per_page=PER_PAGE
    )
    for issue in page:
        issue.excerpt = plain_excerpt(issue.intro, words=30)
    return render(request, "newsletter/archive.html", {"page": page})


def archive_issue(request, number):
    issue = selectors.archive_issue(number)
    if issue is None:
        raise Http404
    context = issue_context(issue, list(issue.items.all()))
    # The web page shows the same sections and items as the email, and nothing personal.
    return render(
        request,
        "newsletter/archive_issue.html",
        {
            "issue": issue,
            "intro_html": context["intro_html"],
            "sections": context["sections"],
            "dated": context["dated"],
        },
    )
