"""The coordinators' issue pages (newsletter/views/issues.py): the list, starting an issue, the
issue page with its include/drop and move buttons (plain posts and htmx), editing and adding
items, the preview, and what a sent issue still allows (nothing)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from events.tests.factories import EventFactory
from members.tests.factories import CoordinatorFactory
from newsletter.models import Issue, IssueItem, Section
from newsletter.tests.factories import IssueFactory, IssueItemFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def coord_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def issue():
    issue = IssueFactory(subject="Fortnight news")
    for n, title in enumerate(["First story", "Second story", "Third story"]):
        IssueItemFactory(issue=issue, section=Section.NEWS, position=n, title=title)
    IssueItemFactory(issue=issue, section=Section.EVENTS, position=0, title="Winter walk")
    return issue


def news_order(issue):
    return list(
        issue.items.filter(section=Section.NEWS)
        .order_by("position", "id")
        .values_list("title", flat=True)
    )


# --- Who may see what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("visitor", 302), ("member", 403), ("org_admin", 403), ("coordinator", 200)],
)
def test_every_page_of_a_real_issue_answers_each_role(role, expected, client_for, issue):
    item = issue.items.first()
    client = client_for(role)
    for name, kwargs in [
        ("newsletter:manage", {}),
        ("newsletter:issue", {"pk": issue.pk}),
        ("newsletter:issue_preview", {"pk": issue.pk}),
        ("newsletter:issue_preview_html", {"pk": issue.pk}),
        ("newsletter:item_add", {"pk": issue.pk}),
        ("newsletter:item_edit", {"pk": issue.pk, "item_pk": item.pk}),
    ]:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == expected, name
    posts = [
        ("newsletter:issue_new", {}, {}),
        ("newsletter:issue_refresh", {"pk": issue.pk}, {}),
        ("newsletter:item_include", {"pk": issue.pk, "item_pk": item.pk}, {"included": "0"}),
        ("newsletter:item_move", {"pk": issue.pk, "item_pk": item.pk}, {"direction": "down"}),
    ]
    for name, kwargs, data in posts:
        response = client.post(reverse(name, kwargs=kwargs), data)
        assert response.status_code == (302 if role == "coordinator" else expected), name
    if role != "coordinator":
        assert Issue.objects.count() == 1
        assert IssueItem.objects.filter(included=False).count() == 0


def test_coordinators_find_the_newsletter_from_their_dashboard_and_everyone_in_the_footer(
    client_for,
):
    client = client_for("coordinator")
    dashboard = client.get(reverse("coordinator:dashboard")).content.decode()
    assert f'href="{reverse("newsletter:manage")}"' in dashboard
    client.logout()
    home = client.get(reverse("core:home")).content.decode()
    assert f'href="{reverse("newsletter:archive")}">Newsletter</a>' in home


def test_an_item_of_another_issue_is_not_found(coord_client, issue):
    other = IssueItemFactory()
    url = reverse("newsletter:item_include", kwargs={"pk": issue.pk, "item_pk": other.pk})
    assert coord_client.post(url, {"included": "0"}).status_code == 404


# --- The list and starting an issue -----------------------------------------------------------


def test_the_list_shows_issues_with_counts_by_status(coord_client, issue):
    IssueFactory(status=Issue.Status.SENT, sent_at=timezone.now(), subject="Old news")
    IssueFactory(status=Issue.Status.SCHEDULED, scheduled_for=timezone.now(), subject="Soon")
    content = coord_client.get(reverse("newsletter:manage")).content.decode()
    assert "Fortnight news" in content and "Old news" in content and "Soon" in content
    assert "<strong>1</strong> draft" in content
    assert "<strong>1</strong> scheduled" in content
    assert "<strong>0</strong> sending" in content
    assert "<strong>1</strong> sent" in content
    assert "4 of 4" in content  # items in the draft
    assert "Start a new issue" in content


def test_starting_an_issue_opens_its_page_with_the_draft(coord_client):
    EventFactory(title="Harvest supper")
    response = coord_client.post(reverse("newsletter:issue_new"))
    issue = Issue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("newsletter:issue", kwargs={"pk": issue.pk})
    page = coord_client.get(response["Location"]).content.decode()
    assert "Issue #1 is started with 1 item from what is new." in page
    assert "Harvest supper" in page
    assert "Coalition newsletter #1" in page


def test_refreshing_the_draft_from_its_page(coord_client):
    coord_client.post(reverse("newsletter:issue_new"))
    issue = Issue.objects.get()
    url = reverse("newsletter:issue_refresh", kwargs={"pk": issue.pk})
    response = coord_client.post(url, follow=True)
    assert "Nothing new since the draft was made." in response.content.decode()
    EventFactory(title="Late addition")
    response = coord_client.post(url, follow=True)
    content = response.content.decode()
    assert "1 new item was added to the draft." in content
    assert "Late addition" in content


# --- The subject and introduction ---------------------------------------------------------------


def test_saving_the_subject_and_introduction(coord_client, issue):
    url = reverse("newsletter:issue", kwargs={"pk": issue.pk})
    response = coord_client.post(url, {"subject": "  Spring  news ", "intro": "Hello **all**"})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.subject, issue.intro) == ("Spring news", "Hello **all**")


def test_a_missing_subject_is_explained_beside_the_field_and_the_intro_is_kept(coord_client, issue):
    url = reverse("newsletter:issue", kwargs={"pk": issue.pk})
    response = coord_client.post(url, {"subject": "   ", "intro": "My careful <words>"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert 'id="id_subject_error"' in content and "Enter a subject line." in content
    assert "My careful &lt;words&gt;" in content
    issue.refresh_from_db()
    assert issue.subject == "Fortnight news"


# --- Include, drop and move: without JavaScript --------------------------------------------------


def test_dropping_and_including_an_item_without_javascript(coord_client, issue):
    item = issue.items.get(title="Second story")
    url = reverse("newsletter:item_include", kwargs={"pk": issue.pk, "item_pk": item.pk})
    response = coord_client.post(url, {"included": "0"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert item.included is False
    page = coord_client.get(response["Location"]).content.decode()
    assert "“Second story” is dropped." in page
    assert "Dropped: not in the issue" in page
    # Posting the same form again (a double click) leaves it dropped.
    coord_client.post(url, {"included": "0"})
    item.refresh_from_db()
    assert item.included is False
    coord_client.post(url, {"included": "1"})
    item.refresh_from_db()
    assert item.included is True


def test_moving_an_item_without_javascript(coord_client, issue):
    item = issue.items.get(title="Third story")
    url = reverse("newsletter:item_move", kwargs={"pk": issue.pk, "item_pk": item.pk})
    response = coord_client.post(url, {"direction": "up"})
    assert response.status_code == 302
    assert news_order(issue) == ["First story", "Third story", "Second story"]


def test_the_first_item_has_no_move_up_button_and_the_last_no_move_down(coord_client, issue):
    content = coord_client.get(reverse("newsletter:issue", kwargs={"pk": issue.pk})).content
    content = content.decode()
    assert content.count("Move up") == 2  # second and third news items
    assert content.count("Move down") == 2  # first and second


# --- ... and with htmx -------------------------------------------------------------------------


def test_htmx_drop_swaps_the_section_and_announces_it(coord_client, issue):
    item = issue.items.get(title="First story")
    url = reverse("newsletter:item_include", kwargs={"pk": issue.pk, "item_pk": item.pk})
    response = coord_client.post(url, {"included": "0"}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith('<ol class="issue-items" id="section-news"')
    assert "<html" not in content
    assert "Dropped: not in the issue" in content
    assert 'hx-swap-oob="innerHTML">“First story” is dropped.</p>' in content
    assert "data-refocus" in content
    item.refresh_from_db()
    assert item.included is False


def test_htmx_move_returns_the_section_in_its_new_order(coord_client, issue):
    item = issue.items.get(title="First story")
    url = reverse("newsletter:item_move", kwargs={"pk": issue.pk, "item_pk": item.pk})
    content = coord_client.post(url, {"direction": "down"}, **HTMX).content.decode()
    assert content.index("Second story") < content.index("First story") < content.index("Third")
    assert "“First story” moved down." in content


def test_htmx_on_a_sent_issue_sends_the_browser_back_to_the_page(coord_client, issue):
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENT, sent_at=timezone.now())
    item = issue.items.first()
    url = reverse("newsletter:item_move", kwargs={"pk": issue.pk, "item_pk": item.pk})
    response = coord_client.post(url, {"direction": "down"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("newsletter:issue", kwargs={"pk": issue.pk})


# --- Editing and adding items ---------------------------------------------------------------------


def test_editing_an_items_words(coord_client, issue):
    item = issue.items.get(title="First story")
    url = reverse("newsletter:item_edit", kwargs={"pk": issue.pk, "item_pk": item.pk})
    assert "First story" in coord_client.get(url).content.decode()
    response = coord_client.post(url, {"title": "", "summary": "Kept words"})
    assert "Enter a title." in response.content.decode()
    assert "Kept words" in response.content.decode()
    response = coord_client.post(url, {"title": "Better title", "summary": "Shorter."})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.summary) == ("Better title", "Shorter.")


def test_adding_a_custom_item(coord_client, issue):
    url = reverse("newsletter:item_add", kwargs={"pk": issue.pk})
    assert (
        'value="events" required id="id_section_0" checked'
        in coord_client.get(url + "?section=events").content.decode()
    )
    response = coord_client.post(
        url, {"section": "news", "title": "AGM", "summary": "", "url": "example.org/agm"}
    )
    assert response.status_code == 302
    item = issue.items.get(title="AGM")
    assert (item.section, item.url, item.position) == ("news", "https://example.org/agm", 3)


def test_a_bad_custom_item_is_explained_and_nothing_typed_is_lost(coord_client, issue):
    url = reverse("newsletter:item_add", kwargs={"pk": issue.pk})
    response = coord_client.post(
        url, {"section": "gossip", "title": "My title", "summary": "My summary", "url": "not a url"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Enter a web address like https://example.org/page." in content
    assert "Choose one of the sections shown." in content
    assert "My title" in content and "My summary" in content and "not a url" in content


# --- A sent issue is read-only --------------------------------------------------------------------


def test_a_sent_issue_is_read_only(coord_client, issue):
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENT, sent_at=timezone.now())
    issue.items.filter(title="Third story").update(included=False)
    page = coord_client.get(reverse("newsletter:issue", kwargs={"pk": issue.pk}))
    content = page.content.decode()
    assert "can no longer be changed" in content
    assert "First story" in content and "Third story" not in content
    assert "Move up" not in content and ">Drop" not in content
    assert 'name="subject"' not in content
    assert reverse("newsletter:archive_issue", kwargs={"number": issue.number}) in content
    response = coord_client.post(
        reverse("newsletter:issue", kwargs={"pk": issue.pk}), {"subject": "Changed", "intro": ""}
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.subject == "Fortnight news"
    edit = reverse(
        "newsletter:item_edit", kwargs={"pk": issue.pk, "item_pk": issue.items.first().pk}
    )
    assert coord_client.get(edit).status_code == 302
    assert (
        coord_client.get(reverse("newsletter:item_add", kwargs={"pk": issue.pk})).status_code == 302
    )


# --- Preview -----------------------------------------------------------------------------------


def test_the_preview_shows_the_html_in_two_frames_and_the_text(coord_client, issue, coordinator):
    content = coord_client.get(
        reverse("newsletter:issue_preview", kwargs={"pk": issue.pk})
    ).content.decode()
    frame = reverse("newsletter:issue_preview_html", kwargs={"pk": issue.pk})
    assert 'class="preview-frame preview-frame--narrow"' in content
    assert 'class="preview-frame preview-frame--wide"' in content
    assert content.count(f'src="{frame}"') == 2
    assert "FIRST STORY" not in content and "MEMBER NEWS" in content  # the text version
    assert "%%NL_" not in content
    assert "style=" not in content  # strict CSP: no inline styles on the site's own page


def test_the_html_preview_may_be_framed_by_this_site_only(coord_client, issue):
    response = coord_client.get(reverse("newsletter:issue_preview_html", kwargs={"pk": issue.pk}))
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy
    content = response.content.decode()
    assert "First story" in content and "%%NL_" not in content
    assert '<base target="_blank">' in content
    # Every other page still refuses to be framed.
    other = coord_client.get(reverse("newsletter:issue_preview", kwargs={"pk": issue.pk}))
    assert other["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]


# --- Sending controls (helper D's URLs) ---------------------------------------------------------


def test_sending_controls_post_to_the_sending_part(coord_client, issue):
    content = coord_client.get(reverse("newsletter:issue", kwargs={"pk": issue.pk})).content
    content = content.decode()
    for name in ("test_send", "send_now", "schedule"):
        url = reverse(f"newsletter:{name}", kwargs={"pk": issue.pk})
        assert f'action="{url}"' in content, name
    assert reverse("newsletter:cancel_schedule", kwargs={"pk": issue.pk}) not in content
    assert 'type="datetime-local"' in content


def test_a_time_in_the_past_is_explained_beside_the_field_and_kept(coord_client, issue):
    response = coord_client.post(
        reverse("newsletter:schedule", kwargs={"pk": issue.pk}), {"send_at": "2020-01-02T09:30"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_send_at_error"' in content
    assert "Choose a date and time in the future." in content
    assert 'value="2020-01-02T09:30"' in content
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT


def test_a_scheduled_issue_can_be_cancelled_and_still_edited(coord_client, issue):
    Issue.objects.filter(pk=issue.pk).update(
        status=Issue.Status.SCHEDULED, scheduled_for=timezone.now() + timedelta(days=1)
    )
    content = coord_client.get(reverse("newsletter:issue", kwargs={"pk": issue.pk})).content
    content = content.decode()
    assert reverse("newsletter:cancel_schedule", kwargs={"pk": issue.pk}) in content
    assert 'type="datetime-local"' not in content
    assert "Move down" in content  # still editable until it starts sending


def test_a_sent_issue_shows_its_progress_and_figures(coord_client, issue):
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENT, sent_at=timezone.now())
    content = coord_client.get(reverse("newsletter:issue", kwargs={"pk": issue.pk})).content
    content = content.decode()
    assert 'id="send-progress"' in content
    assert 'id="issue-figures"' in content


# --- Query counts ------------------------------------------------------------------------------


def test_the_list_costs_the_same_however_many_issues(coord_client, django_assert_num_queries):
    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert coord_client.get(reverse("newsletter:manage")).status_code == 200
        return len(queries)

    IssueItemFactory(issue=IssueFactory())
    few = count()
    for _ in range(15):
        issue = IssueFactory()
        IssueItemFactory.create_batch(3, issue=issue)
    assert count() == few


def test_the_issue_page_costs_the_same_however_many_items(coord_client, issue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("newsletter:issue", kwargs={"pk": issue.pk})

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert coord_client.get(url).status_code == 200
        return len(queries)

    few = count()
    for section in Section.values:
        IssueItemFactory.create_batch(8, issue=issue, section=section)
    assert count() == few


# --- Fuzzing the forms ------------------------------------------------------------------------


def _text(max_size=300):
    return st.text(max_size=max_size)


class TestIssueFormsFuzz(HypothesisTestCase):
    """Whatever is typed, the forms answer with a page (never a server error), and a page that
    comes back with errors shows them beside the fields and keeps what was typed."""

    def _sign_in(self):
        cache.clear()
        self.client.force_login(CoordinatorFactory())
        self.issue = IssueFactory()

    @given(
        subject=st.one_of(_text(200), st.just("Spring news")),
        intro=st.one_of(_text(11000), st.just("Hello **there**")),
    )
    @hypothesis_settings(max_examples=60, deadline=None)
    def test_the_issue_form(self, subject, intro):
        self._sign_in()
        url = reverse("newsletter:issue", kwargs={"pk": self.issue.pk})
        response = self.client.post(url, {"subject": subject, "intro": intro})
        event(f"status {response.status_code}")
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            content = response.content.decode()
            assert "There is a problem" in content
            assert 'class="field-error"' in content
            if "\x00" not in subject and len(subject) <= 150:
                assert escape(subject.strip()) in content or not subject.strip()

    @given(
        section=st.one_of(st.sampled_from(Section.values), _text(12)),
        title=st.one_of(_text(400), st.just("A title")),
        summary=_text(2100),
        url=st.one_of(_text(600), st.just("https://example.org/x"), st.just("example.org")),
    )
    @hypothesis_settings(max_examples=60, deadline=None)
    def test_the_custom_item_form(self, section, title, summary, url):
        self._sign_in()
        response = self.client.post(
            reverse("newsletter:item_add", kwargs={"pk": self.issue.pk}),
            {"section": section, "title": title, "summary": summary, "url": url},
        )
        event(f"status {response.status_code}")
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            content = response.content.decode()
            assert "There is a problem" in content
            assert 'class="field-error"' in content
            if "\x00" not in summary and summary.strip():
                assert escape(summary.strip()[:50]) in content
