"""Turning an issue into an email (and the web version of its archive page).

An issue is rendered ONCE per send (templates, Markdown, inline styles); each recipient's copy
is then made by :func:`personalise`, which only replaces a few placeholders. That keeps sending
to 100,000 people fast. The archive page and previews use the same sections and items with no
placeholders at all, so the archive carries no personal links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import dateformat
from django.utils.html import escape
from django.utils.safestring import mark_safe

from core.email import absolute_url, base_context
from core.markdown import render_markdown
from newsletter.models import Section

# Placeholders that survive HTML escaping and Markdown untouched.
NAME = "%%NL_NAME%%"
UNSUBSCRIBE_URL = "%%NL_UNSUBSCRIBE_URL%%"
PREFERENCES_URL = "%%NL_PREFERENCES_URL%%"
PLACEHOLDERS = (NAME, UNSUBSCRIBE_URL, PREFERENCES_URL)

LONDON = ZoneInfo("Europe/London")
SECTION_ORDER = list(Section.values)


# Mail programs ignore stylesheets (or strip them), so the introduction's HTML gets the same
# look as the rest of the email through inline styles. The sanitiser's output has these tags
# with no attributes (links only href, title and rel), so a plain replace is exact.
EMAIL_TAG_STYLES = {
    "<p>": '<p style="margin:0 0 16px;">',
    "<ul>": '<ul style="margin:0 0 16px;padding-left:24px;">',
    "<ol>": '<ol style="margin:0 0 16px;padding-left:24px;">',
    "<li>": '<li style="margin:0 0 4px;">',
    "<h2>": '<h2 style="margin:16px 0 8px;font-size:20px;line-height:1.3;">',
    "<h3>": '<h3 style="margin:16px 0 8px;font-size:18px;line-height:1.3;">',
    "<h4>": '<h4 style="margin:16px 0 8px;font-size:17px;line-height:1.3;">',
    "<blockquote>": '<blockquote style="margin:0 0 16px;padding:0 0 0 12px;'
    'border-left:4px solid #b1b4b6;">',
    "<a ": '<a style="color:#1d4e5f;text-decoration:underline;" ',
}
BLANK_LINES = re.compile(r"\n{3,}")


def email_html(html: str) -> str:
    """Sanitised HTML from ``core.markdown`` with inline styles for mail programs."""
    for tag, styled in EMAIL_TAG_STYLES.items():
        html = html.replace(tag, styled)
    return mark_safe(html)  # noqa: S308 - only adds style attributes to sanitised HTML


@dataclass(frozen=True)
class RenderedIssue:
    subject: str
    text: str
    html: str


def when_text(value: datetime | None) -> str:
    """ "Tuesday 4 November 2025, 6pm" (UK time), or "" when there is no date."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    suffix = "am" if local.hour < 12 else "pm"
    return f"{dateformat.format(local, 'l j F Y')}, {hour}{minutes}{suffix}"


def sections_of(items) -> list[tuple[str, str, list]]:
    """``(section value, heading, items)`` in the newsletter's order of sections, each
    section's items in their order; empty sections left out."""
    grouped: dict[str, list] = {}
    for item in sorted(items, key=lambda i: (i.position, i.pk or 0)):
        grouped.setdefault(item.section, []).append(item)
    return [
        (section, Section(section).label, grouped[section])
        for section in SECTION_ORDER
        if section in grouped
    ]


def issue_context(issue, items=None) -> dict:
    """What the email and the archive page show: the included items by section."""
    if items is None:
        items = [item for item in issue.items.all() if item.included]
    intro_html = render_markdown(issue.intro)
    sections = [
        {
            "key": key,
            "heading": heading,
            "items": [
                {
                    "title": item.title,
                    "summary": item.summary,
                    "url": item.url,
                    "when": when_text(item.when),
                }
                for item in section_items
            ],
        }
        for key, heading, section_items in sections_of(items)
    ]
    return {
        **base_context(),
        "issue": issue,
        "intro_html": intro_html,
        "intro_email_html": email_html(intro_html),
        "sections": sections,
        "subject": issue.subject,
        "dated": dateformat.format(
            (issue.sent_at or issue.scheduled_for or issue.created_at).astimezone(LONDON), "j F Y"
        ),
        "web_url": absolute_url(issue.get_absolute_url()),
        "NAME": NAME,
        "UNSUBSCRIBE_URL": UNSUBSCRIBE_URL,
        "PREFERENCES_URL": PREFERENCES_URL,
    }


def render_issue(issue, *, items=None) -> RenderedIssue:
    """The issue as an email with placeholders for the personal parts."""
    context = issue_context(issue, items)
    text = BLANK_LINES.sub("\n\n", render_to_string("newsletter/email/issue.txt", context))
    text = text.strip() + "\n"
    html = render_to_string("newsletter/email/issue.html", context)
    return RenderedIssue(subject=issue.subject, text=text, html=html)


def personalise(
    rendered: RenderedIssue, *, name: str, unsubscribe_url: str, preferences_url: str
) -> tuple[str, str]:
    """(text, html) for one recipient."""
    greeting = name.strip() or "there"
    text = (
        rendered.text.replace(NAME, greeting)
        .replace(UNSUBSCRIBE_URL, unsubscribe_url)
        .replace(PREFERENCES_URL, preferences_url)
    )
    html = (
        rendered.html.replace(NAME, escape(greeting))
        .replace(UNSUBSCRIBE_URL, escape(unsubscribe_url))
        .replace(PREFERENCES_URL, escape(preferences_url))
    )
    return text, html
