"""Replies as HTML, written in Python rather than through a template include per reply.

A thread page shows 20 replies; through ``{% include %}`` each one cost some 40 template nodes,
a dozen translation lookups and three ``{% url %}`` reversals, which made the reply loop most
of the page's time. Here the words and link prefixes are worked out once per page
(:class:`ReplyRenderer`), and each reply is a few string joins with every value escaped by
``format_html``/``escape``. The thread page and the reply added in place by htmx both use it,
so they cannot drift apart; ``groups/tests/test_rendering.py`` checks the markup.
"""

from __future__ import annotations

from django.middleware.csrf import get_token
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from groups.models import ThreadKind

QUOTE_WORDS = 60


class _Dates:
    """``|date:"c"`` and ``|date:"j M Y, H:i"`` of local time, with the month names looked up
    once per page (``dateformat.format`` parses the format string on every call)."""

    def __init__(self):
        self.months = {number: str(name) for number, name in MONTHS_3.items()}

    def __call__(self, value) -> tuple[str, str]:
        local = timezone.localtime(value)
        month = self.months[local.month].title()
        return local.isoformat(), f"{local.day} {month} {local.year}, {local:%H:%M}"


def _url_maker(name: str):
    """``pk -> url`` for a URL pattern taking one ``pk``, from one ``reverse()`` per page."""
    url = reverse(name, kwargs={"pk": 987654321})
    head, tail = url.split("987654321", 1)
    return lambda pk: f"{head}{int(pk)}{tail}"


def post_meta(post, words: dict, dates: _Dates | None = None) -> SafeString:
    """The "who, when, edited, by email, hidden" line of a thread or reply."""
    author = post.author
    name = escape(str(author)) if author is not None else words["former"]
    machine, shown = (dates or _Dates())(post.created_at)
    parts = [
        f'<p class="post__meta"><strong>{name}</strong> · <time datetime="',
        escape(machine),
        '">',
        escape(shown),
        "</time>",
    ]
    if post.edited_at:
        parts.append(f' · <span class="post__edited">{words["edited"]}</span>')
    if getattr(post, "via_email", False):  # replies only
        parts.append(f" · {words['by_email']}")
    if post.is_hidden:
        parts.append(f' <span class="tag tag--warning">{words["hidden"]}</span>')
    if post.is_held:
        parts.append(f' <span class="tag tag--warning">{words["held"]}</span>')
    parts.append("</p>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class ReplyRenderer:
    """Renders replies of one thread for one viewer.

    ``can_post``, ``can_moderate`` and ``can_accept`` are the viewer's rights in the thread
    (``groups.views._thread_context``); ``request`` supplies the viewer and, when a form needs
    it, the CSRF token.
    """

    def __init__(self, request, thread, *, can_post: bool, can_moderate: bool, can_accept: bool):
        self.thread = thread
        self.viewer_pk = request.user.pk if request.user.is_authenticated else None
        self.can_post = can_post
        self.can_moderate = can_moderate
        self.can_accept = can_accept
        self.csrf = (
            format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            )
            if can_moderate or can_accept
            else ""
        )
        # Every word once per page (translated, then escaped: translations are text).
        self.words = {
            key: escape(text)
            for key, text in {
                "former": _("A former member"),
                "edited": _("edited"),
                "by_email": _("by email"),
                "hidden": _("Hidden"),
                "held": _("Waiting for approval"),
                "accepted": _("Accepted answer"),
                "hidden_quote": _("A post that a host has hidden."),
                "quote": _("Quote"),
                "edit": _("Edit"),
                "your_reply": _("your reply"),
                "report": _("Report"),
                "accept": _("Accept as the answer"),
                "approve": _("Approve"),
                "restore": _("Restore"),
                "hide": _("Hide"),
                "attachments": _("Attachments"),
            }.items()
        }
        self.edit_url = _url_maker("groups:reply_edit")
        self.report_url = _url_maker("groups:reply_report")
        self.accept_url = _url_maker("groups:reply_accept")
        self.moderate_url = _url_maker("groups:reply_moderate")
        self.attachment_url = _url_maker("groups:attachment")
        self.dates = _Dates()

    def _quote(self, quoted) -> str:
        if quoted.is_hidden or quoted.is_held:
            inner = f"<p>{self.words['hidden_quote']}</p>"
        else:
            name = str(quoted.author) if quoted.author is not None else _("A former member")
            inner = format_html(
                "<p>{}</p><p>{}</p>",
                _("%(name)s wrote:") % {"name": name},
                Truncator(quoted.body).words(QUOTE_WORDS, truncate=" …"),
            )
        return f'<blockquote class="quote">{inner}</blockquote>'

    def attachments(self, items) -> SafeString:
        """The list of a post's attachments ("" when there are none)."""
        if not items:
            return ""
        parts = [f'<ul class="attachments" aria-label="{self.words["attachments"]}">']
        for item in items:
            url = self.attachment_url(item.pk)
            if item.is_image:
                alt = _("Picture: %(name)s") % {"name": item.original_name}
                parts.append(
                    format_html(
                        '<li><a href="{}"><img src="{}" alt="{}" class="attachment-image" '
                        'loading="lazy"></a></li>',
                        url,
                        url,
                        alt,
                    )
                )
            else:
                parts.append(
                    format_html(
                        '<li><a href="{}">{}</a> ({})</li>',
                        url,
                        item.original_name,
                        filesizeformat(item.size),
                    )
                )
        parts.append("</ul>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped

    def render(self, reply) -> SafeString:
        """One reply as the ``<li>`` of the replies list. ``reply.html`` is its body's HTML
        (``services.render_post``), already safe."""
        words = self.words
        pk = int(reply.pk)
        accepted = self.thread.accepted_reply_id == reply.pk
        author_name = str(reply.author) if reply.author is not None else _("A former member")
        label = escape(_("the reply by %(name)s") % {"name": author_name})
        report_url = self.report_url(pk)
        parts = [
            f'<li id="reply-{pk}" class="post{" post--accepted" if accepted else ""}">',
            post_meta(reply, words, self.dates),
        ]
        if accepted:
            parts.append(f'<p class="tag">{words["accepted"]}</p>')
        if reply.quoted_id and reply.quoted is not None:
            parts.append(self._quote(reply.quoted))
        parts.append(f'<div class="prose">{reply.html}</div>')
        attachments = getattr(reply, "attachment_list", None)
        if attachments is None:  # a reply on its own (just posted): one query
            attachments = list(reply.attachments.order_by("pk"))
        parts.append(self.attachments(attachments))
        parts.append('<ul class="post__actions">')
        if self.can_post:
            parts.append(
                f'<li><a href="?quote={pk}#reply-form">{words["quote"]}'
                f'<span class="visually-hidden"> {label}</span></a></li>'
            )
        if self.viewer_pk is not None and reply.author_id == self.viewer_pk:
            parts.append(
                f'<li><a href="{self.edit_url(pk)}">{words["edit"]}'
                f'<span class="visually-hidden"> {words["your_reply"]}</span></a></li>'
            )
        parts.append(
            f'<li><a href="{report_url}" hx-get="{report_url}" hx-target="#report-reply-{pk}">'
            f'{words["report"]}<span class="visually-hidden"> {label}</span></a></li>'
        )
        if self.can_accept and not accepted:
            parts.append(
                f'<li><form method="post" action="{self.accept_url(pk)}" class="inline-form">'
                f'{self.csrf}<button class="link-button">{words["accept"]}</button></form></li>'
            )
        if self.can_moderate:
            approve = (
                f'<button class="link-button" name="action" value="approve">'
                f"{words['approve']}</button> "
                if reply.is_held
                else ""
            )
            action, text = (
                ("restore", words["restore"]) if reply.is_hidden else ("hide", words["hide"])
            )
            parts.append(
                f'<li><form method="post" action="{self.moderate_url(pk)}" class="inline-form">'
                f'{self.csrf}{approve}<button class="link-button" name="action" value="{action}">'
                f'{text}<span class="visually-hidden"> {label}</span></button></form></li>'
            )
        parts.append(f'</ul><div id="report-reply-{pk}" class="report-slot"></div></li>')
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def thread_items(threads) -> list[SafeString]:
    """A group page's list of threads (and "more threads" with htmx), one ``<li>`` each:
    title, tags, author, replies and last activity."""
    words = {
        key: escape(text)
        for key, text in {
            "pinned": _("Pinned"),
            "locked": _("Locked"),
            "hidden": _("Hidden"),
            "held": _("Waiting for approval"),
            "former": _("a former member"),
        }.items()
    }
    kinds = {value: escape(label) for value, label in ThreadKind.choices}
    thread_url = _url_maker("groups:thread")
    dates = _Dates()
    items = []
    for thread in threads:
        tags = []
        if thread.is_pinned:
            tags.append(f'<span class="tag">{words["pinned"]}</span> ')
        if thread.is_locked:
            tags.append(f'<span class="tag">{words["locked"]}</span> ')
        if thread.is_hidden:
            tags.append(f'<span class="tag tag--warning">{words["hidden"]}</span> ')
        if thread.is_held:
            tags.append(f'<span class="tag tag--warning">{words["held"]}</span> ')
        author = str(thread.author) if thread.author is not None else _("a former member")
        byline = ngettext(
            "By %(author)s · %(counter)s reply",
            "By %(author)s · %(counter)s replies",
            thread.reply_count,
        ) % {"author": author, "counter": thread.reply_count}
        machine, shown = dates(thread.last_activity_at)
        items.append(
            mark_safe(  # noqa: S308 - every value is escaped
                f'<li class="result"><h3 class="result-list__title">'
                f'<a href="{thread_url(thread.pk)}">{escape(thread.title)}</a></h3>'
                f'<p>{"".join(tags)}<span class="tag">{kinds.get(thread.kind, "")}</span> '
                f'{escape(byline)} · <time datetime="{escape(machine)}">{escape(shown)}</time>'
                "</p></li>"
            )
        )
    return items
