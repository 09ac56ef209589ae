"""The newsletter's admin pages and the demo subscribers."""

import random

import pytest
from django.urls import reverse

from core.management.commands.seed_demo import DemoContext
from members import demo as members_demo
from members.models import MembershipStatus, User
from newsletter import demo_subscribers
from newsletter.models import ConsentRecord, Subscriber, Suppression
from newsletter.services import subscribers as services
from newsletter.tests.factories import IssueFactory, IssueItemFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def test_admin_pages_render_and_consent_records_are_read_only(client, coordinator):
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save()
    client.force_login(coordinator)
    subscriber = SubscriberFactory()
    services.subscriber_unsubscribe(subscriber=subscriber, method="unsubscribe_link")
    IssueItemFactory(issue=IssueFactory())
    for model in ("subscriber", "consentrecord", "issue", "delivery", "linkclick"):
        assert client.get(reverse(f"admin:newsletter_{model}_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:newsletter_subscriber_change", args=[subscriber.pk])).status_code
        == 200
    )
    record = ConsentRecord.objects.get()
    assert client.get(reverse("admin:newsletter_consentrecord_add")).status_code == 403
    response = client.post(
        reverse("admin:newsletter_consentrecord_delete", args=[record.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def seed(seed_value):
    ctx = DemoContext(rng=random.Random(seed_value), orgs=6, people=25)
    members_demo.seed(ctx)
    demo_subscribers.seed(ctx)
    return ctx


def test_demo_subscribers_are_plausible():
    ctx = seed(7)
    opted_in = User.objects.filter(status=MembershipStatus.ACTIVE, newsletter_opt_in=True)
    assert Subscriber.objects.filter(user__in=opted_in).count() == opted_in.count() > 0
    public = Subscriber.objects.filter(user__isnull=True)
    assert 35 <= public.count() <= 40
    assert public.filter(confirmed_at__isnull=True).count() >= 3
    assert public.filter(suppression=Suppression.HARD_BOUNCE).count() == 1
    unsubscribed = public.get(wants_newsletter=False, suppression="")
    assert unsubscribed.consents.filter(action="opt_out").exists()
    # Every subscriber has a consent record for the newsletter.
    assert not Subscriber.objects.exclude(consents__stream="newsletter").exists()
    assert ctx.made["subscribers"] == Subscriber.objects.count()


def test_demo_subscribers_are_the_same_for_the_same_seed():
    members_demo.seed(DemoContext(rng=random.Random(11), orgs=6, people=25))
    runs = []
    for _ in range(2):
        Subscriber.objects.all().delete()
        demo_subscribers.seed(DemoContext(rng=random.Random(3), orgs=6, people=25))
        rows = Subscriber.objects.order_by("email")
        runs.append(
            [(s.email, s.wants_events, s.confirmed_at is None, s.suppression) for s in rows]
        )
    assert runs[0] == runs[1]
