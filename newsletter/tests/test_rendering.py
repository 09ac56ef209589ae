"""The issue as an email: every included item (and no dropped one) in both the HTML and the text
versions, sections in order with their headings, dates in plain English, inline styles only,
and personalisation that leaves no placeholder behind and escapes the name."""

from datetime import UTC, datetime

import pytest

from newsletter.models import Section
from newsletter.rendering import (
    NAME,
    PLACEHOLDERS,
    PREFERENCES_URL,
    UNSUBSCRIBE_URL,
    personalise,
    render_issue,
    when_text,
)
from newsletter.tests.factories import IssueFactory, IssueItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue():
    issue = IssueFactory(intro="Welcome to **issue two**.\n\n- first point\n- second point")
    IssueItemFactory(
        issue=issue,
        section=Section.MEMBERS,
        position=0,
        title="Harbour Lunch Club joins",
        url="https://example.org/members/harbour/",
    )
    IssueItemFactory(
        issue=issue,
        section=Section.EVENTS,
        position=1,
        title="Winter get-together",
        when=datetime(2026, 12, 1, 18, 30, tzinfo=UTC),
        summary="An informal hour & a cup of tea.",
    )
    IssueItemFactory(issue=issue, section=Section.EVENTS, position=0, title="Webinar on grants")
    IssueItemFactory(issue=issue, section=Section.NEWS, title="Dropped story", included=False)
    IssueItemFactory(issue=issue, section=Section.NEWS, title="A <script> in a title", url="")
    return issue


def test_html_and_text_contain_every_included_item_and_no_dropped_one(issue):
    rendered = render_issue(issue)
    for title in ["Harbour Lunch Club joins", "Winter get-together", "Webinar on grants"]:
        assert title in rendered.html
        assert title in rendered.text
    assert "Dropped story" not in rendered.html
    assert "Dropped story" not in rendered.text
    assert rendered.subject == issue.subject


def test_items_can_be_given_explicitly(issue):
    only = [issue.items.get(title="Webinar on grants")]
    rendered = render_issue(issue, items=only)
    assert "Webinar on grants" in rendered.text
    assert "Winter get-together" not in rendered.text


def test_sections_come_in_the_newsletters_order_with_items_in_their_order(issue):
    text = render_issue(issue).text
    assert text.index("COMING UP") < text.index("MEMBER NEWS") < text.index("NEW MEMBERS")
    assert text.index("Webinar on grants") < text.index("Winter get-together")
    html = render_issue(issue).html
    assert html.index(">Coming up</h2>") < html.index(">New members</h2>")


def test_event_dates_are_plain_english_in_uk_time(issue):
    # 18:30 UTC on 1 December is 6:30pm in London (GMT); in June it would be an hour later.
    assert when_text(datetime(2026, 12, 1, 18, 30, tzinfo=UTC)) == "Tuesday 1 December 2026, 6:30pm"
    assert when_text(datetime(2026, 6, 2, 9, 0, tzinfo=UTC)) == "Tuesday 2 June 2026, 10am"
    rendered = render_issue(issue)
    assert "Tuesday 1 December 2026, 6:30pm" in rendered.html
    assert "Tuesday 1 December 2026, 6:30pm" in rendered.text


def test_intro_markdown_is_html_in_the_email_and_readable_in_the_text(issue):
    rendered = render_issue(issue)
    assert "<strong>issue two</strong>" in rendered.html
    assert '<li style="margin:0 0 4px;">first point</li>' in rendered.html
    assert '<p style="margin:0 0 16px;">Welcome to' in rendered.html  # mail programs need inline
    assert "Welcome to **issue two**." in rendered.text
    assert "- first point" in rendered.text


def test_text_reads_well_with_underlined_headings_and_no_runs_of_blank_lines(issue):
    text = render_issue(issue).text
    assert "COMING UP\n=========\n" in text
    assert "\n\n\n" not in text
    assert text.endswith("Unsubscribe: %%NL_UNSUBSCRIBE_URL%%\n")


def test_links_in_the_introduction_are_styled_and_still_safe(db):
    issue = IssueFactory(intro="[Our site](https://example.org) and [bad](javascript:alert(1))")
    html = render_issue(issue).html
    assert '<a style="color:#1d4e5f;text-decoration:underline;" href="https://example.org"' in html
    assert 'href="javascript' not in html


def test_text_is_plain_and_nothing_is_escaped_twice(issue):
    text = render_issue(issue).text
    assert "An informal hour & a cup of tea." in text
    assert "&amp;" not in text and "<" not in text.replace("A <script> in a title", "")


def test_html_escapes_titles_and_relies_on_inline_styles_only(issue):
    html = render_issue(issue).html
    assert "<script>" not in html
    assert "A &lt;script&gt; in a title" in html
    assert "<style" not in html
    assert "max-width:600px" in html
    assert 'role="presentation"' in html
    assert '<html lang="en-GB">' in html


def test_the_email_links_to_its_archive_page_and_has_preference_and_unsubscribe_links(
    issue, settings
):
    rendered = render_issue(issue)
    archive = f"{settings.SITE_URL}/newsletter/{issue.number}/"
    assert f'href="{archive}"' in rendered.html
    assert archive in rendered.text
    for placeholder in (PREFERENCES_URL, UNSUBSCRIBE_URL, NAME):
        assert placeholder in rendered.html
        assert placeholder in rendered.text


def test_personalise_leaves_no_placeholder_and_escapes_the_name_in_html(issue):
    rendered = render_issue(issue)
    text, html = personalise(
        rendered,
        name='Ann <b>"Bold"</b> & Co',
        unsubscribe_url="https://example.org/newsletter/unsubscribe/abc?x=1&y=2/",
        preferences_url="https://example.org/newsletter/preferences/def/",
    )
    for placeholder in PLACEHOLDERS:
        assert placeholder not in text
        assert placeholder not in html
    assert 'Hello Ann <b>"Bold"</b> & Co,' in text
    assert "Ann &lt;b&gt;&quot;Bold&quot;&lt;/b&gt; &amp; Co" in html
    assert "<b>" not in html
    assert 'href="https://example.org/newsletter/unsubscribe/abc?x=1&amp;y=2/"' in html
    assert "https://example.org/newsletter/unsubscribe/abc?x=1&y=2/" in text
    assert "https://example.org/newsletter/preferences/def/" in text


def test_personalise_greets_someone_without_a_name(issue):
    text, html = personalise(
        render_issue(issue), name="  ", unsubscribe_url="u", preferences_url="p"
    )
    assert "Hello there," in text
    assert "Hello there," in html


def test_an_issue_with_no_items_still_renders(db):
    issue = IssueFactory(intro="")
    rendered = render_issue(issue)
    assert "Hello %%NL_NAME%%," in rendered.text
    assert "<h2" not in rendered.html
