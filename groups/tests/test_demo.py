"""The demo groups: plausible, and every page renders for a coordinator."""

import random

import pytest
from django.urls import reverse

from core.management.commands.seed_demo import DemoContext
from groups import demo
from groups.models import Challenge, Group, Thread
from members import demo as members_demo

pytestmark = pytest.mark.django_db


def test_the_demo_groups_are_plausible_and_their_pages_render(client):
    ctx = DemoContext(rng=random.Random(5), orgs=10, people=40)
    members_demo.seed(ctx)
    demo.seed(ctx)
    assert Group.objects.filter(is_network_wide=True).count() == 1
    assert Group.objects.filter(slug="youth-loneliness-network").exists()
    assert Thread.objects.count() == 15 and Challenge.objects.count() == 3
    assert client.login(email="coordinator@example.org", password="coalition-demo-2026")
    assert client.get(reverse("groups:list")).status_code == 200
    for group in Group.objects.all():
        assert client.get(group.get_absolute_url()).status_code == 200
    for thread in Thread.objects.all():
        assert client.get(thread.get_absolute_url()).status_code == 200
    cohort = Group.objects.get(is_cohort=True)
    assert client.get(reverse("groups:challenges", args=[cohort.slug])).status_code == 200
    assert client.get(reverse("groups:search") + "?q=volunteers").status_code == 200
