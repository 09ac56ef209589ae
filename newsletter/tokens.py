"""Signed tokens for links in newsletter emails: confirm, preferences, unsubscribe.

A token names a subscriber (and, for unsubscribe links, the issue it came from) and is signed
with SECRET_KEY and a salt per purpose, so a token for one purpose never works for another.
Confirmation links expire; preference and unsubscribe links do not (RFC 8058 asks that the
one-click link keeps working).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

CONFIRM_MAX_AGE = 60 * 60 * 24 * 14  # two weeks to click the confirmation link

PURPOSES = {"confirm", "preferences", "unsubscribe", "click"}


@dataclass(frozen=True)
class TokenData:
    subscriber_pk: int
    issue_pk: int | None = None


def make_token(purpose: str, subscriber_pk: int, issue_pk: int | None = None) -> str:
    assert purpose in PURPOSES, purpose
    payload = [subscriber_pk] if issue_pk is None else [subscriber_pk, issue_pk]
    return signing.dumps(payload, salt=f"newsletter.{purpose}", compress=False)


def read_token(purpose: str, token: str) -> TokenData | None:
    """The token's data, or None when it is forged, for another purpose, or expired."""
    max_age = CONFIRM_MAX_AGE if purpose == "confirm" else None
    try:
        payload = signing.loads(token, salt=f"newsletter.{purpose}", max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, list) or not payload or len(payload) > 2:
        return None
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in payload):
        return None
    return TokenData(*payload)
