"""Shared factories for the newsletter's tests. A subscriber is confirmed and wants the
newsletter unless told otherwise; issues are numbered 1, 2, 3... in the order they are made.

Other parts of the app may add their own factories at the end of this file."""

from datetime import timedelta

import factory
from django.utils import timezone

from newsletter.models import Issue, IssueItem, Section, Subscriber


class SubscriberFactory(factory.django.DjangoModelFactory):
    """A confirmed public subscriber. ``SubscriberFactory(confirmed_at=None)`` for one who has
    not used their confirmation link yet; pass ``user=`` to link a member's account."""

    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.net")
    name = factory.Faker("first_name", locale="en_GB")
    wants_newsletter = True
    wants_events = False
    wants_digests = False
    confirmed_at = factory.LazyFunction(timezone.now)


class IssueFactory(factory.django.DjangoModelFactory):
    """A draft issue covering the last fortnight."""

    class Meta:
        model = Issue

    number = factory.Sequence(lambda n: n + 1)
    subject = factory.LazyAttribute(lambda o: f"Network news #{o.number}")
    intro = "Welcome to this fortnight's news from the network."
    status = Issue.Status.DRAFT
    covers_since = factory.LazyFunction(lambda: timezone.now() - timedelta(days=14))


class IssueItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssueItem

    issue = factory.SubFactory(IssueFactory)
    section = Section.NEWS
    position = factory.Sequence(lambda n: n)
    included = True
    title = factory.Sequence(lambda n: f"News from the network {n}")
    summary = "A short summary of what happened."
    url = factory.Sequence(lambda n: f"https://example.org/news/{n}/")
