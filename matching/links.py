"""Signed one-click links for emails: they work without signing in, and only for the person and
the thing they were made for.

A token carries ``[object id, person id]`` signed with the site's secret and a salt per purpose,
with the time it was made; :func:`read` refuses a token that was changed, made for another
purpose, or is older than the purpose allows.

Opening a link never changes anything by itself: it shows a page with the answer already chosen
and one button that sends it (mail scanners open links in emails; a GET that recorded an answer
would record theirs).
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

PURPOSES = {
    # purpose: how long its links work
    "introduction-response": timedelta(days=15),  # requests expire after 14 days
    "follow-up": timedelta(days=90),
    "pairing-check-in": timedelta(days=60),
}


class BadLink(Exception):
    """The link was changed, cut short or made for something else."""


class ExpiredLink(BadLink):
    """The link was genuine but is too old."""


def make(purpose: str, *, object_id: int, person_id: int) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown link purpose: {purpose}")
    return signing.dumps([object_id, person_id], salt=f"matching.{purpose}", compress=False)


def read(purpose: str, token: str) -> tuple[int, int]:
    """``(object id, person id)`` from a token made by :func:`make` for ``purpose``."""
    max_age = PURPOSES[purpose]
    try:
        value = signing.loads(token, salt=f"matching.{purpose}", max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredLink(str(exc)) from exc
    except signing.BadSignature as exc:
        raise BadLink(str(exc)) from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise BadLink("Unexpected content")
    return value[0], value[1]
