"""The demo's newsletter issues: sent ones fill the archive, a draft is ready to edit, and
the same seed makes the same issues."""

import random

import pytest
from django.urls import reverse
from django.utils.html import escape

from core.management.commands.seed_demo import DemoContext
from events import demo as events_demo
from groups import demo as groups_demo
from learning import demo as learning_demo
from members import demo as members_demo
from newsletter import demo_issues
from newsletter.models import Issue, IssueItem

pytestmark = pytest.mark.django_db


def _seed():
    ctx = DemoContext(rng=random.Random(7), orgs=10, people=30)
    for module in (members_demo, events_demo, learning_demo, groups_demo, demo_issues):
        module.seed(ctx)
    return ctx


def test_the_demo_has_sent_issues_in_the_archive_and_a_draft(client):
    ctx = _seed()
    assert ctx.made["newsletter_issues"] == 4
    sent = Issue.objects.filter(status=Issue.Status.SENT).order_by("number")
    assert [i.number for i in sent] == [1, 2, 3]
    assert all(i.sent_at and not i.deliveries.exists() for i in sent)
    draft = Issue.objects.get(status=Issue.Status.DRAFT)
    assert draft.number == 4 and draft.covers_since == sent.last().sent_at
    for issue in sent:
        assert issue.items.count() >= 4
        assert {"events", "members"} <= set(issue.items.values_list("section", flat=True))
    content = client.get(reverse("newsletter:archive")).content.decode()
    assert all(escape(issue.subject) in content for issue in sent)
    for issue in sent:
        assert client.get(issue.get_absolute_url()).status_code == 200
    assert client.login(email="coordinator@example.org", password="coalition-demo-2026")
    assert client.get(reverse("newsletter:issue", kwargs={"pk": draft.pk})).status_code == 200
    assert client.get(reverse("newsletter:manage")).status_code == 200


def test_the_demo_issues_are_the_same_every_time():
    ctx = _seed()

    def made():
        return list(
            IssueItem.objects.order_by("issue__number", "section", "position").values_list(
                "issue__number", "issue__subject", "section", "position", "title", "source"
            )
        )

    first = made()
    assert len(first) > 10
    Issue.objects.all().delete()
    demo_issues.seed(ctx)
    assert made() == first
