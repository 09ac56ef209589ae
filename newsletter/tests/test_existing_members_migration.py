"""The data migration that subscribes members who were active before the newsletter existed."""

import importlib

from django.apps import apps

from members.tests.factories import UserFactory
from newsletter.models import ConsentRecord, Subscriber
from newsletter.tests.factories import SubscriberFactory

migration = importlib.import_module("newsletter.migrations.0002_existing_members")


def test_active_members_who_wanted_the_newsletter_get_one_subscriber_row_each(db):
    wants = UserFactory(newsletter_opt_in=True)
    said_no = UserFactory(newsletter_opt_in=False)
    applicant = UserFactory(status="pending", newsletter_opt_in=True)
    already = UserFactory(newsletter_opt_in=True)
    SubscriberFactory(email=already.email, user=already)

    migration.subscribe_existing_members(apps, None)
    migration.subscribe_existing_members(apps, None)  # a second run adds nothing

    row = Subscriber.objects.get(user=wants)
    assert row.email == wants.email and row.confirmed_at and row.wants_newsletter
    consent = ConsentRecord.objects.get(subscriber=row)
    assert consent.action == "opt_in" and "Carried over" in consent.text_shown
    assert not Subscriber.objects.filter(user__in=[said_no, applicant]).exists()
    assert Subscriber.objects.filter(user=already).count() == 1
    assert Subscriber.objects.count() == 2
