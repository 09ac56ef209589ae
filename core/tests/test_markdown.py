import re

from hypothesis import given, settings
from hypothesis import strategies as st

from core.markdown import render_markdown


def test_markdown_renders_the_everyday_things():
    html = render_markdown("# Our hall\n\nWe have **tea** and [a map](https://example.org).")
    assert "<h2>Our hall</h2>" in html  # the page's own h1 stays the only one
    assert "<strong>tea</strong>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="nofollow noopener noreferrer ugc"' in html


def test_markdown_drops_scripts_and_dangerous_links():
    html = render_markdown(
        "<script>alert(1)</script>\n\n[click](javascript:alert(1))\n\n<img src=x onerror=alert(1)>"
    )
    assert "<script" not in html
    assert 'href="javascript:' not in html  # left as plain text, never a link
    assert "<img" not in html  # the tag and its handler are shown as text, not run
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


DANGEROUS = st.sampled_from(
    [
        "<script>",
        "</script>",
        "javascript:",
        "<iframe",
        "onload=",
        "<img",
        "<a href=",
        "`",
        "[",
        "](",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=20), DANGEROUS), max_size=20).map("".join))
def test_no_markdown_input_produces_a_script_or_handler(text):
    html = render_markdown(text)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<iframe" not in lowered
    assert "<img" not in lowered
    assert 'href="javascript:' not in lowered
    # An event handler only matters inside a tag; as text it is escaped and harmless.
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", lowered)


def test_a_text_shown_again_is_not_parsed_again(monkeypatch):
    """A group's purpose or an event's description is drawn on every view of its page: each
    process keeps the renders of texts up to CACHED_MAX_CHARS, and gives the same HTML."""
    from core import markdown

    parsed = []
    real = markdown._md.render
    monkeypatch.setattr(markdown._md, "render", lambda text: parsed.append(text) or real(text))
    short = "Meet **monthly** to share what works. <script>x</script>"
    first, again = render_markdown(short), render_markdown(short)
    assert first == again and "<strong>monthly</strong>" in again and "<script" not in again
    assert parsed.count(short) <= 1  # at most once (another test may have rendered it first)
    long = "word " * (markdown.CACHED_MAX_CHARS // 5 + 1) + "**end**"
    assert render_markdown(long) == render_markdown(long)
    assert "<strong>end</strong>" in render_markdown(long)
    assert parsed.count(long) == 3  # long texts are not kept
