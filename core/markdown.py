"""Safe rich text: Markdown in, sanitised HTML out.

markdown-it-py renders CommonMark with raw HTML switched off; nh3 (Ammonia) then removes anything
that is not on its allow-list, so even a parser bug cannot let a script through.
"""

from functools import lru_cache

import nh3
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


# The same text is drawn on every view of its page (a group's purpose, an event's description),
# and a render costs about 0.3 ms per 500 characters: each process keeps its latest renders of
# texts up to this long (at most some 5 MB).
CACHED_MAX_CHARS = 4000


def render_markdown(text: str) -> str:
    """Return sanitised HTML for ``text`` (Markdown); safe to insert into any page or email."""
    if not text:
        return mark_safe("")  # noqa: S308
    if len(text) <= CACHED_MAX_CHARS:
        return _render_cached(str(text))
    return _render(text)


@lru_cache(maxsize=512)
def _render_cached(text: str) -> str:
    return _render(text)


def _render(text: str) -> str:
    html = _md.render(text)
    # Headings in user content start at h2: the page's own title is the only h1.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
    return mark_safe(cleaned)  # noqa: S308
