"""Personal links for newsletter emails: absolute URLs carrying a signed token.

Used when personalising each message (unsubscribe and preference links) and in the
subscription emails. Tokens are made by :mod:`newsletter.tokens`; a token for one purpose never
works for another.
"""

from __future__ import annotations

from django.urls import reverse

from core.email import absolute_url
from newsletter.tokens import make_token


def _pk(subscriber) -> int:
    return subscriber if isinstance(subscriber, int) else subscriber.pk


def confirm_url(subscriber) -> str:
    token = make_token("confirm", _pk(subscriber))
    return absolute_url(reverse("newsletter:confirm", kwargs={"token": token}))


def preferences_url(subscriber) -> str:
    """The subscriber's preference centre (the link does not expire)."""
    token = make_token("preferences", _pk(subscriber))
    return absolute_url(reverse("newsletter:preferences", kwargs={"token": token}))


def unsubscribe_url(subscriber, issue=None) -> str:
    """The page (and RFC 8058 one-click target) that unsubscribes from the newsletter; with
    ``issue``, the consent record notes which issue's link was used."""
    issue_pk = None if issue is None else (issue if isinstance(issue, int) else issue.pk)
    token = make_token("unsubscribe", _pk(subscriber), issue_pk)
    return absolute_url(reverse("newsletter:unsubscribe", kwargs={"token": token}))
